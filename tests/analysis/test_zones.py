import datetime as dt
import re
from pathlib import Path

import pytest

from k8sviz._yaml import Dumper as KUBECTL_YAML
from k8sviz.analysis.zones import load_zones, parse_date, resolve_today
from k8sviz.errors import InputError, K8svizError, QueryError, ZoneError

from .helpers import ns, pod, snapshot

GOOD = """
zones:
  pci: {namespaceSelector: {matchLabels: {compliance: pci}}, sensitive: true}
  dmz: {podSelector: {matchLabels: {tier: edge}}}
allow:
  - {from: dmz, to: pci, ports: ["TCP/443"], justification: "checkout gateway", owner: "payments", expires: 2027-06-30}
  - {from: [external], to: dmz, ports: ["TCP/80", "443", "UDP/53", "TCP/8000-8080"], justification: web}
"""


def write(tmp_path, text):
    p = tmp_path / "zones.yaml"
    p.write_text(text)
    return p


def test_load_and_assign(tmp_path):
    z = load_zones(write(tmp_path, GOOD))
    assert list(z.zones) == ["pci", "dmz"]
    assert z.is_sensitive("pci") and not z.is_sensitive("dmz")
    r = z.allow[0]
    assert r.expires == dt.date(2027, 6, 30) and r.owner == "payments"
    assert z.allow[1].ports["TCP"] == ((80, 80), (443, 443), (8000, 8080))
    snap = snapshot(
        ns("pci", compliance="pci"),
        ns("shop"),
        pod("pci", "vault", app="vault"),
        pod("shop", "web", tier="edge"),
        pod("shop", "db"),
    )
    assert z.workload_zones(snap) == {"pci/vault": "pci", "shop/web": "dmz", "shop/db": "unzoned"}


def test_coverage_and_expiry(tmp_path):
    z = load_zones(write(tmp_path, GOOD))
    c = z.coverage("dmz", "pci", "TCP", ((443, 443), (5432, 5432)), dt.date(2026, 1, 1))
    assert c.covered == ((443, 443),) and c.uncovered == ((5432, 5432),)
    c = z.coverage("dmz", "pci", "TCP", ((443, 443),), dt.date(2027, 7, 1))
    assert c.uncovered == ((443, 443),) and c.expired_rules and not c.rules
    # last valid day still counts
    assert not z.coverage("dmz", "pci", "TCP", ((443, 443),), dt.date(2027, 6, 30)).uncovered


