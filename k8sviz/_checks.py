"""Checks of the objects the public functions take, so that a wrong one (a path where a
snapshot is expected, the snapshot where a reachability is, a reachability of another
snapshot, a list where a path is) gets a :class:`~k8sviz.errors.QueryError` (an
:class:`~k8sviz.errors.InputError` for paths) naming the function and the argument, not an
``AttributeError`` from deep inside."""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ._text import as_given, as_written
from .errors import InputError, K8svizError, QueryError, TableError

if TYPE_CHECKING:
    from .snapshot import Snapshot


def type_name(value: Any) -> str:
    """The Python type of an argument a Python caller gave, for the messages about it (a value
    read from a user's file is named by :func:`k8sviz._text.kind_of` instead)."""
    return type(value).__name__


def is_count(value: Any) -> bool:
    """True for a whole number: an ``int`` or any :class:`numbers.Integral`, such as the numpy
    integer a notebook gets from a pandas column or ``len`` of an array (``np.int64(100)``);
    never a bool (``True`` is 1 to Python but a slip as a count), a float or a str."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def require_snapshot(value: Any, where: str, name: str = "snapshot") -> Snapshot:
    """``value`` if it is a :class:`~k8sviz.snapshot.Snapshot`, else a QueryError."""
    from .snapshot import Snapshot

    if not isinstance(value, Snapshot):
        hint = ""
        if _is_reach(value):
            hint = " (that is a reachability: give its .snapshot)"
        elif isinstance(value, str | bytes) or hasattr(value, "__fspath__"):
            hint = " (load it first: k8sviz.load(path))"
        msg = f"{where}: {name} must be a Snapshot from k8sviz.load(...), got {type_name(value)}{hint}"
        raise QueryError(msg)
    return value


def _is_reach(value: Any) -> bool:
    from .policy.reachability import Reachability

    return isinstance(value, Reachability)


def require_reach(
    value: Any, where: str, name: str = "reach", needs: tuple[str, ...] = ("snapshot", "to_frame")
) -> Any:
    """``value`` if it can serve as a reachability (a :class:`~k8sviz.policy.reachability.
    Reachability`, or any object with the attributes ``needs``: the analyses take the engine's
    contract, not its class), else a QueryError."""
    from .snapshot import Snapshot

    if isinstance(value, Snapshot | str | bytes) or not all(hasattr(value, a) for a in needs):
        hint = " (compute it: k8sviz.reachability(snapshot))" if isinstance(value, Snapshot) else ""
        msg = f"{where}: {name} must come from k8sviz.reachability(snapshot), got {type_name(value)}{hint}"
        raise QueryError(msg)
    return value


def require_same(snapshot: Snapshot, reach: Any, where: str) -> None:
    """A QueryError unless ``reach`` was computed from ``snapshot`` (the same object, or one of
    the same content: a snapshot loaded again from the same input)."""
    other = getattr(reach, "snapshot", None)
    if other is None or other is snapshot or other.sha256 == snapshot.sha256:
        return
    msg = (
        f"{where}: reach was computed from another snapshot "
        f"({as_written(other.meta.get('cluster'))}, {len(other.pods)} pods) than the one given "
        f"({as_written(snapshot.meta.get('cluster'))}, {len(snapshot.pods)} pods); "
        "give k8sviz.reachability(snapshot), or leave reach out"
    )
    raise QueryError(msg)


def snapshot_and_reach(snapshot: Any, reach: Any, where: str) -> tuple[Snapshot, Any]:
    """The ``(snapshot, reach)`` of an analysis that takes both, either of them optional
    (``snapshot`` None: ``reach.snapshot``; ``reach`` None: computed later), each checked, and
    ``reach`` checked to be of ``snapshot``: one of another cluster would mix two clusters'
    pods into one answer."""
    if snapshot is None:
        if reach is None:
            msg = f"{where}: give a snapshot (k8sviz.load(...)) or reach=k8sviz.reachability(snapshot)"
            raise QueryError(msg)
        return require_reach(reach, where).snapshot, reach
    require_snapshot(snapshot, where)
    if reach is not None:
        require_reach(reach, where)
        require_same(snapshot, reach, where)
    return snapshot, reach


def require_paths(paths: tuple[Any, ...], where: str, error: type[K8svizError] = InputError) -> None:
    """An InputError (or ``error``) unless each of ``paths`` is a ``str`` or an ``os.PathLike`` (a list given
    as one argument is the usual slip: ``load(["a.yaml", "b.yaml"])`` for ``load("a.yaml", "b.yaml")``),
    and names a file at all (see :func:`path_problem`)."""
    for p in paths:
        if not isinstance(p, str | os.PathLike):
            hint = f" (give several paths as separate arguments: {where}(*paths))" if isinstance(
                p, list | tuple | set) else ""
            msg = f"{where}: a path must be a str or pathlib.Path, got {type_name(p)}{hint}"
            raise error(msg)
        problem = path_problem(p)
        if problem:
            raise error(f"{where}: {problem}")


def is_input_dir(path: str | os.PathLike[str]) -> bool:
    """Whether the input ``path`` is a directory (to walk) rather than a file (to read); an
    InputError naming it if there is nothing there or it cannot be looked at.  ``Path.is_dir``
    and ``Path.exists`` raise an ``OSError`` of their own for a name too long (a 10,000-character
    string given as a path), which reached the caller as a traceback.  (Here, not in
    :mod:`k8sviz._files`: that module imports nothing of the package, see ``synth``.)"""
    import stat

    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise InputError("no such file or directory", source=str(path)) from None
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", source=str(path)) from None
    return stat.S_ISDIR(st.st_mode)


def path_problem(path: str | os.PathLike[str]) -> str:
    """Why ``path`` names no file, or "".  An empty path (an unset variable in a notebook) is
    ``Path("")``, the current directory: it was read whole, every YAML file below it taken for
    the cluster; a NUL character made ``open`` raise a bare ``ValueError: embedded null byte``
    naming neither the argument nor the path."""
    text = os.fspath(path)
    if isinstance(text, str) and not text:
        return "a path is empty (it would be read as the current directory); give a file or directory"
    if isinstance(text, str) and "\x00" in text:
        return f"a path contains a NUL character, which no file name can: {as_written(text)}"
    return ""


def one_of(value: Any, choices: Iterable[str]) -> bool:
    """True if ``value`` is a ``str`` among ``choices``: ``value in choices`` alone raised
    pandas' "truth value of a DataFrame is ambiguous" for a DataFrame and "unhashable type" for
    a list against a set, not the caller's message naming the argument."""
    return isinstance(value, str) and value in choices


