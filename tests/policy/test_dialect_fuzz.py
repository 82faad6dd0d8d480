"""A seeded, structure-aware fuzz of the policy dialects other than NetworkPolicy: hostile edits
of AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy, Calico (policies, tiers,
network sets, selector expressions) and Cilium objects give a clear answer or a clear error.

The contract: loading, evaluating, explaining and reporting on an edited cluster either works or
raises a :class:`~k8sviz.errors.K8svizError` whose message names the file and the object, in the
input's terms (no "TypeError", "unhashable", "'NoneType' object"); no policy of the input goes
missing without a warning or an error naming it; and a list or map a policy's verdicts depend
on, written as ``0`` or ``""``, is an error or a warning, never read as absent (the empty
selector, every port, no exceptions).

It guards the kinds of defect a longer fuzz of the dialects found: errors in Python's words
("malformed object (TypeError: unhashable type: 'dict')" for a Calico action written as a map,
"'int' object is not iterable" for selector values written as a number), and falsy values read
through ``or`` as absent (``matchLabels: 0`` or ``podSelector: []`` selecting everything,
Cilium's ``ports: 0`` meaning every port).  Each defect found has its own test beside the
dialect's others (test_admin, test_calico, test_cilium, tests/sources/test_manifests); this file
keeps the next one of the kind from slipping in.  The cases are fixed (one seed), so a failure
names a case that fails again; two sweeps write every field of the seeds as another type, and
every list and map as ``0`` and ``""``, in turn.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import k8sviz
from k8sviz._yaml import Dumper as KUBECTL_YAML
from k8sviz.cli import main
from k8sviz.errors import K8svizError

from .helpers import anp, kubernetes_slice, netpol, node, ns, pod, snapshot

CASES = 200
POLICY_KINDS = frozenset({
    "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy", "NetworkPolicy",
    "GlobalNetworkPolicy", "Tier", "NetworkSet", "GlobalNetworkSet", "CiliumNetworkPolicy",
    "CiliumClusterwideNetworkPolicy"})
#: Python's words: an error saying one has not said what in the input is wrong; and a value of
#: the input as Python shows it (``[True, None]``), where the file says ``[true, null]``.
PYTHON_WORDS = re.compile(
    r"\b(AttributeError|TypeError|KeyError|IndexError|ValueError|RecursionError|OverflowError|Traceback|"
    r"NoneType|unhashable|invalid literal|object has no attribute|not subscriptable|not iterable)\b"
    r"|(?<![\w'\"])(True|False|None)(?![\w'\"])")
#: Values put where the input had another: other types, extremes, hostile text, near misses.
HOSTILE: list[Any] = [
    None, True, False, 0, -1, 1.5, 2**64, "", [], {}, "x" * 2000, "\x00", "a\nb\x1b[2J",
    "</script><script>alert(1)</script>", "10.0.0.0/33", "10.0.0.1", "fe80::%eth0/64", "65536", "80:70", "In",
    "Bogus", "Deny", "Pass", "Accept", "tcp", "ICMP", "ANY", 300, "app == 'a", "has(",
    "(" * 120 + "all()" + ")" * 120, "global()", "world", "bogus-entity", {"matchLabels": None},
    {"matchLabels": {"a": 1}}, [1, "x", None], {"matchExpressions": [{"key": "a", "operator": "In"}]},
    [{"port": "x"}], [None], [[]], {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/8"]}, {"start": 9, "end": 1},
    {"type": 300}, ["Ingress", "Ingress"], [True, None], {"a": None}, [1.5, False],
]
SELECTOR_TEXT = ["app == 'a", "app === 'a'", "a in {'x'", "all() &&", "app == 'a'\n", "a" * 600 + " == 'x'",
                 "!" * 3000 + "all()", "has(app) || ", "app\x00 == 'x'"]

SEL = {"matchLabels": {"team": "web"}, "matchExpressions": [
    {"key": "app", "operator": "In", "values": ["a", "b"]},
    {"key": "x", "operator": "NotIn", "values": ["y"]},
    {"key": "team", "operator": "Exists"}, {"key": "gone", "operator": "DoesNotExist"}]}
DB = {"matchLabels": {"team": "db"}}


def _cluster() -> list[dict[str, Any]]:
    return [
        ns("web", team="web"), ns("db", team="db"),
        pod("web", "a", {"app": "a"}, "10.0.0.1", (("http", 8080, "TCP"),)),
        pod("web", "b", {"app": "b"}, "10.0.0.2"),
        pod("db", "d", {"app": "d"}, "10.0.0.9", (("sql", 5432, "TCP"), ("stats", 9000, "UDP"))),
        pod("kube-system", "agent", {"app": "agent"}, "10.0.1.1", host=True, host_ip="10.0.1.1"),
        node("n1", "10.0.1.1", "203.0.113.7", role="worker"),
        {"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": "db", "name": "s"},
         "spec": {"selector": {"app": "d"}, "ports": [{"port": 5432, "targetPort": "sql"}]}},
        kubernetes_slice("10.0.1.1"),
    ]


def _cnp(name: str, spec: dict[str, Any], version: str = "v1alpha2") -> dict[str, Any]:
    return {"apiVersion": f"policy.networking.k8s.io/{version}", "kind": "ClusterNetworkPolicy",
            "metadata": {"name": name}, "spec": spec}


def _calico(kind: str, name: str, spec: dict[str, Any], namespace: str | None = None,
            version: str = "projectcalico.org/v3") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {"role": "x"}}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": version, "kind": kind, "metadata": meta, "spec": spec}


def _cilium(name: str, spec: dict[str, Any], namespace: str | None = "db") -> dict[str, Any]:
    kind = "CiliumNetworkPolicy" if namespace else "CiliumClusterwideNetworkPolicy"
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": "cilium.io/v2", "kind": kind, "metadata": meta, "spec": spec}


def _policies() -> list[dict[str, Any]]:
    """Valid policies of every dialect, using most of their fields; each is evaluated."""
    pods = {"pods": {"namespaceSelector": SEL, "podSelector": {"matchLabels": {"app": "a"}}}}
    ports = [{"portNumber": {"protocol": "TCP", "port": 80}},
             {"portRange": {"protocol": "UDP", "start": 1, "end": 9}}, {"namedPort": "sql"}]
    protocols = [{"tcp": {"destinationPort": {"number": 5432}}},
                 {"udp": {"destinationPort": {"range": {"start": 1, "end": 9}}}},
                 {"destinationNamedPort": "sql"}]
    entity = {"nets": ["10.0.0.0/8"], "notNets": ["10.1.0.0/16"], "selector": "app in {'a', 'b'} && has(app)",
              "notSelector": "app == 'b'", "namespaceSelector": "team == 'web' || team starts with 'w'"}
    cil_ports = [{"port": "5432", "endPort": 5440, "protocol": "TCP"}, {"port": "sql"}]
    objs = [
        anp("deny-web", {"priority": 10, "subject": {"namespaces": DB}, "ingress": [
            {"name": "web", "action": "Deny", "from": [{"namespaces": SEL}, pods], "ports": ports},
            {"action": "Pass", "from": [{"namespaces": {}}]}],
            "egress": [{"action": "Allow", "to": [{"nodes": {"matchLabels": {"role": "worker"}}},
                                                   {"networks": ["10.0.0.0/8"]}], "ports": ports[:2]}]}),
        anp("default", {"subject": {"pods": {"namespaceSelector": {}, "podSelector": SEL}},
                        "ingress": [{"action": "Deny", "from": [pods], "ports": ports}]}, baseline=True),
        _cnp("admin", {"tier": "Admin", "priority": 3, "subject": {"namespaces": DB}, "ingress": [
            {"name": "in", "action": "Accept", "from": [{"namespaces": {}}, pods], "protocols": protocols}],
            "egress": [{"action": "Deny", "to": [{"networks": ["0.0.0.0/0"]}], "protocols": protocols[:2]}]}),
        _cnp("base", {"tier": "Baseline", "priority": 4, "subject": {"namespaces": SEL}, "ingress": [
            {"action": "Deny", "from": [{"namespaces": DB}]}]}, "v1beta1"),
        _calico("Tier", "security", {"order": 10, "defaultAction": "Pass"}),
        _calico("GlobalNetworkPolicy", "security.g", {
            "tier": "security", "order": 5, "selector": "app == 'd'", "namespaceSelector": "all()",
            "types": ["Ingress", "Egress"], "doNotTrack": False, "applyOnForward": False,
            "ingress": [{"action": "Deny", "protocol": "TCP", "source": entity,
                         "destination": {"ports": [5432, "1000:2000", "sql"], "notPorts": [81]}},
                        {"action": "Log"},
                        {"action": "Allow", "protocol": "ICMP", "icmp": {"type": 8, "code": 0}},
                        {"action": "Pass", "source": {"namespaceSelector": "global()"}}],
            "egress": [{"action": "Allow", "protocol": "UDP", "ipVersion": 4,
                        "destination": {"nets": ["8.8.8.0/24"]}}]}),
        _calico("NetworkPolicy", "allow-db", {
            "selector": "app == 'd'", "order": 100.5, "types": ["Ingress"],
            "ingress": [{"action": "Allow", "protocol": 6, "source": {"selector": "app == 'a'"},
                         "destination": {"ports": ["sql"]}}]}, "db", "crd.projectcalico.org/v1"),
        _calico("GlobalNetworkSet", "dns", {"nets": ["8.8.8.0/24", "2001:db8::/32"]}),
        _calico("NetworkSet", "ext", {"nets": ["192.168.0.0/16"]}, "web"),
        _cilium("allow-a", {"endpointSelector": {"matchLabels": {"app": "d"}},
                            "enableDefaultDeny": {"ingress": True, "egress": False},
                            "ingress": [{"fromEndpoints": [{"matchLabels": {
                                             "k8s:io.kubernetes.pod.namespace": "web", "any:app": "a"}}],
                                         "toPorts": [{"ports": cil_ports}]},
                                        {"fromCIDRSet": [{"cidr": "10.0.0.0/8", "except": ["10.0.0.2/32"]}]},
                                        {"fromEntities": ["host", "world"]}],
                            "ingressDeny": [{"fromEndpoints": [{"matchExpressions": [
                                {"key": "app", "operator": "In", "values": ["b"]}]}],
                                "toPorts": [{"ports": [{"port": "5432", "protocol": "TCP"}]}]},
                                {"fromEndpoints": [{}],
                                 "icmps": [{"fields": [{"family": "IPv4", "type": 8}]}]}]}),
        _cilium("egress", {"endpointSelector": SEL, "egress": [
            {"toEndpoints": [{"matchLabels": {"io.kubernetes.pod.namespace": "db"}}],
             "toPorts": [{"ports": cil_ports}]},
            {"toCIDR": ["8.8.8.8/32"]}, {"toEntities": ["kube-apiserver", "cluster"]}],
            "egressDeny": [{"toCIDRSet": [{"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}]}]}, None),
        netpol("db", "np", {"podSelector": {"matchLabels": {"app": "d"}}, "ingress": [
            {"from": [{"namespaceSelector": SEL}], "ports": [{"port": "sql"}]}]}),
    ]
    return json.loads(json.dumps(objs))  # no dict shared between objects: an edit hits one


def _nodes(obj: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, Any, tuple[Any, ...]]]:
    """Every (container, key, path) below ``obj``."""
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for k, v in list(items):
        yield obj, k, (*path, k)
        yield from _nodes(v, (*path, k))


def _mutate(rng: random.Random, objs: list[dict[str, Any]], first: int
            ) -> tuple[list[dict[str, Any]], set[int]]:
    """``objs`` with one to three edits of the policies (``objs[first:]``), and which were edited."""
    objs = copy.deepcopy(objs)
    edited = set()
    for _ in range(rng.choice([1, 1, 2, 3])):
        i = rng.randrange(first, len(objs))
        edited.add(i)
        spots = [n for n in _nodes(objs[i]) if n[2][0] not in ("apiVersion", "kind")]
        if rng.random() < 0.8:  # mostly the spec
            spots = [n for n in spots if n[2][0] == "spec"]
        container, key, _ = rng.choice(spots)
        op = rng.random()
        if op < 0.6:
            text = key in ("selector", "notSelector", "namespaceSelector") and isinstance(container[key], str)
            pool = SELECTOR_TEXT if text and rng.random() < 0.5 else HOSTILE
            container[key] = copy.deepcopy(rng.choice(pool))
        elif op < 0.75:
            del container[key]
        elif op < 0.85 and isinstance(container, list):
            container.insert(key, copy.deepcopy(container[key]))  # a duplicated element
        elif op < 0.92:
            value = container[key]
            for _ in range(rng.choice([2, 40])):
                value = [value]
            container[key] = value  # deeply nested lists
        else:
            value = container[key]
            if type(value) is int:
                container[key] = rng.choice([-value, value + 65536, str(value), float(value)])
            elif isinstance(value, str):
                container[key] = rng.choice([value.upper(), value + " ", value[:-1], value + "\x00"])
            else:
                container[key] = {}
    return objs, edited


def _write(rng: random.Random, objs: list[dict[str, Any]], path: Path) -> Path:
    if rng.random() < 0.5:
        path = path.with_suffix(".yaml")
        path.write_text(yaml.dump_all(Dumper=KUBECTL_YAML, documents=objs, allow_unicode=True))
    else:
        path = path.with_suffix(".json")
        path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))
    return path


def _names(objs: list[dict[str, Any]]) -> list[str]:
    """The names of the policies, tiers and network sets in ``objs`` (as written)."""
    out = []
    for o in objs:
        meta = o.get("metadata")
        if o.get("kind") in POLICY_KINDS and isinstance(meta, dict) and isinstance(meta.get("name"), str):
            out.append(meta["name"])
    return out


def test_the_seed_policies_load_clean_and_are_evaluated():
    """The base of the fuzz is valid: what the cases report comes from their edits."""
    snap = snapshot(*_cluster(), *_policies())
    assert not [w for w in snap.warnings if w.code not in ("baseline-not-default",)], snap.warnings
    assert snap.unevaluated_policies == ()
    assert (len(snap.admin_policies), len(snap.calico_policies), len(snap.cilium_policies),
            len(snap.calico_tiers), len(snap.network_sets)) == (4, 2, 2, 1, 2)


def test_hostile_edits_of_every_dialect_give_a_clear_answer_or_a_clear_error(tmp_path, capsys):
    rng = random.Random(20261129)
    cluster = _cluster()
    base = cluster + _policies()
    outcomes = set()
    for case in range(CASES):
        objs, edited = _mutate(rng, base, len(cluster))
        path = _write(rng, objs, tmp_path / str(case))  # pytest keeps tmp_path: the file can be read
        where = f"case {case}: {path}"
        stage = "load"
        try:
            snap = k8sviz.load(path)
            told = " ".join([*snap.policy_metadata, *(str(w) for w in snap.warnings)])
            assert not PYTHON_WORDS.search(" ".join(str(w) for w in snap.warnings)), (where, snap.warnings)
            lost = [n for n in _names(objs) if n not in told]
            assert not lost, (where, "policies neither read nor named by a warning", lost)
            stage = "evaluate"
            reach = k8sviz.reachability(snap)
            reach.to_frame(level="pod")
            reach.to_frame(level="workload")
            str(reach.explain("web/a", "db/d", 5432))
            if case % 4 == 0:
                k8sviz.gaps(snap, reach)
            if case % 8 == 0:
                stage = "cli"
                command = "policies" if case % 16 else "connectivity"
                assert main([command, str(path)]) == 0, where
                assert not PYTHON_WORDS.search(capsys.readouterr().err), where
            outcomes.add("answer")
        except K8svizError as e:
            said = str(e)
            assert stage == "load", (where, stage, said)  # what loads is evaluated without errors
            assert str(path) in said and not PYTHON_WORDS.search(said), (where, said)
            # The object by kind and name (by kind and place in the file, where its name is the
            # thing edited into no name).
            assert any(f"{objs[i]['kind']}/" in said for i in edited), (where, said)
            outcomes.add("error")
    assert outcomes == {"answer", "error"}  # the edits reach past the loader


#: Lists and maps of the seed policies that no verdict depends on: the peers of a Cilium entry
#: with icmps (ICMP only, outside the TCP/UDP/SCTP model).  Every other one is read.
NOT_READ = frozenset({"CiliumNetworkPolicy/allow-a: spec.ingressDeny.1.fromEndpoints"})


@pytest.mark.parametrize("falsy", [0, ""])
def test_no_list_or_map_a_verdict_depends_on_is_read_as_absent_when_written_falsy(falsy):
    """Each list and map of the seed policies, written as ``0`` or ``""`` (which no API server
    stores there), is an error or a warning; read through ``or`` it was the zero value: an
    empty selector selects everything, no ports is every port."""
    cluster, policies = _cluster(), _policies()
    said_before = {str(w) for w in snapshot(*cluster, *policies).warnings}
    unsaid = []
    for i, pol in enumerate(policies):
        for _, key, path in list(_nodes(pol)):
            value = pol
            for k in path:
                value = value[k]
            at = f"{pol['kind']}/{pol['metadata']['name']}: {'.'.join(map(str, path))}"
            if path[0] != "spec" or not isinstance(value, dict | list) or not value or at in NOT_READ:
                continue
            edited = copy.deepcopy(policies)
            container = edited[i]
            for k in path[:-1]:
                container = container[k]
            container[key] = falsy
            try:
                snap = snapshot(*cluster, *edited)
            except K8svizError:
                continue
            if not {str(w) for w in snap.warnings} - said_before:
                unsaid.append(at)
    assert unsaid == []


def test_every_field_of_the_seeds_written_as_another_type_is_read_or_named():
    """Each value of the seed policies' specs replaced by a map, a list and a number in turn: the
    policy loads, or the error names the object in the input's terms.  (A map where a rule's
    action belongs was "unhashable type: 'dict'", a number where selector values belong "'int'
    object is not iterable".)"""
    cluster, policies = _cluster(), _policies()
    for i, pol in enumerate(policies):
        ref = f"{pol['kind']}/"
        for _, key, path in list(_nodes(pol)):
            if path[0] != "spec":
                continue
            for other in ({"a": 1}, [{}], 7):
                edited = copy.deepcopy(policies)
                container = edited[i]
                for k in path[:-1]:
                    container = container[k]
                container[key] = copy.deepcopy(other)
                try:
                    snapshot(*cluster, *edited)
                except K8svizError as e:
                    said = str(e)
                    assert ref in said and not PYTHON_WORDS.search(said), (path, other, said)
