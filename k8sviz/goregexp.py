"""Which regular expressions Go's ``regexp.Compile`` certainly refuses.

Cilium's agent compiles an HTTP rule's ``path`` and ``method`` with Go's ``regexp`` package
(``PortRuleHTTP.Validate``, pkg/policy/api/http.go) and refuses the policy when either does not
compile.  Go's syntax (``regexp/syntax`` with Perl flags, RE2's dialect) is not Python's, and no
RE2 engine ships with k8sviz, so this module does not compile anything: it walks the expression
the way Go's parser does and reports only what that parser rejects in every Go release Cilium
has been built with.  It checks parentheses, character classes and their ranges, repetition
operators (a missing argument, one stacked on another, counts above 1000 or reversed), escapes
(backreferences, ``\\Z``, ``\\e``, ``\\u``...: Go knows a fixed few) and Perl groups (lookaround,
atomic groups, unknown flags, bad capture names).  What it lets through may still fail in Go: a
``\\p{...}`` name Go's Unicode tables lack, nesting deeper than Go's limits, an expression too
large; and ``(?<name>...)``, which Go accepts from 1.22 only, is let through too.
"""

from __future__ import annotations

import re

__all__ = ["go_regexp_error"]

_REPEAT = re.compile(r"\{(\d+)(,(\d*))?\}")
_POSIX = frozenset({"alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print",
                    "punct", "space", "upper", "word", "xdigit"})
_SIMPLE_ESCAPES = frozenset("afnrtv")
_CLASS_ESCAPES = frozenset("dDsSwW")
_HEX = frozenset("0123456789abcdefABCDEF")
_OCTAL = frozenset("01234567")
_NAME = re.compile(r"[A-Za-z0-9_]+")


