"""Write the k8sviz example notebooks (``notebooks/*.ipynb``) from this reviewable source.

Usage::

    python notebooks/build_notebooks.py            # write, execute, keep only checked outputs
    python notebooks/build_notebooks.py --no-execute

Each notebook tells part of an auditor's story on the bundled demo cluster. Cells whose
first line is ``# NBVAL_CHECK_OUTPUT`` print short, deterministic text; after executing, the
script keeps *only* those cells' text outputs (what ``pytest --nbval-lax`` compares) and
strips every other output, execution count and metadata, so the committed files stay small
and diffable. Test with::

    pytest --nbval-lax --nbval-current-env notebooks/
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
CHECK = "# NBVAL_CHECK_OUTPUT"

SETUP = """\
import k8sviz
import k8sviz.notebook

# Figures keep JupyterLab's native view and also embed plotly.js (no CDN), so an
# `nbconvert --to html` export shows them offline.
k8sviz.notebook.setup();"""


def md(text: str) -> nbformat.NotebookNode:
    return new_markdown_cell(text.strip("\n"))


def code(text: str) -> nbformat.NotebookNode:
    return new_code_cell(text.strip("\n"))


NOTEBOOKS: dict[str, list[nbformat.NotebookNode]] = {}

NOTEBOOKS["01-quickstart.ipynb"] = [
    md("""
# 1. Quickstart: load a cluster snapshot

You are auditing a small e-commerce cluster: the **Online Boutique** shop runs in namespace
`shop`, and card payments are processed in a separate **cardholder-data environment** (CDE),
namespace `pci`. The evidence you were given is a set of `kubectl get -o yaml|json` dumps.

This notebook loads that evidence, checks what it covers, and draws a first picture. Every
notebook in this folder works offline on the demo data that ships with k8sviz
(`k8sviz.demo_path(...)` finds it from any working directory).
"""),
    code(SETUP),
    md("""
## Load the evidence

`k8sviz.demo()` is `k8sviz.load(k8sviz.demo_path("cluster"), cluster="demo-boutique")`. For
your own cluster, point `k8sviz.load(...)` at the dump files or directories (`cluster=` names
it in the report).
"""),
    code("""
snap = k8sviz.demo()
snap"""),
    md("The counts per kind are the first thing to compare against the asset inventory:"),
    code(f"""
{CHECK}
counts = snap.counts()
width = max(map(len, counts))
for kind, n in counts.items():
    print(f"{{kind:<{{width}}}} {{n}}")"""),
    md("""
## What the evidence does *not* cover

A resource that was not collected is **unknown**, never "empty". If the dump has no Calico
or Cilium policies, you cannot conclude that none exist: ask for them, or record the gap.
"""),
    code(f"""
{CHECK}
unknown = sorted(r for r, state in snap.coverage.items() if state != "ok")
print(len(unknown), "resource kinds not in the evidence, e.g.:", ", ".join(unknown[:4]))"""),
    md("""
## Who may talk to whom

`k8sviz.reachability` evaluates the policies exactly (NetworkPolicy here; the admin tiers,
Calico and Cilium too where the evidence holds them). `k8sviz.graph` turns the result into a
workload graph grouped by namespace (with zones, notebook 2, its nodes are coloured by zone;
here every node is "no zone"). Hover a node for its labels, an edge marker for its ports and
the deciding rules.
"""),
    code("""
reach = k8sviz.reachability(snap)
G = k8sviz.graph(snap, reach=reach)
k8sviz.network_figure(G)"""),
    md("""
## Results are DataFrames

Every result is a pandas DataFrame, to filter, join and export. `reach.to_frame` lists every
allowed connection: one row per source, destination and protocol, with the ports. An address
outside the cluster is one of the blocks the policies' ipBlocks cut the address space into
(`src_type` or `dst_type` `external`), so one rule to the internet gives many rows.
`k8sviz.notebook.table(df)` shows a frame as the report does: lists as text, nothing cut
short, the first `max_rows` rows, every cluster string escaped. `k8sviz.notebook.to_csv(df,
"file.csv")` saves every row with the same text for a spreadsheet (`df.to_csv()` would write
lists as Python reprs).
"""),
    code("""
