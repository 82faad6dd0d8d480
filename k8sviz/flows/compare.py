"""Aggregate, time-check and compare observed flows with what the policies allow.

Counting connections
--------------------
One connection is usually reported several times: by both of its ends (Calico and Goldmane
``reporter`` src and dst, Hubble at the source's egress and the destination's ingress), by
several Hubble events for one packet (a policy-verdict and a drop event for the same dropped
SYN; trace events at several observation points), and by several formats (a Hubble capture and
a Calico log of the same traffic).  So counts from different *observers* are not added up.  An
observer is one ``(source_format, reporter, event_type, observation_point)``; its count for an
edge is the sum of ``num_flows`` over its records, and at least 1 when it has any (a connection
that started before the window still ran in it).  The ``flows`` of an edge (or of a finding) is
the largest count any one observer recorded; ``allowed``, ``denied`` and ``unknown`` apply the
same rule to the records of that verdict, so they need not add up to ``flows`` (a connection
allowed at its source and dropped at its destination counts once as each).  ``records`` stays
the number of rows.

Within one observer, records add up: its files may be per node or rotated, and hold different
connections (the same capture given in two files is therefore counted twice).  Hubble has no
connection count and reports packets (a dropped SYN and its retransmissions, a connection's SYN,
ACK and FIN traces): a Hubble observer counts the distinct ``(src_ip, src_port, dst_ip,
dst_port, protocol, verdict)`` it reported, an event without ports or addresses counting 1.
A source port reused for the same destination within the window (after some 28,000
connections between the same two pods) is counted once.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._checks import one_of, require_flag
from .._text import as_given, counted
from ..errors import InputError

__all__ = [
    "clock_skew",
    "edge_records",
    "endpoint_labels",
    "endpoint_types",
    "flow_discrepancies",
    "flow_edges",
    "flow_windows",
    "port_ranges",
    "unknown_direction",
]

Level = Literal["pod", "workload", "namespace"]


# ---------------------------------------------------------------------------- helpers



#: Columns of :func:`flow_edges`, in order.
EDGE_COLUMNS = [
    "src", "dst", "src_namespace", "dst_namespace", "src_type", "dst_type", "protocol", "ports",
    "records", "flows", "allowed", "denied", "unknown", "verdicts", "bytes", "packets",
    "first_seen", "last_seen", "sources",
]

#: What tells one observer of a connection from another (see "Counting connections" above).
OBSERVER_COLUMNS = ("source_format", "reporter", "event_type", "observation_point")


def _codes(s: pd.Series) -> np.ndarray:
    """Integer codes of a column's values (-1 for missing)."""
    if not isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype("category")
    return s.cat.codes.to_numpy().astype(np.int64)


def observers(flows: pd.DataFrame) -> np.ndarray:
    """One integer per row naming its observer (rows of one observer share it)."""
    cols = [c for c in OBSERVER_COLUMNS if c in flows]
    if not cols or not len(flows):
        return np.zeros(len(flows), dtype=np.int64)
    key = pd.DataFrame({c: _codes(flows[c]) for c in cols})
    return key.groupby(cols, sort=False).ngroup().to_numpy()


def connection_counts(flows: pd.DataFrame, obs: np.ndarray | None = None) -> np.ndarray:
    """Connections each row stands for, before observers (``obs``, from :func:`observers`)
    are compared: ``num_flows`` (1 if missing), except that a Hubble event repeating the
    5-tuple and verdict an earlier event of its observer reported counts 0 (see "Counting
    connections")."""
    n = flows["num_flows"].fillna(1).astype("int64").to_numpy().copy()
    if "source_format" not in flows or not len(flows):
        return n
    hubble = (flows["source_format"] == "hubble").to_numpy(dtype=bool)
    addressed = flows[["src_ip", "src_port", "dst_ip", "dst_port"]].notna().all(axis=1)
    known = hubble & addressed.to_numpy(dtype=bool)
    if known.any():
        rows = np.flatnonzero(known)
        key = pd.DataFrame({
            "obs": (observers(flows) if obs is None else obs)[rows],
            "src_port": flows["src_port"].to_numpy(dtype="float64", na_value=-1)[rows],
            "dst_port": flows["dst_port"].to_numpy(dtype="float64", na_value=-1)[rows],
            **{c: _codes(flows[c])[rows] for c in ("src_ip", "dst_ip", "protocol", "verdict")},
        })
        n[rows[key.duplicated().to_numpy()]] = 0
    return n


def largest_observer(work: pd.DataFrame, keys: list[str], counts: dict[str, str]) -> pd.DataFrame:
    """Per group of ``keys``, each count column's largest total over the observers (``_obs``).

    ``counts`` maps a count column to the column that counts the records behind it: an observer
    with records but a zero total (connections that started before its interval) counts 1.
    """
    per = work.groupby([*keys, "_obs"], sort=False, dropna=False)[[*counts, *counts.values()]].sum()
    for c, rec in counts.items():
        per[c] = np.where(per[rec].to_numpy() > 0, np.maximum(per[c].to_numpy(), 1), 0)
    return per[list(counts)].groupby(level=list(range(len(keys))), sort=False, dropna=False).max()


def port_ranges(ports: Iterable[Any]) -> list[str]:
    """Compact sorted ports into range strings: ``[80, 8000, 8001]`` -> ``["80", "8000-8001"]``."""
    vals = sorted({int(p) for p in ports if p is not None and not pd.isna(p)})
    out: list[str] = []
    start = prev = None
    for p in vals:
        if start is None:
            start = prev = p
        elif p == prev + 1:  # type: ignore[operator]
            prev = p
        else:
            out.append(str(start) if start == prev else f"{start}-{prev}")
            start = prev = p
    if start is not None:
        out.append(str(start) if start == prev else f"{start}-{prev}")
    return out


def _in_ranges(port: int, ranges: Iterable[str]) -> bool:
    for r in ranges:
        lo, _, hi = str(r).partition("-")
        if int(lo) <= port <= int(hi or lo):
            return True
    return False


