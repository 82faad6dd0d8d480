import pandas as pd
import pytest

from k8sviz.analysis.controls import CONTROLS, FINDINGS, controls_summary
from k8sviz.analysis.gaps import GAP_COLUMNS, gaps
from k8sviz.analysis.zones import load_zones
from k8sviz.errors import InputError

from .helpers import FakeReach, ns, pod, policy, service, snapshot

DENY_ALL = {"types": ["Ingress", "Egress"]}


def cluster():
    return snapshot(
        ns("locked", team="a"),
        ns("open"),
        ns("half"),
        ns("pci", compliance="pci"),
        ns("kube-system"),
        pod("locked", "api", app="api"),
        pod("locked", "db", app="db"),
        policy("locked", "default-deny", **DENY_ALL),
        policy(
            "locked",
            "db-in",
            {"app": "db"},
            ["Ingress"],
            ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "api"}}}], "ports": [{"port": 5432}]}],
        ),
        policy(
            "locked",
            "api-out",
            {"app": "api"},
            ["Egress"],
            egress=[{"to": [{"podSelector": {"matchLabels": {"app": "db"}}}], "ports": [{"port": 5432}]}],
        ),
        policy("locked", "typo", {"app": "dbb"}, ["Ingress"]),
        policy(
            "locked",
            "ghost-peer",
            {"app": "db"},
            ["Ingress"],
            ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "nobody"}}}]}],
        ),
        pod("open", "web", app="web"),
        service("open", "web", {"app": "web"}, "LoadBalancer"),
        pod("half", "svc", app="svc"),
        policy("half", "svc-in", {"app": "svc"}, ingress=[{"from": [{"namespaceSelector": {}}]}]),
        pod("pci", "vault", app="vault"),
        policy("pci", "default-deny", **DENY_ALL),
        policy(
            "pci",
            "vault-maint",
            {"app": "vault"},
            ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"team": "a"}}}]}],
        ),
        policy(
            "pci",
            "vault-out",
            {"app": "vault"},
            ["Egress"],
            egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]}],
        ),
        pod(
            "kube-system",
            "agent",
            host_network=True,
            privileged=True,
            ports=[9100],
            host_port=9100,
            app="agent",
        ),
    )


ZONES = {
    "zones": {
        "pci": {"namespaceSelector": {"matchLabels": {"compliance": "pci"}}, "sensitive": True},
        "app": {"namespaceSelector": {"matchLabels": {"team": "a"}}},
    },
    "allow": [
        {"from": "app", "to": "pci", "ports": ["TCP/443"], "justification": "x", "expires": "2026-01-01"}
    ],
}


def find(df, fid, name=None):
    sel = df[df["finding"] == fid]
    return sel if name is None else sel[sel["name"] == name]


def test_snapshot_findings():
    snap = cluster()
    df = gaps(snap, FakeReach(snap))
    assert list(df.columns) == GAP_COLUMNS
    # precision: the locked-down namespace has no isolation or default-deny finding
    locked = df[df["namespace"] == "locked"]
    assert (
        not locked["finding"]
        .isin(
            [
                "no-ingress-isolation",
                "no-egress-isolation",
                "namespace-without-default-deny",
                "namespace-without-policy",
            ]
        )
        .any()
    )
    assert set(find(df, "namespace-without-policy")["namespace"]) == {"open", "kube-system"}
    half = find(df, "namespace-without-default-deny").set_index("namespace")
    assert half.loc["half", "evidence"]["missing"] == ["ingress", "egress"]
    assert set(find(df, "no-ingress-isolation")["name"]) == {"web"}
    assert set(find(df, "no-egress-isolation")["name"]) == {"web", "svc"}
    # hostNetwork pods get host-network, not isolation findings; kube-system does not lower it
    assert find(df, "host-network", "agent")["severity"].item() == "high"
    assert len(find(df, "privileged", "agent")) == 1 and len(find(df, "host-port", "agent")) == 1
    assert "agent" not in set(find(df, "no-ingress-isolation")["name"])
    assert find(df, "policy-selects-nothing")["name"].tolist() == ["typo"]
    ghost = find(df, "rule-peer-matches-nothing")
    assert ghost["name"].tolist() == ["ghost-peer"] and ghost["evidence"].item()["rule"] == 0
    aa = find(df, "allow-all-rule").set_index("name")
    assert aa.loc["svc-in", "severity"] == "high"  # namespaceSelector {} on all ports
    assert "vault-out" in aa.index and "vault-maint" in aa.index  # 0.0.0.0/0; all ports across namespaces
    for row in df.itertuples():
        assert row.controls and all(c in CONTROLS for c in row.controls)
    assert (
        not df["finding"].isin(["observed-but-policy-denies", "allowed-but-unused", "zone-violation"]).any()
    )


def test_internet_evidence_counts_each_block_once_whatever_the_protocols():
    snap = cluster()
    blocks = [f"{40 + i}.0.0.0/8" for i in range(25)]
    reach = FakeReach(
        snap,
        edges=[("open/web", b, proto, ["53"]) for b in blocks for proto in ("TCP", "UDP", "SCTP")]
        + [(b, "open/web", proto, ["80"]) for b in blocks[:3] for proto in ("TCP", "UDP")],
    )
    df = gaps(snap, reach)
    out = find(df, "internet-egress", "web")["evidence"].item()
    assert out["n_blocks"] == 25
    assert out["blocks"] == blocks[:20]  # a sample without repeats
    assert out["ports"] == ["SCTP/53", "TCP/53", "UDP/53"]
    inbound = find(df, "internet-ingress", "web")["evidence"].item()
    assert inbound["n_blocks"] == 3 and inbound["blocks"] == blocks[:3]