conns = reach.to_frame(level="workload")
k8sviz.notebook.table(conns, max_rows=8, columns=["src", "dst", "protocol", "ports"])"""),
    code(f"""
{CHECK}
print(len(conns), "allowed workload-level connections")
print(conns.groupby(["src_type", "dst_type"]).size().to_string())
print(conns["protocol"].value_counts().sort_index().to_string())"""),
    md("""
Next: **02-segmentation** assigns workloads to zones and checks the CDE boundary.
"""),
]

NOTEBOOKS["02-segmentation.ipynb"] = [
    md("""
# 2. Segmentation: is the CDE isolated?

PCI DSS requirement 1.3 asks that traffic into and out of the cardholder-data environment is
restricted to what is necessary. To test it we need *zones*: which workloads belong to the
CDE, which to the shop, the DMZ, monitoring and the platform, and which zone pairs may talk.
The demo's `zones.yaml` encodes the intended design.
"""),
    code(SETUP),
    code("""
snap = k8sviz.demo()
reach = k8sviz.reachability(snap)
zones = k8sviz.load_zones(k8sviz.demo_path("zones.yaml"))
zones"""),
    md("""
Each zone selects namespaces or pods by label (a pod matched by several zones goes to the one
with the highest `priority`: here the `dmz` edge pods); each allow rule is a zone pair and ports, with the justification, the
owner and an expiry date that PCI DSS 1.2.5 asks for. `zones.to_frame()` and
`zones.allow_frame()` are the same as DataFrames. Two zones are always added: `unzoned` for
workloads no selector matches, `external` for addresses outside the cluster.
"""),
    code(f"""
{CHECK}
print(", ".join(zones.names))"""),
    md("""
## The zone matrix

Rows are source zones, columns destination zones. *allowed* means every workload pair may
connect, *partial* that some can, *denied* that none can. Red outlines mark zone pairs with
connections that the zone design does not allow.
"""),
    code("""
seg = k8sviz.segmentation(snap, reach, zones)
k8sviz.segmentation_heatmap(seg)"""),
    md("""
The result itself shows the matrix, the violations per zone pair and the first violations;
`seg.matrix` and `seg.violations` are the DataFrames. Allow rules expire: the date they were
judged on is the snapshot's collection date (`today=` sets another).
"""),
    code("seg"),
    md("""
## Violations

Each row of `seg.violations` is a connection the policies allow but the zone design forbids.
`rules` names the policy rules that open it: that is the evidence to hand to the policy
owners. It is empty where no policy isolates either side: here every connection of
`kube-system/node-agent`, a hostNetwork pod that NetworkPolicy does not govern, and
prometheus's egress, which no policy restricts (notebook 4 lists both).
"""),
    code(f"""
{CHECK}
print(len(seg.violations), "violating connections")
print(seg.violations.groupby(["src_zone", "dst_zone"]).size().to_string())"""),
    code("""
# What the text above says of the rows without a rule, checked
unruled = seg.violations[seg.violations["rules"].map(len) == 0]
two = ("kube-system/node-agent", "monitoring/prometheus")
assert all(v.src in two or v.dst == "kube-system/node-agent" for v in unruled.itertuples())
by_rule = seg.violations[seg.violations["rules"].map(len) > 0]
k8sviz.notebook.table(by_rule, columns=["src", "dst", "src_zone", "dst_zone", "protocol", "ports", "rules", "expired_exceptions"])"""),
    md("""
`expired_exceptions` names allow rules of the zone file that would cover the connection but
have expired: prometheus's scrape of the shop was allowed until 2024-01-31.
"""),
    code("""
expired = zones.allow_frame().query("rule == 'allow[6]'")
assert expired["expires"].tolist() == ["2024-01-31"]
k8sviz.notebook.table(expired, columns=["rule", "from", "to", "ports", "justification", "owner", "expires"])"""),
    md("""
## The picture per zone, and a drill-down into the CDE

With thousands of workloads, aggregate the graph per zone or namespace, then drill down
into one namespace (`namespace=`): its workloads and their direct neighbours.
"""),
    code("""