def require_flag(value: Any, where: str, name: str, error: type[Exception] = QueryError) -> bool:
    """``value`` if it is a bool (numpy's too), else ``error`` naming the argument: a flag is
    read by its truth, so ``all_pairs="no"`` or ``services="false"`` did the opposite of what
    it said, silently."""
    import numpy as np

    if not isinstance(value, bool | np.bool_):
        raise error(f"{where}: {name} must be True or False, got {as_given(value)}")
    return bool(value)


def require_title(value: Any, where: str) -> str | None:
    """A figure's ``title``: None or a str, else an InputError (a DataFrame raised pandas'
    "truth value is ambiguous", a number was drawn as the title)."""
    if value is not None and not isinstance(value, str):
        raise InputError(f"{where}: title must be a str or None, got {type_name(value)}")
    return value


def _other_snapshot(flows: Any, where: str, snapshot: Snapshot, info: dict[str, Any]) -> None:
    """Flows mapped to another snapshot than ``snapshot``.  The same cluster at another time, or
    with its policies edited, is a question worth asking (would last week's traffic pass the
    new policies?): warned, naming both.  Flows none of whose workloads are in ``snapshot`` are
    another cluster's, and every verdict on them would be wrong: a TableError."""
    import warnings

    import pandas as pd

    from ._warnings import outside_stacklevel
    from .flows import FlowWarning

    ends = []
    for e in ("src", "dst"):
        cols = [f"{e}_type", f"{e}_namespace", f"{e}_workload"]
        if all(c in flows.columns for c in cols):
            pods = flows.loc[flows[cols[0]] == "pod", cols[1:]]
            ends.append(pods.set_axis(["ns", "w"], axis=1))
    named = set(pd.concat(ends).drop_duplicates().itertuples(index=False, name=None)) if ends else set()
    known = {(p.namespace, p.workload) for p in snapshot.pods}
    absent = len(named - known)
    theirs = f"{as_written(info.get('snapshot'))}, SHA-256 {str(info.get('snapshot_sha256'))[:12]}"
    given = f"{as_written(snapshot.meta.get('cluster'))}, SHA-256 {snapshot.sha256[:12]}"
    if named and absent == len(named):
        raise TableError(
            f"{where}: flows were mapped to another snapshot ({theirs}) than the one given ({given}), and "
            f"none of the {len(named):,} workloads they name is in it; load them again with "
            "k8sviz.load_flows(..., snapshot=snapshot)"
        )
    verb = "is" if absent == 1 else "are"
    some = f"; {absent:,} of the {len(named):,} workloads they name {verb} not in it" if absent else ""
    warnings.warn(
        f"{where}: flows were mapped to another snapshot ({theirs}) than the one given ({given}): they are "
        f"judged against its policies, by the workloads they were mapped to then{some}",
        FlowWarning,
        stacklevel=outside_stacklevel(),
    )