def test_sensitive_zone_and_reach_findings():
    snap = cluster()
    reach = FakeReach(
        snap,
        edges=[
            ("0.0.0.0/5", "open/web", "TCP", ["80"]),
            ("10.0.0.0/8", "open/web", "TCP", ["80"]),
            ("locked/api", "locked/db", "TCP", ["5432"]),
            ("locked/api", "pci/vault", "TCP", ["443", "5432"]),
            ("pci/vault", "168.0.0.0/5", "TCP", ["443"]),
            ("open/web", "168.0.0.0/5", "TCP", ["1-65535"]),
        ],
        rules=[
            ("pci/vault-maint", "ingress", 0, "locked/api", "pci/vault", "TCP", ["1-65535"]),
            ("locked/api-out", "egress", 0, "locked/api", "locked/db", "TCP", ["5432"]),
            ("locked/db-in", "ingress", 0, "locked/api", "locked/db", "TCP", ["5432"]),
            ("locked/ghost-peer", "ingress", 0, "locked/api", "locked/db", "TCP", ["5432"]),
        ],
    )
    df = gaps(snap, reach, zones=load_zones(ZONES))
    ii = find(df, "internet-ingress")
    assert ii["name"].tolist() == ["web"] and ii["severity"].item() == "high"
    assert "LoadBalancer" in ii["detail"].item()
    assert set(find(df, "internet-egress")["name"]) == {"vault", "web"}
    assert find(df, "internet-egress", "vault")["severity"].item() == "high"  # sensitive zone
    meta = find(df, "metadata-egress").set_index("name")
    assert meta.loc["web", "severity"] == "high" and meta.loc["vault", "severity"] == "high"
    zv = find(df, "zone-violation")
    assert len(zv[zv["name"] == "vault"]) == 2  # api -> vault, vault -> internet
    v = zv[zv["evidence"].map(lambda e: e["dst"]) == "pci/vault"]
    assert len(v) == 1 and v["severity"].item() == "critical"
    ev = v["evidence"].item()
    assert ev["ports"] == ["TCP/443", "TCP/5432"]  # the 443 exception expired on 2026-01-01
    assert ev["rules"] == ["pci/vault-maint ingress[0]"] and ev["expired_exceptions"] == ["allow[0]"]
    assert "; opened by pci/vault-maint ingress[0]" in v["detail"].item()
    out = zv[zv["evidence"].map(lambda e: e["src"]) == "pci/vault"]  # no rule: nothing isolates it
    assert "; open because no policy isolates this path (default allow)" in out["detail"].item()
    assert find(df, "allow-all-rule", "vault-maint")["severity"].item() in ("critical", "high")
    red = find(df, "redundant-rule")
    # db-in and ghost-peer admit the same connection: exactly one of them is redundant
    assert red["name"].tolist() == ["db-in"]
    assert red["evidence"].item()["covered_by"] == ["locked/ghost-peer ingress[0]"]


def test_flow_findings_and_summary():
    snap = cluster()
    reach = FakeReach(
        snap, edges=[("locked/api", "locked/db", "TCP", ["5432"]), ("open/web", "half/svc", "TCP", ["80"])]
    )
    flows = pd.DataFrame(
        [
            {
                "time": "2026-06-01T00:00:00Z",
                "src_namespace": "open",
                "src_workload": "web",
                "src_pod": "web",
                "src_ip": "10.0.0.1",
                "dst_namespace": "locked",
                "dst_workload": "db",
                "dst_pod": "db",
                "dst_ip": "10.0.0.2",
                "dst_port": 5432,
                "protocol": "TCP",
                "verdict": "allowed",
                "bytes": 10,
            },
            {
                "time": "2026-06-01T00:00:01Z",
                "src_namespace": "locked",
                "src_workload": "api",
                "src_pod": "api",
                "src_ip": "10.0.0.3",
                "dst_namespace": "locked",
                "dst_workload": "db",
                "dst_pod": "db",
                "dst_ip": "10.0.0.2",
                "dst_port": 5432,
                "protocol": "TCP",
                "verdict": "denied",
                "bytes": 0,
            },
        ]
    )
    df = gaps(snap, reach, flows=flows)
    obs = find(df, "observed-but-policy-denies")
    assert obs["evidence"].item()["src"] == "open/web" and obs["evidence"].item()["flows"] == 1
    assert find(df, "dropped-but-policy-allows")["evidence"].item()["src"] == "locked/api"
    unused = find(df, "allowed-but-unused")
    assert [e["src"] for e in unused["evidence"]] == ["open/web"]
    summary = controls_summary(df)
    assert set(summary["status"]) <= {"pass", "fail", "manual", "not-checked"}
    s = summary.set_index("control")
    assert s.loc["CIS-5.3.2", "status"] == "manual" and s.loc["PCI-11.4.5", "status"] == "manual"
    assert s.loc["NSA-NP-METADATA", "status"] == "pass"
    no_zone = controls_summary(gaps(snap, FakeReach(snap)))
    assert "zone-violation" not in gaps(snap, FakeReach(snap)).attrs["checked"]
    assert set(FINDINGS) >= {"zone-violation", "allowed-but-unused"}
    assert len(no_zone) == len(CONTROLS)


