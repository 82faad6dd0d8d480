"""Terminated pods keep their address in the API; a running pod that now holds it wins."""

from __future__ import annotations

import json

import pytest

import k8sviz
from tests.policy.helpers import netpol, ns, pod, snapshot


def phased(p, phase):
    p["status"]["phase"] = phase
    return p


def cluster(**kw):
    return snapshot(*cluster_objects(**kw))


def cluster_objects(*, job_phase="Succeeded", web_first=False):
    # Sorted by name, the completed Job pod ("a-job-...") comes before the running one.
    job = phased(pod("shop", "a-job-28f1x", {"app": "job"}, "10.0.0.5"), job_phase)
    web = phased(pod("shop", "web-1", {"app": "web"}, "10.0.0.5"), "Running")
    db = phased(pod("shop", "db-1", {"app": "db"}, "10.0.0.9"), "Running")
    only_web = netpol("shop", "db-from-web", {
        "podSelector": {"matchLabels": {"app": "db"}},
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}],
    })
    return [ns("shop"), *((web, job) if web_first else (job, web)), db, only_web]


def test_terminated_property():
    snap = cluster()
    phases = {p.name: p.terminated for p in snap.pods}
    assert phases == {"a-job-28f1x": True, "web-1": False, "db-1": False}
    assert not any(w.code == "pod-ip-conflict" for w in snap.warnings)
    assert snap.counts()["terminated pods"] == 1 and snap.counts()["pods"] == 3


@pytest.mark.parametrize("web_first", [False, True])
def test_address_query_maps_to_the_running_pod(web_first):
    r = k8sviz.reachability(cluster(web_first=web_first))
    assert r.can_reach("10.0.0.5", "shop/db-1", 5432)  # web-1 holds 10.0.0.5 now
    assert not r.can_reach("shop/a-job-28f1x", "shop/db-1", 5432)
    assert r.explain("10.0.0.5", "shop/db-1", 5432).src == "shop/web-1"


def test_a_terminated_pod_alone_still_answers_for_its_address():
    snap = snapshot(ns("shop"), phased(pod("shop", "a-job-28f1x", {"app": "job"}, "10.0.0.5"), "Failed"))
    r = k8sviz.reachability(snap)
    v = r.explain("10.0.0.5", "8.8.8.8", 53)
    assert v.src == "shop/a-job-28f1x" and v.allowed
    assert v.notes and "has terminated (Failed)" in v.notes[0]
    assert "note: shop/a-job-28f1x has terminated" in str(v) and "has terminated (Failed)" in v._repr_html_()


def test_running_pods_carry_no_note():
    r = k8sviz.reachability(cluster())
    assert r.explain("shop/web-1", "shop/db-1", 5432).notes == ()


def test_flows_map_the_address_to_the_running_pod(tmp_path):
    # Terminated pods on both sides of the running one in snapshot order.
    late = phased(pod("shop", "z-job-7xk2p", {"app": "job"}, "10.0.0.5"), "Succeeded")
    snap = snapshot(*cluster_objects(), late)
    rec = {"time": "2026-11-20T10:00:00Z", "src_ip": "10.0.0.5", "dst_ip": "10.0.0.9", "dst_port": "5432"}
    path = tmp_path / "f.csv"
    path.write_text(",".join(rec) + "\n" + ",".join(rec.values()) + "\n")
    row = k8sviz.load_flows(path, snapshot=snap).iloc[0]
    assert (row["src_pod"], row["src_workload"]) == ("web-1", "web-1")


def test_two_running_pods_with_one_address_are_a_warning():
    snap = cluster(job_phase="Running")
    (w,) = [w for w in snap.warnings if w.code == "pod-ip-conflict"]
    assert "10.0.0.5" in w.message and "shop/a-job-28f1x" in w.message and "shop/web-1" in w.message
    assert w.obj == "Pod/shop/a-job-28f1x"
    # Deterministic: the first in snapshot order answers for the address, whatever the input order.
    for web_first in (False, True):
        r = k8sviz.reachability(cluster(job_phase="Running", web_first=web_first))
        assert r.explain("10.0.0.5", "shop/db-1", 5432).src == "shop/a-job-28f1x"


