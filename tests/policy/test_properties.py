"""Property tests: the engine agrees with the plain reference evaluator on random small clusters."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import k8sviz

from . import reference
from .helpers import anp, netpol, node, ns, pod, snapshot

KEYS = ["app", "tier", "env"]
VALUES = ["a", "b", "c"]
PORTS = [53, 80, 81, 443, 8080]
NAMES = ["http", "dns"]
PROTOS = ["TCP", "UDP", "SCTP"]
EXTERNAL = ["10.0.0.77", "192.168.1.1", "192.168.2.1", "8.8.8.8", "2001:db8::1", "10.0.1.1"]
NODES = [("n-a", "10.0.1.1", None), ("n-b", "10.0.1.2", "192.168.2.1")]
CIDRS = [("10.0.0.0/24", ["10.0.0.0/30"]), ("192.168.0.0/16", ["192.168.1.0/24"]), ("0.0.0.0/0", ["10.0.0.0/8"]), ("10.0.0.2/32", []), ("2001:db8::/32", [])]

labels = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=2)


@st.composite
def selectors(draw):
    sel = {}
    ml = draw(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=1))
    if ml:
        sel["matchLabels"] = ml
    exprs = []
    for _ in range(draw(st.integers(0, 2))):
        op = draw(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]))
        e = {"key": draw(st.sampled_from(KEYS)), "operator": op}
        if op in ("In", "NotIn"):
            e["values"] = draw(st.lists(st.sampled_from(VALUES), min_size=1, max_size=2, unique=True))
        exprs.append(e)
    if exprs:
        sel["matchExpressions"] = exprs
    return sel


@st.composite
def peers(draw):
    kind = draw(st.sampled_from(["pod", "ns", "both", "ip"]))
    if kind == "ip":
        cidr, exc = draw(st.sampled_from(CIDRS))
        block = {"cidr": cidr}
        if exc and draw(st.booleans()):
            block["except"] = exc
        return {"ipBlock": block}
    p = {}
    if kind in ("pod", "both"):
        p["podSelector"] = draw(selectors())
    if kind in ("ns", "both"):
        p["namespaceSelector"] = draw(selectors())
    return p


@st.composite
def port_entries(draw):
    out = []
    for _ in range(draw(st.integers(1, 2))):
        e = {}
        proto = draw(st.sampled_from([None, *PROTOS]))
        if proto:
            e["protocol"] = proto
        kind = draw(st.sampled_from(["num", "range", "named", "none"]))
        if kind == "num":
            e["port"] = draw(st.sampled_from(PORTS))
        elif kind == "range":
            lo = draw(st.sampled_from(PORTS))
            e["port"] = lo
            e["endPort"] = draw(st.sampled_from([p for p in PORTS if p >= lo]))
        elif kind == "named":
            e["port"] = draw(st.sampled_from(NAMES))
        out.append(e)
    return out


@st.composite
def rules(draw):
    r = {}
    choice = draw(st.sampled_from(["missing", "empty", "list"]))
    if choice == "empty":
        r["peers"] = []
    elif choice == "list":
        r["peers"] = draw(st.lists(peers(), min_size=1, max_size=2))
    pc = draw(st.sampled_from(["missing", "empty", "list"]))
    if pc == "empty":
        r["ports"] = []
    elif pc == "list":
        r["ports"] = draw(port_entries())
    return r


def _rule(r, key):
    out = {}
    if "peers" in r:
        out[key] = r["peers"]
    if "ports" in r:
        out["ports"] = r["ports"]
    return out


def wide():
    """Selectors for admin policies: often empty, so that rules meet traffic often enough."""
    return st.one_of(st.just({}), st.just({}), selectors())


@st.composite
def admin_peers(draw, egress):
    kinds = ["namespaces", "pods", "unknown"] + (["networks", "nodes", "domainNames"] if egress else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "namespaces":
        return {"namespaces": draw(wide())}
    if kind == "pods":
        return {"pods": {"namespaceSelector": draw(wide()), "podSelector": draw(wide())}}
    if kind == "networks":
        return {"networks": draw(st.lists(st.sampled_from([c for c, _ in CIDRS] + ["10.0.0.0/30"]), min_size=1, max_size=2, unique=True))}
    if kind == "nodes":
        return {"nodes": draw(wide())}
    if kind == "domainNames":
        return {"domainNames": ["example.com"]}
    return {}  # a peer this version does not know: fail closed


@st.composite
def admin_ports(draw):
    out = []
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(["number", "range", "named"]))
        proto = draw(st.sampled_from(PROTOS))
        if kind == "number":
            out.append({"portNumber": {"protocol": proto, "port": draw(st.sampled_from(PORTS))}})
        elif kind == "range":
            lo = draw(st.sampled_from(PORTS))
            out.append({"portRange": {"protocol": proto, "start": lo, "end": draw(st.sampled_from([p for p in PORTS if p >= lo]))}})
        else:
            out.append({"namedPort": draw(st.sampled_from(NAMES))})
    return out


@st.composite
def cnp_protocols(draw):
    out = []
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(["number", "range", "named"]))
        proto = draw(st.sampled_from(["tcp", "udp", "sctp"]))
        if kind == "number":
            out.append({proto: {"destinationPort": {"number": draw(st.sampled_from(PORTS))}}})
        elif kind == "range":
            lo = draw(st.sampled_from(PORTS))
            out.append({proto: {"destinationPort": {"range": {"start": lo, "end": draw(st.sampled_from([p for p in PORTS if p >= lo]))}}}})
        else:
            out.append({"destinationNamedPort": draw(st.sampled_from(NAMES))})
    return out


@st.composite
def cluster_network_policies(draw):
    """A ClusterNetworkPolicy (v1alpha2 or v1beta1) of either tier."""
    spec = {"tier": draw(st.sampled_from(["Admin", "Baseline"])), "priority": draw(st.sampled_from([1, 5, 5, 20]))}
    if draw(st.booleans()):
        spec["subject"] = {"namespaces": draw(wide())}
    else:
        spec["subject"] = {"pods": {"namespaceSelector": draw(wide()), "podSelector": draw(wide())}}
    for direction, key in (("ingress", "from"), ("egress", "to")):
        rules = []
        for _ in range(draw(st.integers(0, 3))):
            r = {"action": draw(st.sampled_from(["Accept", "Deny", "Pass"])),
                 key: draw(st.lists(admin_peers(direction == "egress"), min_size=1, max_size=2))}
            if draw(st.booleans()):
                r["protocols"] = draw(cnp_protocols())
            rules.append(r)
        if rules:
            spec[direction] = rules
    return draw(st.sampled_from(["v1alpha2", "v1beta1"])), spec


@st.composite
def admin_policies(draw, baseline):
    spec = {}
    if not baseline:
        spec["priority"] = draw(st.sampled_from([1, 5, 5, 20]))
    if draw(st.booleans()):
        spec["subject"] = {"namespaces": draw(wide())}
    else:
        spec["subject"] = {"pods": {"namespaceSelector": draw(wide()), "podSelector": draw(wide())}}
    actions = ["Allow", "Deny"] if baseline else ["Allow", "Deny", "Pass"]
    for direction, key in (("ingress", "from"), ("egress", "to")):
        rules = []
        for _ in range(draw(st.integers(0, 3))):
            r = {"action": draw(st.sampled_from(actions)),
                 key: draw(st.lists(admin_peers(direction == "egress"), min_size=1, max_size=2))}
            if draw(st.booleans()):
                r["ports"] = draw(admin_ports())
            rules.append(r)
        if rules:
            spec[direction] = rules
    return spec


@st.composite
def clusters(draw, admin=False):
    namespaces = ["n0", "n1", "n2"][: draw(st.integers(1, 3))]
    objs = [ns(n, **draw(labels)) for n in namespaces]
    n_pods = draw(st.integers(2, 5))
    for i in range(n_pods):
        named = draw(st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(PORTS), st.sampled_from(PROTOS)), max_size=2, unique_by=lambda t: (t[0], t[2])))
        host = draw(st.integers(0, 9)) == 0
        ip = f"10.0.0.{i + 1}"
        host_ip = draw(st.sampled_from(["10.0.0.2", *(n_ip for _, n_ip, _ in NODES)])) if host else None
        objs.append(pod(draw(st.sampled_from(namespaces)), f"p{i}", draw(labels), host_ip if host else ip, tuple(named), host=host, host_ip=host_ip))
    for j in range(draw(st.integers(0, 3))):
        spec = {"podSelector": draw(selectors())}
        types = draw(st.sampled_from([None, ["Ingress"], ["Egress"], ["Ingress", "Egress"]]))
        if types:
            spec["policyTypes"] = types
        if draw(st.booleans()):
            spec["ingress"] = [_rule(r, "from") for r in draw(st.lists(rules(), max_size=2))]
        if draw(st.booleans()):
            spec["egress"] = [_rule(r, "to") for r in draw(st.lists(rules(), max_size=2))]
        objs.append(netpol(draw(st.sampled_from(namespaces)), f"np{j}", spec))
    if admin:
        objs += [node(name, ip, ext, **draw(labels)) for name, ip, ext in NODES]
        objs += [anp(f"anp{k}", draw(admin_policies(False))) for k in range(draw(st.integers(0, 2)))]
        if draw(st.booleans()):
            objs.append(anp("default", draw(admin_policies(True)), baseline=True))
        for k in range(draw(st.integers(0, 2))):
            version, spec = draw(cluster_network_policies())
            objs.append({"apiVersion": f"policy.networking.k8s.io/{version}", "kind": "ClusterNetworkPolicy",
                         "metadata": {"name": f"cnp{k}"}, "spec": spec})
    return objs, draw(st.booleans())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(clusters())
def test_engine_agrees_with_reference(case):
    objs, match_pods = case
    snap = snapshot(*objs)
    r = k8sviz.reachability(snap, ipblocks_match_pods=match_pods)
    frame = r.to_frame()
    rows = {(s, d, p): ports for s, d, p, ports in zip(frame.src, frame.dst, frame.protocol, frame.ports, strict=True)}
    for s, d, sk, dk in judged_pairs(snap):
        for proto in PROTOS:
            for port in (1, *PORTS, 444, 65535):
                want = reference.allowed(snap, s, d, proto, port, ipblocks_match_pods=match_pods)
                assert r.can_reach(sk, dk, port, proto) == want, (sk, dk, proto, port)
                if not isinstance(s, str) and not isinstance(d, str):
                    assert _in_ranges(rows.get((sk, dk, proto)), port) == want, (sk, dk, proto, port)


def judged_pairs(snap):
    """Every ordered pair of endpoints the engine judges: pods, and pods with outside
    addresses (an address a pod holds stands for that pod), as ``(src, dst, src_key, dst_key)``."""
    pod_ips = {ip for q in snap.pods for ip in q.ips if not q.host_network}
    ends = [*snap.pods, *(e for e in EXTERNAL if e not in pod_ips)]
    for s in ends:
        for d in ends:
            if s is d or (isinstance(s, str) and isinstance(d, str)):
                continue
            yield s, d, (s if isinstance(s, str) else s.key), (d if isinstance(d, str) else d.key)


def _in_ranges(ranges, port):
    for rg in ranges or ():
        lo, _, hi = rg.partition("-")
        if int(lo) <= port <= int(hi or lo):
            return True
    return False


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(clusters(admin=True))
def test_engine_with_admin_tiers_agrees_with_reference(case):
    """AdminNetworkPolicy, NetworkPolicy and the baseline together; explain() agrees too."""
    objs, match_pods = case
    snap = snapshot(*objs)
    r = k8sviz.reachability(snap, ipblocks_match_pods=match_pods)
    for s, d, sk, dk in judged_pairs(snap):
        for proto in PROTOS:
            for port in (1, *PORTS, 444):
                want = reference.allowed(snap, s, d, proto, port, ipblocks_match_pods=match_pods)
                assert r.can_reach(sk, dk, port, proto) == want, (sk, dk, proto, port)
        v = r.explain(sk, dk, 80, "TCP")
        assert v.allowed == (v.egress.allowed and v.ingress.allowed), str(v)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(clusters())
def test_general_tiered_core_agrees_with_additive_fast_path(case):
    """The generic first-match evaluator (used once dialects add Deny/Pass tiers) gives the same matrix."""
    from k8sviz.policy.engine import Engine

    objs, match_pods = case
    snap = snapshot(*objs)
    fast = k8sviz.reachability(snap, ipblocks_match_pods=match_pods)
    original = Engine._closing_denies
    try:
        Engine._closing_denies = lambda self, direction: None  # type: ignore[method-assign]
        slow = k8sviz.reachability(snap, ipblocks_match_pods=match_pods)
    finally:
        Engine._closing_denies = original  # type: ignore[method-assign]
    fe, se = fast._engine, slow._engine
    assert (fe.matrix[np.ix_(fe.bmap, fe.bmap)] == se.matrix[np.ix_(se.bmap, se.bmap)]).all()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(clusters(admin=True))
def test_column_blocks_give_the_same_matrix(case):
    """Both paths build their matrix in blocks of destination columns; tiny blocks change nothing."""
    import k8sviz.policy.engine as E

    objs, match_pods = case
    snap = snapshot(*objs)
    whole = k8sviz.reachability(snap, ipblocks_match_pods=match_pods)._engine
    original = E._CHUNK_WORDS
    try:
        E._CHUNK_WORDS = 3
        parts = k8sviz.reachability(snap, ipblocks_match_pods=match_pods)._engine
    finally:
        E._CHUNK_WORDS = original
    assert (whole.matrix[np.ix_(whole.bmap, whole.bmap)] == parts.matrix[np.ix_(parts.bmap, parts.bmap)]).all()
