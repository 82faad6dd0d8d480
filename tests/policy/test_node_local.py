"""Traffic from a pod's own node: "Traffic is allowed to a pod if there are no NetworkPolicies
selecting the pod ..., OR if the traffic source is the pod's local node, OR if the traffic
matches at least one ingress rule" (NetworkPolicySpec.ingress)."""

from __future__ import annotations

from typing import Any

import k8sviz

from .helpers import netpol, node, ns, pod, snapshot

DENY_ALL = netpol("x", "deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})


def on(obj: dict[str, Any], node_name: str) -> dict[str, Any]:
    obj["spec"]["nodeName"] = node_name
    return obj


def cluster(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    """x/b on n1 and x/c on n2 (isolated both ways by x/deny-all); y/agent-1 (hostNetwork) on
    n1, y/agent-2 on n2; x/free has no node."""
    return [
        ns("x"), ns("y"),
        node("n1", "192.168.0.1", "203.0.113.1"), node("n2", "192.168.0.2"),
        on(pod("x", "b", {"app": "b"}, "10.0.0.2"), "n1"),
        on(pod("x", "c", {"app": "c"}, "10.0.0.3"), "n2"),
        pod("x", "free", {"app": "free"}, "10.0.0.4"),
        on(pod("y", "agent-1", {"app": "agent"}, "192.168.0.1", host=True, host_ip="192.168.0.1"), "n1"),
        on(pod("y", "agent-2", {"app": "agent"}, "192.168.0.2", host=True, host_ip="192.168.0.2"), "n2"),
        DENY_ALL,
        *extra,
    ]


def reach(*extra: dict[str, Any]) -> k8sviz.Reachability:
    return k8sviz.reachability(snapshot(*cluster(*extra)))


def test_the_pods_own_node_gets_in_whatever_its_isolation():
    r = reach()
    for port, proto in ((10250, "TCP"), (53, "UDP"), (1, "SCTP")):
        assert r.can_reach("y/agent-1", "x/b", port, proto)  # a hostNetwork pod on its node
        assert r.can_reach("192.168.0.1", "x/b", port, proto)  # the node's address
        assert r.can_reach("203.0.113.1", "x/b", port, proto)  # any of its addresses
    assert not r.can_reach("y/agent-2", "x/b", 80) and not r.can_reach("192.168.0.2", "x/b", 80)  # another node
    assert r.can_reach("y/agent-2", "x/c", 80) and not r.can_reach("y/agent-1", "x/c", 80)
    assert not r.can_reach("8.8.8.8", "x/b", 80)
    # Only ingress: the pod's egress to its node stays isolated.
    assert not r.can_reach("x/b", "192.168.0.1", 80) and not r.can_reach("x/b", "y/agent-1", 80)
    # A pod with no node known has no local node.
    assert not r.can_reach("y/agent-1", "x/free", 80)


def test_a_nodes_address_known_only_from_a_pods_host_ip_counts():
    objs = [o for o in cluster() if o["kind"] != "Node"]
    r = k8sviz.reachability(snapshot(*objs))
    assert r.can_reach("192.168.0.1", "x/b", 80) and not r.can_reach("192.168.0.1", "x/c", 80)


def test_explain_names_the_exception():
    v = reach().explain("192.168.0.1", "x/b", 10250)
    assert v.allowed and v.ingress.allowed
    (m,) = v.ingress.allowed_by
    assert m.implicit and m.policy == "node/n1"
    text = str(v)
    assert "allowed by its own node n1" in text and "isolated by x/deny-all" in text
    assert any("own node (n1)" in n for n in v.notes)
    assert "own node" in v._repr_html_()
    other = reach().explain("y/agent-2", "x/b", 10250)
    assert not other.allowed and not any("own node" in n for n in other.notes)


def test_tables_list_the_nodes_hostnetwork_pods():
    r = reach()
    rows = {(s, d, p): ports for s, d, p, ports in r.to_frame("pod")[["src", "dst", "protocol", "ports"]].itertuples(index=False)}
    assert rows[("y/agent-1", "x/b", "TCP")] == ["1-65535"] and rows[("y/agent-1", "x/b", "UDP")] == ["1-65535"]
    assert ("y/agent-2", "x/b", "TCP") not in rows and ("y/agent-1", "x/c", "TCP") not in rows
    assert ("y/agent-1", "x/free", "TCP") not in rows
    wl = r.to_frame("workload")
    into_x = {d for d in wl[(wl.src == "y/agent-1") & (wl.protocol == "TCP")].dst if d.startswith("x/")}
    assert into_x == {"x/b"}  # bare pods are their own workloads


def test_only_what_policies_do_not_already_allow_is_added_and_admin_denies_stay():
    # A port the policies allow anyway is no different; an earlier Calico tier still decides.
    allow_80 = netpol("x", "web", {"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}]})
    r = reach(allow_80)
    assert r.can_reach("y/agent-2", "x/b", 80) and r.can_reach("y/agent-1", "x/b", 81)
    tier = {"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": "security"},
            "spec": {"order": 100}}
    no_nodes = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
                "metadata": {"name": "security.no-nodes"},
                "spec": {"tier": "security", "order": 1, "selector": "all()", "types": ["Ingress"],
                         "ingress": [{"action": "Deny", "source": {"nets": ["192.168.0.0/16"]}}, {"action": "Pass"}]}}
    r = reach(tier, no_nodes)
    assert not r.can_reach("192.168.0.1", "x/b", 80) and not r.can_reach("y/agent-1", "x/b", 80)
    # In the default tier, the exception comes before Calico's own policies of that tier.
    default_deny = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
                    "metadata": {"name": "deny-nodes"},
                    "spec": {"order": 1, "selector": "all()", "types": ["Ingress"],
                             "ingress": [{"action": "Deny", "source": {"nets": ["192.168.0.0/16"]}}]}}
    assert reach(default_deny).can_reach("y/agent-1", "x/b", 80)


def test_cilium_explicit_denies_come_first():
    def cnp(spec: dict[str, Any]) -> dict[str, Any]:
        return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                "metadata": {"name": "p", "namespace": "x"}, "spec": spec}

    isolate = cnp({"endpointSelector": {}, "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "b"}}]}]})
    assert reach(isolate).can_reach("y/agent-1", "x/b", 80)
    deny_host = cnp({"endpointSelector": {}, "ingressDeny": [{"fromEntities": ["host"]}]})
    r = reach(deny_host)
    assert not r.can_reach("y/agent-1", "x/b", 80) and not r.can_reach("192.168.0.1", "x/b", 80)


def test_zone_violations_say_no_rule_opens_it_and_none_can_close_it():
    zones = {"zones": {
        "cde": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "x"}}, "sensitive": True},
        "platform": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "y"}}},
    }}
    df = k8sviz.gaps(snapshot(*cluster()), zones=zones)
    v = df[(df["finding"] == "zone-violation") & df["detail"].str.startswith("y/agent-1 (platform) -> x/b")]
    (detail,) = v["detail"]
    assert "the API lets a pod's own node in" in detail and "no NetworkPolicy can close this" in detail
    assert v["severity"].item() == "critical"
    # agent-2 reaches nothing in x: its node's pod is x/c, which it does reach.
    assert not df["detail"].str.startswith("y/agent-2 (platform) -> x/b").any()


