"""Safe YAML loading (the C loader when present) that keeps timestamps as strings.

The API server stores timestamps as RFC 3339 strings; PyYAML would turn an unquoted
``creationTimestamp: 2024-01-01T00:00:00Z`` into a ``datetime`` and the same object would then
hash differently from its JSON dump.

Building Python objects from the parsed nodes is, with the C parser, most of the time spent
on a ``kubectl get -o yaml`` dump: PyYAML's constructor is general (generators, deep
construction, every tag) and pays for it on every node. ``Loader.construct_document`` first
tries a plain walk that handles exactly what such dumps contain (maps, sequences and the core
scalar tags); anything else (merge keys, other tags, complex keys) goes to PyYAML's own
constructor, so results and errors are PyYAML's (tested against it). Deliberate
differences: an alias inside its own anchor is an error here (JSON, and so the API, has no
recursive values), where PyYAML would build a recursive object; and a mapping's keys are
compared as kubectl sends them (:func:`kubectl_key`): a key given twice is an error, where
PyYAML keeps the last, and ``1`` and ``true`` are the keys ``"1"`` and ``"true"``, where
PyYAML makes one of them (``1 == True``); and plain scalars are resolved as kubectl's YAML
reader (go-yaml v2) resolves them, not by PyYAML's YAML 1.1 rules (see ``_v2_tag``).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ._text import as_written

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_PLAIN_SCALARS = tuple(f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float"))


class _Unusual(Exception):
    """The document needs PyYAML's general constructor."""


class _NotItsTag(ConstructorError):
    """A scalar tagged ``!!int``, ``!!float`` or ``!!bool`` that is none (``!!int x``)."""


class Loader(_Base):  # type: ignore[misc,valid-type]
    """``SafeLoader`` without the implicit timestamp resolver, with a fast constructor."""

    #: Whether the last document was built by the plain walk, without aliases (see _list_items).
    plainly = False

    def construct_document(self, node: Node) -> Any:
        try:
            return self._plain(node)
        except (_Unusual, RecursionError, ValueError, TypeError, OverflowError, _NotItsTag):
            # PyYAML's constructor has no depth limit, and it reports a bad value such as
            # `!!int x` in its own (lazy) order: let it build or fail exactly as it would.
            data = super().construct_document(node)
            if _recursive(data):
                problem = "found an alias inside its own anchor: a recursive value has no JSON form"
                raise ConstructorError(None, None, problem, node.start_mark) from None
            _check_expansion(data, node)
            return data

    # The C composer asks these of every node. SafeLoader has no path resolvers, so a tag
    # depends on the node's kind and, for a plain scalar, on its text alone: PyYAML's own
    # `resolve` concatenates two lists and tries each regex per scalar, a quarter of a dump's
    # parse. `_resolve_plain` gives the same tags (tested against PyYAML's).
    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if implicit[0]:
                tag = _PLAIN_TAGS.get(value)
                return tag if tag is not None else _resolve_plain(value)
            return _STR
        return _SEQ if kind is SequenceNode else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> Any:
        merges = any(k.tag == _MERGE for k, _ in node.value)  # flattening rewrites node.value
        mapping = super().construct_mapping(node, deep=deep)
        if merges:  # a merge key's values may be overridden
            return mapping
        if len(mapping) == len(node.value) and all(type(k) is str for k in mapping):
            return mapping
        # Built already: construct_object gives each node's value again.
        pairs = [(self.construct_object(k, deep=deep), self.construct_object(v, deep=deep))
                 for k, v in node.value]
        return kubectl_keys(node, pairs, mapping)

    def _plain(self, root: Node) -> Any:
        scalar = {tag: self.yaml_constructors[tag] for tag in _PLAIN_SCALARS}
        made: dict[int, Any] = {}  # collection node -> its object, so aliases share it as in PyYAML
        building: set[int] = set()
        reused = False

        def conv(node: Node) -> Any:
            cls = type(node)
            if cls is ScalarNode:
                if node.tag == _STR:
                    return node.value
                fn = scalar.get(node.tag)
                if fn is None:
                    raise _Unusual
                return fn(self, node)
            key = id(node)
            if key in made:
                nonlocal reused
                reused = True
                return made[key]
            if key in building:
                problem = "found an alias inside its own anchor: a recursive value has no JSON form"
                raise ConstructorError(None, None, problem, node.start_mark)
            building.add(key)
            if cls is MappingNode and node.tag == _MAP:
                out: Any = {}
                typed = False
                for k, v in node.value:
                    if type(k) is not ScalarNode or (k.tag != _STR and k.tag not in scalar):
                        raise _Unusual  # merge keys, "=" value keys, complex keys
                    if k.tag == _STR:
                        out[k.value] = conv(v)
                    else:
                        typed = True
                        out[scalar[k.tag](self, k)] = conv(v)
                if len(out) != len(node.value) or (typed and not _distinct_to_kubectl(out)):
                    # a key given twice, to Python or to kubectl: construct_mapping refuses it
                    # (or, for 1 and true, keys them as kubectl does), in PyYAML's order
                    raise _Unusual
            elif cls is SequenceNode and node.tag == _SEQ:
                out = [conv(v) for v in node.value]
            else:
                raise _Unusual
            building.discard(key)
            made[key] = out
            return out

        data = conv(root)
        if reused:
            _check_expansion(data, root)
        self.plainly = not reused
        return data