G = k8sviz.graph(snap, reach=reach, zones=zones)
k8sviz.network_figure(G, aggregate="zone", violations=seg.violations)"""),
    code("""k8sviz.network_figure(G, namespace="pci", violations=seg.violations)"""),
    md("""
## The answer: is the CDE isolated?

Every allowed connection that crosses the boundary of the `pci` zone, in either direction,
and whether the zone design approves it:
"""),
    code(f"""
{CHECK}
zone_of = zones.workload_zones(snap)  # outside addresses are in no zone of the cluster
conns = reach.to_frame(level="workload")
in_pci = conns["src"].map(zone_of).eq("pci"), conns["dst"].map(zone_of).eq("pci")
crossing = conns[in_pci[0] != in_pci[1]].sort_values(["src", "dst", "protocol"])
violating = set(zip(seg.violations["src"], seg.violations["dst"], seg.violations["protocol"]))
for c in crossing.itertuples():
    verdict = "VIOLATION" if (c.src, c.dst, c.protocol) in violating else "approved"
    print(f"{{c.src}} -> {{c.dst}} {{c.protocol}}/{{', '.join(c.ports)}}: {{verdict}}")"""),
    md("""
**Not entirely.** Two connections are approved: the checkout charging cards (`allow[3]`,
change CHG-1042, until 2027-06-30) and the CDE's DNS lookups (`allow[4]`); nothing else
leaves the CDE. But `kube-system/node-agent` reaches both CDE workloads on every port: no
policy rule opened that, and no NetworkPolicy can close it (notebook 3 says why; notebook 4
reports it as the two critical `zone-violation` findings, against PCI DSS 1.3.1).

One more weakness does not show here, as it opens no connection yet: the vault's ingress
policy `card-vault-maintenance` accepts every pod of the namespaces labelled `team=web` (the
shop) on every port; only the shop's own egress policies keep them out (notebooks 3 and 4).
"""),
    code("""
# What the text above says, checked
assert {n.name for n in snap.namespaces if n.labels.get("team") == "web"} == {"shop"}
vault = reach.explain("shop/frontend", "pci/card-vault", 5432).ingress
assert [m.policy for m in vault.allowed_by] == ["pci/card-vault-maintenance"]
approved = zones.allow_frame().set_index("rule")
assert approved.loc["allow[3]", "expires"] == "2027-06-30"
assert "CHG-1042" in approved.loc["allow[3]", "justification"]
assert "pci" in approved.loc["allow[4]", "from"].split(",")
assert approved.loc["allow[4]", ["to", "ports"]].tolist() == ["kube-system", "UDP/53, TCP/53"]"""),
]

NOTEBOOKS["03-reachability.ipynb"] = [
    md("""
# 3. Reachability: ask precise questions

Auditors test specific paths: can the shop's checkout reach the payment service (it must),
can the storefront reach the card vault (it must not)? `reach.can_reach` answers yes or no,
`reach.explain` shows the policies and rules that decide.
"""),
    code(SETUP),
    code("""
snap = k8sviz.demo()
reach = k8sviz.reachability(snap)
zones = k8sviz.load_zones(k8sviz.demo_path("zones.yaml"))"""),
    code(f"""
{CHECK}
print("checkout -> payment :50051", reach.can_reach("shop/checkoutservice", "pci/paymentservice", 50051))
print("frontend -> card-vault :5432", reach.can_reach("shop/frontend", "pci/card-vault", 5432))"""),
    md("""
The storefront cannot reach the vault, but look at *why*: its own egress policy blocks it,
while the vault's ingress side would accept it through `card-vault-maintenance`. The vault
depends on every client's egress policy, which is a finding in notebook 4.
"""),
    code("""reach.explain("shop/frontend", "pci/card-vault", 5432)"""),
    md("""
## Blast radius

If the internet-facing storefront is compromised, which workloads can an attacker reach,
hop by hop, through connections the policies allow? `path` is the shortest chain of hops,
`ports` what each hop allows (`|` separates the hops). `paths_as_text` writes both as text;
the frame keeps them as lists.
"""),
    code("""
