"""The engine's posture per pod and direction: ``reach.posture``, ``reach.isolation`` and the
additive fast path against full evaluation."""

import re

import numpy as np
import pytest

import k8sviz
from k8sviz.errors import QueryError
from k8sviz.policy.posture import POD_COLUMNS, WORKLOAD_COLUMNS, Posture
from k8sviz.snapshot import SnapshotBuilder
from k8sviz.synth import generate_cluster
from tests.analysis.helpers import ns, pod, policy, snapshot

DENY_BOTH = {"types": ["Ingress", "Egress"]}
#: Every peer: every namespace's pods and both address families.
EVERYONE = [{"namespaceSelector": {}}, {"ipBlock": {"cidr": "0.0.0.0/0"}}, {"ipBlock": {"cidr": "::/0"}}]


def synth(pods, policies, seed):
    b = SnapshotBuilder()
    for o in generate_cluster(pods=pods, policies=policies, seed=seed):
        b.add(o, "synth")
    return b.build(cluster="synth")


def replica(namespace, name, deployment, **labels):
    """A pod of Deployment ``deployment`` (through a ReplicaSet the dump left out)."""
    obj = pod(namespace, name, **labels, **{"pod-template-hash": "h1"})
    obj["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": f"{deployment}-h1", "controller": True}]
    return obj


# ------------------------------------------------------------------ the fast path


@pytest.mark.parametrize("make", [lambda: k8sviz.demo(), lambda: synth(400, 60, 3), lambda: synth(300, 40, 7)])
def test_the_additive_shortcut_agrees_with_full_evaluation(make):
    table = k8sviz.reachability(make())._postures()
    for d in ("ingress", "egress"):
        fast = table.sides(d)
        full = table._evaluate(d, table._subjects)
        assert {c: (s.state, s.deny_by) for c, s in fast.items()} == {c: (s.state, s.deny_by) for c, s in full.items()}
        # The allows the shortcut leaves unnamed are filled in as full evaluation names them.
        named = table.named_sides(d, list(full))
        assert {c: s.allow_by for c, s in named.items()} == {c: s.allow_by for c, s in full.items()}
        assert any(not s.allows_named for s in fast.values())  # the shortcut did run
    states = {s.state for d in ("ingress", "egress") for s in table.sides(d).values()}
    assert "isolated" in states and "unrestricted" in states


def test_allows_that_add_up_to_everything_reopen_a_default_deny():
    snap = snapshot(
        ns("a"), ns("b"), pod("a", "web", ip="10.0.0.1", app="web"), pod("a", "db", ip="10.0.0.2", app="db"),
        pod("b", "x", ip="10.0.0.3", app="x"),
        policy("a", "deny", types=["Ingress", "Egress"]),
        policy("a", "web-in", {"app": "web"}, ["Ingress"], ingress=[{"from": EVERYONE}]),
        policy("a", "db-in", {"app": "db"}, ["Ingress"], ingress=[{"from": EVERYONE[:2]}]),  # no IPv6
    )
    reach = k8sviz.reachability(snap)
    web = reach.posture("a/web", "ingress")
    assert web.state == "reopened" and web.allow_by == ("a/web-in",) and set(web.deny_by) == {"a/deny", "a/web-in"}
    # The API calls it isolated all the same: a policy selects it.
    assert reach.isolated("a/web", "ingress")
    db = reach.posture("a/db", "ingress")
    assert db.state == "isolated" and db.isolated and db.allow_by == ("a/db-in",) and db.open_to == ()
    assert reach.posture("b/x", "ingress").state == "unrestricted" and not reach.isolated("b/x", "ingress")
    table = reach._postures()
    full = table._evaluate("ingress", table._subjects)
    assert {c: s.state for c, s in full.items()} == {c: s.state for c, s in table.sides("ingress").items()}


# ------------------------------------------------------------------ every state