def test_flow_findings_from_load_flows(tmp_path):
    import k8sviz

    snap = k8sviz.demo()
    reach = k8sviz.reachability(snap)
    pod = {p.workload_key: p for p in snap.pods}
    checkout, pay, reco, cart = (
        pod[k]
        for k in (
            "shop/checkoutservice",
            "pci/paymentservice",
            "shop/recommendationservice",
            "shop/cartservice",
        )
    )
    csv = tmp_path / "flows.csv"
    csv.write_text(
        "time,src_namespace,src_pod,dst_namespace,dst_pod,dst_port,protocol,verdict\n"
        f"2024-03-10T08:00:00Z,shop,{checkout.name},pci,{pay.name},50051,TCP,allowed\n"
        f"2024-03-10T08:00:01Z,shop,{reco.name},shop,{cart.name},7070,TCP,allowed\n"
        f"2024-03-10T08:00:02Z,shop,{checkout.name},pci,{pay.name},50051,TCP,denied\n"
    )
    flows = k8sviz.load_flows(csv, snapshot=snap)
    df = gaps(snap, reach, flows=flows)
    obs = find(df, "observed-but-policy-denies")
    assert len(obs) == 1 and obs["evidence"].item()["src"] == "shop/recommendationservice"
    # The evidence types each end as flow_discrepancies does (the CSV names pods; a rule, workloads).
    assert (obs["evidence"].item()["src_type"], obs["evidence"].item()["dst_type"]) == ("pod", "pod")
    assert len(find(df, "dropped-but-policy-allows")) == 1
    unused = find(df, "allowed-but-unused")
    assert len(unused) > 0 and all(e["policy"] for e in unused["evidence"])
    # Rules to pods, from CIDRs, and egress rules to both (their types joined).
    assert {(e["src_type"], e["dst_type"]) for e in unused["evidence"]} == {
        ("workload", "workload"), ("external", "workload"), ("workload", "external,workload")}
    assert "shop/checkoutservice-egress-payment" not in {e["policy"] for e in unused["evidence"]}


def test_flow_findings_towards_nodes_and_outside_addresses_are_filed_under_the_sender(tmp_path):
    """A denied flow to the outside or to a node is the sending workload's finding: its
    namespace, not an IP or ``node`` read from the destination's label."""
    import k8sviz

    snap = k8sviz.demo()
    reach = k8sviz.reachability(snap)
    cart = next(p for p in snap.pods if p.workload_key == "shop/cartservice")
    node = snap.nodes[0]
    assert not reach.can_reach("shop/cartservice", "203.0.113.9", 443)
    csv = tmp_path / "flows.csv"
    csv.write_text(
        "time,src_namespace,src_pod,dst_ip,dst_port,protocol,verdict\n"
        f"2024-03-10T08:00:00Z,shop,{cart.name},203.0.113.9,443,TCP,allowed\n"
        f"2024-03-10T08:00:01Z,shop,{cart.name},{node.addresses[0]},10250,TCP,allowed\n"
    )
    df = gaps(snap, reach, flows=k8sviz.load_flows(csv, snapshot=snap))
    obs = find(df, "observed-but-policy-denies")
    dsts = {e["dst"]: (e["dst_type"], ns, name) for e, ns, name in zip(obs["evidence"], obs["namespace"], obs["name"])}
    assert dsts["203.0.113.9"] == ("external", "shop", "cartservice")
    assert dsts[f"node/{node.name}"] == ("node", "shop", "cartservice")
    # The detail gives a node's type (a workload of a namespace "node" has the same label),
    # not a workload's nor an outside address's.
    details = sorted(obs["detail"])
    assert f"shop/cartservice -> node/{node.name} (node) TCP 10250" in details[0] + details[1]
    assert "-> 203.0.113.9 TCP 443" in details[0] + details[1]
    assert "(pod)" not in "".join(details) and "(external)" not in "".join(details)
    # A hand-built table (no types) names an outside end by its IP: filed the same way.
    hand = pd.DataFrame([{"time": "2024-03-10T08:00:00Z", "src_namespace": "shop", "src_workload": "cartservice",
                          "src_pod": cart.name, "dst_ip": "203.0.113.9", "dst_port": 443, "protocol": "TCP",
                          "verdict": "allowed"}])
    row = find(gaps(snap, reach, flows=hand), "observed-but-policy-denies")
    assert (row["namespace"].item(), row["name"].item()) == ("shop", "cartservice")


def test_without_pods_pod_findings_are_not_checked_and_controls_do_not_pass(tmp_path):
    import k8sviz

    from k8sviz.cli import main

    snap = k8sviz.load("data/demo/cluster/networkpolicies.yaml")
    assert not snap.pods
    df = gaps(snap)
    reasons = df.attrs["not_checked"]
    assert {"privileged", "host-network", "policy-selects-nothing", "no-ingress-isolation",
            "internet-ingress"} <= set(reasons)
    assert not {"allowed-but-unused", "zone-violation"} & set(reasons)  # no flows nor zones were given
    with_both = gaps(snap, zones="data/demo/zones.yaml", flows=pd.DataFrame(columns=["src_namespace"]))
    assert {"allowed-but-unused", "zone-violation"} <= set(with_both.attrs["not_checked"])
    assert not set(reasons) & set(df.attrs["checked"])
    # Nothing "selects nothing" for want of pods, and rules are still judged by their breadth.
    assert not {"policy-selects-nothing", "rule-peer-matches-nothing"} & set(df["finding"])
    broad = find(df, "allow-all-rule")
    assert "card-vault-maintenance" in set(broad["name"])
    status = controls_summary(df).set_index("control")["status"]
    assert status["CIS-5.2.2"] == status["CIS-5.2.5"] == status["PCI-1.4.4"] == "not-checked"
    # With the pods, the same checks run.
    full = gaps(k8sviz.demo())
    assert full.attrs["not_checked"] == {} and "privileged" in full.attrs["checked"]
    # The CLI says what was not checked.
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert main(["gaps", "data/demo/cluster/networkpolicies.yaml", "--summary"]) == 0
    assert "not checked, since the input holds no pods" in err.getvalue()


