"""Who can talk to whom under the snapshot's network policies: queries and tables.

Semantics (Kubernetes NetworkPolicy, networking.k8s.io/v1):

- A pod is isolated for a direction once some policy selects it for that direction; an
  isolated pod accepts (sends) only what some rule of some selecting policy allows.
- A connection needs egress allowed at the source AND ingress allowed at the destination.
- Named ports resolve on the destination pod (for egress rules too), per protocol.
- ipBlocks match external addresses only, unless ``ipblocks_match_pods=True``; ipBlocks that
  cover pod addresses are listed by :meth:`Reachability.ipblocks_covering_pods`.
- hostNetwork pods are not governed by NetworkPolicy: never isolated, listed in
  ``unenforced``; as peers, pod and namespace selectors do not match them and ipBlocks match
  their host address.
- Traffic from a pod's own node is let in whatever the pod's ingress isolation: "traffic is
  allowed to a pod if ... the traffic source is the pod's local node" (NetworkPolicySpec).
  The node's traffic comes from its addresses and from its hostNetwork pods; the exception
  stands where NetworkPolicy does (after the admin tier and earlier Calico tiers, after
  Cilium's explicit denies), see :data:`LOCAL_NODE_PRIORITY`.  Tables list it for hostNetwork
  pods; a node address is an external block there, so ``can_reach``/``explain`` answer for it.
- A pod to itself is not judged: such pairs are left out of tables and ``can_reach``/
  ``explain`` on a pod and itself raise :class:`~k8sviz.errors.QueryError`.
- A workload endpoint ("namespace/workload") stands for all its pods: a workload reaches
  another when ANY pod pair of the two (distinct pods) connects.
"""

from __future__ import annotations

import html
import ipaddress
import numbers
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from .._checks import one_of
from .._text import as_given, as_written, counted
from ..calico_objects import CalicoPolicy, policy_selects
from ..cilium_objects import CiliumPolicy
from ..errors import QueryError
from ..model import PROTOCOLS, IPBlock, LoadWarning, NetworkPolicy, Pod, RawPolicy, live_pod_by_ip
from .admin import (
    ADMIN_TIER,
    BASELINE_TIER,
    admin_blocks,
    admin_named_ports,
    admin_port_cuts,
    translate_admin,
)
from .calico import (
    calico_blocks,
    calico_named_ports,
    calico_port_cuts,
    plan_calico,
    slices_by_service,
    translate_calico,
)
from .cilium import (
    cilium_blocks,
    cilium_fqdn_warnings,
    cilium_named_ports,
    cilium_port_cuts,
    egress_named_ports_cluster_wide,
    requires_on_networkpolicies,
    resolve_egress_named_ports,
    translate_cilium,
    uses_apiserver,
)
from .endpoints import Endpoints
from .engine import CoreRule, EndpointSet, Engine, PortSel, RuleOrigin
from .k8s import K8S_TIER, ipblocks_of, named_ports_used, port_cuts, translate
from .ports import MAX_PORT, PortSpace

if TYPE_CHECKING:
    import pandas as pd

    from ..snapshot import Snapshot
    from .posture import Posture, PostureTable

__all__ = ["Reachability", "RuleMatch", "Side", "Verdict", "reachability"]

Level = Literal["pod", "workload"]
#: Where the node-local ingress exception stands in the NetworkPolicy tier: after Cilium's
#: explicit denies (-1), before every allow and isolation of the tier (0 and up).
LOCAL_NODE_PRIORITY = -0.5
FRAME_COLUMNS = ["src", "dst", "src_namespace", "dst_namespace", "src_type", "dst_type", "protocol", "ports"]
RULE_COLUMNS = ["policy", "direction", "rule", "src", "dst", "protocol", "ports", "src_type", "dst_type"]


@dataclass(frozen=True)
class _Table:
    """Allowed rows as arrays: ``names[src[i]] -> names[dst[i]]``, ``PROTOCOLS[protocol[i]]``,
    ``port_lists[ports[i]]`` (a list of range strings shared by every row with the same set)."""

    names: np.ndarray
    namespaces: np.ndarray
    n_in: int
    src: np.ndarray
    dst: np.ndarray
    protocol: np.ndarray
    ports: np.ndarray
    port_lists: np.ndarray


@dataclass(frozen=True)
class EndpointCodes:
    """The ``src``/``dst`` of a :meth:`Reachability.to_frame` frame as the engine numbers its
    endpoints: ``names[src[i]]`` is row ``i``'s ``src``.  Every name is distinct, so grouping
    these codes groups the names, without hashing millions of strings."""

    src: np.ndarray
    dst: np.ndarray
    names: np.ndarray
    #: ``port_lists[ports[i]]`` is row ``i``'s ``ports`` list, the very object (one per index).
    ports: np.ndarray
    port_lists: np.ndarray


def reachability(snapshot: Snapshot, *, ipblocks_match_pods: bool = False) -> Reachability:
    """Evaluate the snapshot's NetworkPolicies into a :class:`Reachability`.

    Parameters
    ----------
    snapshot : Snapshot
        From :func:`k8sviz.load`.
    ipblocks_match_pods : bool
        Let ipBlock peers match pod IPs too (some CNIs do; the API says ipBlocks are meant
        for cluster-external addresses).  Off by default.
    """
    from .._checks import require_flag, require_snapshot

    require_snapshot(snapshot, "reachability")
    require_flag(ipblocks_match_pods, "reachability", "ipblocks_match_pods")
    return Reachability(snapshot, ipblocks_match_pods=ipblocks_match_pods)


@dataclass(frozen=True)
class RuleMatch:
    policy: str
    direction: str
    rule: int
    text: str
    #: Not a rule of a policy but one of the API's (the node-local ingress exception).
    implicit: bool = False

    def __str__(self) -> str:
        if self.implicit:
            return self.text
        return f"{self.policy} {self.direction}[{self.rule}]: {self.text}"


@dataclass(frozen=True)
class Decision:
    """An admin-tier or baseline rule that matched a connection: ``allow``, ``deny`` or ``pass``."""

    match: RuleMatch
    action: str
    tier: str = ""  # "admin", "NetworkPolicy", "baseline" or "Calico tier <name>"


@dataclass(frozen=True)
class Side:
    """How one direction judged a connection: egress of the source or ingress of the destination.

    In order: ``admin`` (the first admin-tier rule that matched: an allow or deny is final, a
    pass hands over), then NetworkPolicy (``isolated`` by ``policies``, the NetworkPolicies and
    Cilium policies that select the endpoint; ``allowed_by`` every rule of that tier that allows
    the connection, since NetworkPolicy allows add up, up to the tier's first matching deny or
    pass: a Cilium deny, a rule of a Calico policy in the default tier), then ``baseline`` (the
    baseline tier's first matching rule) for pods no NetworkPolicy isolates.  ``admin`` and
    ``baseline`` are named where evaluation reached those tiers; ``policies`` and ``allowed_by``
    are empty where a tier before NetworkPolicy's decided (the admin tier, an earlier Calico tier).
    """

    direction: str
    endpoint: str
    isolated: bool
    policies: tuple[str, ...]
    allowed_by: tuple[RuleMatch, ...]
    note: str = ""  # "hostNetwork: not governed", "external address"
    admin: Decision | None = None
    baseline: Decision | None = None
    #: Every tier's first matching rule, in evaluation order, up to the one that decided (a
    #: tier's closing rule included: "isolation" or Calico's end-of-tier default).
    steps: tuple[Decision, ...] = ()

    @property
    def allowed(self) -> bool:
        if self.note:
            return True
        if self.steps:
            final = next((d for d in self.steps if d.action != "pass"), None)
            return final is None or final.action == "allow"
        if self.admin is not None and self.admin.action != "pass":
            return self.admin.action == "allow"
        if self.isolated:
            return bool(self.allowed_by)
        if self.baseline is not None:
            return self.baseline.action != "deny"  # a baseline Pass leaves it to the default: allowed
        return True

    def lines(self) -> list[str]:
        head = f"{self.direction} of {self.endpoint}: "
        if self.note:
            return [head + f"allowed ({self.note})"]
        word = "allowed" if self.allowed else "DENIED"
        if any(d.tier.startswith(("Calico", "Cilium")) for d in self.steps):
            verbs = {"allow": "allowed", "deny": "denied", "pass": "passed on"}
            out = [head + word]
            out += [f"  {d.tier}: {verbs[d.action]} by {d.match}" for d in self.steps]
            if self.steps[-1].action == "pass":
                out.append("  no tier after it decided: allowed")
            return out
        if self.admin is not None and self.admin.action != "pass":
            return [head + f"{word} by {self.admin.match}"]
        passed = [f"  passed on by {self.admin.match}"] if self.admin is not None else []
        if self.isolated:
            out = [head + word + f"; isolated by {', '.join(self.policies)}", *passed]
            out += [f"  allowed by {m}" for m in self.allowed_by]
            if not self.allowed_by:
                out.append("  no rule of these policies allows it")
            return out
        if self.allowed_by:  # not isolated, yet a rule of its tier allowed it (its own node)
            return [head + f"allowed by {self.allowed_by[0]}", *passed]
        if self.baseline is not None and self.baseline.action == "pass":
            return [head + f"allowed (passed on by {self.baseline.match}; no tier after it)", *passed]
        if self.baseline is not None:
            return [head + f"{word} by {self.baseline.match}", *passed]
        return [head + "allowed (no policy selects it for " + self.direction + ")", *passed]


@dataclass(frozen=True)
class Verdict:
    """The answer to one :meth:`Reachability.explain` query, with the reasons per direction.

    For workload endpoints, ``src``/``dst`` name the pods judged: the first connecting pod
    pair, or the first pair when none connects.
    """

    src: str
    dst: str
    port: int
    protocol: str
    allowed: bool
    egress: Side
    ingress: Side
    notes: tuple[str, ...] = ()  # e.g. an endpoint that has terminated
    #: Cilium ``toFQDNs`` rules that would allow this denied egress to an outside address if
    #: the address were among the DNS answers for their names (which a snapshot does not hold).
    dns_rules: tuple[RuleMatch, ...] = ()

    def __str__(self) -> str:
        word = "ALLOWED" if self.allowed else "DENIED"
        return "\n".join(
            [
                f"{self.src} -> {self.dst} {self.protocol}/{self.port}: {word}",
                *self.egress.lines(),
                *self.ingress.lines(),
                *(f"note: {n}" for n in self.notes),
            ]
        )

    def _repr_html_(self) -> str:
        e = html.escape
        color = "#1a7f37" if self.allowed else "#cf222e"
        word = "ALLOWED" if self.allowed else "DENIED"
        parts = [
            f"<div><b>{e(self.src)}</b> &rarr; <b>{e(self.dst)}</b> {e(self.protocol)}/{self.port}: "
            f"<b style='color:{color}'>{word}</b><ul>"
        ]
        for side in (self.egress, self.ingress):
            lines = side.lines()
            parts.append(f"<li>{e(lines[0])}")
            if len(lines) > 1:
                parts.append("<ul>" + "".join(f"<li>{e(x.strip())}</li>" for x in lines[1:]) + "</ul>")
            parts.append("</li>")
        parts.append("</ul>")
        parts += [f"<p><i>note: {e(n)}</i></p>" for n in self.notes]
        parts.append("</div>")
        return "".join(parts)


