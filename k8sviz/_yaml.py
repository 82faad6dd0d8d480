"""Safe YAML loading (the C loader when present) that keeps timestamps as strings.

The API server stores timestamps as RFC 3339 strings; PyYAML would turn an unquoted
``creationTimestamp: 2024-01-01T00:00:00Z`` into a ``datetime`` and the same object would then
hash differently from its JSON dump.
"""

from __future__ import annotations

from typing import Any

import yaml

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(_Base):  # type: ignore[misc,valid-type]
    """``SafeLoader`` without the implicit timestamp resolver."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}

YAMLError = yaml.YAMLError
MarkedYAMLError = yaml.MarkedYAMLError


def load_all(text: str | bytes) -> Any:
    return yaml.load_all(text, Loader=Loader)  # noqa: S506 - Loader is a SafeLoader


def load(text: str | bytes) -> Any:
    return yaml.load(text, Loader=Loader)  # noqa: S506 - Loader is a SafeLoader