def test_flow_inputs_without_records_leave_flow_findings_unchecked(tmp_path):
    import k8sviz

    snap = k8sviz.demo()
    (tmp_path / "unknown.json").write_text('{"foo": 1}\n')
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flows = k8sviz.load_flows(tmp_path / "unknown.json", snapshot=snap)
    assert len(flows) == 0
    df = gaps(snap, flows=flows)
    assert not find(df, "allowed-but-unused").shape[0]
    assert df.attrs["not_checked"]["allowed-but-unused"] == "the flow inputs hold no flow record"
    assert "allowed-but-unused" not in df.attrs["checked"]
    assert df.drop(columns="evidence").equals(gaps(snap).drop(columns="evidence"))  # as without flows


def test_a_bad_today_is_an_input_error_even_without_zones():
    snap = cluster()
    for zones in (None, load_zones(ZONES)):
        with pytest.raises(InputError, match=r"today '2024-02-30' is not a date \(day is out of range for month\)"):
            gaps(snap, FakeReach(snap), zones=zones, today="2024-02-30")


def test_flows_none_of_which_can_be_judged_leave_flow_findings_unchecked(tmp_path):
    import warnings

    import k8sviz

    snap = k8sviz.demo()
    csv = tmp_path / "typo.csv"
    csv.write_text("time,src_namespace,src_workload,dst_namespace,dst_workload,dst_port,protocol,verdict\n"
                   "2026-01-01T00:00:00Z,shop,frontnd,pci,card-vaul,5432,TCP,allowed\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flows = k8sviz.load_flows(csv, snapshot=snap)
    assert len(flows) == 1
    disc = k8sviz.flow_discrepancies(flows, k8sviz.reachability(snap))
    assert disc.empty and disc.attrs["k8sviz"]["judged_records"] == 0 and "unused_not_checked" in disc.attrs["k8sviz"]
    df = gaps(snap, flows=flows)
    assert not find(df, "allowed-but-unused").shape[0]
    assert "could be mapped" in df.attrs["not_checked"]["allowed-but-unused"]
    # A plain DataFrame of flows that name nothing known: the same.
    plain = pd.DataFrame({"src_namespace": ["shop"], "src_workload": ["frontnd"], "dst_namespace": ["pci"],
                          "dst_workload": ["card-vaul"], "dst_port": [5432], "protocol": ["TCP"], "verdict": ["allowed"]})
    df = gaps(snap, flows=plain)
    assert not find(df, "allowed-but-unused").shape[0] and "allowed-but-unused" in df.attrs["not_checked"]


# ------------------------------------------------------------------ isolation as the engine sees it


def _one_pod(*objs, name="c-1", namespace="cancel", labels=None):
    return snapshot(ns(namespace), pod(namespace, name, ip="10.0.0.3", **(labels or {"app": "c"})), *objs)


ALLOW_ALL = policy("cancel", "allow-all", types=["Ingress", "Egress"], ingress=[{}], egress=[{}])
DEFAULT_DENY = policy("cancel", "default-deny", **DENY_ALL)


def test_an_allow_all_policy_next_to_a_default_deny_leaves_the_namespace_open():
    df = gaps(_one_pod(DEFAULT_DENY, ALLOW_ALL))
    for fid, d in (("no-ingress-isolation", "ingress"), ("no-egress-isolation", "egress")):
        row = find(df, fid, "c-1")
        assert len(row) == 1 and row["severity"].item() == "medium"
        ev = row["evidence"].item()
        assert ev["posture"] == "reopened" and ev["allowed_by"] == ["cancel/allow-all"] and ev["direction"] == d
        assert "allows every peer on every port" in row["detail"].item()
    ns_row = find(df, "namespace-without-default-deny")
    ev = ns_row["evidence"].item()
    assert ev["missing"] == ["ingress", "egress"]
    assert ev["reopened_by"] == {"ingress": ["cancel/allow-all"], "egress": ["cancel/allow-all"]}
    assert "re-opened by cancel/allow-all" in ns_row["detail"].item()
    status = controls_summary(df).set_index("control")["status"]
    for control in ("NSA-NP-DEFAULT-DENY", "NSA-NP-SELECT", "NIST-800-190-4.3.3"):
        assert status[control] == "fail", control
    # The default deny alone: nothing to say.
    alone = gaps(_one_pod(DEFAULT_DENY))
    assert not alone["finding"].isin(["no-ingress-isolation", "no-egress-isolation",
                                      "namespace-without-default-deny"]).any()


def test_an_allow_from_every_pod_is_no_reopening():
    # Every pod of every namespace, but not the internet: still isolated (allow-all-rule says
    # how broad it is).
    every_pod = policy("cancel", "pods", types=["Ingress"], ingress=[{"from": [{"namespaceSelector": {}}]}])
    df = gaps(_one_pod(DEFAULT_DENY, every_pod))
    assert not find(df, "no-ingress-isolation").shape[0]
    assert not find(df, "namespace-without-default-deny").shape[0]
    assert find(df, "allow-all-rule", "pods").shape[0] == 1


def _cilium_agent():
    agent = pod("kube-system", "cilium-x", host_network=True, ip="10.0.1.1")
    agent["spec"]["containers"] = [{"name": "cilium-agent", "image": "quay.io/cilium/cilium:v1.17.2"}]
    return agent


def _deny_all(selector):
    pol = policy("cancel", "deny", types=["Ingress", "Egress"])
    pol["spec"]["podSelector"] = selector
    return pol


@pytest.mark.parametrize(("selector", "covers"), [
    ({}, True),
    # Every Cilium identity carries the cluster label and a ServiceAccount, and the namespace's
    # name and labels: a pod added tomorrow satisfies these as today's do.
    ({"matchExpressions": [{"key": "io.cilium.k8s.policy.cluster", "operator": "Exists"}]}, True),
    ({"matchExpressions": [{"key": "io.cilium.k8s.policy.serviceaccount", "operator": "Exists"}]}, True),
    ({"matchLabels": {"io.cilium.k8s.namespace.labels.team": "t"}}, True),
    ({"matchExpressions": [{"key": "io.cilium.k8s.namespace.labels.tier", "operator": "DoesNotExist"}]},
     True),
    ({"matchExpressions": [{"key": "io.cilium.k8s.forged", "operator": "DoesNotExist"}]}, True),  # stripped
    # Today's pods only: the next pod may have other labels or run as another account.
    ({"matchLabels": {"app": "c"}}, False),
    ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, False),
    ({"matchExpressions": [{"key": "io.cilium.k8s.policy.serviceaccount", "operator": "In",
                            "values": ["default"]}]}, False),
    ({"matchLabels": {"io.cilium.k8s.namespace.labels.team": "other"}}, False),
    # The cluster's name, which a snapshot does not hold; a label the default filter drops.
    ({"matchExpressions": [{"key": "io.cilium.k8s.policy.cluster", "operator": "NotIn", "values": ["x"]}]},
     False),
    ({"matchExpressions": [{"key": "pod-template-hash", "operator": "DoesNotExist"}]}, False),
])
def test_a_namespace_default_deny_selects_every_pod_the_namespace_has_or_will_have(selector, covers):
    """An auditor's default deny covers the namespace's future pods too: a selector counts when
    every pod's identity satisfies it whatever the pod's own labels (where Cilium enforces the
    NetworkPolicy, on the labels Cilium sets), not when it happens to match the pods of today
    (c-1 carries app=c and runs as default, and is selected by most of these)."""
    objs = (ns("cancel", team="t"), pod("cancel", "c-1", ip="10.0.0.3", app="c"), _deny_all(selector))
    row = find(gaps(snapshot(*objs, _cilium_agent())), "namespace-without-default-deny", "cancel")
    assert row.empty is covers, row["detail"].tolist()
    if not covers:
        assert row["evidence"].item()["missing"] == ["ingress", "egress"]
        assert "selecting every pod the namespace has or will have" in row["detail"].item()
    # Without Cilium a pod selector reads the pod's own labels: only {} covers every pod.
    plain = find(gaps(snapshot(*objs)), "namespace-without-default-deny", "cancel")
    assert plain.empty is (selector == {})


