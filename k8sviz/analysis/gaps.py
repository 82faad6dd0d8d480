"""Findings an auditor asks about, each mapped to controls and carrying its evidence.

The finding ids, their base severity and control mapping are in
:data:`k8sviz.analysis.controls.FINDINGS`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from .._checks import require_flows, snapshot_and_reach
from .._text import as_written, counted
from ..calico_objects import CalicoPolicy
from ..cilium_objects import CiliumPolicy, knp_matches, knp_selects_every_pod
from ..errors import QueryError
from ..model import LabelSelector, NetworkPolicy, Peer, PolicyRule
from ..policy.admin import policy_ref
from ..policy.posture import ClassSide, PostureTable
from . import _ports, _reserved
from ._common import (
    METADATA_IPS,
    SYSTEM_NAMESPACES,
    _engine_codes,
    classify_block,
    exposure,
    exposure_unread,
    exposure_unread_text,
    first_seen,
    get_reach,
    live_edge_frame,
    object_array,
    object_ids,
    port_text,
    public_part,
    row_codes,
    rule_frame,
)
from .controls import CDE_CONTROLS, FINDINGS, SEVERITIES
from .zones import Zones, load_zones, resolve_today, warn_empty_zones, zone_warnings_left_out

if TYPE_CHECKING:
    import pandas as pd

    from ..snapshot import Snapshot

__all__ = ["GAP_COLUMNS", "gaps"]

GAP_COLUMNS = ["finding", "severity", "namespace", "name", "detail", "controls", "evidence"]


def _shift(sev: str, by: int) -> str:
    i = SEVERITIES.index(sev) - by
    return SEVERITIES[min(max(i, 0), len(SEVERITIES) - 1)]


class _Ctx:
    def __init__(self, snapshot: Snapshot, zones: Zones | None):
        self.snap = snapshot
        self.zones = zones
        self.today: dt.date | None = None
        self.rows: list[dict[str, Any]] = []
        self.ns_labels = {n.name: n.labels for n in snapshot.namespaces}
        # Where Cilium enforces NetworkPolicies, their pod selectors see identity labels.
        self.cilium = snapshot.runs_cilium
        # A workload whose pods are in several zones is weighted as the most sensitive of them.
        self.wzones = zones.workload_zone_sets(snapshot) if zones is not None else {}
        self.wzone = {wl: zs[0] for wl, zs in self.wzones.items()}
        self.pods_by_ns: dict[str, list[Any]] = defaultdict(list)
        self.pods_by_wl: dict[str, list[Any]] = defaultdict(list)
        #: Per namespace, its running pods (pods that ran to completion are no longer there).
        self.running_by_ns: dict[str, list[Any]] = defaultdict(list)
        for p in snapshot.pods:
            self.pods_by_ns[p.namespace].append(p)
            self.pods_by_wl[p.workload_key].append(p)
            if not p.terminated:
                self.running_by_ns[p.namespace].append(p)
        self._ns_of: dict[LabelSelector, list[str]] = {}
        self._peer_any: dict[tuple[Any, ...], bool] = {}

    def sensitive(self, workload_key: str) -> bool:
        return self.zones is not None and self.zones.is_sensitive(self.wzone.get(workload_key, ""))

    def add(
        self,
        finding: str,
        namespace: str | None,
        name: str | None,
        detail: str,
        evidence: dict[str, Any],
        *,
        severity: str | None = None,
        workload: str | None = None,
        system_down: bool = True,
        cde: Iterable[str] | bool | None = None,
        drop: Iterable[str] = (),
    ) -> None:
        """Record a row.  Severity: base (or given), +1 in a sensitive zone, -1 in system namespaces.

        Controls: the finding's, less ``drop``, and the CDE controls only where they apply:
        ``cde`` True (all the finding maps), an iterable (those of them), or None (all when
        ``workload`` is in a sensitive zone, else none).
        """
        sev = severity or FINDINGS[finding].severity
        if cde is None:
            cde = bool(workload and self.sensitive(workload))
        keep = set(CDE_CONTROLS) if cde is True else set(cde) if cde else set()
        controls = [c for c in FINDINGS[finding].controls
                    if c not in set(drop) and (c not in CDE_CONTROLS or c in keep)]
        if workload and self.zones is not None:
            evidence = {**evidence, "zone": self.wzone.get(workload)}
            if len(self.wzones.get(workload, ())) > 1:
                evidence["zones"] = list(self.wzones[workload])
            if self.sensitive(workload):
                sev = _shift(sev, 1)
        if system_down and namespace in SYSTEM_NAMESPACES:
            sev = _shift(sev, -1)
        self.rows.append(
            {
                "finding": finding,
                "severity": sev,
                "namespace": namespace,
                "name": name,
                "detail": detail,
                "controls": controls,
                "evidence": evidence,
            }
        )

    def selected(self, pol: NetworkPolicy) -> list[Any]:
        """The running pods the policy selects (pods that ran to completion are no longer there)."""
        return [p for p in self.running_by_ns.get(pol.namespace, ())
                if self._matches(pol.pod_selector, p, pol.namespace)]

    def _matches(self, sel: LabelSelector, pod: Any, pinned_to: str | None) -> bool:
        labels = self.ns_labels.get(pod.namespace, {"kubernetes.io/metadata.name": pod.namespace})
        return knp_matches(sel, pod, labels, pinned_to, self.cilium)

    def peer_matches_any(self, pol: NetworkPolicy, peer: Peer) -> bool:
        """Whether a pod peer of ``pol`` matches some running pod (an ``ipBlock`` peer: False).
        Peers alike (same namespaces, same selectors) are judged once."""
        if peer.ip_block is not None:
            return False
        sel = peer.namespace_selector
        pinned = pol.namespace if sel is None else None
        key = (pinned, sel, peer.pod_selector)
        got = self._peer_any.get(key)
        if got is None:
            if sel is None:
                namespaces = [pol.namespace]
            else:
                if sel not in self._ns_of:
                    self._ns_of[sel] = [n for n, labels in self.ns_labels.items() if sel.matches(labels)]
                namespaces = self._ns_of[sel]
            got = self._peer_any[key] = any(
                peer.pod_selector is None or self._matches(peer.pod_selector, p, pinned)
                for n in namespaces for p in self.running_by_ns.get(n, ())
            )
        return got


    def peer_pods(self, pol: NetworkPolicy, peer: Peer) -> list[Any]:
        """The running pods a pod peer of ``pol`` matches (an ``ipBlock`` peer: none)."""
        if peer.ip_block is not None:
            return []
        sel = peer.namespace_selector
        pinned = pol.namespace if sel is None else None
        namespaces = ([pol.namespace] if sel is None
                      else [n for n, labels in self.ns_labels.items() if sel.matches(labels)])
        return [p for n in namespaces for p in self.running_by_ns.get(n, ())
                if peer.pod_selector is None or self._matches(peer.pod_selector, p, pinned)]


# ------------------------------------------------------------------------------ snapshot checks


def _verb(subjects: list[str], singular: str) -> str:
    """``allows`` after one subject, ``allow`` after several."""
    return singular if len(subjects) == 1 else singular[:-1]


_RANK = {"unrestricted": 0, "reopened": 1, "partial": 2, "cluster-wide": 3}


class _Isolation:
    """The engine's posture of every running pod (:mod:`k8sviz.policy.posture`, the table
    ``reach`` keeps), with the names of the policies behind it: Calico's tier ends named by the
    tier's policies that select the pod."""

    def __init__(self, ctx: _Ctx, reach: Any):
        self.ctx = ctx
        self.posture: PostureTable = reach._postures()
        self.admin = {policy_ref(a) for a in ctx.snap.admin_policies}
        self._wide: PostureTable | bool | None = False

    def side(self, pod: Any, direction: str) -> ClassSide | None:
        return self.posture.side(pod.key, direction)

    def names(self, pod: Any, refs: Iterable[str], direction: str) -> list[str]:
        return self.posture.policy_names(pod, refs, direction)

    def wide(self) -> PostureTable | None:
        """The posture under the cluster-scoped policies alone (None without any): what
        isolates a namespace's pods whatever its own policies."""
        if self._wide is False:
            snap = _cluster_wide_snapshot(self.ctx.snap)
            if snap is None:
                self._wide = None
            else:
                import k8sviz

                opts = {"ipblocks_match_pods": bool(getattr(self.posture.reach, "ipblocks_match_pods",
                                                            False))}
                self._wide = k8sviz.reachability(snap, **opts)._postures()
        return self._wide  # type: ignore[return-value]


def _engine_reach(snapshot: Snapshot, reach: Any) -> Any:
    """``reach`` when it is the engine's result for ``snapshot``, else the engine's result for
    it (a stand-in given for the connections does not say how the policies isolate)."""
    if reach is not None and getattr(reach, "_engine", None) is not None and reach.snapshot is snapshot:
        return reach
    import k8sviz

    return k8sviz.reachability(snapshot,
                               ipblocks_match_pods=bool(getattr(reach, "ipblocks_match_pods", False)))


def _cluster_wide_snapshot(snapshot: Snapshot) -> Snapshot | None:
    """``snapshot`` with the cluster-scoped policies only (admin tiers, Calico
    GlobalNetworkPolicy, CiliumClusterwideNetworkPolicy), or None when it has none: what
    isolates a namespace's pods without any policy of their own."""
    calico = tuple(p for p in snapshot.calico_policies if not p.namespace)
    cilium = tuple(p for p in snapshot.cilium_policies if not p.namespace)
    if not (snapshot.admin_policies or calico or cilium):
        return None
    return dataclasses.replace(snapshot, network_policies=(), calico_policies=calico, cilium_policies=cilium)


