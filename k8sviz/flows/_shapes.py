"""Where a flow record has a field of the wrong shape, for a problem that names it.

The readers trust the shapes Hubble, Calico and Goldmane write; a record edited by hand or cut
together from other tools (``"source": ["x"]``, a label that is a number) failed in Python's
words: "unexpected structure (AttributeError: 'list' object has no attribute 'get')", naming no
field. After such a failure, :func:`structure_problem` walks the fields the reader uses and names
the first one that is neither null nor of the shape the format writes. It runs only after a
failure, so it costs nothing on good records.
"""

from __future__ import annotations

import re
from typing import Any

from .._shapes import field_values
from .._text import kind_of

__all__ = ["structure_detail", "structure_problem"]

_OBJECT, _LIST, _TEXT = "an object", "a list", "a string"
#: An enum, which protojson may write as its name or its number.
_SCALAR = "a string or a number"
_POLICIES = "an object, a list or a string"
_ENTRIES = "a list or a string"

_HUBBLE_ENDPOINT = (("", _OBJECT), ("labels", _LIST), ("labels[]", _TEXT), ("workloads", _LIST),
                    ("workloads[]", _OBJECT), ("workloads[].name", _TEXT), ("pod_name", _TEXT),
                    ("namespace", _TEXT))
_HUBBLE_POLICY = (("", _LIST), ("[]", _OBJECT), ("[].name", _TEXT), ("[].namespace", _TEXT))
#: The fields of a Hubble flow the readers use, (path, shape), in the order they are reported.
_HUBBLE: tuple[tuple[str, str], ...] = (
    ("IP", _OBJECT), ("IP.source", _TEXT), ("IP.destination", _TEXT),
    ("l4", _OBJECT), *((f"l4.{p}", _OBJECT) for p in ("TCP", "UDP", "SCTP", "ICMPv4", "ICMPv6")),
    *((f"{side}.{p}" if p else side, w) for side in ("source", "destination") for p, w in _HUBBLE_ENDPOINT),
    ("destination_service", _OBJECT), ("event_type", _OBJECT),
    *((f"{key}{p}", w) for key in ("ingress_allowed_by", "egress_allowed_by", "ingress_denied_by",
                                   "egress_denied_by") for p, w in _HUBBLE_POLICY),
    *((key, _SCALAR) for key in ("verdict", "Type", "traffic_direction", "trace_observation_point",
                                 "sock_xlate_point", "node_name", "drop_reason_desc")),
)
_CALICO_TEXT = ("source_name", "dest_name", "source_name_aggr", "dest_name_aggr", "source_namespace",
                "dest_namespace", "source_ip", "dest_ip", "dest_service_name", "dest_service_namespace")
_CALICO: tuple[tuple[str, str], ...] = (
    *((k, _TEXT) for k in _CALICO_TEXT),
    *((k, _SCALAR) for k in ("source_type", "dest_type", "reporter", "action", "host")),
    ("policies", _POLICIES), ("policies.enforced_policies", _ENTRIES), ("policies.all_policies", _ENTRIES),
)
_WHISKER: tuple[tuple[str, str], ...] = (
    *((k, _TEXT) for k in ("source_name", "dest_name", "source_namespace", "dest_namespace",
                           "dest_service_name", "dest_service_namespace")),
    ("policies", _OBJECT), ("policies.enforced_policies", _LIST), ("policies.enforced_policies[]", _OBJECT),
    ("policies.enforced", _LIST), ("policies.enforced[]", _OBJECT),
)
_GOLDMANE: tuple[tuple[str, str], ...] = (("Key", _OBJECT), *((f"Key.{p}", w) for p, w in _WHISKER))
#: What Python says when a value has another type than the code expects: no words for a user.
_PYTHON_WORDS = re.compile(r"object has no attribute|unhashable type|not subscriptable|not iterable|"
                           r"object is not|NoneType|invalid literal|argument of type|got an unexpected")


def structure_problem(obj: Any, fmt: str, error: Exception) -> str:
    """The problem of a record whose reading raised ``error``: the reader's own message, else
    the first field of the wrong shape, else Python's (with its type, as a last resort)."""
    return f"unexpected structure: {structure_detail(obj, fmt, error)}"


def structure_detail(obj: Any, fmt: str, error: Exception) -> str:
    """:func:`structure_problem` without its leading words."""
    text = str(error)
    if not _PYTHON_WORDS.search(text) and not isinstance(error, KeyError):
        return text  # the reader's own words, naming its field
    return _first_problem(obj, fmt) or f"{type(error).__name__}: {text}"


def _first_problem(obj: Any, fmt: str) -> str | None:
    if type(obj) is not dict:
        return None
    if fmt == "hubble":
        flow = obj.get("flow")
        if flow is not None:
            if type(flow) is not dict:
                return f"flow is {kind_of(flow, _OBJECT)}, not {_OBJECT}"
            for key in ("node_name", "time"):
                bad = _check(obj, ((key, _SCALAR),), "")
                if bad:
                    return bad
            return _check(_camel_read(flow), _HUBBLE, "flow")
        return _check(_camel_read(obj), _HUBBLE, "")
    if fmt == "calico":
        doc = obj.get("_source", obj)
        if type(doc) is not dict:
            return f"_source is {kind_of(doc, _OBJECT)}, not {_OBJECT}"
        return _check(doc, _CALICO, "_source" if doc is not obj else "")
    if fmt == "goldmane":
        return _check(obj, _GOLDMANE if "Key" in obj else _WHISKER, "")
    return None


def _camel_read(flow: dict[str, Any]) -> dict[str, Any]:
    """The flow as the reader sees it: its camelCase fields under their proto names."""
    from .hubble import proto_names

    try:
        return proto_names(flow)
    except (TypeError, AttributeError):  # the walk names what it trips over in the raw flow
        return flow


def _check(obj: dict[str, Any], rules: tuple[tuple[str, str], ...], at: str) -> str | None:
    for path, want in rules:
        tokens = [t for t in path.replace("[]", ".[]").split(".") if t]
        for place, value in field_values(obj, tokens, at):
            if value is None:
                if place.endswith("]"):  # a field left out is null; a list item is not
                    return f"{place} is null, not {want}"
            elif not _has_shape(value, want):
                return f"{place} is {kind_of(value, _OBJECT)}, not {want}"
    return None


def _has_shape(value: Any, want: str) -> bool:
    if want == _OBJECT:
        return type(value) is dict
    if want == _LIST:
        return type(value) is list
    if want == _TEXT:
        return type(value) is str
    if want == _SCALAR:
        return type(value) in (str, int, float, bool)
    if want == _ENTRIES:
        return type(value) in (list, str)
    return type(value) in (dict, list, str)  # _POLICIES