def test_a_hostnetwork_pods_own_addresses_are_its_nodes_and_running_pods_outrank_ended_ones():
    agent = on(pod("y", "agent-1", {"app": "agent"}, "192.168.0.1", host=True, host_ip="192.168.0.1"), "n1")
    agent["status"]["podIPs"] = [{"ip": "192.168.0.1"}, {"ip": "fd00:1::1"}]
    objs = [o for o in cluster() if o["kind"] != "Node" and o["metadata"]["name"] != "agent-1"]
    r = k8sviz.reachability(snapshot(*objs, agent))
    assert r.can_reach("fd00:1::1", "x/b", 80) and not r.can_reach("fd00:1::1", "x/c", 80)
    # A pod that ended on a replaced node still lists the address a new node now has.
    old = on(pod("a", "job-1", {"app": "job"}, "10.0.9.9", host_ip="192.168.0.9"), "old-node")
    old["status"]["phase"] = "Succeeded"
    new = on(pod("x", "d", {"app": "d"}, "10.0.0.5", host_ip="192.168.0.9"), "new-node")
    r = k8sviz.reachability(snapshot(ns("a"), old, *objs, new))
    assert r.can_reach("192.168.0.9", "x/d", 80)


def test_the_exception_decides_before_a_baseline_deny_and_explain_says_so():
    from .helpers import anp

    baseline = anp("default", {"subject": {"namespaces": {}}, "ingress": [
        {"action": "Deny", "from": [{"networks": ["0.0.0.0/0"]}]}]}, baseline=True)  # no such ingress peer: deny all
    objs = [o for o in cluster() if o is not DENY_ALL]
    r = k8sviz.reachability(snapshot(*objs, baseline))
    assert not r.can_reach("y/agent-2", "x/b", 80)  # the baseline denies what no NetworkPolicy decides
    v = r.explain("y/agent-1", "x/b", 80)
    assert v.allowed and v.ingress.baseline is None
    assert "ingress of x/b: allowed by its own node n1" in str(v)


