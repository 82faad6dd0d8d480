"""A field given as null (``namespaceSelector:`` with nothing after it, as an empty Helm value
renders) is read as the API server stores it, in every dialect.

Built-in types are decoded by Go's encoding/json, which stores the zero value for a null: nil
for a pointer, slice or map, the empty struct, "" (so a null field is an absent one; a null
item of a list of objects is the empty object; a null label value is ""). Custom resources
(the admin kinds, Calico's, Cilium's) go through the apiextensions server, which prunes a null
wherever the CRD's schema does not mark the field nullable and has no default for it
(PruneNonNullableNullsWithoutDefaults, before defaulting and validation); none of the fields
read here is nullable.  Snapshot files and live snapshots go through the same parsers.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import k8sviz
from k8sviz.calico_objects import parse_calico_policy
from k8sviz.cilium_objects import parse_cilium_policy
from k8sviz.errors import K8svizError, PolicyError
from k8sviz.model import (
    LoadWarning,
    parse_admin_policy,
    parse_endpoint_slice,
    parse_ingress,
    parse_namespace,
    parse_network_policy,
    parse_node,
    parse_pod,
    parse_service,
)

from .policy.helpers import anp, netpol, ns, pod

Path_ = tuple[str | int, ...]


def _with(obj: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    """A copy of ``obj`` whose field at ``path`` is ``value``, or absent for ``_ABSENT``."""
    out = copy.deepcopy(obj)
    here: Any = out
    for step in path[:-1]:
        here = here[step]
    if value is _ABSENT:
        here.pop(path[-1], None)
    else:
        here[path[-1]] = value
    return out


_ABSENT = object()


def _parsed(parse: Callable[..., Any], obj: dict[str, Any]) -> tuple[Any, list[LoadWarning]]:
    """What ``parse`` makes of ``obj`` and the warnings, or the error it raises (refused alike)."""
    warnings: list[LoadWarning] = []
    try:
        return parse(obj, "f.yaml", warnings.append), warnings
    except (K8svizError, ValueError) as e:
        return f"{type(e).__name__}: {e}", warnings


def _plain(parse: Callable[[dict[str, Any]], Any]) -> Callable[..., Any]:
    """A parser without source and warnings (the workload objects': the builder checks those)."""
    return lambda obj, _source, _warn: parse(obj)


NP = netpol(
    "db",
    "np",
    {
        "podSelector": {
            "matchLabels": {"app": "db"},
            "matchExpressions": [{"key": "tier", "operator": "Exists"}],
        },
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {
                "from": [
                    {
                        "podSelector": {"matchLabels": {"app": "web"}},
                        "namespaceSelector": {"matchLabels": {"team": "a"}},
                    }
                ],
                "ports": [{"protocol": "UDP", "port": 53}, {"port": 80, "endPort": 90}],
            }
        ],
        "egress": [
            {
                "to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}],
                "ports": [{"port": "http"}],
            }
        ],
    },
)
ANP = anp(
    "anp",
    {
        "priority": 5,
        "subject": {"pods": {"namespaceSelector": {"matchLabels": {"team": "db"}}, "podSelector": {}}},
        "ingress": [
            {
                "name": "in",
                "action": "Allow",
                "from": [{"namespaces": {"matchLabels": {"team": "web"}}}],
                "ports": [
                    {"portNumber": {"protocol": "UDP", "port": 53}},
                    {"portRange": {"start": 80, "end": 90}},
                ],
            }
        ],
        "egress": [
            {
                "action": "Deny",
                "to": [
                    {"networks": ["10.0.0.0/8"]},
                    {"nodes": {"matchExpressions": [{"key": "x", "operator": "Exists"}]}},
                ],
            }
        ],
    },
)
BANP = anp(
    "default",
    {
        "subject": {"namespaces": {}},
        "egress": [
            {
                "action": "Deny",
                "to": [{"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"a": "b"}}}}],
                "ports": [{"namedPort": "http"}],
            }
        ],
    },
    baseline=True,
)
CNP = {
    "apiVersion": "policy.networking.k8s.io/v1alpha2",
    "kind": "ClusterNetworkPolicy",
    "metadata": {"name": "cnp"},
    "spec": {
        "tier": "Admin",
        "priority": 3,
        "subject": {"namespaces": {"matchLabels": {"team": "db"}}},
        "ingress": [
            {
                "name": "in",
                "action": "Accept",
                "from": [{"namespaces": {}}],
                "protocols": [
                    {"tcp": {"destinationPort": {"number": 80}}},
                    {"udp": {"destinationPort": {"range": {"start": 1000, "end": 2000}}}},
                ],
            }
        ],
    },
}
CALICO = {
    "apiVersion": "projectcalico.org/v3",
    "kind": "NetworkPolicy",
    "metadata": {"namespace": "db", "name": "cal"},
    "spec": {
        "order": 100,
        "selector": "app == 'db'",
        "types": ["Ingress"],
        "ingress": [
            {
                "action": "Allow",
                "protocol": "TCP",
                "source": {"selector": "app == 'web'", "nets": ["10.0.0.0/8"]},
                "destination": {"ports": [80]},
            }
        ],
    },
}
CILIUM = {
    "apiVersion": "cilium.io/v2",
    "kind": "CiliumNetworkPolicy",
    "metadata": {"namespace": "db", "name": "cil"},
    "spec": {
        "endpointSelector": {"matchLabels": {"app": "db"}},
        "ingress": [
            {
                "fromEndpoints": [{"matchLabels": {"app": "web"}}],
                "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}]}],
            }
        ],
        "egressDeny": [{"toCIDR": ["10.0.0.0/8"]}],
        "enableDefaultDeny": {"ingress": True},
    },
}
POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"namespace": "web", "name": "p", "labels": {"app": "a"}, "uid": "u"},
    "spec": {
        "nodeName": "n1",
        "serviceAccountName": "sa",
        "hostNetwork": False,
        "containers": [
            {
                "name": "c",
                "image": "img",
                "securityContext": {"privileged": False},
                "ports": [{"containerPort": 80, "protocol": "TCP", "name": "http", "hostPort": 0}],
            }
        ],
        "initContainers": [{"name": "i", "image": "img"}],
    },
    "status": {"phase": "Running", "podIP": "10.0.0.1", "podIPs": [{"ip": "10.0.0.1"}], "hostIP": "10.0.1.1"},
}
SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"namespace": "web", "name": "s"},
    "spec": {
        "type": "LoadBalancer",
        "selector": {"app": "a"},
        "clusterIP": "10.96.0.1",
        "clusterIPs": ["10.96.0.1"],
        "externalIPs": ["192.0.2.1"],
        "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080, "nodePort": 30080}],
    },
    "status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.1"}]}},
}
SLICE = {
    "apiVersion": "discovery.k8s.io/v1",
    "kind": "EndpointSlice",
    "metadata": {"namespace": "web", "name": "s-1", "labels": {"kubernetes.io/service-name": "s"}},
    "addressType": "IPv4",
    "endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": True}}],
    "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
}
NODE = {
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {"name": "n1", "labels": {"role": "worker"}},
    "spec": {"podCIDR": "10.0.0.0/24", "podCIDRs": ["10.0.0.0/24"]},
    "status": {"addresses": [{"type": "InternalIP", "address": "10.0.1.1"}]},
}
INGRESS = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "Ingress",
    "metadata": {"namespace": "web", "name": "i"},
    "spec": {
        "ingressClassName": "nginx",
        "defaultBackend": {"service": {"name": "s"}},
        "rules": [{"host": "a.example", "http": {"paths": [{"backend": {"service": {"name": "s"}}}]}}],
    },
}

