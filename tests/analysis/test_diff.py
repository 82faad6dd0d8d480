"""What changed between two snapshots: connections (refined external blocks) and policies."""

from __future__ import annotations

import copy
import ipaddress
import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import k8sviz
from k8sviz.analysis import _ports
from k8sviz.analysis.diff import DIFF_COLUMNS, POLICY_DIFF_COLUMNS
from k8sviz.cli import main
from k8sviz.errors import QueryError
from k8sviz.synth import generate_cluster

from ..policy.helpers import netpol, ns, pod, snapshot
from ..policy.test_properties import clusters

BASE = [
    ns("web"), ns("db"),
    pod("web", "front", {"app": "front"}, "10.0.0.1", ports=(("http", 8080, "TCP"),)),
    pod("web", "api", {"app": "api"}, "10.0.0.2", ports=(("http", 9090, "TCP"),)),
    pod("db", "pg", {"app": "pg"}, "10.0.0.3"),
]


def egress_to(cidr: str, ports: list[int], except_: list[str] | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"cidr": cidr, **({"except": except_} if except_ else {})}
    return netpol("web", "front-egress", {
        "podSelector": {"matchLabels": {"app": "front"}}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": block}], "ports": [{"port": p} for p in ports]}],
    })


def ingress_db(ports: list[Any] | None) -> dict[str, Any]:
    web = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "web"}}}
    rule: dict[str, Any] = {"from": [web]}
    if ports is not None:
        rule["ports"] = [{"port": p} for p in ports]
    return netpol("db", "pg-ingress", {"podSelector": {}, "ingress": [rule]})


def diff(before: list[dict[str, Any]], after: list[dict[str, Any]], level: str = "workload"):
    old, new = (k8sviz.reachability(snapshot(*objs)) for objs in (before, after))
    return k8sviz.reachability_diff(old, new, level=level)


def rows(df) -> list[tuple[Any, ...]]:
    cols = ["src", "dst", "protocol", "change", "added", "removed"]
    return [tuple(r) for r in df[cols].itertuples(index=False)]


def test_the_same_snapshot_changes_nothing():
    reach = k8sviz.reachability(k8sviz.demo())
    df = k8sviz.reachability_diff(reach, reach)
    assert list(df.columns) == list(DIFF_COLUMNS) and df.empty
    assert k8sviz.policy_diff(k8sviz.demo(), k8sviz.demo()).empty


@pytest.mark.parametrize(("old", "new", "change", "added", "removed"), [
    ([5432], [5432, 6432], "widened", ["6432"], []),
    ([5432, 6432], [5432], "narrowed", [], ["6432"]),
    ([5432], [6432], "changed", ["6432"], ["5432"]),
    ([5432], None, "widened", ["1-5431", "5433-65535"], []),  # a rule without ports opens every port
])
def test_each_kind_of_port_change(old, new, change, added, removed):
    df = diff([*BASE, ingress_db(old)], [*BASE, ingress_db(new)])
    assert rows(df[df["protocol"] == "TCP"]) == [("web/api", "db/pg", "TCP", change, added, removed),
                                                 ("web/front", "db/pg", "TCP", change, added, removed)]
    others = df[df["protocol"] != "TCP"]
    if new is None:  # and every port of UDP and SCTP, which nothing allowed before
        assert set(others["change"]) == {"added"} and len(others) == 4
        assert all(r == ["1-65535"] for r in others["added"])
    else:
        assert others.empty


def test_connections_that_appear_or_vanish():
    isolated = netpol("db", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]})
    opened = diff([*BASE, isolated], [*BASE, isolated, ingress_db([5432])])
    assert set(opened["change"]) == {"added"} and len(opened) == 2
    assert opened.iloc[0][["ports_before", "ports_after"]].tolist() == [[], ["5432"]]
    closed = diff([*BASE, isolated, ingress_db([5432])], [*BASE, isolated])
    assert set(closed["change"]) == {"removed"}
    assert closed.iloc[0][["ports_before", "ports_after"]].tolist() == [["5432"], []]


def test_a_new_workload_brings_only_added_rows_about_itself():
    extra = pod("web", "batch", {"app": "batch"}, "10.0.0.4")
    isolated = netpol("db", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]})
    for level, name in (("workload", "web/batch"), ("pod", "web/batch")):
        df = diff([*BASE, isolated], [*BASE, isolated, extra], level=level)
        assert set(df["change"]) == {"added"}
        assert all(name in (r.src, r.dst) for r in df.itertuples())
        assert ((df["src"] == "web/batch") & (df["dst"] == "web/front") & (df["protocol"] == "TCP")).any()
        assert not ((df["src"] == "web/batch") & (df["dst"] == "db/pg")).any()  # db stays isolated
        assert set(df["src_type"]) - {"external"} == {level}


def test_external_blocks_are_refined_across_the_two_partitions():
    # Before: 0.0.0.0/0 on 443 (one block).  After: 10.0.0.0/8 carved out.  Only 10/8 changed.
    df = diff([*BASE, egress_to("0.0.0.0/0", [443])], [*BASE, egress_to("0.0.0.0/0", [443], ["10.0.0.0/8"])])
    ext = df[df["dst_type"] == "external"]
    assert rows(ext) == [("web/front", "10.0.0.0/8", "TCP", "removed", [], ["443"])]


def test_changed_ranges_are_written_as_the_fewest_cidrs():
    # 10.0.0.0/8 was reachable; after, 10.0.0.0/8 except 10.1.0.0/16: the rest of 10/8 is
    # unchanged, so only 10.1.0.0/16 is listed, and a port added everywhere is one /8 row.
    before = [*BASE, egress_to("10.0.0.0/8", [443])]
    after = [*BASE, egress_to("10.0.0.0/8", [443, 8443], ["10.1.0.0/16"])]
    ext = diff(before, after)
    ext = ext[ext["dst_type"] == "external"]
    got = {(r.dst, r.change, tuple(r.added), tuple(r.removed)) for r in ext.itertuples()}
    rest = ipaddress.ip_network("10.0.0.0/8").address_exclude(ipaddress.ip_network("10.1.0.0/16"))
    blocks = {str(n) for n in rest}
    assert got == {("10.1.0.0/16", "removed", (), ("443",))} | {(b, "widened", ("8443",), ()) for b in blocks}


def test_ipv6_blocks_are_refined_on_their_own():
    carved = egress_to("2001:db8::/32", [443], ["2001:db8:1::/48"])
    df = diff([*BASE, egress_to("2001:db8::/32", [443])], [*BASE, carved])
    want = [("web/front", "2001:db8:1::/48", "TCP", "removed", [], ["443"])]
    assert rows(df[df["dst_type"] == "external"]) == want


