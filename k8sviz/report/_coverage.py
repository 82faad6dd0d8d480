"""What a resource the snapshot did not read changes for the report's verdicts.

Each text follows what the snapshot and engine do without that resource: workloads are built
from their pods' owner references (``Snapshot`` building), Service backends from the Services'
selectors (``k8sviz.graph``, exposure), EndpointSlices only resolve Calico ``services`` and
Cilium ``toServices`` / kube-apiserver references, ServiceAccounts only Calico selectors on
account labels; a policy kind not read is taken as empty.
"""

from __future__ import annotations

from ..snapshot import EVALUATED_POLICY_PLURALS, INERT_RAW_KINDS, RAW_POLICY_KINDS

__all__ = ["unread_meaning"]

_WORKLOAD = ("Verdicts on running workloads unchanged: their pods are analysed, grouped by their owner "
             "references. A workload with no pod in the input{example} is left out (read, it would be "
             "judged from its pod template).")

_MEANING: dict[str, str] = {
    "pods": ("Pods are what every verdict is about: only the workloads read stand in for them, each "
             "judged from its pod template."),
    "deployments": _WORKLOAD.format(example=" (scaled to zero)"),
    "replicasets": _WORKLOAD.format(example=" (scaled to zero)") + (
        " A Deployment's pods are still grouped under it, by their pod-template-hash."),
    "statefulsets": _WORKLOAD.format(example=" (scaled to zero)"),
    "daemonsets": _WORKLOAD.format(example=" (on no node)"),
    "replicationcontrollers": _WORKLOAD.format(example=" (scaled to zero)"),
    "jobs": _WORKLOAD.format(example=" (its pods removed)") + (
        " A CronJob's pods are then grouped per Job run, not under the CronJob."),
    "cronjobs": _WORKLOAD.format(example=" (a CronJob between runs)"),
    "namespaces": ("Namespace labels unknown: a namespaceSelector on labels other than "
                   "kubernetes.io/metadata.name is judged as if the namespace had none (a limitation "
                   "when a policy selects so)."),
    "nodes": ("Node addresses unknown beyond the nodes read: policy peers on nodes (admin nodes peers, "
              "Cilium node rules) match only those, and flow addresses of other nodes are not named as "
              "nodes."),
    "services": ("Exposure outside the cluster unknown (a limitation); the graph draws no Services and "
                 "their backends."),
    "ingresses": "Exposure through Ingresses unknown (a limitation).",
    "endpointslices": ("Service backends come from the Services' selectors either way. Only Calico rules "
                       "that match a Service and Cilium toServices and kube-apiserver rules need the "
                       "slices: a policy with such a rule is not evaluated (a limitation); other verdicts "
                       "unchanged."),
    "serviceaccounts": ("Only Calico selectors on ServiceAccount labels need them: a policy with such a "
                        "selector is not evaluated (a limitation); other verdicts unchanged."),
}

_INERT = "No verdict changes: staged policies are not enforced, they only preview what they would do."
_POLICY = ("Policies of this kind are taken as absent: if the cluster has some, allowed connections "
           "and findings may differ (a limitation).")
_TIERS = ("Tiers taken as absent: policies in a tier not read are ordered after every tier read "
          "(caveat calico-tier-missing), so allowed connections may differ (a limitation).")
_SETS = ("Network sets taken as absent: Calico selectors meant for their addresses match none of them, "
         "so allowed connections may differ (a limitation).")
_INERT_PLURALS = frozenset(p for (_, kind), p in RAW_POLICY_KINDS.items() if kind in INERT_RAW_KINDS)


def unread_meaning(plural: str) -> str:
    """What it changes for the verdicts that ``plural`` (a ``Snapshot.coverage`` key) was not
    read; empty for a resource the report knows nothing of."""
    if plural in _MEANING:
        return _MEANING[plural]
    if plural.startswith("tiers."):
        return _TIERS
    if plural.startswith(("networksets.", "globalnetworksets.")):
        return _SETS
    if plural in EVALUATED_POLICY_PLURALS:
        return _POLICY
    if plural in _INERT_PLURALS:
        return _INERT
    return ""