def _label(level: str, typ: Any, ns: Any, pod: Any, wl: Any, ip: Any, space: Any, svc: Any) -> str:
    if typ in ("pod", "workload") and ns:
        if level == "namespace":
            return ns
        if level == "pod" and pod:
            return f"{ns}/{pod}"
        return f"{ns}/{wl or pod}"
    if typ == "node":
        if level == "namespace" or not (wl or ip):
            return "node"
        # A host endpoint whose address is no known node's, and that names none, keeps its
        # address under the node prefix: a bare address is what an external endpoint is named.
        return f"node/{wl or ip}"
    if typ == "service" and svc:
        return svc.split("/", 1)[0] if level == "namespace" else f"service/{svc}"
    if typ == "networkset":
        if level == "namespace":
            return ns or "networkset"
        # Prefixed even when namespaced: a bare ns/name would read as (and, in k8sviz.graph,
        # be the node of) the workload of that name.
        return f"networkset/{ns}/{wl}" if ns else f"networkset/{wl}"
    if typ == "external":
        if level == "namespace" or not ip:
            return f"external-{space}" if space else "external"
        return ip
    return ip or (ns if level == "namespace" and ns else "unknown")


def endpoint_types(flows: pd.DataFrame, side: str) -> np.ndarray:
    """The endpoint type of each row's source (``side="src"``) or destination: its
    ``{side}_type`` (``pod``, ``workload``, ``node``, ``service``, ``networkset``, ``external``,
    ``unknown``), or in a table without that column the type the row implies, as
    :func:`endpoint_labels` reads it."""
    if f"{side}_type" in flows:
        return flows[f"{side}_type"].astype(object).to_numpy()

    def named(col: str) -> np.ndarray:
        if f"{side}_{col}" not in flows:
            return np.zeros(len(flows), dtype=bool)
        s = flows[f"{side}_{col}"].astype(object)
        return (s.notna() & (s.astype(str) != "")).to_numpy(dtype=bool)

    ns, pod, wl, ip = named("namespace"), named("pod"), named("workload"), named("ip")
    out = np.full(len(flows), None, dtype=object)
    out[ip] = "external"  # the later assignments win: a pod names an IP too
    out[ns & wl] = "workload"
    out[ns & pod] = "pod"
    return out


def endpoint_labels(flows: pd.DataFrame, side: str, level: str = "workload") -> np.ndarray:
    """One label per row naming the source (``side="src"``) or destination at ``level``.

    In-cluster endpoints are ``ns/workload`` (``ns/pod`` at pod level, ``ns`` at namespace
    level), nodes ``node/<name>`` (``node/<address>`` for a host endpoint whose address is no
    known node's and that names no node), ClusterIPs ``service/ns/name``, Calico network sets
    ``networkset/ns/name`` (``networkset/name`` when global), external addresses their IP
    (``external-public``/``external-private`` at namespace level or when the IP is hidden).

    A table without the ``{side}_type`` column (one built by hand rather than by
    :func:`k8sviz.load_flows`) is read by what each row names: a namespace and a pod is a pod,
    a namespace and a workload a workload, an IP alone an external address.
    """
    if f"{side}_type" not in flows and len(flows):
        flows = flows.assign(**{f"{side}_type": endpoint_types(flows, side)})
    cols = [
        f"{side}_type",
        f"{side}_namespace",
        f"{side}_pod",
        f"{side}_workload",
        f"{side}_ip",
        f"{side}_address_space",
        "dst_service" if side == "dst" else None,
    ]
    arrays = []
    cats = []
    for c in cols:
        if c is None or c not in flows:
            arrays.append(np.full(len(flows), -1, dtype=np.int64))
            cats.append(pd.Index([]))
            continue
        s = flows[c]
        if not isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype("category")
        arrays.append(s.cat.codes.to_numpy().astype(np.int64))
        cats.append(s.cat.categories)
    if not len(flows):
        return np.array([], dtype=object)
    codes = np.column_stack(arrays)
    uniq, inverse = np.unique(codes, axis=0, return_inverse=True)
    labels = np.empty(len(uniq), dtype=object)
    for i, row in enumerate(uniq):
        vals = [cats[j][k] if k >= 0 else None for j, k in enumerate(row)]
        labels[i] = _label(level, *vals)
    return labels[inverse.reshape(-1)]


def _kinds(types: pd.Series) -> np.ndarray:
    """Per row, the kind of endpoint its type is (pods and workloads are one kind)."""
    t = types.astype(object).to_numpy()
    return np.where(np.isin(t, ["pod", "workload"]), "inside", t.astype(str))


def _check(flows: pd.DataFrame, where: str) -> pd.DataFrame:
    """``flows`` with every column of a flow table: a table built by hand (or saved and read
    back with fewer columns) gets the ones it lacks as missing values, which the comparisons
    read as load_flows' own missing values (one connection per record, no bytes, ...).  Without
    ``time`` and ``src_type`` it is none: a TableError naming what it lacks."""
    from .._checks import flow_table_problem
    from ..errors import TableError
    from ._table import COLUMNS

    problem = flow_table_problem(flows, where, ("time", "src_type"))
    if problem:
        raise TableError(problem)

    lacking = [c for c in COLUMNS if c not in flows.columns]
    if not lacking:
        return flows
    blank = {"int": "Int64", "bool": "boolean", "cat": "object", "time": "datetime64[ns, UTC]"}
    return flows.assign(**{c: pd.Series(pd.NA if COLUMNS[c] != "time" else pd.NaT, index=flows.index,
                                        dtype=blank[COLUMNS[c]]) for c in lacking})


def unknown_direction(flows: pd.DataFrame) -> np.ndarray:
    """Rows whose direction is unknown: Hubble records without ``is_reply`` (and no TCP flags or
    translation point that told the loader) that were not dropped.

    Such a record may be an answer running server to client (a SYN+ACK at its destination
    without conntrack state), so it cannot stand for a request edge.  Dropped records are
    requests in practice: policy drops hit a connection's first packets, and replies follow
    conntrack.  Records of other formats are connections, named by who opened them.
    """
    if "is_reply" not in flows or "source_format" not in flows or not len(flows):
        return np.zeros(len(flows), dtype=bool)
    na = flows["is_reply"].isna().to_numpy(dtype=bool)
    hubble = (flows["source_format"] == "hubble").to_numpy(dtype=bool)
    dropped = (flows["verdict"] == "denied").to_numpy(dtype=bool)
    return na & hubble & ~dropped