def kubectl_key(key: Any) -> Any:
    """The key kubectl sends for the map key ``key`` of a YAML file: its YAML-to-JSON step
    (sigs.k8s.io/yaml, over yaml.v2) writes a bool as ``true``/``false``, an integer in
    decimal and a float as Go's ``strconv.FormatFloat(f, 'g', -1, 32)`` (``1``, ``1.5``,
    ``1e+36``, ``.inf``), so ``1`` and ``true`` are the labels ``"1"`` and ``"true"``, and
    ``1``, ``1.0`` and ``"1"`` are all ``"1"``.  Other keys (null, binary, a timestamp), which
    kubectl refuses, are themselves, with their type: no str is the same key as them."""
    if type(key) is str:
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        if -(1 << 63) <= key < 1 << 64:  # yaml.v2 reads an integer past 64 bits as a float
            return str(key)
        key = float(key)
    if isinstance(key, float):
        return _go_float32(key)
    return (type(key).__name__, key)


def _go_float32(value: float) -> str:
    """``value`` as Go's ``strconv.FormatFloat(value, 'g', -1, 32)``, with YAML's words for
    infinities and NaN (as sigs.k8s.io/yaml writes a float key)."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    with np.errstate(over="ignore"):
        f = np.float32(value)
    if math.isinf(f):  # past float32's range: Go's 32-bit conversion gives an infinity too
        return ".inf" if value > 0 else "-.inf"
    mantissa, exponent = np.format_float_scientific(f, unique=True, trim="-").split("e")
    exp = int(exponent)
    if exp < -4 or exp >= 6:  # 'g' with the shortest digits takes %e past these (Go's eprec 6)
        return f"{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return np.format_float_positional(f, unique=True, trim="-")


def _distinct_to_kubectl(mapping: dict[Any, Any]) -> bool:
    return len({kubectl_key(k) for k in mapping}) == len(mapping)


def kubectl_keys(node: MappingNode, pairs: list[tuple[Any, Any]], mapping: dict[Any, Any]) -> dict[Any, Any]:
    """``mapping``, built from ``node`` (whose keys and values are ``pairs``), unless it gives a
    key twice as kubectl reads keys (:func:`kubectl_key`): PyYAML keeps the last value silently,
    so the first (a policy's first ``ingress`` list, say) would vanish, where kubectl refuses a
    key given twice (and keeps one of ``1`` and ``"1"``, in no set order).  Keys that are one
    value to Python but two to kubectl (``1`` and ``true``: ``1 == True``) are kubectl's: the
    labels ``"1"`` and ``"true"``."""
    seen: dict[Any, Node] = {}
    for (k, _), (key, _) in zip(node.value, pairs, strict=True):
        sent = kubectl_key(key)
        first = seen.get(sent)
        if first is None:
            seen[sent] = k
        elif first.value == k.value:
            raise ConstructorError("while constructing a mapping", node.start_mark,
                                   f"found duplicate key {as_written(k.value)}", k.start_mark)
        else:
            what = f" {as_written(sent)}" if type(sent) is str else ""
            raise ConstructorError("while constructing a mapping", node.start_mark,
                                   f"found keys {as_written(first.value)} and {as_written(k.value)}, "
                                   f"which kubectl reads as the same key{what}", k.start_mark)
    if len(mapping) == len(pairs):
        return mapping
    # (a null or binary key, which kubectl refuses, stays as it is: the checks of the object name it)
    return {kubectl_key(key) if isinstance(key, int | float) else key: value for key, value in pairs}


#: Nesting deeper than this is refused before parsing: libyaml's composer recurses once per
#: level and overflows the C stack (a crash, not an error) some way past 20,000 levels.
#: Kubernetes objects nest a few dozen levels.
MAX_DEPTH = 5_000
_DASHES = re.compile(rb"(?m)^[ \t]*(?:-[ \t]+){%d}" % MAX_DEPTH)


def _check_depth(text: str | bytes) -> None:
    """Refuse text that could nest more than :data:`MAX_DEPTH` levels: flow brackets (counted
    outside quotes or not: a bound, not a parse) or compact block sequences (``- - - x``)."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if _DASHES.search(data):
        raise yaml.YAMLError(f"nested more than {MAX_DEPTH:,} levels deep (compact '- - -' sequences); "
                             "refused")
    if data.count(b"[") + data.count(b"{") <= MAX_DEPTH:
        return
    depth = 0
    step = 1 << 23
    for lo in range(0, len(data), step):
        b = np.frombuffer(data, dtype=np.uint8, count=min(step, len(data) - lo), offset=lo)
        d = ((b == 91) | (b == 123)).astype(np.int32) - ((b == 93) | (b == 125)).astype(np.int32)
        run = np.cumsum(d) + depth
        if len(run) and int(run.max()) > MAX_DEPTH:
            raise yaml.YAMLError(f"nested more than {MAX_DEPTH:,} levels deep ('[' and '{{'); refused")
        depth = int(run[-1]) if len(run) else depth


#: Aliases may multiply a document's values up to this much (and always up to a million):
#: more is a "billion laughs" document, which every later step (hashing, saving) would expand.
MAX_ALIAS_EXPANSION = 10


def _check_expansion(data: Any, node: Node) -> None:
    """Refuse a document whose aliases expand it far beyond its own size."""
    size: dict[int, int] = {}  # container -> values in its full expansion
    distinct = 0
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        obj, leaving = stack.pop()
        children = obj.values() if isinstance(obj, dict) else obj
        if leaving:
            size[id(obj)] = 1 + sum(size.get(id(c), 1) for c in children)
            continue
        if id(obj) in size or not isinstance(obj, (dict, list)):
            continue
        size[id(obj)] = 0  # seen; the real size is set on the way out
        distinct += 1 + len(obj)
        stack.append((obj, True))
        stack.extend((c, False) for c in children if isinstance(c, (dict, list)))
    expanded = size.get(id(data), 1)
    if expanded > max(1_000_000, MAX_ALIAS_EXPANSION * distinct):
        problem = (
            f"aliases expand this document to {expanded:,} values from {distinct:,} "
            "(a 'billion laughs' document?); refused"
        )
        raise ConstructorError(None, None, problem, node.start_mark)


def _recursive(data: Any) -> bool:
    """Whether a container holds itself (PyYAML builds such values from recursive anchors)."""
    on_path: set[int] = set()
    done: set[int] = set()
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        obj, leaving = stack.pop()
        if leaving:
            on_path.discard(id(obj))
            done.add(id(obj))
            continue
        if not isinstance(obj, (dict, list, set)) or id(obj) in done:
            continue
        if id(obj) in on_path:
            return True
        on_path.add(id(obj))
        stack.append((obj, True))
        stack.extend((v, False) for v in (obj.values() if isinstance(obj, dict) else obj))
    return False


if Loader.yaml_path_resolvers:  # the fast `resolve` above would ignore them
    raise ImportError("k8sviz._yaml.Loader assumes PyYAML's SafeLoader has no path resolvers")

# Plain scalars are read as kubectl reads them: its YAML-to-JSON step (sigs.k8s.io/yaml) reads
# YAML with go-yaml v2, whose `resolve` (gopkg.in/yaml.v2 resolve.go) differs from PyYAML's YAML
# 1.1 resolvers: `y`, `Y`, `n`, `N` are booleans; `1e3`, `1.5e3`, `-.5` and `08` are floats;
# `0o17` is an integer; `1:30` (PyYAML's base 60: 90) and `=` (PyYAML's "value" tag, which it
# cannot build) are strings; an integer past 64 bits is a float, and a float past float64's
# range a string.  Timestamps stay strings (see the module's docstring), where go-yaml makes
# them times.
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
#: go-yaml v2's resolveMap: the plain scalars it reads by their whole text.
_V2_BOOLS = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
}
_V2_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_V2_SPECIAL_FLOATS = {
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
#: Go's strconv.ParseInt(s, 0, 64) syntax (the underscores taken out first, as go-yaml does).
_GO_INT = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)\Z")
#: go-yaml v2's yamlStyleFloat, tried on a scalar starting with a digit or a sign.
_V2_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
#: What Go's strconv.ParseFloat reads of a scalar starting with ".": no underscores there.
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?\Z")