_POD_PARSE = _plain(lambda o: parse_pod(o, "Pod", "p"))
#: (dialect, parser, object, paths of fields each given as null in turn)
_FIELDS: list[tuple[str, Callable[..., Any], dict[str, Any], list[Path_]]] = [
    (
        "NetworkPolicy",
        parse_network_policy,
        NP,
        [
            ("spec",),
            ("spec", "podSelector"),
            ("spec", "podSelector", "matchLabels"),
            ("spec", "podSelector", "matchExpressions"),
            ("spec", "podSelector", "matchExpressions", 0, "values"),
            ("spec", "policyTypes"),
            ("spec", "ingress"),
            ("spec", "egress"),
            ("spec", "ingress", 0, "from"),
            ("spec", "ingress", 0, "ports"),
            ("spec", "ingress", 0, "from", 0, "podSelector"),
            ("spec", "ingress", 0, "from", 0, "namespaceSelector"),
            ("spec", "ingress", 0, "ports", 0, "protocol"),
            ("spec", "ingress", 0, "ports", 0, "port"),
            ("spec", "ingress", 0, "ports", 1, "endPort"),
            ("spec", "egress", 0, "to"),
            ("spec", "egress", 0, "to", 0, "ipBlock", "except"),
            ("spec", "egress", 0, "ports", 0, "port"),
        ],
    ),
    (
        "AdminNetworkPolicy",
        parse_admin_policy,
        ANP,
        [
            ("spec", "ingress"),
            ("spec", "egress"),
            ("spec", "ingress", 0, "name"),
            ("spec", "ingress", 0, "ports"),
            ("spec", "ingress", 0, "ports", 0, "portNumber", "protocol"),
            ("spec", "ingress", 0, "ports", 1, "portRange", "protocol"),
            # Beside the field that is set: the peer, subject or port still sets exactly one.
            ("spec", "ingress", 0, "from", 0, "pods"),
            ("spec", "subject", "namespaces"),
            ("spec", "ingress", 0, "ports", 0, "namedPort"),
            ("spec", "ingress", 0, "ports", 1, "portNumber"),
            ("spec", "egress", 0, "to", 0, "nodes"),
            ("spec", "egress", 0, "to", 1, "networks"),
            ("spec", "egress", 0, "to", 1, "nodes", "matchLabels"),
            ("spec", "subject", "pods", "podSelector", "matchLabels"),
        ],
    ),
    (
        "BaselineAdminNetworkPolicy",
        parse_admin_policy,
        BANP,
        [
            ("spec", "ingress"),
            ("spec", "egress", 0, "ports"),
            ("spec", "egress", 0, "to", 0, "namespaces"),
            ("spec", "subject", "pods"),
            ("spec", "egress", 0, "ports", 0, "portRange"),
        ],
    ),
    (
        "ClusterNetworkPolicy",
        parse_admin_policy,
        CNP,
        [
            ("spec", "egress"),
            ("spec", "ingress", 0, "name"),
            ("spec", "ingress", 0, "protocols"),
            ("spec", "ingress", 0, "protocols", 0, "udp"),
            ("spec", "ingress", 0, "protocols", 0, "destinationNamedPort"),
            ("spec", "ingress", 0, "protocols", 0, "tcp", "destinationPort", "range"),
            ("spec", "ingress", 0, "from", 0, "pods"),
            ("spec", "subject", "pods"),
        ],
    ),
    (
        "Calico",
        parse_calico_policy,
        CALICO,
        [
            ("spec",),
            ("spec", "order"),
            ("spec", "tier"),
            ("spec", "selector"),
            ("spec", "types"),
            ("spec", "egress"),
            ("spec", "ingress"),
            ("spec", "serviceAccountSelector"),
            ("spec", "ingress", 0, "protocol"),
            ("spec", "ingress", 0, "source"),
            ("spec", "ingress", 0, "source", "namespaceSelector"),
            ("spec", "ingress", 0, "source", "notNets"),
            ("spec", "ingress", 0, "destination", "notPorts"),
            ("spec", "ingress", 0, "icmp"),
            ("spec", "ingress", 0, "http"),
            ("spec", "ingress", 0, "ipVersion"),
            ("spec", "ingress", 0, "metadata"),
            ("spec", "ingress", 0, "destination", "serviceAccounts"),
        ],
    ),
    (
        "Cilium",
        parse_cilium_policy,
        CILIUM,
        [
            ("specs",),
            ("spec", "ingress"),
            ("spec", "egress"),
            ("spec", "ingressDeny"),
            ("spec", "egressDeny"),
            ("spec", "nodeSelector"),
            ("spec", "enableDefaultDeny"),
            ("spec", "enableDefaultDeny", "ingress"),
            ("spec", "description"),
            ("spec", "labels"),
            ("spec", "endpointSelector", "matchExpressions"),
            ("spec", "ingress", 0, "toPorts"),
            ("spec", "ingress", 0, "toPorts", 0, "rules"),
            ("spec", "ingress", 0, "toPorts", 0, "ports", 0, "protocol"),
            ("spec", "ingress", 0, "toPorts", 0, "ports", 0, "endPort"),
            ("spec", "ingress", 0, "fromCIDR"),
            ("spec", "ingress", 0, "fromEntities"),
            ("spec", "ingress", 0, "icmps"),
        ],
    ),
    (
        "Pod",
        _POD_PARSE,
        POD,
        [
            ("spec",),
            ("status",),
            ("metadata", "labels"),
            ("metadata", "uid"),
            ("spec", "nodeName"),
            ("spec", "serviceAccountName"),
            ("spec", "hostNetwork"),
            ("spec", "initContainers"),
            ("spec", "containers", 0, "ports"),
            ("spec", "containers", 0, "securityContext"),
            ("spec", "containers", 0, "securityContext", "privileged"),
            ("spec", "containers", 0, "image"),
            ("spec", "containers", 0, "ports", 0, "protocol"),
            ("spec", "containers", 0, "ports", 0, "name"),
            ("spec", "containers", 0, "ports", 0, "hostPort"),
            ("status", "podIPs"),
            ("status", "hostIP"),
            ("status", "phase"),
        ],
    ),
    (
        "Service",
        _plain(parse_service),
        SERVICE,
        [
            ("spec", "selector"),
            ("spec", "type"),
            ("spec", "clusterIPs"),
            ("spec", "externalIPs"),
            ("spec", "ports", 0, "name"),
            ("spec", "ports", 0, "protocol"),
            ("spec", "ports", 0, "targetPort"),
            ("spec", "ports", 0, "nodePort"),
            ("status", "loadBalancer"),
            ("status", "loadBalancer", "ingress"),
        ],
    ),
    (
        "EndpointSlice",
        _plain(parse_endpoint_slice),
        SLICE,
        [
            ("addressType",),
            ("ports",),
            ("endpoints",),
            ("endpoints", 0, "conditions"),
            ("endpoints", 0, "conditions", "ready"),
            ("ports", 0, "port"),
            ("ports", 0, "protocol"),
        ],
    ),
    ("Namespace", _plain(parse_namespace), ns("web", team="web"), [("metadata", "labels")]),
    (
        "Node",
        _plain(parse_node),
        NODE,
        [("spec", "podCIDRs"), ("status", "addresses"), ("metadata", "labels")],
    ),
    (
        "Ingress",
        _plain(parse_ingress),
        INGRESS,
        [
            ("spec", "rules"),
            ("spec", "ingressClassName"),
            ("spec", "defaultBackend"),
            ("spec", "rules", 0, "http"),
            ("spec", "rules", 0, "host"),
        ],
    ),
]
_CASES = [
    pytest.param(parse, obj, path, id=f"{dialect}:{'.'.join(map(str, path))}")
    for dialect, parse, obj, paths in _FIELDS
    for path in paths
]