blast = k8sviz.blast_radius(reach, "shop/frontend")
k8sviz.notebook.table(k8sviz.paths_as_text(blast))"""),
    code(f"""
{CHECK}
print(len(blast), "workloads reachable from shop/frontend")"""),
    md("""
## Paths from the internet into the CDE

The shortest way in is not the storefront's: `kube-system/node-agent` runs on the hosts'
network and is exposed on hostPort 9100. A hostNetwork pod *is* its node, and the API lets a
pod's own node in whatever the pod's NetworkPolicies (kubelet probes come that way), so each
node-agent reaches the CDE pods on its node on every port. No NetworkPolicy can close that;
moving the agent off the host network, or the CDE onto nodes of its own, can.
"""),
    code("""
assert {pod.host_ports for pod in snap.pods_of("kube-system/node-agent")} == {(9100,)}  # as said above
paths = k8sviz.internet_paths(reach, "pci", zones)
k8sviz.notebook.table(k8sviz.paths_as_text(paths))"""),
    code(f"""
{CHECK}
for row in paths.itertuples():
    print(row.target, row.hops, "hops:", " -> ".join(row.path))"""),
    md("""
## The full matrix

Every allowed workload-to-workload connection, with the addresses outside the cluster as one
`(external)` row and column; hover a cell for protocols and ports.
"""),
    code("""k8sviz.reachability_matrix(reach.to_frame(level="workload"))"""),
]

NOTEBOOKS["04-policy-gaps.ipynb"] = [
    md("""
# 4. Policy gaps, findings and controls

`k8sviz.gaps` runs the automated checks (namespaces without default deny, allow-all rules,
hostNetwork and privileged pods, internet exposure, egress to the cloud metadata service,
zone violations...). Each finding names the controls it bears on (PCI DSS v4, CIS
Kubernetes, NSA/CISA, NIST SP 800-190) and carries its evidence.
"""),
    code(SETUP),
    code("""
snap = k8sviz.demo()
reach = k8sviz.reachability(snap)
zones = k8sviz.load_zones(k8sviz.demo_path("zones.yaml"))
gaps = k8sviz.gaps(snap, reach=reach, zones=zones)
k8sviz.findings_summary(gaps)"""),
    code(f"""
{CHECK}
print(len(gaps), "findings")
print(gaps["severity"].value_counts().reindex(["critical", "high", "medium", "low", "info"], fill_value=0).to_string())"""),
    md("""
The audit report of notebook 6 counts more findings: it is also given the flow logs (notebook 5),
and with `flows=` `k8sviz.gaps` adds a finding per discrepancy between the flows and the
policies (`observed-but-policy-denies`, `dropped-but-policy-allows`, `allowed-but-unused`);
every other finding is the same. Without flow logs those checks do not run.
"""),
    code(f"""
{CHECK}
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", k8sviz.FlowWarning)  # the lost Hubble events notebook 5 explains
    flows = k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=snap)
with_flows = k8sviz.gaps(snap, reach=reach, zones=zones, flows=flows)
added = with_flows["finding"].value_counts().sub(gaps["finding"].value_counts(), fill_value=0)
assert set(added[added != 0].index) <= {{"observed-but-policy-denies", "dropped-but-policy-allows", "allowed-but-unused"}}
print(len(gaps), "findings without flow logs,", len(with_flows), "with them, as in the report; added:")
print(added[added != 0].astype(int).to_string())"""),
    md("""
The most severe findings first, with the detail to put in the report. Most are zone
violations from two workloads, node-agent and prometheus (notebook 2), one row per workload
pair.
"""),
    code("""
severe = gaps[gaps["severity"].isin(["critical", "high"])]
sources = severe["evidence"].map(lambda e: e.get("src"))
assert sources.isin(["kube-system/node-agent", "monitoring/prometheus"]).sum() > len(severe) / 2  # "most"
k8sviz.notebook.table(severe, max_rows=40, columns=["finding", "severity", "namespace", "name", "detail", "controls"])"""),
    md("""