def _isolation(ctx: _Ctx, iso: _Isolation) -> None:
    """no-ingress-isolation / no-egress-isolation: per workload and direction, its running pods
    that the engine leaves (partly) to the default allow, or that policies select only to allow
    everything; pods isolated by admin-tier policies alone are noted, low."""
    for wl, members in sorted(ctx.pods_by_wl.items()):
        pods = [p for p in members if not p.host_network and not p.terminated]
        if not pods:
            continue  # hostNetwork: reported as host-network; ended pods send and receive nothing
        first = pods[0]
        for d, fid in (("ingress", "no-ingress-isolation"), ("egress", "no-egress-isolation")):
            flagged = []
            for p in pods:
                s = iso.side(p, d)
                assert s is not None
                if s.state != "isolated":
                    flagged.append((p, s, s.state))
                elif all(r in iso.admin for r in s.deny_by):
                    flagged.append((p, s, "cluster-wide"))
            if not flagged:
                continue
            state = min((f[2] for f in flagged), key=_RANK.__getitem__)
            worst = [(p, s) for p, s, st in flagged if st == state]
            p0, s0 = worst[0]
            keys = [p.key for p, _, _ in flagged]
            n = counted(len(keys), "pod")
            head = f"{first.workload_kind} {wl}"
            deny = iso.names(p0, s0.deny_by, d)
            allow = iso.names(p0, s0.allow_by, d)
            admin = [r for r in deny if r in iso.admin] if state == "cluster-wide" else []
            ev: dict[str, Any] = {"workload": wl, "pods": keys, "direction": d, "admin_policies": admin,
                                  "posture": state}
            sev = None
            if state == "unrestricted":
                detail = (f"{head}: no NetworkPolicy with policyTypes {d.capitalize()} selects {n}, so all "
                          f"{d} "
                          "traffic is allowed")
            elif state == "reopened":
                detail = (f"{head}: policies select {n} for {d}, but {', '.join(allow[:5])} "
                          f"{_verb(allow, 'allows')} every peer on every port, so all {d} traffic is allowed "
                          "(a default deny counts for nothing "
                          "here)")
                ev["allowed_by"] = allow
            elif state == "partial":
                peers = iso.posture.peers(s0)
                side = "from" if d == "ingress" else "to"
                detail = (f"{head}: {', '.join(deny[:5])} {_verb(deny, 'decides')} part of the {d} traffic "
                          f"of {n}, but no policy isolates it: {d} {side} "
                          f"{', '.join(peers[:5])}{' ...' if len(peers) > 5 else ''} "
                          "is allowed for want of a policy"
                          + (" (admin-tier peers cover no address outside the cluster unless they name "
                             "networks)"
                             if any(r in iso.admin for r in deny) else ""))
                ev["denied_by"] = deny
                ev["open_to"] = peers
            else:
                # A cluster-wide default-deny covers it (a baseline "deny all", say): not "all
                # traffic allowed", but the namespace owners have no policy of their own.
                detail = (f"{head}: no NetworkPolicy with policyTypes {d.capitalize()} selects {n}; a "
                          "cluster-wide "
                          f"default-deny from admin policies covers its {d} ({', '.join(admin)}; "
                          "reach.explain says what they decide)")
                sev = "low"
            ctx.add(fid, first.namespace, first.workload, detail, ev, workload=wl, severity=sev)


def _namespaces(ctx: _Ctx, iso: _Isolation) -> None:
    pols: dict[str, list[NetworkPolicy]] = defaultdict(list)
    for pol in ctx.snap.network_policies:
        pols[pol.namespace].append(pol)
    scope = ctx.snap.namespace_scope
    for ns in ctx.snap.namespaces:
        if scope is not None and ns.name not in scope:
            continue  # its policies were not listed: unknown, not "none"
        live = [p for p in ctx.pods_by_ns.get(ns.name, []) if not p.terminated]
        judged = [p for p in live if not p.host_network]
        workloads = sorted({p.workload_key for p in live})
        if not pols[ns.name]:
            _without_policy(ctx, iso, ns.name, live, judged, workloads)
            continue
        deny: dict[str, list[str]] = {"ingress": [], "egress": []}
        labels = ctx.ns_labels.get(ns.name, {"kubernetes.io/metadata.name": ns.name})
        for pol in pols[ns.name]:
            # A default deny is about the namespace's pods now and later: a selector that
            # happens to match today's pods leaves the next one open, one every pod's Cilium
            # identity satisfies does not.
            if not knp_selects_every_pod(pol.pod_selector, ns.name, labels, ctx.cilium):
                continue
            if pol.affects_ingress and not pol.ingress:
                deny["ingress"].append(pol.key)
            if pol.affects_egress and not pol.egress:
                deny["egress"].append(pol.key)
        reopened: dict[str, list[str]] = {}
        for d in ("ingress", "egress"):
            found: dict[str, None] = {}
            for p in judged:
                s = iso.side(p, d)
                if s is not None and s.state == "reopened":
                    found.update(dict.fromkeys(iso.names(p, s.allow_by, d)))
            if found:
                reopened[d] = list(found)
        missing = [d for d in ("ingress", "egress") if not deny[d] or d in reopened]
        if not missing:
            continue
        # What the cluster-scoped policies alone decide for its pods, as if it had none.
        wide = iso.wide() if judged else None
        admin: dict[str, list[str]] = {d: [] for d in missing}
        if wide is not None:
            for d in missing:
                sides = [(p, wide.side(p.key, d)) for p in judged]
                if d not in reopened and all(s is not None and s.isolated for _, s in sides):
                    admin[d] = sorted({r for p, s in sides for r in iso.names(p, s.deny_by, d)})  # type: ignore[union-attr]
        covered = all(admin.values())
        absent = [d for d in missing if not deny[d]]
        text = f"namespace {ns.name} has {counted(len(pols[ns.name]), 'policy', 'policies')}"
        if absent:
            text += (f" but no default-deny for {' and '.join(absent)} (a policy selecting every pod the "
                     f"namespace has or will have, podSelector {{}}, and no {'/'.join(absent)} rules)")
        for i, (d, by) in enumerate(reopened.items()):
            text += (f"{'; ' if absent or i else ', but '}its default-deny for {d} ({', '.join(deny[d])}) is "
                     "re-opened "
                     f"by {', '.join(by[:5])}, which {_verb(by, 'allows')} every peer on every port")
        if covered:
            text += ("; a cluster-wide default-deny covers it ("
                     + ", ".join(sorted({a for v in admin.values() for a in v})) + ")")
        ctx.add(
            "namespace-without-default-deny",
            ns.name,
            ns.name,
            text,
            {
                "missing": missing,
                "policies": sorted(p.key for p in pols[ns.name]),
                "default_deny": deny,
                "reopened_by": reopened,
                "admin_policies": admin,
            },
            severity="low" if covered or not workloads else None,
        )


def _without_policy(ctx: _Ctx, iso: _Isolation, ns: str, live: list[Any], judged: list[Any],
                    workloads: list[str]) -> None:
    """namespace-without-policy: no NetworkPolicy in ``ns``.  High when some of its workloads
    are unrestricted (no policy of any dialect decides anything for them, or they run on the
    host network), low when other policies (Calico, Cilium, cluster-wide ones) decide for all."""
    unrestricted = {p.workload_key for p in live if p.host_network}
    others: dict[str, None] = {}
    for p in judged:
        sides = {d: iso.side(p, d) for d in ("ingress", "egress")}
        if all(s is not None and s.state == "unrestricted" for s in sides.values()):
            unrestricted.add(p.workload_key)
        for d, s in sides.items():
            if s is not None:
                others.update(dict.fromkeys(iso.names(p, s.deny_by, d)))
    if workloads and not unrestricted:
        ctx.add(
            "namespace-without-policy",
            ns,
            ns,
            f"namespace {ns} has no Kubernetes NetworkPolicy; policies of other dialects or cluster-wide "
            "ones "
            f"decide its pods' traffic ({', '.join(list(others)[:5])}{' ...' if len(others) > 5 else ''}; "
            "the no-*-isolation findings say where they leave it open)",
            {"workloads": workloads, "policies": 0, "cni_policies": sorted(others)},
            severity="low",
            cde=any(ctx.sensitive(w) for w in workloads),
        )
        return
    if workloads:
        some = "" if len(unrestricted) == len(workloads) else f" of its {len(workloads)}"
        rest = f" (other policies decide for the rest: {', '.join(list(others)[:5])})" if others else ""
        state = f"; {len(unrestricted)}{some} workload(s) are unrestricted{rest}"
    elif ctx.snap.pods:
        state = " (no workloads today)"
    else:
        state = " (its workloads were not in the input)"
    ctx.add(
        "namespace-without-policy",
        ns,
        ns,
        f"namespace {ns} has no NetworkPolicy{state}",
        {"workloads": workloads, "policies": 0, "unrestricted": sorted(unrestricted),
         **({"cni_policies": sorted(others)} if others else {})},
        severity=None if workloads or not ctx.snap.pods else "low",
        cde=any(ctx.sensitive(w) for w in workloads),
    )