@pytest.mark.parametrize(("parse", "obj", "path"), _CASES)
def test_a_field_given_as_null_is_read_as_the_field_absent(parse, obj, path):
    absent = _parsed(parse, _with(obj, path, _ABSENT))
    assert _parsed(parse, _with(obj, path, None)) == absent


def _load(tmp_path: Path, *objs: dict[str, Any]) -> k8sviz.Snapshot:
    """A snapshot read from a file, as a user gives one (nulls and all, through JSON)."""
    path = tmp_path / "dump.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objs)}))
    return k8sviz.load(path)


def _cluster(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        ns("web", team="web"),
        ns("db", team="db"),
        pod("web", "a", {"app": "a"}, "10.0.0.1"),
        pod("web", "b", {"app": "b", "tier": ""}, "10.0.0.2"),
        pod("db", "d", {"app": "d"}, "10.0.0.9"),
        *extra,
    ]


# --------------------------------------------------------------------------------------------
# NetworkPolicy (a built-in type)


def test_a_null_from_allows_every_source_as_an_absent_one_does(tmp_path):
    # Not "no sources": Go decodes `from: null` to a nil slice, which is the rule without from.
    nulled = netpol("db", "p", {"podSelector": {}, "ingress": [{"from": None, "ports": [{"port": 5432}]}]})
    r = k8sviz.reachability(_load(tmp_path, *_cluster(nulled)))
    assert r.can_reach("web/a", "db/d", 5432) and not r.can_reach("web/a", "db/d", 80)