class Reachability:
    """Allowed connectivity of a snapshot; build it with :func:`k8sviz.reachability`."""

    def __init__(self, snapshot: Snapshot, *, ipblocks_match_pods: bool = False):
        self.snapshot = snapshot
        self.ipblocks_match_pods = ipblocks_match_pods
        # A NetworkPolicy the snapshot cannot judge (its ``unsupported``) is listed, not evaluated.
        policies = tuple(p for p in snapshot.network_policies if not p.unsupported)
        admin = tuple(snapshot.admin_policies)
        self._blocks = ipblocks_of(policies)
        self.calico = plan_calico(snapshot.calico_policies, snapshot.calico_tiers)
        calico = self.calico.policies
        cilium = tuple(p for p in snapshot.cilium_policies if not p.unsupported)
        cilium_slices = (any(e.services for p in cilium for r in p.rules for e in r.egress)
                           or uses_apiserver(cilium))
        slices = (slices_by_service(snapshot.endpoint_slices)
                  if cilium_slices or any(p.service_refs for p in calico) else {})
        # Where Cilium enforces NetworkPolicies, an ipBlock is a CIDR rule, which never matches
        # the cluster's nodes nor their hostNetwork pods (Cilium's default CIDR match mode).
        runs_cilium = snapshot.runs_cilium
        node_blocks = [IPBlock.host(ip) for n in snapshot.nodes for ip in n.addresses] if runs_cilium else []
        self._ends = Endpoints(
            snapshot.pods,
            snapshot.namespaces,
            [b for *_, b in self._blocks] + admin_blocks(admin, snapshot.nodes)
            + calico_blocks(calico, snapshot.network_sets, slices)
            + cilium_blocks(cilium, snapshot.nodes, snapshot.services, slices)
            + node_blocks,
            ipblocks_match_pods=ipblocks_match_pods,
            # Where Cilium enforces them, NetworkPolicy selectors match identity labels, as
            # Cilium's own do.
            cilium_identities=runs_cilium,
        )
        if runs_cilium:
            self._ends.keep_ipblocks_off(node_blocks)
        cuts = port_cuts(policies, snapshot.pods)
        for extra in (admin_port_cuts(admin, snapshot.pods), calico_port_cuts(calico, snapshot.pods, slices),
                      cilium_port_cuts(cilium, snapshot.pods)):
            for proto, c in extra.items():
                cuts.setdefault(proto, set()).update(c)
        self.ports = PortSpace(cuts)
        named: dict[tuple[str, str], np.ndarray] = {}
        self._init_only: dict[tuple[str, str], list[str]] = {}
        used = sorted(
            named_ports_used(policies) | admin_named_ports(admin) | calico_named_ports(calico)
            | cilium_named_ports(cilium)
        )
        if used:
            # One column per number a pod gives the name (most give one): a policy naming the
            # port matches any of them, as kube-network-policies and Calico match it; where
            # Cilium runs, the last container's number alone, as its agent resolves it.
            found: dict[tuple[str, str], list[tuple[int, tuple[int, ...]]]] = {key: [] for key in used}
            for i, p in enumerate(snapshot.pods):
                for key, numbers in (p.cilium_named_ports if runs_cilium else p.named_port_numbers).items():
                    if key in found:
                        found[key].append((i, numbers))
            self._init_only = _init_only_named_ports(snapshot.pods, set(used))
            for key, hits in found.items():
                cols = max((len(nums) for _, nums in hits), default=1)
                named[key] = np.zeros((self._ends.n, cols), dtype=np.int64)
                for i, nums in hits:
                    named[key][i, : len(nums)] = nums
        admin_rules, admin_warnings = translate_admin(admin, self._ends, self.ports, snapshot.nodes)
        k8s_rules = translate(policies, self._ends, self.ports)
        self._fqdn_rules: list[CoreRule] = []
        self._fqdn_peers = np.zeros(0, dtype=bool)
        self._requires_shadows: list[tuple[CoreRule, CoreRule | None]] = []
        if cilium and runs_cilium:
            # Cilium's fromRequires / toRequires restrict the NetworkPolicies it enforces too.
            k8s_rules, self._requires_shadows = requires_on_networkpolicies(
                k8s_rules, cilium, self._ends, snapshot.pods, snapshot.namespaces, snapshot.nodes)
        rules = admin_rules + k8s_rules
        cilium_rules: list[CoreRule] = []
        if cilium:
            cilium_rules, self._fqdn_rules, self._fqdn_peers, shadows = translate_cilium(
                cilium, self._ends, self.ports, snapshot.pods, snapshot.namespaces, snapshot.nodes,
                snapshot.services, slices, snapshot.cilium_release,
            )
            self._requires_shadows += shadows
            rules += cilium_rules
        self._egress_named: dict[tuple[str, str], tuple[int, ...]] = {}
        #: The egress rules whose named ports were so resolved, each with its ports as written
        #: (resolving replaces them), for explain to say why a named port did or did not match.
        self._egress_named_rules: list[tuple[CoreRule, PortSel]] = []
        if runs_cilium and egress_named_ports_cluster_wide(snapshot.cilium_release):
            # Up to Cilium 1.19 an egress named port is the cluster's one number for the name,
            # for the NetworkPolicies it enforces as for its own policies.
            resolved = [*k8s_rules, *cilium_rules, *self._fqdn_rules]
            self._egress_named_rules = [(r, r.ports) for r in resolved
                                        if r.direction == "egress" and r.ports.named and r.origin is not None]
            self._egress_named = resolve_egress_named_ports(resolved, snapshot.pods, self.ports)
        if snapshot.calico_policies or snapshot.calico_tiers:
            rules += translate_calico(
                self.calico, self._ends, self.ports, snapshot.pods, snapshot.namespaces,
                snapshot.network_sets,
                k8s_rules, {p.key: p.name for p in policies}, snapshot.service_account_labels(), slices,
                cilium_rules,
            )
        self._tier_names: dict[float, str] = {ADMIN_TIER: "admin", K8S_TIER: "NetworkPolicy",
                                              BASELINE_TIER: "baseline"}
        for tier_name, value in self.calico.tier_value.items():
            self._tier_names.setdefault(value, f"Calico tier {tier_name}")
        if snapshot.calico_policies:
            self._tier_names[K8S_TIER] = "Calico tier default (NetworkPolicy)"
        elif cilium:
            self._tier_names[K8S_TIER] = "Cilium (with NetworkPolicy)"
        self._engine = Engine(self._ends.ent_lc, self._ends.n_lc, named, self.ports, rules)
        self._rules: list[CoreRule] = rules
        self.unenforced: tuple[str, ...] = tuple(p.key for p in snapshot.pods if p.host_network)
        self._pod_index = {p.key: i for i, p in enumerate(snapshot.pods)}
        self._by_ip: dict[ipaddress.IPv4Address | ipaddress.IPv6Address, int] | None = None
        self._node_of_ip: dict[ipaddress.IPv4Address | ipaddress.IPv6Address, str] | None = None
        self._local_rows: dict[int, np.ndarray] = {}
        self._covering = self._find_covering()
        warnings = [
            LoadWarning(
                "ipblock-covers-pods",
                f"ipBlock {cidr} in {direction} rule {i} covers {counted(len(hit), 'pod address')}"
                + (" and matches them (ipblocks_match_pods=True)" if ipblocks_match_pods
                   else "; ipBlocks are treated as external-only, so those pods are NOT matched "
                   "(Calico and kube-network-policies do match them, Cilium does not: "
                   "ipblocks_match_pods=True, or --ipblocks-match-pods, judges as the former)"),
                obj=f"NetworkPolicy/{pol}",
            )
            for pol, direction, i, cidr, hit in self._covering
        ]
        if self.unenforced:
            warnings.append(
                LoadWarning(
                    "hostnetwork-unenforced",
                    f"{counted(len(self.unenforced), 'hostNetwork pod')} "
                    f"{'is' if len(self.unenforced) == 1 else 'are'} not governed by NetworkPolicy: "
                    + ", ".join(self.unenforced[:5]) + (" ..." if len(self.unenforced) > 5 else ""),
                )
            )
        for (name, proto), keys in sorted(self._init_only.items()):
            warnings.append(
                LoadWarning(
                    "named-port-init-container",
                    f"the port name {as_written(name)} ({proto}), which policies name, is given only by "
                    f"an init container (a sidecar) of {counted(len(keys), 'pod')} ("
                    + ", ".join(keys[:5]) + (" ..." if len(keys) > 5 else "")
                    + "): judged not to match there, as kube-network-policies resolves named ports (the "
                    "pod's containers only); Calico and Kube-OVN read init containers' ports as well, so "
                    "where they enforce, those rules also allow the port",
                )
            )
        warnings += _egress_named_warnings(self._egress_named, snapshot.cilium_release,
                                           _pods_partly_read(snapshot))
        warnings += admin_warnings
        dual = _dual_stack_warning(snapshot, ipblocks_match_pods)
        if dual is not None:
            warnings.append(dual)
        bare = _addressless_warning(snapshot, ipblocks_match_pods)
        if bare is not None:
            warnings.append(bare)
        warnings += self.calico.warnings
        warnings += cilium_fqdn_warnings(cilium)
        self.unevaluated: tuple[RawPolicy | CalicoPolicy | CiliumPolicy | NetworkPolicy, ...] = (
            snapshot.unevaluated_policies)
        if self.unevaluated:
            warnings.append(
                LoadWarning(
                    "policies-not-evaluated",
                    f"{_describe(self.unevaluated)}: the cluster enforces them as well, so these verdicts "
                    "leave them out and may differ from the cluster's",
                )
            )
        self.unlabelled: tuple[str, ...] = snapshot.namespaces_with_unknown_labels
        if self.unlabelled:
            shown = ", ".join(self.unlabelled[:5]) + (" ..." if len(self.unlabelled) > 5 else "")
            warnings.append(
                LoadWarning(
                    "namespace-labels-unknown",
                    f"the labels of {counted(len(self.unlabelled), 'namespace')} were not read ({shown}): "
                    "namespaceSelectors on labels other than kubernetes.io/metadata.name are judged as "
                    "if those namespaces had none",
                )
            )
        node_state = snapshot.coverage.get("nodes", "ok")
        if node_state != "ok" and any(
            peer.nodes is not None for ap in admin for r in ap.ingress + ap.egress for peer in r.peers
        ):
            warnings.append(
                LoadWarning(
                    "nodes-not-read",
                    f"nodes were not read ({node_state}): admin rules with a nodes peer match only the "
                    f"{counted(len(snapshot.nodes), 'node')} in the snapshot, so their verdicts may differ",
                )
            )
        if snapshot.calico_policies and snapshot.cilium_policies:
            # A cluster enforces the policies of the CNI it runs; the other kind is usually left
            # over from a migration.  Which one runs is not in the objects a snapshot reads.
            warnings.append(
                LoadWarning(
                    "cni-policies-mixed",
                    f"{len(snapshot.calico_policies)} Calico and {len(snapshot.cilium_policies)} Cilium "
                    "policies are both evaluated: a cluster enforces only those of the CNI it runs "
                    "(the other kind is usually left over from a migration), so verdicts may differ "
                    "from the cluster's either way",
                )
            )
        self.unread: dict[str, str] = snapshot.unread_policies
        if self.unread:
            warnings.append(LoadWarning("policies-not-read", unread_text(self.unread)))
        self.warnings: tuple[LoadWarning, ...] = tuple(warnings)

    # ------------------------------------------------------------------ endpoints

    def _find_covering(self) -> list[tuple[str, str, int, str, np.ndarray]]:
        out = []
        for pol, direction, i, block in self._blocks:
            hit = self._ends.pods_in_block(block)
            if len(hit):
                out.append((pol.key, direction, i, str(block), hit))
        return out

    def ipblocks_covering_pods(self) -> list[dict[str, object]]:
        """ipBlock peers whose range covers pod addresses: policy, direction, rule, cidr, pods."""
        pods = self._ends.pods
        return [
            {"policy": p, "direction": d, "rule": i, "cidr": c, "pods": [pods[k].key for k in hit]}
            for p, d, i, c, hit in self._covering
        ]

    def external_blocks(self) -> list[str]:
        """The CIDRs partitioning the IPv4 and IPv6 space that the policies' ipBlocks induce."""
        return list(self._ends.ips.cidrs)

    def _did_you_mean(self, ref: str) -> str:
        """The workloads and pods an unknown endpoint may have meant (see ``did_you_mean``)."""
        from .._text import did_you_mean

        pods = self.snapshot.pods
        return did_you_mean(ref, (p.workload_key for p in pods), (p.key for p in pods))

    def _resolve(self, ref: str, what: str) -> list[int]:
        """Entities behind an endpoint: a pod, a workload's pods, or the owner of an IP."""
        if not isinstance(ref, str) or not ref:
            raise QueryError(f"{what} must be 'namespace/pod', 'namespace/workload' or an IP address, got "
                             f"{as_given(ref)}")
        if "/" in ref and ref in self._pod_index:
            return [self._pod_index[ref]]
        if "/" in ref:
            pods = [i for i, p in enumerate(self.snapshot.pods) if p.workload_key == ref]
            if pods:
                return pods
            if ":" not in ref and not ref.replace(".", "").replace("/", "").isdigit():
                scope = self.snapshot.namespace_scope
                space = ref.split("/", 1)[0]
                if scope is not None and "/" in ref and space not in scope:
                    raise QueryError(
                        f"unknown {what} {as_written(ref)}: namespaced resources were read only in "
                        f"{', '.join(scope)}; what runs in {space} is unknown"
                    )
                raise QueryError(f"unknown {what} {as_written(ref)}: no pod or workload of that name in "
                                 f"the snapshot{self._did_you_mean(ref)}")
        try:
            addr = ipaddress.ip_address(ref)
        except ValueError:
            raise QueryError(
                f"unknown {what} {as_written(ref)}: expected 'namespace/pod', 'namespace/workload' or an "
                f"IP address{self._did_you_mean(ref)}"
            ) from None
        if self._by_ip is None:
            self._by_ip = {
                ipaddress.ip_address(ip): self._pod_index[p.key]
                for ip, p in live_pod_by_ip(self.snapshot.pods).items()
            }
        hit = self._by_ip.get(addr)
        if hit is not None:
            return [hit]
        return [self._ends.n_pods + self._ends.ips.atom_of(str(addr))]

    def _pairs(self, src: str, dst: str) -> list[tuple[int, int]]:
        s, d = self._resolve(src, "source"), self._resolve(dst, "destination")
        n = self._ends.n_pods
        pairs = [(a, b) for a in s for b in d if a != b and (a < n or b < n)]
        if not pairs:
            if all(a >= n for a in s) and all(b >= n for b in d):
                raise QueryError("both endpoints are external addresses: NetworkPolicy does not judge that "
                                 "traffic")
            raise QueryError(f"{src} -> {dst}: a pod to itself is not judged by NetworkPolicy")
        return pairs

    def _atom(self, port: int | str, protocol: str) -> int:
        if not isinstance(protocol, str) or protocol.upper() not in PROTOCOLS:
            raise QueryError(f"invalid protocol {as_given(protocol)} (expected TCP, UDP or SCTP)")
        if isinstance(port, str) and port.isdigit():
            port = int(port)
        elif isinstance(port, numbers.Integral) and not isinstance(port, bool):
            port = int(port)  # numpy's integers, as a DataFrame's port column gives them
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= MAX_PORT:
            raise QueryError(f"invalid port {as_given(port)} (expected a number from 1 to 65535)")
        return self.ports.atom(protocol.upper(), port)

    def _bit(self, a: int, b: int, atom: int, node: str | None = None) -> bool:
        """Whether entity ``a`` reaches ``b`` on ``atom``; ``node``: the node ``a`` is (see
        :meth:`_source_node`), whose own pods let it in whatever their isolation."""
        bm = self._engine.bmap
        if node is not None and self._is_local(b, node):
            return bool(int(self._local_row(int(bm[a]))[bm[b], atom // 64]) >> (atom % 64) & 1)
        return bool(int(self._engine.matrix[bm[a], bm[b], atom // 64]) >> (atom % 64) & 1)

    # ------------------------------------------------------------------ the pod's own node

    def _source_node(self, ref: str, ent: int) -> str | None:
        """The node a source is, if it is one: a hostNetwork pod's node, or the node holding
        the address ``ref`` (its Node's addresses, or a pod's ``hostIP`` there)."""
        if ent < self._ends.n_pods:
            p = self._ends.pods[ent]
            return p.node if p.host_network and p.node else None
        if self._node_of_ip is None:
            # Nodes' own addresses first, then what running pods say (their hostIP, and a
            # hostNetwork pod's addresses, which are its node's), then pods that ended: a
            # replaced node's address may be reused by a new one.
            found: dict[ipaddress.IPv4Address | ipaddress.IPv6Address, str] = {}
            pairs = [(ip, n.name) for n in self.snapshot.nodes for ip in n.addresses]
            for ended in (False, True):
                for p in self.snapshot.pods:
                    if p.node and p.terminated == ended:
                        pairs += [(ip, p.node) for ip in (p.host_ip, *(p.ips if p.host_network else ()))
                                  if ip]
            for ip, name in pairs:
                try:
                    found.setdefault(ipaddress.ip_address(ip), name)
                except ValueError:
                    continue
            self._node_of_ip = found
        try:
            return self._node_of_ip.get(ipaddress.ip_address(ref))
        except ValueError:
            return None

    def _is_local(self, ent: int, node: str) -> bool:
        """Whether ``ent`` is a pod that NetworkPolicy governs, on ``node``."""
        if ent >= self._ends.n_pods:
            return False
        p = self._ends.pods[ent]
        return not p.host_network and p.node == node

    def _local_rule(self) -> CoreRule:
        """The node-local exception as a core rule: allow any ingress, first in the tier."""
        every = np.arange(self._engine.n_b)
        rule = CoreRule(K8S_TIER, LOCAL_NODE_PRIORITY, "allow", "ingress",  # type: ignore[arg-type]
                        EndpointSet(everything=True), EndpointSet(everything=True), PortSel(self.ports.all),
                        RuleOrigin("node", "ingress", -1,
                                   "traffic from the pod's own node, which the API lets in "
                                   "whatever the NetworkPolicies"))
        rule.subj_b = rule.peer_b = every
        return rule

    def _local_row(self, src_b: int) -> np.ndarray:
        """Allowed ports ``[B, W]`` from class ``src_b`` to every class, were every destination
        on the source's own node (what :meth:`_bit` reads for the pods that are)."""
        row = self._local_rows.get(src_b)
        if row is None:
            row = self._local_rows[src_b] = self._engine.rows(np.asarray([src_b]), [self._local_rule()])[0]
        return row

    def _local_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Pod pairs (hostNetwork source, pod on its node) that the node-local exception opens
        beyond the matrix, with their allowed port words; None when there are none."""
        if "_local_pairs_found" not in self.__dict__:
            self.__dict__["_local_pairs_found"] = self._find_local_pairs()
        return self.__dict__["_local_pairs_found"]  # type: ignore[no-any-return]

    def _find_local_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        by_node: dict[str, tuple[list[int], list[int]]] = {}
        for i, p in enumerate(self._ends.pods):
            if p.node:
                by_node.setdefault(p.node, ([], []))[0 if p.host_network else 1].append(i)
        src = [np.repeat(h, len(d)) for h, d in by_node.values() if h and d]
        if not src:
            return None
        dst = [np.tile(d, len(h)) for h, d in by_node.values() if h and d]
        s, d = np.concatenate(src).astype(np.int64), np.concatenate(dst).astype(np.int64)
        bm = self._engine.bmap
        bs, bd = bm[s], bm[d]
        classes = np.unique(bs)
        local = np.empty((len(s), self.ports.words), dtype=np.uint64)
        rule = self._local_rule()
        # A few source classes at a time: each row is [B, W] words (128 MiB at most per batch).
        step = max(1, (1 << 24) // max(1, self._engine.n_b * self.ports.words))
        for lo in range(0, len(classes), step):
            batch = classes[lo:lo + step]
            rows = self._engine.rows(batch, [rule])
            which = np.flatnonzero((bs >= batch[0]) & (bs <= batch[-1]))
            local[which] = rows[np.searchsorted(batch, bs[which]), bd[which]]
        more = (local & ~self._engine.matrix[bs, bd]).any(axis=1)
        if not more.any():
            return None
        return s[more], d[more], local[more]

    # ------------------------------------------------------------------ queries

    def can_reach(self, src: str, dst: str, port: int, protocol: str = "TCP") -> bool:
        """Whether ``src`` may open a connection to ``dst`` on ``protocol``/``port``.

        Endpoints are "namespace/pod", "namespace/workload" (True if ANY pod pair of the two
        connects; a pod name wins over a workload of the same name) or an IP address (a
        non-hostNetwork pod's IP stands for that pod; any other address, node and
        hostNetwork addresses included, is external, except that a node's address, like its
        hostNetwork pods, gets into the pods on that node whatever their NetworkPolicies).  ``port`` is a
        number; named ports are resolved by the policies, not by queries.  Raises QueryError for unknown
        endpoints, a bad port or protocol, a pod to itself, or two external addresses.
        """
        atom = self._atom(port, protocol)
        pairs = self._pairs(src, dst)
        nodes = {a: self._source_node(src, a) for a in {a for a, _ in pairs}}
        return any(self._bit(a, b, atom, nodes[a]) for a, b in pairs)

    def explain(self, src: str, dst: str, port: int, protocol: str = "TCP") -> Verdict:
        """Why ``src`` may or may not reach ``dst``: isolation, selecting policies and rules per side."""
        atom = self._atom(port, protocol)
        pairs = self._pairs(src, dst)
        nodes = {a: self._source_node(src, a) for a in {a for a, _ in pairs}}
        a, b = next((p for p in pairs if self._bit(*p, atom, nodes[p[0]])), pairs[0])
        node = nodes[a] if nodes[a] is not None and self._is_local(b, nodes[a]) else None  # type: ignore[arg-type]
        eg = self._side(a, b, atom, "egress")
        ing = self._side(b, a, atom, "ingress", local_node=node)
        n = self._ends.n_pods
        # An address outside the pods is judged as its block: say which block it fell in.
        names = [
            f"{ref} (in {self._ends.name(e)})" if e >= n and ref != self._ends.name(e) else self._ends.name(e)
            for ref, e in ((src, a), (dst, b))
        ]
        notes = tuple(
            f"{p.key} has terminated ({p.phase}): it sends and receives nothing now; "
            "the verdict is what the policies would decide"
            for p in (self._ends.pods[x] for x in (a, b) if x < self._ends.n_pods)
            if p.terminated
        )
        spaces = {self._ends.pods[x].namespace for x in (a, b) if x < self._ends.n_pods}
        relevant = tuple(p for p in self.unevaluated if p.namespace is None or p.namespace in spaces)
        if relevant:
            notes += (
                f"{_describe(relevant)} can apply to this connection (cluster-wide, or in an "
                "endpoint's namespace): the cluster enforces them as well, so its verdict may differ",
            )
        for space in sorted(spaces & set(self.unlabelled)):
            notes += (
                f"the labels of namespace {space} were not read: namespaceSelectors on other labels "
                "than kubernetes.io/metadata.name are judged as if it had none",
            )
        if self.unread:
            notes += (unread_text(self.unread),)
        dns = self._fqdn_matches(a, b, atom, eg)
        notes += tuple(
            f"{m.policy} {m.text.split(':', 1)[0]} allows egress on this port to what DNS answers for its "
            f"names: if {names[1]} is among those addresses when the pod looks them up, the cluster allows "
            "this egress (a snapshot holds no DNS answers)"
            for m in dns
        )
        notes += self._requires_notes(a, b, atom, names)
        notes += self._egress_named_notes(a, b, int(port), protocol.upper(), names)
        if node is not None:
            notes += (f"{names[0]} is {names[1]}'s own node ({node}): the API lets its traffic into the pod "
                      "whatever the pod's NetworkPolicies (kubelet probes come this way)",)
        return Verdict(names[0], names[1], int(port), protocol.upper(), self._bit(a, b, atom, node), eg, ing,
                       notes, dns)

    @property
    def has_dns_rules(self) -> bool:
        """Whether some evaluated Cilium policy allows egress by DNS name (``toFQDNs``)."""
        return bool(self._fqdn_rules)

    def _fqdn_matches(self, a: int, b: int, atom: int, eg: Side) -> tuple[RuleMatch, ...]:
        """The toFQDNs rules that could allow an egress to an outside address denied only for
        want of an allow."""
        if eg.allowed or not self._fqdn_rules or not self._fqdn_peers[b]:
            return ()
        final = next((d for d in eg.steps if d.action != "pass"), None)
        tier = {name: value for value, name in self._tier_names.items()}.get(final.tier) if final else None
        if final is not None and (tier is None or tier < K8S_TIER
                                  or (tier == K8S_TIER and final.match.rule >= 0)):
            # Decided before a toFQDNs allow is reached (an earlier tier, or an explicit deny of
            # its own tier); a baseline deny comes after it, and the default deny after the allows.
            return ()
        bm = self._engine.bmap
        src_b, dst_b = int(bm[a]), np.asarray([int(bm[b])])
        out = []
        for r in self._fqdn_rules:
            if not _member(r.subj_b, src_b):
                continue
            words = self._engine.port_block(r, dst_b)[0]
            if int(words[atom // 64]) >> (atom % 64) & 1:
                assert r.origin is not None
                out.append(RuleMatch(r.origin.policy, "egress", r.origin.index, r.origin.text))
        return tuple(out)

    def _requires_notes(self, a: int, b: int, atom: int, names: Sequence[str]) -> tuple[str, ...]:
        """Where Cilium's ``fromRequires`` / ``toRequires`` keep an entry from matching this
        connection: the entry alone would allow (or deny) it, the requirements of the rules
        selecting the pod leave the other end out."""
        out = []
        bm = self._engine.bmap
        for shadow, restricted in self._requires_shadows:
            subj, other = (a, b) if shadow.direction == "egress" else (b, a)
            if not (_in_set(shadow.subject, subj) and _in_set(shadow.peer, other)):
                continue
            if restricted is not None and _in_set(restricted.peer, other):
                continue
            words = self._engine.port_block(shadow, np.asarray([int(bm[b])]))[0]
            if not int(words[atom // 64]) >> (atom % 64) & 1:
                continue
            assert shadow.origin is not None
            entry, _, why = shadow.origin.text.partition("; ")
            out.append(f"{shadow.origin.policy} {entry.split(':', 1)[0]} would {shadow.action} this "
                       f"{shadow.direction}, but {why}, and {names[1 if subj == a else 0]} does not")
        return tuple(out)

    def _egress_named_notes(self, a: int, b: int, port: int, proto: str, names: Sequence[str]
                            ) -> tuple[str, ...]:
        """Where an egress rule's named port matches this connection, or does not, only because
        Cilium up to 1.19 resolves it over the cluster's pods (see
        :func:`~k8sviz.policy.cilium.resolve_egress_named_ports`) rather than on the destination:
        the cluster's number is ``port`` and ``b`` does not give the name that number, or ``b``
        gives it ``port`` and the cluster's pods give it another number, several or none."""
        if not self._egress_named_rules:
            return ()
        bm = self._engine.bmap
        src_b, dst_b = int(bm[a]), int(bm[b])
        n = self._ends.n_pods
        dst_pod = self._ends.pods[b] if b < n else None
        own = dst_pod.cilium_named_ports if dst_pod is not None else {}
        which = _release_words(self.snapshot.cilium_release)
        partial = _pods_partly_read(self.snapshot)
        verbs = {"allow": ("allows", "allow"), "deny": ("denies", "deny"), "pass": ("passes on", "pass on")}
        out: list[str] = []
        for r, written in self._egress_named_rules:
            if not (_member(r.subj_b, src_b) and _member(r.peer_b, dst_b)):
                continue
            if written.bits & self.ports.range_bits(proto, port, port):
                continue  # the rule names this port by number as well: its name changes nothing
            assert r.origin is not None
            rule = f"{r.origin.policy} egress[{r.origin.index}]"
            does, do = verbs.get(r.action, (r.action, r.action))
            for name, p in written.named:
                if p != proto:
                    continue
                given = self._egress_named.get((name, p), ())
                gives = port in own.get((name, p), ())
                head = (f"{rule} names the port {as_written(name)} ({proto}); {which} the agent resolves an "
                        "egress named port over the whole cluster's pods, not on the destination")
                if given == (port,) and not gives:
                    if dst_pod is None:
                        whose = f"{names[1]} being outside the cluster's pods"
                    elif own.get((name, p)):
                        whose = (f"though {names[1]} gives the name "
                                 f"{', '.join(map(str, sorted(own[(name, p)])))}")
                    else:
                        whose = f"though {names[1]} gives no port that name"
                    text = (f"{head}; there it is {port}, so the rule {does} {proto}/{port} towards every "
                            f"peer, {whose}")
                elif gives and given != (port,):
                    if len(given) > 1:
                        why = (f"pods give it {', '.join(map(str, given))}, a duplicate the agent skips "
                               "(duplicate named ports)")
                    elif given:
                        why = (f"the agent's pods give it {given[0]} (an ended or hostNetwork pod is no "
                               "endpoint)")
                    else:
                        why = "no endpoint gives it (an ended or hostNetwork pod is none)"
                    text = (f"{head}: {why}, so the rule does not {do} {proto}/{port} towards {names[1]}, "
                            f"though {names[1]} gives the name {port}")
                else:
                    continue
                if partial and len(given) <= 1:
                    text += (f"; but {partial}, and the agent counts every pod of the cluster: "
                             "its number may differ")
                out.append(text + " (Cilium 1.20 resolves it on the destination)")
        return tuple(out)

    def _side(self, ent: int, other: int, atom: int, direction: str, local_node: str | None = None) -> Side:
        name = self._ends.name(ent)
        if ent >= self._ends.n_pods:
            return Side(direction, name, False, (), (), "external address, not governed by NetworkPolicy")
        if self._ends.pods[ent].host_network:
            return Side(direction, name, False, (), (), "hostNetwork pod, not governed by NetworkPolicy")
        bm = self._engine.bmap
        b, bo = int(bm[ent]), int(bm[other])
        dst = b if direction == "ingress" else bo

        def matches(r: CoreRule) -> bool:
            if not _member(r.peer_b, bo):
                return False
            words = self._engine.port_block(r, np.asarray([dst]))[0]
            return bool(int(words[atom // 64]) >> (atom % 64) & 1)

        local = self._local_rule() if local_node is not None else None

        def match_of(r: CoreRule) -> RuleMatch:
            assert r.origin is not None
            if r is local:
                return RuleMatch(f"node/{local_node}", direction, -1,
                                 f"its own node {local_node} (the API lets the node's traffic in whatever "
                                 "the pod's NetworkPolicies)", implicit=True)
            return RuleMatch(r.origin.policy, direction, r.origin.index, r.origin.text)

        rules = sorted(
            (r for r in (*self._rules, *((local,) if local is not None else ()))
             if r.direction == direction and r.origin is not None and _member(r.subj_b, b)),
            key=lambda r: (r.tier, r.priority),
        )
        steps: list[Decision] = []
        reached: dict[float, Decision] = {}  # tier -> its first matching rule, for the tiers evaluated
        for tier, group in groupby(rules, key=lambda r: r.tier):
            hit = next((r for r in group if matches(r)), None)
            if hit is not None:
                steps.append(Decision(match_of(hit), hit.action, self._tier_names.get(tier, str(tier))))
                reached[tier] = steps[-1]
                if hit.action != "pass":
                    break
        # The admin and baseline rules named are those evaluation reached: an earlier Calico
        # tier may decide before the admin tier, and any tier before the baseline.
        admin = reached.get(ADMIN_TIER)
        baseline = reached.get(BASELINE_TIER)
        if admin is not None:
            admin = Decision(admin.match, admin.action, "admin")
        if baseline is not None:
            baseline = Decision(baseline.match, baseline.action, "baseline")
        if any(d.action != "pass" and t < K8S_TIER for t, d in reached.items()):
            # Decided before NetworkPolicy's tier: no NetworkPolicy isolates or allows it.
            return Side(direction, name, False, (), (), admin=admin, steps=tuple(steps))
        # Only NetworkPolicies (and Cilium's, which share their tier) isolate: a Calico tier's
        # end ("Tier/default") is no policy.
        k8s = {p.key for p in self.snapshot.network_policies} | {p.ref for p in self.snapshot.cilium_policies}
        policies: list[str] = []
        allowed_by: list[RuleMatch] = []
        stopped = False
        for r in rules:
            if r.tier != K8S_TIER:
                continue
            if r.origin.index < 0 and r.action != "allow":  # type: ignore[union-attr]
                if r.origin.policy in k8s:  # type: ignore[union-attr]
                    policies.append(r.origin.policy)  # type: ignore[union-attr]
            elif not stopped and matches(r):
                # NetworkPolicy allows add up, so every matching one allows it, up to the tier's
                # first matching Deny or Pass (Cilium's denies, Calico's default-tier rules),
                # which stops the connection before any allow after it.
                if r.action == "allow":
                    # One rule of a policy may be several core rules (Cilium's per-node
                    # entities): it is named once.
                    if (m := match_of(r)) not in allowed_by:
                        allowed_by.append(m)
                else:
                    stopped = True
        return Side(
            direction, name, bool(policies), tuple(dict.fromkeys(policies)), tuple(allowed_by),
            admin=admin, baseline=baseline, steps=tuple(steps),
        )

    def _pod(self, pod_key: str) -> int:
        i = self._pod_index.get(pod_key) if isinstance(pod_key, str) else None
        if i is None:
            if not isinstance(pod_key, str):
                raise QueryError(f"pod must be 'namespace/name', got {as_given(pod_key)}")
            pods = sorted(p.key for p in self.snapshot.pods if p.workload_key == pod_key)
            if pods:  # the quick start's names are workloads; these queries take a pod
                more = f" ... ({len(pods)} pods)" if len(pods) > 3 else ""
                raise QueryError(f"unknown pod {as_written(pod_key)}: that is a workload; give one of its "
                                 f"pods: {', '.join(pods[:3])}{more}")
            raise QueryError(f"unknown pod {as_written(pod_key)}")
        return i

    def selecting_policies(self, pod_key: str, direction: str) -> list[str]:
        """Policies that put the pod in default deny for ``direction`` ("ingress"/"egress"):
        NetworkPolicies ("ns/name") and Cilium policies (``kind/ns/name``), then evaluated Calico
        policies (``CalicoPolicy.ref``)."""
        direction = _check_direction(direction)
        i = self._pod(pod_key)
        if self._ends.pods[i].host_network:
            return []
        b = int(self._engine.bmap[i])
        k8s = {p.key for p in self.snapshot.network_policies} | {p.ref for p in self.snapshot.cilium_policies}
        out = list(
            dict.fromkeys(
                r.origin.policy
                for r in self._rules
                if r.direction == direction and r.tier == K8S_TIER and r.origin and r.origin.index < 0
                and r.origin.policy in k8s and _member(r.subj_b, b)
            )
        )
        pod = self._ends.pods[i]
        ns_labels = next((n.labels for n in self.snapshot.namespaces if n.name == pod.namespace), {})
        account = self.snapshot.service_account_labels().get((pod.namespace, pod.service_account
                                                              or "default"), {})
        out += [p.ref for p in self.calico.policies
                if direction.capitalize() in p.types and policy_selects(p, pod, ns_labels, account)]
        return out

    def isolated(self, pod_key: str, direction: str) -> bool:
        """Whether some policy selects the pod for ``direction`` (hostNetwork pods: never).

        This is the API's notion of isolation: a policy that selects the pod only to allow
        every peer on every port still makes it "isolated" here.  :meth:`posture` says what
        the rules of every dialect leave open.
        """
        return bool(self.selecting_policies(pod_key, direction))

    # ------------------------------------------------------------------ posture

    def _postures(self) -> PostureTable:
        """The posture of every judged pod, computed on first use and kept (``k8sviz.gaps``
        given this object reads the same one)."""
        table: PostureTable | None = self.__dict__.get("_posture_table")
        if table is None:
            from .posture import PostureTable

            table = self._posture_table = PostureTable(self)
        return table

    def posture(self, pod_key: str, direction: str) -> Posture:
        """How isolated the pod is for ``direction`` under every dialect's rules.

        Unlike :meth:`isolated` (does a policy select the pod?), this puts every peer (pods,
        nodes, external blocks) and every port through the rules :meth:`can_reach` reads and
        says what they leave: ``unrestricted`` (no rule decides anything), ``reopened``
        (policies select the pod but allow everything), ``partial`` (some peers are left to
        the default allow, listed in ``open_to``) or ``isolated``; ``not-judged`` for a
        hostNetwork pod or one that ended.  See :class:`~k8sviz.policy.posture.Posture`.

        Raises :class:`~k8sviz.errors.QueryError` for an unknown pod or a direction other
        than "ingress" and "egress" (in any case: ``"Ingress"`` is ``"ingress"``).
        """
        direction = _check_direction(direction)
        if not isinstance(pod_key, str):
            raise QueryError(f"pod must be 'namespace/name', got {as_given(pod_key)}")
        return self._postures().posture(self._ends.pods[self._pod(pod_key)], direction)

    def isolation(self, level: Level = "pod") -> pd.DataFrame:
        """:meth:`posture` for every pod (or workload) and direction, as a table.

        One row per pod (``level="pod"``) or workload (``"workload"``) and direction, sorted by
        name, ingress first.  Columns: ``namespace``, ``pod`` and ``workload`` (keys; at workload
        level ``workload`` only), ``direction``, ``state`` (as :meth:`posture`), ``deny_by`` and
        ``allow_by`` (lists of policies), ``open_to`` (for ``partial``: the first 10 peers left
        to the default allow, workloads then external blocks; ``posture`` lists them all) and
        ``not_judged`` (why a row is ``not-judged``: hostNetwork pods, which NetworkPolicy does
        not govern, and pods that ended are listed, not dropped).

        At workload level a row gives the weakest state among the workload's judged pods
        (``unrestricted`` < ``reopened`` < ``partial`` < ``isolated``), ``pods`` (how many
        were judged) and ``pods_in_state`` (how many of them are in that state: fewer when its
        pods differ), with the policies and open peers of those pods; ``not_judged`` counts the
        pods left out, and the state is ``not-judged`` when no pod was judged.

        The analysis is computed on first use and kept; naming the allows of pods the additive
        shortcut judges isolated evaluates their rules in full, once.
        """
        if not one_of(level, ("pod", "workload")):
            raise QueryError(f"level must be 'pod' or 'workload', got {as_given(level)}")
        return self._postures().frame(level)

    # ------------------------------------------------------------------ tables

    def to_frame(self, level: Level = "pod") -> pd.DataFrame:
        """Allowed connections, one row per (src, dst, protocol) with the allowed port ranges.

        Columns: ``src``, ``dst`` (pod or workload key, or an external CIDR from
        :meth:`external_blocks`), ``src_namespace``/``dst_namespace`` (missing, NaN, for external),
        ``src_type``/``dst_type`` ("pod" or "workload", and "external"), ``protocol`` and
        ``ports`` (list of "80" / "8000-8080" strings; every port is ["1-65535"]).  Rows are
        sorted by src, dst (pods/workloads by key, then external blocks in address order)
        and protocol (TCP, UDP, SCTP).  Namespace, type and protocol columns are pandas
        Categoricals (memory at millions of rows; use ``groupby(..., observed=True)``); rows
        sharing a port set share one list object (treat it as read-only).  A workload row
        is the union over its pods; a workload appears with itself when two of its pods
        connect.  Traffic between two external blocks is not listed.
        """
        return self._frame_with_codes(level)[0]

    def _frame_with_codes(self, level: Level) -> tuple[pd.DataFrame, EndpointCodes | None]:
        """:meth:`to_frame`, and its endpoints as codes (None if two endpoints share a name)."""
        import pandas as pd

        t = self._table(level)
        ns_cats = sorted({x for x in t.namespaces if x is not None})
        ns_index = {x: i for i, x in enumerate(ns_cats)}
        # Namespaces as Categoricals too (few values, millions of rows); -1 is external.
        ns_code = np.asarray([ns_index[x] if x is not None else -1 for x in t.namespaces], dtype=np.int32)
        df = pd.DataFrame(index=pd.RangeIndex(len(t.protocol)))
        for col, a in (("src", t.src), ("dst", t.dst)):
            df[col] = pd.Series(t.names[a], dtype=object, copy=False)
            df[f"{col}_namespace"] = pd.Categorical.from_codes(ns_code[a], ns_cats)
            # Three-valued columns are Categoricals (one byte a row at millions of rows).
            df[f"{col}_type"] = pd.Categorical.from_codes((a >= t.n_in).astype(np.int8), [level, "external"])
        df["protocol"] = pd.Categorical.from_codes(t.protocol, list(PROTOCOLS))
        df["ports"] = pd.Series(t.port_lists[t.ports], dtype=object, copy=False)
        distinct = len(set(t.names.tolist())) == len(t.names)
        codes = (EndpointCodes(t.src.astype(np.int32), t.dst.astype(np.int32), t.names, t.ports, t.port_lists)
                 if distinct else None)
        return df[FRAME_COLUMNS], codes

    def _table(self, level: Level) -> _Table:
        """The rows of :meth:`to_frame` as arrays, without pandas (the CLI writes from these)."""
        names, nss, _types, _start, _c_unit, _cnt, n_in_arr = self._units(level)
        u1, u2, rmid, table = self._unit_pairs(level)
        n_p = len(PROTOCOLS)
        has = np.zeros((len(table), n_p), dtype=bool)
        lists: list[list[str] | None] = [None] * (len(table) * n_p)
        for q, words in enumerate(table):
            bits = self.ports.from_words(words)
            for pi, proto in enumerate(PROTOCOLS):
                if self.ports.has(bits, proto):
                    has[q, pi] = True
                    lists[q * n_p + pi] = self.ports.ranges(bits, proto)
        flat = np.flatnonzero(has[rmid])  # row-major: (src, dst) order, then protocol
        rr, pp = (flat // n_p).astype(np.int32), (flat % n_p).astype(np.int8)
        del flat
        port_lists = np.empty(len(lists), dtype=object)
        for i, ranges in enumerate(lists):  # one by one: numpy would read a list of lists as 2-D
            port_lists[i] = ranges
        return _Table(
            names=names,
            namespaces=nss,
            n_in=int(n_in_arr[0]),
            src=u1[rr],
            dst=u2[rr],
            protocol=pp,
            ports=(rmid[rr].astype(np.int64) * n_p + pp).astype(np.int32),
            port_lists=port_lists,
        )

    def _unit_pairs(self, level: Level) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
        """Allowed (src unit, dst unit) pairs in order, each with an index into a mask table.

        Dense over units, a chunk of source units at a time: each chunk ORs the class rows
        of its units, then the class columns of every destination unit.  Chunks stay small
        so their buffers are reused rather than freshly faulted in.
        """
        m = self._engine.matrix
        n_b, w = m.shape[0], m.shape[2]
        names, _nss, _types, start, c_unit, cnt, n_in_arr = self._units(level)
        n_in, n_units = int(n_in_arr[0]), len(names)
        # unit -> classes (CSR, unit-major) and how many of the unit's entities each holds.
        order = np.lexsort((np.repeat(np.arange(n_b), np.diff(start)), c_unit))
        u_cls = np.repeat(np.arange(n_b), np.diff(start))[order]
        u_cnt = cnt[order]
        u_off = np.searchsorted(c_unit[order], np.arange(n_units + 1))
        single = len(u_cls) == n_units
        # A unit with itself: distinct entities only (pods never pair with themselves).
        self_mask = np.zeros((n_units, w), dtype=np.uint64)
        if level != "pod":
            for u in range(n_in):
                a, b = u_off[u], u_off[u + 1]
                if b - a == 1:
                    if u_cnt[a] >= 2:
                        self_mask[u] = m[u_cls[a], u_cls[a]]
                    continue
                for x in range(a, b):
                    for y in range(a, b):
                        if x != y or u_cnt[x] >= 2:
                            self_mask[u] |= m[u_cls[x], u_cls[y]]
        chunk = max(1, (1 << 21) // max(1, n_units * w))
        table: dict[bytes, int] = {}
        masks: list[np.ndarray] = []
        out1, out2, outm = [], [], []
        o_src, o_dst, o_words = self._local_units(level)
        for lo in range(0, n_units, chunk):
            hi = min(n_units, lo + chunk)
            if single:
                rows = m[u_cls[lo:hi]]
                blk = rows[:, u_cls]
            else:
                seg = u_cls[u_off[lo]:u_off[hi]]
                rows = np.bitwise_or.reduceat(m[seg], u_off[lo:hi] - u_off[lo], axis=0)
                blk = np.bitwise_or.reduceat(rows[:, u_cls], u_off[:-1], axis=1)
            d = np.arange(lo, hi)
            blk[d - lo, d] = self_mask[lo:hi]
            a, b = np.searchsorted(o_src, (lo, hi))
            if a < b:  # the node-local pairs of these sources (one entry per unit pair)
                blk[o_src[a:b] - lo, o_dst[a:b]] |= o_words[a:b]
            if hi > n_in:  # external to external is not cluster traffic
                blk[max(lo, n_in) - lo:, n_in:] = 0
            i, j = np.nonzero(blk[:, :, 0] if w == 1 else blk.any(axis=2))  # uint64 view: no bool temp
            if not len(i):
                continue
            uniq, inv = _unique_rows(blk[i, j])
            gid = np.empty(len(uniq), dtype=np.int32)
            for q in range(len(uniq)):
                key = uniq[q].tobytes()
                g = table.get(key)
                if g is None:
                    g = table[key] = len(masks)
                    masks.append(uniq[q].copy())
                gid[q] = g
            out1.append((i + lo).astype(np.int32))
            out2.append(j.astype(np.int32))
            outm.append(gid[inv])
        if not out1:
            e = np.zeros(0, dtype=np.int32)
            return e, e, e, masks
        return np.concatenate(out1), np.concatenate(out2), np.concatenate(outm), masks

    def _local_units(self, level: Level) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The node-local pod pairs (see :meth:`_local_pairs`) as unit pairs of ``level``, one
        entry per pair (a workload's pods OR together), sorted by source unit."""
        w = self.ports.words
        local = self._local_pairs()
        if local is None:
            e = np.zeros(0, dtype=np.int64)
            return e, e, np.zeros((0, w), dtype=np.uint64)
        s, d, words = local
        names = self._units(level)[0]
        n_units = len(names)
        if level == "pod":
            unit = np.arange(len(self._ends.pods), dtype=np.int64)
        else:
            index = {k: i for i, k in enumerate(names[: int(self._units(level)[6][0])])}
            unit = np.asarray([index[p.workload_key] for p in self._ends.pods], dtype=np.int64)
        keys = unit[s] * n_units + unit[d]
        order = np.argsort(keys, kind="stable")
        keys, words = keys[order], words[order]
        first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        return keys[first] // n_units, keys[first] % n_units, np.bitwise_or.reduceat(words, first, axis=0)

    def rule_frame(self, level: Level = "workload") -> pd.DataFrame:
        """Per NetworkPolicy rule, the connections it admits on its side that are also allowed end to end.

        Columns: ``policy, direction, rule, src, dst, protocol, ports`` and ``src_type, dst_type``,
        which hold what :meth:`to_frame` does (``level``, or "external" for a CIDR of
        :meth:`external_blocks`, cluster nodes' addresses included).  Rows by rule (in the
        engine's order), then (src, dst), then protocol.  Rows with the same port set and
        protocol share one ``ports`` list, across rules too.
        """
        import pandas as pd

        # One frame at the end from per-rule arrays: a small frame per rule, thousands of
        # them concatenated, cost most of the time at 50,000 pods (pandas' per-frame overhead).
        pair_a1: list[np.ndarray] = []
        pair_a2: list[np.ndarray] = []
        pair_mask: list[np.ndarray] = []  # per unit pair, its mask's index in ``tables``
        tables: list[np.ndarray] = []  # per rule, its distinct masks
        origins: list[RuleOrigin] = []
        n_masks = 0
        for r in self._rules:
            if r.action != "allow" or r.origin is None:
                continue
            src, dst = self._engine.src_dst(r)
            if not len(src) or not len(dst):
                continue
            blk = self._engine.port_block(r, dst)[None, :, :] & self._engine.matrix[np.ix_(src, dst)]
            i, j = np.nonzero(blk.any(axis=2))
            if not len(i):
                continue
            a1, a2, uniq, rmid = self._rule_unit_pairs(src[i], dst[j], blk[i, j], level)
            if not len(a1):
                continue
            pair_a1.append(a1)
            pair_a2.append(a2)
            pair_mask.append(rmid + n_masks)
            tables.append(uniq)
            n_masks += len(uniq)
            origins.append(r.origin)
        if not origins:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in RULE_COLUMNS})
        names, _, _, _, _, _, n_in_arr = self._units(level)
        n_in = int(n_in_arr[0])
        uniq, inv = _unique_rows(np.concatenate(tables))  # distinct masks of all rules
        has, lists = self._port_lists(uniq)
        mid = inv[np.concatenate(pair_mask)]
        rr, pp = np.nonzero(has[mid])  # row-major: by rule, (src, dst), then protocol
        a1 = np.concatenate(pair_a1)[rr]
        a2 = np.concatenate(pair_a2)[rr]
        rule_of = np.repeat(np.arange(len(origins), dtype=np.int32), [len(a) for a in pair_a1])[rr]
        ports = lists[mid[rr], pp]
        del pair_a1, pair_a2, pair_mask, mid

        def text(values: list[str]) -> Any:
            # taken from the small table: the column pandas makes of these strings (its
            # string dtype where that is the default), without converting one per row
            return pd.Series(np.asarray(values, dtype=object), copy=False).array.take(rule_of)

        cols: dict[str, Any] = {
            "policy": text([o.policy for o in origins]),
            "direction": text([o.direction for o in origins]),
            "rule": np.asarray([o.index for o in origins], dtype=np.int64)[rule_of],
            "src": pd.Series(names[a1], dtype=object, copy=False),
            "dst": pd.Series(names[a2], dtype=object, copy=False),
            "protocol": pd.Categorical.from_codes(pp.astype(np.int8), list(PROTOCOLS)),
            "ports": pd.Series(ports, dtype=object, copy=False),
            "src_type": pd.Categorical.from_codes((a1 >= n_in).astype(np.int8), [level, "external"]),
            "dst_type": pd.Categorical.from_codes((a2 >= n_in).astype(np.int8), [level, "external"]),
        }
        # Columns one at a time: pandas then keeps separate blocks instead of stacking
        # millions of object pointers into one 2-D copy.
        df = pd.DataFrame(index=pd.RangeIndex(len(rr)))
        for c in RULE_COLUMNS:
            df[c] = cols[c]
        return df

    def rule_texts(self) -> dict[tuple[str, str, int], str]:
        """Each allow rule of :meth:`rule_frame` in words: ``(policy, direction, rule)`` ->
        ``"from (pods [app=web] in namespaces [...]) on TCP/80"``, as :meth:`explain` words it."""
        out: dict[tuple[str, str, int], str] = {}
        for r in self._rules:
            o = r.origin
            if r.action == "allow" and o is not None:
                out.setdefault((o.policy, o.direction, o.index), o.text)
        return out

    def _units(self, level: Level) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                            np.ndarray, np.ndarray]:
        """Per level: entity -> unit, unit names/namespaces/types, and class -> units (CSR with counts)."""
        if not one_of(level, ("pod", "workload")):
            raise QueryError(f"level must be 'pod' or 'workload', got {as_given(level)}")
        cache = self.__dict__.setdefault("_unit_cache", {})
        if level in cache:
            return cache[level]
        pods = self._ends.pods
        if level == "pod":
            names = [p.key for p in pods]
            unit_of = list(range(len(pods)))
            nss = [p.namespace for p in pods]
        else:
            keys = sorted({p.workload_key for p in pods})
            idx = {k: i for i, k in enumerate(keys)}
            names = keys
            unit_of = [idx[p.workload_key] for p in pods]
            nss = [k.split("/", 1)[0] for k in keys]
        n_in = len(names)
        ext = self._ends.ips.cidrs
        unit_arr = np.asarray(unit_of + list(range(n_in, n_in + len(ext))), dtype=np.int64)
        n_units = n_in + len(ext)
        cu, cnt = np.unique(self._engine.bmap * n_units + unit_arr, return_counts=True)
        c_cls, c_unit = cu // n_units, cu % n_units
        start = np.searchsorted(c_cls, np.arange(self._engine.n_b + 1))
        out = (
            np.asarray(names + ext, dtype=object),
            np.asarray(nss + [None] * len(ext), dtype=object),
            np.asarray([level] * n_in + ["external"] * len(ext), dtype=object),
            start,
            c_unit,
            cnt,
            np.asarray([n_in]),
        )
        cache[level] = out
        return out

    def _rule_unit_pairs(
        self, b1: np.ndarray, b2: np.ndarray, masks: np.ndarray, level: Level
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Expand class pairs with port masks to unit pairs, sorted by (src, dst): the source
        and destination units, the distinct masks, and each pair's index among them (the OR
        of its class pairs' masks)."""
        names, _, _, start, c_unit, cnt, n_in_arr = self._units(level)
        n_in, n_units = int(n_in_arr[0]), len(names)
        # Distinct masks first (few), so port strings are built once per mask and protocol.
        # Large temporaries are int32 and freed early: fresh pages cost more than the math.
        uniq, mid = _unique_rows(masks)
        mid = mid.astype(np.int32)
        del masks
        size = np.diff(start).astype(np.int64)
        s1, s2 = size[b1], size[b2]
        tot = s1 * s2
        if len(tot) and tot.max() == 1 and tot.min() == 1:  # every class holds one unit
            pair = np.arange(len(b1), dtype=np.int32)
            i1, i2 = start[b1], start[b2]
        else:
            pair = np.repeat(np.arange(len(b1), dtype=np.int32), tot)
            k = np.arange(int(tot.sum()), dtype=np.int64) - np.repeat(np.cumsum(tot) - tot, tot)
            s2p = s2[pair]
            i1 = start[b1][pair] + k // s2p
            i2 = start[b2][pair] + k % s2p
            del k, s2p
        del s1, s2, tot
        u1, u2 = c_unit[i1].astype(np.int32), c_unit[i2].astype(np.int32)
        # External to external is not cluster traffic; a unit to itself needs two distinct
        # entities (different classes, or two in one class); pods never pair with themselves.
        keep = (u1 < n_in) | (u2 < n_in)
        same = u1 == u2
        if level == "pod":
            keep &= ~same
        elif same.any():
            keep &= ~same | (b1[pair] != b2[pair]) | (cnt[i1] >= 2)
        del i1, i2, same
        sel = np.flatnonzero(keep)
        del keep
        key = u1[sel].astype(np.int64) * n_units + u2[sel]
        rmid = mid[pair[sel]]
        del pair, sel, u1, u2
        order = np.argsort(key, kind="stable")
        key, rmid = key[order], rmid[order]
        del order
        if len(key):
            first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            if len(first) != len(key):  # units spanning several classes: OR their masks
                merged = np.bitwise_or.reduceat(uniq[rmid], first, axis=0)
                key = key[first]
                uniq, rmid = _unique_rows(merged)
        return key // n_units, key % n_units, uniq, rmid

    def _port_lists(self, uniq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per distinct mask and protocol: whether it holds ports of that protocol, and their
        ranges: one list object per protocol and ranges, shared by every row that has them
        (the analyses key caches on the list's ``id``)."""
        has = np.zeros((len(uniq), len(PROTOCOLS)), dtype=bool)
        lists = np.empty((len(uniq), len(PROTOCOLS)), dtype=object)
        shared: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        for q in range(len(uniq)):
            bits = self.ports.from_words(uniq[q])
            for pi, proto in enumerate(PROTOCOLS):
                if self.ports.has(bits, proto):
                    has[q, pi] = True
                    ranges = self.ports.ranges(bits, proto)
                    lists[q, pi] = shared.setdefault((proto, tuple(ranges)), ranges)
        return has, lists

    # ------------------------------------------------------------------ display

    def summary(self) -> dict[str, int]:
        m = self._engine.matrix
        return {
            "pods": self._ends.n_pods,
            "policies": len(self.snapshot.network_policies),
            "admin_policies": len(self.snapshot.admin_policies),
            "behaviour_classes": self._engine.n_b,
            "port_atoms": self.ports.n_atoms,
            "external_blocks": self._ends.ips.n,
            "class_pairs_allowed": int(m.any(axis=2).sum()),
            "unenforced": len(self.unenforced),
            "policies_not_evaluated": len(self.unevaluated),
            "warnings": len(self.warnings),
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"<Reachability {s['pods']} pods, {s['policies']} policies, {s['behaviour_classes']} behaviour "
            "classes, "
            f"{s['external_blocks']} external blocks, {s['unenforced']} unenforced, {s['warnings']} warnings>"
        )

    #: What each :meth:`summary` count means, for the notebook display.
    SUMMARY_TEXT: ClassVar[dict[str, str]] = {
        "pods": "pods of the snapshot",
        "policies": "Kubernetes NetworkPolicies",
        "admin_policies": "admin tier policies (ClusterNetworkPolicy, AdminNetworkPolicy, "
                          "BaselineAdminNetworkPolicy)",
        "behaviour_classes": "groups of pods that every policy treats alike: the engine judges one pod per "
                             "group",
        "port_atoms": "port ranges that no policy splits further (all protocols)",
        "external_blocks": "blocks of outside addresses that the policies' CIDRs cut the address space into",
        "class_pairs_allowed": "(source group, destination group) pairs with at least one allowed port",
        "unenforced": "hostNetwork pods: no NetworkPolicy governs them (reach.unenforced)",
        "policies_not_evaluated": "policies listed but not evaluated, each with its reason "
                                  "(reach.unevaluated)",
        "warnings": "warnings of the evaluation (reach.warnings)",
    }

    def _repr_html_(self) -> str:
        e = html.escape
        rows = "".join(
            f"<tr><th style='text-align:left'>{e(k)}</th><td style='text-align:right'>{v:,}</td>"
            f"<td style='text-align:left'>{e(self.SUMMARY_TEXT.get(k, ''))}</td></tr>"
            for k, v in self.summary().items()
        )
        cluster = e(str(self.snapshot.meta.get("cluster", "")))
        how = " (ipBlocks also match pod addresses)" if self.ipblocks_match_pods else ""
        return (f"<div><b>Reachability</b> of {cluster}{how}: what the policies allow; ask it with "
                "<code>can_reach</code>, <code>explain</code> and <code>to_frame</code>"
                f"<table>{rows}</table></div>")


def _init_only_named_ports(
    pods: Sequence[Pod], used: set[tuple[str, str]]
) -> dict[tuple[str, str], list[str]]:
    """``{(name, protocol): pod keys}``: the port names policies use that a pod's init containers
    give and its containers do not.  Native sidecars (init containers that keep running) serve
    ports, and CNIs disagree on whether a policy's named port reaches them."""
    out: dict[tuple[str, str], list[str]] = {}
    seen: dict[int, set[tuple[str, str]]] = {}  # pods of one template share their containers tuple
    for p in pods:
        if p.terminated:
            continue
        only = seen.get(id(p.containers))
        if only is None:
            given = {(q.name, q.protocol) for c in p.containers if not c.init for q in c.ports if q.name}
            only = seen[id(p.containers)] = {
                (q.name, q.protocol) for c in p.containers if c.init for q in c.ports
                if q.name and (q.name, q.protocol) in used and (q.name, q.protocol) not in given
            }
        for key in only:
            out.setdefault(key, []).append(p.key)
    return out


def _release_words(release: tuple[int, int] | None) -> str:
    """The Cilium release an egress named port was resolved for, as the messages say it."""
    return ("the snapshot does not show the Cilium release: read as up to 1.19, where" if release is None
            else f"up to Cilium 1.19 (this is {release[0]}.{release[1]})")


def _pods_partly_read(snapshot: Snapshot) -> str:
    """Why the snapshot's pods may not be all the cluster's (a namespace scope, a refused list),
    or "" when they were listed cluster-wide."""
    scope = snapshot.namespace_scope
    if scope is not None:
        return ("the snapshot is namespace-scoped: it holds the pods of "
                f"{', '.join(scope) or 'no namespace'} only")
    if snapshot.coverage.get("pods") == "forbidden":
        return ("listing pods was refused (coverage 'forbidden'): the snapshot may lack some of the "
                "cluster's pods")
    return ""


def _egress_named_warnings(found: dict[tuple[str, str], tuple[int, ...]],
                           release: tuple[int, int] | None, partial: str = "") -> list[LoadWarning]:
    """What Cilium up to 1.19 makes of each named port of an egress rule (see
    :func:`~k8sviz.policy.cilium.resolve_egress_named_ports`), where a named port resolved on
    each destination would read otherwise: always, but for a name no pod gives, unless the
    snapshot lacks pods (``partial`` says why): the cluster's other pods may give the name
    another number, or one where the snapshot has none, and the agent resolves it over them all."""
    which = _release_words(release)
    out = []
    for (name, proto), given in sorted(found.items()):
        if not given and not partial:
            continue
        head = (f"egress rules name the port {as_written(name)} ({proto}); {which} the agent resolves "
                "an egress named port over the whole cluster's pods, not on the destination: ")
        if not given:
            tail = ("no pod of the snapshot gives the name, so those rules are judged to allow nothing on "
                    f"it; but {partial}: if pods elsewhere give it one number, the cluster allows that "
                    "number towards every peer of those rules")
        elif len(given) == 1:
            tail = (f"it is {given[0]} towards every peer of those rules, pods that give the name no port "
                    "and outside addresses included")
        else:
            tail = (f"pods give it {', '.join(map(str, given))}, so the agent skips it (duplicate named "
                    "ports) and those rules allow nothing on it")
        if len(given) == 1 and partial:
            # Several numbers stay several whatever other pods give; one may not stay one.
            tail += (f"; but {partial}, and the agent counts the pods elsewhere too: if they give the name "
                     "another number, it is a duplicate in the cluster and those rules allow nothing on it")
        out.append(LoadWarning("cilium-egress-named-port",
                               head + tail + " (Cilium 1.20 resolves it per destination)"))
    return out


def _cidr_peers(snapshot: Snapshot, ipblocks_match_pods: bool) -> list[tuple[str, IPBlock, bool]]:
    """The CIDR peers that can match pods by address: (policy, block, matches non-hostNetwork pods).

    Admin ``networks``, Calico ``nets``/``notNets`` and (Global)NetworkSets (which Calico
    selectors match by address), and NetworkPolicy ipBlocks (for hostNetwork pods, or all pods
    with ``ipblocks_match_pods``; under Cilium, never hostNetwork pods).
    """
    blocks: list[tuple[str, IPBlock, bool]] = []  # (policy, block, matches non-hostNetwork pods)
    cilium = snapshot.runs_cilium  # its ipBlocks never match hostNetwork pods
    for pol in snapshot.network_policies:
        if cilium and not ipblocks_match_pods:
            continue
        for rules in (pol.ingress, pol.egress):
            blocks += [(f"NetworkPolicy/{pol.key}", peer.ip_block, ipblocks_match_pods)
                       for r in rules for peer in r.peers or () if peer.ip_block is not None]
    for ap in snapshot.admin_policies:
        blocks += [(f"{ap.kind}/{ap.name}", b, True) for r in ap.ingress + ap.egress for peer in r.peers
                   for b in peer.networks]
    for cp in snapshot.calico_policies:
        blocks += [(cp.ref, b, True) for r in (*cp.ingress, *cp.egress) for e in (r.source, r.destination)
                   for b in (*e.nets, *e.not_nets)]
    if snapshot.calico_policies:
        blocks += [(f"{'NetworkSet' if ns.namespace else 'GlobalNetworkSet'}/"
                    f"{ns.namespace + '/' if ns.namespace else ''}{ns.name}", b, True)
                   for ns in snapshot.network_sets for b in ns.nets]
    return blocks


def _addressless_warning(snapshot: Snapshot, ipblocks_match_pods: bool) -> LoadWarning | None:
    """A warning when CIDR peers that match pods meet pods the snapshot gives no address.

    A pod synthesised from a manifest (or one not yet given an address) has none here, so no
    CIDR matches it; in the cluster it has one, which a CIDR peer may cover: a Deny to
    ``0.0.0.0/0`` denies its pod-to-pod traffic too.  Reviewing manifests, those verdicts would
    silently be the opposite of the cluster's.
    """
    bare = [p.key for p in snapshot.pods if not (p.ips or p.host_network or p.terminated)]
    if not bare:
        return None
    def whole_family(b: IPBlock) -> bool:
        net, excepts = b.networks()
        return net.prefixlen == 0 and not excepts

    def covers(found: list[tuple[str, IPBlock]]) -> str:
        whole = sorted({str(b.networks()[0]) for _, b in found if whole_family(b)})
        return " and ".join(f"{w} covers every IPv{'4' if ':' not in w else '6'} pod" for w in whole)

    def named(found: list[tuple[str, IPBlock]]) -> str:
        pols = sorted({ref for ref, _ in found})
        return ", ".join(pols[:3]) + (" ..." if len(pols) > 3 else "")

    peers = _cidr_peers(snapshot, ipblocks_match_pods)
    blocks = [(ref, b) for ref, b, pods_too in peers if pods_too]
    # Read external-only, an ipBlock matches no pod whatever its address; but one covering a
    # whole family certainly covers these pods, which Calico and kube-network-policies match.
    external_only = [] if ipblocks_match_pods or snapshot.runs_cilium else [
        (f"NetworkPolicy/{pol.key}", peer.ip_block) for pol in snapshot.network_policies
        for r in (*pol.ingress, *pol.egress) for peer in r.peers or ()
        if peer.ip_block is not None and whole_family(peer.ip_block)]
    if not blocks and not external_only:
        return None
    parts = []
    if blocks:
        every = covers(blocks)
        parts.append(f"in the cluster those of {named(blocks)} match the pods whose address they cover"
                     + (f" ({every})" if every else ""))
    if external_only:
        parts.append(f"the ipBlocks of {named(external_only)} are read as external-only (as Cilium "
                     f"does), but {covers(external_only)}, which Calico and kube-network-policies match "
                     "(--ipblocks-match-pods, ipblocks_match_pods=True, judges as they do)")
    return LoadWarning(
        "pods-without-address",
        f"{counted(len(bare), 'pod')} ({', '.join(bare[:3])}{' ...' if len(bare) > 3 else ''}) "
        f"{'has' if len(bare) == 1 else 'have'} no address in the snapshot (synthesised from a manifest, "
        "or not yet given one), so no CIDR peer matches them here, while " + "; and ".join(parts)
        + ": verdicts on these pods' connections may differ from the cluster's; load the running pods "
        "(kubectl get pods -A -o json) to judge them",
    )


def _dual_stack_warning(snapshot: Snapshot, ipblocks_match_pods: bool) -> LoadWarning | None:
    """A warning when a CIDR peer that matches pods covers an address of a dual-stack pod.

    A CIDR is of one family, so it matches such a pod's connections over that family only,
    while verdicts are per pod: the pod counts as matched when any of its addresses is.
    CIDR peers that match pods: admin ``networks``, Calico ``nets``/``notNets`` and
    (Global)NetworkSets (which Calico selectors match by address), and NetworkPolicy ipBlocks
    (for hostNetwork pods, or all pods with ``ipblocks_match_pods``).
    """
    keys: list[str] = []
    host: list[bool] = []
    addrs: dict[int, list[tuple[int, int]]] = {4: [], 6: []}  # family -> (address, pod index)
    for p in snapshot.pods:
        if len(p.ips) < 2:
            continue
        try:
            found = [ipaddress.ip_address(ip) for ip in p.ips]
        except ValueError:
            continue
        if len({a.version for a in found}) > 1:
            for a in found:
                addrs[a.version].append((int(a), len(keys)))
            keys.append(p.key)
            host.append(p.host_network)
    if not keys:
        return None
    blocks = _cidr_peers(snapshot, ipblocks_match_pods)
    cilium = snapshot.runs_cilium  # its ipBlocks never match hostNetwork pods
    # Sorted addresses per family: a block covers a slice of them, minus its excepts' slices.
    table = {}
    for fam, pairs in addrs.items():
        pairs.sort()
        table[fam] = (np.asarray([a for a, _ in pairs], dtype=object),
                      np.asarray([i for _, i in pairs], dtype=np.int64))
    is_host = np.asarray(host, dtype=bool)
    hit = np.zeros(len(keys), dtype=bool)
    hit_policies: set[str] = set()
    for ref, block, pods_too in blocks:
        net, excepts = block.networks()
        values, owner = table[net.version]
        if not len(values):
            continue
        lo = int(np.searchsorted(values, int(net.network_address), side="left"))
        hi = int(np.searchsorted(values, int(net.broadcast_address), side="right"))
        if lo >= hi:
            continue
        inside = np.ones(hi - lo, dtype=bool)
        for e in excepts:
            elo = int(np.searchsorted(values, int(e.network_address), side="left"))
            ehi = int(np.searchsorted(values, int(e.broadcast_address), side="right"))
            inside[max(elo, lo) - lo:max(min(ehi, hi) - lo, 0)] = False
        pods = owner[lo:hi][inside]
        if not pods_too:
            pods = pods[is_host[pods]]
        elif cilium and ref.startswith("NetworkPolicy/"):
            pods = pods[~is_host[pods]]
        if len(pods):
            hit[pods] = True
            hit_policies.add(ref)
    if not hit.any():
        return None
    pods_hit = [keys[i] for i in np.flatnonzero(hit)]
    pols = sorted(hit_policies)
    return LoadWarning(
        "dual-stack-cidr",
        f"{counted(len(pods_hit), 'dual-stack pod')} "
        f"({', '.join(pods_hit[:3])}{' ...' if len(pods_hit) > 3 else ''}) "
        f"{'has' if len(pods_hit) == 1 else 'have'} an address in a CIDR peer of "
        f"{', '.join(pols[:3])}{' ...' if len(pols) > 3 else ''}: a CIDR matches "
        "one address family, so their connections over the other family may be judged otherwise than these "
        "per-pod verdicts, which count a pod matched when any of its addresses is",
    )


def _check_direction(direction: object) -> str:
    """``direction`` lower-cased (``"Ingress"`` as policyTypes spells it is ``"ingress"``, as a
    protocol ``"tcp"`` is ``"TCP"``), else a QueryError."""
    if not isinstance(direction, str) or direction.lower() not in ("ingress", "egress"):
        raise QueryError(f"direction must be 'ingress' or 'egress', got {as_given(direction)}")
    return direction.lower()


def unread_text(unread: dict[str, str]) -> str:
    """One sentence on policy resources that were not read (``Snapshot.unread_policies``)."""
    parts = [
        "no NetworkPolicy is in the input (an empty kubectl list cannot be told from one left out)"
        if state == "not-in-input" else f"{plural} were not read ({state})"
        for plural, state in unread.items()
    ]
    return "; ".join(parts) + ": these verdicts take them as empty, so the cluster's may differ"


def _describe(policies: Sequence[RawPolicy | CalicoPolicy | CiliumPolicy | NetworkPolicy]) -> str:
    """``3 policies that k8sviz does not evaluate (2 CiliumNetworkPolicy, ...: names ...)``."""
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(Counter(p.label_kind for p in policies).items()))
    names = ", ".join(p.ref for p in policies[:3]) + (" ..." if len(policies) > 3 else "")
    word = "policy" if len(policies) == 1 else "policies"
    return f"{len(policies)} {word} that k8sviz does not evaluate ({kinds}: {names})"


def _unique_rows(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a ``[n, W]`` uint64 array, and each row's index among them."""
    if words.shape[1] == 1:
        u, inv = np.unique(words[:, 0], return_inverse=True)
        return u[:, None], inv.ravel()
    view = np.ascontiguousarray(words).view(np.dtype((np.void, 8 * words.shape[1]))).ravel()
    u, inv = np.unique(view, return_inverse=True)
    return np.frombuffer(u.tobytes(), dtype=np.uint64).reshape(-1, words.shape[1]), inv.ravel()


def _in_set(es: EndpointSet, ent: int) -> bool:
    """Whether an entity set given by entities (or everything) holds ``ent``."""
    return es.everything or (es.ents is not None and _member(es.ents, ent))


def _member(sorted_arr: np.ndarray, x: int) -> bool:
    i = int(np.searchsorted(sorted_arr, x))
    return i < len(sorted_arr) and int(sorted_arr[i]) == x
