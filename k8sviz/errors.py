"""One exception hierarchy for k8sviz.

Every error the library raises on purpose derives from :class:`K8svizError`, so callers
(and the CLI) can catch one class and print a clean message instead of a traceback.
"""

from __future__ import annotations

__all__ = [
    "InputError",
    "K8svizError",
    "LiveError",
    "PolicyError",
    "QueryError",
    "SnapshotVersionError",
    "TableError",
    "ZoneError",
]


class K8svizError(Exception):
    """Base class of every error k8sviz raises on purpose."""


class InputError(K8svizError):
    """Input that cannot be read: malformed files, invalid objects, bad arguments.

    The message names the file and, where known, the object (``kind/namespace/name``).
    """

    def __init__(self, message: str, *, source: str | None = None, obj: str | None = None):
        self.source = source
        self.obj = obj
        self.message = message  # without the file and object
        where = ", ".join(p for p in (source, obj) if p)
        super().__init__(f"{where}: {message}" if where else message)


class PolicyError(InputError):
    """A policy object that the Kubernetes API would reject (bad selector, port, CIDR...)."""


class SnapshotVersionError(InputError):
    """A snapshot file written by a newer (or unknown) schema version."""


class ZoneError(InputError):
    """A zones file (segmentation intent) that cannot be used: unknown zone in a rule, zones that
    overlap without a ``priority``, a bad selector or port spec.  Names the file and the zone/rule."""


class QueryError(K8svizError):
    """A query names an endpoint, port or protocol that does not exist or is invalid."""


class TableError(InputError, QueryError):
    """A table argument that is not the table the function takes: a flow table that
    ``k8sviz.load_flows`` did not make (it lacks columns, or is no DataFrame at all), or one
    it mapped to another snapshot; another analysis's table given to ``controls_summary``,
    ``paths_as_text`` or a figure.  The message names the function, the argument and what
    the table lacks.

    It is both an :class:`InputError` (a bad argument, as the flow functions said it) and a
    :class:`QueryError` (as ``gaps`` and ``graph`` said it), so an ``except`` clause of either
    keeps catching it.
    """


class LiveError(K8svizError):
    """Talking to a live cluster failed in a way the snapshot cannot record as coverage."""