def test_a_null_ports_item_is_every_port_over_tcp(tmp_path):
    # Go decodes the null item to the empty NetworkPolicyPort: protocol defaulted to TCP, no
    # port (every port).  The API accepts it; k8sviz refused it as "not an object".
    for ports in ([None], [{}]):
        p = netpol(
            "db", "p", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}], "ports": ports}]}
        )
        r = k8sviz.reachability(_load(tmp_path, *_cluster(p)))
        assert r.can_reach("web/a", "db/d", 5432) and r.can_reach("web/a", "db/d", 1)
        assert not r.can_reach("web/a", "db/d", 53, "UDP")


def test_a_null_spec_is_the_empty_spec_which_isolates_the_namespace(tmp_path):
    # The API requires no field of the spec: stored empty, the policy selects every pod of db
    # for ingress and allows nothing.  k8sviz refused it as "spec is missing".
    without = {k: v for k, v in netpol("db", "p", {}).items() if k != "spec"}
    for obj in (_with(without, ("spec",), None), without):
        snap = _load(tmp_path, *_cluster(obj))
        assert not k8sviz.reachability(snap).can_reach("web/a", "db/d", 5432)
        assert [w.code for w in snap.warnings] == ["policy-no-podselector"]


def test_a_null_pod_selector_warns_and_selects_as_an_absent_one(tmp_path):
    for selector in (None, _ABSENT):
        spec: dict[str, Any] = {"ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "b"}}}]}]}
        if selector is None:
            spec["podSelector"] = None
        snap = _load(tmp_path, ns("web"), netpol("web", "p", spec))
        assert [w.code for w in snap.warnings] == ["policy-no-podselector"]
        assert snap.warnings[0].message.startswith("spec.podSelector is missing or null; read as {}")
        assert snap.network_policies[0].pod_selector.is_empty


def test_a_null_label_value_is_the_empty_value_in_selectors_and_labels(tmp_path):
    # `tier:` with nothing after it, in a selector and in a pod template: the API stores "" for
    # both (a label value may be empty), so the policy selects the workload's pods.  k8sviz
    # refused the selector (not a string) and read the pod label as "None".
    workload = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"namespace": "db", "name": "cache"},
        "spec": {
            "template": {
                "metadata": {"labels": {"app": "cache", "tier": None}},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            }
        },
    }
    isolate = netpol("db", "p", {"podSelector": {"matchLabels": {"tier": None}}, "policyTypes": ["Ingress"]})
    also = netpol(
        "db",
        "q",
        {
            "podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": [None]}]},
            "policyTypes": ["Ingress"],
        },
    )
    snap = _load(tmp_path, ns("db"), workload, isolate, also)
    assert snap.warnings == ()
    (synthesized,) = snap.pods
    assert synthesized.labels["tier"] == ""
    r = k8sviz.reachability(snap)
    assert set(r.explain("0.0.0.0", "db/cache", 80).ingress.policies) == {  # type: ignore[union-attr]
        "db/p",
        "db/q",
    }