def test_overlap_needs_priority(tmp_path):
    text = """
zones:
  a: {namespaceSelector: {matchLabels: {team: x}}}
  b: {podSelector: {matchLabels: {tier: edge}}}
"""
    z = load_zones(write(tmp_path, text))
    snap = snapshot(ns("n", team="x"), pod("n", "p", tier="edge"))
    with pytest.raises(ZoneError, match=r"zones.yaml.*zones a, b overlap on pod n/p"):
        z.workload_zones(snap)
    z = load_zones(write(tmp_path, text.replace("edge}}}", "edge}}, priority: 5}")))
    assert z.workload_zones(snap) == {"n/p": "b"}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "zones:\n  a: {podSelector: {}}\nallow:\n  - {from: a, to: nope, justification: x}\n",
            r"allow\[0\].*unknown zone 'nope'",
        ),
        (
            "zones:\n  a: {podSelector: {matchExpressions: [{key: k, operator: Bad}]}}\n",
            r"zone a.*bad selector.*invalid operator",
        ),
        (
            "zones:\n  a: {podSelector: {}}\nallow:\n  - {from: a, to: a, ports: ['TCP/99999'], justification: x}\n",
            r"allow\[0\]\.ports\[0\].*TCP/99999",
        ),
        (
            "zones:\n  a: {podSelector: {}}\nallow:\n  - {from: a, to: a, ports: ['ICMP/1'], justification: x}\n",
            r"protocol must be TCP",
        ),
        (
            "zones:\n  a: {podSelector: {}}\nallow:\n  - {from: a, to: external}\n",
            r"allow\[0\].*justification",
        ),
        ("zones:\n  unzoned: {podSelector: {}}\n", r"built-in zone"),
        ("zones:\n  a: {}\n", r"zone a.*namespaceSelector and/or a podSelector"),
        (
            "zones:\n  a: {podSelector: {}}\nallow:\n  - {from: a, to: a, justification: x, expires: soon}\n",
            r"expires",
        ),
        ("nozones: 1\n", r"top-level 'zones:'"),
        # `zone:` for `zones:` is named; `zones:` with nothing under it was told it needs a `zones:`
        ("zone:\n  a: {podSelector: {}}\n", r"needs a top-level 'zones:' mapping .* \(unknown top-level key "
         r"zone instead\)$"),
        ("zones:\n", r"'zones:' declares no zone: give at least one"),
        ("zones: {}\nallow: []\n", r"'zones:' declares no zone"),
        ("zones:\n  - {name: a, podSelector: {}}\n", r"'zones:' must be a mapping of zone name -> selectors, "
         r"not a list$"),
        ("zones: [unclosed\n", r"not valid YAML at line 2, column 1"),
        ("zones:\n  a: {podSelector: {}, priority: !!int x}\n", r"not valid YAML at line 2, column 34: 'x' is tagged !!int but is not an integer"),
        ("zones: &z {a: {podSelector: {}}, b: *z}\n", r"alias inside its own anchor"),
        ('zones:\n  a: {podSelector: {}, sensitive: "false"}\n', r"zone a.*sensitive must be true or false \(got 'false'\)"),
        ("zones:\n  pci: {podSelector: {}, sensitive: true}\n  pci: {podSelector: {}}\n",
         r"not valid YAML at line 3, column 3.*duplicate key 'pci'"),
        ("zones:\n  a: {podSelector: {}}\nallow: []\nallow:\n  - {from: a, to: a, justification: x}\n",
         r"duplicate key 'allow'"),
        ("zones: " + "[" * 6000 + "]" * 6000 + "\n", r"nested more than 5,000 levels deep"),
        # a mistyped selector field, left out, would read as {}: every namespace in the zone
        ("zones:\n  pci: {namespaceSelector: {matchLabel: {compliance: pci}}}\n",
         r"zone pci: bad selector: namespaceSelector: unknown key matchLabel \(expected matchLabels, "
         r"matchExpressions\)"),
        # labels written without matchLabels: every namespace was in pci
        ("zones:\n  pci: {namespaceSelector: {compliance: pci}}\n",
         r"zone pci: bad selector: namespaceSelector: unknown key compliance"),
        # keys counted in words, and a key YAML reads as no text shown as written, not as Python's
        ("zones:\n  a: {podSelector: {}}\ncolour: red\ntrue: 1\n",
         r"unknown top-level keys colour, true \(expected zones, allow, requiredPolicyAnnotations\)"),
        ("zones:\n  a: {podSelector: {matchExpressions: [{key: app, operator: In, value: [x]}]}}\n",
         r"zone a: bad selector: podSelector.matchExpressions\[0\]: unknown key value "
         r"\(expected key, operator, values\)"),
        # a selector of another shape that is falsy was read as {}: every namespace or pod in the zone
        ('zones:\n  pci: {namespaceSelector: ""}\n', r"zone pci: bad selector: namespaceSelector must be an object"),
        ("zones:\n  pci: {podSelector: 0}\n", r"zone pci: bad selector: podSelector must be an object"),
        ("zones:\n  pci: {podSelector: []}\n", r"zone pci: bad selector: podSelector must be an object"),
    ],
)
def test_bad_files(tmp_path, text, match):
    with pytest.raises(ZoneError, match=match) as ei:
        load_zones(write(tmp_path, text))
    assert "zones.yaml" in str(ei.value)


@pytest.mark.parametrize(("rule", "said"), [
    # a mistyped zone is named with the one meant; the rule and field are said once, not as
    # "allow[0]: allow[0].to: ..."
    ("{from: dmz, to: pcii, justification: x}",
     "allow[0].to: unknown zone 'pcii'; did you mean 'pci'? (known: dmz, external, pci, unzoned)"),
    ("{from: [dmz, extrenal], to: pci, justification: x}",
     "allow[0].from: unknown zone 'extrenal'; did you mean 'external'? (known: dmz, external, pci, unzoned)"),
    ("{from: dmz, to: payments, justification: x}",
     "allow[0].to: unknown zone 'payments' (known: dmz, external, pci, unzoned)"),
    ("{from: 1, to: pci, justification: x}", "allow[0].from: must be a zone name or a list of zone names"),
    ("{from: dmz, to: pci, ports: ['TPC/443'], justification: x}",
     "allow[0].ports[0]: port spec 'TPC/443': protocol must be TCP, UDP or SCTP"),
    ("{from: dmz, to: pci, ports: [], justification: x}",
     "allow[0].ports: must be a non-empty list like ['TCP/443'] (omit it for every port)"),
    ("{from: dmz, to: pci, justification: x, expires: soon}",
     "allow[0].expires: 'soon' is not a date (YYYY-MM-DD)"),
])
def test_a_bad_allow_rule_is_named_once_with_the_zone_meant(tmp_path, rule, said):
    text = ("zones:\n  pci: {namespaceSelector: {matchLabels: {compliance: pci}}}\n"
            "  dmz: {podSelector: {matchLabels: {tier: edge}}}\n"
            f"allow:\n  - {rule}\n")
    path = write(tmp_path, text)
    with pytest.raises(ZoneError) as ei:
        load_zones(path)
    assert str(ei.value) == f"{path}, {said}"