def _unevaluated(ctx: _Ctx) -> None:
    """Policies outside the engine: every reachability-based row may be wrong where they apply."""
    for p in ctx.snap.unevaluated_policies:
        where = f"in {p.namespace}" if p.namespace else "cluster-wide"
        ctx.add(
            "policy-not-evaluated",
            p.namespace,
            p.name,
            f"{p.label_kind} ({p.api_version}) is enforced by the cluster but not evaluated by k8sviz: "
            f"connectivity, isolation, exposure and zone findings for the pods it selects {where} "
            "may not hold",
            {"policy": p.key, "kind": p.kind, "apiVersion": p.api_version,
             **({"not_judged": list(p.unsupported)}
                if isinstance(p, CalicoPolicy | CiliumPolicy | NetworkPolicy) else {})},
            system_down=False,
        )


#: Findings that state the absence of NetworkPolicies: unknowable when they could not be read.
_ABSENCE = (
    "no-ingress-isolation", "no-egress-isolation", "namespace-without-policy",
    "namespace-without-default-deny"
)

#: Findings about pods, or about what policies select or allow between pods: without any pod
#: in the snapshot they are not checked (see :func:`gaps`).
_NEED_PODS = (
    "no-ingress-isolation", "no-egress-isolation", "host-network", "privileged", "host-port",
    "calico-reserved-label", "internet-ingress", "internet-egress", "metadata-egress",
    "policy-selects-nothing",
    "rule-peer-matches-nothing", "rule-port-matches-nothing", "redundant-rule", "zone-violation",
    "observed-but-policy-denies", "dropped-but-policy-allows", "denied-at-l7", "allowed-but-unused",
)
_NO_PODS = "the input holds no pods (nor workloads to synthesise them from)"


def _unread(ctx: _Ctx) -> None:
    for plural, state in ctx.snap.unread_policies.items():
        if state == "not-in-input":
            detail = (
                "no NetworkPolicy is in the input: if the cluster has some, the dump left them out "
                "(an empty kubectl list cannot be told from a missing one); every finding takes them as empty"
            )
        else:
            skipped = ""
            if plural == "networkpolicies":
                skipped = " (the isolation and default-deny findings were not evaluated)"
            detail = (
                f"{plural} could not be read ({state}): unknown, not empty; reachability, exposure and "
                f"zone findings take them as empty{skipped}"
            )
        ctx.add("policies-not-read", None, plural, detail, {"resource": plural, "coverage": state})


def _host(ctx: _Ctx) -> None:
    seen: set[tuple[str, str]] = set()
    for p in ctx.snap.pods:
        checks = []
        if p.host_network:
            checks.append(
                (
                    "host-network",
                    f"{p.workload_key} runs in the node's network namespace: NetworkPolicy does "
                    "not apply to it, and it can reach anything the node can, every pod on its node "
                    "included whatever their NetworkPolicies (the API lets a pod's own node in)",
                )
            )
        if p.privileged:
            checks.append(
                (
                    "privileged",
                    f"{p.workload_key} runs privileged containers that can alter their network "
                    "namespace (iptables, interfaces) and escape policy enforcement",
                )
            )
        if p.host_ports:
            checks.append(
                (
                    "host-port",
                    f"{p.workload_key} binds hostPort {', '.join(map(str, p.host_ports))}: "
                    "reachable on the node addresses, where pod policies may not apply",
                )
            )
        for fid, detail in checks:
            if (fid, p.workload_key) in seen:
                continue
            seen.add((fid, p.workload_key))
            members = ctx.pods_by_wl[p.workload_key]
            pods = [q.key for q in members]
            ev = {"workload": p.workload_key, "pods": pods}
            if fid == "host-port":
                ev["host_ports"] = list(p.host_ports)
            ended = [q.key for q in members if q.terminated]
            if ended:
                # Admission (CIS 5.2) is about the pod spec: a pod that ran to completion was
                # admitted all the same, and its controller (a CronJob...) may run it again.
                ev["terminated"] = ended
                if len(ended) == len(pods):
                    detail += (f" (its {counted(len(pods), 'pod')} {'has' if len(pods) == 1 else 'have'} "
                               "terminated: nothing runs now, but the spec was admitted and its controller "
                               "may run it again)")
            # Outside the boundary no matter where: kube-system does not lower it.
            ctx.add(fid, p.namespace, p.workload, detail, ev, workload=p.workload_key, system_down=False)


def _calico_state(snap: Snapshot) -> tuple[str, str]:
    """``(severity, clause)`` of a reserved label that changes what Calico matches: high where
    the snapshot shows Calico; medium where it shows no CNI (a dump rarely proves which runs);
    info where it shows Cilium and no Calico, whose selectors give such labels no meaning."""
    signs = snap.calico_signs
    if signs:
        return "high", f"the snapshot shows Calico ({'; '.join(signs)})"
    if snap.runs_cilium:
        return "info", "the snapshot shows Cilium, not Calico: it matters only if Calico enforces policy too"
    return "medium", "the snapshot does not show which CNI enforces policy: it matters if it is Calico"


def _claims_text(claims: list[_reserved.Claim]) -> str:
    return "; ".join(f"{c.label}={c.value} makes it match as if {c.seen_as}" for c in claims)


def _claims_evidence(claims: list[_reserved.Claim], read_by: dict[str, list[str]]) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "labels": {c.label: c.value for c in claims},
        "seen_as": {c.label: c.seen_as for c in claims},
    }
    like = sorted({n for c in claims for n in c.namespaces})
    if like:
        ev["could_pass_as_namespaces"] = like
    readers = sorted({r for c in claims if c.effective for r in read_by.get(c.label, ())})
    if readers:
        ev["read_by"] = readers
    return ev


_RESERVED_WHY = (
    "Calico reads an endpoint's own labels before those its namespace (pcns.) and ServiceAccount "
    "(pcsa.) give it, in its own policies and in the NetworkPolicies and admin policies "
    "(AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy) it converts to them "
    "(namespaceSelectors, an admin policy's subject's too, read as pcns.<key>), while k8sviz "
    "evaluates those as the Kubernetes API defines them"
)


def _reserved_labels(ctx: _Ctx) -> None:
    """Pods and network sets carrying the labels Calico reserves for namespace and
    ServiceAccount identity (see :mod:`k8sviz.analysis._reserved`)."""
    snap = ctx.snap
    ns_labels = {n.name: {**n.labels, "kubernetes.io/metadata.name": n.name} for n in snap.namespaces}
    read_by = _reserved.readers(snap)
    severity, state = _calico_state(snap)
    by_wl: dict[str, dict[tuple[str, str], _reserved.Claim]] = defaultdict(dict)
    for p in snap.pods:
        for c in _reserved.pod_claims(p, ns_labels):
            by_wl[p.workload_key].setdefault((c.label, c.value), c)
    for wl, found in sorted(by_wl.items()):
        claims = list(found.values())
        members = ctx.pods_by_wl[wl]
        first = members[0]
        effective = [c for c in claims if c.effective]
        ev = {"workload": wl, "pods": [q.key for q in members], **_claims_evidence(claims, read_by)}
        if effective:
            ignored = [c.label for c in claims if not c.effective]
            also = f" ({', '.join(ignored)}: written over by the conversion, no effect)" if ignored else ""
            detail = (f"{wl} carries labels Calico reserves: {_claims_text(effective)}{also}. "
                      f"{_RESERVED_WHY}; {state}")
            ev["calico"] = list(snap.calico_signs)
            sev = severity
        else:
            detail = (f"{wl} carries labels Calico reserves, which its conversion writes over: "
                      + "; ".join(f"{c.label}={c.value}" for c in claims)
                      + "; they change no match, but show a mistake or an attempt")
            sev = "info"
        # An identity claim is no platform need: kube-system does not lower it.
        ctx.add("calico-reserved-label", first.namespace, first.workload, detail, ev, severity=sev,
                workload=wl, system_down=False)
    for s in snap.network_sets:
        claims = _reserved.set_claims(s, ns_labels)
        if not claims:
            continue
        kind = "NetworkSet" if s.namespace else "GlobalNetworkSet"
        key = f"{s.namespace}/{s.name}" if s.namespace else s.name
        detail = (f"{kind} {key} carries labels Calico reserves, so Felix matches its addresses as endpoints "
                  f"{'; '.join(c.seen_as for c in claims)} "
                  f"({', '.join(f'{c.label}={c.value}' for c in claims)}); only a policy author's mistake or "
                  "an attempt to pass addresses off as those endpoints "
                  "explains them")
        ev = {"network_set": f"{kind}/{key}", **_claims_evidence(claims, read_by)}
        # A network set is a Calico object: Calico is there by definition.
        ctx.add("calico-reserved-label", s.namespace, s.name, detail, ev, severity="high", system_down=False)


def _rule_ref(pol: NetworkPolicy, direction: str, i: int) -> str:
    return f"{pol.key} {direction}[{i}]"


def _is_any_cidr(peer: Peer) -> bool:
    if peer.ip_block is None or peer.ip_block.except_:
        return False
    return ipaddress.ip_network(peer.ip_block.cidr, strict=False).prefixlen == 0


def _rules(pol: NetworkPolicy) -> Iterable[tuple[str, int, PolicyRule]]:
    if pol.affects_ingress:
        for i, r in enumerate(pol.ingress):
            yield "ingress", i, r
    if pol.affects_egress:
        for i, r in enumerate(pol.egress):
            yield "egress", i, r