def _go_int(plain: str) -> int | None:
    """``plain`` (no underscores) as go-yaml v2 reads an integer: Go's ParseInt with base 0 in
    int64's range, else ParseUint (no sign) in uint64's; None if neither reads it."""
    if not _GO_INT.match(plain):
        return None
    body = plain.lstrip("+-")
    prefix = body[:2].lower()
    if prefix in ("0x", "0o", "0b"):
        n = int(body[2:], {"0x": 16, "0o": 8, "0b": 2}[prefix])
    elif body.startswith("0") and len(body) > 1:  # a leading 0: octal, as in Go
        n = int(body, 8)
    else:
        n = int(body)
    if plain.startswith("-"):
        n = -n
    if -(1 << 63) <= n < 1 << 63 or (plain[0] not in "+-" and n < 1 << 64):
        return n
    return None


def _v2_float(text: str) -> float | None:
    """``text`` as go-yaml v2 reads a float (its special words, yamlStyleFloat without the
    underscores, or ParseFloat of a scalar starting with "."), or None: a float past float64's
    range is none (Go's ParseFloat fails with ErrRange, and go-yaml keeps the string)."""
    special = _V2_SPECIAL_FLOATS.get(text)
    if special is not None:
        return special
    if text.startswith("."):
        if not _DOT_FLOAT.match(text):
            return None
        value = float(text)
    else:
        plain = text.replace("_", "")
        if not _V2_FLOAT.match(plain):
            return None
        value = float(plain)
    return None if math.isinf(value) else value


