"""k8sviz.goregexp: what Go's regexp parser refuses, as Cilium's agent compiles HTTP rules.

Each refused expression below is one Go's ``regexp/syntax`` rejects (with that error), each
accepted one compiles there; the checker must tell them apart without compiling anything."""

from __future__ import annotations

import pytest

from k8sviz.goregexp import go_regexp_error


@pytest.mark.parametrize("expr", [
    "", "/foo/.*", "GET|POST", "^/api/v[0-9]+/", "a*?", "a+?b??", "(?i)get", "(?i:a)b", "(?i-s)a", "(?s).",
    "(?U)a+", "(?)", "(?P<id>[0-9]+)", "(?<id>a)",  # the last: Go 1.22 and later
    "[]a]", "[^]a]", "[a-]", "[-a]", "[\\-]", "[a-z\\d]", "[[:alpha:]_]", "[\\x41-\\x{5A}]", "[\\p{Greek}]",
    "\\Qa.b*\\E", "\\x41\\x{263a}", "\\012", "\\0", "\\pL\\p{Greek}\\PN", "\\A\\b\\B\\z", "\\.\\*\\/\\-",
    "a{2,3}", "a{2,}", "a{,3}", "x{", "a{01}", "a{1000}", "^*", "()*", "(a|b)*", "(?i)(?P<x>a)+", "\\a\\f\\t\\n\\r\\v",
])
def test_expressions_go_compiles_are_not_refused(expr):
    assert go_regexp_error(expr) is None


@pytest.mark.parametrize(("expr", "code"), [
    ("(a", "missing closing )"),
    ("a)", "unexpected )"),
    ("[a", "missing closing ]"),
    ("[]", "missing closing ]"),
    ("*a", "missing argument to repetition operator"),
    ("(*)", "missing argument to repetition operator"),
    ("x|+", "missing argument to repetition operator"),
    ("(?i)*", "missing argument to repetition operator"),
    ("{2}", "missing argument to repetition operator"),
    ("a**", "invalid nested repetition operator"),
    ("a++", "invalid nested repetition operator"),
    ("a*??", "invalid nested repetition operator"),
    ("a{2}{3}", "invalid nested repetition operator"),
    ("a{2,1}", "invalid repeat count"),
    ("a{1001}", "invalid repeat count"),
    ("(?=a)", "invalid or unsupported Perl syntax"),
    ("(?!a)", "invalid or unsupported Perl syntax"),
    ("(?>a)", "invalid or unsupported Perl syntax"),
    ("(?x)a", "invalid or unsupported Perl syntax"),
    ("(?-)", "invalid or unsupported Perl syntax"),
    ("(?i", "invalid or unsupported Perl syntax"),
    ("(?P=x)", "invalid or unsupported Perl syntax"),
    ("(?P<>a)", "invalid named capture"),
    ("(?P<a-b>a)", "invalid named capture"),
    ("(?P<x>a)(?P<x>b)", "duplicate capture group name"),
    ("\\1", "invalid escape sequence"),
    ("\\8", "invalid escape sequence"),
    ("\\Z", "invalid escape sequence"),
    ("\\e", "invalid escape sequence"),
    ("\\u0041", "invalid escape sequence"),
    ("\\C", "invalid escape sequence"),
    ("\\x{}", "invalid escape sequence"),
    ("\\xZZ", "invalid escape sequence"),
    ("[\\b]", "invalid escape sequence"),
    ("a\\", "trailing backslash at end of expression"),
    ("[z-a]", "invalid character class range"),
    ("[a-\\d]", "invalid character class range"),
    ("[[:foo:]]", "invalid character class range"),
])
def test_expressions_go_refuses_are_named_with_gos_reason(expr, code):
    assert go_regexp_error(expr) == code