def owned(obj: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    obj["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": kind, "name": name, "controller": True, "uid": name}]
    return obj


def test_workload_tables_merge_the_pods_of_a_daemonset_and_agree_with_can_reach():
    # A hostNetwork DaemonSet on both nodes; a StatefulSet with a pod on each node, isolated;
    # another only on n2. At workload level a pair connects when any of its pod pairs does.
    objs = [
        ns("x"), ns("y"), node("n1", "192.168.0.1"), node("n2", "192.168.0.2"),
        on(owned(pod("y", "agent-a", {"app": "agent"}, "192.168.0.1", host=True, host_ip="192.168.0.1"), "DaemonSet", "agent"), "n1"),
        on(owned(pod("y", "agent-b", {"app": "agent"}, "192.168.0.2", host=True, host_ip="192.168.0.2"), "DaemonSet", "agent"), "n2"),
        on(owned(pod("x", "db-0", {"app": "db"}, "10.0.0.10"), "StatefulSet", "db"), "n1"),
        on(owned(pod("x", "db-1", {"app": "db"}, "10.0.0.11"), "StatefulSet", "db"), "n2"),
        on(owned(pod("x", "cache-0", {"app": "cache"}, "10.0.0.12"), "StatefulSet", "cache"), "n2"),
        netpol("x", "db-80", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [{"ports": [{"port": 80}]}]}),
        netpol("x", "cache-none", {"podSelector": {"matchLabels": {"app": "cache"}}, "policyTypes": ["Ingress"]}),
    ]
    r = k8sviz.reachability(snapshot(*objs))
    for level, ends in (("pod", ["y/agent-a", "y/agent-b", "x/db-0", "x/db-1", "x/cache-0"]),
                        ("workload", ["y/agent", "x/db", "x/cache"])):
        frame = r.to_frame(level)
        rows = {(a, b, p): ports for a, b, p, ports in frame[["src", "dst", "protocol", "ports"]].itertuples(index=False)}
        for a in ends:
            for b in ends:
                if a == b and (level == "pod" or a == "x/cache"):  # one pod: not judged
                    continue
                for port in (80, 81, 443):
                    want = r.can_reach(a, b, port)
                    got = any(int(lo) <= port <= int(hi or lo) for rg in rows.get((a, b, "TCP"), ())
                              for lo, _, hi in [rg.partition("-")])
                    assert got == want, (level, a, b, port)
    wl = r.to_frame("workload")
    (db,) = wl[(wl.src == "y/agent") & (wl.dst == "x/db") & (wl.protocol == "TCP")]["ports"]
    assert db == ["1-65535"]  # each agent reaches the db pod on its node
    assert r.can_reach("y/agent", "x/cache", 443) and not r.can_reach("y/agent-a", "x/cache-0", 443)