def test_frames_and_html(tmp_path):
    z = load_zones(write(tmp_path, GOOD.replace('"checkout gateway"', '"<b>gw</b>"')))
    assert z.to_frame()["zone"].tolist() == ["pci", "dmz"]
    af = z.allow_frame()
    assert af.loc[0, "expires"] == "2027-06-30" and af.loc[1, "ports"] == "TCP/80, TCP/443, TCP/8000-8080, UDP/53"
    html = z._repr_html_()
    assert "<b>gw</b>" not in html and "&lt;b&gt;gw&lt;/b&gt;" in html
    assert z.names[-2:] == ["unzoned", "external"]


def test_a_ticket_is_kept_with_the_rule_it_approved(tmp_path):
    """``ticket`` (the change that approved an exception, as in the demo's remediation table) was
    accepted and dropped: it is evidence an assessor asks for, as the justification and owner are."""
    text = GOOD.replace('owner: "payments",', 'owner: "payments", ticket: "CHG-5120",')
    text = text.replace("justification: web}", "justification: web, ticket: 4211}")  # YAML reads a number
    z = load_zones(write(tmp_path, text))
    assert [r.ticket for r in z.allow] == ["CHG-5120", "4211"]
    af = z.allow_frame()
    assert list(af.columns) == ["rule", "from", "to", "ports", "justification", "owner", "ticket", "expires"]
    assert af["ticket"].tolist() == ["CHG-5120", "4211"]
    assert "; owner payments; ticket CHG-5120; expires 2027-06-30)" in z._repr_html_()
    assert load_zones(write(tmp_path, GOOD)).allow_frame()["ticket"].tolist() == ["", ""]


@pytest.mark.parametrize("ticket", ["[CHG-1, CHG-2]", "{id: CHG-1}", "true"])
def test_a_ticket_that_is_no_text_is_refused(tmp_path, ticket):
    text = GOOD.replace("justification: web}", f"justification: web, ticket: {ticket}}}")
    with pytest.raises(ZoneError, match=r"zones\.yaml, allow\[1\]: ticket must be text"):
        load_zones(write(tmp_path, text))


def test_the_report_shows_tickets_where_a_rule_has_one(tmp_path):
    import re

    import k8sviz

    snap = k8sviz.load("data/demo/cluster/networkpolicies.yaml")

    def allow_table(text):
        page = k8sviz.report(snap, zones=write(tmp_path, text), generated_at="2024-03-10T09:00:00Z")
        table = page.split('id="zone-allow-table"', 1)[1].split("</table>", 1)[0]
        # the cells as their text reads, without the marks where a line may (not) wrap
        table = re.sub(r'<wbr>|<span class="nowrap">|</span>', "", table)
        return re.findall(r"<th>([^<]*)</th>", table), re.findall(r"<td>([^<]*)</td>", table)

    heads, cells = allow_table(GOOD.replace('owner: "payments",', 'owner: "payments", ticket: "CHG-5120",'))
    assert heads == ["rule", "from", "to", "ports", "justification", "owner", "ticket", "expires"]
    assert cells[:8] == ["allow[0]", "dmz", "pci", "TCP/443", "checkout gateway", "payments", "CHG-5120",
                         "2027-06-30"]
    heads, _ = allow_table(GOOD)  # no rule names a ticket: the table the report always had
    assert heads == ["rule", "from", "to", "ports", "justification", "owner", "expires"]


def test_a_zone_that_matches_no_workload_is_said_everywhere(tmp_path):
    import k8sviz

    typo = tmp_path / "zones.yaml"
    typo.write_text(open("data/demo/zones.yaml").read().replace("{compliance: pci}", "{compliance: pcii}"))
    zones, snap = load_zones(typo), k8sviz.demo()
    assert zones.empty_zones(snap) == ["pci"]
    assert "pci (sensitive)" in zones.empty_zones_text(snap)
    assert load_zones("data/demo/zones.yaml").empty_zones(snap) == []
    assert zones.empty_zones(k8sviz.load("data/demo/cluster/networkpolicies.yaml")) == []  # no pods: no claim
    for cmd in (["gaps", "--demo", "--zones", str(typo), "--summary"], ["segmentation", "--demo", "--zones", str(typo)]):
        assert "zone pci (sensitive) of " in _cli_stderr(cmd)
    with pytest.warns(k8sviz.ZoneWarning, match="^zone pci \\(sensitive\\) of "):
        page = k8sviz.report(snap, zones=typo, generated_at="x")
    assert "zone pci (sensitive) of " in page.split('id="problems"', 1)[1].split("</section>", 1)[0]


@pytest.mark.parametrize(("today", "message"), [
    ("2024-13-01", "today '2024-13-01' is not a date (month must be in 1..12); write YYYY-MM-DD"),
    ("2024-02-30", "today '2024-02-30' is not a date (day is out of range for month); write YYYY-MM-DD"),
    ("tomorrow", "today 'tomorrow' is not a date; write YYYY-MM-DD"),
    ("2024-01-01junk", "today '2024-01-01junk' is not a date; write YYYY-MM-DD"),
    (20240101, "today must be a date or YYYY-MM-DD text, not int 20240101"),
])
def test_a_today_that_is_not_a_date_is_an_input_error(today, message):
    with pytest.raises(InputError) as e:
        resolve_today(today)
    assert str(e.value) == message and isinstance(e.value, K8svizError)


