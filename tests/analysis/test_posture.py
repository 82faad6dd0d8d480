"""The engine's posture per pod and direction: the additive fast path against full evaluation."""

import numpy as np
import pytest

import k8sviz
from k8sviz.analysis._posture import Posture
from k8sviz.snapshot import SnapshotBuilder
from k8sviz.synth import generate_cluster


def synth(pods, policies, seed):
    b = SnapshotBuilder()
    for o in generate_cluster(pods=pods, policies=policies, seed=seed):
        b.add(o, "synth")
    return b.build(cluster="synth")


@pytest.mark.parametrize("make", [lambda: k8sviz.demo(), lambda: synth(400, 60, 3), lambda: synth(300, 40, 7)])
def test_the_additive_shortcut_agrees_with_full_evaluation(make):
    snap = make()
    posture = Posture(k8sviz.reachability(snap))
    subjects = np.unique(np.fromiter(posture._class.values(), dtype=np.int64))
    for d in ("ingress", "egress"):
        fast = posture._sides[d]
        full = posture._evaluate(d, subjects)
        assert {c: s.state for c, s in fast.items()} == {c: s.state for c, s in full.items()}
        for c, s in full.items():
            assert set(s.deny_by) <= set(fast[c].deny_by) or s.state != "isolated"
    states = {s.state for d in ("ingress", "egress") for s in posture._sides[d].values()}
    assert "isolated" in states and "unrestricted" in states


def test_pods_outside_policy_are_not_judged():
    from .helpers import ns, pod, snapshot

    done = pod("a", "job", app="job")
    done["status"]["phase"] = "Succeeded"
    snap = snapshot(ns("a"), pod("a", "web", app="web"), pod("a", "agent", host_network=True), done)
    posture = Posture(k8sviz.reachability(snap))
    assert posture.side("a/web", "ingress").state == "unrestricted"
    assert posture.side("a/agent", "ingress") is None and posture.side("a/job", "egress") is None


def test_allows_that_add_up_to_everything_reopen_a_default_deny():
    from .helpers import ns, pod, policy, snapshot

    wide = [{"namespaceSelector": {}}, {"ipBlock": {"cidr": "0.0.0.0/0"}}, {"ipBlock": {"cidr": "::/0"}}]
    snap = snapshot(
        ns("a"), ns("b"), pod("a", "web", ip="10.0.0.1", app="web"), pod("a", "db", ip="10.0.0.2", app="db"),
        pod("b", "x", ip="10.0.0.3", app="x"),
        policy("a", "deny", types=["Ingress", "Egress"]),
        policy("a", "web-in", {"app": "web"}, ["Ingress"], ingress=[{"from": wide}]),
        policy("a", "db-in", {"app": "db"}, ["Ingress"], ingress=[{"from": wide[:2]}]),  # no IPv6
    )
    posture = Posture(k8sviz.reachability(snap))
    assert posture.side("a/web", "ingress").state == "reopened"
    assert set(posture.side("a/web", "ingress").allow_by) == {"a/web-in"}
    assert posture.side("a/db", "ingress").state == "isolated"
    assert posture.side("b/x", "ingress").state == "unrestricted"
    subjects = np.unique(np.fromiter(posture._class.values(), dtype=np.int64))
    full = posture._evaluate("ingress", subjects)
    assert {c: s.state for c, s in full.items()} == {c: s.state for c, s in posture._sides["ingress"].items()}