def test_level_and_arguments_are_checked():
    snap = snapshot(*BASE)
    reach = k8sviz.reachability(snap)
    with pytest.raises(QueryError, match="level must be pod or workload"):
        k8sviz.reachability_diff(reach, reach, level="namespace")  # type: ignore[arg-type]
    with pytest.raises(QueryError, match=r"k8sviz\.reachability\(snapshot\).*got Snapshot"):
        k8sviz.reachability_diff(snap, reach)  # policy_diff takes snapshots; this does not
    for fn in (k8sviz.policy_diff, k8sviz.label_diff):
        with pytest.raises(QueryError, match=r"compares two snapshots.*got Reachability"):
            fn(reach, snap)


# ------------------------------------------------------------------ reconstruction (random clusters)

def _ports_at(blocks: list[tuple[Any, Any]], address: Any) -> Any:
    hits = [r for net, r in blocks if address in net]
    assert len(hits) <= 1, "blocks of one side overlap"
    return hits[0] if hits else ()


def assert_diff_explains(before, after, df, level="workload"):
    """Plainly: every pair and every address is unchanged, or its diff row says how it changed."""
    def table(reach):
        inner, outer = {}, {}
        for r in reach.to_frame(level).itertuples():
            ranges = _ports.parse(r.ports)
            if r.dst_type == "external":
                outer.setdefault((r.src, True, r.protocol), []).append((ipaddress.ip_network(r.dst), ranges))
            elif r.src_type == "external":
                outer.setdefault((r.dst, False, r.protocol), []).append((ipaddress.ip_network(r.src), ranges))
            else:
                inner[(r.src, r.dst, r.protocol)] = ranges
        return inner, outer

    (ib, ob), (ia, oa) = table(before), table(after)
    said_inner, said_outer = {}, {}
    for r in df.itertuples():
        was, now = _ports.parse(r.ports_before), _ports.parse(r.ports_after)  # [] parses as no port
        assert was != now
        assert _ports.parse(r.added) == _ports.subtract(now, was)
        assert _ports.parse(r.removed) == _ports.subtract(was, now)
        if r.dst_type == "external":
            said_outer.setdefault((r.src, True, r.protocol), []).append((ipaddress.ip_network(r.dst), was, now))
        elif r.src_type == "external":
            said_outer.setdefault((r.dst, False, r.protocol), []).append((ipaddress.ip_network(r.src), was, now))
        else:
            said_inner[(r.src, r.dst, r.protocol)] = (was, now)
    for key in ib.keys() | ia.keys():
        was, now = ib.get(key, ()), ia.get(key, ())
        if key in said_inner:
            assert said_inner[key] == (was, now), key
        else:
            assert was == now, key
    assert said_inner.keys() <= ib.keys() | ia.keys()
    for group in ob.keys() | oa.keys() | said_outer.keys():
        old, new, said = ob.get(group, []), oa.get(group, []), said_outer.get(group, [])
        probes = {a for net, *_ in old + new + said for a in (net.network_address, net.broadcast_address)}
        for address in probes:
            hits = [(w, n) for net, w, n in said if address in net]
            assert len(hits) <= 1, "diff rows overlap"
            was, now = _ports_at(old, address), _ports_at(new, address)
            assert (hits[0] if hits else (was, was)) == (was, now), (group, address)


def _mutate(objs: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for o in copy.deepcopy(objs):
        if o["kind"] == "NetworkPolicy":
            roll = rng.random()
            if roll < 0.15:
                continue  # deleted
            if roll < 0.45:
                for rule in o["spec"].get("ingress", []) + o["spec"].get("egress", []):
                    for p in rule.get("ports") or []:
                        if isinstance(p.get("port"), int):
                            step = rng.choice([1, 100])
                            p["port"] += step
                            if "endPort" in p:
                                p["endPort"] += step
                    for peer in rule.get("from", []) + rule.get("to", []):
                        if "ipBlock" in peer and rng.random() < 0.5:
                            net = ipaddress.ip_network(peer["ipBlock"]["cidr"])
                            if net.prefixlen < 30:
                                sub = next(net.subnets(prefixlen_diff=2))
                                peer["ipBlock"]["except"] = [str(sub)]
        out.append(o)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_diff_explains_every_change_on_random_clusters(seed):
    objs = generate_cluster(pods=80, policies=30, seed=seed)
    after_objs = _mutate(objs, random.Random(seed))
    before = k8sviz.reachability(snapshot(*objs))
    after = k8sviz.reachability(snapshot(*after_objs))
    for level in ("workload", "pod"):
        df = k8sviz.reachability_diff(before, after, level=level)
        assert_diff_explains(before, after, df, level)
    assert not k8sviz.reachability_diff(before, after).empty  # the mutations changed something


# ------------------------------------------------------------------------------- policies

def _calico(name: str, order: int) -> dict[str, Any]:
    return {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": name},
            "spec": {"order": order, "selector": "all()", "types": ["Ingress"], "ingress": [{"action": "Allow"}]}}


def _cilium(name: str, port: str) -> dict[str, Any]:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": name, "namespace": "web"},
            "specs": [{"endpointSelector": {}, "ingress": [{"toPorts": [{"ports": [{"port": port}]}]}]}]}


def test_policies_added_removed_and_modified_with_the_paths_that_changed():
    annotated = ingress_db([5432, 6432])
    annotated["metadata"]["annotations"] = {"owner": "dba", "kubectl.kubernetes.io/last-applied-configuration": "{}"}
    staged = {"apiVersion": "projectcalico.org/v3", "kind": "StagedNetworkPolicy",
              "metadata": {"name": "s", "namespace": "web"}, "spec": {"selector": "all()", "order": 1}}
    restaged = copy.deepcopy(staged)
    restaged["spec"]["order"] = 2
    before = snapshot(*BASE, ingress_db([5432]), egress_to("0.0.0.0/0", [443]), _calico("g", 10),
                      _cilium("c", "80"), staged)
    after = snapshot(*BASE, annotated, _calico("g", 20), _cilium("c", "8080"), restaged,
                     netpol("web", "new", {"podSelector": {}}))
    df = k8sviz.policy_diff(before, after)
    assert list(df.columns) == list(POLICY_DIFF_COLUMNS)
    got = {r.policy: (r.change, r.dialect, r.paths) for r in df.itertuples()}
    assert got == {
        "NetworkPolicy/db/pg-ingress": ("modified", "kubernetes", ["metadata.annotations.owner", "spec.ingress[0].ports[1]"]),
        "NetworkPolicy/web/front-egress": ("removed", "kubernetes", []),
        "NetworkPolicy/web/new": ("added", "kubernetes", []),
        "GlobalNetworkPolicy/g": ("modified", "calico", ["spec.order"]),
        "CiliumNetworkPolicy/web/c": ("modified", "cilium", ["specs[0].ingress[0].toPorts[0].ports[0].port"]),
        "StagedNetworkPolicy/web/s": ("modified", "other", ["spec.order"]),
    }