def test_a_running_pod_answers_before_a_pending_one(tmp_path):
    # Both live, so still a conflict; the Running pod (web-1) is the one named and mapped, though
    # the Pending one (a-job-...) comes first in snapshot order.
    snap = cluster(job_phase="Pending")
    (w,) = [w for w in snap.warnings if w.code == "pod-ip-conflict"]
    assert "map it to shop/web-1" in w.message and w.obj == "Pod/shop/web-1"
    r = k8sviz.reachability(snap)
    assert r.explain("10.0.0.5", "shop/db-1", 5432).src == "shop/web-1" and r.can_reach("10.0.0.5", "shop/db-1", 5432)
    rec = {"time": "2026-11-20T10:00:00Z", "src_ip": "10.0.0.5", "dst_ip": "10.0.0.9", "dst_port": "5432"}
    path = tmp_path / "f.csv"
    path.write_text(",".join(rec) + "\n" + ",".join(rec.values()) + "\n")
    assert k8sviz.load_flows(path, snapshot=snap).iloc[0]["src_pod"] == "web-1"


def test_conflict_warning_survives_save_and_load(tmp_path):
    snap = cluster(job_phase="Running")
    out = tmp_path / "snap.json"
    snap.save(out)
    again = k8sviz.load(out)
    assert [w for w in again.warnings if w.code == "pod-ip-conflict"] == [
        w for w in snap.warnings if w.code == "pod-ip-conflict"
    ]
    assert json.loads(out.read_text())  # still plain JSON


# ------------------------------------------------------------------ analyses leave ended pods out