def test_each_state_on_a_small_cluster():
    banp = {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
            "metadata": {"name": "default"},
            "spec": {"subject": {"namespaces": {"matchLabels": {"zone": "p"}}},
                     "egress": [{"name": "deny-pods", "action": "Deny", "to": [{"namespaces": {}}]}]}}
    snap = snapshot(
        ns("open"), ns("p", zone="p"), ns("shut"),
        pod("open", "free", ip="10.0.0.1", app="free"),
        pod("p", "half", ip="10.0.0.2", app="half"),
        pod("shut", "vault", ip="10.0.0.3", app="vault"),
        policy("shut", "deny", **DENY_BOTH),
        policy("open", "all-in", types=["Ingress"], ingress=[{"from": EVERYONE}]),
        banp,
    )
    reach = k8sviz.reachability(snap)
    got = {(p, d): reach.posture(p, d) for p in ("open/free", "p/half", "shut/vault") for d in ("ingress", "egress")}
    assert got[("open/free", "egress")].state == "unrestricted"
    assert got[("open/free", "ingress")].state == "reopened"
    assert got[("open/free", "ingress")].allow_by == ("open/all-in",)
    half = got[("p/half", "egress")]
    # A baseline Deny of every namespace's pods: the internet is left to the default allow.
    assert half.state == "partial" and half.deny_by == ("BaselineAdminNetworkPolicy/default",)
    assert "0.0.0.0/0" in half.open_to and "::/0" in half.open_to
    assert not {"open/free", "shut/vault"} & set(half.open_to)  # pods: denied
    assert got[("p/half", "ingress")].state == "unrestricted"
    assert got[("shut/vault", "ingress")].state == "isolated" and got[("shut/vault", "ingress")].deny_by == ("shut/deny",)
    assert got[("shut/vault", "egress")].allow_by == ()
    assert "partial" in str(half) and "0.0.0.0/0" in str(half)