def test_a_selector_term_with_a_null_key_is_refused_as_the_api_refuses_it(tmp_path):
    # Go stores the key "", which no label has and validation refuses; it is not the key "None".
    p = netpol("db", "p", {"podSelector": {"matchExpressions": [{"key": None, "operator": "Exists"}]}})
    with pytest.raises(PolicyError, match=r"matchExpressions\[0\] needs key and operator"):
        _load(tmp_path, p)


# --------------------------------------------------------------------------------------------
# Custom resources: the admin kinds, Calico, Cilium


def test_an_admin_label_value_given_as_null_is_pruned_and_the_selector_widens(tmp_path):
    # The CRD types matchLabels' values (additionalProperties: string, not nullable): the server
    # drops `team: null`, and the subject is every namespace.  k8sviz refused the policy.
    deny = anp(
        "deny",
        {
            "priority": 1,
            "subject": {"namespaces": {"matchLabels": {"team": None}}},
            "ingress": [{"action": "Deny", "from": [{"namespaces": {"matchLabels": {"team": "web"}}}]}],
        },
    )
    snap = _load(tmp_path, *_cluster(deny))
    assert snap.admin_policies[0].subject[0].is_empty
    r = k8sviz.reachability(snap)
    assert not r.can_reach("web/a", "db/d", 5432) and not r.can_reach("web/a", "web/b", 80)