def _dead_dialect_policies(ctx: _Ctx) -> None:
    """policy-selects-nothing for the admin tiers, Calico and Cilium (evaluated ones)."""
    if not (ctx.snap.admin_policies or ctx.snap.calico_policies or ctx.snap.cilium_policies):
        return
    from .inventory import policy_inventory

    inv = policy_inventory(ctx.snap)
    dead = inv[inv["dialect"].isin(("admin", "calico", "cilium")) & inv["evaluated"]
               & (inv["selected_pods"] == 0)]
    # A GlobalNetworkPolicy may be meant for host endpoints, which a snapshot does not hold;
    # a cluster-scoped policy's pods may be outside a namespace-scoped snapshot.
    dead = dead[dead["kind"] != "GlobalNetworkPolicy"]
    if ctx.snap.namespace_scope is not None:
        dead = dead[dead["namespace"] != ""]
    for row in dead.itertuples(index=False):
        ctx.add(
            "policy-selects-nothing",
            row.namespace or None,
            row.name,
            f"policy {row.policy} applies to no running pod; it is dead (or mistyped) and misleads reviewers",
            {"policy": row.policy, "dialect": row.dialect},
        )


def _missing_annotations(ctx: _Ctx, required: tuple[str, ...]) -> None:
    """policy-missing-annotations: the ruleset standard the zones file states (PCI DSS 1.2.1)."""
    from .inventory import policy_inventory

    inv = policy_inventory(ctx.snap)
    for row in inv.itertuples(index=False):
        missing = [k for k in required if not str(row.annotations.get(k, "")).strip()]
        if missing:
            ctx.add(
                "policy-missing-annotations",
                row.namespace or None,
                row.name,
                f"policy {row.policy} has no {', '.join(missing)} annotation (required by the zones file)",
                {"policy": row.policy, "missing": missing},
            )


def _broad_rules(ctx: _Ctx, pods_known: bool = True) -> None:
    """allow-all-rule, policy-selects-nothing, rule-peer-matches-nothing.  Without pods, only
    the rules' own breadth is judged (every policy may select pods the input left out)."""
    for pol in ctx.snap.network_policies:
        selected = ctx.selected(pol)
        wls = sorted({p.workload_key for p in selected})
        into_sensitive = [w for w in wls if ctx.sensitive(w)]
        if not selected and pods_known:
            ctx.add(
                "policy-selects-nothing",
                pol.namespace,
                pol.name,
                f"policy {pol.key} podSelector [{pol.pod_selector}] matches no running pod in "
                f"{pol.namespace}; "
                "it is dead (or mistyped) and misleads reviewers",
                {"policy": pol.key, "pod_selector": str(pol.pod_selector)},
            )
        for direction, i, rule in _rules(pol):
            ref = _rule_ref(pol, direction, i)
            ports = "all ports" if rule.all_ports else ", ".join(map(str, rule.ports or ()))
            side = "from" if direction == "ingress" else "to"
            reasons: list[tuple[str, str]] = []
            if rule.all_peers:
                reasons.append(
                    ("high" if rule.all_ports else "medium", f"no '{side}': every peer incl. the internet")
                )
            for j, peer in enumerate(rule.peers or ()):
                ns_any = peer.namespace_selector is not None and peer.namespace_selector.is_empty
                if ns_any and (peer.pod_selector is None or peer.pod_selector.is_empty):
                    reasons.append(
                        (
                            "high" if rule.all_ports else "low",
                            f"{side}[{j}] namespaceSelector {{}}: every pod of every namespace",
                        )
                    )
                elif _is_any_cidr(peer):
                    reasons.append(("medium", f"{side}[{j}] ipBlock {peer.ip_block}: every address"))
                elif (
                    rule.all_ports
                    and direction == "ingress"
                    and into_sensitive
                    and (peer.namespace_selector is not None or peer.ip_block is not None)
                ):
                    reasons.append(
                        (
                            "high",
                            f"{side}[{j}] {peer}: all ports from outside the namespace into sensitive zone",
                        )
                    )
                elif rule.all_ports and peer.namespace_selector is not None:
                    reasons.append(("low", f"{side}[{j}] {peer}: all ports across namespaces"))
                if pods_known and peer.ip_block is None and not ctx.peer_matches_any(pol, peer):
                    ctx.add(
                        "rule-peer-matches-nothing",
                        pol.namespace,
                        pol.name,
                        f"{ref} {side}[{j}] ({peer}) matches no running pod today",
                        {
                            "policy": pol.key,
                            "direction": direction,
                            "rule": i,
                            "peer": j,
                            "peer_text": str(peer),
                        },
                    )
            if pods_known and selected:
                _named_ports_unresolved(ctx, pol, direction, i, rule, selected)
            if not reasons or (pods_known and not selected):
                continue
            sev = min((r[0] for r in reasons), key=SEVERITIES.index)
            if into_sensitive and direction == "ingress":
                sev = _shift(sev, 1)
            ctx.add(
                "allow-all-rule",
                pol.namespace,
                pol.name,
                f"{ref} ({ports}) allows "
                + "; ".join(r[1] for r in reasons)
                + (f"; selects {', '.join(into_sensitive)} in a sensitive zone" if into_sensitive else ""),
                {
                    "policy": pol.key,
                    "direction": direction,
                    "rule": i,
                    "ports": ports,
                    "selects": wls,
                    "reasons": [r[1] for r in reasons],
                },
                severity=sev,
                # into the CDE (an ingress rule of its pods) or out of it (an egress rule)
                cde=(["PCI-1.3.1" if direction == "ingress" else "PCI-1.3.2"] if into_sensitive else False),
            )


def _named_ports_unresolved(
    ctx: _Ctx, pol: NetworkPolicy, direction: str, i: int, rule: PolicyRule, selected: list[Any]
) -> None:
    """rule-port-matches-nothing: named ports of a rule that no container of the pods it
    would apply to names (with that protocol).  A Deployment renaming its port closes the
    connection with no policy edited; the rule then allows nothing on that port."""
    named = [pp for pp in rule.ports or () if isinstance(pp.port, str)]
    if not named:
        return
    if direction == "ingress":
        pods = selected
    elif rule.all_peers:
        pods = [p for ps in ctx.running_by_ns.values() for p in ps]
    else:
        pods = [p for peer in rule.peers or () for p in ctx.peer_pods(pol, peer)]
    if not pods:
        return  # no pod to look it up on: rule-peer-matches-nothing says so where it applies
    unresolved = [pp for pp in named if not any((pp.port, pp.protocol) in p.named_port_numbers for p in pods)]
    if not unresolved:
        return
    keys = sorted({p.workload_key for p in pods})
    shown = ", ".join(keys[:3]) + (" ..." if len(keys) > 3 else "")
    ports = [str(pp) for pp in unresolved]
    whom = "it selects" if direction == "ingress" else "its peers match"
    ctx.add(
        "rule-port-matches-nothing",
        pol.namespace,
        pol.name,
        f"{_rule_ref(pol, direction, i)} names port{'s' if len(ports) > 1 else ''} {', '.join(ports)}, "
        f"which no container of the {counted(len(pods), 'pod')} {whom} ({shown}) names: the rule "
        "allows nothing on it (a renamed containerPort? give the name the pods use, or the number)",
        {"policy": pol.key, "direction": direction, "rule": i, "ports": ports, "pods_looked_up": keys[:20]},
    )


# ------------------------------------------------------------------------------ reach checks