def _not_replies(flows: pd.DataFrame) -> pd.DataFrame:
    """The requests: neither replies nor of unknown direction (see :func:`unknown_direction`)."""
    if "is_reply" in flows:
        return flows[~flows["is_reply"].fillna(False).astype(bool).to_numpy() & ~unknown_direction(flows)]
    return flows


def edge_records(
    flows: pd.DataFrame, *, replies: bool = False, reporter: Literal["src", "dst"] | None = None
) -> pd.DataFrame:
    """The records that stand for edges, as :func:`flow_edges` and :func:`k8sviz.graph` count them.

    Without ``replies``, Hubble replies and Hubble records of unknown direction (see
    :func:`unknown_direction`) are left out: they may run server to client.  With ``reporter``,
    only the records that end reported (and those that name no reporter).
    """
    f = flows if replies else _not_replies(flows)
    if reporter is not None:
        # in any case, as a protocol is ("SRC" matched no record and left an empty table)
        if not isinstance(reporter, str) or reporter.lower() not in ("src", "dst"):
            raise InputError(f"reporter must be 'src', 'dst' or None, not {as_given(reporter)}")
        f = f[(f["reporter"] == reporter.lower()) | f["reporter"].isna()]
    return f


# ---------------------------------------------------------------------------- windows


def flow_windows(flows: pd.DataFrame) -> pd.DataFrame:
    """The time window each source file covers (UTC): ``source_format, file, records, flows, first, last,
    span``."""
    flows = _check(flows, "flow_windows")
    keys = ["source_format", "file"] if "file" in flows else ["source_format"]
    end = flows["end_time"].fillna(flows["time"]) if "end_time" in flows else flows["time"]
    n = flows["num_flows"].fillna(1) if "num_flows" in flows else pd.Series(1, index=flows.index)
    # A small frame of only what is needed (DataFrame.assign would copy every column).
    work = pd.DataFrame({**{k: flows[k] for k in keys}, "time": flows["time"], "_end": end, "_n": n})
    # A table built by hand may name no format or file: its records still count, as one window.
    g = work.groupby(keys, observed=True, sort=True, dropna=False)
    out = g.agg(records=("time", "size"), flows=("_n", "sum"), first=("time", "min"), last=("_end", "max"))
    out = out.reset_index()
    for k in keys:
        out[k] = out[k].astype(object).where(out[k].notna(), "unknown").astype(str)
    out["flows"] = out["flows"].astype("int64")
    out["span"] = out["last"] - out["first"]
    return out


# ---------------------------------------------------------------------------- edges


def flow_edges(
    flows: pd.DataFrame,
    level: Level = "workload",
    *,
    replies: bool = False,
    reporter: Literal["src", "dst"] | None = None,
) -> pd.DataFrame:
    """Aggregate flow records into edges between workloads (or namespaces, or pods).

    Parameters
    ----------
    flows
        A table from :func:`k8sviz.load_flows`.
    level
        ``"workload"`` (default), ``"namespace"`` or ``"pod"``.
    replies
        Keep Hubble reply records (they run server -> client, so default False), and Hubble
        records of unknown direction (no ``is_reply``, no TCP SYN, not dropped: see
        :func:`unknown_direction`), which are otherwise left out and counted in
        ``attrs["k8sviz"]["unknown_direction_records"]``.
    reporter
        Count only records reported by this end (Calico reports a connection at both ends, and
        Hubble at both observation points); None keeps all.

    Returns
    -------
    pandas.DataFrame
        Columns ``src, dst, src_namespace, dst_namespace, src_type, dst_type, protocol, ports``
        (list of range strings), ``records`` (rows), ``flows`` (connections: the largest count
        any one observer recorded, see "Counting connections" in :mod:`k8sviz.flows.compare`),
        ``allowed, denied, unknown`` (the same per verdict: they need not add up to ``flows``),
        ``verdicts``, ``bytes``, ``packets`` (sums), ``first_seen``, ``last_seen``, ``sources``
        (formats).  Ordered by flows, descending.  One row per ``src``, ``dst`` and protocol,
        and per kind of endpoint where two kinds share a label (a node ``x`` and the workload
        ``x`` of a namespace called ``node`` are both ``node/x``: ``src_type`` tells them apart).
    """
    flows = _check(flows, "flow_edges")
    require_flag(replies, "flow_edges", "replies", InputError)
    if not one_of(level, ("workload", "namespace", "pod")):
        msg = f"level must be workload, namespace or pod, not {as_given(level)}"
        raise InputError(msg)
    f = edge_records(flows, replies=replies, reporter=reporter)
    info = {"unknown_direction_records": 0 if replies else int(unknown_direction(flows).sum())}
    if not len(f):
        empty = pd.DataFrame(columns=EDGE_COLUMNS)
        empty.attrs["k8sviz"] = info
        return empty
    obs = observers(f)
    n = connection_counts(f, obs)
    verdict = f["verdict"].astype(object).to_numpy()
    bytes_ = (f["bytes_in"].fillna(0) + f["bytes_out"].fillna(0)).astype("int64").to_numpy()
    packets = (f["packets_in"].fillna(0) + f["packets_out"].fillna(0)).astype("int64").to_numpy()
    work = pd.DataFrame(
        {
            "src": endpoint_labels(f, "src", level),
            "dst": endpoint_labels(f, "dst", level),
            "protocol": f["protocol"].astype(object).fillna("?").to_numpy(),
            "src_namespace": f["src_namespace"].astype(object).to_numpy(),
            "dst_namespace": f["dst_namespace"].astype(object).to_numpy(),
            "src_type": f["src_type"].astype(object).to_numpy(),
            "dst_type": f["dst_type"].astype(object).to_numpy(),
            "dst_port": f["dst_port"].to_numpy(dtype="float64", na_value=np.nan),
            "flows": n,
            "allowed": np.where(verdict == "allowed", n, 0),
            "denied": np.where(verdict == "denied", n, 0),
            "unknown": np.where((verdict != "allowed") & (verdict != "denied"), n, 0),
            "verdict": verdict,
            "bytes": bytes_,
            "packets": packets,
            "first_seen": f["time"].to_numpy(),
            "last_seen": f["end_time"].fillna(f["time"]).to_numpy(),
            "source_format": f["source_format"].astype(object).to_numpy(),
            "_obs": obs,
            "_rec": np.ones(len(f), dtype=np.int64),
            "_a": (verdict == "allowed").astype(np.int64),
            "_d": (verdict == "denied").astype(np.int64),
            "_u": ((verdict != "allowed") & (verdict != "denied")).astype(np.int64),
        }
    )
    # Two kinds of endpoint can share a label (a node x and the workload x of a namespace called
    # "node" are both node/x): rows are kept apart by kind, never summed into one.
    work["_sk"] = _kinds(work["src_type"])
    work["_dk"] = _kinds(work["dst_type"])
    keys = ["src", "_sk", "dst", "_dk", "protocol"]
    g = work.groupby(keys, sort=False, dropna=False)
    out = g.agg(
        src_namespace=("src_namespace", "first"),
        dst_namespace=("dst_namespace", "first"),
        src_type=("src_type", "first"),
        dst_type=("dst_type", "first"),
        records=("flows", "size"),
        bytes=("bytes", "sum"),
        packets=("packets", "sum"),
        first_seen=("first_seen", "min"),
        last_seen=("last_seen", "max"),
    )
    counts = {"flows": "_rec", "allowed": "_a", "denied": "_d", "unknown": "_u"}
    out = out.join(largest_observer(work, keys, counts))
    ports = work.dropna(subset=["dst_port"]).groupby(keys, sort=False, dropna=False)["dst_port"].unique()
    verdicts = work.groupby(keys, sort=False, dropna=False)["verdict"].unique()
    sources = work.groupby(keys, sort=False, dropna=False)["source_format"].unique()
    out["ports"] = [port_ranges(ports.get(k, ())) for k in out.index]
    out["verdicts"] = [",".join(sorted(map(str, verdicts[k]))) for k in out.index]
    out["sources"] = [",".join(sorted(map(str, sources[k]))) for k in out.index]
    out = out.reset_index()
    if level == "namespace":
        out["src_namespace"] = out["src"]
        out["dst_namespace"] = out["dst"]
    out["first_seen"] = pd.to_datetime(out["first_seen"], utc=True)
    out["last_seen"] = pd.to_datetime(out["last_seen"], utc=True)
    out = out[EDGE_COLUMNS].sort_values(
        ["flows", "src", "dst"], ascending=[False, True, True], ignore_index=True
    )
    out.attrs["k8sviz"] = info
    return out


