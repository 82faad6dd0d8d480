"""What an assessor reads in the demo report: each number says what it counts, and the
numbers of two sections that count different things say how they relate."""

from __future__ import annotations

import re
import warnings
from collections import Counter

import pytest

import k8sviz

from .conftest import demo_report_html, unwrapped


@pytest.fixture(scope="module")
def demo_page() -> str:
    """The README's first command's report, as text (every analysis real), its cells unwrapped."""
    return unwrapped(demo_report_html())


def _section(page: str, sid: str) -> str:
    return page.split(f'<section id="{sid}"', 1)[1].split("</section>", 1)[0]


def _numbers(text: str) -> list[int]:
    return [int(n.replace(",", "")) for n in re.findall(r"(\d[\d,]*) [A-Za-z]", text)]


def test_graph_totals_are_broken_down_into_what_the_figure_draws(demo_page):
    """The demo graph's 89 nodes are mostly Services and external address blocks, which the
    figure leaves out or merges: the page says so, and the parts add up to the totals."""
    section = _section(demo_page, "graph")
    total_nodes, total_edges = map(int, re.search(r"<p>(\d+) nodes, (\d+) edges", section).groups())
    parts = re.search(r'<span id="graph-parts">Nodes: (.*?); edges: (.*?)\. ', section)
    assert parts, section[:500]
    nodes, edges = parts.groups()
    assert sum(_numbers(nodes)) == total_nodes and sum(_numbers(edges)) == total_edges
    snap = k8sviz.demo()
    reach = k8sviz.reachability(snap)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", k8sviz.FlowWarning)
        flows = k8sviz.load_flows(k8sviz.demo_path("flows"), snapshot=snap)
    G = k8sviz.graph(snap, reach=reach, flows=flows, zones=k8sviz.demo_path("zones.yaml"))
    types = Counter(d["type"] for _, d in G.nodes(data=True))
    kinds = Counter(d["kind"] for _, _, d in G.edges(data=True))
    assert f"{types['workload']} workloads" in nodes and f"{types['service']} Services" in nodes
    assert f"{types['external']} external addresses or blocks" in nodes
    assert f"{types['node']} cluster nodes" in nodes
    assert edges == (f"{kinds['allowed']} allowed by policy, {kinds['observed']} observed in flows, "
                     f"{kinds['selects']} from a Service to its backends")
    assert "leaves Services out" in section


def test_violations_say_what_a_row_is_and_how_they_relate_to_the_findings(demo_page):
    """70 violation rows and 32 zone-violation findings: the page says each row is one
    protocol of one pair, names every column it has, and gives the findings' count."""
    section = _section(demo_page, "segmentation")
    assert "<h3>Violations (70)</h3>" in section
    legend = section.split('<p id="violations-legend">', 1)[1].split("</p>", 1)[0]
    header = section.split('id="violations-table"', 1)[1].split("</tr>", 1)[0]
    columns = re.findall(r"<th>([^<]*)</th>", header)
    assert set(columns) - {"src", "dst", "src_zone", "dst_zone", "protocol"} == set(
        re.findall(r"<code>([a-z_]+)</code>", legend)) - {"zone-violation"}
    findings = _section(demo_page, "findings")
    n = findings.count("<td>zone-violation</td>")
    assert n == 32
    assert f"The findings group these rows per workload: {n} <code>zone-violation</code> findings." in legend


def test_zone_matrix_legend_lists_only_the_values_a_segmentation_holds(demo_page):
    """Its colour bar listed 'unknown' and 'violation', which no cell of the matrix can hold."""
    section = _section(demo_page, "segmentation")
    figure = section.split('"fig-segmentation"', 2)[2]
    assert re.search(r'"ticktext":\[([^\]]*)\]', figure).group(1) == '"denied","partial","allowed"'


