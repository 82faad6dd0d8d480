"""Parser and evaluator for the Calico selector language (projectcalico.org/v3).

Calico policies select endpoints with a small expression language of their own, used in
``NetworkPolicy``/``GlobalNetworkPolicy`` ``spec.selector``, ``spec.namespaceSelector``,
``spec.serviceAccountSelector`` and in rule ``selector``/``notSelector``/``namespaceSelector``.
This module follows Calico's own tokenizer and parser (``libcalico-go/lib/selector``):

Grammar (``||`` binds loosest, then ``&&``, then prefix ``!``; matches and parentheses tightest)::

    selector   := <empty or only spaces/tabs>          -> all()
                | or_expr
    or_expr    := and_expr ( "||" and_expr )*
    and_expr   := operation ( "&&" operation )*
    operation  := "!"* ( "(" or_expr ")" | "all()" | "global()" | "has(" KEY ")"
                       | KEY "==" STRING | KEY "!=" STRING
                       | KEY "contains" STRING | KEY "starts with" STRING | KEY "ends with" STRING
                       | KEY "in" SET | KEY "not in" SET )
    SET        := "{" [ STRING ( "," STRING )* [","] ] "}"     (empty set and a trailing comma are valid)
    KEY        := [A-Za-z0-9_./-]{1,512}
    STRING     := '"' no '"' '"'  |  "'" no "'" "'"        (no escapes)

Lexical rules, as in Calico: whitespace is only space and tab (a newline is an error);
``all(``, ``global(`` and ``has(`` must be written without a space before the ``(`` but may have
spaces inside; the word operators must end at a word boundary, and the two-word ones may be
written without the space (``startswith``, ``endswith``, ``notin``).  A run of ``!`` is collapsed
to its parity and applies to the single operation that follows it, so ``!a == "x" && b == "y"``
is ``(!(a == "x")) && b == "y"``.

Semantics: ``k == "v"``, ``k in {...}``, ``has(k)``, ``contains``, ``starts with`` and ``ends with``
need the label to be present; ``k != "v"`` and ``k not in {...}`` are true when it is absent.

``global()`` -- Calico's own evaluator treats ``global()`` as always true; its meaning comes from
the rule translation (``updateprocessors/rules.go``), which rewrites ``global()`` in a rule's
``namespaceSelector`` to ``!has(projectcalico.org/namespace)``: it selects the non-namespaced
resources (GlobalNetworkSets, HostEndpoints) and no namespaced workload.  Here a ``global()``
node evaluates to the ``is_global`` argument of :meth:`Selector.matches`: pass ``is_global=True``
when the resource being matched is non-namespaced.  (The same translation rewrites ``all()`` in a
rule ``namespaceSelector`` to ``has(projectcalico.org/namespace)``; that context-dependent meaning
is left to the caller: ``all()`` here always matches.)

Deliberate differences from Calico: parentheses may nest at most :data:`MAX_NESTING` deep (Calico
has no limit), so hostile input cannot exhaust the Python stack; everything else -- accepted
texts, rejected texts and results -- is meant to be identical.  Parsing is a single left-to-right
pass without regular expressions; parsed selectors are cached by text.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from .._text import as_written, kind_of
from ..errors import PolicyError

__all__ = ["MAX_LABEL_LENGTH", "MAX_NESTING", "Selector", "SelectorError", "parse_selector"]

#: Deepest parenthesis nesting accepted (Calico has no limit; this keeps recursion bounded).
MAX_NESTING: Final = 100
#: Longest label key accepted (Calico's tokenizer ``MaxLabelLength``).
MAX_LABEL_LENGTH: Final = 512

_WHITESPACE: Final = " \t"
_KEY_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-")
_SHOWN_TEXT: Final = 160  # longest text quoted whole in an error message


class SelectorError(PolicyError):
    """A Calico selector that Calico would reject (or that nests too deeply, or is not text).

    The message names where the selector was found, the reason, the character position (counted
    from 0) and the text.  ``text``, ``position`` and ``reason`` are kept as attributes.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        obj: str | None = None,
        text: object = None,
        position: int | None = None,
        reason: str = "",
    ):
        self.text = text
        self.position = position
        self.reason = reason or message
        super().__init__(message, source=source, obj=obj)


class _Failure(Exception):
    """Internal: a parse error before it gets its context (where/source/obj)."""

    def __init__(self, reason: str, position: int):
        super().__init__(reason)
        self.reason = reason
        self.position = position