def _v2_tag(value: str) -> str:
    """The tag go-yaml v2 gives a plain scalar (less timestamps), by its first character as it
    does: a word of its resolveMap, a float starting with ".", or a number starting with a digit
    or a sign; anything else is a string."""
    first = value[:1]
    if value in _V2_NULLS:
        return _NULL
    if value == "<<":  # a merge key, as PyYAML reads it (go-yaml checks keys for it apart)
        return _MERGE
    if first in "yYnNtTfFoO":
        return _BOOL if value in _V2_BOOLS else _STR
    if first == "." or value in _V2_SPECIAL_FLOATS:
        return _FLOAT if _v2_float(value) is not None else _STR
    if first in "+-0123456789":
        if _go_int(value.replace("_", "")) is not None:
            return _INT
        return _FLOAT if _v2_float(value) is not None else _STR
    return _STR


def _construct_bool(loader: Any, node: ScalarNode) -> bool:
    value = loader.construct_scalar(node)
    if value not in _V2_BOOLS:
        raise _NotItsTag(None, None, f"{as_written(value)} is tagged !!bool but is not a boolean",
                         node.start_mark)
    return _V2_BOOLS[value]


def _construct_int(loader: Any, node: ScalarNode) -> int:
    value = loader.construct_scalar(node)
    n = _go_int(value.replace("_", ""))
    if n is None:
        what = "past 64 bits, which kubectl does not read" if _GO_INT.match(value.replace("_", "")) else (
            "not an integer")
        raise _NotItsTag(None, None, f"{as_written(value)} is tagged !!int but is {what}", node.start_mark)
    return n