def _named_services(rds: list[str], *, ready: bool = True, pod_ip: str = "10.0.0.3", release: str = "v1.16.4",
                    extra_service: bool = False, slice_port: int = 5432, egress_port: int = 5432,
                    draining: bool = False, unread: dict[str, str] | None = None,
                    scope: tuple[str, ...] | None = None):
    """db/pg, a selectorless Service db/rds (outside endpoints), db/pg-svc selecting db/pg; a
    Cilium policy naming both (and any Service labelled tier=external), a Calico policy
    naming pg-svc; read as :func:`_read` says."""
    from ..policy.test_calico import eps
    from ..policy.test_cilium import agent, svc

    rds_slice = eps("db", "rds-1", "rds", rds, [("TCP", 5432)])
    if not ready:
        rds_slice["endpoints"][0]["conditions"] = {"ready": False}
    if draining:  # the pod db/pg, as an endpoint serving while it terminates
        rds_slice["endpoints"].append({"addresses": [pod_ip], "conditions": {"ready": False, "serving": True, "terminating": True}})
    cilium = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "to-db", "namespace": "web"},
              "spec": {"endpointSelector": {"matchLabels": {"app": "front"}}, "egress": [{
                  "toServices": [{"k8sService": {"serviceName": "rds", "namespace": "db"}},
                                 {"k8sService": {"serviceName": "pg-svc", "namespace": "db"}},
                                 {"k8sServiceSelector": {"selector": {"matchLabels": {"tier": "external"}}}}],
                  "toPorts": [{"ports": [{"port": str(egress_port)}]}]}]}}
    calico = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "pg"},
              "spec": {"order": 10, "selector": "app == 'api'", "types": ["Egress"], "egress": [
                  {"action": "Allow", "destination": {"services": {"name": "pg-svc", "namespace": "db"}}}]}}
    return _read(
        ns("web"), ns("db"),
        pod("web", "front", {"app": "front"}, "10.0.0.1"), pod("web", "api", {"app": "api"}, "10.0.0.2"),
        pod("db", "pg", {"app": "pg"}, pod_ip),
        agent("cilium-1", f"quay.io/cilium/cilium:{release}"),
        svc("db", "rds"), rds_slice,
        svc("db", "pg-svc", {"app": "pg"}), eps("db", "pg-svc-1", "pg-svc", [pod_ip], [("TCP", slice_port)]),
        *([svc("db", "rds-2", tier="external"), eps("db", "rds-2-1", "rds-2", ["192.0.2.20"], [("TCP", 5432)])]
          if extra_service else []),
        cilium, calico, unread=unread, scope=scope,
    )


def _read(*objs: dict[str, Any], unread: dict[str, str] | None = None, scope: tuple[str, ...] | None = None):
    """A snapshot of ``objs`` taken by a reader that could not read the kinds of ``unread``
    (plural -> its coverage: ``forbidden`` as a live snapshot records a refusal,
    ``not-in-input`` as a dump without them), listing namespaced kinds in ``scope`` only."""
    from k8sviz.snapshot import SnapshotBuilder

    plurals = {"EndpointSlice": "endpointslices", "Service": "services"}
    b = SnapshotBuilder()
    for o in objs:
        if plurals.get(o["kind"]) not in (unread or {}):
            b.add(o, "test")
    b.coverage.update(unread or {})
    return b.build(namespace_scope=scope)


def _service_changes(before, after) -> dict[str, tuple[str, list[str]]]:
    return {r.policy: (r.change, r.paths) for r in k8sviz.policy_diff(before, after).itertuples()}


def test_policies_whose_services_resolve_differently_are_listed():
    base = _named_services(["192.0.2.10"])
    assert _service_changes(base, _named_services(["192.0.2.10"])) == {}
    # The database moved: the Cilium rule now allows another address, the policy unchanged.
    assert _service_changes(base, _named_services(["192.0.2.99"])) == {
        "CiliumNetworkPolicy/web/to-db": ("services-changed", ["services.db/rds.endpoints"])}
    # An endpoint that is not ready is not allowed (Cilium leaves it out).
    assert _service_changes(base, _named_services(["192.0.2.10"], ready=False)) == {
        "CiliumNetworkPolicy/web/to-db": ("services-changed", ["services.db/rds.endpoints"])}
    # A new Service with the selected label: the selector reference now names it too.
    assert _service_changes(base, _named_services(["192.0.2.10"], extra_service=True)) == {
        "CiliumNetworkPolicy/web/to-db": ("services-changed", ["services.db/rds-2"])}
    # Upgrading across 1.17 turns a Service with a selector from nothing into its pods.
    assert _service_changes(base, _named_services(["192.0.2.10"], release="v1.17.2")) == {
        "CiliumNetworkPolicy/web/to-db": ("services-changed", ["services.db/pg-svc.allows"])}
    # Calico matches the slice's ports too.
    assert _service_changes(base, _named_services(["192.0.2.10"], slice_port=6432)) == {
        "GlobalNetworkPolicy/pg": ("services-changed", ["services.db/pg-svc.ports"])}


def test_a_pod_that_comes_back_with_a_new_address_changes_no_service():
    # Endpoints are written as their pods' workloads: a rollout moves addresses, not meaning.
    base = _named_services(["192.0.2.10"])
    assert _service_changes(base, _named_services(["192.0.2.10"], pod_ip="10.0.0.7")) == {}
    # Endpoints serving while they terminate too.
    draining = _named_services(["192.0.2.10"], draining=True)
    assert _service_changes(draining, _named_services(["192.0.2.10"], pod_ip="10.0.0.7", draining=True)) == {}
    assert _service_changes(base, draining) == {
        "CiliumNetworkPolicy/web/to-db": ("services-changed", ["services.db/rds.terminating"])}