def _group_external(
    own: np.ndarray,
    peer: np.ndarray,
    proto: np.ndarray,
    port: np.ndarray,
    mask: np.ndarray,
    tables: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> dict[str, dict[str, Any]]:
    """``{endpoint: {"blocks": first 20 distinct blocks, "n_blocks": distinct blocks, "ports":
    {protocol: ranges}}}`` over the rows in ``mask``, on codes: ``own`` (the internal
    endpoint), ``peer`` (the external block), ``proto`` and ``port`` (the port list) are per row
    codes into ``tables`` = (endpoint names, protocol names, port lists).  Blocks are in order
    of first appearance; each distinct (endpoint, protocol, port list) is parsed once."""
    import pandas as pd

    names, protos, lists = tables
    rows = np.flatnonzero(mask)
    if not len(rows):
        return {}
    g, uniq = pd.factorize(own[rows])
    # Rows are per protocol: a block open on TCP and UDP is one block of evidence, not two.
    pair = first_seen(row_codes(g, peer[rows]))
    firsts, fg = rows[pair], g[pair]
    del pair
    counts = np.bincount(fg, minlength=len(uniq))
    order = np.argsort(fg, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    blk = names[peer[firsts[order]]]
    out: dict[str, dict[str, Any]] = {}
    for k, s0, n in zip(names[uniq].tolist(), starts.tolist(), counts.tolist(), strict=True):
        out[k] = {"blocks": blk[s0 : s0 + min(n, 20)].tolist(), "n_blocks": n, "ports": {}}
    keep = first_seen(row_codes(g, proto[rows], port[rows]))
    for k, p, r in zip(names[uniq[g[keep]]].tolist(), protos[proto[rows[keep]]].tolist(),
                       port[rows[keep]].tolist(), strict=True):
        d = out[k]["ports"]
        d[p] = _ports.union(d.get(p, ()), _ports.parse(lists[r]))
    return out


def _str_column(col: pd.Series) -> np.ndarray:
    """``col.astype(str)`` as an object array; a categorical column (the engine's protocol) by
    its few categories, not row by row."""
    import pandas as pd

    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy()
        if not len(codes) or codes.min() >= 0:
            cats = np.asarray(pd.Series(col.cat.categories).astype(str), dtype=object)
            return cats[codes]
    return np.asarray(col.astype(str), dtype=object)


def _coded(col: pd.Series, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(_str_column(col)[rows])`` up to the numbering: per row a code into the
    returned names; a categorical column (the engine's protocol) by its codes."""
    import pandas as pd

    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy()[rows]
        if not len(codes) or codes.min() >= 0:
            return codes.astype(np.int64), np.asarray(pd.Series(col.cat.categories).astype(str), dtype=object)
    codes, uniq = pd.factorize(_str_column(col.iloc[rows]))
    return codes, np.asarray(uniq, dtype=object)


def _external(ctx: _Ctx, reach: Any, edges: pd.DataFrame) -> None:
    import pandas as pd

    exposed = exposure(ctx.snap)
    unread = exposure_unread(ctx.snap)  # exposure through these is unknown, not absent
    unenforced = {
        p.workload_key for k in getattr(reach, "unenforced", ()) if (p := ctx.snap.pod(k)) is not None
    }
    # The rows with one external end, column by column (not a copy of the whole frame), as codes:
    # the engine's own endpoint and port-list numbers when ``edges`` is its frame (no hashing of
    # every row's name), else the codes of factorized names.
    from_ext = np.asarray(edges["src_type"] == "external")
    ext = np.flatnonzero(from_ext != np.asarray(edges["dst_type"] == "external"))
    inbound = from_ext[ext]
    del from_ext
    ec = _engine_codes(reach, edges, "workload")
    if ec is not None:
        src, dst, names = ec.src[ext].astype(np.int64), ec.dst[ext].astype(np.int64), ec.names
        port, lists = ec.ports[ext].astype(np.int64), ec.port_lists
    else:
        both, uniq = pd.factorize(np.concatenate([edges["src"].to_numpy(dtype=object)[ext],
                                                  edges["dst"].to_numpy(dtype=object)[ext]]))
        src, dst, names = both[: len(ext)], both[len(ext):], np.asarray(uniq, dtype=object)
        objs = edges["ports"].to_numpy(dtype=object)[ext]
        port, at = pd.factorize(object_ids(objs))
        lists = objs[first_seen(port)] if len(port) else objs[:0]
        del both, objs, at
    proto, protos = _coded(edges["protocol"], ext)
    del ext
    peer = np.where(inbound, src, dst)
    own = np.where(inbound, dst, src)
    del src, dst
    # Each distinct block is classified once, and rows read their block's kind by code (a
    # table over all codes: no sort of millions of rows).
    present = np.zeros(len(names), dtype=bool)
    present[peer] = True
    blocks = np.flatnonzero(present)
    kinds = [classify_block(b) for b in names[blocks].tolist()]
    is_internet, is_meta = np.zeros(len(names), dtype=bool), np.zeros(len(names), dtype=bool)
    is_internet[blocks] = [k[0] == "internet" for k in kinds]
    is_meta[blocks] = [k[1] for k in kinds]
    internet, meta = is_internet[peer], is_meta[peer]
    del present, blocks, is_internet, is_meta
    tables = (names, protos, lists)
    ext_in = _group_external(own, peer, proto, port, inbound & internet, tables)
    ext_out = _group_external(own, peer, proto, port, ~inbound & internet, tables)
    meta_out = _group_external(own, peer, proto, port, ~inbound & meta, tables)

    def ports_of(d: dict[str, Any]) -> list[str]:
        return [f"{p}/{r}" for p, rs in sorted(d["ports"].items()) for r in _ports.fmt(rs)]

    def split(key: str) -> tuple[str, str]:
        ns, _, name = key.partition("/")
        return ns, name

    parts: dict[str, tuple[str, ...]] = {}  # block -> its public part, computed once

    def public(blocks: list[str]) -> list[str]:
        """The globally routable part of the blocks (evidence: ``::/1`` is internet for 2000::/3)."""
        out: list[str] = []
        for b in blocks:
            got = parts.get(b)
            if got is None:
                got = parts[b] = tuple(public_part(b))
            for part in got:
                if len(out) == 20:
                    return [*out, "..."]
                if part not in out:
                    out.append(part)
        return out

    for wl, d in sorted(ext_in.items()):
        if wl in unenforced:
            continue
        ns, name = split(wl)
        how = exposed.get(wl, [])
        sev = "high" if how else "medium"
        approved, unapproved = _approved_entry(ctx, wl, d["ports"])
        pub = public(d["blocks"])
        text = f"{wl} accepts {', '.join(ports_of(d))} from internet addresses ({_sample(pub)})"
        if how:
            text += f"; exposed by {'; '.join(how)}"
        elif unread:
            text += (f"; whether a Service or Ingress exposes it is unknown ({exposure_unread_text(unread)} "
                     "not read)")
        else:
            text += "; not exposed by a Service/Ingress today"
        drop: tuple[str, ...] = ()
        if approved and not unapproved:
            # An approved public entry (PCI 1.4.2 allows exactly these): evidence, not a gap;
            # into the CDE it stays a 1.4.4 finding at its severity.
            text += f"; an approved public entry ({', '.join(approved)})"
            drop = ("PCI-1.4.2",)
            if not ctx.sensitive(wl):
                sev = "info"
        elif approved:
            text += f"; approved ({', '.join(approved)}) except {', '.join(unapproved)}"
        ctx.add(
            "internet-ingress",
            ns,
            name,
            text,
            {
                "workload": wl,
                "ports": ports_of(d),
                "blocks": d["blocks"],
                "n_blocks": d["n_blocks"],
                "public_blocks": pub,
                "exposed_by": how,
                "approved_by": approved,
                "unapproved_ports": unapproved,
                **({"exposure_unknown": sorted(unread)} if unread and not how else {}),
            },
            severity=sev,
            workload=wl,
            drop=drop,
        )
    for wl, d in sorted(ext_out.items()):
        if wl in unenforced:
            continue
        ns, name = split(wl)
        pub = public(d["blocks"])
        ctx.add(
            "internet-egress",
            ns,
            name,
            f"{wl} may connect to internet addresses ({_sample(pub)}) on {', '.join(ports_of(d))}",
            {"workload": wl, "ports": ports_of(d), "blocks": d["blocks"], "n_blocks": d["n_blocks"],
             "public_blocks": pub},
            workload=wl,
        )
    for wl, d in sorted(meta_out.items()):
        if wl in unenforced:
            continue
        ns, name = split(wl)
        tcp = d["ports"].get("TCP", ())
        sev = "high" if _ports.contains(tcp, 80) else "medium"
        ends = [str(ip) for ip in METADATA_IPS if any(_holds(b, ip) for b in d["blocks"])]
        ctx.add(
            "metadata-egress",
            ns,
            name,
            f"{wl} may reach the cloud metadata endpoint {' and '.join(ends)} on {', '.join(ports_of(d))}"
            + ("" if sev == "high" else " (not on 80, where most metadata services listen)"),
            {"workload": wl, "ports": ports_of(d), "block": d["blocks"][0], "endpoints": ends},
            severity=sev,
            workload=wl,
        )


def _approved_entry(ctx: _Ctx, wl: str, ports: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The allow rules ``external -> zone`` (valid on the judged date) that approve internet
    ingress into ``wl`` on ``ports`` (``{protocol: ranges}``), and the ports none approves; in
    every zone of a workload whose pods are in several.  Without zones nothing is approved."""
    if ctx.zones is None or ctx.today is None:
        return [], [f"{p}/{r}" for p, rs in sorted(ports.items()) for r in _ports.fmt(rs)]
    rules: dict[str, None] = {}
    left: list[str] = []
    for zone in ctx.wzones.get(wl, ("unzoned",)):
        for proto, ranges in sorted(ports.items()):
            cov = ctx.zones.coverage("external", zone, proto, ranges, ctx.today)
            rules.update(dict.fromkeys(r.ref for r in cov.rules))
            left += [f"{proto}/{r}" for r in _ports.fmt(cov.uncovered)]
    return list(rules), list(dict.fromkeys(left))


def _sample(items: list[str], n: int = 3) -> str:
    shown = [i for i in items if i != "..."]
    more = len(shown) > n or "..." in items
    return ", ".join(shown[:n]) + (" ..." if more else "")


def _holds(block: str, ip: Any) -> bool:
    try:
        net = ipaddress.ip_network(str(block).split()[0], strict=False)
    except (ValueError, IndexError):
        return False
    return net.version == ip.version and ip in net


def _redundant(ctx: _Ctx, reach: Any) -> None:
    import pandas as pd

    try:
        rf = rule_frame(reach, "workload")
    except (AttributeError, NotImplementedError):
        return
    # NetworkPolicy rules only: they add up, so a rule whose connections others admit too can
    # go. Rules of ordered tiers (admin, Calico) may shadow or be shadowed by a Deny between them.
    rf = rf[rf["policy"].isin({p.key for p in ctx.snap.network_policies})]
    if not len(rf):
        return
    policy = rf["policy"].to_numpy(dtype=object)
    direction = rf["direction"].to_numpy(dtype=object)
    index = rf["rule"].to_numpy()
    rule = row_codes(policy, direction, index)
    conn = row_codes(direction, rf["src"].to_numpy(dtype=object), rf["dst"].to_numpy(dtype=object),
                  rf["protocol"].to_numpy(dtype=object))
    # Port lists are shared objects: each is parsed once.
    lists = rf["ports"].to_numpy(dtype=object)
    pcode, _ = pd.factorize(object_ids(lists))
    _, at = np.unique(pcode, return_index=True)
    ranges = object_array(_ports.parse(lists[r]) for r in at.tolist())
    empty = np.fromiter((not rs for rs in ranges), dtype=bool, count=len(ranges))
    # A rule with ports on a connection that no other rule admits is decisive whatever else is
    # removed: only the other rules are tried below, against every rule on their connections.
    alone = (np.bincount(conn)[conn] == 1) & ~empty[pcode]
    decisive = np.zeros(int(rule.max()) + 1, dtype=bool)
    decisive[rule[alone]] = True
    tried = ~decisive[rule]
    if not tried.any():
        return
    shared = np.zeros(int(conn.max()) + 1, dtype=bool)
    shared[conn[tried]] = True
    rows = np.flatnonzero(shared[conn])
    keys: dict[int, tuple[str, str, int]] = {}
    per_rule: dict[tuple[str, str, int], list[tuple[int, _ports.Ranges]]] = defaultdict(list)
    per_conn: dict[int, list[tuple[tuple[str, str, int], _ports.Ranges]]] = defaultdict(list)
    for r, rc, cc, t, rs in zip(rows.tolist(), rule[rows].tolist(), conn[rows].tolist(), tried[rows].tolist(),
                                ranges[pcode[rows]].tolist(), strict=True):
        rk = keys.get(rc)
        if rk is None:
            rk = keys[rc] = (policy[r], direction[r], int(index[r]))
        if t:
            per_rule[rk].append((cc, rs))
        per_conn[cc].append((rk, rs))
    # Greedy, so that the flagged rules can all be removed together (two identical rules are
    # each covered by the other; only one of them is redundant).  Smaller rules are tried first.
    removed: set[tuple[str, str, int]] = set()
    for rk, conns in sorted(per_rule.items(), key=lambda kv: (len(kv[1]), kv[0])):
        covered_by: set[str] = set()
        redundant = True
        for cc, rs in conns:
            others: _ports.Ranges = ()
            for ork, ors in per_conn[cc]:
                if ork != rk and ork not in removed:
                    if _ports.intersect(ors, rs):
                        covered_by.add(f"{ork[0]} {ork[1]}[{ork[2]}]")
                    others = _ports.union(others, ors)
            if _ports.subtract(rs, others):
                redundant = False
                break
        if not redundant:
            continue
        removed.add(rk)
        pol, direction_, i = rk
        ns, _, name = pol.partition("/")
        ctx.add(
            "redundant-rule",
            ns,
            name,
            f"{pol} {direction_}[{i}] is never decisive: all {len(conns)} connection(s) it admits are also "
            f"admitted by {', '.join(sorted(covered_by)[:5])}{' ...' if len(covered_by) > 5 else ''}",
            {
                "policy": pol,
                "direction": direction_,
                "rule": i,
                "connections": len(conns),
                "covered_by": sorted(covered_by),
            },
        )


def _violation_groups(v: pd.DataFrame) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    """Segmentation violations grouped per workload, peer zone and the workload's own zone:
    inbound to the destination (key ``("in", dst, src_zone, dst_zone)``), or outbound to
    external addresses from the source (``("out", src, "external", src_zone)``).  Columns of shared list
    objects are read once per distinct (group, list); the first 20 distinct peers are kept, in row order."""
    import pandas as pd

    groups: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    if not len(v):
        return groups
    # codes, not Python strings: the string columns would cost a new str object per row
    sc, s_u = pd.factorize(v["src"])
    dc, d_u = pd.factorize(v["dst"])
    zsc, zs_u = pd.factorize(v["src_zone"])
    zdc, zd_u = pd.factorize(v["dst_zone"])
    s_u, d_u, zs_u, zd_u = (np.asarray(u, dtype=object) for u in (s_u, d_u, zs_u, zd_u))
    ext = np.flatnonzero(zd_u == "external")
    out = zdc == (ext[0] if len(ext) else -2)
    nsub = max(len(s_u), len(d_u), 1)
    nz = max(len(zs_u), len(zd_u), 1)
    gkey = out.astype(np.int64) * nsub
    gkey += np.where(out, sc, dc)
    gkey *= nz
    gkey += np.where(out, zdc, zsc)
    # and the subject's own zone: a workload split across zones is judged in each of them
    gkey *= nz
    gkey += np.where(out, zsc, zdc)
    codes, _ = pd.factorize(gkey)
    del gkey
    first = np.flatnonzero(first_seen(codes))  # group g first seen at first[g]
    counts = np.bincount(codes)
    info: list[dict[str, Any]] = []
    for f, n in zip(first.tolist(), counts.tolist(), strict=True):
        zs, zd = zs_u[zsc[f]], zd_u[zdc[f]]
        key = ("out", s_u[sc[f]], zd, zs) if out[f] else ("in", d_u[dc[f]], zs, zd)
        info.append(
            groups.setdefault(
                key,
                {
                    "src_zone": zs,
                    "dst_zone": zd,
                    "peers": [],
                    "connections": n,
                    "ports": {},
                    "rules": {},
                    "policies": set(),
                    "expired": set(),
                },
            )
        )
    pcode = np.where(out, dc, sc)
    # the first 20 distinct peers of each group, in row order
    rows = np.flatnonzero(first_seen(row_codes(codes, pcode)))
    g_of = codes[rows]
    order = np.argsort(g_of, kind="stable")
    starts = np.searchsorted(g_of[order], g_of[order])  # where each row's group starts in ``order``
    rank = np.empty(len(rows), dtype=np.int64)
    rank[order] = np.arange(len(rows)) - starts
    rows = rows[rank < 20]
    del order, starts, rank, g_of
    for g, p in zip(codes[rows].tolist(), pcode[rows].tolist(), strict=True):
        f = first[g]
        info[g]["peers"].append(d_u[p] if out[f] else s_u[p])
    del pcode, rows

    def distinct(col: str, *extra: np.ndarray) -> list[int]:
        """Rows with the first occurrence of each (group, list object[, extra...]), leaving out
        the rows whose list is empty (they add nothing)."""
        lists = v[col].to_numpy(dtype=object)
        ic, _ = pd.factorize(object_ids(lists))
        at = np.flatnonzero(first_seen(ic))  # a row holding each object
        full = np.fromiter((len(lists[r]) > 0 for r in at.tolist()), dtype=bool, count=len(at))
        rows = np.flatnonzero(full[ic])
        key = row_codes(codes[rows], ic[rows], *(e[rows] for e in extra))
        return rows[first_seen(key)].tolist()

    pc, p_u = pd.factorize(v["protocol"])
    p_u = np.asarray(p_u, dtype=object)
    col = v["ports"].to_numpy(dtype=object)
    for r in distinct("ports", pc):
        info[codes[r]]["ports"].setdefault(p_u[pc[r]], set()).update(col[r])
    col = v["expired_exceptions"].to_numpy(dtype=object)
    for r in distinct("expired_exceptions"):
        info[codes[r]]["expired"].update(col[r])
    rules = v["rules"].to_numpy(dtype=object)
    policies = v["policies"].to_numpy(dtype=object)
    for r in distinct("rules"):  # row order: rule texts keep their first-seen order
        info[codes[r]]["rules"].update(dict.fromkeys(rules[r]))
    for r in distinct("policies"):
        info[codes[r]]["policies"].update(policies[r])
    return groups


def _agree_with(seg: Any, zones: Zones | None, today: Any, snapshot: Snapshot) -> tuple[Zones, Any]:
    """The zones and date of a given segmentation, checked against those given beside it."""
    from .segmentation import Segmentation

    if not isinstance(seg, Segmentation):
        raise QueryError(f"segmentation must come from k8sviz.segmentation(), got {type(seg).__name__}")
    judged = seg.snapshot
    if judged is not None and judged is not snapshot and judged.sha256 != snapshot.sha256:
        raise QueryError(
            f"segmentation was computed from another snapshot ({as_written(judged.meta.get('cluster'))}, "
            f"{len(judged.pods)} pods) than the one given ({as_written(snapshot.meta.get('cluster'))}, "
            f"{len(snapshot.pods)} pods)"
        )
    if zones is not None and (zones.zones, zones.allow) != (seg.zones.zones, seg.zones.allow):
        raise QueryError("segmentation was computed with other zones than the ones given")
    if today is not None and resolve_today(today) != seg.today:
        raise QueryError(f"segmentation was judged on {seg.today.isoformat()}, not on {today}")
    return seg.zones, seg.today


def _zone_violations(ctx: _Ctx, reach: Any, zones: Zones, today: Any, seg: Any = None) -> None:
    from .segmentation import segmentation

    if seg is None:
        with zone_warnings_left_out():  # gaps warned of its zones
            seg = segmentation(ctx.snap, reach, zones, today=today)
    v = seg.violations
    groups = _violation_groups(v)
    del v
    judged = seg.today.isoformat()
    src: str | None
    dst: str | None
    for (way, subject, _, _), g in sorted(groups.items()):
        zs, zd = g["src_zone"], g["dst_zone"]
        ns, _, name = str(subject).partition("/")
        ports = [
            f"{p}/{r}" for p, rs in sorted(g["ports"].items()) for r in _ports.fmt(_ports.parse(sorted(rs)))
        ]
        rules = list(g["rules"])
        opened = (f"opened by {', '.join(rules)}" if rules
                  else "open because no policy isolates this path (default allow)")
        one_peer = g["peers"][0] if len(g["peers"]) == 1 else None
        host_side, far_side = (subject, one_peer) if way == "out" else (one_peer, subject)
        host_pods = ctx.pods_by_wl.get(str(host_side), [])
        if (not rules and host_pods and all(p.host_network for p in host_pods)
                and any(reach.isolated(p.key, "ingress") for p in ctx.pods_by_wl.get(str(far_side), [])
                        if not p.host_network)):
            # Its pods are their nodes, and the API lets a pod's own node in whatever the
            # pod's policies: no rule opened this, and none can close it.
            opened = ("open because its pods run on their nodes' network, and the API lets a pod's own node "
                      "in whatever the pod's NetworkPolicies (the destination's pods share nodes with it; no "
                      "NetworkPolicy can close this)")
        sev = "high"
        if zones.is_sensitive(zd) or zones.is_sensitive(zs):
            sev = "critical"
        elif "unzoned" in (zs, zd) or "external" in (zs, zd):
            sev = "medium"
        peers = g["peers"]
        n = g["connections"]
        if way == "in":
            who = peers[0] if len(peers) == 1 else f"{len(peers)}{'+' if len(peers) == 20 else ''} sources"
            text = f"{who} ({zs}) -> {subject} ({zd})"
            src, dst = (peers[0] if len(peers) == 1 else None), subject
        else:
            text = (f"{subject} ({zs}) -> {peers[0] if len(peers) == 1 else f'{len(peers)} external blocks'} "
                    f"({zd})")
            src, dst = subject, (peers[0] if len(peers) == 1 else None)
        split = [f"{w}'s pods are in zones {', '.join(ctx.wzones[w])}"
                 for w in dict.fromkeys((src, dst, subject))
                 if w is not None and len(ctx.wzones.get(w, ())) > 1]
        ctx.add(
            "zone-violation",
            ns,
            name,
            f"{text} {', '.join(ports)} is not covered by an allow rule ({n} connection(s)); {opened}"
            + (f"; expired exception(s) {', '.join(sorted(g['expired']))}" if g["expired"] else "")
            + (f" ({'; '.join(split)}: judged in each)" if split else ""),
            {
                "src": src,
                "dst": dst,
                "peers": peers,
                "connections": n,
                "src_zone": zs,
                "dst_zone": zd,
                "ports": ports,
                "rules": rules,
                "policies": sorted(g["policies"]),
                "expired_exceptions": sorted(g["expired"]),
                "judged_on": judged,
            },
            severity=sev,
            system_down=False,
            # inbound to the CDE (PCI 1.3.1) or outbound from it (1.3.2), as the zones say
            cde=[c for c, z in (("PCI-1.3.1", zd), ("PCI-1.3.2", zs)) if zones.is_sensitive(z)],
        )


# ------------------------------------------------------------------------------ flows


def _flow_key(ns: Any, wl: Any, pod: Any, ip: Any) -> str | None:
    def ok(v: Any) -> bool:
        return v is not None and v == v and str(v) != ""  # not None/NaN/""

    if ok(ns) and ok(wl):
        return f"{ns}/{wl}"
    if ok(ns) and ok(pod):
        return f"{ns}/{pod}"
    return str(ip) if ok(ip) else None


def _jsonable(v: Any) -> Any:
    if v is None or (isinstance(v, float) and v != v):
        return None
    if hasattr(v, "isoformat"):
        try:
            return None if v != v else v.isoformat()
        except (TypeError, ValueError):
            return str(v)
    if isinstance(v, list | tuple) or hasattr(v, "tolist"):
        return [_jsonable(x) for x in (v.tolist() if hasattr(v, "tolist") else v)]
    if hasattr(v, "item"):
        return v.item()
    return v


def _policy_place(ref: str) -> tuple[str | None, str]:
    """``(namespace, name)`` of a policy as rules name it: ``ns/name`` (NetworkPolicy), or with
    its kind first (``CiliumNetworkPolicy/ns/name``, ``GlobalNetworkPolicy/name``...): kinds
    start with a capital, namespaces never do."""
    parts = ref.split("/")
    if parts[0][:1].isupper():
        parts = parts[1:]
    if len(parts) >= 2:
        return parts[0], "/".join(parts[1:])
    return None, parts[0] if parts else ref


def _flows_from_discrepancies(ctx: _Ctx, reach: Any, flows: pd.DataFrame) -> bool:
    """Findings from :func:`k8sviz.flow_discrepancies` (flow tables from ``k8sviz.load_flows``);
    False when it could judge no record."""
    from ..flows import flow_discrepancies

    disc = flow_discrepancies(flows, reach)
    if not disc.attrs.get("k8sviz", {}).get("judged_records", 1):
        return False
    for r in disc.to_dict("records"):
        ev = {k: _jsonable(v) for k, v in r.items()}
        kind = r["kind"]
        ports = ", ".join(map(str, ev.get("ports") or []))
        rule = f"{r['policy']} {r['direction']}[{r['rule']}]" if r.get("policy") else ""
        if kind == "allowed-but-unused":
            ns, name = _policy_place(str(r["policy"]))
            # the rule in words where the frame has them: "ingress[1]" alone named no peer
            said = r.get("rule_text") or rule
            detail = f"{said} ({r['protocol']} {ports}) allows traffic never observed: {r['detail']}"
        else:
            ns, name = _flow_subject(r["src"], r.get("src_type"), r["dst"], r.get("dst_type"))
            src, dst = _end_text(r["src"], r.get("src_type")), _end_text(r["dst"], r.get("dst_type"))
            detail = (
                f"{ev.get('flows')} flow(s) {src} -> {dst} {r['protocol']} {ports}: {r['detail']}"
                + (f"; decided by {rule}" if rule else "")
            )
        ctx.add(kind, ns, name, detail, ev, system_down=False)
    return True


def _end_text(label: Any, typ: Any) -> str:
    """A flow end as a finding's detail names it: its label, with its type after it unless it
    is a pod, a workload or an outside address, since labels of two kinds can be alike (the
    cluster node ``x`` and the workload ``x`` of a namespace called ``node`` are both
    ``node/x``)."""
    if isinstance(typ, str) and typ not in ("pod", "workload", "external", ""):
        return f"{label} ({typ})"
    return str(label)


def _flow_subject(src: Any, src_type: Any, dst: Any, dst_type: Any) -> tuple[str | None, str]:
    """``(namespace, name)`` a flow finding is filed under: the destination when it is a pod or
    workload of the cluster, else the source when that is one (traffic to a node, a Service
    address, a network set or the outside is the sender's), else no namespace and the
    destination's label.  A label's first part is a namespace only for those kinds: a node is
    ``node/<name>``, an outside address an IP."""
    for label, typ in ((dst, dst_type), (src, src_type)):
        if typ in ("pod", "workload"):
            ns, _, name = str(label).partition("/")
            if ns and name:
                return ns, name
    return None, str(dst)


def _flows(ctx: _Ctx, reach: Any, flows: pd.DataFrame, edges: pd.DataFrame) -> bool:
    """The flow findings; False when no record could be judged (then there are none)."""
    if "src_type" in flows.columns and "time" in flows.columns and "num_flows" in flows.columns:
        return _flows_from_discrepancies(ctx, reach, flows)
    df = flows
    cols = set(df.columns)
    g: dict[tuple[str, str, int, str, str], dict[str, Any]] = {}
    observed_pairs: set[tuple[str, str]] = set()
    for row in df.itertuples(index=False):
        r = row._asdict()
        src = _flow_key(r.get("src_namespace"), r.get("src_workload"), r.get("src_pod"), r.get("src_ip"))
        dst = _flow_key(r.get("dst_namespace"), r.get("dst_workload"), r.get("dst_pod"), r.get("dst_ip"))
        port = r.get("dst_port")
        if src is None or dst is None or port is None or port != port:
            continue
        proto = str(r.get("protocol") or "TCP").upper()
        verdict = str(r.get("verdict") or "unknown")
        k = (src, dst, int(port), proto, verdict)
        agg = g.setdefault(k, {"count": 0, "bytes": 0, "first": None, "last": None})
        agg["count"] += 1
        if "bytes" in cols and r.get("bytes") == r.get("bytes") and r.get("bytes") is not None:
            agg["bytes"] += int(r["bytes"])
        t = r.get("time")
        if t is not None and t == t:
            ts = str(t)
            agg["first"] = ts if agg["first"] is None or ts < agg["first"] else agg["first"]
            agg["last"] = ts if agg["last"] is None or ts > agg["last"] else agg["last"]
        observed_pairs.add((src, dst))  # attempted traffic counts as use, whatever the verdict
    cache: dict[tuple[str, str, int, str], bool] = {}
    for (src, dst, port, proto, verdict), agg in sorted(g.items()):
        if verdict not in ("allowed", "denied"):
            continue
        key = (src, dst, port, proto)
        if key not in cache:
            try:
                cache[key] = bool(reach.can_reach(src, dst, port, proto))
            except Exception:
                cache[key] = None  # type: ignore[assignment]
        allows = cache[key]
        if allows is None:
            continue
        ev = {
            "src": src,
            "dst": dst,
            "port": port,
            "protocol": proto,
            "flows": agg["count"],
            "bytes": agg["bytes"],
            "first_seen": agg["first"],
            "last_seen": agg["last"],
        }
        # a hand-built table names an in-cluster end ns/name and anything else by its IP
        ns, name = _flow_subject(src, "workload" if "/" in src else "external",
                                 dst, "workload" if "/" in dst else "external")
        if verdict == "allowed" and not allows:
            ctx.add(
                "observed-but-policy-denies",
                ns,
                name,
                f"{agg['count']} flow(s) {src} -> {dst} {proto}/{port} were forwarded although the policies "
                "deny it",
                ev,
                system_down=False,
            )
        elif verdict == "denied" and allows:
            ctx.add(
                "dropped-but-policy-allows",
                ns,
                name,
                f"{agg['count']} flow(s) {src} -> {dst} {proto}/{port} were dropped although the policies "
                "allow it",
                ev,
                system_down=False,
            )
    if not any(v is not None for v in cache.values()):
        return False  # no record judged: no evidence of use either
    internal = edges[(edges["src_type"] != "external") & (edges["dst_type"] != "external")]
    unused: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in internal.itertuples(index=False):
        if row.src == row.dst or (row.src, row.dst) in observed_pairs:
            continue
        unused[(row.src, row.dst)] += port_text(row.protocol, row.ports)
    for (src, dst), ports in sorted(unused.items()):
        ns, _, name = dst.partition("/")
        ctx.add(
            "allowed-but-unused",
            ns,
            name,
            f"{src} -> {dst} is allowed ({', '.join(ports[:6])}{' ...' if len(ports) > 6 else ''}) but no "
            "flow was observed in the flow window",
            {"src": src, "dst": dst, "ports": ports},
            system_down=False,
        )
    return True


# ------------------------------------------------------------------------------ entry point


def gaps(
    snapshot: Snapshot | None,
    reach: Any = None,
    flows: pd.DataFrame | None = None,
    zones: Zones | str | Any = None,
    *,
    today: dt.date | str | None = None,
    segmentation: Any = None,
) -> pd.DataFrame:
    """Every finding, one row each, mapped to controls and carrying its evidence.

    Parameters
    ----------
    snapshot
        The cluster (``reach.snapshot`` when None).
    reach
        ``k8sviz.reachability(snapshot)``; computed when None.
    flows
        Observed flows.  A table from ``k8sviz.load_flows`` is judged by
        ``k8sviz.flow_discrepancies`` (``allowed-but-unused`` then names the policy rule); any
        other DataFrame with ``src_namespace``, ``src_workload``, ``src_pod``, ``src_ip``,
        ``dst_*`` alike, ``dst_port``, ``protocol``, ``verdict`` (allowed/denied/unknown) and
        optional ``time``/``bytes`` is compared with ``reach.can_reach`` directly
        (``allowed-but-unused`` per workload pair).  Without flows no flow-based finding appears.
        A table without ``dst_port``, or one load_flows mapped to another snapshot, is a
        :class:`~k8sviz.TableError` (an InputError and a QueryError), as in the flow functions.
    zones
        :class:`~k8sviz.analysis.zones.Zones` or a zones YAML path; enables ``zone-violation``
        and weights findings in ``sensitive: true`` zones.
    today
        Date for exception expiry (see :func:`k8sviz.segmentation`).
    segmentation
        A :class:`~k8sviz.analysis.segmentation.Segmentation` already computed from the same
        ``reach``: its zones, date and violations are used instead of computing them again
        (at 50,000 pods that is most of the time).  ``zones`` and ``today`` may then be left
        out; given, they must match it.

    Returns
    -------
    DataFrame with ``finding``, ``severity`` (critical/high/medium/low/info), ``namespace``,
    ``name`` (workload, policy or namespace), ``detail`` (one sentence), ``controls`` (list of
    control ids, see :data:`k8sviz.analysis.controls.CONTROLS`) and ``evidence`` (a dict: the
    policy as ``namespace/name`` and the rule as ``direction``/``rule`` index, ports, pods...),
    sorted by severity.  ``df.attrs["checked"]`` lists the finding ids that were evaluated,
    ``df.attrs["not_checked"]`` maps those left out for want of data to the reason: without
    any pod (nor workload) in the input, the pod-level findings; with flow inputs that hold no
    record, the flow findings (no record is no evidence that nothing is used).

    Notes
    -----
    Severities start at the finding's base (``FINDINGS[id].severity``) and are adjusted per row:

    * one level up when the workload (or the pods a rule selects) is in a zone marked
      ``sensitive: true``; ``zone-violation`` touching a sensitive zone is ``critical``;
    * ``internet-ingress`` is ``high`` when a LoadBalancer/NodePort Service, an external IP, an
      Ingress or a hostPort exposes the workload, ``medium`` otherwise; ``metadata-egress`` is
      ``high`` when TCP 80 is allowed, ``medium`` on other ports only;
    * one level down in ``kube-system``, ``kube-public`` and ``kube-node-lease`` (platform
      components need DNS/API access) -- except ``host-network``, ``privileged`` and
      ``host-port``, which stay as they are: those pods are outside the policy boundary wherever
      they run.
    * hostNetwork pods get ``host-network`` instead of isolation or internet findings: policies do
      not govern them, so "isolated" would be meaningless.
    * ``calico-reserved-label`` is ``high`` where the snapshot shows Calico
      (:attr:`~k8sviz.snapshot.Snapshot.calico_signs`), ``medium`` where it shows no CNI,
      ``info`` where it shows Cilium only, and ``info`` for labels Calico's pod conversion
      writes over; a network set carrying such labels is ``high``.
    """
    import pandas as pd

    snapshot, reach = snapshot_and_reach(snapshot, reach, "gaps")
    # any table of flows with a port will do (see flows above), one of load_flows' too
    require_flows(flows, "gaps", snapshot, columns=("dst_port",))
    if today is not None and today != "":
        # Checked even without zones (then unused): a bad date is a mistake to report, early.
        today = resolve_today(today)
    if zones is not None:
        zones = load_zones(zones)
        if segmentation is None:  # segmentation() warned of its zones already
            warn_empty_zones(zones, snapshot)
    if segmentation is not None:
        zones, today = _agree_with(segmentation, zones, today, snapshot)
    ctx = _Ctx(snapshot, zones)
    if zones is not None:
        ctx.today = resolve_today(today, snapshot)  # for the allow rules that approve public entries
    # Forbidden NetworkPolicies are unknown, never "none": their absence is not a finding.
    refused = snapshot.unread_policies.get("networkpolicies", "not-in-input") != "not-in-input"
    # Without pods (none read, none synthesised from workloads) every pod-level check would
    # pass or fire for want of data: such findings are not checked, and say why.
    pods_known = bool(snapshot.pods)
    not_checked: dict[str, str] = {}
    if not pods_known:
        # Only what was asked for: zone and flow findings need zones and flows anyway.
        asked = {f.id for f in FINDINGS.values() if f.needs in ("snapshot", "reach")
                 or (f.needs == "zones" and zones is not None) or (f.needs == "flows" and flows is not None)}
        not_checked.update(dict.fromkeys((f for f in _NEED_PODS if f in asked), _NO_PODS))
    checked = [f.id for f in FINDINGS.values()
               if f.needs == "snapshot" and not (refused and f.id in _ABSENCE) and f.id not in not_checked]
    reach = get_reach(snapshot, reach)
    if not refused:
        iso = _Isolation(ctx, _engine_reach(snapshot, reach))
        if pods_known:
            _isolation(ctx, iso)
        _namespaces(ctx, iso)
    if pods_known:
        _host(ctx)
    _reserved_labels(ctx)
    _unevaluated(ctx)
    _unread(ctx)
    _broad_rules(ctx, pods_known)
    if pods_known:
        _dead_dialect_policies(ctx)
    if pods_known:
        edges = live_edge_frame(reach, "workload")  # pods that ran to completion send nothing
        _external(ctx, reach, edges)
        _redundant(ctx, reach)
    checked += [f.id for f in FINDINGS.values() if f.needs == "reach" and f.id not in not_checked]
    if zones is not None:
        if pods_known:
            _zone_violations(ctx, reach, zones, today, segmentation)
            checked.append("zone-violation")
        if zones.required_annotations:
            _missing_annotations(ctx, zones.required_annotations)
            checked.append("policy-missing-annotations")
    if flows is not None:
        flow_ids = [f.id for f in FINDINGS.values() if f.needs == "flows"]
        if not pods_known:
            pass  # already not checked, for want of pods
        elif len(flows) == 0:
            # No record read is no evidence of use: "allowed but never observed" would then
            # list every allowed connection.
            not_checked.update(dict.fromkeys(flow_ids, "the flow inputs hold no flow record"))
        elif _flows(ctx, reach, flows, edges):
            checked += flow_ids
        else:
            not_checked.update(dict.fromkeys(
                flow_ids, "no flow record could be mapped to the snapshot and judged against the policies"))
    df = pd.DataFrame(ctx.rows, columns=GAP_COLUMNS)
    if len(df):
        df["_s"] = df["severity"].map(SEVERITIES.index)
        df = df.sort_values(["_s", "finding", "namespace", "name"], kind="stable", ignore_index=True).drop(
            columns="_s"
        )
    df.attrs["checked"] = checked
    df.attrs["not_checked"] = not_checked
    df.attrs["inputs"] = _inputs(snapshot, zones, checked)
    return df


def _policy_kinds_missing(snapshot: Snapshot) -> list[str]:
    """Policy kinds the engine evaluates that are missing from the input (not read, not refused):
    evaluated as if the cluster served none, which an offline dump cannot show."""
    from ..snapshot import EVALUATED_POLICY_PLURALS

    return [p for p in EVALUATED_POLICY_PLURALS
            if snapshot.coverage.get(p) == "not-in-input" and p not in snapshot.unread_policies]


def _inputs(snapshot: Snapshot, zones: Zones | None, checked: list[str]) -> dict[str, Any]:
    """What the findings were judged on, for :func:`k8sviz.controls_summary`: zones, the
    sensitive zones that hold workloads, the ruleset standard, flows, and the resources that
    were not read."""
    sensitive = [z for z, spec in zones.zones.items() if spec.sensitive] if zones is not None else []
    empty = set(zones.empty_zones(snapshot)) if zones is not None else set()
    return {
        "zones": zones is not None,
        "sensitive_zones": [z for z in sensitive if z not in empty],
        "empty_sensitive_zones": [z for z in sensitive if z in empty],
        "required_annotations": bool(zones is not None and zones.required_annotations),
        "flows": "allowed-but-unused" in checked,
        "unread_resources": exposure_unread(snapshot),
        "policy_kinds_not_in_input": _policy_kinds_missing(snapshot),
    }