To hand evidence on, filter the findings and save them: `k8sviz.notebook.to_csv` writes every
row, with the controls and the evidence as text and any cell a spreadsheet would run as a
formula defused (`gaps.to_csv()` would write Python reprs).
"""),
    code("""
zone_violations = gaps[gaps["finding"] == "zone-violation"]
k8sviz.notebook.to_csv(zone_violations, "zone-violations.csv")"""),
    md("""
## Which workloads are isolated, and by what?

`reach.isolation` is the engine's answer per workload (or pod, `level="pod"`) and direction,
whatever the dialect: *isolated* (every peer and port decided, not all allowed), *partial*
(some peers left to the default allow: `open_to` names them), *reopened* (selected, but the
allows add up to everything), *unrestricted* (no policy decides anything), or *not-judged*
(hostNetwork pods, which NetworkPolicy does not govern, and pods that ran to completion). `deny_by` names the policies that
isolate it. The `no-ingress-isolation` / `no-egress-isolation` findings above come from it.
"""),
    code("""
isolation = reach.isolation(level="workload")
k8sviz.notebook.table(isolation[isolation["state"] != "isolated"])"""),
    code(f"""
{CHECK}
print(isolation.groupby(["direction", "state"]).size().to_string())"""),
    md("""
## Per control: pass, fail, manual or not-checked

*manual* controls cannot be decided from a cluster snapshot (diagrams, reviews, penetration
tests) or are Manual in their benchmark (CIS 5.3.2): k8sviz lists the evidence, the assessor
decides. A control passes only when every check it needs ran on the inputs it needs; without
one (no CDE declared, no flow logs, Services not read...) it is *not-checked*, and the `reason`
column names what is missing. A passing control's `reason` says what it assumes: here, that the
cluster serves none of the policy kinds the demo dump leaves out.
"""),
    code("""
controls = k8sviz.controls_summary(gaps)
k8sviz.controls_figure(controls)"""),
    code(f"""
{CHECK}
print(controls["status"].value_counts().to_string())"""),
    code("""k8sviz.notebook.table(controls, max_rows=40, columns=["control", "title", "status", "findings", "worst", "finding_ids", "reason"])"""),
    md("""
## The ruleset under review

`k8sviz.policy_inventory` lists every policy of every dialect in evaluation order, with the
running pods it applies to and whether k8sviz evaluates it: the ruleset export an assessor
reviews (PCI DSS 1.2.1, 1.2.7). A policy that applies to no pod is dead or mistyped.
"""),
    code("""
policies = k8sviz.policy_inventory(snap)
k8sviz.notebook.table(policies, max_rows=40, columns=["policy", "dialect", "types", "rules", "selected_pods", "evaluated"])"""),
    code(f"""
{CHECK}
print(len(policies), "policies,", int((policies["selected_pods"] == 0).sum()), "apply to no pod")
print(policies.groupby("dialect").size().to_string())"""),
    md("""
## Two weeks later: did the remediation close the gaps?