def test_an_edited_policy_lists_its_service_changes_with_its_own():
    df = k8sviz.policy_diff(_named_services(["192.0.2.10"]), _named_services(["192.0.2.99"], egress_port=6432))
    (row,) = df.itertuples()
    assert row.change == "modified"
    assert row.paths == ["spec.egress[0].toPorts[0].ports[0].port", "services.db/rds.endpoints"]


def test_an_unchanged_policy_in_a_new_file_is_not_modified(tmp_path):
    # Provenance (file, uid, resourceVersion) is not content: a re-export is not a change.
    a, b = ingress_db([5432]), ingress_db([5432])
    b["metadata"].update(uid="1234", resourceVersion="99", creationTimestamp="2026-01-01T00:00:00Z")
    assert k8sviz.policy_diff(snapshot(*BASE, a), snapshot(*BASE, b)).empty


def _policy_paths(before: dict[str, Any], after: dict[str, Any]) -> list[str] | None:
    """The paths policy_diff gives for one policy written two ways (None: no row)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown fields, null selectors: the loader says so
        df = k8sviz.policy_diff(snapshot(*BASE, before), snapshot(*BASE, after))
    assert len(df) <= 1
    return None if df.empty else df["paths"].iloc[0]


_WEB = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "web"}}}


@pytest.mark.parametrize(("before", "after"), [
    # A field given as null is the field absent (Go decodes null as the zero value).
    ({"podSelector": {}, "ingress": [{"from": [_WEB], "ports": None}]},
     {"podSelector": {}, "ingress": [{"from": [_WEB]}]}),
    ({"podSelector": {"matchLabels": None}, "egress": None, "policyTypes": None},
     {"podSelector": {}}),
    ({"podSelector": {}, "ingress": [{"from": [{**_WEB, "podSelector": None, "ipBlock": None}]}]},
     {"podSelector": {}, "ingress": [{"from": [_WEB]}]}),
    (None, {}),  # spec: null is the empty spec
    # Empty lists (omitempty) are served as absent ones, and mean the same.
    ({"podSelector": {}, "ingress": [], "egress": []}, {"podSelector": {}}),
    ({"podSelector": {}, "ingress": [{"from": [], "ports": []}]}, {"podSelector": {}, "ingress": [{}]}),
    ({"podSelector": {"matchLabels": {}, "matchExpressions": []}}, {"podSelector": {}}),
    ({"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": []}}]}]},
     {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}),
    # Defaults: podSelector {}, policyTypes from the rules, a port's protocol TCP.
    ({}, {"podSelector": {}, "policyTypes": ["Ingress"]}),
    ({"podSelector": {}, "egress": [{"ports": [{"port": 53}]}]},
     {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
      "egress": [{"ports": [{"port": 53, "protocol": "TCP"}]}]}),
    # A null label value is "", as the API server decodes it.
    ({"podSelector": {"matchLabels": {"app": None}}}, {"podSelector": {"matchLabels": {"app": ""}}}),
    ({"ingres": None}, {}),  # a field the API does not have, given as null: stored by no server
])
def test_a_network_policy_written_two_ways_the_api_server_stores_alike_is_unchanged(before, after):
    assert _policy_paths(netpol("db", "p", before), netpol("db", "p", after)) is None


@pytest.mark.parametrize(("before", "after", "paths"), [
    # No rule isolates and allows nothing; one empty rule allows everything.
    ({"podSelector": {}, "ingress": []}, {"podSelector": {}, "ingress": [{}]}, ["spec.ingress"]),
    # No ports is every port of every protocol; an empty port is every TCP port.
    ({"podSelector": {}, "ingress": [{}]}, {"podSelector": {}, "ingress": [{"ports": [{}]}]},
     ["spec.ingress[0].ports"]),
    # Egress named with no egress rule isolates egress: no default gives that.
    ({"podSelector": {}}, {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}, ["spec.policyTypes[1]"]),
    # A peer's empty podSelector selects every pod of its namespaces; an absent one is no selector.
    ({"podSelector": {}, "ingress": [{"from": [_WEB]}]},
     {"podSelector": {}, "ingress": [{"from": [{**_WEB, "podSelector": {}}]}]},
     ["spec.ingress[0].from[0].podSelector"]),
    ({"podSelector": {}, "ingress": [{"ports": [{"port": 53}]}]},
     {"podSelector": {}, "ingress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]},
     ["spec.ingress[0].ports[0].protocol"]),
    # A field the API does not have is kept as written: the two documents differ in it.
    ({"podSelector": {}}, {"podSelector": {}, "ingres": [{}]}, ["spec.ingres"]),
])
def test_a_network_policy_change_the_api_server_stores_is_a_change(before, after, paths):
    assert _policy_paths(netpol("db", "p", before), netpol("db", "p", after)) == paths


def test_a_custom_resource_field_given_as_null_is_unchanged_but_an_empty_list_is_kept():
    """A CRD's schema prunes a null (no field of these kinds is nullable); an empty list it
    stores as written, and the engine reads Cilium's ``fromEndpoints: []`` as no peer where an
    absent one leaves the entry's ports open to every peer."""
    def cilium(entry: dict[str, Any]) -> dict[str, Any]:
        return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                "metadata": {"name": "c", "namespace": "web"},
                "spec": {"endpointSelector": {"matchLabels": {"app": "front"}}, "ingress": [entry]}}

    ports = {"toPorts": [{"ports": [{"port": "80"}]}]}
    assert _policy_paths(cilium({**ports, "fromEndpoints": None}), cilium(ports)) is None
    empty = cilium({**ports, "fromEndpoints": []})
    assert _policy_paths(empty, cilium(ports)) == ["spec.ingress[0].fromEndpoints"]
    calico = _calico("g", 10)
    nulls = copy.deepcopy(calico)
    nulls["spec"].update(namespaceSelector=None)
    nulls["spec"]["ingress"][0].update(source=None, destination={"selector": None})
    calico["spec"]["ingress"][0]["destination"] = {}
    assert _policy_paths(nulls, calico) is None
    admin = {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
             "metadata": {"name": "a"},
             "spec": {"priority": 10, "subject": {"namespaces": {}},
                      "ingress": [{"action": "Allow",
                                   "from": [{"namespaces": {"matchLabels": {"x": None}}}]}]}}
    pruned = copy.deepcopy(admin)
    pruned["spec"]["ingress"][0]["from"][0]["namespaces"]["matchLabels"] = {}
    assert _policy_paths(admin, pruned) is None
    # A kind k8sviz does not read has no schema to tell a null field by: compared as written.
    staged = {"apiVersion": "projectcalico.org/v3", "kind": "StagedNetworkPolicy",
              "metadata": {"name": "s", "namespace": "web"}, "spec": {"selector": "all()", "order": None}}
    assert _policy_paths(staged, {**staged, "spec": {"selector": "all()"}}) == ["spec.order"]