CCNP_DENY = {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "default-deny"},
             "spec": {"endpointSelector": {}, "enableDefaultDeny": {"ingress": True, "egress": True},
                      "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "nothing"}}]}],
                      "egress": [{"toEndpoints": [{"matchLabels": {"app": "nothing"}}]}]}}
GNP_DENY = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "default-deny"},
            "spec": {"selector": "projectcalico.org/namespace not in {'kube-system'}", "types": ["Ingress", "Egress"]}}
WEB_IN = policy("cancel", "allow-web", {"app": "c"}, ["Ingress"],
                ingress=[{"from": [{"podSelector": {}}], "ports": [{"port": 80}]}])


@pytest.mark.parametrize(("wide", "ref"), [(CCNP_DENY, "CiliumClusterwideNetworkPolicy/default-deny"),
                                           (GNP_DENY, "GlobalNetworkPolicy/default-deny")])
def test_cluster_wide_cni_default_denies_count_like_admin_ones(wide, ref):
    # Alone: the namespace has no NetworkPolicy, but its pods are isolated: not "unrestricted".
    df = gaps(_one_pod(wide))
    row = find(df, "namespace-without-policy")
    assert row["severity"].item() == "low" and "unrestricted" not in row["detail"].item()
    assert row["evidence"].item()["cni_policies"] == [ref]
    assert not find(df, "no-ingress-isolation").shape[0] and not find(df, "no-egress-isolation").shape[0]
    # With a NetworkPolicy of its own but no default deny: the cluster-wide one covers it.
    df = gaps(_one_pod(wide, WEB_IN))
    row = find(df, "namespace-without-default-deny")
    assert row["severity"].item() == "low"
    assert row["evidence"].item()["admin_policies"] == {"ingress": [ref], "egress": [ref]}
    assert f"a cluster-wide default-deny covers it ({ref})" in row["detail"].item()
    # Without it, the same namespace is a medium finding.
    plain = find(gaps(_one_pod(WEB_IN)), "namespace-without-default-deny")
    assert plain["severity"].item() == "medium"


def test_a_baseline_deny_of_every_namespace_leaves_the_outside_open():
    banp = {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
            "metadata": {"name": "default"},
            "spec": {"subject": {"namespaces": {}},
                     "ingress": [{"name": "deny-all", "action": "Deny", "from": [{"namespaces": {}}]}],
                     "egress": [{"name": "deny-all", "action": "Deny", "to": [{"namespaces": {}}]}]}}
    snap = _one_pod(banp)
    df = gaps(snap)
    for fid in ("no-ingress-isolation", "no-egress-isolation"):
        row = find(df, fid, "c-1")
        ev = row["evidence"].item()
        assert row["severity"].item() == "medium" and ev["posture"] == "partial"
        assert ev["denied_by"] == ["BaselineAdminNetworkPolicy/default"] and "0.0.0.0/0" in ev["open_to"]
    assert find(df, "internet-egress", "c-1").shape[0] == 1 and find(df, "metadata-egress", "c-1").shape[0] == 1
    ns_row = find(df, "namespace-without-policy")
    assert ns_row["severity"].item() == "low" and "unrestricted" not in ns_row["detail"].item()