The team worked on the gaps and a new snapshot was taken on 2024-03-24 (`remediated.k8sviz.json`
in the demo data). Keep each review's snapshot file: comparing two of them is the change
review (PCI DSS 1.2.2, 1.2.7). `k8sviz.policy_diff` says what was edited, with the paths that
changed; `k8sviz.reachability_diff` says what the edits opened or closed, connection by
connection (external blocks refined across both snapshots' ipBlocks).
"""),
    code("""
later = k8sviz.load(k8sviz.demo_path("remediated.k8sviz.json"))
assert later.meta["collected_at"].startswith("2024-03-24")
k8sviz.notebook.table(k8sviz.policy_diff(snap, later))"""),
    code("""
changes = k8sviz.reachability_diff(reach, k8sviz.reachability(later), rules=True)
k8sviz.changes_figure(changes)"""),
    md("""
`rules=True` names the rules behind each change: `rules_before` admitted the ports that were
removed, `rules_after` admit those added. prometheus had no egress policy at all (nothing to
name: it was not isolated); recommendationservice lost what `recommendation-egress-ml-api`
allowed beyond the ml-api address.
"""),
    code("""
closed_by_rule = changes[changes["rules_before"].map(len) > 0]
k8sviz.notebook.table(closed_by_rule, max_rows=8, columns=["src", "dst", "protocol", "change", "removed", "rules_before"])"""),
    code(f"""
{CHECK}
print(changes["change"].value_counts().to_string())
later_gaps = k8sviz.gaps(later, zones=zones)
fixed = set(zip(gaps["finding"], gaps["name"])) - set(zip(later_gaps["finding"], later_gaps["name"]))
print(len(gaps), "->", len(later_gaps), "findings; closed:")
print("\\n".join(sorted(f"  {{f}} {{n}}" for f, n in fixed)))
still = later_gaps[later_gaps["severity"] == "critical"]
print("still critical:")
for finding, e in sorted(zip(still["finding"], still["evidence"]), key=str):
    print(f"  {{finding}} {{e.get('src')}} -> {{e.get('dst')}}")"""),
    md("""
Not every gap closed: node-agent still reaches the CDE pods on its nodes, on every port. No
NetworkPolicy can close that (notebook 3): it needs the agent off the host network, or the CDE
on nodes of its own.

`k8sviz.findings_diff` makes that comparison finding by finding: `new`, `resolved`, or `changed`
(the same finding on the same object that reads otherwise, `detail_before` saying how it read).
The remediation brings no new finding; node-agent's violation from prometheus narrowed to the
one port its scrape needs. In CI, `k8sviz diff BEFORE AFTER --findings --zones FILE --only opened
--exit-code` fails a pull request that brings a finding or worsens one (the `opens` column), and
passes its revert.
"""),
    code("""
moved = k8sviz.findings_diff(gaps, later_gaps)
columns = ["finding", "severity", "namespace", "name", "change", "detail"]
k8sviz.notebook.table(moved, max_rows=12, columns=columns)"""),
    code(f"""
{CHECK}
print(moved["change"].value_counts().sort_index().to_string())"""),
]

NOTEBOOKS["05-flows-vs-policy.ipynb"] = [
    md("""
# 5. Observed flows versus policy

Policies say what *may* happen; flow logs say what *did*. The demo ships flow logs from
Hubble (Cilium), a week of them, and Calico, the last two days of that week. Comparing both finds traffic the CNI
forwarded although the policies deny it, traffic the policies allow that was dropped, and
allow rules nobody uses (candidates for removal under PCI DSS 1.2.7).
"""),
    code(SETUP),
    code("""
snap = k8sviz.demo()
reach = k8sviz.reachability(snap)
flows = k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=snap)
load = k8sviz.flow_report(flows)
load"""),
    md("""
The warning is part of the evidence: Hubble's ring buffer overflowed and 66 events were lost,
so the counts below are lower bounds. `k8sviz.flow_report(flows)` (shown above) lists each
file read, its time window and what was skipped or could not be mapped to the snapshot.

The table has one row per flow record, the same columns whatever the source (`file` and
`line` point back into the log; an end outside the cluster has no namespace nor workload).
A few of them:
"""),
    code("""
assert sum(source["lost_events"]["events"] for source in load["sources"]) == 66  # as said above
cols = ["time", "src_namespace", "src_workload", "dst_namespace", "dst_workload", "dst_port", "protocol", "verdict", "source_format", "node"]
k8sviz.notebook.table(flows, max_rows=5, columns=cols)"""),
    code(f"""
{CHECK}
print(len(flows), "flow records")
print(flows["source_format"].value_counts().sort_index().to_string())
print(flows["verdict"].value_counts().sort_index().to_string())"""),
    md("## Who talked to whom, and when"),
    code("""k8sviz.flow_sankey(k8sviz.flow_edges(flows, level="namespace"))"""),
    code("""k8sviz.flow_timeline(flows)"""),
    md("""
## Discrepancies

Every row is a (source, destination, protocol) where what was observed and what the
policies say disagree: `detail` says how, `rule` which policy rules decide. `src_type` and
`dst_type` say what each end is (a pod or workload, a node, an outside address or CIDR), and
`sample` gives the file and line of example records, the evidence to quote.
"""),
    code("""