# ------------------------------------------------------------------------------------ CLI

def _write(tmp_path, name: str, objs: list[dict[str, Any]]):
    p = tmp_path / f"{name}.json"
    p.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))
    return str(p)


def test_cli_diff(tmp_path, capsys):
    before = _write(tmp_path, "before", [*BASE, ingress_db([5432])])
    after = _write(tmp_path, "after", [*BASE, ingress_db([5432, 6432])])
    assert main(["diff", before, after, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {(r["src"], r["dst"], r["change"], tuple(r["added"])) for r in out} == {
        ("web/api", "db/pg", "widened", ("6432",)), ("web/front", "db/pg", "widened", ("6432",))}
    assert main(["diff", before, after, "--format", "json", "--rules"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["rules_after"] for r in out] == [["db/pg-ingress ingress[0]"]] * 2
    assert main(["diff", before, after, "--exit-code"]) == 1
    captured = capsys.readouterr()
    assert "6432" in captured.out and "2 connection changes: 2 widened" in captured.err
    assert main(["diff", before, before, "--exit-code"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "0 connection changes" in captured.err
    assert main(["diff", before, after, "--policies", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "policy,kind,namespace,name,dialect,change,paths,not_read",
        "NetworkPolicy/db/pg-ingress,NetworkPolicy,db,pg-ingress,kubernetes,modified,spec.ingress[0].ports[1],",
    ]
    assert main(["diff", before, after, "--policies", "--rules"]) == 2
    assert "leave them out with --policies" in capsys.readouterr().err
    assert main(["diff", before, after, "--labels", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # no label changed
    assert main(["diff", before, after, "--policies", "--level", "pod"]) == 2
    assert "leave them out with --policies" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["diff", str(empty), after]) == 2
    assert "BEFORE" in capsys.readouterr().err
    assert main(["diff", before, str(tmp_path / "missing")]) == 2
    assert "no such file" in capsys.readouterr().err


# ------------------------------------------------------------------------ rules behind it

def test_rules_behind_each_change():
    widened = diff([*BASE, ingress_db([5432])], [*BASE, ingress_db([5432, 6432])])
    assert "rules_after" not in widened.columns  # only on request
    old, new = (k8sviz.reachability(snapshot(*BASE, ingress_db(p))) for p in ([5432], [5432, 6432]))
    df = k8sviz.reachability_diff(old, new, rules=True)
    assert df["rules_after"].tolist() == [["db/pg-ingress ingress[0]"]] * 2  # opened the new port
    assert df["rules_before"].tolist() == [[], []]  # nothing was removed
    back = k8sviz.reachability_diff(new, old, rules=True)
    assert back["rules_before"].tolist() == [["db/pg-ingress ingress[0]"]] * 2
    assert back["rules_after"].tolist() == [[], []]


def test_rules_behind_external_changes_match_overlapping_blocks():
    before = [*BASE, egress_to("0.0.0.0/0", [443])]
    after = [*BASE, egress_to("0.0.0.0/0", [443], ["10.0.0.0/8"])]
    old, new = (k8sviz.reachability(snapshot(*objs)) for objs in (before, after))
    df = k8sviz.reachability_diff(old, new, rules=True)
    row = df[df["dst"] == "10.0.0.0/8"].iloc[0]
    assert row["rules_before"] == ["web/front-egress egress[0]"] and row["rules_after"] == []


def test_a_connection_closed_by_isolation_has_no_rule_after():
    isolated = netpol("db", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]})
    old, new = (k8sviz.reachability(snapshot(*objs)) for objs in (BASE, [*BASE, isolated]))
    df = k8sviz.reachability_diff(old, new, rules=True)
    closed = df[df["dst"] == "db/pg"]
    assert len(closed) and set(closed["change"]) == {"removed"}
    assert all(r == [] for r in closed["rules_before"]) and all(r == [] for r in closed["rules_after"])


def test_rules_behind_the_demo_remediation():
    before = k8sviz.reachability(k8sviz.demo())
    after = k8sviz.reachability(k8sviz.load(k8sviz.demo_path("remediated.k8sviz.json")))
    df = k8sviz.reachability_diff(before, after, rules=True)
    rec = df[df["src"] == "shop/recommendationservice"]
    assert len(rec) and all(r == ["shop/recommendation-egress-ml-api egress[0]"] for r in rec["rules_before"])


def test_only_the_rules_that_admit_the_changed_ports_are_named():
    extra = netpol("db", "pg-extra", {"podSelector": {}, "ingress": [
        {"from": [{"namespaceSelector": {}}], "ports": [{"port": 6432}]}]})
    old, new = (k8sviz.reachability(snapshot(*objs)) for objs in ([*BASE, ingress_db([5432])],
                                                                 [*BASE, ingress_db([5432]), extra]))
    df = k8sviz.reachability_diff(old, new, rules=True)
    assert set(df["change"]) == {"widened"} and len(df) == 2
    assert df["rules_after"].tolist() == [["db/pg-extra ingress[0]"]] * 2  # not pg-ingress: 5432 did not change


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(before=clusters(admin=True), after=clusters(admin=True))
def test_the_diff_explains_any_two_random_clusters(before, after):
    """Unrelated random clusters (every dialect of the admin tier, ipBlocks of both families)."""
    old = k8sviz.reachability(snapshot(*before[0]), ipblocks_match_pods=before[1])
    new = k8sviz.reachability(snapshot(*after[0]), ipblocks_match_pods=after[1])
    for level in ("pod", "workload"):
        assert_diff_explains(old, new, k8sviz.reachability_diff(old, new, level=level), level)


def test_zones_of_both_ends_from_either_snapshot(tmp_path):
    zones = {"zones": {"web": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "web"}}},
                       "db": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "db"}},
                              "sensitive": True}}}
    extra = pod("web", "batch", {"app": "batch"}, "10.0.0.4")
    old, new = (k8sviz.reachability(snapshot(*objs)) for objs in ([*BASE, extra, egress_to("0.0.0.0/0", [443])],
                                                                 [*BASE, egress_to("0.0.0.0/0", [443, 8443])]))
    df = k8sviz.reachability_diff(old, new, zones=k8sviz.load_zones(zones))
    assert list(df.columns[:4]) == ["src", "src_zone", "dst", "dst_zone"]
    batch = df[df["src"] == "web/batch"]  # only in the earlier snapshot: its zone comes from there
    assert len(batch) and set(batch["src_zone"]) == {"web"}
    assert set(df.loc[df["dst"] == "db/pg", "dst_zone"]) == {"db"}
    assert set(df.loc[df["dst_type"] == "external", "dst_zone"]) == {"external"}
    path = tmp_path / "zones.yaml"
    path.write_text(json.dumps(zones))
    assert k8sviz.reachability_diff(old, new, zones=path).equals(df)  # a file works too
    before, after = (_write(tmp_path, n, o) for n, o in (("b", [*BASE, extra]), ("a", BASE)))
    assert main(["diff", before, after, "--zones", str(path), "--format", "csv"]) == 0
    assert main(["diff", before, after, "--zones", str(path), "--policies"]) == 2