# ---------------------------------------------------------------------------- clock skew


def _duration(name: str, value: Any) -> pd.Timedelta:
    """``value`` as a Timedelta: a string with its unit (``"2s"``, ``"10min"``), a Timedelta or
    a ``datetime.timedelta``.  A bare number has no unit (pandas reads ``2`` as 2 nanoseconds,
    which made every pair skewed), and None no length: both are InputErrors, as is a string
    pandas cannot read."""
    import datetime as dt

    bad = (f"clock_skew: {name} must be a duration such as '2s' or '10min' (or a Timedelta), "
           f"got {as_given(value)}")
    if isinstance(value, dt.timedelta | np.timedelta64):
        out = pd.Timedelta(value)
    elif isinstance(value, str):
        try:
            float(value)
        except ValueError:
            pass
        else:  # "10" is 10 nanoseconds to pandas, as 10 is
            raise InputError(bad + " (a bare number has no unit)")
        try:
            out = pd.Timedelta(value)
        except ValueError:
            raise InputError(bad) from None
    else:
        raise InputError(bad + (" (a bare number has no unit)" if isinstance(value, int | float) else ""))
    if pd.isna(out) or out < pd.Timedelta(0):
        raise InputError(bad)
    return out


def clock_skew(
    flows: pd.DataFrame,
    threshold: str | pd.Timedelta = "2s",
    *,
    tolerance: str | pd.Timedelta = "10min",
    all_pairs: bool = False,
) -> pd.DataFrame:
    """Clock offsets between nodes, from connections reported by both ends.

    A connection seen by its source (Calico ``reporter=src``, Hubble egress) and by its
    destination (``reporter=dst``, Hubble ingress) on another node is paired record by record
    (same 5-tuple, or same workload pair and port for aggregated rows, k-th with k-th in time
    order).  The median of ``time(dst) - time(src)`` per node pair is the offset of the
    destination node's clock relative to the source node's (plus network latency, which is far
    below a second).

    Parameters
    ----------
    threshold
        Report node pairs whose median offset exceeds this (pandas Timedelta string).
    tolerance
        Ignore pairs further apart than this (mismatched records).
    all_pairs
        Return every node pair, not only those beyond the threshold.

    Returns
    -------
    pandas.DataFrame
        ``source_format, src_node, dst_node, pairs, offset`` (Timedelta, median),
        ``offset_seconds, min_offset_seconds, max_offset_seconds, first, last, skewed, suspect_node``
        (the node common to every skewed pair of that source format, when there is one).
    """
    flows = _check(flows, "clock_skew")
    threshold = _duration("threshold", threshold)
    tolerance = _duration("tolerance", tolerance)
    require_flag(all_pairs, "clock_skew", "all_pairs", InputError)
    cols = [
        "source_format",
        "src_node",
        "dst_node",
        "pairs",
        "offset",
        "offset_seconds",
        "min_offset_seconds",
        "max_offset_seconds",
        "first",
        "last",
        "skewed",
        "suspect_node",
    ]
    f = _not_replies(flows)
    f = f[f["reporter"].isin(["src", "dst"]) & f["node"].notna()]
    if not len(f):
        return pd.DataFrame(columns=cols)
    src_l = endpoint_labels(f, "src", "pod")
    dst_l = endpoint_labels(f, "dst", "pod")

    def text(c: str) -> pd.Series:
        return f[c].astype(object).where(f[c].notna(), "").astype(str)

    key = (
        text("source_format")
        + "|"
        + text("src_ip")
        + "|"
        + pd.Series(src_l, index=f.index)
        + "|"
        + text("src_port")
        + "|"
        + text("dst_ip")
        + "|"
        + pd.Series(dst_l, index=f.index)
        + "|"
        + text("dst_port")
        + "|"
        + text("protocol")
    ).to_numpy()
    w = pd.DataFrame(
        {
            "key": key,
            "time": f["time"].to_numpy(),
            "node": f["node"].astype(str).to_numpy(),
            "reporter": f["reporter"].astype(str).to_numpy(),
            "source_format": f["source_format"].astype(str).to_numpy(),
        }
    ).sort_values(["key", "time"], kind="stable")
    w["k"] = w.groupby(["key", "reporter"], sort=False).cumcount()
    a = w[w["reporter"] == "src"]
    b = w[w["reporter"] == "dst"]
    m = a.merge(b[["key", "k", "time", "node"]], on=["key", "k"], suffixes=("_src", "_dst"))
    m = m[m["node_src"] != m["node_dst"]]
    m = m.assign(off=m["time_dst"] - m["time_src"])
    m = m[m["off"].abs() <= tolerance]
    if not len(m):
        return pd.DataFrame(columns=cols)
    g = m.groupby(["source_format", "node_src", "node_dst"], sort=True)
    out = (
        g.agg(
            pairs=("off", "size"),
            offset=("off", "median"),
            min_offset=("off", "min"),
            max_offset=("off", "max"),
            first=("time_src", "min"),
            last=("time_src", "max"),
        )
        .reset_index()
        .rename(columns={"node_src": "src_node", "node_dst": "dst_node"})
    )
    out["offset_seconds"] = out["offset"].dt.total_seconds()
    out["min_offset_seconds"] = out.pop("min_offset").dt.total_seconds()
    out["max_offset_seconds"] = out.pop("max_offset").dt.total_seconds()
    out["skewed"] = out["offset"].abs() > threshold
    out["suspect_node"] = None
    for fmt, grp in out[out["skewed"]].groupby("source_format"):
        nodes = [set(x) for x in zip(grp["src_node"], grp["dst_node"], strict=True)]
        common = set.intersection(*nodes)
        if len(common) == 1:
            out.loc[grp.index, "suspect_node"] = common.pop()
        del fmt
    if not all_pairs:
        out = out[out["skewed"]]
    return out[cols].reset_index(drop=True)