class _Refused(Exception):
    """Go's parser stops here: ``code`` as Go words it."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def go_regexp_error(expr: str) -> str | None:
    """Go's reason for refusing ``expr`` (``"missing closing )"``...), or None when it is not
    certainly refused (see the module's docstring for what is not checked)."""
    try:
        _Parser(expr).parse()
    except _Refused as e:
        return e.code
    return None


def _repeat_count(text: str) -> int | None:
    """A ``{n,m}`` bound as Go's ``parseInt`` reads it: None where it is no number (a leading
    zero before more digits makes the brace a literal), -1 where it is too large to matter."""
    if len(text) >= 2 and text[0] == "0":
        return None
    return int(text) if len(text) <= 8 else -1


class _Parser:
    def __init__(self, expr: str):
        self.s = expr
        self.i = 0
        self.names: set[str] = set()

    def parse(self) -> None:
        # ``atoms`` counts what a repetition may apply to since the last ``(`` or ``|``, per
        # open group; ``last_repeat`` is whether the previous item was a repetition operator.
        depth = 0
        atoms = [0]
        last_repeat = False
        while self.i < len(self.s):
            s = self.s  # a Perl group's head is rewritten to a plain "(" as it is read
            c = s[self.i]
            repeat = False
            if c == "(":
                if s.startswith("(?", self.i) and self._perl_group():
                    last_repeat = False
                    continue  # flags alone: nothing pushed
                s = self.s
                depth += 1
                atoms.append(0)
                self.i += 1
            elif c == ")":
                if depth == 0:
                    raise _Refused("unexpected )")
                depth -= 1
                atoms.pop()
                atoms[-1] += 1
                self.i += 1
            elif c == "|":
                atoms[-1] = 0
                self.i += 1
            elif c in "*+?":
                self._repeat_op(atoms, last_repeat)
                self.i += 1
                if self.i < len(s) and s[self.i] == "?":
                    self.i += 1  # non-greedy
                repeat = True
            elif c == "{" and (m := _REPEAT.match(s, self.i)) and self._counts(m) is not None:
                lo, hi = self._counts(m)  # type: ignore[misc]
                self._repeat_op(atoms, last_repeat)
                if lo < 0 or lo > 1000 or hi > 1000 or 0 <= hi < lo:
                    raise _Refused("invalid repeat count")
                self.i = m.end()
                if self.i < len(s) and s[self.i] == "?":
                    self.i += 1
                repeat = True
            elif c == "[":
                self._class()
                atoms[-1] += 1
            elif c == "\\":
                self._escape(in_class=False)
                atoms[-1] += 1
            else:
                self.i += 1
                atoms[-1] += 1
            last_repeat = repeat
        if depth:
            raise _Refused("missing closing )")

    def _counts(self, m: re.Match[str]) -> tuple[int, int] | None:
        lo = _repeat_count(m[1])
        if lo is None:
            return None
        if m[2] is None:
            return lo, lo
        if m[3] == "":
            return lo, -1  # {n,}: no upper bound
        hi = _repeat_count(m[3])
        return None if hi is None else (lo, hi)

    @staticmethod
    def _repeat_op(atoms: list[int], last_repeat: bool) -> None:
        if last_repeat:
            raise _Refused("invalid nested repetition operator")
        if atoms[-1] == 0:
            raise _Refused("missing argument to repetition operator")

    def _perl_group(self) -> bool:
        """Reads a ``(?`` group's head; True when it only sets flags (``(?i)``), False when it
        opens a group (the ``(`` left for the caller to count)."""
        s, start = self.s, self.i
        rest = s[start + 2:]
        if rest.startswith(("P<", "<")) and not rest.startswith(("<=", "<!")):
            at = start + 2 + (2 if rest.startswith("P<") else 1)
            end = s.find(">", at)
            if end < 0:
                raise _Refused("invalid named capture")
            name = s[at:end]
            if not _NAME.fullmatch(name):
                raise _Refused("invalid named capture")
            if name in self.names:
                raise _Refused("duplicate capture group name")
            self.names.add(name)
            # Go counts it as an ordinary group from here on: replace the head by "(".
            self.s = s[:start] + "(" + s[end + 1:]
            return False
        # Flags: [imsU]* with at most one '-' (followed by a flag), then ':' or ')'.
        j, negated, saw = start + 2, False, False
        while j < len(s):
            c = s[j]
            if c in "imsU":
                saw = True
            elif c == "-" and not negated:
                negated, saw = True, False
            elif c in ":)":
                if negated and not saw:
                    break
                if c == ":":
                    self.s = s[:start] + "(" + s[j + 1:]
                    return False
                self.i = j + 1
                return True
            else:
                break
            j += 1
        raise _Refused("invalid or unsupported Perl syntax")

    def _escape(self, in_class: bool) -> None:
        s = self.s
        if self.i + 1 >= len(s):
            raise _Refused("trailing backslash at end of expression")
        c = s[self.i + 1]
        self.i += 2
        if not in_class:
            if c in "AbBz":
                return
            if c == "Q":  # literal text up to \E (or the end)
                end = s.find("\\E", self.i)
                self.i = len(s) if end < 0 else end + 2
                return
        if c in _CLASS_ESCAPES:
            return
        if c in "pP":
            if self.i < len(s) and s[self.i] == "{":
                end = s.find("}", self.i)
                if end < 0:
                    raise _Refused("invalid character class range")
                self.i = end + 1
            elif self.i < len(s):
                self.i += 1
            else:
                raise _Refused("invalid character class range")
            return
        if c.isascii() and not c.isalnum():
            return  # escaped punctuation is itself
        if c in "1234567":
            # A single non-zero digit is a backreference, which Go does not support; with
            # another octal digit after it, an octal code.
            if self.i >= len(s) or s[self.i] not in _OCTAL:
                raise _Refused("invalid escape sequence")
            c = "0"
        if c == "0":
            for _ in range(2):
                if self.i < len(s) and s[self.i] in _OCTAL:
                    self.i += 1
            return
        if c == "x":
            if self.i < len(s) and s[self.i] == "{":
                end = s.find("}", self.i)
                digits = s[self.i + 1:end] if end >= 0 else ""
                if not digits or any(d not in _HEX for d in digits) or int(digits, 16) > 0x10FFFF:
                    raise _Refused("invalid escape sequence")
                self.i = end + 1
                return
            if self.i + 2 <= len(s) and s[self.i] in _HEX and s[self.i + 1] in _HEX:
                self.i += 2
                return
            raise _Refused("invalid escape sequence")
        if c in _SIMPLE_ESCAPES:
            return
        raise _Refused("invalid escape sequence")

    def _class_char(self) -> str | None:
        """One member of a class for a range: its character, or None for a class escape
        (``\\d``), which cannot bound a range."""
        s = self.s
        if s[self.i] != "\\":
            ch = s[self.i]
            self.i += 1
            return ch
        start = self.i
        c = s[self.i + 1] if self.i + 1 < len(s) else ""
        self._escape(in_class=True)
        if c in _CLASS_ESCAPES or c in ("p", "P"):
            return None
        text = s[start + 1:self.i]
        if text[0] == "x":
            return chr(int(text[1:].strip("{}"), 16))
        if text[0] in _OCTAL:
            return chr(int(text, 8))
        simple = {"a": "\a", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
        return simple.get(text, text)

    def _class(self) -> None:
        s = self.s
        self.i += 1
        if self.i < len(s) and s[self.i] == "^":
            self.i += 1
        first = True
        while self.i < len(s) and (s[self.i] != "]" or first):
            first = False
            if s.startswith("[:", self.i):
                end = s.find(":]", self.i + 2)
                if end >= 0:
                    name = s[self.i + 2:end].removeprefix("^")
                    if name not in _POSIX:
                        raise _Refused("invalid character class range")
                    self.i = end + 2
                    continue
            lo = self._class_char()
            if self.i + 1 < len(s) and s[self.i] == "-" and s[self.i + 1] != "]":
                self.i += 1
                hi = self._class_char()
                if lo is None or hi is None or hi < lo:
                    raise _Refused("invalid character class range")
        if self.i >= len(s):
            raise _Refused("missing closing ]")
        self.i += 1