disc = k8sviz.flow_discrepancies(flows, reach)
k8sviz.notebook.table(disc, columns=["kind", "src", "dst", "protocol", "ports", "flows", "first_seen", "last_seen", "detail"])"""),
    md("The rules that decide each observed discrepancy:"),
    code("""
for row in disc[disc["kind"] != "allowed-but-unused"].itertuples():
    print(f"{row.kind}: {row.src} -> {row.dst}")
    print("   ", row.rule.replace("; ", "\\n    "))"""),
    code(f"""
{CHECK}
print(disc["kind"].value_counts().sort_index().to_string())
seen = disc.set_index("kind")["first_seen"].dt.strftime("%Y-%m-%d")
assert seen["dropped-but-policy-allows"] == "2024-03-16"  # the days the text below names
assert seen["observed-but-policy-denies"] == "2024-03-15"
"""),
    md("""
The checkout's payments dropped on 2024-03-16 although the policies allow them (the CNI
disagreed with the policies, or another control dropped them); the load generator reached
the cart service on 2024-03-15 although the policies deny it, which the CNI should not have
forwarded.

### Allow rules that no flow used

An allow rule that admitted no observed flow in the window is a candidate for removal (PCI
DSS 1.2.7), after asking its owner: a week of flows may miss monthly jobs.
"""),
    code("""k8sviz.notebook.table(disc[disc["kind"] == "allowed-but-unused"], columns=["src", "dst", "protocol", "ports", "policy", "detail"])"""),
    md("""
## Clock skew

Flow sources on different nodes must agree on time before their records are compared or
used as evidence of *when* something happened. `k8sviz.clock_skew` pairs the records of one
connection seen by both ends on different nodes: `offset_seconds` is the median of the
destination's time minus the source's. `suspect_node` is the node common to every skewed pair.
"""),
    code("""
skew = k8sviz.clock_skew(flows)
k8sviz.notebook.table(skew, columns=["source_format", "src_node", "dst_node", "pairs", "offset_seconds", "skewed", "suspect_node"])"""),
    code(f"""
{CHECK}
for node, rows in skew.groupby("suspect_node"):
    ahead = -rows.loc[rows["src_node"] == node, "offset_seconds"].median()
    print(node, f"runs about {{ahead:.0f}} s ahead of the other nodes")"""),
    md("""
The times that node wrote read 7 seconds later than the other nodes' clocks: shift them, or
compare its records with a tolerance above the skew, before building a timeline.
"""),
    md("""
## Allowed and observed on one graph

Grey lines are allowed by policy, dotted blue ones were observed. A blue line with no grey
one under it is traffic the policies deny; a grey one never observed was allowed but not used
in the window. Hover an edge marker for its ports and counts.
"""),
    code("""
G = k8sviz.graph(snap, reach=reach, flows=flows)
k8sviz.network_figure(G, show=("allowed", "observed"))"""),
]

NOTEBOOKS["06-audit-report.ipynb"] = [
    md("""
# 6. The audit report

Everything above goes into one self-contained HTML file for the assessor: scope, inputs
with their SHA-256, coverage, pass / fail / manual / not-checked per control, findings with
evidence, the zone matrix, the paths from the internet into each sensitive zone (notebook 3),
the graph, observed flows versus policy, and appendices: isolation per workload, the policy
inventory and the allowed connections. It opens
offline (plotly.js is embedded once), makes no network request, and two runs on the same
inputs differ only in the generation time.

The same report from a shell:

```
k8sviz report data/demo/cluster --cluster demo-boutique --flows data/demo/flows --zones data/demo/zones.yaml -o audit-report.html
```

`k8sviz.demo()` names the cluster as `--cluster` does (a dump does not carry its cluster's
name) and keeps its input files' SHA-256 for the report's inputs. The Hubble warning is the one
notebook 5 explains; the report lists those lost events too.
"""),
    code(SETUP),
    code("""
from pathlib import Path

