"""Labels Calico reserves for identity, carried by a pod or network set of its own.

Calico hands its selectors to Felix with the keys of a namespace selector prefixed ``pcns.``
and those of a ServiceAccount selector ``pcsa.`` (libcalico-go updateprocessors), to be tested
on an endpoint's labels, where the namespace's and ServiceAccount's profiles put their labels
under those prefixes.  Felix reads an endpoint's own labels before its profiles' (felix
labelindex), and a pod's conversion copies every pod label (conversion/
workload_endpoint_default.go), so a pod that carries ``pcns.team: payments`` is matched as if
its namespace had ``team: payments``.  Calico enforces Kubernetes NetworkPolicies the same
way: it converts them to its own policies (conversion.go ``K8sNetworkPolicyToCalico``), whose
namespaceSelector goes through the same prefixing.  Calico treats the admin tiers alike
(projectcalico/calico, libcalico-go/lib/backend): it converts an AdminNetworkPolicy (Calico 3.29
on), a BaselineAdminNetworkPolicy (soon after) and a ClusterNetworkPolicy (3.32, which drops the
other two) to a GlobalNetworkPolicy whose ``namespaceSelector`` is the subject's and whose rules'
are the peers' (k8s/conversion/adminnetworkpolicy_test.go, clusternetworkpolicy.go); Felix's
syncer hands all three to the GlobalNetworkPolicy update processor
(syncersv1/felixsyncer/felixsyncerv1.go), which puts ``pcns.`` before the keys of both
(syncersv1/updateprocessors/globalnetworkpolicyprocessor.go, rules.go).  So a pod can step out of
an admin policy's subject, or into its peers, too.  k8sviz evaluates NetworkPolicies and admin
policies as the Kubernetes API defines them, so there its verdicts and Calico's part: this module
finds the objects where they may.

The conversion writes ``projectcalico.org/namespace`` and ``/orchestrator`` over the pod's own,
and ``projectcalico.org/serviceaccount`` too when the ServiceAccount's name is shorter than 63
characters; a longer name leaves a label of the pod's own standing, which a rule's
``serviceAccounts.names`` then matches.  A network set has no ServiceAccount nor (a global one)
namespace, but Calico's validator lets it carry those labels, and Felix matches it by them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..calico_objects import SA_LABEL, SA_LABEL_NAME_LIMIT, endpoint_service_account, service_account
from ..policy.admin import policy_ref

if TYPE_CHECKING:
    from ..calico_objects import EntityRule
    from ..model import AdminPolicy, LabelSelector
    from ..snapshot import Snapshot

__all__ = ["Claim", "pod_claims", "readers", "set_claims"]

_NS = "pcns."
_SA = "pcsa."
#: Labels the pod's conversion always writes over the pod's own.
_OVERWRITTEN = ("projectcalico.org/namespace", "projectcalico.org/orchestrator")


@dataclass(frozen=True)
class Claim:
    """One reserved label: what Calico's selectors take it for, and whether it changes a match
    (False: the conversion writes over it, so it only shows a mistake or an attempt)."""

    label: str
    value: str
    seen_as: str
    effective: bool
    #: For a ``pcns.`` claim, the other namespaces of the snapshot it makes the object pass for.
    namespaces: tuple[str, ...] = ()


def _namespace_claim(
    label: str, value: str, own: str | None, ns_labels: Mapping[str, Mapping[str, str]]
) -> Claim:
    key = label[len(_NS):]
    if key == "projectcalico.org/name":
        seen = f"in namespace {value} (its name)"
        like = [n for n in ns_labels if n == value]
    else:
        seen = f"in a namespace labelled {key}={value}"
        like = [n for n, labels in ns_labels.items() if labels.get(key) == value]
        if key == "kubernetes.io/metadata.name":
            seen = f"in namespace {value} (its {key} label)"
    return Claim(label, value, seen, True, tuple(sorted(n for n in like if n != own)))


def _account_claim(label: str, value: str) -> Claim:
    key = label[len(_SA):]
    if key == "projectcalico.org/name":
        return Claim(label, value,
                     f"running as ServiceAccount {value} (its name, to serviceAccounts selectors)", True)
    return Claim(label, value, f"running as a ServiceAccount labelled {key}={value}", True)


def pod_claims(pod: Any, ns_labels: Mapping[str, Mapping[str, str]]) -> list[Claim]:
    """The reserved labels ``pod`` carries, in label order; none for a hostNetwork pod (no
    workload endpoint: Calico's selectors never see its labels)."""
    if pod.host_network:
        return []
    out = []
    for label, value in sorted(pod.labels.items()):
        if label.startswith(_NS):
            out.append(_namespace_claim(label, value, pod.namespace, ns_labels))
        elif label.startswith(_SA):
            out.append(_account_claim(label, value))
        elif label == SA_LABEL:
            if endpoint_service_account(pod) == value and len(service_account(pod)) >= SA_LABEL_NAME_LIMIT:
                out.append(Claim(label, value, f"running as ServiceAccount {value} (to serviceAccounts.names "
                                 f"rules: its own ServiceAccount's name is {SA_LABEL_NAME_LIMIT} characters "
                                 "or longer, so the conversion leaves the label alone)", True))
            else:
                out.append(Claim(label, value,
                                 "nothing: the conversion writes the pod's ServiceAccount over it",
                                 False))
        elif label in _OVERWRITTEN:
            out.append(Claim(label, value, "nothing: the conversion writes over it", False))
    return out


def set_claims(s: Any, ns_labels: Mapping[str, Mapping[str, str]]) -> list[Claim]:
    """The reserved labels a (Global)NetworkSet carries that make Felix match its addresses as
    a namespace's or a ServiceAccount's endpoints."""
    out = []
    for label, value in sorted(s.labels.items()):
        if label.startswith(_NS):
            out.append(_namespace_claim(label, value, s.namespace, ns_labels))
        elif label.startswith(_SA):
            out.append(_account_claim(label, value))
        elif label == SA_LABEL:
            out.append(Claim(label, value,
                             f"running as ServiceAccount {value} (to serviceAccounts.names rules)",
                             True))
    return out


def _entity_reads(e: EntityRule) -> Iterable[str]:
    if e.namespace_selector is not None:
        yield from (_NS + k for k in e.namespace_selector.keys)
    if e.sa_selector is not None:
        yield from (_SA + k for k in e.sa_selector.keys)
    for sel in (e.selector, e.not_selector):
        if sel is not None:
            yield from sel.keys
    if e.sa_names is not None:
        yield SA_LABEL


def _namespace_reads(sel: LabelSelector | None) -> list[str]:
    """The endpoint labels a Kubernetes namespaceSelector reads once Calico has converted it."""
    if sel is None:
        return []
    return [_NS + k for k, _ in sel.match_labels] + [_NS + r.key for r in sel.match_expressions]


def _admin_reads(pol: AdminPolicy) -> Iterable[str]:
    yield from _namespace_reads(pol.subject[0])
    for rule in (*pol.ingress, *pol.egress):
        for peer in rule.peers:
            yield from _namespace_reads(peer.namespaces)
            if peer.pods is not None:
                yield from _namespace_reads(peer.pods[0])


def readers(snap: Snapshot) -> dict[str, list[str]]:
    """Endpoint label -> the policies whose selectors read it under Calico: NetworkPolicy
    namespaceSelectors and admin policies' (subject and peers) as Calico converts them
    (``pcns.<key>``), and every Calico selector (namespace selectors with ``pcns.``,
    ServiceAccount ones with ``pcsa.``, names on ``projectcalico.org/serviceaccount``)."""
    out: dict[str, set[str]] = defaultdict(set)
    for pol in snap.network_policies:
        for rule in (*pol.ingress, *pol.egress):
            for peer in rule.peers or ():
                for k in _namespace_reads(peer.namespace_selector):
                    out[k].add(pol.ref)
    for ap in snap.admin_policies:
        for k in _admin_reads(ap):
            out[k].add(policy_ref(ap))
    for p in snap.calico_policies:
        reads: list[str] = list(p.selector.keys)
        if p.namespace_selector is not None:
            reads += [_NS + k for k in p.namespace_selector.keys]
        if p.service_account_selector is not None:
            reads += [_SA + k for k in p.service_account_selector.keys]
        for r in (*p.ingress, *p.egress):
            reads += [*_entity_reads(r.source), *_entity_reads(r.destination)]
        for k in reads:
            out[k].add(p.ref)
    return {k: sorted(v) for k, v in out.items()}
