"""Calico's own test tables, ported as facts, against k8sviz's selector parser and policy loader.

Sources (projectcalico/calico, read through the code index; the cases are restated here, not
copied):

- ``libcalico-go/lib/selector/parser/parser_test.go``: ``selectorTests`` (selector, labels that
  match, labels that do not), ``badSelectors`` (texts that must not parse) and the inputs of
  ``canonicalisationTests`` (which must parse, and select what their canonical form selects);
- ``libcalico-go/lib/selector/tokenizer/tokenizer_test.go``: ``tokenTests`` (token kinds, or an
  error), compared with :func:`k8sviz.policy.calico_selector._tokenize`;
- ``libcalico-go/lib/validator/v3/validator_test.go``: the ``Validator`` table entries on what
  k8sviz reads from Calico objects (rule actions, ipVersion, protocols, ports, ICMP fields,
  nets, selectors and ``global()``, policy ``types``, ``services``, HTTP matches, pre-DNAT /
  doNotTrack, network sets), against :func:`k8sviz.calico_objects.parse_calico_policy` and
  :func:`~k8sviz.calico_objects.parse_network_set`: an object Calico refuses raises
  :class:`~k8sviz.errors.PolicyError`, one it accepts loads.

Left out, and why:

- ``parser_test.go``'s canonical strings and unique IDs, and its ``Visitor`` table: k8sviz
  keeps the selector text as written and has neither a canonical form nor visitors (each
  canonical form is still checked to parse and to select what its input selects);
- ``label_restriction_test.go``: an index optimisation inside Felix, not the language;
- validator entries on objects k8sviz does not read (IP pools, BGP, Felix and
  kube-controllers configuration, nodes, workload/host endpoints, block affinities, IPNAT,
  ``ProtoPort``) and on fields it does not read (object names and label syntax, rule
  ``metadata`` annotations, HTTP path and method syntax);
- entries that cannot be written as YAML: a port with both a name and numbers
  (``numorstring.Port{PortName, MinPort, MaxPort}``), a rule built with ``protocolFromString``
  that the YAML decoder would not produce as such (``"jolly-UDP"`` is a ``ProtoPort``);
- the newest releases' refusal of a catch-all CIDR in ``notNets``, which older releases
  accepted, so that a snapshot may well hold one: k8sviz loads it with a warning (see
  ``test_calico.py``).  The checks of ``validator.go`` that no table entry exercises (rule
  ``nets`` strictly masked, by the ``net`` tag, and CIDRs rather than lone addresses, by
  ``validateRule``'s ``net.ParseCIDR``) are tested in ``test_calico.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from k8sviz.calico_objects import parse_calico_policy, parse_network_set
from k8sviz.errors import PolicyError
from k8sviz.policy.calico_selector import SelectorError, _tokenize, parse_selector

# ---------------------------------------------------------------------------------------------
# parser_test.go: selectorTests

Labels = dict[str, str]

#: ``(selector, labels that match, labels that do not)``, in the order of ``selectorTests``.
SELECTOR_TESTS: list[tuple[str, list[Labels], list[Labels]]] = [
    ('a == "b"', [{"a": "b"}, {"a": "b", "c": "d"}], [{}, {"a": "c"}, {"c": "d"}]),
    ('a == "b" && c == "d"', [{"a": "b", "c": "d"}],
     [{}, {"a": "b", "c": "e"}, {"a": "c", "c": "d"}, {"c": "d"}, {"a": "b"}]),
    ('a == "b" || c == "d"', [{"a": "b", "c": "d"}, {"a": "b"}, {"c": "d"}],
     [{}, {"a": "e", "c": "e"}, {"c": "e"}, {"a": "e"}]),
    ("a in {\"'\", '\"', \"c\"}", [{"a": "c"}, {"a": '"'}, {"a": "'"}], [{}, {"a": "e"}]),
    ("a not in {\"'\", '\"', \"c\"}", [{}, {"a": "e"}], [{"a": "c"}, {"a": '"'}, {"a": "'"}]),
    ("a == 'a'", [{"a": "a"}], []),
    ('a == "a"', [{"a": "a"}], []),
    ('a != "b"', [{"a": "a"}], []),
    ('a != "a"', [{}], []),
    ('a contains "a"', [{"a": "a"}, {"a": "bab"}, {"a": "aaa", "b": "c"}], [{}, {"a": "b"}, {"b": "aaa"}]),
    ('a starts with "a"', [{"a": "a"}, {"a": "abb"}, {"a": "aaa", "b": "c"}],
     [{}, {"a": "b"}, {"a": "baa"}, {"b": "aaa"}]),
    ('a ends with "a"', [{"a": "a"}, {"a": "bba"}, {"a": "aaa", "b": "c"}],
     [{}, {"a": "b"}, {"a": "aab"}, {"b": "aaa"}]),
    ('a in {"a"}', [{"a": "a"}], []),
    ('!a in {"a"}', [{"a": "b"}], []),
    ('a in {"a", "b"}', [{"a": "a"}], []),
    ('a in {"a", "b"}', [{"a": "b"}], []),
    ('a not in {"d", "e"}', [{"a": "a"}], []),
    ("has(a)", [{"a": "b"}], []),
    ("!has(a)", [{"b": "b"}], []),
    ("", [{}], []),
    (" ", [{}], []),
    ("", [{"a": "b"}], []),
    ("all()", [{}], []),
    (" all()", [{}], []),
    (" all()", [{"a": "b"}], []),
    ("global()", [{}], []),
    (" global()", [{}], []),
    (" global()", [{"a": "b"}], []),
    ("a == 'a'", [], [{"a": "b"}]),
    ("a == 'a'", [], [{}]),
    ('a != "a"', [], [{"a": "a"}]),
    ("a != 'a'", [], [{"a": "a"}]),
    ('a in {"a"}', [], [{"a": "b"}]),
    ('a not in {"a"}', [], [{"a": "a"}]),
    ('a in {"a", "b"}', [], [{"a": "c"}]),
    ("has(b)", [], [{"a": "b"}]),
    ("!!has(b)", [], [{"a": "b"}]),
    ("! has(a)", [], [{"a": "b"}]),
    ("!has(a)", [], [{"a": "b"}]),
    ("!!! has(a)", [], [{"a": "b"}]),
    ("!!!has(a)", [], [{"a": "b"}]),
    ("!! ! has(a)", [], [{"a": "b"}]),
    ("! !!has(a)", [], [{"a": "b"}]),
    # Boolean expressions.
    ("a == 'a1' && b == 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a == 'a1' && b != 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("a != 'a1' && b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("a != 'a1' && b != 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("a != 'a1' && !b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("!a == 'a1' && b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("has(a) && !has(b)", [{"a": "a"}], []),
    ("!has(b) && has(a)", [{"a": "a"}], []),
    ("!(!has(a) || has(b))", [{"a": "a"}], []),
    ("!(has(b) || !has(a))", [{"a": "a"}], []),
    ("a == 'a1' || b == 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a == 'a1' || b != 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a != 'a1' || b == 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a != 'a1' || b != 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("! a == 'a1' || ! b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
]

#: One ``(selector, labels, expected)`` triple per label set of every table row.
SELECTOR_TRIPLES = [
    (sel, labels, expected)
    for sel, yes, no in SELECTOR_TESTS
    for labels, expected in [*((x, True) for x in yes), *((x, False) for x in no)]
]


def test_the_table_is_ported_whole():
    # 58 rows in selectorTests; a row with no label sets would test nothing.
    assert len(SELECTOR_TESTS) == 58
    assert all(yes or no for _, yes, no in SELECTOR_TESTS)
    assert len(SELECTOR_TRIPLES) == 98


@pytest.mark.parametrize(("text", "labels", "expected"), SELECTOR_TRIPLES)
def test_selector_tests(text: str, labels: Labels, expected: bool):
    # Calico's Evaluate() knows nothing of the resource's kind: global() is true there (what
    # global() means in a rule's namespaceSelector comes from the rule translation).
    for is_global in (False, True) if "global()" not in text else (True,):
        assert parse_selector(text).matches(labels, is_global=is_global) is expected


# ---------------------------------------------------------------------------------------------
# parser_test.go: badSelectors

BAD_SELECTORS = [
    "b == b",  # label == label
    "b contains b",
    "b starts with b",
    "b ends with b",
    "'b1' == b",  # literal on the left
    "b",  # bare label
    "a b",
    "!",
    'foo == "bar" &',
    'foo == "bar" |',
    "foo != ||",
    'foo in {"", ||',
    'foo in ""',  # a set literal was expected
    '"FOO',  # unterminated strings
    "\"FOO'",
    "'FOO",
    "(",  # unbalanced parentheses
    '(a == "foo"',
    ")",
    "()",
    "%",  # unexpected characters
    'a == "b" && %',
    'a == "b" || %',
    "a ",  # a label must be followed by an operator
    "has(foo) &&",
]


@pytest.mark.parametrize("text", BAD_SELECTORS)
def test_bad_selectors(text: str):
    with pytest.raises(SelectorError) as e:
        parse_selector(text, "spec.selector", source="f.yaml", obj="GlobalNetworkPolicy/p")
    # The error keeps what was refused and where, and points into the text.
    assert e.value.text == text
    assert e.value.position is not None and 0 <= e.value.position <= len(text)
    assert "spec.selector" in str(e.value)


# ---------------------------------------------------------------------------------------------
# parser_test.go: canonicalisationTests (inputs and their canonical forms)

CANONICAL = [
    ("", "all()"),
    (" all() ", "all()"),
    (" (all() )", "all()"),
    ("! (has( b)||! has(a ))", "!(has(b) || !has(a))"),
    ('! (a == "b"&&! c != "d")', '!(a == "b" && !c != "d")'),
    ("a == \"'\"", "a == \"'\""),
    ("a == '\"'", "a == '\"'"),
    ("a contains '\"'", "a contains '\"'"),
    ("a contains \"'\"", "a contains \"'\""),
    ("a startswith '\"'", "a starts with '\"'"),
    ("a endswith \"'\"", "a ends with \"'\""),
    ("a!='\"'", "a != '\"'"),
    ('a in {"d"}', 'a in {"d"}'),
    ('a in {"a", "b"}', 'a in {"a", "b"}'),
    ('a in {"d", "a", "b"}', 'a in {"a", "b", "d"}'),
    ('a in {"z", "x", "y", "a"}', 'a in {"a", "x", "y", "z"}'),
    ('a in {"z", "z", "x", "y", "x", "a"}', 'a in {"a", "x", "y", "z"}'),
]

#: Label sets that tell the canonicalisation rows apart.
PROBES: list[Labels] = [
    {}, {"a": "a"}, {"a": "b"}, {"b": "x"}, {"a": "x", "b": "x"}, {"a": '"'}, {"a": "'"},
    {"a": "x'y"}, {"a": "'y"}, {"a": "y'"}, {"a": 'x"y'}, {"a": '"y'}, {"a": 'y"'},
    {"a": "b", "c": "d"}, {"a": "b", "c": "e"}, {"a": "d"}, {"a": "z"}, {"a": "c"},
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL)
def test_canonical_forms_select_what_their_input_selects(text: str, canonical: str):
    written, canon = parse_selector(text), parse_selector(canonical)
    assert [written.matches(x) for x in PROBES] == [canon.matches(x) for x in PROBES]
    assert written.is_all is (canonical == "all()")


def test_canonical_operands_keep_their_meaning():
    # The probes do tell these apart (a test of the test).
    assert parse_selector("a startswith '\"'").matches({"a": '"y'})
    assert not parse_selector("a startswith '\"'").matches({"a": 'y"'})
    assert parse_selector('! (a == "b"&&! c != "d")').matches({"a": "b", "c": "e"})
    assert not parse_selector('! (a == "b"&&! c != "d")').matches({"a": "b", "c": "d"})


# ---------------------------------------------------------------------------------------------
# tokenizer_test.go: tokenTests

#: Calico's token kinds, as :func:`_tokenize` names them.
_KIND = {
    "Label": "label", "String": "string", "Eq": "==", "Contains": "contains", "StartsWith": "starts with",
    "EndsWith": "ends with", "NotIn": "not in", "In": "in", "And": "&&", "Or": "||", "Not": "!",
    "Has": "has()", "LBrace": "{", "RBrace": "}", "Comma": ",", "Global": "global()", "All": "all()",
    "EOF": "end",
}

#: ``(input, [(kind, value)...])``; None: the tokenizer must fail.
TOKEN_TESTS: list[tuple[str, list[tuple[str, str]] | None]] = [
    ('a=="b"', [("Label", "a"), ("Eq", ""), ("String", "b"), ("EOF", "")]),
    ('label == "value"', [("Label", "label"), ("Eq", ""), ("String", "value"), ("EOF", "")]),
    ('label contains "value"', [("Label", "label"), ("Contains", ""), ("String", "value"), ("EOF", "")]),
    ('contains contains "contains"',
     [("Label", "contains"), ("Contains", ""), ("String", "contains"), ("EOF", "")]),
    ("contains contains 'contains'",
     [("Label", "contains"), ("Contains", ""), ("String", "contains"), ("EOF", "")]),
    ('label contains"value"', [("Label", "label"), ("Contains", ""), ("String", "value"), ("EOF", "")]),
    ('label startswith "value"', [("Label", "label"), ("StartsWith", ""), ("String", "value"), ("EOF", "")]),
    ('label endswith "value"', [("Label", "label"), ("EndsWith", ""), ("String", "value"), ("EOF", "")]),
    ('label starts with "value"', [("Label", "label"), ("StartsWith", ""), ("String", "value"), ("EOF", "")]),
    ('startswith starts with "value"',
     [("Label", "startswith"), ("StartsWith", ""), ("String", "value"), ("EOF", "")]),
    ('label ends with "value"', [("Label", "label"), ("EndsWith", ""), ("String", "value"), ("EOF", "")]),
    ('endswith ends with "value"',
     [("Label", "endswith"), ("EndsWith", ""), ("String", "value"), ("EOF", "")]),
    ('label starts  with "value"',
     [("Label", "label"), ("StartsWith", ""), ("String", "value"), ("EOF", "")]),
    ('label ends  with "value"', [("Label", "label"), ("EndsWith", ""), ("String", "value"), ("EOF", "")]),
    ('label starts foo "value"', None),
    ('label ends foo "value"', None),
    ('label squiggles "value"', None),
    ('a not in "bar" && !has(foo) || b in c',
     [("Label", "a"), ("NotIn", ""), ("String", "bar"), ("And", ""), ("Not", ""), ("Has", "foo"), ("Or", ""),
      ("Label", "b"), ("In", ""), ("Label", "c"), ("EOF", "")]),
    ("has(calico/k8s_ns)", [("Has", "calico/k8s_ns"), ("EOF", "")]),
    ("has(calico/k8s_ns/role)", [("Has", "calico/k8s_ns/role"), ("EOF", "")]),
    ("has(calico/k8s_NS-.1/role)", [("Has", "calico/k8s_NS-.1/role"), ("EOF", "")]),
    ('calico/k8s_ns == "kube-system" && k8s-app == "kube-dns"',
     [("Label", "calico/k8s_ns"), ("Eq", ""), ("String", "kube-system"), ("And", ""), ("Label", "k8s-app"),
      ("Eq", ""), ("String", "kube-dns"), ("EOF", "")]),
    ('a  not  in  "bar"  &&  ! has( foo )  ||  b  in  c ',
     [("Label", "a"), ("NotIn", ""), ("String", "bar"), ("And", ""), ("Not", ""), ("Has", "foo"), ("Or", ""),
      ("Label", "b"), ("In", ""), ("Label", "c"), ("EOF", "")]),
    ('a notin"bar"&&!has(foo)||b in"c"',
     [("Label", "a"), ("NotIn", ""), ("String", "bar"), ("And", ""), ("Not", ""), ("Has", "foo"), ("Or", ""),
      ("Label", "b"), ("In", ""), ("String", "c"), ("EOF", "")]),
    ("a not in {}", [("Label", "a"), ("NotIn", ""), ("LBrace", ""), ("RBrace", ""), ("EOF", "")]),
    ('a not in {"a"}',
     [("Label", "a"), ("NotIn", ""), ("LBrace", ""), ("String", "a"), ("RBrace", ""), ("EOF", "")]),
    ('a not in {"a","B"}',
     [("Label", "a"), ("NotIn", ""), ("LBrace", ""), ("String", "a"), ("Comma", ""), ("String", "B"),
      ("RBrace", ""), ("EOF", "")]),
    ("global()", [("Global", ""), ("EOF", "")]),
    ("all()", [("All", ""), ("EOF", "")]),
]


def _valued(kind: str) -> bool:
    return kind in ("Label", "String", "Has")


@pytest.mark.parametrize(("text", "expected"), TOKEN_TESTS)
def test_token_tests(text: str, expected: list[tuple[str, str]] | None):
    if expected is None:
        with pytest.raises(SelectorError):
            parse_selector(text)
        return
    got = [(t.kind, t.value if t.kind in ("label", "string", "has()") else "") for t in _tokenize(text)]
    assert got == [(_KIND[k], v if _valued(k) else "") for k, v in expected]


@pytest.mark.parametrize(("text", "expected"), [t for t in TOKEN_TESTS if t[1] is not None])
def test_token_tests_parse_when_they_are_whole_selectors(text: str, expected: list[tuple[str, str]]):
    # ``in``/``not in`` need a set literal: those rows tokenize but are no selectors.
    kinds = [k for k, _ in expected]
    bad = any(k in ("In", "NotIn") and kinds[i + 1] != "LBrace" for i, k in enumerate(kinds))
    if bad:
        with pytest.raises(SelectorError):
            parse_selector(text)
    else:
        parse_selector(text)


# ---------------------------------------------------------------------------------------------
# validator_test.go: the Validator table, where it bears on what k8sviz reads


def policy(spec: dict[str, Any], kind: str = "GlobalNetworkPolicy") -> dict[str, Any]:
    meta = {"name": "thing", **({"namespace": "default"} if kind == "NetworkPolicy" else {})}
    return {"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": meta, "spec": spec}


def rule_policy(
    rule: dict[str, Any], direction: str = "ingress", kind: str = "GlobalNetworkPolicy"
) -> dict[str, Any]:
    return policy({direction: [rule]}, kind)


def accepts(obj: dict[str, Any]) -> bool:
    try:
        parse_calico_policy(obj, "upstream.yaml")
    except PolicyError:
        return False
    return True


ALLOW: dict[str, Any] = {"action": "Allow"}

#: ``(entry, rule, valid)``: the ``api.Rule`` entries, as the YAML that decodes to them.
RULES: list[tuple[str, dict[str, Any], bool]] = [
    # (API) Actions.
    ("should accept allow action", {"action": "Allow"}, True),
    ("should accept deny action", {"action": "Deny"}, True),
    ("should accept log action", {"action": "Log"}, True),
    ("should reject unknown action", {"action": "unknown"}, False),
    ("should reject unknown action (allowfoo)", {"action": "allowfoo"}, False),
    ("should reject rule with no action", {}, False),
    # (API) IP version.
    ("should accept IP version 4", {**ALLOW, "ipVersion": 4}, True),
    ("should accept IP version 6", {**ALLOW, "ipVersion": 6}, True),
    ("should reject IP version 0", {**ALLOW, "ipVersion": 0}, False),
    # (API) Selectors.
    ("should accept valid selector", {**ALLOW, "source": {"selector": 'foo == "bar"'}}, True),
    ("should accept valid selector with 'has' and a '/'",
     {**ALLOW, "source": {"selector": "has(calico/k8s_ns)"}},
     True),
    ("should accept valid selector with 'has' and two '/'",
     {**ALLOW, "source": {"selector": "has(calico/k8s_ns/role)"}}, True),
    ("should accept valid selector with 'has' and two '/' and '-.'",
     {**ALLOW, "source": {"selector": "has(calico/k8s_NS-.1/role)"}}, True),
    ("should reject invalid selector", {**ALLOW, "source": {"selector": "thing=hello &"}}, False),
    # (API) Protocol.
    *((f"should accept protocol {p!r}", {**ALLOW, "protocol": p}, True)
      for p in ("TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite", 1, 255, "255", "1")),
    *((f"should reject protocol {p!r}", {**ALLOW, "protocol": p}, False)
      for p in (0, "256", "0", "tcpfoo", "footcp", "tcp")),
    # (API) ICMPFields, on an ICMP rule.
    ("should accept ICMP with no config", {**ALLOW, "protocol": "ICMP", "icmp": {}}, True),
    ("should accept ICMP with type with min value", {**ALLOW, "protocol": "ICMP", "icmp": {"type": 0}}, True),
    ("should accept ICMP with type with max value",
     {**ALLOW, "protocol": "ICMP", "icmp": {"type": 254}}, True),
    ("should accept ICMP with type and code with min value",
     {**ALLOW, "protocol": "ICMPv6", "icmp": {"type": 128, "code": 0}}, True),
    ("should accept ICMP with type and code with max value",
     {**ALLOW, "protocol": "ICMPv6", "icmp": {"type": 128, "code": 255}}, True),
    ("should reject ICMP with code and no type", {**ALLOW, "protocol": "ICMP", "icmp": {"code": 0}}, False),
    ("should reject ICMP with type too high", {**ALLOW, "protocol": "ICMP", "icmp": {"type": 255}}, False),
    ("should reject ICMP with code too high",
     {**ALLOW, "protocol": "ICMP", "icmp": {"type": 128, "code": 256}}, False),
    ("should reject notICMP with code and no type",
     {**ALLOW, "protocol": "ICMP", "notICMP": {"code": 0}}, False),
    # validateRule checks icmp's protocol only: notICMP is taken with any protocol, or none
    # (k8sviz then leaves the policy unevaluated: what it matches is the dataplane's).
    ("(k8sviz) should accept notICMP with no protocol", {**ALLOW, "notICMP": {"type": 8}}, True),
    ("(k8sviz) should accept notICMP with protocol TCP",
     {**ALLOW, "protocol": "TCP", "notICMP": {"type": 8, "code": 0}}, True),
    ("(k8sviz) should reject notICMP with code and no type, without a protocol",
     {**ALLOW, "notICMP": {"code": 0}}, False),
    # (API) Rule.
    ("should accept Rule with protocol SCTP and no other config", {**ALLOW, "protocol": "SCTP"}, True),
    ("should accept Rule with source ports and protocol type 6",
     {**ALLOW, "protocol": 6, "source": {"ports": [1]}}, True),
    ("should accept Rule with source named ports and protocol type 6",
     {**ALLOW, "protocol": 6, "source": {"ports": ["foo"]}}, True),
    ("should accept Rule with source named ports and protocol type tcp",
     {**ALLOW, "protocol": "TCP", "source": {"ports": ["foo"]}}, True),
    ("should accept Rule with source named ports and protocol type udp",
     {**ALLOW, "protocol": "UDP", "source": {"ports": ["foo"]}}, True),
    ("should accept Rule with empty source ports and protocol type 7",
     {**ALLOW, "protocol": 7, "source": {"ports": []}}, True),
    ("should accept Rule with source !ports and protocol type 17",
     {**ALLOW, "protocol": 17, "source": {"notPorts": [1]}}, True),
    ("should accept Rule with empty source !ports and protocol type 100",
     {**ALLOW, "protocol": 100, "source": {"notPorts": []}}, True),
    ("should accept Rule with dest ports and protocol type tcp",
     {**ALLOW, "protocol": "TCP", "destination": {"ports": [1]}}, True),
    ("should reject Rule with dest ports and no protocol", {**ALLOW, "destination": {"ports": [1]}}, False),
    ("should reject Rule with invalid port (port 0)",
     {**ALLOW, "protocol": "TCP", "destination": {"notPorts": [0]}}, False),
    ("should reject named port Rule with invalid protocol",
     {**ALLOW, "protocol": "unknown", "destination": {"notPorts": ["foo"]}}, False),
    ("should accept Rule with empty dest ports and protocol type SCTP",
     {**ALLOW, "protocol": "SCTP", "destination": {"ports": []}}, True),
    ("should accept Rule with empty dest !ports and protocol type ICMPv6",
     {**ALLOW, "ipVersion": 6, "protocol": "ICMPv6", "destination": {"notPorts": []}}, True),
    ("should reject Rule with icmp fields and no protocol",
     {**ALLOW, "ipVersion": 4, "icmp": {"type": 0}}, False),
    ("should not reject Rule with icmp fields and no ipversion",
     {**ALLOW, "protocol": "ICMP", "icmp": {"type": 0}}, True),
    ("should not reject Rule with icmpv6 fields and no ipversion",
     {**ALLOW, "protocol": "ICMPv6", "icmp": {"type": 0}}, True),
    ("should reject Rule with mismatched ipversion for icmp",
     {**ALLOW, "protocol": "ICMP", "ipVersion": 6}, False),
    ("should reject Rule with mismatched ipversion for icmpv6",
     {**ALLOW, "protocol": "ICMPv6", "ipVersion": 4}, False),
    ("should allow Rule with correct ipversion for icmp",
     {**ALLOW, "ipVersion": 4, "protocol": "ICMP", "icmp": {"type": 0}}, True),
    ("should allow Rule with correct ipversion for icmpv6",
     {**ALLOW, "ipVersion": 6, "protocol": "ICMPv6", "icmp": {"type": 0}}, True),
    ("should reject Rule with source ports and protocol type 7",
     {**ALLOW, "protocol": 7, "source": {"ports": [1]}}, False),
    ("should reject Rule with source !ports and protocol type 100",
     {**ALLOW, "protocol": 100, "source": {"notPorts": [1]}}, False),
    ("should allow Rule with dest ports and protocol type sctp",
     {**ALLOW, "protocol": "SCTP", "destination": {"ports": [1]}}, True),
    ("should reject Rule with dest !ports and protocol type icmp",
     {**ALLOW, "ipVersion": 4, "protocol": "ICMP", "destination": {"notPorts": [1]}}, False),
    ("should reject Rule with invalid source ports and protocol type tcp",
     {**ALLOW, "protocol": "TCP", "source": {"ports": ["200:100"]}}, False),
    ("should reject Rule with invalid source !ports and protocol type tcp",
     {**ALLOW, "protocol": "TCP", "source": {"notPorts": ["200:100"]}}, False),
    ("should reject Rule with invalid dest ports and protocol type tcp",
     {**ALLOW, "protocol": "TCP", "destination": {"ports": ["200:100"]}}, False),
    ("should reject Rule with invalid dest !ports and protocol type tcp",
     {**ALLOW, "protocol": "TCP", "destination": {"notPorts": ["200:100"]}}, False),
    ("should reject Rule with one invalid port in the port range (MinPort 0)",
     {**ALLOW, "protocol": "TCP", "destination": {"notPorts": ["0:100"]}}, False),
    ("Validator errors: should reject Rule with invalid port (0:456)",
     {**ALLOW, "protocol": "TCP", "destination": {"notPorts": ["0:456"]}}, False),
    ("should reject rule mixed IPv4 (src) and IPv6 (dest)",
     {**ALLOW, "protocol": "TCP", "source": {"nets": ["1.2.3.0/26"]},
      "destination": {"nets": ["aabb:aabb::0000/122"]}}, False),
    ("should reject rule mixed IPv6 (src) and IPv4 (dest)",
     {**ALLOW, "protocol": "TCP", "source": {"nets": ["aabb::abcd"]},
      "destination": {"nets": ["1.2.0.0/32"]}}, False),
    ("should reject rule mixed IPv6 version and IPv4 Net",
     {**ALLOW, "protocol": "TCP", "ipVersion": 6, "source": {"nets": ["1.0.0.0/10"]},
      "destination": {"nets": ["1.2.0.0/32"]}}, False),
    ("should reject rule mixed IPVersion and Source Net IP version",
     {**ALLOW, "protocol": "TCP", "ipVersion": 6, "source": {"nets": ["1.2.3.4/32"]}}, False),
    ("should reject rule mixed IPVersion and Dest Net IP version",
     {**ALLOW, "protocol": "TCP", "ipVersion": 4, "destination": {"nets": ["aabb:aabb::ffff/128"]}}, False),
    ("net list: should reject rule mixed IPv6 version and IPv4 Net (notNets)",
     {**ALLOW, "protocol": "TCP", "ipVersion": 6, "source": {"nets": ["1.0.0.0/10"]},
      "destination": {"notNets": ["1.2.0.0/32"]}}, False),
    ("should reject rule with an IPv6 protocol and an IPVersion=4",
     {**ALLOW, "protocol": "ICMPv6", "ipVersion": 4},
     False),
    ("should reject rule with an IPv4 protocol and an IPVersion=6",
     {**ALLOW, "protocol": "ICMP", "ipVersion": 6},
     False),
    ("should accept Allow rule with HTTP clause", {**ALLOW, "http": {"methods": ["GET"]}}, True),
    ("should reject Deny rule with HTTP clause", {"action": "Deny", "http": {"methods": ["GET"]}}, False),
    ("should reject non-TCP protocol with HTTP clause",
     {**ALLOW, "protocol": "UDP", "http": {"methods": ["GET"]}},
     False),
    ("should accept TCP protocol with HTTP clause",
     {**ALLOW, "protocol": "TCP", "http": {"methods": ["GET"]}},
     True),
    ("should accept missing protocol with HTTP clause", {**ALLOW, "http": {"methods": ["GET"]}}, True),
    # (API) Selectors and global() in EntityRules (extra spaces on purpose, as upstream).
    ("disallow global() in EntityRule selector field",
     {**ALLOW, "source": {"selector": "  global()  "}}, False),
    ("allow global() in EntityRule namespaceSelector field",
     {**ALLOW, "source": {"namespaceSelector": "  global()  "}},
     True),
    ("disallow global() in EntityRule namespaceSelector field AND'd with other expressions",
     {**ALLOW, "source": {"namespaceSelector": " global() && all()"}}, False),
    ("disallow global() in EntityRule namespaceSelector field OR'd other expressions",
     {**ALLOW, "source": {"namespaceSelector": "global()||all()"}}, False),
    ("disallow bad selectors in EntityRule selector field",
     {**ALLOW, "source": {"selector": "global() && bad"}},
     False),
]


@pytest.mark.parametrize(("entry", "rule", "valid"), RULES, ids=[r[0] for r in RULES])
def test_validator_rules(entry: str, rule: dict[str, Any], valid: bool):
    assert accepts(rule_policy(rule)) is valid


#: ``(entry, kind, spec, valid)``: the GlobalNetworkPolicy and NetworkPolicy entries.
SVC = {"name": "service1", "namespace": "default"}
POLICIES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("should reject GlobalNetworkPolicy with both PreDNAT and DoNotTrack", "GlobalNetworkPolicy",
     {"preDNAT": True, "doNotTrack": True, "applyOnForward": True}, False),
    ("should accept GlobalNetworkPolicy PreDNAT but not DoNotTrack", "GlobalNetworkPolicy",
     {"preDNAT": True, "applyOnForward": True}, True),
    ("should accept GlobalNetworkPolicy DoNotTrack but not PreDNAT", "GlobalNetworkPolicy",
     {"preDNAT": False, "doNotTrack": True, "applyOnForward": True}, True),
    ("should reject pre-DNAT GlobalNetworkPolicy egress rules", "GlobalNetworkPolicy",
     {"preDNAT": True, "applyOnForward": True, "egress": [ALLOW]}, False),
    ("should accept pre-DNAT GlobalNetworkPolicy ingress rules", "GlobalNetworkPolicy",
     {"preDNAT": True, "applyOnForward": True, "ingress": [ALLOW]}, True),
    ("should accept GlobalNetworkPolicy ApplyOnForward but not PreDNAT", "GlobalNetworkPolicy",
     {"preDNAT": False, "applyOnForward": True}, True),
    ("should accept GlobalNetworkPolicy ApplyOnForward but not DoNotTrack", "GlobalNetworkPolicy",
     {"doNotTrack": False, "applyOnForward": True}, True),
    ("should accept GlobalNetworkPolicy ApplyOnForward and PreDNAT", "GlobalNetworkPolicy",
     {"preDNAT": True, "applyOnForward": True}, True),
    ("should accept GlobalNetworkPolicy ApplyOnForward and DoNotTrack", "GlobalNetworkPolicy",
     {"doNotTrack": True, "applyOnForward": True}, True),
    ("should accept GlobalNetworkPolicy no ApplyOnForward DoNotTrack PreDNAT", "GlobalNetworkPolicy",
     {"preDNAT": False, "doNotTrack": False, "applyOnForward": False}, True),
    ("should reject GlobalNetworkPolicy PreDNAT but not ApplyOnForward", "GlobalNetworkPolicy",
     {"preDNAT": True, "applyOnForward": False}, False),
    ("should reject GlobalNetworkPolicy DoNotTrack but not ApplyOnForward", "GlobalNetworkPolicy",
     {"doNotTrack": True, "applyOnForward": False}, False),
    ("allow ingress Types with pre-DNAT (gnp)", "GlobalNetworkPolicy",
     {"preDNAT": True, "applyOnForward": True, "types": ["Ingress"]}, True),
    ("disallow egress Types with pre-DNAT (gnp)", "GlobalNetworkPolicy",
     {"preDNAT": True, "applyOnForward": True, "types": ["Egress"]}, False),
    ("disallow ingress+egress Types with pre-DNAT (gnp)", "GlobalNetworkPolicy",
     {"preDNAT": True, "applyOnForward": True, "types": ["Ingress", "Egress"]}, False),
    *(
        entry
        for kind, suffix in (("GlobalNetworkPolicy", " (gnp)"), ("NetworkPolicy", ""))
        for entry in (
            ("allow missing Types" + suffix, kind, {}, True),
            ("allow empty Types" + suffix, kind, {"types": []}, True),
            ("allow ingress Types" + suffix, kind, {"types": ["Ingress"]}, True),
            ("allow egress Types" + suffix, kind, {"types": ["Egress"]}, True),
            ("allow ingress+egress Types" + suffix, kind, {"types": ["Ingress", "Egress"]}, True),
            ("disallow repeated egress Types" + suffix, kind, {"types": ["Egress", "Egress"]}, False),
            ("disallow unexpected value" + suffix, kind, {"types": ["unexpected"]}, False),
            ("allow Types without ingress when Ingress present" + suffix, kind,
             {"ingress": [ALLOW], "types": ["Egress"]}, True),
            ("allow Types without egress when Egress present" + suffix, kind,
             {"egress": [ALLOW], "types": ["Ingress"]}, True),
            ("allow Types with ingress when Ingress present" + suffix, kind,
             {"ingress": [ALLOW], "types": ["Ingress"]}, True),
            ("allow Types with ingress+egress when Ingress present" + suffix, kind,
             {"ingress": [ALLOW], "types": ["Ingress", "Egress"]}, True),
            ("allow Types with egress when Egress present" + suffix, kind,
             {"egress": [ALLOW], "types": ["Egress"]}, True),
            ("allow Types with ingress+egress when Egress present" + suffix, kind,
             {"egress": [ALLOW], "types": ["Ingress", "Egress"]}, True),
            ("disallow HTTP in egress rule" + suffix, kind,
             {"egress": [{**ALLOW, "http": {"methods": ["GET"]}}], "types": ["Ingress", "Egress"]}, False),
            ("disallow global() in selector field" + suffix, kind, {"selector": "global()"}, False),
            ("disallow global() in serviceAccountSelector field" + suffix, kind,
             {"serviceAccountSelector": "global()"}, False),
            ("allow global() and projectcalico.org/name in EntityRule namespaceSelector field" + suffix, kind,
             {"ingress": [{**ALLOW, "source": {"namespaceSelector": "global()"},
                           "destination": {"namespaceSelector": "projectcalico.org/name == 'test'"}}]}, True),
        )
    ),
    ("disallow global() in namespaceSelector field", "GlobalNetworkPolicy", {"namespaceSelector": "global()"},
     False),
    ("disallow global() in EntityRule selector field (gnp)", "GlobalNetworkPolicy",
     {"ingress": [{**ALLOW, "source": {"selector": "global()"}}]}, False),
    # Services.
    ("allow a Service match in an egress rule destination", "NetworkPolicy",
     {"egress": [{**ALLOW, "destination": {"services": SVC}}]}, True),
    ("disallow a Service match in an egress rule source", "NetworkPolicy",
     {"egress": [{**ALLOW, "source": {"services": SVC}}]}, False),
    ("allow a Service match in an ingress rule source", "NetworkPolicy",
     {"ingress": [{**ALLOW, "source": {"services": SVC}}]}, True),
    ("disallow a Service match in an ingress rule destination", "NetworkPolicy",
     {"ingress": [{**ALLOW, "destination": {"services": SVC}}]}, False),
    ("disallow a Service match AND a ServiceAccount match", "NetworkPolicy",
     {"egress": [{**ALLOW, "destination": {"serviceAccounts": {"names": ["serviceaccount"]},
                                           "services": SVC}}]},
     False),
    ("disallow a Service match AND a Ports match on an egress destination rule", "NetworkPolicy",
     {"egress": [{**ALLOW, "protocol": "TCP", "destination": {"ports": [80], "services": SVC}}]}, False),
    ("disallow a Service match AND a NotPorts match on an egress destination rule", "NetworkPolicy",
     {"egress": [{**ALLOW, "protocol": "TCP", "destination": {"notPorts": [80], "services": SVC}}]}, False),
    ("allow a Service match AND a Ports match on an ingress source rule", "NetworkPolicy",
     {"ingress": [{**ALLOW, "protocol": "TCP", "source": {"ports": [80], "services": SVC}}]}, True),
    ("allow a Service match AND a NotPorts match on an ingress source rule", "NetworkPolicy",
     {"ingress": [{**ALLOW, "protocol": "TCP", "source": {"notPorts": [80], "services": SVC}}]}, True),
    *(
        (f"disallow a Service match AND a {field} match", "NetworkPolicy",
         {"egress": [{**ALLOW, "destination": {field: value, "services": SVC}}]}, False)
        for field, value in (("nets", ["10.0.0.0/8"]), ("notNets", ["10.0.0.0/8"]), ("selector", "x == 'y'"),
                             ("notSelector", "x == 'y'"), ("namespaceSelector", "x == 'y'"))
    ),
    ("disallow a Service match in an ingress rule destination (gnp)", "GlobalNetworkPolicy",
     {"ingress": [{**ALLOW, "destination": {"services": SVC}}]}, False),
    ("disallow a Service match without a namespace on a GNP", "GlobalNetworkPolicy",
     {"egress": [{**ALLOW, "destination": {"services": {"name": "service1"}}}]}, False),
    ("disallow a Service match AND a NamespaceSelector match on a GNP", "GlobalNetworkPolicy",
     {"egress": [{**ALLOW, "destination": {"namespaceSelector": "x == 'y'", "services": SVC}}]}, False),
]


@pytest.mark.parametrize(("entry", "kind", "spec", "valid"), POLICIES, ids=[p[0] for p in POLICIES])
def test_validator_policies(entry: str, kind: str, spec: dict[str, Any], valid: bool):
    assert accepts(policy(spec, kind)) is valid


def network_set(
    nets: list[str], labels: dict[str, str] | None = None, *, kind: str = "GlobalNetworkSet"
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "testset", **({"namespace": "default"} if kind == "NetworkSet" else {})}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": meta, "spec": {"nets": nets}}


@pytest.mark.parametrize("kind", ["GlobalNetworkSet", "NetworkSet"])
def test_validator_network_sets(kind: str):
    # should accept (Global)NetworkSetSpec with CIDRs and IPs
    s = parse_network_set(network_set(["10.0.0.1", "11.0.0.0/8", "dead:beef::", "dead:beef::/96"], kind=kind))
    assert [n.cidr for n in s.nets] == ["10.0.0.1/32", "11.0.0.0/8", "dead:beef::/128", "dead:beef::/96"]
    # should accept (Global)NetworkSet with labels
    assert parse_network_set(network_set(["10.0.0.1"], {"a": "b"}, kind=kind)).labels == {"a": "b"}
    # should reject (Global)NetworkSetSpec with bad CIDR
    with pytest.raises(PolicyError, match="garbage"):
        parse_network_set(network_set(["garbage"], kind=kind))
    # should reject (Global)NetworkSet with reserved labels
    with pytest.raises(PolicyError, match=r"projectcalico\.org/namespace"):
        parse_network_set(network_set(["10.0.0.1"], {"projectcalico.org/namespace": "foo"}, kind=kind))


# Selector syntax in the validator entries on other kinds (the same parser decides).
@pytest.mark.parametrize("text", ['foo == "bar"', "has(mylabel)"])
def test_validator_selectors_on_other_kinds_parse(text: str):
    parse_selector(text)


@pytest.mark.parametrize("text", ["this is not valid selector syntax",
                                  "kubernetes.io/hostname: == 'casey-crc-kadm-node-4'"])
def test_validator_selectors_on_other_kinds_do_not_parse(text: str):
    with pytest.raises(SelectorError):
        parse_selector(text)
