"""A pull request that edits policies, reviewed with ``k8sviz diff`` on the manifests (the CLI, run
as CI runs it): what it opens and closes, what it could not judge, and the exit code of a gate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

#: The repository of manifests before the pull request: four namespaces, a PCI zone isolated by
#: NetworkPolicies, a Calico tier quarantining the sandbox, a ClusterNetworkPolicy keeping the
#: PCI zone off the internet.
BEFORE = {
    'ns.yaml': """\
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {zone: app}}
---
apiVersion: v1
kind: Namespace
metadata: {name: pci, labels: {zone: pci}}
---
apiVersion: v1
kind: Namespace
metadata: {name: monitoring, labels: {zone: ops}}
---
apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
apiVersion: v1
kind: Namespace
metadata: {name: sandbox, labels: {zone: dev}}
""",
    'deploy.yaml': """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: shop}
spec:
  selector: {matchLabels: {app: frontend}}
  template:
    metadata: {labels: {app: frontend}}
    spec:
      containers:
      - name: web
        image: web:1
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout, namespace: shop}
spec:
  selector: {matchLabels: {app: checkout}}
  template:
    metadata: {labels: {app: checkout}}
    spec:
      containers:
      - name: c
        image: c:1
        ports: [{name: http, containerPort: 8081}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: payments, namespace: pci}
spec:
  selector: {matchLabels: {app: payments}}
  template:
    metadata: {labels: {app: payments}}
    spec:
      containers:
      - name: p
        image: p:1
        ports: [{name: grpc, containerPort: 50051}, {name: metrics, containerPort: 9090}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: vault, namespace: pci}
spec:
  selector: {matchLabels: {app: vault}}
  template:
    metadata: {labels: {app: vault}}
    spec:
      containers:
      - name: pg
        image: pg:16
        ports: [{name: pg, containerPort: 5432}, {name: metrics, containerPort: 9187}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: prometheus, namespace: monitoring}
spec:
  selector: {matchLabels: {app: prometheus}}
  template:
    metadata: {labels: {app: prometheus}}
    spec:
      containers:
      - name: prom
        image: prom:1
        ports: [{name: web, containerPort: 9090}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: toolbox, namespace: sandbox}
spec:
  selector: {matchLabels: {app: toolbox}}
  template:
    metadata: {labels: {app: toolbox}}
    spec:
      containers:
      - name: t
        image: busybox
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      containers:
      - name: coredns
        image: coredns
        ports: [{name: dns, containerPort: 53, protocol: UDP}, {name: dns-tcp, containerPort: 53}]
""",
    'netpol.yaml': """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: pci}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: payments, namespace: pci}
spec:
  podSelector: {matchLabels: {app: payments}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}
      podSelector: {matchLabels: {app: checkout}}
    ports: [{port: grpc}]
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
    ports: [{port: metrics}]
  egress:
  - to:
    - podSelector: {matchLabels: {app: vault}}
    ports: [{port: 5432}]
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: vault, namespace: pci}
spec:
  podSelector: {matchLabels: {app: vault}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: payments}}
    ports: [{port: pg}]
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
    ports: [{port: metrics}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-ingress, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: frontend-public, namespace: shop}
spec:
  podSelector: {matchLabels: {app: frontend}}
  ingress:
  - from:
    - ipBlock: {cidr: 0.0.0.0/0}
    ports: [{port: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: checkout-from-frontend, namespace: shop}
spec:
  podSelector: {matchLabels: {app: checkout}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: frontend}}
    ports: [{port: 8081}]
""",
    'calico.yaml': """\
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec:
  order: 100
  defaultAction: Pass
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.quarantine-sandbox}
spec:
  tier: security
  order: 10
  selector: all()
  types: [Ingress]
  ingress:
  - action: Deny
    source:
      namespaceSelector: zone == 'dev'
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.allow-web}
spec:
  tier: security
  order: 50
  selector: app == 'frontend'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [8080]