def _construct_float(loader: Any, node: ScalarNode) -> float:
    value = loader.construct_scalar(node)
    f = _v2_float(value)
    if f is None:
        n = _go_int(value.replace("_", ""))  # `!!float 5`: go-yaml takes an integer as a float
        if n is None:
            raise _NotItsTag(None, None, f"{as_written(value)} is tagged !!float but is not a float",
                         node.start_mark)
        f = float(n)
    return f


Loader.add_constructor(_BOOL, _construct_bool)
Loader.add_constructor(_INT, _construct_int)
Loader.add_constructor(_FLOAT, _construct_float)
#: Tags of plain scalars already resolved: keys and common values recur all through a dump.
#: Bounded, since values such as uids and addresses are each seen once.
_PLAIN_TAGS: dict[str, str] = {}
_PLAIN_TAGS_MAX = 1 << 16


def _resolve_plain(value: str) -> str:
    """The tag go-yaml v2, and so kubectl, gives a plain scalar (timestamps aside)."""
    tag = _v2_tag(value)
    if len(_PLAIN_TAGS) < _PLAIN_TAGS_MAX:
        _PLAIN_TAGS[value] = tag
    return tag


YAMLError = yaml.YAMLError
MarkedYAMLError = yaml.MarkedYAMLError


def load_all(text: str | bytes) -> Any:
    _check_depth(text)
    if isinstance(text, str):
        docs = _list_in_parts(text)
        if docs is not None:
            return iter(docs)
    return yaml.load_all(text, Loader=Loader)  # Loader is a SafeLoader


#: Items of a List parsed at a time by _list_in_parts.
LIST_PART = 100
_PLACEHOLDER = "k8sviz-list-items-parsed-apart"
_OTHER_BREAKS = ("\x85", "\u2028", "\u2029", "\ufeff")
_NOT_IN_ITEMS = re.compile(r"\n[^- \t#\r\n]")  # a line that is not part of a column-0 block sequence
#: What may be an anchor (``&x`` after a space, a line's start or a flow indicator); a ``&`` in a
#: scalar such as a URL's query (``?a=1&b=2``) is none.  Parts are composed apart, so an anchor
#: given twice in two parts, which PyYAML refuses, would not be seen.
_ANCHOR = re.compile(r"(?:^|[ \t\[{,])&[^ \t\r\n\[\]{},]", re.MULTILINE)