# ---------------------------------------------------------------------------- intent vs observed

DISCREPANCY_COLUMNS = [
    "kind",
    "src",
    "dst",
    "protocol",
    "ports",
    "flows",
    "records",
    "first_seen",
    "last_seen",
    "sample",
    "policy",
    "direction",
    "rule",
    "detail",
    "src_type",
    "dst_type",
    "rule_text",
]


def _reach_key(typ: Any, ns: Any, pod: Any, wl: Any, ip: Any) -> str | None:
    ns, pod, wl, ip = (None if pd.isna(x) else x for x in (ns, pod, wl, ip))
    if typ == "pod" and ns and pod:
        return f"{ns}/{pod}"
    if typ == "workload" and ns and wl:
        return f"{ns}/{wl}"
    if typ in ("external", "node") and ip:
        return str(ip)
    return None


def _verdict_text(v: Any) -> tuple[str, str, str]:
    """``(policy, direction, rule)`` of an engine verdict: the deciding policies and rules.

    For an allowed connection, the rules allowing it on each isolated side; for a denied one,
    the directions that deny it and the policies isolating the endpoint there.
    """
    if v is None:
        return "", "", ""
    sides = [x for x in (getattr(v, "egress", None), getattr(v, "ingress", None)) if x is not None]
    if not sides:
        return str(v), "", ""
    def decided(side: Any) -> Any:
        """The admin, baseline or Calico rule that decided this side, if one did (NetworkPolicy's
        decisions read better as the allowing rules, or as the isolating policies)."""
        for d in getattr(side, "steps", ()):
            if d.action != "pass":
                return d.match if d.tier != "NetworkPolicy" else None
        for d in (getattr(side, "admin", None), getattr(side, "baseline", None)):
            if d is not None and d.action != "pass":
                return d.match
        return None

    if getattr(v, "allowed", False):
        matches = [
            m
            for side in sides
            for m in ([decided(side)] if decided(side) is not None else getattr(side, "allowed_by", ()))
        ]
        policies = list(dict.fromkeys(m.policy for m in matches))
        rules = [f"{m.policy} {m.direction}[{m.rule}]: {m.text}" for m in matches]
        dirs = list(dict.fromkeys(m.direction for m in matches))
        return ", ".join(policies) or "(not isolated)", ",".join(dirs), "; ".join(rules)
    denying = [side for side in sides if not side.allowed]
    policies = list(
        dict.fromkeys(
            p
            for side in denying
            for p in ([decided(side).policy] if decided(side) is not None else side.policies)
        )
    )
    rules = [
        f"{side.direction} of {side.endpoint}: denied by {decided(side)}"
        if decided(side) is not None
        else f"{side.direction} of {side.endpoint}: no rule of {', '.join(side.policies)} allows it"
        for side in denying
    ]
    return ", ".join(policies), ",".join(side.direction for side in denying), "; ".join(rules)


def _egress_denies(reach: Any, combo: tuple[Any, ...]) -> bool:
    """Whether the egress side of a connection the policies deny denies it (True when the
    engine cannot say which side does: then any forwarded record counts, as it did before)."""
    from ..errors import K8svizError

    try:
        v = reach.explain(combo[0], combo[1], int(combo[2]), combo[3])
    except (K8svizError, AttributeError, TypeError):
        return True
    egress, ingress = getattr(v, "egress", None), getattr(v, "ingress", None)
    if egress is None or ingress is None or (egress.allowed and ingress.allowed):
        return True
    return not egress.allowed


def _samples(g: pd.DataFrame, k: int) -> list[str]:
    return [f"{fi}:{li}" for fi, li in zip(g["file"].head(k), g["line"].head(k), strict=True)]


_DETAILS = {
    "observed-but-policy-denies": "forwarded by the CNI, denied by the policies",
    "dropped-but-policy-allows": "dropped by the CNI, allowed by the policies",
    "denied-at-l7": "requests refused by an L7 rule of the CNI (not modelled); the connection is allowed",
}


#: Ports of one discrepancy row checked against toFQDNs rules (a port scan has thousands).
_DNS_PORTS = 64


