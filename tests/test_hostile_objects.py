"""Tampered objects (a value of any JSON type anywhere): a clear error or a warning, never a traceback."""

from __future__ import annotations

import copy
import functools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import k8sviz
from k8sviz.errors import InputError, K8svizError, PolicyError
from tests.objects import PYTHON_WORDS, leaf_paths, set_path

HOSTILE = [None, 0, -1, 1.5, 2**70, True, "", "x", "<script>", "80", "10.0.0.0/33", [], {}, [1], {"a": 1},
           ["x"], {"x": None}, "In", "::/0", 65536, [True], [None, 1.5], {"a": [False]}]


def assert_yaml_words(texts):
    """Messages about the tampered file show its values as it wrote them (``[true]``, ``null``),
    not as Python does (``[True]``, ``None``), and name no Python exception."""
    for text in texts:
        assert not PYTHON_WORDS.search(text), text


@functools.cache
def _demo_text() -> str:
    return json.dumps(k8sviz.demo().raw_objects())


def tampered_dump(tmp_path, data):
    """The demo's objects as one dump, one to three leaves of one object set to hostile values."""
    objs = json.loads(_demo_text())
    i = data.draw(st.integers(0, len(objs) - 1))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(sorted(leaf_paths(objs[i]), key=str)))
        value = copy.deepcopy(data.draw(st.sampled_from(HOSTILE)))  # never the shared object
        set_path(objs[i], path, value)
    dump = tmp_path / "cluster.json"
    dump.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))
    return dump


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_tampered_dump_loads_or_fails_cleanly(tmp_path, data):
    dump = tampered_dump(tmp_path, data)
    try:
        snap = k8sviz.load(dump)
    except InputError as e:
        assert str(dump) in str(e)  # names the file (and the object where there is one)
        assert_yaml_words([str(e)])
        return
    assert_yaml_words(str(w) for w in snap.warnings)
    try:
        reach = k8sviz.reachability(snap)
        reach.to_frame("workload")
        k8sviz.gaps(snap, reach)
    except K8svizError:
        pass