def test_a_rule_added_removed_or_moved_is_named_by_its_index():
    # A reviewer reads which rule of twenty changed, not that the list did.
    def gnp(rules: list[dict[str, Any]]) -> dict[str, Any]:
        return {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
                "metadata": {"name": "g"},
                "spec": {"order": 1, "selector": "all()", "types": ["Ingress"], "ingress": rules}}

    rules = [{"action": "Allow", "source": {"nets": [f"10.{i}.0.0/16"]}} for i in range(5)]
    deny = {"action": "Deny", "source": {"nets": ["10.9.0.0/16"]}}

    def paths(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
        df = k8sviz.policy_diff(snapshot(*BASE, gnp(old)), snapshot(*BASE, gnp(new)))
        return list(df["paths"].iloc[0])

    assert paths(rules, [deny, *rules]) == ["spec.ingress[0]"]  # inserted first
    assert paths(rules, [*rules[:3], *rules[4:]]) == ["spec.ingress[3]"]  # removed: its index before
    widened = [*rules[:2], {"action": "Allow", "source": {"nets": ["10.2.0.0/15"]}}, *rules[3:], deny]
    assert paths(rules, widened) == ["spec.ingress[2].source.nets[0]", "spec.ingress[5]"]
    moved = [*rules[1:], rules[0]]  # the first rule moved last: Calico's first match changes
    assert paths(rules, moved) == ["spec.ingress[0]", "spec.ingress[4]"]


def test_calico_tiers_and_network_sets_are_policy_objects_that_change():
    def objs(order: int, nets: list[str], set_labels: dict[str, str]) -> list[dict[str, Any]]:
        return [
            *BASE,
            {"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": "security"},
             "spec": {"order": order}},
            {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkSet",
             "metadata": {"name": "partners", "labels": set_labels}, "spec": {"nets": nets}},
            {"apiVersion": "projectcalico.org/v3", "kind": "NetworkSet",
             "metadata": {"name": "office", "namespace": "web"}, "spec": {"nets": ["192.168.0.0/24"]}},
        ]

    before = snapshot(*objs(100, ["1.2.3.0/24"], {"role": "partner"}))
    after = snapshot(*objs(50, ["1.2.3.0/24", "0.0.0.0/0"], {"role": "partner", "ticket": "CHG-9"}))
    df = k8sviz.policy_diff(before, after)
    got = {r.policy: (r.kind, r.namespace, r.name, r.dialect, r.change, r.paths) for r in df.itertuples()}
    assert got == {
        "Tier/security": ("Tier", "", "security", "calico", "modified", ["spec.order"]),
        "GlobalNetworkSet/partners": ("GlobalNetworkSet", "", "partners", "calico", "modified",
                                      ["metadata.labels.ticket", "spec.nets[1]"]),
    }  # the unchanged NetworkSet web/office is not listed
    gone = k8sviz.policy_diff(before, snapshot(*BASE))
    assert sorted(zip(gone["policy"], gone["change"], gone["namespace"], strict=True)) == [
        ("GlobalNetworkSet/partners", "removed", ""), ("NetworkSet/web/office", "removed", "web"),
        ("Tier/security", "removed", "")]


def test_label_changes_of_namespaces_and_workloads():
    from tests.objects import deployment

    def objs(team: str, tier: str | None, extra: bool) -> list[dict[str, Any]]:
        labels = {"app": "front", **({"tier": tier} if tier else {})}
        out = [ns("web", team=team), ns("db"), deployment("web", "front", labels)]
        if extra:
            out.append(deployment("web", "batch", {"app": "batch"}))
        out.append(pod("other", "p", {"a": "b"}, "10.0.0.9"))  # namespace "other" is only referenced
        return out

    before, after = snapshot(*objs("web", "edge", False)), snapshot(*objs("payments", None, True))
    df = k8sviz.label_diff(before, after)
    got = {r.object: (r.change, r.set, r.unset, r.previous) for r in df.itertuples()}
    assert got == {
        "Namespace/web": ("modified", {"team": "payments"}, [], {"team": "web"}),
        "Deployment/web/front": ("modified", {}, ["tier"], {"tier": "edge"}),
        "Deployment/web/batch": ("added", {"app": "batch"}, [], {}),
    }
    assert k8sviz.label_diff(before, before).empty


def _apiserver_objects(*addresses: str, not_ready: tuple[str, ...] = (), nodes: tuple[tuple[str, str], ...] = (),
                       names: tuple[str, ...] = ("api", "cluster", "lone", "all", "none")) -> list[dict[str, Any]]:
    """Cilium policies naming the API server as the kube-apiserver entity (``api``), as the
    cluster entity (``cluster``), as a lone reserved:kube-apiserver selector (``lone``), and
    beside ``all`` (every peer whatever its addresses); one naming no entity (``none``): those of
    ``names``; the default/kubernetes endpoints, and ``nodes`` as (name, address)."""
    from ..policy.helpers import kubernetes_slice, node
    from ..policy.test_cilium import cnp

    d = {"matchLabels": {"app": "d"}}
    policies = {
        "api": cnp("api", {"endpointSelector": d, "egress": [{"toEntities": ["kube-apiserver"]}]}),
        "cluster": cnp("cluster", {"endpointSelector": d, "ingress": [{"fromEntities": ["cluster"]}]}),
        "lone": cnp("lone", {"endpointSelector": d, "egress": [
            {"toEndpoints": [{"matchLabels": {"reserved:kube-apiserver": ""}}]}]}),
        "all": cnp("all", {"endpointSelector": d, "egress": [{"toEntities": ["all", "kube-apiserver"]}]}),
        "none": cnp("none", {"endpointSelector": d, "egress": [{"toEntities": ["world"]}]}),
    }
    return [
        ns("db"), pod("db", "d", {"app": "d"}, "10.0.0.9"), *(node(n, ip) for n, ip in nodes),
        *(policies[n] for n in names), kubernetes_slice(*addresses, not_ready=not_ready),
    ]