def _dns_detail(reach: Any, src: str, dst: str, ports: Any, protocol: str) -> str:
    """Where toFQDNs rules may explain the flows of a row (judged, as the row's policy is, by
    its first record's endpoints): then there is likely no discrepancy at all, since the
    address came from a DNS answer the snapshot does not hold."""
    try:
        ipaddress.ip_address(dst)
    except ValueError:
        return ""  # a pod: DNS-based rules never select pods
    checked = sorted(int(p) for p in ports)
    by_rule: dict[str, list[int]] = {}
    for port in checked[:_DNS_PORTS]:
        for m in reach.explain(src, dst, port, protocol).dns_rules:
            by_rule.setdefault(str(m), []).append(port)
    if not by_rule:
        return ""
    more = f" (the first {_DNS_PORTS} of {len(checked)} ports checked)" if len(checked) > _DNS_PORTS else ""
    return "; " + "; ".join(
        f"on {', '.join(port_ranges(p))}: unless the address is among the DNS answers for a toFQDNs rule "
        f"({rule}), which a snapshot does not hold"
        for rule, p in by_rule.items()
    ) + more


def flow_discrepancies(flows: pd.DataFrame, reach: Any, *, sample: int = 3) -> pd.DataFrame:
    """Compare observed flows with what the policies allow (``reach = k8sviz.reachability(snap)``).

    Returns one row per finding with ``kind``:

    ``observed-but-policy-denies``
        The CNI forwarded flows that the NetworkPolicies (as the engine reads them) deny:
        the snapshot is stale, a policy is not enforced, or another CNI policy allowed it.
        Where a Cilium ``toFQDNs`` rule could allow it, ``detail`` names the rule and the
        ports: the address likely came from a DNS answer, which a snapshot does not hold.
        A record allowed by one end is only that end's verdict (Calico and Goldmane
        ``action`` per ``reporter``; Hubble forwards at the source what the destination
        then drops), so it counts only against a denial it could have met: a source-side
        record (``reporter`` src: Calico/Goldmane ``src``, Hubble ``EGRESS``) against an
        egress denial; a destination-side record (``dst``, Hubble ``INGRESS``) against any,
        since the connection arrived; a record of unknown side (a CSV without ``reporter``,
        Hubble without ``traffic_direction``) against any, as if it had arrived.
    ``dropped-but-policy-allows``
        The CNI dropped flows that the policies allow: an outage, another policy layer, or a
        stale snapshot.
    ``denied-at-l7``
        Cilium's L7 proxy refused requests (HTTP, DNS, Kafka) on a connection that the
        policies allow.  L7 rules are not modelled; the connection itself was carried, since
        traffic only reaches the proxy through an L3/L4 rule that allowed it.  For the same
        reason an L7 record of either verdict on a connection the policies deny is
        ``observed-but-policy-denies``, and counts as use of the rules that allow it.
    ``allowed-but-unused``
        A policy rule whose admitted (end-to-end allowed) connections were never observed
        forwarded in the window: a candidate for removal (least privilege).  A rule's CIDR
        is used by the connections of the external addresses and cluster nodes inside it
        (a node by its address: the one its connections were judged by).

    Columns: ``kind, src, dst, protocol, ports`` (range strings), ``flows`` (connections: the
    largest count any one observer recorded, as in :func:`flow_edges`), ``records``,
    ``first_seen``, ``last_seen``, ``sample`` (``file:line`` of the first records),
    ``policy``, ``direction``, ``rule``, ``detail``, ``src_type``, ``dst_type``, ``rule_text``.
    ``rule`` is the deciding rules in words for an observed row, and for ``allowed-but-unused``
    the rule's index in its policy's list for ``direction`` (as ``rule_frame`` gives it);
    ``rule_text`` names the rules in words for every row: the observed row's ``rule``, and
    ``ns/policy ingress[1]: from ... on TCP/80`` for an unused one.  Pairs are named
    at workload level (``ns/workload`` or the IP); where two kinds of endpoint share a label (a node
    ``x`` and the workload ``x`` of a namespace called ``node`` are both ``node/x``) their findings
    are separate rows, told apart by the types.  An observed row's types are its earliest record's
    (``pod``, ``workload``, ``node`` or ``external``, as :func:`flow_edges` gives them); an
    ``allowed-but-unused`` row's are the rule's ends as the engine's ``rule_frame`` types them
    (``workload``, or ``external`` for a CIDR, nodes' addresses included), comma-separated when a
    rule has ends of both types.  Flows to ClusterIPs (not translated) and to unmapped addresses
    cannot be judged and are counted in ``attrs["k8sviz"]`` (``unjudged_records``,
    ``judged_records``); so are Hubble records of unknown direction, left out
    (``unknown_direction_records``, see :func:`unknown_direction`).  When no record could be
    judged, no ``allowed-but-unused`` row is given (every rule would be one) and
    ``attrs["k8sviz"]["unused_not_checked"]`` says why.
    ``attrs["k8sviz"]["lost_events"]`` is the number of events Hubble reported lost while the
    flows were captured (when it did): ``allowed-but-unused`` rows may then name used rules.
    """
    from .._checks import is_count, require_flows, require_reach
    from ..errors import K8svizError

    flows = _check(flows, "flow_discrepancies")
    require_reach(reach, "flow_discrepancies", needs=("can_reach",))
    snapshot = getattr(reach, "snapshot", None)
    require_flows(flows, "flow_discrepancies", snapshot if hasattr(snapshot, "sha256") else None)
    if not is_count(sample) or sample < 0:
        raise InputError("flow_discrepancies: sample must be a count of records (0 or more), "
                         f"not {as_given(sample)}")
    sample = int(sample)
    f = _not_replies(flows)
    f = f[f["verdict"].isin(["allowed", "denied"])]
    info: dict[str, Any] = {
        "unjudged_records": 0,
        "judged_records": 0,
        "engine_errors": {},
        "unknown_direction_records": int(unknown_direction(flows).sum()),
    }
    sources = flows.attrs.get("k8sviz", {}).get("sources", ())
    lost = sum(int((s.get("lost_events") or {}).get("events", 0)) for s in sources)
    if lost:
        info["lost_events"] = lost
    rows: list[dict[str, Any]] = []
    observed_allowed: dict[tuple[str, str, str], set[int]] = {}
    if len(f):
        obs = observers(f)
        w = pd.DataFrame(
            {
                "src_key": [
                    _reach_key(*t)
                    for t in zip(
                        f["src_type"],
                        f["src_namespace"],
                        f["src_pod"],
                        f["src_workload"],
                        f["src_ip"],
                        strict=True,
                    )
                ],
                "dst_key": [
                    _reach_key(*t)
                    for t in zip(
                        f["dst_type"],
                        f["dst_namespace"],
                        f["dst_pod"],
                        f["dst_workload"],
                        f["dst_ip"],
                        strict=True,
                    )
                ],
                "src": endpoint_labels(f, "src", "workload"),
                "dst": endpoint_labels(f, "dst", "workload"),
                "src_type": f["src_type"].astype(object).to_numpy(),
                "dst_type": f["dst_type"].astype(object).to_numpy(),
                "protocol": f["protocol"].astype(object).to_numpy(),
                "port": f["dst_port"].to_numpy(dtype="float64", na_value=np.nan),
                "verdict": f["verdict"].astype(object).to_numpy(),
                "reporter": f["reporter"].astype(object).to_numpy(),
                "l7": (
                    (f["flow_type"] == "L7").to_numpy(dtype=bool)
                    if "flow_type" in f
                    else np.zeros(len(f), dtype=bool)
                ),
                "flows": connection_counts(f, obs),
                "time": f["time"].to_numpy(),
                "end": f["end_time"].fillna(f["time"]).to_numpy(),
                "file": f["file"].astype(object).to_numpy(),
                "line": f["line"].to_numpy(dtype="float64", na_value=np.nan),
                "obs": obs,
            }
        )
        judge = w["src_key"].notna() & w["dst_key"].notna() & w["port"].notna() & w["protocol"].notna()
        info["unjudged_records"] = int((~judge).sum())
        w = w[judge].copy()
        w["port"] = w["port"].astype("int64")
        w["line"] = w["line"].astype("int64")
        # What the network carried: forwarded packets, and every L7 record (see denied-at-l7).
        carried = (w["verdict"] == "allowed").to_numpy() | w["l7"].to_numpy()
        # A rule names a workload, or a CIDR for anything else: a node is matched by the address
        # it was judged by (its label, node/<name>, is in no CIDR), as an external endpoint is.
        for side in ("src", "dst"):
            typ = w[f"{side}_type"].to_numpy()
            w[f"{side}_match"] = np.where(np.isin(typ, ["node", "external"]), w[f"{side}_key"], w[side])
        # Two kinds of endpoint can share a label (a node x and the workload x of a namespace
        # called "node" are both node/x): their findings are kept apart, as flow_edges' rows are.
        w["_sk"] = _kinds(w["src_type"])
        w["_dk"] = _kinds(w["dst_type"])
        for (s, d, proto), ports in w[carried].groupby(["src_match", "dst_match", "protocol"])["port"]:
            observed_allowed.setdefault((s, d, proto), set()).update(int(p) for p in ports.unique())
        combos = w[["src_key", "dst_key", "port", "protocol"]].drop_duplicates()
        decided: dict[tuple[Any, ...], bool | None] = {}
        for t in combos.itertuples(index=False):
            try:
                decided[tuple(t)] = bool(
                    reach.can_reach(t.src_key, t.dst_key, int(t.port), protocol=t.protocol)
                )
            except K8svizError as e:
                decided[tuple(t)] = None
                info["engine_errors"][f"{t.src_key} -> {t.dst_key}:{t.port}/{t.protocol}"] = str(e)
        pol = np.array(
            [
                decided[tuple(t)]
                for t in w[["src_key", "dst_key", "port", "protocol"]].itertuples(index=False)
            ],
            dtype=object,
        )
        w["policy_allows"] = pol
        info["judged_records"] = int(sum(x is not None for x in pol))
        denies = np.array([x is False for x in pol], dtype=bool)
        allows = np.array([x is True for x in pol], dtype=bool)
        dropped = (w["verdict"] == "denied").to_numpy()
        l7 = w["l7"].to_numpy()
        # The source's own verdict says nothing of an ingress denial at the destination.
        src_side = carried & denies & (w["reporter"] == "src").to_numpy()
        at_source = w[["src_key", "dst_key", "port", "protocol"]][src_side]
        egress = {c: _egress_denies(reach, c) for c in set(at_source.itertuples(index=False, name=None))}
        src_counts = np.ones(len(w), dtype=bool)
        src_counts[src_side] = [egress[c] for c in at_source.itertuples(index=False, name=None)]
        kind = np.select(
            [carried & denies & src_counts, dropped & allows & ~l7, dropped & allows & l7],
            ["observed-but-policy-denies", "dropped-but-policy-allows", "denied-at-l7"],
            default="",
        )
        bad = w.assign(kind=kind)[kind != ""]
        for (kind, s, _sk, d, _dk, proto), g in bad.sort_values("time").groupby(
            ["kind", "src", "_sk", "dst", "_dk", "protocol"], sort=True
        ):
            first = g.iloc[0]
            detail = _DETAILS[kind]
            try:
                v = reach.explain(first["src_key"], first["dst_key"], int(first["port"]), first["protocol"])
                policy, direction, rule = _verdict_text(v)
            except (K8svizError, AttributeError, TypeError) as e:
                policy, direction, rule = "", "", f"explain failed: {e}"
            if kind == "observed-but-policy-denies" and getattr(reach, "has_dns_rules", False):
                try:
                    detail += _dns_detail(reach, first["src_key"], first["dst_key"], g["port"].unique(),
                                          proto)
                except (K8svizError, AttributeError, TypeError) as e:
                    detail += f"; toFQDNs rules not checked ({e})"
            rows.append(
                {
                    "kind": kind,
                    "src": s,
                    "dst": d,
                    "protocol": proto,
                    "ports": port_ranges(g["port"].unique()),
                    "flows": int(g.groupby("obs")["flows"].sum().clip(lower=1).max()),
                    "records": len(g),
                    "first_seen": g["time"].min(),
                    "last_seen": g["end"].max(),
                    "sample": _samples(g, sample),
                    "policy": policy,
                    "direction": direction,
                    "rule": rule,
                    "detail": detail,
                    # Records of a workload may name its pods or not (Hubble, Calico's aggregated
                    # rows): the earliest in the table decides, as in flow_edges.
                    "src_type": g.at[g.index.min(), "src_type"],
                    "dst_type": g.at[g.index.min(), "dst_type"],
                    "rule_text": rule,  # readable already: the deciding rules with their policies
                }
            )
    if info["judged_records"]:
        rows.extend(_unused_rules(reach, observed_allowed))
    else:
        # Nothing judged is no evidence that nothing is used: every rule would be listed.
        info["unused_not_checked"] = "no flow record could be mapped and judged against the policies"
    out = pd.DataFrame(rows, columns=DISCREPANCY_COLUMNS)
    out["first_seen"] = pd.to_datetime(out["first_seen"], utc=True)
    out["last_seen"] = pd.to_datetime(out["last_seen"], utc=True)
    out.attrs["k8sviz"] = info
    return out


