"""Calico selector language: grammar, semantics and errors as in libcalico-go/lib/selector."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k8sviz.errors import InputError, PolicyError
from k8sviz.policy.calico_selector import (
    MAX_LABEL_LENGTH,
    MAX_NESTING,
    Selector,
    SelectorError,
    parse_selector,
)


def m(text: str, labels: dict[str, str] | None = None, *, is_global: bool = False) -> bool:
    return parse_selector(text).matches(labels or {}, is_global=is_global)


# ---------------------------------------------------------------------------------- operators


def test_eq_needs_the_label_with_that_value():
    assert m('app == "web"', {"app": "web"})
    assert m('app == "web"', {"app": "web", "x": "y"})
    assert not m('app == "web"', {"app": "db"})
    assert not m('app == "web"', {})
    assert not m('app == "web"', {"other": "web"})


def test_ne_is_true_when_the_label_is_absent():
    assert m('app != "web"', {})
    assert m('app != "web"', {"other": "web"})
    assert m('app != "web"', {"app": "db"})
    assert not m('app != "web"', {"app": "web"})


def test_in_needs_the_label_with_a_listed_value():
    sel = 'tier in {"a", "b"}'
    assert m(sel, {"tier": "a"})
    assert m(sel, {"tier": "b"})
    assert not m(sel, {"tier": "c"})
    assert not m(sel, {})


def test_not_in_is_true_when_the_label_is_absent():
    sel = "tier not in {'a', 'b'}"
    assert m(sel, {})
    assert m(sel, {"tier": "c"})
    assert not m(sel, {"tier": "a"})
    assert not m(sel, {"tier": "b"})


def test_sets_may_be_empty_or_end_with_a_comma_as_in_calico():
    # Calico's parser accepts `{}` (its tokenizer test tokenizes `a not in {}`) and a trailing comma.
    assert not m("a in {}", {"a": ""})
    assert not m("a in {}", {})
    assert m("a not in {}", {"a": "x"})
    assert m("a not in {}", {})
    assert m('a in {"x",}', {"a": "x"})
    assert not m('a in {"x",}', {"a": ""})


def test_has_and_not_has():
    assert m("has(app)", {"app": ""})
    assert not m("has(app)", {"ap": "x"})
    assert m("!has(app)", {})
    assert not m("!has(app)", {"app": "x"})
    assert m("has( app )", {"app": "x"})  # spaces inside the parentheses are allowed
    assert m("! has(app)", {})


def test_contains_starts_with_ends_with():
    assert m('a contains "ell"', {"a": "hello"})
    assert not m('a contains "xyz"', {"a": "hello"})
    assert m('a starts with "he"', {"a": "hello"})
    assert not m('a starts with "lo"', {"a": "hello"})
    assert m('a ends with "lo"', {"a": "hello"})
    assert not m('a ends with "he"', {"a": "hello"})
    # all three need the label to be present, even with an empty literal
    for op in ("contains", "starts with", "ends with"):
        assert m(f'a {op} ""', {"a": "anything"})
        assert not m(f'a {op} ""', {})


def test_compact_operator_spellings_that_calico_accepts():
    assert m('a startswith "he"', {"a": "hello"})
    assert m('a starts  with "he"', {"a": "hello"})
    assert m('a endswith "lo"', {"a": "hello"})
    assert m('a notin {"x"}', {"a": "y"})
    assert not m('a notin{"x"}', {"a": "x"})
    assert m('a in{"x"}', {"a": "x"})
    assert m('a contains"ell"', {"a": "hello"})
    assert m("a==\"b\"&&c!='d'", {"a": "b"})


def test_operator_words_need_a_word_boundary():
    with pytest.raises(SelectorError, match="after label 'a'"):
        parse_selector('a inx {"b"}')
    with pytest.raises(SelectorError, match="after label 'a'"):
        parse_selector('a containsx "b"')


def test_label_names_may_equal_operator_words():
    assert m('contains contains "contains"', {"contains": "xcontainsx"})
    assert m('in in {"in"}', {"in": "in"})
    assert m('has == "x"', {"has": "x"})
    assert m('all == "x"', {"all": "x"})


def test_all_matches_everything_and_not_all_nothing():
    assert m("all()", {})
    assert m("all()", {"a": "b"})
    assert m("all( )", {"a": "b"})
    assert not m("!all()", {})
    assert not m("!all()", {"a": "b"})


def test_empty_or_blank_text_means_all():
    for text in ("", " ", "\t  "):
        sel = parse_selector(text)
        assert sel.matches({}) and sel.matches({"a": "b"})
        assert sel.is_all


def test_global_evaluates_to_is_global():
    sel = parse_selector("global()")
    assert sel.matches({}, is_global=True)
    assert not sel.matches({})
    assert not sel.matches({"a": "b"}, is_global=False)
    assert m("!global()", {}, is_global=False)
    assert not m("!global()", {}, is_global=True)
    assert m("global() || has(a)", {"a": "x"})
    assert m("global() || has(a)", {}, is_global=True)
    assert not m("global() || has(a)", {})
    assert not m("global() && has(a)", {"a": "x"})


def test_is_global_does_not_change_other_operators():
    for text in ('a == "b"', "has(a)", "all()", 'a != "c"'):
        sel = parse_selector(text)
        assert sel.matches({"a": "b"}, is_global=True) == sel.matches({"a": "b"}, is_global=False)


# ------------------------------------------------------------------------- precedence, grouping


def test_and_binds_tighter_than_or():
    sel = parse_selector('a == "1" || b == "2" && c == "3"')  # a == "1" || (b == "2" && c == "3")
    assert sel.matches({"a": "1"})
    assert not sel.matches({"b": "2"})
    assert sel.matches({"b": "2", "c": "3"})
    assert not sel.matches({"c": "3"})
    grouped = parse_selector('(a == "1" || b == "2") && c == "3"')
    assert not grouped.matches({"a": "1"})
    assert grouped.matches({"a": "1", "c": "3"})
    assert grouped.matches({"b": "2", "c": "3"})


def test_and_first_then_or_on_the_left_too():
    sel = parse_selector('a == "1" && b == "2" || c == "3"')  # (a && b) || c
    assert sel.matches({"c": "3"})
    assert not sel.matches({"a": "1"})
    assert sel.matches({"a": "1", "b": "2"})


def test_not_binds_tightest():
    sel = parse_selector('!a == "1" && b == "2"')  # (!(a == "1")) && b == "2"
    assert sel.matches({"b": "2"})
    assert sel.matches({"a": "0", "b": "2"})
    assert not sel.matches({"a": "1", "b": "2"})
    assert not sel.matches({"a": "0"})
    whole = parse_selector('!(a == "1" && b == "2")')
    assert whole.matches({"a": "1"})
    assert not whole.matches({"a": "1", "b": "2"})
    # `!` applies to one whole match operation, e.g. `!a in {...}` is `!(a in {...})`
    assert m('!a in {"a"}', {"a": "b"})
    assert m('!a in {"a"}', {})
    assert not m('!a in {"a"}', {"a": "a"})


def test_calico_docs_precedence_example():
    sel = parse_selector("! has(my-label) || my-label starts with 'prod' && role in {'frontend','business'}")
    assert sel.matches({})
    assert sel.matches({"role": "x"})
    assert sel.matches({"my-label": "production", "role": "business"})
    assert not sel.matches({"my-label": "production", "role": "db"})
    assert not sel.matches({"my-label": "dev", "role": "frontend"})


def test_repeated_not_collapses_to_its_parity():
    assert m("!!has(a)", {"a": "x"})
    assert not m("!!has(a)", {})
    assert m("!!!has(a)", {})
    assert m("!! ! has(a)", {})
    assert not m("! !!has(a)", {"a": "x"})


def test_parentheses_group_and_nest():
    sel = parse_selector("!(!has(a) || has(b))")  # has(a) && !has(b)
    assert sel.matches({"a": "1"})
    assert not sel.matches({"a": "1", "b": "2"})
    assert not sel.matches({})
    assert m("((( has(a) )))", {"a": "x"})
    assert m(" (all() )", {})
    nested = parse_selector('(a == "1" || (b == "2" && (c == "3" || d == "4")))')
    assert nested.matches({"b": "2", "d": "4"})
    assert not nested.matches({"b": "2"})


def test_both_quote_styles_and_quotes_inside_strings():
    assert m("a == 'x'", {"a": "x"})
    assert m('a == "x"', {"a": "x"})
    assert m('a == "\'"', {"a": "'"})
    assert m("a == '\"'", {"a": '"'})
    assert m("""a in {"'", '"', "c"}""", {"a": '"'})
    assert m("""a in {"'", '"', "c"}""", {"a": "'"})
    # no escapes: a backslash is an ordinary character
    assert m(r'a == "x\y"', {"a": "x\\y"})
    # any character inside a string, including spaces and operators
    assert m('a == "x && y || (z)"', {"a": "x && y || (z)"})


def test_label_keys_take_dns_prefix_slash_dot_dash_underscore():
    assert m('app.kubernetes.io/name == "web"', {"app.kubernetes.io/name": "web"})
    assert m("has(calico/k8s_NS-.1/role)", {"calico/k8s_NS-.1/role": ""})
    assert m(
        'k8s-app == "kube-dns" && projectcalico.org/namespace == "kube-system"',
        {"k8s-app": "kube-dns", "projectcalico.org/namespace": "kube-system"},
    )
    assert m('_x.9 == "1"', {"_x.9": "1"})


def test_label_key_length_limit_is_calicos():
    ok = "k" * MAX_LABEL_LENGTH
    assert m(f'{ok} == "v"', {ok: "v"})
    with pytest.raises(SelectorError, match="longer than 512"):
        parse_selector("k" * (MAX_LABEL_LENGTH + 1) + ' == "v"')
    with pytest.raises(SelectorError, match="longer than 512"):
        parse_selector("has(" + "k" * (MAX_LABEL_LENGTH + 1) + ")")


def test_whitespace_is_spaces_and_tabs_only():
    assert m('\ta\t==\t"b"\t&&\thas(c) ', {"a": "b", "c": ""})
    for text in ('a == "b"\n', 'a ==\n"b"', "\r\nhas(a)", 'a\u00a0== "b"'):
        with pytest.raises(SelectorError, match="only spaces and tabs"):
            parse_selector(text)


# ---------------------------------------------------------------------------- the Selector API


def test_keys_lists_every_label_looked_at():
    sel = parse_selector(
        "!has(a) || b == 'x' && (c != 'y' || d in {'1'}) && e not in {} && f contains 'z'"
        " || g starts with 'p' || h ends with 's' || all() || global()"
    )
    assert sel.keys == frozenset("abcdefgh")
    assert parse_selector("all()").keys == frozenset()
    assert parse_selector("").keys == frozenset()
    assert parse_selector("global()").keys == frozenset()


def test_is_all_only_for_exactly_all():
    assert parse_selector("all()").is_all
    assert parse_selector(" ( all() ) ").is_all
    assert parse_selector("").is_all
    assert not parse_selector("!all()").is_all
    assert not parse_selector("all() && has(a)").is_all
    assert not parse_selector("all() || has(a)").is_all
    assert not parse_selector("global()").is_all
    assert not parse_selector("has(a)").is_all


def test_str_is_the_original_text_and_equality_is_by_text():
    text = "  a=='b'   &&  has( c )"
    sel = parse_selector(text)
    assert str(sel) == text
    assert sel.text == text
    assert sel == Selector(text)
    assert hash(sel) == hash(Selector(text))
    assert sel != parse_selector("a == 'b' && has(c)")
    assert {sel, Selector(text)} == {sel}


def test_selector_is_frozen():
    sel = parse_selector("has(a)")
    with pytest.raises(dataclasses.FrozenInstanceError):
        sel.text = "has(b)"  # type: ignore[misc]


def test_selector_constructor_parses_too():
    assert Selector("has(a)").matches({"a": ""})
    with pytest.raises(SelectorError, match="unterminated string"):
        Selector('a == "b')


def test_parsed_selectors_are_cached():
    text = "cache-test == 'yes' || has(cache-test-2)"
    assert parse_selector(text) is parse_selector(text)
    assert parse_selector(text, "other.where", source="f.yaml", obj="x") is parse_selector(text)


def test_works_with_any_mapping():
    from types import MappingProxyType

    assert m("has(a)", MappingProxyType({"a": "1"}))  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------- errors


BAD = [
    ('a == "b', "unterminated string"),
    ("a == 'b", "unterminated string"),
    ("'FOO", "unterminated string"),
    ("\"FOO'", "unterminated string"),
    ("foo(a)", "unknown function 'foo()'"),
    ("Has(a)", "unknown function 'Has()'"),
    ("has (a)", "no space"),
    ("has()", "has() needs a label key"),
    ("has(a b)", "no closing ')' after has("),
    ("has(a", "no closing ')' after has("),
    ("all(x)", "no closing ')' after all("),
    ("global(x)", "no closing ')' after global("),
    ('a == "b" c == "d"', "unexpected label 'c' after a complete expression"),
    ('a == "b" has(c)', "after a complete expression"),
    ('a == "b")', "unbalanced ')'"),
    ('(a == "b"', "expected ')'"),
    ("(", "unexpected end"),
    (")", "unexpected ')'"),
    ("()", "unexpected ')'"),
    ("!", "unexpected end"),
    ("a", "expected an operator"),
    ("a ", "expected an operator"),
    ("a b", "expected an operator"),
    ("a ==", "expected a quoted string after '=='"),
    ("b == b", "expected a quoted string after '=='"),
    ("b contains b", "expected a quoted string after 'contains'"),
    ("b starts with b", "expected a quoted string after 'starts with'"),
    ("b ends with b", "expected a quoted string after 'ends with'"),
    ("'b1' == b", "unexpected string 'b1'"),
    ('a = "b"', "expected '=='"),
    ('a == "b" & has(c)', "expected '&&'"),
    ('a == "b" | has(c)', "expected '||'"),
    ('foo == "bar" &&', "unexpected end"),
    ("has(foo) ||", "unexpected end"),
    ("a != ||", "expected a quoted string after '!='"),
    ('a in "b"', "expected a set literal"),
    ('a in {"b"', "expected '}'"),
    ('a in {"", ||', "expected '}'"),
    ("a in {,}", "expected '}'"),
    ('a in {"a" "b"}', "expected '}'"),
    ("a in {a}", "expected '}'"),
    ('a like "x"', "after label 'a', found 'like'"),
    ('a > "1"', "found '>'"),
    ('a starts "x"', "expected an operator"),
    ("%", "unexpected character '%'"),
    ('a == "b" && %', "unexpected character '%'"),
    ('app\u00e9 == "x"', "after label 'app', found '\u00e9'"),
    ('\u00e9 == "x"', "unexpected character '\u00e9'"),
    ('a == "b" && && has(c)', "unexpected '&&'"),
    ("|| has(a)", "unexpected '||'"),
]


@pytest.mark.parametrize(("text", "reason"), BAD)
def test_invalid_selectors_are_rejected_with_a_reason(text: str, reason: str):
    with pytest.raises(SelectorError) as info:
        parse_selector(text)
    assert reason in str(info.value)
    assert repr(text) in str(info.value)  # the message quotes the text
    assert info.value.text == text
    assert info.value.position is not None and 0 <= info.value.position <= len(text)


def test_error_names_position_where_source_and_object():
    with pytest.raises(SelectorError) as info:
        parse_selector(
            'role == "db" && tier = "x"',
            "ingress[0].source.selector",
            source="policies.yaml",
            obj="NetworkPolicy/prod/db",
        )
    err = info.value
    assert isinstance(err, PolicyError) and isinstance(err, InputError)
    assert err.source == "policies.yaml"
    assert err.obj == "NetworkPolicy/prod/db"
    assert err.position == 21
    assert str(err).startswith("policies.yaml, NetworkPolicy/prod/db: ingress[0].source.selector: ")
    assert "at position 21" in str(err)
    assert '\'role == "db" && tier = "x"\'' in str(err)


def test_error_position_points_at_the_problem():
    cases = {'a == "b" && c == d': 17, "has(a) && x": 11, "(has(a)": 7, 'a == "b': 5, "a == 'b' ) ": 9}
    for text, pos in cases.items():
        with pytest.raises(SelectorError) as info:
            parse_selector(text)
        assert info.value.position == pos, text


def test_long_text_is_shortened_in_the_message():
    text = "has(a) && " * 500 + "%"
    with pytest.raises(SelectorError) as info:
        parse_selector(text)
    msg = str(info.value)
    assert len(msg) < 400
    assert "%" in msg and f"({len(text)} characters)" in msg
    assert info.value.text == text  # the whole text stays available


@pytest.mark.parametrize("value", [None, 5, 1.5, b"has(a)", ["has(a)"], {"a": "b"}, True])
def test_non_string_input_is_a_selector_error(value: object):
    with pytest.raises(SelectorError, match="must be a string") as info:
        parse_selector(value, "spec.namespaceSelector", source="f.yaml")  # type: ignore[arg-type]
    assert str(info.value).startswith("f.yaml: spec.namespaceSelector: ")
    with pytest.raises(SelectorError, match="must be a string"):
        Selector(value)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ hostile input


def test_nesting_up_to_the_limit_is_fine_and_beyond_is_an_error():
    deep = "(" * MAX_NESTING + "has(a)" + ")" * MAX_NESTING
    assert parse_selector(deep).matches({"a": ""})
    deep_not = "!(" * MAX_NESTING + "has(a)" + ")" * MAX_NESTING  # even count: has(a)
    assert parse_selector(deep_not).matches({"a": ""})
    assert not parse_selector(deep_not).matches({})
    too_deep = "(" * (MAX_NESTING + 1) + "has(a)" + ")" * (MAX_NESTING + 1)
    with pytest.raises(SelectorError, match=f"deeper than {MAX_NESTING}"):
        parse_selector(too_deep)


def test_ten_thousand_open_parentheses_is_a_selector_error_not_recursion_error():
    for text in ("(" * 10_000, "(" * 10_000 + "has(a)" + ")" * 10_000, "!(" * 10_000 + "has(a)"):
        with pytest.raises(SelectorError, match="deeper than"):
            parse_selector(text)


def test_ten_thousand_nots_is_a_selector_error_not_recursion_error():
    with pytest.raises(SelectorError, match="unexpected end"):
        parse_selector("!" * 10_000)
    with pytest.raises(SelectorError, match="unexpected end"):
        parse_selector("! " * 10_000)


def test_long_runs_of_not_collapse_without_recursion_as_in_calico():
    # Calico folds any run of `!` into one negation (parser.go parseOperation), so this is valid.
    assert parse_selector("!" * 10_000 + "has(a)").matches({"a": ""})
    assert parse_selector("!" * 10_001 + "has(a)").matches({})
    assert not parse_selector("!" * 10_001 + "has(a)").matches({"a": ""})


def test_long_flat_expressions_parse_and_evaluate():
    # 20,000 terms: a recursive parser or evaluator would hit Python's recursion limit (speed
    # is bench/'s to measure, not a test's).
    n = 20_000
    conj = " && ".join(f"has(k{i})" for i in range(n))
    disj = " || ".join(f"k{i} == 'v'" for i in range(n))
    labels = {f"k{i}": "v" for i in range(n)}
    assert parse_selector(conj).matches(labels)
    assert not parse_selector(conj).matches({})
    assert parse_selector(disj).matches({f"k{n - 1}": "v"})
    assert not parse_selector(disj).matches({})
    with pytest.raises(SelectorError, match="unterminated string"):
        parse_selector('a == "' + "x" * 1_000_000)
    with pytest.raises(SelectorError, match="longer than 512"):
        parse_selector("k" * 1_000_000)
    with pytest.raises(SelectorError, match="unexpected end"):
        parse_selector("has(a) && " * 100_000)


# ------------------------------------------------------------------------------- properties

KEYS = ["a", "b", "app.kubernetes.io/name", "k8s-app"]
VALUES = ["", "x", "y", "xy", "a'b", 'a"b']


@st.composite
def _literal(draw: st.DrawFn, value: str) -> str:
    quotes = [q for q in ('"', "'") if q not in value]
    return (q := draw(st.sampled_from(quotes))) + value + q


_ws = st.sampled_from(["", " ", "  ", "\t"])


Model = Callable[[Mapping[str, str], bool], bool]


@st.composite
def _expr(draw: st.DrawFn, depth: int = 0) -> tuple[str, Model]:
    """(text, model): a random selector text and a reference evaluator (labels, is_global) -> bool."""
    sp = draw(_ws)
    choice = draw(st.integers(0, 12 if depth < 3 else 9))
    key = draw(st.sampled_from(KEYS))
    value = draw(st.sampled_from(VALUES))
    model: Model
    if choice == 0:
        return sp + "all()", lambda lab, g: True
    if choice == 1:
        return sp + "global()", lambda lab, g: g
    if choice == 2:
        return f"{sp}has({sp}{key}{sp})", lambda lab, g: key in lab
    if choice in (3, 4, 5, 6, 7):
        op, model = {
            3: ("==", lambda lab, g: lab.get(key) == value),
            4: ("!=", lambda lab, g: lab.get(key) != value),
            5: ("contains", lambda lab, g: key in lab and value in lab[key]),
            6: ("starts with", lambda lab, g: key in lab and lab[key].startswith(value)),
            7: ("ends with", lambda lab, g: key in lab and lab[key].endswith(value)),
        }[choice]
        lit = draw(_literal(value))
        return f"{sp}{key} {op}{draw(_ws)}{lit}", model
    if choice in (8, 9):
        vals = draw(st.lists(st.sampled_from(VALUES), max_size=3))
        body = ("," + draw(_ws)).join(draw(_literal(v)) for v in vals)
        if choice == 8:
            return f"{sp}{key} in {{{body}}}", lambda lab, g: key in lab and lab[key] in vals
        return f"{sp}{key} not in {{{body}}}", lambda lab, g: key not in lab or lab[key] not in vals
    if choice == 10:
        text, inner = draw(_expr(depth + 1))
        nots = draw(st.integers(1, 3))
        wrapped = sp + "!" * nots + "(" + text + ")"
        if nots % 2:
            return wrapped, lambda lab, g: not inner(lab, g)
        return wrapped, inner
    parts = draw(st.lists(_expr(depth + 1), min_size=2, max_size=3))
    models = [f for _, f in parts]
    if choice == 11:
        return "(" + " && ".join(t for t, _ in parts) + ")", lambda lab, g: all(f(lab, g) for f in models)
    return "(" + " || ".join(t for t, _ in parts) + ")", lambda lab, g: any(f(lab, g) for f in models)


_labels = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=4)


@settings(max_examples=300, deadline=None)
@given(expr=_expr(), label_maps=st.lists(_labels, min_size=1, max_size=8), is_global=st.booleans())
def test_generated_selectors_agree_with_a_reference_model_and_round_trip(expr, label_maps, is_global):
    text, model = expr
    sel = parse_selector(text)
    again = parse_selector(str(sel))
    fresh = Selector(str(sel))
    assert again == sel
    for labels in label_maps:
        expected = model(labels, is_global)
        assert sel.matches(labels, is_global=is_global) == expected, (text, labels)
        assert again.matches(labels, is_global=is_global) == expected
        assert fresh.matches(labels, is_global=is_global) == expected
    assert sel.keys <= frozenset(KEYS)
    assert all(k in text for k in sel.keys)


@pytest.mark.parametrize(("text", "quote"), [
    (",)'bob=go\"oan=ls(oa))l", "single"),  # both quotes in it: found by the test below
    ("(l\"i(nan)(bb,{}){,, |s!n{a(\"n'()ao", "single"),
    ("a == \"b", "double"),
])
def test_an_unterminated_string_names_its_quote_in_words(text, quote):
    with pytest.raises(SelectorError) as e:
        parse_selector(text)
    assert str(e.value).startswith(f"selector: unterminated string (no closing {quote} quote) at position ")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab()!&|=\" '{},has()allglobalin not", max_size=40))
def test_arbitrary_text_either_parses_or_raises_selector_error(text):
    try:
        sel = parse_selector(text)
    except SelectorError as e:
        assert e.position is not None and 0 <= e.position <= len(text)
    else:
        sel.matches({"a": "b"})
        sel.matches({}, is_global=True)