def _apiserver_policies(*addresses: str, unread: dict[str, str] | None = None, **kw: Any):
    """:func:`_apiserver_objects` as a snapshot, read as :func:`_read` says."""
    return _read(*_apiserver_objects(*addresses, **kw), unread=unread)


def test_policies_naming_the_api_server_are_listed_when_its_addresses_change():
    base = _apiserver_policies("172.20.0.10", "172.20.0.11")
    # Same addresses, listed in another order: nothing the policies match changed.
    assert _service_changes(base, _apiserver_policies("172.20.0.11", "172.20.0.10")) == {}
    moved = {f"CiliumNetworkPolicy/db/{n}": ("services-changed", ["entities.kube-apiserver.addresses"])
             for n in ("api", "cluster", "lone")}
    assert _service_changes(base, _apiserver_policies("172.20.0.10", "172.20.0.12")) == moved
    assert _service_changes(base, _apiserver_policies("172.20.0.10")) == moved
    # An endpoint no longer ready: no longer the identity's, and Cilium releases differ on it.
    assert _service_changes(base, _apiserver_policies("172.20.0.10", not_ready=("172.20.0.11",))) == {
        ref: ("services-changed", ["entities.kube-apiserver.addresses", "entities.kube-apiserver.not-ready"])
        for ref in moved}


#: Two control-plane nodes, each address a place the API server can run.
CONTROL_PLANE = (("cp-1", "172.20.0.10"), ("cp-2", "172.20.0.11"))


def test_a_cluster_policy_is_listed_only_when_the_api_server_moves_off_or_onto_the_nodes():
    on_node = _apiserver_policies("172.20.0.10", nodes=CONTROL_PLANE)
    moved = ("services-changed", ["entities.kube-apiserver.addresses"])
    named = {f"CiliumNetworkPolicy/db/{n}": moved for n in ("api", "lone")}
    # From one node to the other: both are in cluster as nodes whatever the API server does,
    # so only the policies naming kube-apiserver itself see a change.
    assert _service_changes(on_node, _apiserver_policies("172.20.0.11", nodes=CONTROL_PLANE)) == named
    assert _service_changes(on_node, _apiserver_policies("172.20.0.10", "172.20.0.11", nodes=CONTROL_PLANE)) == named
    # To, from and between addresses off the nodes (a managed control plane): cluster takes
    # such an address in only while the API server is there.
    every = named | {"CiliumNetworkPolicy/db/cluster": moved}
    off_nodes = _apiserver_policies("192.0.2.10", nodes=CONTROL_PLANE)
    assert _service_changes(on_node, off_nodes) == every
    assert _service_changes(off_nodes, on_node) == every
    assert _service_changes(off_nodes, _apiserver_policies("192.0.2.11", nodes=CONTROL_PLANE)) == every
    assert _service_changes(off_nodes, _apiserver_policies("192.0.2.10", "172.20.0.11", nodes=CONTROL_PLANE)) == named
    # An address that is a node's in either snapshot is one cluster covers as a node: the API
    # server staying there while the later snapshot shows no Node is no API server change.
    assert _service_changes(on_node, _apiserver_policies("172.20.0.10")) == {}


@pytest.mark.parametrize(("before", "after", "listed"), [
    ("172.20.0.10", "172.20.0.11", False),  # node -> node
    ("172.20.0.10", "192.0.2.10", True),  # node -> off the nodes
    ("192.0.2.10", "172.20.0.11", True),  # off the nodes -> node
    ("192.0.2.10", "192.0.2.11", True),
])
def test_a_cluster_policy_is_listed_exactly_when_its_verdicts_change(before, after, listed):
    # The engine is the reference: the only policy names cluster, so the connections change
    # exactly when the API server's move changes what cluster covers.
    old, new = (_apiserver_policies(a, nodes=CONTROL_PLANE, names=("cluster",)) for a in (before, after))
    connections = k8sviz.reachability_diff(k8sviz.reachability(old), k8sviz.reachability(new))
    assert (len(connections) > 0) is listed
    assert (len(k8sviz.policy_diff(old, new)) > 0) is listed


def _read_changes(before, after) -> dict[str, tuple[str, list[str], list[str]]]:
    return {r.policy: (r.change, r.paths, r.not_read) for r in k8sviz.policy_diff(before, after).itertuples()}


@pytest.mark.parametrize("state", ["not-in-input", "forbidden"])
def test_api_server_addresses_a_snapshot_did_not_read_are_not_read_not_changed(state):
    read = _apiserver_policies("172.20.0.10", "172.20.0.11")
    unread = _apiserver_policies("172.20.0.10", "172.20.0.11", unread={"endpointslices": state})
    refs = [f"CiliumNetworkPolicy/db/{n}" for n in ("api", "cluster", "lone")]
    for side, (before, after) in (("after", (read, unread)), ("before", (unread, read))):
        note = [f"entities.kube-apiserver: not read in {side}: endpointslices ({state})"]
        assert _read_changes(before, after) == dict.fromkeys(refs, ("not-read", [], note))
    both = [f"entities.kube-apiserver: not read in {side}: endpointslices ({state})" for side in ("before", "after")]
    assert _read_changes(unread, unread) == dict.fromkeys(refs, ("not-read", [], both))
    # Both read: a real move is a change, with nothing unread.
    moved = _apiserver_policies("172.20.0.10", "172.20.0.12")
    assert _read_changes(read, moved) == dict.fromkeys(refs, ("services-changed", ["entities.kube-apiserver.addresses"], []))