class _Matcher:
    """Does an observed endpoint label fall under a rule_frame endpoint (same name, or IP in CIDR)?"""

    def __init__(self) -> None:
        self._nets: dict[str, Any] = {}
        self._ips: dict[str, Any] = {}

    def net(self, text: str) -> Any:
        if text not in self._nets:
            try:
                self._nets[text] = (
                    ipaddress.ip_network(text, strict=False)
                    if ("/" in text and text[0].isdigit()) or ":" in text
                    else None
                )
            except ValueError:
                self._nets[text] = None
        return self._nets[text]

    def _ip(self, text: str) -> Any:
        if text not in self._ips:
            try:
                self._ips[text] = ipaddress.ip_address(text)
            except ValueError:
                self._ips[text] = None
        return self._ips[text]

    def __call__(self, observed: str, rule: str) -> bool:
        if observed == rule:
            return True
        net = self.net(rule)
        if net is None:
            return False
        ip = self._ip(observed)
        return ip is not None and ip.version == net.version and ip in net


def _unused_rules(reach: Any, observed: dict[tuple[str, str, str], set[int]]) -> list[dict[str, Any]]:
    rf = reach.rule_frame(level="workload")
    if rf is None or not len(rf):
        return []
    match = _Matcher()
    by_proto: dict[str, list[tuple[str, str, set[int]]]] = {}
    for (s, d, proto), ports in observed.items():
        by_proto.setdefault(str(proto), []).append((s, d, ports))
    types = {side: _rule_types(rf, side, match) for side in ("src", "dst")}
    rule_col = "rule" if "rule" in rf else None
    rule_texts = getattr(reach, "rule_texts", None)  # an engine without it: the rules' names only
    texts = rule_texts() if callable(rule_texts) else {}
    keys = ["policy", "direction"] + ([rule_col] if rule_col else [])
    rows = []
    for k, g in rf.groupby(keys, sort=True, dropna=False):
        used = False
        for t in g.itertuples(index=False):
            ranges = list(t.ports) if isinstance(t.ports, list | tuple | np.ndarray) else []
            for s, d, ports in by_proto.get(str(t.protocol), ()):
                if (
                    match(s, str(t.src))
                    and match(d, str(t.dst))
                    and (not ranges or any(_in_ranges(p, ranges) for p in ports))
                ):
                    used = True
                    break
            if used:
                break
        if used:
            continue
        pairs = sorted({f"{t.src} -> {t.dst}" for t in g.itertuples(index=False)})
        rule_ports = port_ranges(
            p
            for t in g.itertuples(index=False)
            for r in (t.ports if t.ports is not None else [])
            for p in _expand(str(r))
        )
        srcs = sorted({str(x) for x in g["src"]})
        dsts = sorted({str(x) for x in g["dst"]})
        rows.append(
            {
                "kind": "allowed-but-unused",
                "src": ",".join(srcs[:10]) + (",..." if len(srcs) > 10 else ""),
                "dst": ",".join(dsts[:10]) + (",..." if len(dsts) > 10 else ""),
                "protocol": ",".join(sorted({str(x) for x in g["protocol"]})),
                "ports": rule_ports,
                "flows": 0,
                "records": 0,
                "first_seen": pd.NaT,
                "last_seen": pd.NaT,
                "sample": [],
                "policy": str(k[0]),
                "direction": str(k[1]),
                "rule": str(k[2]) if len(k) > 2 else "",
                "detail": f"rule admits {counted(len(pairs), 'workload pair')}, none observed in the window: "
                + "; ".join(pairs[:5])
                + (" ..." if len(pairs) > 5 else ""),
                "src_type": ",".join(sorted(set(types["src"][g.index]))),
                "dst_type": ",".join(sorted(set(types["dst"][g.index]))),
                "rule_text": _unused_rule_text(k, texts),
            }
        )
    return rows