path = k8sviz.report(
    k8sviz.demo(),
    flows=k8sviz.demo_path("flows"),
    zones=k8sviz.demo_path("zones.yaml"),
    output=Path("audit-report.html"),
)
path"""),
    code(f"""
{CHECK}
html = path.read_text(encoding="utf-8")
print("self-contained:", "<script src=" not in html)
print("sections:", all(f'id="{{s}}"' in html for s in ["summary", "scope", "inputs", "findings", "segmentation", "graph", "appendix"]))
print("title:", html.split("<title>", 1)[1].split("</title>", 1)[0])"""),
    md("""
Open it in a browser (in JupyterLab: right-click `audit-report.html` in the file browser,
*Open in New Browser Tab*), or link it from here:
"""),
    code("""
from IPython.display import FileLink

FileLink(str(path))"""),
    md("""
## The next review: what changed since

Keep each review's snapshot file. Two weeks later the team has worked on the gaps
(`remediated.k8sviz.json` in the demo data, notebook 4); the report of the new snapshot with
`baseline=` the previous one adds a section of the connections opened or closed since (with
the rules behind each) and the policies added, removed or modified:

```
k8sviz snapshot data/demo/cluster --cluster demo-boutique -o review-2024-03.json   # at the first review
k8sviz report data/demo/remediated.k8sviz.json --baseline review-2024-03.json --zones data/demo/zones.yaml -o remediated.html
```
"""),
    code("""
later = k8sviz.report(
    k8sviz.demo_path("remediated.k8sviz.json"),
    baseline=k8sviz.demo(),  # its input files are hashed among the report's inputs
    zones=k8sviz.demo_path("zones.yaml"),
    output=Path("remediated-report.html"),
)
later"""),
    code(f"""
{CHECK}
html = later.read_text(encoding="utf-8")
print("changes section:", 'id="changes"' in html)
table = html.split('id="connection-changes"', 1)[1].split("</table>", 1)[0]
print("connections closed or narrowed:", table.count("<td>removed</td>") + table.count("<td>narrowed</td>"))
print("baseline named:", "Baseline: cluster <code>demo-boutique</code>" in html)"""),
]


def build(execute: bool, only: list[str] | None = None) -> tuple[list[Path], list[str]]:
    written, failed = [], []
    for name, cells in NOTEBOOKS.items():
        if only and not any(o in name for o in only):
            continue
        nb = new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "name": "python3",
        }
        nb.metadata["language_info"] = {"name": "python"}
        path = HERE / name
        if execute:
            from nbclient import NotebookClient
            from nbclient.exceptions import CellExecutionError

            try:
                NotebookClient(
                    nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}
                ).execute()
            except CellExecutionError as e:
                failed.append(f"{name}: {str(e).strip().splitlines()[-1]}")
        strip(nb)
        nbformat.validate(nb)
        nbformat.write(nb, path)
        written.append(path)
    return written, failed


def strip(nb: nbformat.NotebookNode) -> None:
    """Drop all outputs except the text of ``# NBVAL_CHECK_OUTPUT`` cells; stable ids and counts."""
    n_code = 0
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
        cell["metadata"] = {}
        if cell["cell_type"] != "code":
            continue
        n_code += 1
        cell["execution_count"] = None
        keep = []
        if cell["source"].startswith(CHECK):
            # nbval refuses outputs on a cell without an execution count: use its position
            cell["execution_count"] = n_code
            for out in cell.get("outputs", []):
                if out["output_type"] == "stream" and out["name"] == "stdout":
                    keep.append(nbformat.v4.new_output("stream", name="stdout", text=out["text"]))
                elif out["output_type"] == "execute_result" and "text/plain" in out.get("data", {}):
                    keep.append(
                        nbformat.v4.new_output(
                            "execute_result",
                            data={"text/plain": out["data"]["text/plain"]},
                            execution_count=n_code,
                        )
                    )
        cell["outputs"] = keep


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--no-execute", action="store_true", help="write without running (no checked outputs)")
    p.add_argument("only", nargs="*", help="build only notebooks whose name contains one of these")
    args = p.parse_args(argv)
    written, failed = build(execute=not args.no_execute, only=args.only)
    for path in written:
        print(f"wrote {path.relative_to(HERE.parent)}", file=sys.stderr)
    for f in failed:
        print(f"FAILED {f}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