def test_an_admin_peer_with_a_null_beside_its_field_is_that_field(tmp_path):
    # {namespaces: null, pods: {...}} is stored as the pods peer (one field, as the CRD wants);
    # k8sviz refused it ("set exactly one of namespaces, pods").  Likewise a subject and a port.
    pods_a = {
        "namespaceSelector": {"matchLabels": {"team": "web"}},
        "podSelector": {"matchLabels": {"app": "a"}},
    }
    allow = anp(
        "allow",
        {
            "priority": 1,
            "subject": {
                "namespaces": None,
                "pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "d"}}},
            },
            "ingress": [
                {
                    "action": "Deny",
                    "from": [{"namespaces": None, "pods": pods_a}],
                    "ports": [{"portNumber": {"port": 5432, "protocol": None}, "namedPort": None}],
                }
            ],
        },
    )
    r = k8sviz.reachability(_load(tmp_path, *_cluster(allow)))
    assert not r.can_reach("web/a", "db/d", 5432) and r.can_reach("web/a", "db/d", 80)
    assert r.can_reach("web/b", "db/d", 5432)


def test_an_admin_peer_of_nulls_only_fails_closed_instead_of_selecting_every_namespace(tmp_path):
    # {namespaces: null} is stored as {} (which the CRD's minProperties then refuses); k8sviz read
    # it as `namespaces: {}`, every namespace: an Allow to everyone.  Now it is the empty peer,
    # which fails closed (an Allow matches nothing).
    allow = anp(
        "allow",
        {
            "priority": 1,
            "subject": {"namespaces": {"matchLabels": {"team": "db"}}},
            "ingress": [{"action": "Allow", "from": [{"namespaces": None}]}],
        },
    )
    banp = anp(
        "default",
        {"subject": {"namespaces": {}}, "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}]},
        baseline=True,
    )
    r = k8sviz.reachability(_load(tmp_path, *_cluster(allow, banp)))
    assert not r.can_reach("web/a", "db/d", 5432)


def test_a_cluster_network_policy_protocol_with_a_null_beside_it_is_the_other(tmp_path):
    cnp = copy.deepcopy(CNP)
    cnp["spec"]["ingress"][0].update(
        action="Deny", protocols=[{"tcp": None, "udp": {"destinationPort": {"number": 53}}}]
    )
    r = k8sviz.reachability(_load(tmp_path, *_cluster(cnp)))
    assert not r.can_reach("web/a", "db/d", 53, "UDP") and r.can_reach("web/a", "db/d", 53)


def test_a_cilium_label_value_given_as_null_is_pruned(tmp_path):
    # The CRD's matchLabels values are typed strings: `app: null` is dropped, and the rule
    # admits every endpoint of web into db/d.  k8sviz refused the policy.
    cil = copy.deepcopy(CILIUM)
    web = {"k8s:io.kubernetes.pod.namespace": "web", "app": None}
    cil["spec"] = {
        "endpointSelector": {"matchLabels": {"app": "d"}},
        "ingress": [{"fromEndpoints": [{"matchLabels": web}]}],
    }
    r = k8sviz.reachability(_load(tmp_path, *_cluster(cil)))
    assert r.can_reach("web/a", "db/d", 5432) and r.can_reach("web/b", "db/d", 5432)


# --------------------------------------------------------------------------------------------
# Workload objects


def test_a_null_endpoint_slice_port_is_every_port():
    # Go decodes the item to the empty EndpointPort (protocol defaulted to TCP, port nil: "all
    # ports", as the API documents it); k8sviz refused the slice.
    es = parse_endpoint_slice(_with(SLICE, ("ports",), [None]))
    assert es is not None and es.ports == (("TCP", None),)


def test_a_null_beside_an_early_admin_pods_peers_namespaces_keeps_its_shape(tmp_path):
    # The early v1alpha1 shape is told by the fields it has, without those given as null, as for
    # a `namespaces` peer: {sameLabels: [...], matchLabels: null} under `pods` was read as the
    # later shape, its `namespaces` dropped, and the peer widened to every pod of every namespace.
    def deny(peer: dict[str, Any]) -> dict[str, Any]:
        return anp("deny", {"priority": 1, "subject": {"namespaces": {}},
                            "ingress": [{"action": "Deny", "from": [peer]}]})

    early = {"sameLabels": ["team"], "matchLabels": None}
    for peer in ({"namespaces": early}, {"pods": {"namespaces": early, "podSelector": {}}}):
        got, warnings = _parsed(parse_admin_policy, deny(peer))
        (read,) = got.ingress[0].peers
        assert read.unknown and read.pods is None and read.namespaces is None, read
        assert "admin-relative-namespaces" in {w.code for w in warnings}