def test_today_forms_and_defaults():
    assert resolve_today("2024-02-29") == dt.date(2024, 2, 29)
    assert resolve_today("2024-02-29T23:59:59Z") == dt.date(2024, 2, 29)
    assert resolve_today(dt.datetime(2024, 2, 29, 12)) == dt.date(2024, 2, 29)
    snap = snapshot(ns("a"))
    snap.meta["collected_at"] = "2024-03-10T00:00:00Z"
    assert resolve_today(None, snap) == resolve_today("", snap) == dt.date(2024, 3, 10)
    with pytest.raises(InputError, match=r"^--today 'x' is not a date"):
        parse_date("x", "--today")


def test_a_zone_whose_pods_all_go_to_a_higher_priority_zone_is_not_empty(tmp_path):
    zones = load_zones({"zones": {
        "team": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "x"}}},
        "cde": {"podSelector": {"matchLabels": {"app": "a"}}, "priority": 10},
        "ghost": {"podSelector": {"matchLabels": {"app": "nope"}}},
    }})
    snap = snapshot(ns("x"), pod("x", "a", app="a"))
    assert zones.empty_zones(snap) == ["ghost"]  # team's selector matches x/a, which cde takes


def rollout(extra=()):
    """Mid-rollout: one ReplicaSet's pod carries the CDE label, the other's does not."""
    def rs_pod(name, rs, **labels):
        p = pod("shop", name, **labels)
        p["metadata"]["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "uid": rs, "controller": True}]
        return p

    return snapshot(
        ns("shop"),
        rs_pod("api-abc-1", "api-abc", app="api", **{"pod-template-hash": "abc"}),
        rs_pod("api-def-2", "api-def", app="api", pci="cde", **{"pod-template-hash": "def"}),
        pod("shop", "web-1", app="web"),
        *extra,
    )


SPLIT_ZONES = {"zones": {"pci": {"podSelector": {"matchLabels": {"pci": "cde"}}, "sensitive": True}}}


def test_a_workload_split_across_zones_is_in_each_and_weighted_as_the_most_sensitive():
    import k8sviz
    from k8sviz.analysis.blast import internet_paths
    from k8sviz.analysis.gaps import gaps
    from k8sviz.analysis.segmentation import segmentation, zoned_frame

    snap = rollout()
    z = load_zones(SPLIT_ZONES)
    assert z.workload_zone_sets(snap)["shop/api"] == ("pci", "unzoned")
    assert z.workload_zones(snap) == {"shop/api": "pci", "shop/web-1": "unzoned"}
    assert z.split_workloads(snap) == {"shop/api": ("pci", "unzoned")}
    assert "shop/api (pci, unzoned)" in z.split_workloads_text(snap)
    reach = k8sviz.reachability(snap)
    split = r"a workload has pods in several zones .*shop/api \(pci, unzoned\)"
    with pytest.warns(k8sviz.ZoneWarning, match=split):
        v = segmentation(snap, reach, z).violations
    pairs = set(zip(v["src"], v["dst"], v["src_zone"], v["dst_zone"], strict=True))
    # web -> the CDE pod of api, and api's two halves to each other: none is hidden
    assert ("shop/web-1", "shop/api", "unzoned", "pci") in pairs
    assert ("shop/api", "shop/web-1", "pci", "unzoned") in pairs
    assert ("shop/api", "shop/api", "unzoned", "pci") in pairs
    assert not any("\x00" in k for k in (*v["src"], *v["dst"]))
    zf = zoned_frame(reach, z)
    assert set(zf.loc[zf["dst"] == "shop/api", "dst_zone"]) == {"pci", "unzoned"}
    df = gaps(snap, reach, zones=z)
    zv = df[(df["finding"] == "zone-violation") & (df["name"] == "api")]
    crit = zv[zv["severity"] == "critical"]
    assert any(e["src_zone"] == "unzoned" and e["dst_zone"] == "pci" for e in crit["evidence"])
    assert all("judged in each" in d for d in zv["detail"])
    iso = df[(df["finding"] == "no-ingress-isolation") & (df["name"] == "api")]
    assert iso["severity"].item() == "high" and iso["evidence"].item()["zones"] == ["pci", "unzoned"]
    assert internet_paths(reach, "pci", z, exposed_only=False)["target"].tolist() == ["shop/api"]


def test_terminated_pods_do_not_zone_a_workload():
    done = pod("shop", "api-old-1", app="api", tier="edge", **{"pod-template-hash": "abc"})
    done["status"]["phase"] = "Succeeded"
    done["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "api-abc", "uid": "api-abc", "controller": True}]
    snap = rollout([done])
    z = load_zones({"zones": {**SPLIT_ZONES["zones"], "dmz": {"podSelector": {"matchLabels": {"tier": "edge"}}}}})
    assert z.workload_zone_sets(snap)["shop/api"] == ("pci", "unzoned")  # not dmz: that pod has ended
    only_done = snapshot(ns("shop"), done)
    assert list(z.workload_zones(only_done).values()) == ["dmz"]  # all ended: their zone still names it


def test_the_cli_names_a_workload_split_across_zones_once(tmp_path):
    """In the library's words (a ZoneWarning: notebooks see it too), printed once by the CLI."""
    import yaml

    snap = rollout()
    dump, zones = snap.save(tmp_path / "s.json"), tmp_path / "zones.yaml"
    zones.write_text(yaml.dump(Dumper=KUBECTL_YAML, data=SPLIT_ZONES))
    for cmd in ("gaps", "segmentation", "report"):
        extra = ["-o", str(tmp_path / "r.html")] if cmd == "report" else []
        err = _cli_stderr([cmd, str(dump), "--zones", str(zones), *extra])
        lines = [line for line in err.splitlines() if "several zones" in line]
        assert len(lines) == 1, err
        assert lines[0].startswith("k8sviz: warning: a workload has pods in several zones")
        assert "shop/api (pci, unzoned)" in lines[0]


RULE = "zones:\n  a: {podSelector: {}}\nallow:\n  - {from: a, to: a, justification: x, "


@pytest.mark.parametrize(
    ("text", "match"),
    [
        # A zone named by a number or null was stored under its text, where no allow rule could name it
        # (and `1` and `"1"` became one zone, the first lost).
        ("zones:\n  1: {podSelector: {}}\n", r"zone 1: a zone name must be text \(got a number 1\); quote it"),
        ("zones:\n  ~: {podSelector: {}}\n", r"zone null: a zone name must be text \(got null\)"),
        # Values that were stored as their Python repr, or lost when falsy.
        ("zones:\n  a: {podSelector: {}, description: [x, y]}\n", r"zone a: description must be text"),
        (RULE + "owner: [p, q]}\n",
         r"allow\[0\]: owner must be text \(got a list \['p', 'q'\]\)"),
        (RULE + "owner: {}}\n",
         r"allow\[0\]: owner must be text \(got a mapping \{\}\)"),
        # A date followed by anything else was cut to its first ten characters.
        (RULE + "expires: 2027-06-301}\n",
         r"zones.yaml, allow\[0\]\.expires: '2027-06-301' is not a date"),
        (RULE + "expires: '2027-06-30 or so'}\n",
         r"expires: '2027-06-30 or so' is not a date"),
        (RULE + "expires: [2027-06-30]}\n",
         r"expires: \['2027-06-30'\] is not a date"),
    ],
)
def test_values_of_the_wrong_type_are_errors_not_coerced(tmp_path, text, match):
    with pytest.raises(ZoneError, match=match) as ei:
        load_zones(write(tmp_path, text))
    assert "zones.yaml" in str(ei.value)


def test_numbers_and_datetimes_keep_their_meaning(tmp_path):
    text = (RULE.replace("{}}\n", "{}, description: 42}\n") + "owner: 0, expires: '2027-06-30T23:00:00Z'}\n"
            "  - {from: a, to: a, justification: x, owner: 1234, expires: 2027-06-30 10:00:00}\n")
    z = load_zones(write(tmp_path, text))
    assert z.zones["a"].description == "42"
    june30 = dt.date(2027, 6, 30)
    assert [(r.owner, r.expires) for r in z.allow] == [("0", june30), ("1234", june30)]


@pytest.mark.parametrize("data", [
    "zones:\n  caf\u00e9: {podSelector: {}}\n".encode("latin-1"),
    "zones:\n  a: {podSelector: {}}\n".encode("utf-16"),
])
def test_a_file_that_is_not_utf8_is_a_zone_error(tmp_path, data):
    p = tmp_path / "zones.yaml"
    p.write_bytes(data)
    with pytest.raises(ZoneError, match=r"zones.yaml: not UTF-8 text \(byte 0x(e9|ff) at line (2|1)\)"):
        load_zones(p)


def test_a_file_that_is_not_utf8_is_a_clean_cli_error(tmp_path, capsys):
    from k8sviz.cli import main

    p = tmp_path / "zones.yaml"
    p.write_bytes(b"zones:\n  caf\xe9: {podSelector: {}}\n")
    assert main(["segmentation", "--demo", "--zones", str(p)]) == 2
    assert f"k8sviz: error: {p}: not UTF-8 text (byte 0xe9 at line 2)" in capsys.readouterr().err


def test_the_largest_priorities_still_rank(tmp_path):
    big = 10**15 - 1
    z = load_zones(write(tmp_path, f"zones:\n  a: {{podSelector: {{}}, priority: {big}}}\n"
                                   f"  b: {{podSelector: {{}}, priority: {big - 1}}}\n"
                                   "  c: {podSelector: {}}\n"
                                   f"  d: {{podSelector: {{}}, priority: {-big}}}\n"))
    assert sorted(["c", "d", "b", "a", "unzoned"], key=z.rank) == ["a", "b", "d", "c", "unzoned"]
    assert z.to_frame()["priority"].tolist()[:2] == [big, big - 1]  # exact in the table's floats
    snap = snapshot(ns("n"), pod("n", "p"))
    assert z.workload_zone_sets(snap) == {"n/p": ("a",)}


@pytest.mark.parametrize("prio", [10**15, -(10**15), 2**63, 10**400, "0x" + "f" * 4000],
                         ids=["16-digits", "16-digits-negative", "2**63", "10**400", "4000-hex-digits"])
def test_a_priority_past_15_digits_is_a_zone_error(tmp_path, prio):
    """YAML ints are unbounded (a hex one past Python's 4300 digits is no error either); past 64
    bits kubectl's YAML reader makes one a float, or text past a float's range: the same error."""
    p = write(tmp_path, f"zones:\n  a: {{podSelector: {{}}}}\n"
                        f"  b: {{podSelector: {{}}, priority: {prio}}}\n")
    with pytest.raises(ZoneError, match=r"zones\.yaml, zone b: priority must be an integer of at most 15 digits \(got "):
        load_zones(p)


def _overlapping(priorities):
    """Zones that all match the one pod n/p, named z0, z1... with these priorities (None: none)."""
    zones = {f"z{i}": {"podSelector": {}} | ({} if prio is None else {"priority": prio})
             for i, prio in enumerate(priorities)}
    return load_zones({"zones": zones}), snapshot(ns("n"), pod("n", "p"))


@pytest.mark.parametrize(("priorities", "winner"), [
    ((None, -1), "z1"),
    ((-1, None), "z0"),
    ((None, -5), "z1"),
    ((None, None, -5), "z2"),
    ((-5, None, -7), "z0"),
    ((None, 0), "z1"),
    ((-3, -2), "z1"),
])
def test_a_zone_with_a_priority_even_negative_outranks_one_without(priorities, winner):
    """The documented order holds for any integer: a negative priority once ranked with None
    (a tie of None and -1 was an overlap error, or the zone without priority won)."""
    z, snap = _overlapping(priorities)
    assert z.workload_zones(snap) == {"n/p": winner}
    ranked = sorted(z.zones, key=z.rank)
    with_priority = [name for name in ranked if z.zones[name].priority is not None]
    assert ranked[0] == winner and ranked[: len(with_priority)] == with_priority


@pytest.mark.parametrize(("priorities", "named"), [
    ((None, None, -1, -1), "z2, z3"),
    ((-1, -1), "z0, z1"),
    ((None, None), "z0, z1"),
])
def test_a_tie_at_the_top_names_the_tied_zones(priorities, named):
    z, snap = _overlapping(priorities)
    with pytest.raises(ZoneError, match=rf"zones {named} overlap on pod n/p"):
        z.workload_zones(snap)


@pytest.mark.parametrize(("path", "match"), [
    (("zones", "a", "sensitive"), r"zone a: sensitive must be true or false \(got <a number too large to show>\)"),
    (("zones", "a", "podSelector", "matchLabels", "app"), r"zone a: bad selector"),
    (("allow", 0, "ports", 0), r"allow\[0\]\.ports\[0\]: port spec <a number too large to show> must be"),
    (("allow", 0, "expires"), r"allow\[0\]\.expires: <a number too large to show> is not a date"),
    (("allow", 0, "owner"), r"allow\[0\]: owner must be text \(got <a number too large to show>\)"),
])
def test_a_dict_with_an_int_too_large_for_text_is_a_zone_error(path, match):
    """``load_zones`` takes a dict too; an int past 4300 digits has no str() or repr() (ValueError)."""
    doc = {"zones": {"a": {"podSelector": {"matchLabels": {"app": "x"}}, "priority": 1, "sensitive": False}},
           "allow": [{"from": "a", "to": "a", "ports": ["TCP/80"], "justification": "x", "owner": "o",
                      "expires": "2027-01-01"}]}
    cur = doc
    for key in path[:-1]:
        cur = cur[key]
    cur[path[-1]] = 10**5000
    with pytest.raises(ZoneError, match=match):
        load_zones(doc)


def test_priorities_stay_integers_in_the_frame_and_the_report_table():
    """A zone without priority next to one with: the frame held floats (10 became 10.0)."""
    import pandas as pd

    from k8sviz.viz.html import table_html

    z = load_zones({"zones": {"a": {"podSelector": {}, "priority": 10}, "b": {"podSelector": {}},
                              "c": {"podSelector": {"matchLabels": {"x": "y"}}, "priority": -3}}})
    col = z.to_frame()["priority"]
    assert str(col.dtype) == "Int64"
    assert col.tolist()[0] == 10 and col.tolist()[2] == -3 and col.isna().tolist() == [False, True, False]
    assert isinstance(col.tolist()[0], int)
    cells = [c for c in table_html(z.to_frame()).split("<td>") if c]
    assert "10</td>" in cells and "-3</td>" in cells and "10.0" not in "".join(cells)
    assert "&lt;NA&gt;" not in table_html(z.to_frame()) and "nan" not in table_html(z.to_frame()).lower()
    assert table_html(pd.DataFrame({"p": pd.array([None], dtype="Int64")})).count("<td></td>") == 1


def test_load_zones_of_no_path_names_the_argument():
    # a list was a TypeError from deep inside pathlib
    with pytest.raises(ZoneError, match=r"^load_zones: path must be a str, pathlib.Path, dict or Zones, got list"):
        load_zones(["data/demo/zones.yaml"])


def test_assign_refuses_an_unknown_level():
    # "workloads" was silently read as "pod": keys were pods where workloads were asked for
    import k8sviz

    zones = load_zones("data/demo/zones.yaml")
    snap = k8sviz.demo()
    assert zones.assign(snap, "workload") == zones.workload_zones(snap)
    assert zones.assign(snap, "pod") == zones.pod_zones(snap)
    with pytest.raises(QueryError, match=r"level must be 'pod' or 'workload', got 'workloads'"):
        zones.assign(snap, "workloads")


# Another cluster's zones: not one selector matches a pod of the demo.
OTHER_CLUSTER = """
zones:
  cde: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: payments}}, sensitive: true}
  edge: {podSelector: {matchLabels: {app: ingress-gateway}}}
allow:
  - {from: edge, to: cde, ports: ["TCP/443"], justification: checkout}
"""
ANOTHER_CLUSTER = (r"^none of the 2 zones of .*zones\.yaml \(cde \(sensitive\), edge\) matches a pod of snapshot "
                   r"'demo-boutique': are the zones for another cluster\?")


def _one_zone_warning(record):
    import k8sviz

    said = [str(w.message) for w in record if issubclass(w.category, k8sviz.ZoneWarning)]
    assert len(said) == 1, said  # one call, one warning: not once per inner analysis
    return said[0]


@pytest.mark.parametrize("name", ["segmentation", "gaps", "graph", "internet_paths", "reachability_diff",
                                  "report"])
def test_zones_of_another_cluster_are_warned_of_by_every_function_that_takes_zones(tmp_path, name):
    # segmentation() returned an all-denied matrix, without a word, as if the cluster were clean
    import k8sviz

    snap = k8sviz.demo()
    reach = k8sviz.reachability(snap)
    zones = write(tmp_path, OTHER_CLUSTER)
    calls = {
        "segmentation": lambda: k8sviz.segmentation(snap, reach, zones),
        "gaps": lambda: k8sviz.gaps(snap, reach, zones=zones),
        "graph": lambda: k8sviz.graph(snap, reach, zones=zones),
        "internet_paths": lambda: k8sviz.internet_paths(reach, "cde", zones),
        "reachability_diff": lambda: k8sviz.reachability_diff(reach, reach, zones=zones),
        "report": lambda: k8sviz.report(snap, reach=reach, zones=zones),
    }
    with pytest.warns(k8sviz.ZoneWarning) as record:
        calls[name]()
    assert record[0].filename == __file__  # the caller's line, not k8sviz's
    said = _one_zone_warning(record)
    assert re.match(ANOTHER_CLUSTER, said), said


def test_a_zone_of_a_segmentation_given_to_gaps_is_warned_of_once(tmp_path):
    import warnings

    import k8sviz

    snap = k8sviz.demo()
    reach = k8sviz.reachability(snap)
    with pytest.warns(k8sviz.ZoneWarning):
        seg = k8sviz.segmentation(snap, reach, write(tmp_path, OTHER_CLUSTER))
    with warnings.catch_warnings():
        warnings.simplefilter("error", k8sviz.ZoneWarning)
        k8sviz.gaps(snap, reach, segmentation=seg)  # said by segmentation() already


def test_zones_that_match_pods_are_no_warning():
    import warnings

    import k8sviz

    snap = k8sviz.demo()
    reach = k8sviz.reachability(snap)
    with warnings.catch_warnings():
        warnings.simplefilter("error", k8sviz.ZoneWarning)
        k8sviz.segmentation(snap, reach, "data/demo/zones.yaml")
        k8sviz.gaps(snap, reach, zones="data/demo/zones.yaml")
        k8sviz.graph(snap, reach, zones="data/demo/zones.yaml")


def _cli_stderr(args):
    """The CLI's stderr, from a real process: pytest would capture a library warning before the CLI
    printed it."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "k8sviz", *args], capture_output=True, text=True,
                          check=True).stderr


def test_a_mistyped_zone_is_named_and_the_cli_says_the_libraries_words_once(tmp_path):
    import k8sviz

    typo = tmp_path / "zones.yaml"
    typo.write_text(Path("data/demo/zones.yaml").read_text().replace("{tier: edge}", "{tier: egde}"))
    snap = k8sviz.demo()
    with pytest.warns(k8sviz.ZoneWarning) as record:
        k8sviz.segmentation(snap, k8sviz.reachability(snap), typo)
    said = _one_zone_warning(record)
    assert said.startswith(f"zone dmz of {typo} matches no pod of snapshot 'demo-boutique': "
                           "check its selectors")
    for cmd in (["segmentation", "--demo", "--zones", str(typo)], ["gaps", "--demo", "--zones", str(typo)]):
        err = _cli_stderr(cmd)
        assert err.count(f"k8sviz: warning: {said}\n") == 1, err


@pytest.mark.parametrize(("old", "new", "hint"), [
    ("{compliance: pci}", "{complaince: pci}",
     "zone pci: no namespace has the label 'complaince'; did you mean 'compliance'?"),
    ("{compliance: pci}", "{compliance: pcii}",
     "zone pci: no namespace has 'compliance=pcii'; did you mean 'compliance=pci'?"),
    ("{tier: edge}", "{teir: edge}", "zone dmz: no pod has the label 'teir'; did you mean 'tier'?"),
    ("{matchLabels: {tier: edge}}", "{matchExpressions: [{key: tier, operator: In, values: [egde]}]}",
     "zone dmz: no pod has 'tier=egde'; did you mean 'tier=edge'?"),
    # nothing spelt nearly as it: no guess
    ("{compliance: pci}", "{compliance: cardholder}", None),
])
def test_an_empty_zone_names_the_label_its_selector_likely_meant(tmp_path, old, new, hint):
    """"check its selectors" left the auditor to find which label of which selector was mistyped."""
    import k8sviz

    typo = write(tmp_path, Path("data/demo/zones.yaml").read_text().replace(old, new))
    said = load_zones(typo).empty_zones_text(k8sviz.demo())
    assert "a mistyped one empties the zone, and its workloads count as unzoned" in said
    if hint is None:
        assert said.endswith("count as unzoned"), said
    else:
        assert said.endswith(f"count as unzoned; {hint}"), said


def test_zones_of_another_cluster_on_the_cli(tmp_path):
    zones = write(tmp_path, OTHER_CLUSTER)
    err = _cli_stderr(["segmentation", "--demo", "--zones", str(zones)])
    lines = [line for line in err.splitlines() if "another cluster" in line]
    assert len(lines) == 1 and re.match(ANOTHER_CLUSTER, lines[0][len("k8sviz: warning: "):])


def test_an_empty_zone_warning_names_at_most_ten_zones(tmp_path):
    import k8sviz

    many = "zones:\n" + "".join(f"  z{i}: {{podSelector: {{matchLabels: {{app: nothing-{i}}}}}}}\n"
                                for i in range(25))
    many += "  shop: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}}\n"
    said = load_zones(write(tmp_path, many)).empty_zones_text(k8sviz.demo())
    assert "z0, z1, z2, z3, z4, z5, z6, z7, z8, z9 and 15 more of " in said


def test_the_one_zone_of_a_file_that_matches_no_pod_is_said_so():
    """It read "the one zone of F, cde (sensitive), matches a pod of snapshot ...": the opposite."""
    import k8sviz

    snap = k8sviz.demo()
    cde = {"podSelector": {"matchLabels": {"pci": "nope"}}, "sensitive": True}
    zones = load_zones({"zones": {"cde": cde}})
    with pytest.warns(k8sviz.ZoneWarning) as said:
        k8sviz.segmentation(snap, k8sviz.reachability(snap), zones)
    (text,) = [str(w.message) for w in said]
    assert text.startswith("the one zone of <zones>, cde (sensitive), matches no pod of snapshot "
                           "'demo-boutique': are the zones for another cluster?"), text


def test_a_zones_file_not_there_is_said_as_a_missing_manifest_or_flow_log_is(tmp_path):
    # it said "cannot read zones file: No such file or directory", Python's capitalised strerror
    import k8sviz

    missing = tmp_path / "nope" / "zones.yaml"
    with pytest.raises(InputError) as manifest:
        k8sviz.load(missing)
    with pytest.raises(ZoneError) as zones:
        load_zones(missing)
    assert str(manifest.value) == f"{missing}: no such file or directory"
    assert str(zones.value) == f"{missing}: no such file or directory (the zones file)"
    assert zones.value.source == str(missing)
    with pytest.raises(ZoneError) as folder:
        load_zones(tmp_path)
    assert str(folder.value) == f"{tmp_path}: a directory, not a zones file: give the zones YAML file"