def _excerpt(text: str, position: int) -> str:
    if len(text) <= _SHOWN_TEXT:
        return repr(text)
    half = _SHOWN_TEXT // 2
    start = max(0, min(position - half, len(text) - _SHOWN_TEXT))
    end = start + _SHOWN_TEXT
    return (
        ("..." if start > 0 else "")
        + repr(text[start:end])
        + ("..." if end < len(text) else "")
        + f" ({len(text)} characters)"
    )


def _error(failure: _Failure, text: str, where: str, source: str, obj: str) -> SelectorError:
    msg = f"{where}: {failure.reason} at position {failure.position} in {_excerpt(text, failure.position)}"
    return SelectorError(
        msg,
        source=source or None,
        obj=obj or None,
        text=text,
        position=failure.position,
        reason=failure.reason,
    )


# --------------------------------------------------------------------------------------------
# Tokens


_LABEL: Final = "label"
_STRING: Final = "string"
_LBRACE: Final = "{"
_RBRACE: Final = "}"
_COMMA: Final = ","
_EQ: Final = "=="
_NE: Final = "!="
_IN: Final = "in"
_NOT_IN: Final = "not in"
_CONTAINS: Final = "contains"
_STARTS_WITH: Final = "starts with"
_ENDS_WITH: Final = "ends with"
_NOT: Final = "!"
_ALL: Final = "all()"
_GLOBAL: Final = "global()"
_HAS: Final = "has()"
_LPAREN: Final = "("
_RPAREN: Final = ")"
_AND: Final = "&&"
_OR: Final = "||"
_EOF: Final = "end"

_STRING_OPS: Final = frozenset((_EQ, _NE, _CONTAINS, _STARTS_WITH, _ENDS_WITH))
_SET_OPS: Final = frozenset((_IN, _NOT_IN))
_FUNCTIONS: Final = ("all", "global", "has")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    value: str
    pos: int

    def describe(self) -> str:
        if self.kind == _LABEL:
            return f"label {as_written(self.value)}"
        if self.kind == _STRING:
            return f"string {as_written(self.value)}"
        if self.kind == _HAS:
            return f"'has({self.value})'"
        if self.kind == _EOF:
            return "the end of the selector"
        return repr(self.kind)