# ------------------------------------------------------------------ pass only on complete inputs


def _clean():
    """One namespace, default deny both ways, its Service read: nothing to find."""
    return snapshot(
        ns("pay", tier="cde"), pod("pay", "vault", ip="10.0.0.3", app="vault"),
        policy("pay", "default-deny", **DENY_ALL), service("pay", "vault", {"app": "vault"}),
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "none", "namespace": "pay"},
         "spec": {"rules": []}},
    )


CDE_ZONES = {"zones": {"cde": {"namespaceSelector": {"matchLabels": {"tier": "cde"}}, "sensitive": True}},
             "requiredPolicyAnnotations": ["owner"]}


def test_a_control_passes_only_when_every_check_it_needs_ran():
    snap = _clean()
    df = gaps(snap)
    assert df.empty or set(df["finding"]) <= {"policy-selects-nothing"}
    s = controls_summary(df).set_index("control")
    for control, why in (("PCI-1.3.1", "no CDE declared"), ("PCI-1.3.2", "no CDE declared"),
                         ("PCI-1.4.4", "no CDE declared"), ("NIST-800-190-4.3.3", "no CDE declared"),
                         ("PCI-1.2.7", "no flow logs"), ("NIST-800-190-4.4.2", "no flow logs"),
                         ("PCI-1.2.5", "no register of approved services"), ("PCI-1.2.1", "no ruleset standard")):
        assert s.loc[control, "status"] == "not-checked", control
        assert why in s.loc[control, "reason"], (control, s.loc[control, "reason"])
    for control in ("NSA-NP-DEFAULT-DENY", "NSA-NP-SELECT", "NSA-NP-METADATA", "CIS-5.2.2", "PCI-1.4.1", "PCI-1.4.2"):
        assert s.loc[control, "status"] == "pass", control
    assert s.loc["CIS-5.3.2", "status"] == "manual" and "assessor" in s.loc["CIS-5.3.2", "reason"]
    # With a CDE, the ruleset standard and flow logs, the same cluster passes them.
    flows = pd.DataFrame([{"src_namespace": "pay", "src_workload": "vault", "dst_namespace": None,
                           "dst_workload": None, "dst_ip": "8.8.8.8", "dst_port": 53, "protocol": "UDP",
                           "verdict": "denied"}])
    annotated = snapshot(*[o for o in (
        ns("pay", tier="cde"), pod("pay", "vault", ip="10.0.0.3", app="vault"),
        {**policy("pay", "default-deny", **DENY_ALL),
         "metadata": {"namespace": "pay", "name": "default-deny", "annotations": {"owner": "sec"}}},
        service("pay", "vault", {"app": "vault"}),
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "none", "namespace": "pay"},
         "spec": {"rules": []}})])
    full = gaps(annotated, zones=CDE_ZONES, flows=flows)
    s = controls_summary(full).set_index("control")
    for control in ("PCI-1.3.1", "PCI-1.3.2", "PCI-1.4.4", "NIST-800-190-4.3.3", "PCI-1.2.1", "PCI-1.2.5",
                    "PCI-1.2.7", "NIST-800-190-4.4.2"):
        assert s.loc[control, "status"] == "pass", (control, s.loc[control, "reason"])


def test_an_empty_sensitive_zone_is_no_cde():
    zones = {"zones": {"cde": {"namespaceSelector": {"matchLabels": {"tier": "cdee"}}, "sensitive": True}}}
    s = controls_summary(gaps(_clean(), zones=zones)).set_index("control")
    assert s.loc["PCI-1.3.1", "status"] == "not-checked"
    assert "cde match no workload" in s.loc["PCI-1.3.1", "reason"]


def test_an_unevaluated_policy_keeps_controls_from_passing():
    ccnp = {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "open"},
            "spec": {"endpointSelector": {}, "ingress": [{"fromRequires": [{"matchLabels": {"env": "prod"}}]}]}}
    snap = snapshot(*[o for o in (
        ns("pay", tier="cde"), pod("pay", "vault", ip="10.0.0.3", app="vault"),
        policy("pay", "default-deny", **DENY_ALL), service("pay", "vault", {"app": "vault"}),
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "none", "namespace": "pay"},
         "spec": {"rules": []}}, ccnp)])
    df = gaps(snap, zones=CDE_ZONES)
    assert "policy-not-evaluated" in set(df["finding"])
    s = controls_summary(df).set_index("control")
    for control in ("PCI-1.3.1", "PCI-1.4.1", "PCI-1.4.2", "PCI-1.4.4", "NSA-NP-SELECT"):
        assert s.loc[control, "status"] == "not-checked", control
        assert "not evaluated or not read (policy-not-evaluated)" in s.loc[control, "reason"]
    assert s.loc["CIS-5.2.2", "status"] == "pass"  # pod specs do not depend on policies


# ------------------------------------------------------------------ control mappings per row