def _unused_rule_text(key: tuple[Any, ...], texts: dict[tuple[str, str, int], str]) -> str:
    """``ns/policy ingress[1]: from ... on TCP/80``: an unused rule named as the observed rows
    name theirs (their ``rule``), where that row's ``rule`` holds the index alone."""
    policy, direction = str(key[0]), str(key[1])
    if len(key) < 3:
        return f"{policy} {direction}"
    name = f"{policy} {direction}[{key[2]}]"
    try:
        text = texts.get((policy, direction, int(key[2])))
    except (TypeError, ValueError):
        text = None
    return f"{name}: {text}" if text else name


def _rule_types(rf: pd.DataFrame, side: str, match: _Matcher) -> pd.Series:
    """The type of each rule frame row's ``side`` end: the engine's own (``workload``, or
    ``external`` for a CIDR), or for a rule frame without it (an engine that does not give
    one) the type the matcher reads the end as: a CIDR is external, anything else a workload."""
    if f"{side}_type" in rf:
        return rf[f"{side}_type"].astype(object).astype(str)
    return rf[side].map(lambda x: "external" if match.net(str(x)) is not None else "workload")


def _expand(r: str) -> range:
    lo, _, hi = r.partition("-")
    lo_i, hi_i = int(lo), int(hi or lo)
    if hi_i - lo_i > 4096:  # a huge range: keep its ends only
        return range(0)
    return range(lo_i, hi_i + 1)