#: Columns a message lists by name; past them it counts the rest.
_COLUMNS_NAMED = 8


def columns_text(columns: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``: the names of k8sviz's own columns for a message, the
    first :data:`_COLUMNS_NAMED` of them (a table of something else lacks most of load_flows' 19)."""
    shown = columns[:_COLUMNS_NAMED]
    if len(columns) > _COLUMNS_NAMED:
        return f"{', '.join(shown)} and {len(columns) - _COLUMNS_NAMED:,} more"
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def flow_table_problem(flows: Any, where: str, columns: tuple[str, ...] | list[str]) -> str | None:
    """Why ``flows`` is no flow table of :func:`k8sviz.load_flows` with ``columns``, naming the
    missing columns and the function to use, or None.  The one message of every function that
    takes flows (raised as a :class:`~k8sviz.errors.TableError`)."""
    import pandas as pd

    if not isinstance(flows, pd.DataFrame):
        hint = (" (load it first: k8sviz.load_flows(path, snapshot=snapshot))"
                if isinstance(flows, str | os.PathLike) else "")
        return f"{where}: flows must be a DataFrame from k8sviz.load_flows(...), got {type_name(flows)}{hint}"
    missing = [c for c in columns if c not in flows.columns]
    if not missing:
        return None
    return (f"{where}: flows must be a DataFrame from k8sviz.load_flows(...), got a DataFrame without the "
            f"column{'s' if len(missing) > 1 else ''} {columns_text(missing)}; load the flow logs with "
            "k8sviz.load_flows(path, snapshot=snapshot)")


def require_flows(
    flows: Any, where: str, snapshot: Snapshot | None = None, columns: tuple[str, ...] = ("time", "src_type")
) -> Any:
    """``flows`` if it is None or a flow table of :func:`k8sviz.load_flows` (a DataFrame with
    ``columns``), else a TableError naming the argument: a list, a path or a graph reached
    pandas as an AttributeError, and a DataFrame of something else (the findings of ``gaps``)
    was read as no flows at all.  With
    ``snapshot``, flows mapped to another snapshot (``load_flows(..., snapshot=other)``) are one
    too: their endpoints are the other cluster's workloads, judged against this one's policies."""
    import pandas as pd

    if flows is None:
        return None
    # without rows, whatever its columns, a DataFrame says "no flows" as well
    empty = isinstance(flows, pd.DataFrame) and not len(flows)
    problem = flow_table_problem(flows, where, () if empty else columns)
    if problem:
        raise TableError(problem)
    info = flows.attrs.get("k8sviz")
    mapped = info.get("snapshot_sha256") if isinstance(info, dict) else None
    if snapshot is not None and mapped and mapped != snapshot.sha256:
        _other_snapshot(flows, where, snapshot, info)
    return flows