def test_cde_controls_apply_only_to_rows_that_touch_the_cde():
    snap = cluster()
    df = gaps(snap, FakeReach(snap, edges=[("locked/api", "pci/vault", "TCP", ["443"]),
                                          ("pci/vault", "open/web", "TCP", ["80"]),
                                          ("0.0.0.0/5", "open/web", "TCP", ["80"])]), zones=load_zones(ZONES))
    cde = {"PCI-1.3.1", "PCI-1.3.2", "PCI-1.4.4"}
    # Outside the CDE: no CDE control, whatever the finding (zone violations: below).
    outside = df[df["namespace"].isin(["open", "kube-system", "half"]) & (df["finding"] != "zone-violation")]
    assert {"namespace-without-policy", "no-ingress-isolation", "host-network", "privileged"} <= set(outside["finding"])
    for row in outside.itertuples():
        assert not cde & set(row.controls), (row.finding, row.name, row.controls)
    # Zone violations: inbound to the CDE is 1.3.1, outbound from it 1.3.2.
    zv = find(df, "zone-violation")
    into = zv[zv["evidence"].map(lambda e: e["dst_zone"]) == "pci"]
    out = zv[zv["evidence"].map(lambda e: e["src_zone"]) == "pci"]
    assert len(into) and all("PCI-1.3.1" in c and "PCI-1.3.2" not in c for c in into["controls"])
    assert len(out) and all("PCI-1.3.2" in c and "PCI-1.3.1" not in c for c in out["controls"])
    # allow-all rules: the direction into / out of the CDE.
    aa = find(df, "allow-all-rule").set_index("name")
    assert "PCI-1.3.1" in aa.loc["vault-maint", "controls"] and "PCI-1.3.2" not in aa.loc["vault-maint", "controls"]
    assert "PCI-1.3.2" in aa.loc["vault-out", "controls"] and "PCI-1.3.1" not in aa.loc["vault-out", "controls"]
    assert not cde & set(aa.loc["svc-in", "controls"])
    # Without zones there is no CDE: the CDE controls are not-checked, not failed by any namespace.
    plain = gaps(snap, FakeReach(snap))
    assert not any(cde & set(c) for c in plain["controls"])
    s = controls_summary(plain).set_index("control")
    assert (s.loc[list(cde), "status"] == "not-checked").all()


def test_mappings_of_unused_rules_and_default_deny():
    assert FINDINGS["allowed-but-unused"].controls == ("PCI-1.2.7",)
    assert "CIS-5.3.2" not in FINDINGS["namespace-without-default-deny"].controls
    assert "CIS-5.3.2" in FINDINGS["namespace-without-policy"].controls


def test_an_approved_public_entry_is_evidence_not_a_gap():
    snap = snapshot(
        ns("edge"), ns("pay", tier="cde"),
        pod("edge", "nginx", ip="10.0.0.2", app="nginx"), pod("pay", "vault", ip="10.0.0.3", app="vault"),
        service("edge", "nginx", {"app": "nginx"}, "LoadBalancer", 443),
        policy("edge", "in", {"app": "nginx"}, ["Ingress"],
               ingress=[{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}, {"port": 8443}]}]),
        policy("pay", "in", {"app": "vault"}, ["Ingress"],
               ingress=[{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 5432}]}]),
    )
    zones = {"zones": {"dmz": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "edge"}}},
                       "cde": {"namespaceSelector": {"matchLabels": {"tier": "cde"}}, "sensitive": True}},
             "allow": [{"from": "external", "to": "dmz", "ports": ["TCP/443"], "justification": "storefront"},
                       {"from": "external", "to": "cde", "ports": ["TCP/5432"], "justification": "legacy"}]}
    df = gaps(snap, zones=zones)
    ing = find(df, "internet-ingress").set_index("name")
    # nginx: 443 approved, 8443 not: still a 1.4.2 gap on 8443
    assert ing.loc["nginx", "evidence"]["unapproved_ports"] == ["TCP/8443"]
    assert "PCI-1.4.2" in ing.loc["nginx", "controls"] and ing.loc["nginx", "severity"] == "high"
    assert "PCI-1.4.4" not in ing.loc["nginx", "controls"]
    # vault: approved, but a direct internet path into the CDE is a 1.4.4 finding all the same
    assert ing.loc["vault", "evidence"]["approved_by"] == ["allow[1]"]
    assert ing.loc["vault", "controls"] == ["PCI-1.4.1", "PCI-1.4.4"] and ing.loc["vault", "severity"] == "high"
    zones["allow"][0]["ports"] = ["TCP/443", "TCP/8443"]
    ing = find(gaps(snap, zones=zones), "internet-ingress").set_index("name")
    assert ing.loc["nginx", "severity"] == "info" and ing.loc["nginx", "controls"] == ["PCI-1.4.1"]
    assert "an approved public entry (allow[0])" in ing.loc["nginx", "detail"]


# ------------------------------------------------------------------ resources not read


def test_exposure_through_unread_services_is_unknown_not_absent():
    import k8sviz

    objs = [ns("shop"), pod("shop", "lb-1", ip="10.0.0.3", app="lb"),
            policy("shop", "deny", **DENY_ALL),
            policy("shop", "lb-in", {"app": "lb"}, ["Ingress"],
                   ingress=[{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 8080}]}])]
    from k8sviz.snapshot import SnapshotBuilder

    b = SnapshotBuilder()
    for o in objs:
        b.add(o, "test")
    b.coverage.update({"services": "forbidden", "ingresses": "forbidden"})
    snap = b.build(cluster="test")
    df = gaps(snap)
    row = find(df, "internet-ingress", "lb-1")
    assert "whether a Service or Ingress exposes it is unknown (services (forbidden), ingresses (forbidden)" \
        in row["detail"].item()
    assert row["evidence"].item()["exposure_unknown"] == ["ingresses", "services"]
    assert "not exposed" not in row["detail"].item()
    s = controls_summary(df).set_index("control")
    assert s.loc["PCI-1.4.4", "status"] == "not-checked"
    assert "services were not read (forbidden)" in s.loc["PCI-1.4.4", "reason"]
    paths = k8sviz.internet_paths(k8sviz.reachability(snap), "shop")
    assert paths["target"].tolist() == ["shop/lb-1"]  # a possible entry, not "no path"
    assert paths.attrs["exposure_unknown"] == {"services": "forbidden", "ingresses": "forbidden"}
    # Services read, Ingresses not: what a Service selects may be an Ingress backend.
    b = SnapshotBuilder()
    for o in [*objs, service("shop", "lb", {"app": "lb"})]:
        b.add(o, "test")
    only_ing = b.build(cluster="test")
    assert only_ing.coverage["ingresses"] == "not-in-input"
    paths = k8sviz.internet_paths(k8sviz.reachability(only_ing), "shop")
    assert paths["target"].tolist() == ["shop/lb-1"] and "ingresses" in paths.attrs["exposure_unknown"]