def _rs_pod(name, rs, labels, ip, phase):
    p = phased(pod("shop", name, {**labels, "pod-template-hash": rs.rsplit("-", 1)[1]}, ip), phase)
    p["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "uid": rs, "controller": True}]
    return p


def ended_cluster():
    """A finished Job pod with open egress, a policy selecting only it, and a Deployment whose
    evicted (Failed) pod of the old ReplicaSet had internet egress its running pod does not."""
    deny = netpol("shop", "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    web_in = netpol("shop", "web-from-api", {"podSelector": {"matchLabels": {"app": "web"}},
                                              "ingress": [{"from": [{"podSelector": {}}]}]})
    old_out = netpol("shop", "v1-out", {"podSelector": {"matchLabels": {"version": "v1"}}, "policyTypes": ["Egress"],
                                         "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"podSelector": {}}]}]})
    new_out = netpol("shop", "v2-out", {"podSelector": {"matchLabels": {"version": "v2"}}, "policyTypes": ["Egress"],
                                         "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]})
    for_job = netpol("jobs", "for-done", {"podSelector": {"matchLabels": {"app": "done"}}, "policyTypes": ["Ingress"]})
    return snapshot(
        ns("shop"), ns("jobs"), deny, web_in, old_out, new_out, for_job,
        phased(pod("jobs", "done-1", {"app": "done"}, "10.0.0.9"), "Succeeded"),
        _rs_pod("api-abc-1", "api-abc", {"app": "api", "version": "v1"}, "10.0.0.5", "Failed"),
        _rs_pod("api-def-2", "api-def", {"app": "api", "version": "v2"}, "10.0.0.6", "Running"),
        phased(pod("shop", "web-1", {"app": "web"}, "10.0.0.7"), "Running"),
    )


def test_findings_leave_terminated_pods_out():
    snap = ended_cluster()
    r = k8sviz.reachability(snap)
    assert r.can_reach("jobs/done-1", "8.8.8.8", 53)  # the engine still says what the policies would do
    df = k8sviz.gaps(snap, r)
    about = lambda wl: set(df[df["evidence"].map(lambda e: e.get("workload")) == wl]["finding"])  # noqa: E731
    assert not about("jobs/done-1") & {"metadata-egress", "internet-egress", "internet-ingress",
                                       "no-egress-isolation", "no-ingress-isolation"}
    api = next(p.workload_key for p in snap.pods if p.name == "api-def-2")
    assert not about(api) & {"internet-egress", "metadata-egress"}  # only the evicted pod had them
    dead = df[df["finding"] == "policy-selects-nothing"]
    assert "for-done" in set(dead["name"]) and "no running pod" in dead[dead["name"] == "for-done"]["detail"].item()
    jobs = df[(df["finding"] == "namespace-without-default-deny") & (df["namespace"] == "jobs")]
    assert jobs["severity"].item() == "low"  # no workload runs there


def test_blast_radius_and_paths_leave_terminated_pods_out():
    from k8sviz.analysis._common import live_edge_frame

    snap = ended_cluster()
    r = k8sviz.reachability(snap)
    api = next(p.workload_key for p in snap.pods if p.name == "api-def-2")
    frame = live_edge_frame(r)
    assert "jobs/done-1" not in set(frame["src"]) | set(frame["dst"])
    assert not ((frame["src"] == api) & (frame["dst_type"] == "external")).any()
    assert ((frame["src"] == api) & (frame["dst"] == "shop/web-1")).any()  # the running pod's own connection
    whole = r.to_frame("workload")
    assert ((whole["src"] == api) & (whole["dst_type"] == "external")).any()  # the evicted pod's, in the plain frame
    assert "jobs/done-1" not in set(k8sviz.blast_radius(r, "shop/web-1")["workload"])
    assert k8sviz.blast_radius(r, "jobs/done-1").empty
    assert k8sviz.internet_paths(r, "shop", exposed_only=False).empty


def test_segmentation_counts_running_members_only():
    snap = ended_cluster()
    zones = k8sviz.load_zones({"zones": {"jobs": {"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "jobs"}}}}})
    seg = k8sviz.segmentation(snap, k8sviz.reachability(snap), zones)
    assert "jobs/done-1" not in set(seg.violations["src"]) | set(seg.violations["dst"])
    jobs = seg.pairs[seg.pairs["src_zone"] == "jobs"]
    assert (jobs["possible_pairs"] == 0).all() and (jobs["status"] == "denied").all()  # its only pod ended


def test_the_graph_draws_no_allowed_edge_of_a_pod_that_ended():
    from k8sviz.analysis.graph import graph

    snap = ended_cluster()
    r = k8sviz.reachability(snap)
    allowed = lambda G: {(u, v) for u, v, d in G.edges(data=True) if d.get("kind") == "allowed"}  # noqa: E731
    for level in ("workload", "pod"):
        edges = allowed(graph(snap, r, level=level))
        assert edges, level  # the running pods still connect
        assert not any("done-1" in u + v or "jobs/done" in u + v for u, v in edges), level
    pods = allowed(graph(snap, r, level="pod"))
    assert not any("api-abc-1" in u + v for u, v in pods) and any("api-def-2" in u for u, _ in pods)


def test_a_hop_rebuilt_from_running_pods_lists_its_ports_in_protocol_order():
    # web's replicas differ (one reaches db on UDP, one on TCP) and its ended pod unlike both,
    # so its rows are rebuilt from the running pods: the UDP pod's pair comes first by name.
    def replica(name, v, ip, phase):
        p = phased(pod("a", f"web-5d8f-{name}", {"app": "web", "v": v}, ip), phase)
        owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d8f", "uid": "u",
                 "controller": True}
        p["metadata"]["ownerReferences"] = [owner]
        return p

    allow = [{"from": [{"podSelector": {"matchLabels": {"v": v}}}], "ports": [{"protocol": pr, "port": n}]}
             for v, pr, n in (("udp", "UDP", 53), ("tcp", "TCP", 80), ("old", "TCP", 22))]
    db = phased(pod("a", "db", {"app": "db"}, "10.0.0.9"), "Running")
    snap = snapshot(
        ns("a"), db, replica("aaaaa", "udp", "10.0.0.1", "Running"),
        replica("bbbbb", "tcp", "10.0.0.2", "Running"), replica("ccccc", "old", "10.0.0.3", "Succeeded"),
        netpol("a", "db", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": allow}))
    df = k8sviz.blast_radius(k8sviz.reachability(snap), "a/web-5d8f")
    # TCP before UDP, as in every other hop; the ended pod's TCP/22 is no port of the hop
    assert df[df["workload"] == "a/db"]["ports"].item() == [["TCP/80", "UDP/53"]]