_GV = "policy.networking.k8s.io"
ADMIN_SEEDS = [
    {"apiVersion": f"{_GV}/v1alpha1", "kind": "AdminNetworkPolicy", "metadata": {"name": "a"},
     "spec": {"priority": 3, "subject": {"pods": {"namespaceSelector": {"matchLabels": {"pci-scope": "cde"}}, "podSelector": {}}},
              "ingress": [{"name": "r", "action": "Deny", "from": [{"namespaces": {"matchLabels": {"team": "web"}}}],
                           "ports": [{"portNumber": {"protocol": "TCP", "port": 80}},
                                     {"portRange": {"protocol": "UDP", "start": 1, "end": 9}}, {"namedPort": "grpc"}]}],
              "egress": [{"action": "Pass", "to": [{"networks": ["10.0.0.0/8"]}, {"nodes": {"matchLabels": {"a": "b"}}},
                                                   {"domainNames": ["x.io"]}]}]}},
    {"apiVersion": f"{_GV}/v1alpha1", "kind": "BaselineAdminNetworkPolicy", "metadata": {"name": "default"},
     "spec": {"subject": {"namespaces": {}}, "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}]}},
    {"apiVersion": f"{_GV}/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": {"name": "c"},
     "spec": {"tier": "Baseline", "priority": 2, "subject": {"namespaces": {}},
              "egress": [{"action": "Accept", "to": [{"pods": {"namespaceSelector": {}, "podSelector": {}}}],
                          "protocols": [{"tcp": {"destinationPort": {"number": 80}}},
                                        {"udp": {"destinationPort": {"range": {"start": 1, "end": 5}}}},
                                        {"destinationNamedPort": "grpc"}]}]}},
    {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "g"},
     "spec": {"tier": "security", "order": 10, "selector": "app == 'x' && !has(y)", "namespaceSelector": "all()",
              "types": ["Ingress", "Egress"],
              "ingress": [{"action": "Deny", "protocol": "TCP",
                           "source": {"selector": "a in {'b'}", "notSelector": "c == 'd'", "namespaceSelector": "global()",
                                      "nets": ["10.0.0.0/8"], "notNets": ["10.1.0.0/16"]},
                           "destination": {"ports": [80, "1000:2000", "grpc"], "notPorts": [1500]}},
                          {"action": "Pass"}],
              "egress": [{"action": "Allow", "notProtocol": "UDP", "destination": {"nets": ["0.0.0.0/0"]}}]}},
    {"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": "security"},
     "spec": {"order": 100, "defaultAction": "Pass"}},
    {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "cil", "namespace": "shop"},
     "spec": {"endpointSelector": {"matchLabels": {"k8s:app": "frontend"}},
                "ingress": [{"fromEndpoints": [{"matchLabels": {"io.kubernetes.pod.namespace": "pci"}}],
                             "toPorts": [{"ports": [{"port": "8080", "endPort": 8090, "protocol": "TCP"},
                                                    {"port": "grpc"}], "rules": {"http": [{"method": "GET"}]}}]},
                            {"fromCIDRSet": [{"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}]}],
                "egressDeny": [{"toEntities": ["world"]}], "enableDefaultDeny": {"egress": False}}},
    {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "cil-dns"},
     "spec": {"endpointSelector": {"matchLabels": {"app": "frontend"}},
              "egress": [{"toFQDNs": [{"matchName": "api.example.com"}, {"matchPattern": "*.example.org"}],
                          "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]},
                         {"toServices": [{"k8sService": {"serviceName": "ext", "namespace": "shop"}},
                                         {"k8sServiceSelector": {"selector": {"matchLabels": {"a": "b"}}}}]}]}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext", "namespace": "shop", "labels": {"a": "b"}},
     "spec": {"ports": [{"port": 5432}]}},
    {"apiVersion": "crd.projectcalico.org/v1", "kind": "NetworkSet", "metadata": {"name": "s", "namespace": "shop",
                                                                                 "labels": {"role": "x"}},
     "spec": {"nets": ["192.168.0.0/16"]}},
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_tampered_admin_policy_loads_or_fails_cleanly(tmp_path, data):
    """The same for the admin-tier and Calico kinds, tampered inside their spec, evaluated and explained."""
    objs = [*json.loads(_demo_text()), *copy.deepcopy(ADMIN_SEEDS)]
    obj = objs[len(objs) - 1 - data.draw(st.integers(0, len(ADMIN_SEEDS) - 1))]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(sorted(leaf_paths(obj["spec"]), key=str)))
        set_path(obj["spec"], path, copy.deepcopy(data.draw(st.sampled_from(HOSTILE))))
    dump = tmp_path / "cluster.json"
    dump.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))
    try:
        snap = k8sviz.load(dump)
    except InputError as e:
        meta = obj["metadata"]
        ref = "/".join([obj["kind"], *([meta["namespace"]] if "namespace" in meta else []), meta["name"]])
        assert str(dump) in str(e) and ref in str(e), str(e)
        assert_yaml_words([str(e)])
        return
    assert_yaml_words(str(w) for w in snap.warnings)
    reach = k8sviz.reachability(snap)
    str(reach.explain("shop/frontend", "pci/paymentservice", 50051))
    reach.to_frame("workload")
    k8sviz.gaps(snap, reach)


def test_shapes_found_by_fuzzing_are_named_errors(tmp_path):
    cases = {
        "namespace list": ("NetworkPolicy", ["metadata", "namespace"], ["a"]),
        "labels float": ("Namespace", ["metadata", "labels"], 1.5),
        "owner refs text": ("ReplicaSet", ["metadata", "ownerReferences"], "x"),
        "template text": ("Deployment", ["spec", "template"], "x"),
        "containers number": ("Deployment", ["spec", "template", "spec", "containers"], 1.5),
        "pod IP list": ("Pod", ["status", "podIP"], [1]),
    }
    for label, (kind, path, value) in cases.items():
        objs = json.loads(_demo_text())
        obj = next(o for o in objs if o["kind"] == kind)
        set_path(obj, path, value)
        if kind == "Pod":
            obj["status"].pop("podIPs", None)
        dump = tmp_path / f"{label.replace(' ', '-')}.json"
        dump.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))
        try:
            k8sviz.load(dump)
        except InputError as e:
            name = obj["metadata"]["name"]
            assert str(dump) in str(e) and kind in str(e) and str(name) in str(e), (label, str(e))
            assert "malformed object" in str(e), (label, str(e))
        else:
            raise AssertionError(f"{label}: loaded without an error")


def test_an_env_that_is_no_list_is_named_in_words(tmp_path):
    """It said "malformed object: 'int' object is not iterable" (Python's, naming no field)."""
    p = tmp_path / "cluster.json"
    p.write_text(json.dumps({"apiVersion": "apps/v1", "kind": "Deployment",
                             "metadata": {"name": "d", "namespace": "shop"},
                             "spec": {"template": {"spec": {"containers": [{"name": "c", "env": -1}]}}}}))
    with pytest.raises(InputError) as e:
        k8sviz.load(p)
    assert str(e.value) == (f"{p}, Deployment/shop/d: malformed object: "
                            "spec.template.spec.containers[0].env is a number, not a list")


def test_a_null_domain_name_is_refused(tmp_path):
    """``domainNames: [null]`` loaded (None was taken for "no bad name"), and explaining a rule
    raised a TypeError joining the names."""
    obj = copy.deepcopy(ADMIN_SEEDS[0])
    obj["spec"]["egress"][0]["to"][2]["domainNames"] = [None]
    p = tmp_path / "cluster.json"
    p.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [obj]}))
    with pytest.raises(PolicyError) as e:
        k8sviz.load(p)
    assert str(e.value) == (f"{p}.items[0], AdminNetworkPolicy/a: "
                            "spec.egress[0].to[2].domainNames: null is not a domain name")