def _list_in_parts(text: str) -> list[Any] | None:
    """A one-document ``kind: List`` dump (``kubectl get -o yaml``) parsed LIST_PART items at a
    time, or None to parse ``text`` whole.

    PyYAML composes a document's every node before building any value: for a 50,000-pod List,
    about three times the memory the values take (4.4 against 1.3 GiB). The items of
    ``items:``, a block sequence written at column 0, are cut at their ``- `` lines and parsed
    in parts, the rest of the document with a placeholder in their place. The values are the
    whole parse's: a line at column 0 ends every block scalar and plain scalar of an item, and a
    cut inside a quoted scalar or a flow collection leaves it unclosed, an error. Any error,
    alias or unusual tag in a part, and any document marker, directive or anchor in ``text``,
    sends it to the whole parse instead, which gives PyYAML's own error (an anchor given twice)
    and the limits on aliases.
    """
    if text.startswith("items:"):
        at = 0
    else:
        at = text.find("\nitems:") + 1
        if not at:
            return None
    line_end = text.find("\n", at)
    if line_end < 0 or text[at + 6 : line_end].strip(" \t\r"):
        return None  # `items: []`, `items: # comment`, or items on the line: nothing to gain
    if text.startswith(("---", "...", "%")) or "\n---" in text or "\n..." in text or "\n%" in text:
        return None
    # YAML breaks lines at NEL, LS, PS and a lone CR too, and libyaml skips a byte-order mark
    # at the start of any line: a marker after one of those is still a marker.
    if any(c in text for c in _OTHER_BREAKS) or text.count("\r") != text.count("\r\n"):
        return None
    start = line_end + 1
    if not text.startswith("- ", start):
        return None
    after = _NOT_IN_ITEMS.search(text, start)
    end = after.start() + 1 if after else len(text)
    cuts = [start]
    find = text.find
    p = find("\n- ", start, end)
    while p >= 0:
        cuts.append(p + 1)
        p = find("\n- ", p + 3, end)
    cuts.append(end)
    if _PLACEHOLDER in text or ("&" in text and _ANCHOR.search(text)):
        return None
    try:
        # The placeholder, which the text does not hold, must come back as the items of the
        # root mapping: else the `items:` line was inside something else, say a quoted
        # scalar over several lines, and the cut would read another document.
        skeleton = yaml.load(f"{text[:at]}items: [{_PLACEHOLDER}]\n{text[end:]}", Loader=Loader)
        if not isinstance(skeleton, dict) or skeleton.get("items") != [_PLACEHOLDER]:
            return None
        items: list[Any] = []
        for i in range(0, len(cuts) - 1, LIST_PART):
            part = cuts[i : i + LIST_PART + 1]
            loader = Loader(text[part[0] : part[-1]])
            try:
                values = loader.get_single_data()
                if not loader.plainly or not isinstance(values, list) or len(values) != len(part) - 1:
                    return None
            finally:
                loader.dispose()
            items.extend(values)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError):
        return None
    skeleton["items"] = items
    return [skeleton]


def load(text: str | bytes) -> Any:
    _check_depth(text)
    return yaml.load(text, Loader=Loader)  # Loader is a SafeLoader


_DumperBase: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class Dumper(_DumperBase):  # type: ignore[misc,valid-type]
    """PyYAML's safe writer, quoting every string that kubectl (go-yaml v2) or PyYAML would read
    back as something else: ``n``, ``1e3`` and ``2024-01-08`` (a time to go-yaml) as well as
    ``yes`` and ``1:30``.  PyYAML's own writer quotes only for its own reading, so its ``n`` is
    the boolean false to kubectl (and to :func:`load`).  For tests and benches that write
    manifests: ``yaml.dump(doc, Dumper=Dumper)``."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        tag = super().resolve(kind, value, implicit)  # PyYAML's YAML 1.1 reading, timestamps too
        if kind is ScalarNode and implicit[0] and tag == _STR:
            v2 = _v2_tag(value)
            if v2 == _STR and _GO_TIME.match(value):
                return "tag:yaml.org,2002:timestamp"
            return v2
        return tag


#: What go-yaml v2 may read as a time (parseTimestamp's quick check: four digits and a "-").
_GO_TIME = re.compile(r"[0-9]{4}-")
