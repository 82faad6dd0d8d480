"""The policy inventory: every policy of every dialect in one table (a ruleset export).

Auditors review rulesets as a list: what each policy is, where it sits in the evaluation
order, which pods it applies to, and whether k8sviz evaluated it (PCI DSS 1.2.1 and 1.2.7,
SOC 2 CC6.1). ``policy_inventory(snapshot)`` gives one row per policy, NetworkPolicies, the
admin tiers, Calico and Cilium policies, and those of other dialects and versions kept raw.

A pod counts as selected when the policy applies to it; hostNetwork pods never count (no
policy governs them, see ``reach.unenforced``), and neither do pods that ran to completion.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..calico_objects import policy_selects
from ..cilium_objects import knp_matches, pod_view
from ..policy.calico import plan_calico
from ..snapshot import INERT_RAW_KINDS

if TYPE_CHECKING:
    import pandas as pd

    from ..model import Pod
    from ..snapshot import Snapshot

__all__ = ["INVENTORY_COLUMNS", "policy_inventory"]

#: Columns of :func:`policy_inventory`, in order.
INVENTORY_COLUMNS = (
    "policy", "kind", "namespace", "name", "dialect", "tier", "order", "types", "rules",
    "selected_pods", "evaluated", "not_judged", "labels", "annotations",
)


def policy_inventory(snapshot: Snapshot) -> pd.DataFrame:
    """One row per policy in ``snapshot``, in evaluation order within each dialect.

    Columns (:data:`INVENTORY_COLUMNS`): ``policy`` (how verdicts name it), ``kind``,
    ``namespace`` ("" when cluster-scoped), ``name``, ``dialect`` (``kubernetes``, ``admin``,
    ``calico``, ``cilium``, ``other``), ``tier`` (admin/baseline, the Calico tier), ``order``
    (admin priority or Calico order; NaN where none), ``types`` (``Ingress``, ``Egress`` or
    both), ``rules`` (how many), ``selected_pods`` (live pods it applies to; NaN when unknown, as for
    every policy of an input without pods),
    ``evaluated`` and ``not_judged`` (why not, when not), and the policy's ``labels`` and
    ``annotations`` (dicts: owners, tickets and justifications usually live there).
    """
    import pandas as pd

    from .._checks import require_snapshot

    require_snapshot(snapshot, "policy_inventory")
    live = [p for p in snapshot.pods if not p.host_network and not p.terminated]
    # Pods alike for every selector (namespace, labels, ServiceAccount) are judged once.
    classes: dict[tuple[Any, ...], list[Any]] = {}
    for p in live:
        key = (p.namespace, tuple(sorted(p.labels.items())), p.service_account or "default")
        entry = classes.get(key)
        if entry is None:
            classes[key] = [p, 1]
        else:
            entry[1] += 1
    pods: list[tuple[Pod, int]] = [(rep, n) for rep, n in classes.values()]
    by_ns: dict[str, list[tuple[Pod, int]]] = defaultdict(list)
    for rep, n in pods:
        by_ns[rep.namespace].append((rep, n))
    ns_labels = {n.name: n.labels for n in snapshot.namespaces}

    def identity_ns(ns: str) -> dict[str, str]:
        """What Cilium identities carry of a namespace (one known only from its objects still
        has the name label the API server sets, as the engine reads it)."""
        return ns_labels.get(ns, {"kubernetes.io/metadata.name": ns})
    accounts = snapshot.service_account_labels()
    rows: list[dict[str, Any]] = []

    def count(candidates: Iterable[tuple[Pod, int]], test: Callable[[Pod], bool]) -> int:
        return sum(n for rep, n in candidates if test(rep))

    cilium = snapshot.runs_cilium  # its identities are what NetworkPolicy selectors then see
    for np_ in snapshot.network_policies:
        rows.append(_row(
            np_.ref, "NetworkPolicy", np_.namespace, np_.name, "kubernetes", "", None,
            np_.policy_types, len(np_.ingress) + len(np_.egress),
            count(by_ns.get(np_.namespace, ()), lambda p, s=np_: knp_matches(  # type: ignore[misc]
                s.pod_selector, p, identity_ns(p.namespace), s.namespace, cilium)),
            evaluated=not np_.unsupported, not_judged="; ".join(np_.unsupported),
        ))
    for ap in snapshot.admin_policies:
        ns_sel, pod_sel = ap.subject
        types = tuple(t for t, rules in (("Ingress", ap.ingress), ("Egress", ap.egress)) if rules)
        rows.append(_row(
            f"{ap.kind}/{ap.name}", ap.kind, "", ap.name, "admin", ap.tier.lower(), ap.priority, types,
            len(ap.ingress) + len(ap.egress),
            count(pods,
                  lambda p, n=ns_sel, s=pod_sel: n.matches(ns_labels.get(p.namespace, {}))  # type: ignore[misc]
                  and s.matches(p.labels)),
        ))
    # Calico's order: tiers by their place among the engine's tiers, then policies by order
    # (none: last), then name.
    place = plan_calico(snapshot.calico_policies, snapshot.calico_tiers).tier_value
    calico = sorted(snapshot.calico_policies, key=lambda c: (
        place.get(c.tier, float("inf")), c.tier, c.order is None, c.order or 0, c.name))
    for cp in calico:
        candidates = by_ns.get(cp.namespace, ()) if cp.namespace else pods
        rows.append(_row(
            cp.ref, cp.label_kind, cp.namespace or "", cp.name, "calico", cp.tier, cp.order, cp.types,
            len(cp.ingress) + len(cp.egress),
            None if cp.host_only else count(candidates, lambda p, c=cp: policy_selects(  # type: ignore[misc]
                c, p, ns_labels.get(p.namespace, {}),
                accounts.get((p.namespace, p.service_account or "default"), {}))),
            evaluated=not (cp.unsupported or cp.host_only),
            not_judged="; ".join(cp.unsupported) if cp.unsupported else (
                "preDNAT/doNotTrack: applies to host endpoints only" if cp.host_only else ""),
        ))
    for cil in snapshot.cilium_policies:
        candidates = by_ns.get(cil.namespace, ()) if cil.namespace else pods
        types = tuple(t
                      for t, attrs in (("Ingress", ("ingress", "ingress_deny")),
                                       ("Egress", ("egress", "egress_deny")))
                      if any(getattr(r, a) for r in cil.rules for a in attrs))
        rows.append(_row(
            cil.ref, cil.label_kind, cil.namespace or "", cil.name, "cilium", "", None, types,
            sum(len(r.ingress) + len(r.ingress_deny) + len(r.egress) + len(r.egress_deny) for r in cil.rules),
            count(candidates, lambda p, c=cil: any(  # type: ignore[misc]
                r.endpoint_selector.matches(pod_view(p, identity_ns(p.namespace))) for r in c.rules)),
            evaluated=not cil.unsupported, not_judged="; ".join(cil.unsupported) or "; ".join(
                f"toFQDNs {', '.join(e.fqdns) or '(no name)'}: DNS answers are not in a snapshot, so they "
                "match no address here" for r in cil.rules for e in r.egress if e.fqdns is not None),
        ))
    for raw in snapshot.other_policies:
        inert = raw.kind in INERT_RAW_KINDS
        rows.append(_row(
            raw.ref, raw.label_kind, raw.namespace or "", raw.name, "other", "", None, (), None, None,
            evaluated=False,
            not_judged=("enforces nothing by itself" if inert
                        else f"{raw.api_version} is not a dialect k8sviz evaluates"),
        ))
    empty: dict[str, dict[str, str]] = {"labels": {}, "annotations": {}}
    for row in rows:
        found = snapshot.policy_metadata.get(row["policy"], empty)
        row["labels"], row["annotations"] = dict(found["labels"]), dict(found["annotations"])
    df = pd.DataFrame(rows, columns=list(INVENTORY_COLUMNS))
    df["order"] = df["order"].astype("float64")
    df["rules"] = df["rules"].astype("Int64")
    df["selected_pods"] = df["selected_pods"].astype("Int64")
    if not snapshot.pods:  # none in the input: how many a policy selects is unknown, not 0
        df["selected_pods"] = pd.array([pd.NA] * len(df), dtype="Int64")
    df.attrs["k8sviz"] = {"what": "policy inventory", "pods": len(live)}
    return df


def _row(policy: str, kind: str, namespace: str, name: str, dialect: str, tier: str, order: float | None,
         types: tuple[str, ...], rules: int | None, selected: int | None, *, evaluated: bool = True,
         not_judged: str = "") -> dict[str, Any]:
    return {
        "policy": policy, "kind": kind, "namespace": namespace, "name": name, "dialect": dialect,
        "tier": tier,
        "order": order, "types": ",".join(types), "rules": rules, "selected_pods": selected,
        "evaluated": evaluated, "not_judged": not_judged,
    }