""",
    'cnp.yaml': """\
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: pci-no-internet-egress}
spec:
  tier: Admin
  priority: 10
  subject:
    namespaces: {matchLabels: {zone: pci}}
  egress:
  - name: deny-internet
    action: Deny
    to:
    - networks: [0.0.0.0/0]
""",
}

ZONES = """\
zones:
  pci: {namespaceSelector: {matchLabels: {zone: pci}}, sensitive: true}
  shop: {namespaceSelector: {matchLabels: {zone: app}}}
  ops: {namespaceSelector: {matchLabels: {zone: ops}}}
  dev: {namespaceSelector: {matchLabels: {zone: dev}}}
allow:
  - {from: shop, to: pci, ports: ["TCP/50051"], justification: checkout charges cards, owner: payments}
  - {from: ops, to: pci, ports: ["TCP/9090", "TCP/9187"], justification: metrics, owner: sre}
"""

#: The pull request's edits, (file, text before, text after): each a mistake seen in review.
EDITS = [
    # A named port renamed on the Deployment: the policy's "grpc" no longer resolves.
    ("deploy.yaml", "{name: grpc, containerPort: 50051}", "{name: grpc-api, containerPort: 50051}"),
    # A "temporary" egress to the whole internet, which the ClusterNetworkPolicy denies anyway.
    ("netpol.yaml", "    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]\n",
     "    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]\n"
     "  - to:\n    - ipBlock: {cidr: 0.0.0.0/0}\n    ports: [{port: 443}]\n"),
    # The vault's metrics opened to every namespace rather than monitoring.
    ("netpol.yaml", "    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}\n"
     "    ports: [{port: metrics}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
     "metadata: {name: default-deny-ingress",
     "    - namespaceSelector: {}\n"
     "    ports: [{port: metrics}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
     "metadata: {name: default-deny-ingress"),
    # A policy deleted.
    ("netpol.yaml", BEFORE["netpol.yaml"][BEFORE["netpol.yaml"].index(
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: checkout-from-frontend"):], ""),
    # The Calico quarantine's Deny moved after the tier's Allow.
    ("calico.yaml", "  order: 10\n", "  order: 100\n"),
]


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    (root / "zones.yaml").write_text(ZONES)
    for side in ("before", "after"):
        (root / side).mkdir()
        for name, text in BEFORE.items():
            if side == "after":
                for file, old, new in EDITS:
                    if file == name:
                        assert text.count(old) == 1, old
                        text = text.replace(old, new)
            (root / side / name).write_text(text)
    return root


def k8sviz(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "k8sviz", *args], cwd=root, capture_output=True, text=True,
                          check=False)


def test_the_review_names_what_the_pull_request_opens_and_closes(repo):
    proc = k8sviz(repo, "diff", "before", "after", "--format", "json", "--rules")
    assert proc.returncode == 0, proc.stderr
    got = {(r["src"], r["dst"], r["protocol"], r["change"], tuple(r["added"]), tuple(r["removed"]))
           for r in json.loads(proc.stdout)}
    assert got == {
        # namespaceSelector {}: every namespace but the quarantined sandbox reaches the metrics port
        # (monitoring already did; pci/payments' own egress does not allow it).
        ("kube-system/coredns", "pci/vault", "TCP", "added", ("9187",), ()),
        ("shop/checkout", "pci/vault", "TCP", "added", ("9187",), ()),
        ("shop/frontend", "pci/vault", "TCP", "added", ("9187",), ()),
        # The Deny moved after the tier's Allow of the storefront port.
        ("sandbox/toolbox", "shop/frontend", "TCP", "added", ("8080",), ()),
        # The renamed port: the policy's "grpc" names no port of payments any more.
        ("shop/checkout", "pci/payments", "TCP", "removed", (), ("50051",)),
        # The deleted policy.
        ("shop/frontend", "shop/checkout", "TCP", "removed", (), ("8081",)),
    }
    # The internet egress adds nothing: the ClusterNetworkPolicy's Deny decides first.
    assert not any(r["dst_type"] == "external" for r in json.loads(proc.stdout))
    # Manifests carry no pod address: the admin Deny to 0.0.0.0/0 cannot be judged between pods.
    assert "[pods-without-address]" in proc.stderr
    assert "ClusterNetworkPolicy/pci-no-internet-egress" in proc.stderr
    assert "0.0.0.0/0 covers every IPv4 pod" in proc.stderr


def test_policies_changed_by_the_pull_request(repo):
    proc = k8sviz(repo, "diff", "before", "after", "--policies", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    got = {r["policy"]: (r["change"], r["paths"]) for r in json.loads(proc.stdout)}
    assert got["GlobalNetworkPolicy/security.quarantine-sandbox"] == ("modified", ["spec.order"])
    assert got["NetworkPolicy/shop/checkout-from-frontend"] == ("removed", [])
    assert got["NetworkPolicy/pci/vault"] == (
        "modified", ["spec.ingress[1].from[0].namespaceSelector.matchLabels"])
    assert got["NetworkPolicy/pci/payments"] == ("modified", ["spec.egress[2]"])  # the rule added


@pytest.mark.parametrize(("only", "changes", "code"), [
    ("opened", {"added"}, 1),
    ("closed", {"removed"}, 1),
])
def test_a_gate_on_what_the_pull_request_opens(repo, only, changes, code):
    proc = k8sviz(repo, "diff", "before", "after", "--only", only, "--format", "json", "--exit-code")
    assert proc.returncode == code, proc.stderr
    assert {r["change"] for r in json.loads(proc.stdout)} == changes
    # Nothing opened between a snapshot and itself: the gate passes.
    same = k8sviz(repo, "diff", "before", "before", "--only", only, "--exit-code")
    assert same.returncode == 0 and same.stdout == ""
    assert f"0 {only} connection changes" in same.stderr
    refused = k8sviz(repo, "diff", "before", "after", "--policies", "--only", only)
    assert refused.returncode == 2 and "leave them out with --policies" in refused.stderr


def test_the_findings_the_pull_request_brings_and_the_zone_rule_it_breaks(repo):
    proc = k8sviz(repo, "diff", "before", "after", "--findings", "--zones", "zones.yaml", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    new = {(r["finding"], r["severity"], r["namespace"], r["name"]) for r in rows if r["change"] == "new"}
    # The PCI zone's allow rules admit ops on 9187, not shop nor kube-system: broken by {}.
    assert ("zone-violation", "critical", "pci", "vault") in new
    vault = [r for r in rows if r["finding"] == "zone-violation" and r["name"] == "vault"]
    assert sorted(p for r in vault for p in r["evidence"]["peers"]) == [
        "kube-system/coredns", "shop/checkout", "shop/frontend"]
    assert all(r["evidence"]["ports"] == ["TCP/9187"] for r in vault)
    # The two allow-all rules the pull request writes.
    assert {("allow-all-rule", "pci", "payments"), ("allow-all-rule", "pci", "vault")} <= {
        (f, ns, n) for f, _, ns, n in new}
    # The renamed containerPort: the payments rule that named it allows nothing now.
    assert ("rule-port-matches-nothing", "low", "pci", "payments") in new
    assert not [r for r in rows if r["change"] == "resolved"]  # the PR fixes nothing
    # shop's count of policies reads otherwise (the PR deletes one), and opens nothing.
    (shop,) = [r for r in rows if r["change"] == "changed"]
    assert shop["finding"] == "namespace-without-default-deny" and not shop["opens"]
    assert {r["opens"] for r in rows if r["change"] == "new"} == {True}
    # A CI gate: fail when the PR brings a finding, pass when it brings none.
    gate = k8sviz(repo, "diff", "before", "after", "--findings", "--zones", "zones.yaml", "--only", "opened",
                  "--exit-code", "--format", "json")
    assert gate.returncode == 1, gate.stderr
    assert {(r["finding"], r["change"]) for r in json.loads(gate.stdout)} == {
        ("zone-violation", "new"), ("allow-all-rule", "new"), ("rule-port-matches-nothing", "new")}
    back = k8sviz(repo, "diff", "after", "before", "--findings", "--zones", "zones.yaml", "--format", "json")
    # Reverting it resolves them; shop's count of policies is the one finding that reads otherwise.
    assert {(r["finding"], r["change"], r["opens"]) for r in json.loads(back.stdout)} == {
        ("zone-violation", "resolved", False), ("allow-all-rule", "resolved", False),
        ("rule-port-matches-nothing", "resolved", False),
        ("namespace-without-default-deny", "changed", False)}
    # ... so the revert passes the gate the PR failed: it opens nothing.
    passed = k8sviz(repo, "diff", "after", "before", "--findings", "--zones", "zones.yaml",
                    "--only", "opened", "--exit-code")
    assert passed.returncode == 0, passed.stderr
    assert passed.stdout == "" and "0 opened findings" in passed.stderr
    # Nothing between a snapshot and itself: nothing opened, the gate passes.
    same = k8sviz(repo, "diff", "before", "before", "--findings", "--only", "opened", "--exit-code")
    assert same.returncode == 0 and same.stdout == "" and "0 opened findings" in same.stderr
    told = k8sviz(repo, "diff", "--help").stdout
    assert "exit 1 only if" in " ".join(told.split()) and "a revert passes" in " ".join(told.split())
    refused = k8sviz(repo, "diff", "before", "after", "--findings", "--rules")
    assert refused.returncode == 2 and "leave them out with --findings" in refused.stderr


def test_findings_of_both_snapshots_are_judged_on_one_day(tmp_path):
    # The demo's exception for monitoring -> shop expires on 2024-01-31. The same objects taken on
    # 2024-01-15 and on 2024-03-01: judged each on its own date, the expiry read as new zone
    # violations the change brought; both are judged on AFTER's day (or --today), as the report
    # judges its baseline.
    import k8sviz as kv

    repo_root = Path(__file__).resolve().parents[2]
    cluster = repo_root / "data" / "demo" / "cluster"
    zones = repo_root / "data" / "demo" / "zones.yaml"
    kv.load(cluster, collected_at="2024-01-15T00:00:00Z").save(tmp_path / "jan.json")
    kv.load(cluster, collected_at="2024-03-01T00:00:00Z").save(tmp_path / "mar.json")
    args = ("diff", "jan.json", "mar.json", "--findings", "--zones", str(zones))
    same_day = k8sviz(tmp_path, *args, "--only", "opened", "--exit-code")
    assert same_day.returncode == 0, same_day.stderr
    assert same_day.stdout == "" and "0 opened findings" in same_day.stderr
    # Judged on BEFORE's date instead, the exception holds on both sides: still no change.
    assert k8sviz(tmp_path, *args, "--today", "2024-01-15", "--exit-code").returncode == 0
    # The library, each side on its own date (what the command did before): the expiry shows.
    snaps = [kv.load(tmp_path / n) for n in ("jan.json", "mar.json")]
    z = kv.load_zones(zones)
    own = kv.findings_diff(*(kv.gaps(s, kv.reachability(s), zones=z) for s in snaps))
    assert ((own["finding"] == "zone-violation") & (own["change"] == "new")).any()
    # --today belongs to --findings, and is a date.
    wrong = k8sviz(tmp_path, "diff", "jan.json", "mar.json", "--today", "2024-01-15")
    assert wrong.returncode == 2 and "give it with --findings" in wrong.stderr
    bad = k8sviz(tmp_path, *args, "--today", "15/01/2024")
    assert bad.returncode == 2 and "--today" in bad.stderr and "Traceback" not in bad.stderr
