#!/usr/bin/env python3
"""Write ``data/demo/remediated.k8sviz.json``: the demo cluster two weeks later, gaps fixed.

The platform team worked through the review of 2024-03-10 (``cluster/``); this snapshot,
taken on 2024-03-24, is what they changed (see ``README.md``, section "Remediated").
Comparing the two is the change review an assessor does to confirm remediation::

    k8sviz diff data/demo/cluster data/demo/remediated.k8sviz.json
    k8sviz report data/demo/remediated.k8sviz.json --baseline data/demo/cluster -o report.html

Deterministic (fixed times; the snapshot file is canonical JSON).  Reads ``cluster/`` through
k8sviz, so run it from a source checkout::

    python data/demo/generate_remediated.py
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import k8sviz  # noqa: E402
from k8sviz.snapshot import SnapshotBuilder  # noqa: E402

OUT = HERE / "remediated.k8sviz.json"
COLLECTED_AT = "2024-03-24T09:30:00Z"
ML_API = "34.149.87.45/32"  # ml-api.example.net, the only internet peer recommendationservice needs
NODES = "10.128.0.0/24"  # node addresses: the hostNetwork node-agents prometheus scrapes on 9100


def _policy(namespace: str, name: str, spec: dict[str, Any], created: str, change: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "creationTimestamp": created,
            "labels": {"app.kubernetes.io/managed-by": "platform"},
            "annotations": {"owner": "team-sre", "change": change},
        },
        "spec": spec,
    }


def remediate(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for obj in copy.deepcopy(objects):
        meta = obj["metadata"]
        ref = (obj["kind"], meta.get("namespace"), meta["name"])
        if ref in {
            ("NetworkPolicy", "pci", "card-vault-maintenance"),  # gap 2: the TEMP rule of INC-4211
            ("NetworkPolicy", "shop", "cartservice-legacy-allow"),  # gap 4: the dead policy
        }:
            continue
        if ref == ("NetworkPolicy", "shop", "recommendation-egress-ml-api"):  # gap 3
            obj["spec"]["egress"][0]["to"] = [{"ipBlock": {"cidr": ML_API}}]
            meta["generation"] = int(meta.get("generation", 1)) + 1
            meta.setdefault("annotations", {})["change"] = "CHG-5120: only ml-api.example.net"
        out.append(obj)
    # gap 1: monitoring gets a default deny, and prometheus the egress it needs to scrape.
    out.append(_policy("monitoring", "default-deny-all", {
        "podSelector": {}, "policyTypes": ["Ingress", "Egress"],
    }, "2024-03-18T10:02:11Z", "CHG-5118"))
    dns = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
           "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
    out.append(_policy("monitoring", "prometheus-egress", {
        "podSelector": {"matchLabels": {"app": "prometheus"}},
        "policyTypes": ["Egress"],
        "egress": [
            {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}}}],
             "ports": [{"protocol": "TCP", "port": 7000, "endPort": 8080}]},
            {"to": [dns], "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
            {"to": [dns], "ports": [{"protocol": "TCP", "port": "metrics"}]},
            {"to": [{"ipBlock": {"cidr": NODES}}], "ports": [{"protocol": "TCP", "port": 9100}]},
        ],
    }, "2024-03-18T10:02:40Z", "CHG-5118"))
    return out


def write(out: Path = OUT) -> k8sviz.Snapshot:
    base = k8sviz.load(HERE / "cluster", cluster="demo-boutique")
    builder = SnapshotBuilder()
    for i, obj in enumerate(remediate(base.raw_objects())):
        builder.add(obj, f"remediated#{i}")
    snap = builder.build(cluster="demo-boutique", collected_at=COLLECTED_AT)
    snap.save(out)
    return snap


def main() -> int:
    snap = write()
    print(f"wrote {OUT.relative_to(HERE.parent.parent)} ({len(snap.network_policies)} NetworkPolicies)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