def test_partial_lists_open_pods_as_workloads():
    # Only the pods of namespace b are denied: a's pods stay open, named by workload.
    anp = {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
           "metadata": {"name": "no-b"},
           "spec": {"priority": 5, "subject": {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "c"}}},
                    "ingress": [{"name": "b", "action": "Deny",
                                 "from": [{"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "b"}}}]}]}}
    snap = snapshot(ns("a"), ns("b"), ns("c"), replica("a", "web-h1-x", "web", app="web"),
                    replica("a", "web-h1-y", "web", app="web"), pod("b", "bad", app="bad"), pod("c", "db", app="db"),
                    anp)
    p = k8sviz.reachability(snap).posture("c/db", "ingress")
    assert p.state == "partial" and p.deny_by == ("AdminNetworkPolicy/no-b",)
    assert p.open_to[0] == "a/web" and "b/bad" not in p.open_to and p.open_to.count("a/web") == 1


def test_peers_takes_a_count_as_its_limit():
    def namespace(name):
        return {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": name}}}

    anp = {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
           "metadata": {"name": "no-b"},
           "spec": {"priority": 5, "subject": namespace("c"),
                    "ingress": [{"name": "b", "action": "Deny", "from": [namespace("b")]}]}}
    snap = snapshot(ns("a"), ns("b"), ns("c"), pod("a", "web", app="web"), pod("a", "api", app="api"),
                    pod("b", "bad", app="bad"), pod("c", "db", app="db"), anp)
    table = k8sviz.reachability(snap)._postures()
    side = table.side("c/db", "ingress")
    every = table.peers(side, None)
    assert side.state == "partial" and every[:2] == ["a/api", "a/web"] and len(every) > 3
    # numpy integers (a count read from a DataFrame) are counts too
    assert table.peers(side, np.int64(2)) == table.peers(side, 2) == every[:2]
    assert table.peers(side, np.uint8(0)) == []
    unrestricted = table.side("b/bad", "ingress")  # no open_bits: peers() names nobody
    assert unrestricted.state == "unrestricted" and table.peers(unrestricted, 3) == []
    for bad in (True, 2.0, -1, "2", np.float64(2)):
        # a negative limit sliced from the end, True counted as 1: said, whatever the side
        for s in (side, unrestricted):
            said = r"^PostureTable\.peers: limit must be None or a whole number >= 0, got "
            with pytest.raises(QueryError, match=said + re.escape(repr(bad)) + "$"):
                table.peers(s, bad)


def test_partial_sides_keep_their_open_classes_as_bits_and_name_them_as_a_plain_walk():
    # An admin Deny of one namespace: every pod no NetworkPolicy isolates is partial, open to
    # most classes.  The sides keep those classes as a bitset; peers() names them as walking
    # each open class's members would: workloads of running pods in name order, then blocks.
    objs = generate_cluster(pods=400, policies=60, seed=3)
    one = sorted(o["metadata"]["name"] for o in objs if o["kind"] == "Namespace")[1]
    objs += [
        {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
         "metadata": {"name": "deny-one"},
         "spec": {"priority": 10, "subject": {"namespaces": {}},
                  "ingress": [{"action": "Deny", "from": [{"namespaces": {"matchLabels": {
                      "kubernetes.io/metadata.name": one}}}]}],
                  "egress": [{"action": "Deny", "to": [{"namespaces": {"matchLabels": {
                      "kubernetes.io/metadata.name": one}}}]}]}}]
    b = SnapshotBuilder()
    for o in objs:
        b.add(o, "synth")
    reach = k8sviz.reachability(b.build(cluster="synth"))
    table = reach._postures()
    ends, bmap = reach._ends, reach._engine.bmap
    members = {}
    for e in range(len(bmap)):
        if e >= ends.n_pods or not ends.pods[e].terminated:
            members.setdefault(int(bmap[e]), []).append(e)
    partial = 0
    for d in ("ingress", "egress"):
        for s in table.sides(d).values():
            if s.state != "partial":
                assert s.open_bits == b"" and s.open_classes == ()
                continue
            partial += 1
            assert len(s.open_bits) == (reach._engine.n_b + 7) // 8
            pods, blocks = [], []
            for c in s.open_classes:
                for e in members.get(c, ()):
                    (pods if e < ends.n_pods else blocks).append(
                        ends.pods[e].workload_key if e < ends.n_pods else ends.name(e))
            assert s.open_classes == tuple(sorted(s.open_classes)) and len(s.open_classes) > 1
            want = list(dict.fromkeys(sorted(pods) + blocks))
            assert table.peers(s, None) == want
            assert table.peers(s) == want[:10] and table.peers(s, 3) == want[:3]
    assert partial > 10


def test_pods_outside_policy_are_listed_not_judged():
    done = pod("a", "job", app="job")
    done["status"]["phase"] = "Succeeded"
    snap = snapshot(ns("a"), pod("a", "web", app="web"), pod("a", "agent", host_network=True), done,
                    policy("a", "deny", **DENY_BOTH))
    reach = k8sviz.reachability(snap)
    agent = reach.posture("a/agent", "ingress")
    assert agent.state == "not-judged" and "hostNetwork" in agent.not_judged and not agent.isolated
    job = reach.posture("a/job", "egress")
    assert job.state == "not-judged" and "Succeeded" in job.not_judged
    assert reach.posture("a/web", "egress").state == "isolated"
    table = reach._postures()
    assert table.side("a/agent", "ingress") is None and table.side("a/job", "egress") is None
    df = reach.isolation()
    assert list(df.columns) == POD_COLUMNS and len(df) == 6
    rows = df.set_index(["pod", "direction"])
    assert rows.loc[("a/agent", "ingress"), "state"] == "not-judged"
    assert rows.loc[("a/job", "ingress"), "not_judged"].startswith("ended (Succeeded)")
    assert rows.loc[("a/web", "ingress"), "not_judged"] == ""


# ------------------------------------------------------------------ dialects


def test_an_admin_network_policy_deny_isolates():
    anp = {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
           "metadata": {"name": "lockdown"},
           "spec": {"priority": 1, "subject": {"namespaces": {}},
                    "egress": [{"name": "all", "action": "Deny",
                                "to": [{"namespaces": {}}, {"networks": ["0.0.0.0/0", "::/0"]}]}]}}
    snap = snapshot(ns("a"), pod("a", "web", ip="10.0.0.1", app="web"), pod("a", "db", ip="10.0.0.2", app="db"), anp)
    reach = k8sviz.reachability(snap)
    p = reach.posture("a/web", "egress")
    assert p.state == "isolated" and p.deny_by == ("AdminNetworkPolicy/lockdown",) and p.allow_by == ()
    # No NetworkPolicy selects it: the API's notion says "not isolated".
    assert not reach.isolated("a/web", "egress")
    assert reach.posture("a/web", "ingress").state == "unrestricted"


def test_a_calico_global_default_deny_is_named_by_its_policy():
    gnp = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "default-deny"},
           "spec": {"selector": "projectcalico.org/namespace not in {'kube-system'}", "types": ["Ingress", "Egress"]}}
    snap = snapshot(ns("a"), ns("kube-system"), pod("a", "web", ip="10.0.0.1", app="web"),
                    pod("kube-system", "dns", ip="10.0.0.2", app="dns"), gnp)
    reach = k8sviz.reachability(snap)
    for d in ("ingress", "egress"):
        p = reach.posture("a/web", d)
        # The engine's rule is the tier's end; the posture names the tier's policy that selects the pod.
        assert p.state == "isolated" and p.deny_by == ("GlobalNetworkPolicy/default-deny",), p
        assert reach.posture("kube-system/dns", d).state == "unrestricted"
    row = reach.isolation().set_index(["pod", "direction"]).loc[("a/web", "ingress")]
    assert row["deny_by"] == ["GlobalNetworkPolicy/default-deny"]


def test_cilium_policies_deny_and_allow():
    ccnp = {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "default-deny"},
            "spec": {"endpointSelector": {}, "enableDefaultDeny": {"ingress": True, "egress": True},
                     "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "nothing"}}]}],
                     "egress": [{"toEndpoints": [{"matchLabels": {"app": "nothing"}}]}]}}
    cnp = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "web-in", "namespace": "a"},
           "spec": {"endpointSelector": {"matchLabels": {"app": "web"}},
                    "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "db"}}]}]}}
    snap = snapshot(ns("a"), pod("a", "web", ip="10.0.0.1", app="web"), pod("a", "db", ip="10.0.0.2", app="db"),
                    ccnp, cnp)
    reach = k8sviz.reachability(snap)
    web = reach.posture("a/web", "ingress")
    assert web.state == "isolated"
    assert "CiliumClusterwideNetworkPolicy/default-deny" in web.deny_by
    assert web.allow_by == ("CiliumNetworkPolicy/a/web-in",)
    assert reach.posture("a/db", "ingress").allow_by == ()


# ------------------------------------------------------------------ the table


def test_workload_rows_show_the_weakest_pod_with_a_count():
    snap = snapshot(
        ns("a"), replica("a", "web-h1-x", "web", app="web", locked="yes"), replica("a", "web-h1-y", "web", app="web"),
        replica("a", "web-h1-z", "web", app="web", locked="yes"),
        policy("a", "lock", {"locked": "yes"}, ["Ingress"]),
        {**(done := replica("a", "web-h1-old", "web", app="web")), "status": {**done["status"], "phase": "Failed"}},
        pod("a", "agent", host_network=True),
    )
    reach = k8sviz.reachability(snap)
    wl = reach.isolation("workload")
    assert list(wl.columns) == WORKLOAD_COLUMNS
    row = wl.set_index(["workload", "direction"]).loc[("a/web", "ingress")]
    assert row["state"] == "unrestricted" and row["pods"] == 3 and row["pods_in_state"] == 1
    assert row["not_judged"] == "ended (Failed): sends and receives nothing (1 pod)"
    assert row["deny_by"] == []  # the unrestricted pod's: none
    agent = wl.set_index(["workload", "direction"]).loc[("a/agent", "egress")]
    assert agent["state"] == "not-judged" and agent["pods"] == 0 and "hostNetwork" in agent["not_judged"]
    pods = reach.isolation("pod")
    assert sorted(pods.loc[pods["workload"] == "a/web", "pod"].unique()) == [
        "a/web-h1-old", "a/web-h1-x", "a/web-h1-y", "a/web-h1-z"]
    locked = pods.set_index(["pod", "direction"]).loc[("a/web-h1-x", "ingress")]
    assert locked["state"] == "isolated" and locked["deny_by"] == ["a/lock"]


def test_the_table_agrees_with_posture_pod_by_pod():
    snap = k8sviz.demo()
    reach = k8sviz.reachability(snap)
    df = reach.isolation()
    assert len(df) == 2 * len(snap.pods)
    assert list(df["pod"]) == sorted(df["pod"]) and list(df["direction"][:2]) == ["ingress", "egress"]
    for r in df.itertuples(index=False):
        p = reach.posture(r.pod, r.direction)
        assert (p.state, list(p.deny_by), list(p.allow_by), list(p.open_to[:10]), p.not_judged) == (
            r.state, r.deny_by, r.allow_by, r.open_to, r.not_judged)


def test_gaps_reads_the_posture_reach_keeps():
    snap = k8sviz.demo()
    reach = k8sviz.reachability(snap)
    assert "_posture_table" not in reach.__dict__  # lazy
    k8sviz.gaps(snap, reach)
    table = reach.__dict__["_posture_table"]
    sides = {d: table.sides(d) for d in ("ingress", "egress")}
    reach.isolation("workload")
    reach.posture("shop/" + next(p.name for p in snap.pods if p.namespace == "shop"), "ingress")
    assert reach._postures() is table
    assert all(table.sides(d) is sides[d] for d in sides)  # not evaluated again


# ------------------------------------------------------------------ bad arguments


@pytest.mark.parametrize(("call", "words"), [
    (lambda r: r.posture("a/nope", "ingress"), "unknown pod 'a/nope'"),
    (lambda r: r.posture("a/web", "inbound"), "direction must be 'ingress' or 'egress'"),
    (lambda r: r.posture(["a/web"], "ingress"), "pod must be 'namespace/name'"),
    (lambda r: r.isolation("namespace"), "level must be 'pod' or 'workload'"),
    # a list was a TypeError (unhashable) from the pod index
    (lambda r: r.isolated(["a/web"], "ingress"), "pod must be 'namespace/name'"),
    (lambda r: r.selecting_policies("a/web", None), "direction must be 'ingress' or 'egress'"),
])
def test_bad_arguments_are_query_errors(call, words):
    reach = k8sviz.reachability(snapshot(ns("a"), pod("a", "web", app="web")))
    with pytest.raises(QueryError, match=words):
        call(reach)


def test_direction_in_any_case():
    # "Ingress", as policyTypes spells it, was refused while a protocol "tcp" was taken
    snap = snapshot(ns("a"), pod("a", "web", app="web"),
                    policy("a", "deny", {"app": "web"}, ["Ingress"]))
    reach = k8sviz.reachability(snap)
    assert reach.isolated("a/web", "Ingress") and not reach.isolated("a/web", "EGRESS")
    assert reach.selecting_policies("a/web", "Ingress") == ["a/deny"]
    assert reach.posture("a/web", "Ingress") == reach.posture("a/web", "ingress")
    assert reach.posture("a/web", "Ingress").direction == "ingress"


def test_a_workload_given_for_a_pod_is_named_as_such():
    snap = k8sviz.load(k8sviz.demo_path("cluster"))
    reach = k8sviz.reachability(snap)
    with pytest.raises(QueryError, match=r"unknown pod 'shop/frontend': that is a workload; give one of its pods: "
                                         r"shop/frontend-"):
        reach.isolated("shop/frontend", "ingress")


def test_posture_is_frozen():
    p = k8sviz.reachability(snapshot(ns("a"), pod("a", "web", app="web"))).posture("a/web", "egress")
    assert isinstance(p, Posture) and k8sviz.Posture is Posture and p.state == "unrestricted"
    with pytest.raises(AttributeError):
        p.state = "isolated"  # type: ignore[misc]
    assert p == k8sviz.reachability(snapshot(ns("a"), pod("a", "web", app="web"))).posture("a/web", "egress")


def test_allows_are_named_per_named_port_number():
    # Same rules select both pods, but "http" is 80 on one and 8080 on the other: on the
    # first, the port-80 rule only repeats what the named-port rule decided.
    from tests.policy.helpers import netpol, ns as ns_, pod as pod_, snapshot as snapshot_

    both = {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]}
    snap = snapshot_(
        ns_("a"),
        pod_("a", "w80", {"app": "web"}, "10.0.0.1", (("http", 80, "TCP"),)),
        pod_("a", "w8080", {"app": "web"}, "10.0.0.2", (("http", 8080, "TCP"),)),
        pod_("a", "client", {"app": "client"}, "10.0.0.3"),
        netpol("a", "a-named", {**both, "ingress": [{"from": [{"podSelector": {}}], "ports": [{"port": "http"}]}]}),
        netpol("a", "b-80", {**both, "ingress": [{"from": [{"podSelector": {}}], "ports": [{"port": 80}]}]}),
    )
    reach = k8sviz.reachability(snap)
    # Named together (the table names every class at once, one of each kind evaluated).
    rows = reach.isolation().set_index(["pod", "direction"])
    got = {p: tuple(rows.loc[(f"a/{p}", "ingress"), "allow_by"]) for p in ("w80", "w8080")}
    table = reach._postures()
    full = table._evaluate("ingress", table._subjects)
    assert got == {p: full[table._class[f"a/{p}"]].allow_by for p in got}
    assert got["w80"] != got["w8080"], got
