"""Where a hand-edited object has a field of the wrong shape, for an error that names it.

The parsers read the fields they need and trust the API's shapes; on a dump edited by hand
(``spec: tcp``, a port written as a list) Python's own error was all the user got:
"malformed object (AttributeError: 'str' object has no attribute 'get')", naming no field.
After such a failure, :func:`shape_problem` walks the fields the parsers read and names the
first one that is neither null (the API's zero value, which the parsers read as empty) nor of
the shape the API serves.  It runs only after a failure, so it costs nothing on good input.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ._text import kind_of

__all__ = ["field_values", "shape_problem"]

_MAP, _LIST, _NUMBER, _PORT = "a mapping", "a list", "an integer", "a port number or name"

_POD_SPEC = (
    ("containers", _LIST), ("containers[]", _MAP), ("containers[].ports", _LIST),
    ("containers[].ports[]", _MAP),
    ("initContainers", _LIST), ("initContainers[]", _MAP), ("initContainers[].ports", _LIST),
    ("initContainers[].ports[]", _MAP),
)
_TEMPLATE = (("metadata", _MAP), ("metadata.labels", _MAP), ("spec", _MAP),
             *((f"spec.{p}", w) for p, w in _POD_SPEC))
_WORKLOAD = (("spec.selector", _MAP), ("spec.template", _MAP),
             *((f"spec.template.{p}", w) for p, w in _TEMPLATE))
_LOAD_BALANCER = (("status.loadBalancer", _MAP), ("status.loadBalancer.ingress", _LIST),
                  ("status.loadBalancer.ingress[]", _MAP))
_BACKEND = (("service", _MAP), ("service.port", _MAP))

#: Per kind, (field path, shape) in the order the fields are reported; ``[]`` is each item.
_SHAPES: dict[str, tuple[tuple[str, str], ...]] = {
    "Pod": (*((f"spec.{p}", w) for p, w in _POD_SPEC), ("status.podIPs", _LIST), ("status.podIPs[]", _MAP),
            ("status.hostIPs", _LIST), ("status.hostIPs[]", _MAP)),
    "Service": (("spec.ports", _LIST), ("spec.ports[]", _MAP), ("spec.ports[].port", _NUMBER),
                ("spec.ports[].targetPort", _PORT), ("spec.ports[].nodePort", _NUMBER),
                ("spec.selector", _MAP), ("spec.clusterIPs", _LIST), ("spec.externalIPs", _LIST),
                *_LOAD_BALANCER),
    "Node": (("spec.podCIDRs", _LIST), ("status.addresses", _LIST), ("status.addresses[]", _MAP)),
    "Ingress": (("spec.defaultBackend", _MAP), *((f"spec.defaultBackend.{p}", w) for p, w in _BACKEND),
                ("spec.rules", _LIST), ("spec.rules[]", _MAP), ("spec.rules[].http", _MAP),
                ("spec.rules[].http.paths", _LIST), ("spec.rules[].http.paths[]", _MAP),
                ("spec.rules[].http.paths[].backend", _MAP),
                *((f"spec.rules[].http.paths[].backend.{p}", w) for p, w in _BACKEND), *_LOAD_BALANCER),
    "EndpointSlice": (("endpoints", _LIST), ("endpoints[]", _MAP), ("endpoints[].addresses", _LIST),
                      ("ports", _LIST), ("ports[]", _MAP)),
    "CronJob": (("spec.jobTemplate", _MAP), ("spec.jobTemplate.spec", _MAP),
                ("spec.jobTemplate.spec.template", _MAP),
                *((f"spec.jobTemplate.spec.template.{p}", w) for p, w in _TEMPLATE)),
    **dict.fromkeys(("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"),
                    _WORKLOAD),
}
_COMMON = (("spec", _MAP), ("status", _MAP))
#: Fields the API requires, where null is no zero value the parsers could read.
_REQUIRED = frozenset({"spec.ports[].port"})


def shape_problem(obj: Mapping[str, Any]) -> str | None:
    """The first field of ``obj`` the parsers read whose shape no API server serves, said as
    ``spec.ports[0] is a string, not a mapping``; None if every one has its shape."""
    kind = obj.get("kind")
    rules = _COMMON + _SHAPES.get(kind, ()) if isinstance(kind, str) else _COMMON
    for path, want in rules:
        tokens = path.replace("[]", ".[]").split(".")
        for at, value in field_values(obj, tokens, ""):
            if value is None:
                if path in _REQUIRED:
                    return f"{at} is missing or null, not {want}"
            elif not _has_shape(value, want):
                return f"{at} is {kind_of(value)}, not {want}"
    return None


def field_values(node: Any, tokens: list[str], at: str) -> Iterator[tuple[str, Any]]:
    """Every (place, value) at ``tokens`` below ``node``; a step through a value of the wrong
    shape yields nothing (the rule for that value reports it)."""
    if not tokens:
        yield at, node
        return
    head, rest = tokens[0], tokens[1:]
    if head == "[]":
        if type(node) is list:
            for i, item in enumerate(node):
                yield from field_values(item, rest, f"{at}[{i}]")
    elif type(node) is dict:
        yield from field_values(node.get(head), rest, f"{at}.{head}" if at else head)


def _has_shape(value: Any, want: str) -> bool:
    if want == _MAP:
        return type(value) is dict
    if want == _LIST:
        return type(value) is list
    if want == _NUMBER:  # as int() reads it
        return type(value) is int or (type(value) is str and value.strip().isdigit())
    # A port: a number, or a name (kubectl dumps write targetPort names; numbers in quotes are
    # the parsers' to judge).
    return type(value) in (int, str)