def _skip_ws(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _WHITESPACE:
        i += 1
    return i


def _key_end(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _KEY_CHARS:
        i += 1
    return i


def _cut_key(text: str, i: int) -> tuple[str, int]:
    j = _key_end(text, i)
    if j == i:
        ch = text[i] if i < len(text) else ""
        raise _Failure(f"expected a label key, found {as_written(ch)}" if ch else "expected a label key", i)
    if j - i > MAX_LABEL_LENGTH:
        raise _Failure(f"label key is longer than {MAX_LABEL_LENGTH} characters", i)
    return text[i:j], j


def _at_word_boundary(text: str, i: int) -> bool:
    return i >= len(text) or text[i] not in _KEY_CHARS


def _cut_words(text: str, i: int, words: tuple[str, ...]) -> int:
    """End of the operator ``words`` at ``i`` (spaces/tabs allowed between them), or -1."""
    j = i
    for k, word in enumerate(words):
        if not text.startswith(word, j):
            return -1
        j += len(word)
        if k < len(words) - 1:
            j = _skip_ws(text, j)
    return j if _at_word_boundary(text, j) else -1


_WORD_OPERATORS: Final = (
    (("contains",), _CONTAINS),
    (("starts", "with"), _STARTS_WITH),
    (("ends", "with"), _ENDS_WITH),
    (("not", "in"), _NOT_IN),
    (("in",), _IN),
)


_PUNCTUATION: Final = {"(": _LPAREN, ")": _RPAREN, "{": _LBRACE, "}": _RBRACE, ",": _COMMA}
_DOUBLED: Final = {"=": _EQ, "&": _AND, "|": _OR}


def _tokenize(text: str) -> list[_Token]:
    """Calico's tokenizer (libcalico-go/lib/selector/tokenizer), with positions."""
    tokens: list[_Token] = []
    append = tokens.append
    n = len(text)
    i = 0
    while True:
        i = _skip_ws(text, i)
        if i >= n:
            append(_Token(_EOF, "", n))
            return tokens
        c = text[i]
        start = i
        if c.isspace():
            raise _Failure(f"only spaces and tabs may separate tokens, found {as_written(c)}", i)
        if c in _PUNCTUATION:
            append(_Token(_PUNCTUATION[c], "", i))
            i += 1
        elif c in _DOUBLED:
            # '==', '&&' and '||': the single character is no operator.
            if not text.startswith(c * 2, i):
                raise _Failure(f"expected '{c * 2}' (a single '{c}' is not an operator)", i)
            append(_Token(_DOUBLED[c], "", i))
            i += 2
        elif c == '"' or c == "'":
            end = text.find(c, i + 1)
            if end < 0:
                # The quote said in words: a lone quote character in the message would pair
                # with the quotes around the selector shown after it and misquote it.
                which = "double" if c == '"' else "single"
                raise _Failure(f"unterminated string (no closing {which} quote)", i)
            append(_Token(_STRING, text[i + 1 : end], i))
            i = end + 1
        elif c == "!":
            if text.startswith("!=", i):
                append(_Token(_NE, "", i))
                i += 2
            else:
                append(_Token(_NOT, "", i))
                i += 1
        elif tokens and tokens[-1].kind == _LABEL:
            # Right after a label only a word operator may follow.
            for words, kind in _WORD_OPERATORS:
                j = _cut_words(text, i, words)
                if j >= 0:
                    append(_Token(kind, "", i))
                    i = j
                    break
            else:
                found = text[i : _key_end(text, i)] or c
                raise _Failure(
                    f"expected an operator (==, !=, in, not in, contains, starts with, ends with) "
                    f"after label {as_written(tokens[-1].value)}, found {as_written(found[:40])}",
                    i,
                )
        elif text.startswith("has(", i):
            j = _skip_ws(text, i + 4)
            if j < n and text[j] == ")":
                raise _Failure("has() needs a label key", j)
            key, j = _cut_key(text, j)
            j = _skip_ws(text, j)
            if j >= n or text[j] != ")":
                raise _Failure("no closing ')' after has(", j)
            append(_Token(_HAS, key, i))
            i = j + 1
        elif text.startswith("all(", i) or text.startswith("global(", i):
            name = "all" if text[i] == "a" else "global"
            j = _skip_ws(text, i + len(name) + 1)
            if j >= n or text[j] != ")":
                raise _Failure(f"no closing ')' after {name}( ({name}() takes no argument)", j)
            append(_Token(_ALL if name == "all" else _GLOBAL, "", i))
            i = j + 1
        elif c in _KEY_CHARS:
            key, i = _cut_key(text, i)
            append(_Token(_LABEL, key, start))
        else:
            raise _Failure(f"unexpected character {as_written(c)}", i)


# --------------------------------------------------------------------------------------------
# Syntax tree


@dataclass(frozen=True, slots=True)
class _All:
    pass


@dataclass(frozen=True, slots=True)
class _Global:
    pass


@dataclass(frozen=True, slots=True)
class _Has:
    key: str


@dataclass(frozen=True, slots=True)
class _Compare:
    """``key <op> value`` for ==, !=, contains, starts with, ends with."""

    op: str
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class _InSet:
    key: str
    values: frozenset[str]
    negated: bool  # "not in"


@dataclass(frozen=True, slots=True)
class _Not:
    operand: _Node


@dataclass(frozen=True, slots=True)
class _And:
    operands: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Or:
    operands: tuple[_Node, ...]


_Node = _All | _Global | _Has | _Compare | _InSet | _Not | _And | _Or


class _Parser:
    """Calico's recursive-descent parser (libcalico-go/lib/selector/parser), depth-limited."""

    def __init__(self, tokens: list[_Token]):
        self.tokens = tokens
        self.i = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        if tok.kind != _EOF:
            self.i += 1
        return tok

    def parse(self) -> _Node:
        if self.peek().kind == _EOF:
            return _All()  # empty selector (or only whitespace) means all()
        node = self.or_expr(0)
        tok = self.peek()
        if tok.kind != _EOF:
            if tok.kind == _RPAREN:
                raise _Failure("unbalanced ')'", tok.pos)
            raise _Failure(f"unexpected {tok.describe()} after a complete expression", tok.pos)
        return node

    def or_expr(self, depth: int) -> _Node:
        nodes = [self.and_expr(depth)]
        while self.peek().kind == _OR:
            self.take()
            nodes.append(self.and_expr(depth))
        return _flatten(_Or, nodes)

    def and_expr(self, depth: int) -> _Node:
        nodes = [self.operation(depth)]
        while self.peek().kind == _AND:
            self.take()
            nodes.append(self.operation(depth))
        return _flatten(_And, nodes)

    def operation(self, depth: int) -> _Node:
        negated = False
        while self.peek().kind == _NOT:
            self.take()
            negated = not negated
        tok = self.take()
        node: _Node
        kind = tok.kind
        if kind == _HAS:
            node = _Has(tok.value)
        elif kind == _ALL:
            node = _All()
        elif kind == _GLOBAL:
            node = _Global()
        elif kind == _LABEL:
            node = self.label_operation(tok)
        elif kind == _LPAREN:
            if depth >= MAX_NESTING:
                raise _Failure(f"parentheses nest deeper than {MAX_NESTING} levels", tok.pos)
            node = self.or_expr(depth + 1)
            close = self.take()
            if close.kind != _RPAREN:
                raise _Failure(
                    f"expected ')' to close the '(' at position {tok.pos}, found {close.describe()}",
                    close.pos,
                )
        elif kind == _EOF:
            raise _Failure("unexpected end of the selector, expected an expression", tok.pos)
        else:
            raise _Failure(f"unexpected {tok.describe()}, expected an expression", tok.pos)
        if negated:
            return node.operand if isinstance(node, _Not) else _Not(node)
        return node

    def label_operation(self, label: _Token) -> _Node:
        op = self.take()
        if op.kind in _STRING_OPS:
            value = self.take()
            if value.kind != _STRING:
                raise _Failure(
                    f"expected a quoted string after '{op.kind}', found {value.describe()}", value.pos
                )
            return _Compare(op.kind, label.value, value.value)
        if op.kind in _SET_OPS:
            brace = self.take()
            if brace.kind != _LBRACE:
                raise _Failure(
                    f"expected a set literal {{...}} after '{op.kind}', found {brace.describe()}", brace.pos
                )
            values: set[str] = set()
            while self.peek().kind == _STRING:
                values.add(self.take().value)
                if self.peek().kind != _COMMA:
                    break
                self.take()
            close = self.take()
            if close.kind != _RBRACE:
                raise _Failure(
                    f"expected '}}' or a quoted string in the set, found {close.describe()}", close.pos
                )
            return _InSet(label.value, frozenset(values), op.kind == _NOT_IN)
        if op.kind == _LPAREN:
            if label.value in _FUNCTIONS:
                raise _Failure(f"no space is allowed between {as_written(label.value)} and '('", op.pos)
            raise _Failure(
                f"unknown function {as_written(label.value + '()')} "
                "(Calico selectors have all(), global() and has(key))",
                label.pos,
            )
        raise _Failure(
            f"expected an operator (==, !=, in, not in, contains, starts with, ends with) after label "
            f"{as_written(label.value)}, found {op.describe()}",
            op.pos,
        )


def _flatten(kind: type[_And] | type[_Or], nodes: list[_Node]) -> _Node:
    if len(nodes) == 1:
        return nodes[0]
    flat: list[_Node] = []
    for node in nodes:
        if isinstance(node, kind):
            flat.extend(node.operands)
        else:
            flat.append(node)
    return kind(tuple(flat))


# --------------------------------------------------------------------------------------------
# Compilation to closures

_Matcher = Callable[[Mapping[str, str], bool], bool]


def _compile_node(node: _Node) -> _Matcher:
    if isinstance(node, _All):
        return lambda labels, is_global: True
    if isinstance(node, _Global):
        return lambda labels, is_global: is_global
    if isinstance(node, _Has):
        key = node.key
        return lambda labels, is_global: key in labels
    if isinstance(node, _Compare):
        return _compile_compare(node)
    if isinstance(node, _InSet):
        key, values = node.key, node.values
        if node.negated:
            return lambda labels, is_global: labels.get(key) not in values
        return lambda labels, is_global: labels.get(key) in values
    if isinstance(node, _Not):
        inner = _compile_node(node.operand)
        return lambda labels, is_global: not inner(labels, is_global)
    if isinstance(node, _And):
        parts = tuple(_compile_node(n) for n in node.operands)

        def and_(labels: Mapping[str, str], is_global: bool) -> bool:
            for part in parts:  # noqa: SIM110 - a plain loop: this runs per pod and rule, all() costs a generator
                if not part(labels, is_global):
                    return False
            return True

        return and_
    parts_or = tuple(_compile_node(n) for n in node.operands)

    def or_(labels: Mapping[str, str], is_global: bool) -> bool:
        for part in parts_or:  # noqa: SIM110 - as in and_ above
            if part(labels, is_global):
                return True
        return False

    return or_


def _compile_compare(node: _Compare) -> _Matcher:
    key, value = node.key, node.value
    if node.op == _EQ:
        return lambda labels, is_global: labels.get(key) == value
    if node.op == _NE:
        return lambda labels, is_global: labels.get(key) != value  # absent label: true
    if node.op == _CONTAINS:

        def contains(labels: Mapping[str, str], is_global: bool) -> bool:
            v = labels.get(key)
            return isinstance(v, str) and value in v

        return contains
    if node.op == _STARTS_WITH:

        def starts_with(labels: Mapping[str, str], is_global: bool) -> bool:
            v = labels.get(key)
            return isinstance(v, str) and v.startswith(value)

        return starts_with

    def ends_with(labels: Mapping[str, str], is_global: bool) -> bool:
        v = labels.get(key)
        return isinstance(v, str) and v.endswith(value)

    return ends_with


def _keys_of(root: _Node) -> frozenset[str]:
    keys: set[str] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, _Has | _Compare | _InSet):
            keys.add(node.key)
        elif isinstance(node, _Not):
            stack.append(node.operand)
        elif isinstance(node, _And | _Or):
            stack.extend(node.operands)
    return frozenset(keys)


@dataclass(frozen=True, slots=True)
class _Compiled:
    root: _Node
    fn: _Matcher
    keys: frozenset[str]


@functools.lru_cache(maxsize=4096)
def _compile(text: str) -> _Compiled:
    root = _Parser(_tokenize(text)).parse()
    return _Compiled(root, _compile_node(root), _keys_of(root))


# --------------------------------------------------------------------------------------------
# Public API


@dataclass(frozen=True)
class Selector:
    """A parsed Calico selector.  Equal (and hashed) by its text; ``str()`` gives the text back.

    ``Selector(text)`` parses ``text`` (raising :class:`SelectorError`); prefer
    :func:`parse_selector`, which names where the selector came from in its errors and caches.
    """

    text: str
    _compiled: _Compiled = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise _not_text(self.text, "selector", "", "")
        try:
            compiled = _compile(self.text)
        except _Failure as e:
            raise _error(e, self.text, "selector", "", "") from None
        object.__setattr__(self, "_compiled", compiled)

    def matches(self, labels: Mapping[str, str], *, is_global: bool = False) -> bool:
        """Whether a resource with these labels is selected.

        ``is_global`` says the resource is non-namespaced (GlobalNetworkSet, HostEndpoint): it is
        what ``global()`` evaluates to.
        """
        return self._compiled.fn(labels, is_global)

    @property
    def keys(self) -> frozenset[str]:
        """Every label key the selector looks at."""
        return self._compiled.keys

    @property
    def is_all(self) -> bool:
        """The selector is exactly ``all()``: empty text, ``all()``, ``(all())``, ``!!all()``..."""
        return isinstance(self._compiled.root, _All)

    def __str__(self) -> str:
        return self.text


def _not_text(text: object, where: str, source: str, obj: str) -> SelectorError:
    return SelectorError(
        f"{where}: a Calico selector must be a string, not {kind_of(text)}",
        source=source or None,
        obj=obj or None,
        text=text,
        reason="not a string",
    )


@functools.lru_cache(maxsize=4096)
def _selector(text: str) -> Selector:
    return Selector(text)


def parse_selector(text: str, where: str = "selector", *, source: str = "", obj: str = "") -> Selector:
    """Parse a Calico selector.  Empty (or blank) text means ``all()``, as in Calico.

    ``where`` names the field (``spec.selector``, ``ingress[0].source.namespaceSelector``...) and
    ``source``/``obj`` the file and object, as for :class:`~k8sviz.errors.PolicyError`.
    Raises :class:`SelectorError` for anything Calico would reject, for non-string input, and for
    parentheses nested deeper than :data:`MAX_NESTING`.
    """
    if not isinstance(text, str):
        raise _not_text(text, where, source, obj)
    try:
        _compile(text)
    except _Failure as e:
        raise _error(e, text, where, source, obj) from None
    return _selector(text)