def test_services_a_snapshot_did_not_read_are_not_read_not_changed():
    read = _named_services(["192.0.2.10"])
    cilium, calico = "CiliumNetworkPolicy/web/to-db", "GlobalNetworkPolicy/pg"
    no_slices = _named_services(["192.0.2.10"], unread={"endpointslices": "forbidden"})
    assert _read_changes(read, no_slices) == {
        ref: ("not-read", [], ["services: not read in after: endpointslices (forbidden)"]) for ref in (cilium, calico)}
    assert _read_changes(no_slices, read) == {
        ref: ("not-read", [], ["services: not read in before: endpointslices (forbidden)"]) for ref in (cilium, calico)}
    # Calico matches the slices alone; Cilium's toServices needs the Services too.
    no_services = _named_services(["192.0.2.10"], unread={"services": "not-in-input"})
    assert _read_changes(read, no_services) == {
        cilium: ("not-read", [], ["services: not read in after: services (not-in-input)"])}
    # A snapshot listed in some namespaces only did not read the Services of the others (the
    # Cilium policy's k8sServiceSelector names Services of any namespace).
    web_only = _named_services(["192.0.2.10"], scope=("web",))
    assert _read_changes(web_only, read) == {
        cilium: ("not-read", [], ["services: not read in before: any namespace (outside its namespace scope)"]),
        calico: ("not-read", [], ["services: not read in before: namespace db (outside its namespace scope)"])}
    assert _read_changes(_named_services(["192.0.2.10"], scope=("web", "db")), read) == {
        cilium: ("not-read", [], ["services: not read in before: any namespace (outside its namespace scope)"])}
    # An edited policy stays modified, with the paths that are known to differ.
    edited = _named_services(["192.0.2.99"], egress_port=6432, unread={"endpointslices": "forbidden"})
    assert _read_changes(read, edited)[cilium] == (
        "modified", ["spec.egress[0].toPorts[0].ports[0].port"],
        ["services: not read in after: endpointslices (forbidden)"])


def test_cli_diff_shows_what_was_not_read(tmp_path, capsys):
    before = _write(tmp_path, "before", _apiserver_objects("172.20.0.10", names=("cluster",)))
    dump = [o for o in _apiserver_objects("172.20.0.10", names=("cluster",)) if o["kind"] != "EndpointSlice"]
    after = _write(tmp_path, "after", dump)
    assert main(["diff", before, after, "--policies", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{
        "policy": "CiliumNetworkPolicy/db/cluster", "kind": "CiliumNetworkPolicy", "namespace": "db",
        "name": "cluster", "dialect": "cilium", "change": "not-read", "paths": [],
        "not_read": ["entities.kube-apiserver: not read in after: endpointslices (not-in-input)"]}]
    assert main(["diff", before, after, "--policies", "--exit-code"]) == 1  # unknown is no all-clear
    captured = capsys.readouterr()
    assert "not read in after" in captured.out and "1 policy change: 1 not-read" in captured.err


# ------------------------------------------------------------------------ findings

@pytest.fixture(scope="module")
def remediation_findings():
    """The demo's findings before and after its remediation, judged on one day."""
    zones = k8sviz.load_zones(k8sviz.demo_path("zones.yaml"))
    before = k8sviz.gaps(k8sviz.demo(), zones=zones, today="2024-03-24")
    later = k8sviz.load(k8sviz.demo_path("remediated.k8sviz.json"))
    return before, k8sviz.gaps(later, zones=zones, today="2024-03-24")


def test_findings_diff_of_the_demo_remediation_resolves_and_narrows_nothing_new(remediation_findings):
    before, after = remediation_findings
    df = k8sviz.findings_diff(before, after)
    assert list(df.columns) == list(k8sviz.analysis.diff.FINDINGS_DIFF_COLUMNS)
    # The remediation only closes: no finding is new (a violation narrowed to one port is changed).
    assert set(df["change"]) == {"changed", "resolved"}
    got = {(r.finding, r.namespace, r.name) for r in df.itertuples() if r.change == "resolved"}
    assert ("allow-all-rule", "pci", "card-vault-maintenance") in got
    narrowed = df[(df["name"] == "node-agent") & (df["change"] == "changed") & (df["severity"] == "high")]
    (row,) = narrowed.itertuples()
    assert "TCP/9100" in row.detail and "SCTP/1-65535" in row.detail_before
    # Unchanged findings are no row; every changed row differs from what it was.
    assert len(df) < len(before) and all(df["detail"] != df["detail_before"])
    same = k8sviz.findings_diff(before, before)
    assert same.empty and same[same["opens"]].columns.tolist() == list(same.columns)  # a flag, even empty
    # Reversed, what was resolved is new.
    back = k8sviz.findings_diff(after, before)
    assert {(r.finding, r.namespace, r.name) for r in back.itertuples() if r.change == "new"} == got


def test_findings_diff_opens_only_what_reaches_further(remediation_findings):
    before, after = remediation_findings
    # The remediation narrows and resolves: nothing it changes opens anything.
    df = k8sviz.findings_diff(before, after)
    assert not df["opens"].any() and (df["change"] == "changed").sum() > 10
    assert all(df.loc[df["change"] != "changed", "severity_before"] == "")
    # Undone, it opens what it resolved, and widens what it narrowed: node-agent's violation
    # from TCP/9100 back to every port, prometheus' from one block (10.128.0.0/24) to the outside.
    back = k8sviz.findings_diff(after, before)
    assert back.loc[back["change"] == "new", "opens"].all()
    widened = back[(back["change"] == "changed") & back["opens"]]
    got = {(r.finding, r.name) for r in widened.itertuples()}
    assert ("zone-violation", "node-agent") in got and ("zone-violation", "prometheus") in got
    (agent,) = [r for r in widened.itertuples() if r.name == "node-agent" and r.severity == "high"]
    assert "TCP/9100" in agent.detail_before and "SCTP/1-65535" in agent.detail
    # The other changed violations read otherwise (their outside is cut into other blocks), no
    # wider: they do not open.
    assert len(back[(back["change"] == "changed") & ~back["opens"]]) > 5


def test_findings_diff_opens_on_a_severity_raised_not_lowered():
    findings = k8sviz.gaps(k8sviz.demo())
    row = findings[findings["severity"] == "medium"].iloc[[0]].reset_index(drop=True)
    raised, lowered = row.assign(severity="high"), row.assign(severity="low")
    (up,) = k8sviz.findings_diff(row, raised).itertuples()
    assert (up.change, up.severity_before, up.severity, up.opens) == ("changed", "medium", "high", True)
    (down,) = k8sviz.findings_diff(row, lowered).itertuples()
    assert (down.change, down.severity_before, down.opens) == ("changed", "medium", False)


def test_findings_diff_takes_two_gaps_results():
    findings = k8sviz.gaps(k8sviz.demo())
    with pytest.raises(QueryError, match=r"findings_diff compares two k8sviz\.gaps.*after is Snapshot"):
        k8sviz.findings_diff(findings, k8sviz.demo())
    with pytest.raises(QueryError, match="before is a table without detail"):
        k8sviz.findings_diff(findings.drop(columns="detail"), findings)