def test_passing_controls_name_the_policy_kinds_they_assume_absent():
    df = gaps(_clean())
    s = controls_summary(df).set_index("control")
    assert s.loc["NSA-NP-SELECT", "status"] == "pass"
    assert "assumes the cluster serves none of adminnetworkpolicies" in s.loc["NSA-NP-SELECT", "reason"]
    assert s.loc["CIS-5.2.2", "reason"] == ""


def _plain_redundant(reach, network_policies):
    """redundant-rule as the plain greedy states it, row by row: {rule: (connections, covered_by)}."""
    from collections import defaultdict

    from k8sviz.analysis import _ports

    rf = reach.rule_frame(level="workload")
    rf = rf[rf["policy"].isin(network_policies)]
    per_rule, per_conn = defaultdict(list), defaultdict(list)
    for row in rf.itertuples(index=False):
        rk = (row.policy, row.direction, int(row.rule))
        rs = _ports.parse(row.ports)
        per_rule[rk].append(((row.direction, row.src, row.dst, row.protocol), rs))
        per_conn[(row.direction, row.src, row.dst, row.protocol)].append((rk, rs))
    removed, out = set(), {}
    for rk, conns in sorted(per_rule.items(), key=lambda kv: (len(kv[1]), kv[0])):
        covered_by = set()
        for conn, rs in conns:
            others = ()
            for ork, ors in per_conn[conn]:
                if ork != rk and ork not in removed:
                    if _ports.intersect(ors, rs):
                        covered_by.add(f"{ork[0]} {ork[1]}[{ork[2]}]")
                    others = _ports.union(others, ors)
            if _ports.subtract(rs, others):
                break
        else:
            removed.add(rk)
            out[rk] = (len(conns), sorted(covered_by))
    return out


@pytest.mark.parametrize("seed", [0, 6])
def test_redundant_rules_are_the_plain_greedy_ones(seed):
    # gaps only tries the rules that share every connection with another rule; the result must
    # be the greedy over every rule, row by row
    import k8sviz
    from k8sviz.snapshot import SnapshotBuilder
    from k8sviz.synth import generate_cluster

    b = SnapshotBuilder()
    for o in generate_cluster(pods=300, policies=60 + seed % 7, seed=seed):
        b.add(o, "synth")
    snap = b.build(cluster="synth")
    reach = k8sviz.reachability(snap)
    want = _plain_redundant(reach, {p.key for p in snap.network_policies})
    red = gaps(snap, reach)
    red = red[red["finding"] == "redundant-rule"]
    got = {(e["policy"], e["direction"], e["rule"]): (e["connections"], e["covered_by"])
           for e in red["evidence"]}
    assert want and got == want


def test_a_named_port_no_pod_names_is_a_finding():
    # A Deployment renames its port (grpc -> grpc-api) and the policy naming it allows nothing
    # on it any more, though the policy did not change: the reviewer of that change needs it said.
    def named(ns_: str, name: str, port_name: str, **labels: str) -> dict:
        obj = pod(ns_, name, **labels)
        obj["spec"]["containers"][0]["ports"] = [{"name": port_name, "containerPort": 50051}]
        return obj

    def found(*objs: dict) -> pd.DataFrame:
        snap = snapshot(ns("pci"), ns("shop"), *objs)
        df = gaps(snap, FakeReach(snap))
        return df[df["finding"] == "rule-port-matches-nothing"]

    ingress = policy("pci", "payments", {"app": "payments"}, ["Ingress"], ingress=[
        {"from": [{"namespaceSelector": {}}], "ports": [{"port": "grpc"}, {"port": 9090}]},
        {"ports": [{"port": "metrics", "protocol": "TCP"}]},
    ])
    checkout = pod("shop", "checkout", app="checkout")
    hit = found(named("pci", "payments", "grpc-api", app="payments"), checkout, ingress)
    assert hit["name"].tolist() == ["payments", "payments"]
    first = hit.iloc[0]
    assert first["severity"] == "low" and first["namespace"] == "pci"
    assert "pci/payments ingress[0]" in first["detail"] and "TCP/grpc" in first["detail"]
    assert "pci/payments" in first["detail"]  # the pods it was looked up on
    assert first["evidence"]["ports"] == ["TCP/grpc"] and first["evidence"]["rule"] == 0
    assert hit.iloc[1]["evidence"]["ports"] == ["TCP/metrics"]
    # The name resolving: no finding; a UDP port of that name does not resolve a TCP rule.
    assert found(named("pci", "payments", "grpc", app="payments"), checkout, ingress.copy())["evidence"].map(
        lambda e: e["ports"]).tolist() == [["TCP/metrics"]]
    # Egress: looked up on the pods the rule's peers match.
    egress = policy("shop", "to-payments", {"app": "checkout"}, ["Egress"], egress=[
        {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "pci"}}}],
         "ports": [{"port": "grpc"}]}])
    out = found(named("pci", "payments", "grpc-api", app="payments"), checkout, egress)
    assert out["name"].tolist() == ["to-payments"] and "egress[0]" in out.iloc[0]["detail"]
    assert found(named("pci", "payments", "grpc", app="payments"), checkout, egress).empty
    # A policy selecting no pod is policy-selects-nothing, not this.
    assert found(checkout, ingress).empty