def test_coverage_says_what_each_unknown_resource_changes(demo_page):
    """Cronjobs, jobs, serviceaccounts and endpointslices read 'unknown' with nothing said of what
    that changes; only the missing policy kinds were named among the limitations."""
    from k8sviz.report._coverage import unread_meaning
    from k8sviz.snapshot import COVERAGE_PLURALS

    table = _section(demo_page, "inputs").split('id="coverage-table"', 1)[1].split("</table>", 1)[0]
    cells = [re.findall(r"<td>(.*?)</td>", tr) for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", table)]
    rows = {r[0]: r[1:] for r in cells if r}
    unknown = {k for k, (state, _) in rows.items() if "unknown" in state}
    assert {"cronjobs", "jobs", "serviceaccounts", "endpointslices", "replicationcontrollers"} <= unknown
    assert all(rows[k][1] for k in unknown) and not any(rows[k][1] for k in set(rows) - unknown)
    assert "their pods are analysed" in rows["cronjobs"][1]
    assert "grouped per Job run" in rows["jobs"][1]
    assert "from the Services&#39; selectors either way" in rows["endpointslices"][1]
    assert "Calico selectors on ServiceAccount labels" in rows["serviceaccounts"][1]
    assert "may differ (a limitation)" in rows["adminnetworkpolicies"][1]
    assert "No verdict changes" in rows["stagednetworkpolicies.projectcalico.org"][1]
    # each policy kind whose text says "a limitation" is one on this page
    limitations = _section(demo_page, "problems")
    for k in unknown:
        if rows[k][1].endswith("(a limitation)."):
            assert k in limitations, k
    # every resource a snapshot reports has its text
    assert all(unread_meaning(p) for p in COVERAGE_PLURALS if ".crd." not in p)


def test_summary_cards_say_they_count_controls(demo_page):
    """'13 fail' beside '57 findings' read as 13 failed findings: each card names what it counts."""
    section = _section(demo_page, "summary")
    cards = re.findall(r'<div class="num">([\d,]+)</div><div>([^<]*)</div>', section)
    assert cards == [("3", "controls pass"), ("13", "controls fail"), ("4", "controls manual"),
                     ("57", "findings")]
    statuses = re.findall(r'<td class="st-(pass|fail|manual)">', section)
    assert Counter(statuses) == {"pass": 3, "fail": 13, "manual": 4}


def test_zone_definitions_say_sensitive_as_the_zone_members_table_does(demo_page):
    """Not Python's True / False beside a table that says 'yes' or nothing."""
    section = _section(demo_page, "scope")
    defs = section.split('id="zones-table"', 1)[1].split("</table>", 1)[0]
    body = defs.split("<tbody>", 1)[1]
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", body)]
    assert {r[0]: r[3] for r in rows} == {"pci": "yes", "dmz": "", "shop": "", "monitoring": "",
                                          "kube-system": ""}
    members = section.split('id="scope-table"', 1)[1].split("</table>", 1)[0]
    assert "<td><strong>pci</strong></td><td>yes</td>" in members
    assert "True" not in defs and "False" not in defs


def test_namespace_pairs_list_their_ports_in_port_order(demo_page):
    """As text, '443' sorted before '80' and '50051' before '5050'; past the table's limit the
    ports shown were then not the lowest."""
    from k8sviz.report._render import _namespace_rows
    from k8sviz.viz.matrix import Cell

    table = demo_page.split('id="allowed-ns-table"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", body)]
    rows = {(r[0], r[1]): r[5] for r in cells}
    assert rows[("(external)", "ingress-nginx")] == "TCP 80, 443"
    assert rows[("shop", "shop")] == "TCP 3550, 5050, 6379, 7000, 7070, 8080, 9555, 50051"
    # the workload pairs' lists merged as ranges: "TCP 1-65535, 53, 443" was one range said thrice
    assert rows[("kube-system", "kube-system")] == "SCTP 1-65535; TCP 1-65535; UDP 1-65535"
    assert rows[("monitoring", "shop")] == "TCP 7000-8080"
    ports = {"9000", "80", "443", "1000-2000", "53"}
    items = [(("a", "b"), Cell(n=1, ports={"TCP": ports}, sources=1, destinations=1))]
    assert _namespace_rows(items, limit=3)["protocols / ports"].iloc[0] == "TCP 53, 80, 443 ..."
    whole = _namespace_rows(items, limit=None)["protocols / ports"].iloc[0]
    assert whole == "TCP 53, 80, 443, 1000-2000, 9000"


def test_discrepancies_say_what_a_row_means_before_its_counts(demo_page):
    """The table is wider than the page: its detail came twelfth, past the first screen, and the
    deciding rule after the sample records ('rules' named no column)."""
    table = demo_page.split('id="discrepancies-table"', 1)[1].split("</table>", 1)[0]
    header = re.findall(r"<th>([^<]*)</th>", table.split("</tr>", 1)[0])
    assert header == ["kind", "src", "dst", "src_type", "dst_type", "protocol", "ports", "detail", "flows",
                      "records", "first_seen", "last_seen"]
    # the long ones under each row, across the table (test_browser_screen measures it)
    below = re.findall(r'<tr class="below"><td colspan="12">(.*?)</td></tr>', table)
    assert len(below) == 3
    names = re.findall(r'<span class="below-name">([^<]*)</span>', below[0])
    assert names == ["policy", "direction", "rule", "sample"]
    from k8sviz.flows.compare import DISCREPANCY_COLUMNS

    # every column, once: rule_text's words are shown in the rule column
    assert sorted(header + names) == sorted(c for c in DISCREPANCY_COLUMNS if c != "rule_text")


def test_an_unused_rule_is_named_in_words_like_the_other_rows_rules(demo_page):
    """The allowed-but-unused row's rule read '1' (its index, as the frame keeps it) where the
    other rows read 'ns/policy ingress[0]: from ... on TCP/50051'."""
    table = demo_page.split('id="discrepancies-table"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    # each row's kind, and its rule in the line under it
    rows = re.findall(r'<tr><td>([^<]*)</td>.*?</tr><tr class="below">(.*?)</tr>', body)
    rule = {kind: re.search(r'<span class="below-name">rule</span> (.*?)</div>', under).group(1)
            for kind, under in rows}
    assert rule["allowed-but-unused"] == (
        "kube-system/coredns-ingress ingress[1]: from (every pod in namespaces "
        "[kubernetes.io/metadata.name=monitoring]) on TCP/metrics")
    assert rule["dropped-but-policy-allows"].startswith(
        "shop/checkoutservice-egress-payment egress[0]: to (pods")
    # the finding says which rule too, and keeps the index in its evidence
    findings = _section(demo_page, "findings")
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", findings)
    row = next(tr for tr in rows if "<td>allowed-but-unused</td>" in tr)
    assert "<td>kube-system/coredns-ingress ingress[1]: from (every pod in namespaces" in row
    assert "on TCP/metrics (TCP 9153) allows traffic never observed" in row
    assert "rule=1, rule_text=kube-system/coredns-ingress ingress[1]: from" in row


def test_the_flow_window_ends_where_the_files_do(demo_page):
    """Calico's records cover an interval each: its file's window, in the table below the
    summary, ends at 2024-03-17T00:00, and the summary said 2024-03-16T23:59:00Z."""
    section = _section(demo_page, "flows")
    summary = re.search(r"<p>([\d,]+ flow records from \S+ to \S+):", section).group(1)
    assert summary == "15,493 flow records from 2024-03-10T00:00:18Z to 2024-03-17T00:00:00Z"
    files = section.split('id="flow-sources-table"', 1)[1].split("</table>", 1)[0]
    last = [re.findall(r"<td[^>]*>(.*?)</td>", tr)[-1] for tr in re.findall(r"<tr>(.*?)</tr>", files)[1:]]
    assert max(last) == "2024-03-17T00:00:00+00:00"


def test_no_python_booleans_in_the_tables(demo_page):
    """The clock skew table said 'True' where the policy inventory says 'yes'."""
    skew = demo_page.split('id="clock-skew-table"', 1)[1].split("</table>", 1)[0]
    header = re.findall(r"<th>([^<]*)</th>", skew)
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", skew)[1:]]
    assert [r[header.index("skewed")] for r in rows] == ["yes"] * 4
    cells = re.findall(r"<td[^>]*>(True|False)</td>", demo_page)
    assert cells == []


def test_internet_paths_say_how_their_ports_are_grouped(demo_page):
    """Two hops' ports joined by '|': the legend says so."""
    section = demo_page.split('id="internet-paths"', 1)[1].split("</table>", 1)[0]
    assert "separated by <code>|</code>" in section
    path = "internet -&gt; kube-system/node-agent -&gt; pci/card-vault"
    ports = re.search(f"<td>{path}</td><td>(.*?)</td>", section).group(1)
    assert ports.split(" | ") == ["TCP/1-65535, UDP/1-65535, SCTP/1-65535"] * 2  # two hops


def test_the_inventory_says_what_its_kinds_of_pod_are(demo_page):
    """'synthesized pods' is k8sviz's own word: the inventory says what each kind of pod it
    counts apart is."""
    scope = _section(demo_page, "scope")
    table = scope.split('id="counts-table"', 1)[1].split("</table>", 1)[0]
    legend = scope.split('<p id="counts-legend"', 1)[1].split("</p>", 1)[0]
    for kind in ("synthesized", "hostNetwork", "terminated"):
        assert f"<td>{kind} pods</td>" in table and f"<em>{kind}</em>" in legend


def _verdict(page: str) -> str:
    items = page.split('<ul id="verdict">', 1)[1].split("</ul>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", items)).strip()


def test_the_summary_opens_with_the_verdict_on_each_sensitive_zone(demo_page):
    """The question the report answers, before any count: is the CDE segmented?"""
    assert _verdict(demo_page) == (
        "Sensitive zone pci: segmentation violated: 6 violating connections cross its boundary, to or "
        "from kube-system/node-agent; 2 paths into it from the internet (Segmentation), on the inputs "
        "read: see the limitations above.")
    summary = _section(demo_page, "summary")
    assert summary.index('id="verdict"') < summary.index('class="cards"')


def test_a_clean_sensitive_zone_says_so_and_no_zone_no_verdict(tmp_path, demo_plain_page):
    """Zones whose CDE nothing violating reaches: said as such; without zones, no verdict."""
    zones = tmp_path / "zones.yaml"
    zones.write_text(
        "zones:\n"
        "  cde: {namespaceSelector: {matchLabels: {compliance: pci}}, sensitive: true}\n"
        "allow:\n"
        "  - {from: [unzoned, external], to: cde, justification: everything}\n"
        "  - {from: cde, to: [unzoned, external], justification: everything}\n"
    )
    page = k8sviz.report(k8sviz.demo(), zones=zones, generated_at="x")
    assert _verdict(page).startswith("Sensitive zone cde: no violating connection; ")
    assert 'id="verdict"' not in demo_plain_page
