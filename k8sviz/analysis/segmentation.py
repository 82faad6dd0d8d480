"""Compare what the policies allow between zones with the declared intent (:mod:`.zones`)."""

from __future__ import annotations

import datetime as dt
import html
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np

from .._checks import one_of, snapshot_and_reach
from .._text import as_given
from . import _ports
from ._common import (
    _engine_codes,
    endpoint_codes,
    first_seen,
    get_reach,
    live_edge_frame,
    object_array,
    object_ids,
    port_list_codes,
    rule_frame,
)
from .zones import EXTERNAL, Zones, load_zones, resolve_today, warn_empty_zones

if TYPE_CHECKING:
    import pandas as pd

    from ..snapshot import Snapshot

__all__ = ["Segmentation", "rule_index", "segmentation", "zoned_frame"]

STATUS = ("denied", "partial", "allowed")
# One shared (read-only) empty list for the millions of violation rows that no rule opens.
_EMPTY: list[str] = []

VIOLATION_COLUMNS = [
    "src",
    "dst",
    "src_zone",
    "dst_zone",
    "protocol",
    "ports",
    "allowed_ports",
    "rules",
    "policies",
    "exceptions",
    "expired_exceptions",
    "external_blocks",
]


def df_types(df: pd.DataFrame) -> set[str]:
    """Keys that are external peers (CIDR atoms of the engine)."""
    return set(df.loc[df["src_type"] == "external", "src"]) | set(df.loc[df["dst_type"] == "external", "dst"])


def external_text(blocks: list[str]) -> str:
    if len(blocks) <= 4:
        return ", ".join(blocks)
    return f"{', '.join(blocks[:3])} ... (+{len(blocks) - 3} more blocks)"


PAIR_COLUMNS = [
    "src_zone",
    "dst_zone",
    "status",
    "ports",
    "pairs",
    "possible_pairs",
    "violations",
    "exceptions",
]


def zoned_frame(reach: Any, zones: Zones | None, level: str = "workload") -> pd.DataFrame:
    """``reach.to_frame(level)`` plus ``src_zone``/``dst_zone`` (None without zones).

    A workload whose pods are in several zones (:meth:`Zones.split_workloads`) is in each of
    them: its rows are repeated once per zone (per pair of zones when both ends are such
    workloads), so that no cross-zone connection goes unseen.
    """
    df = live_edge_frame(reach, level).copy()
    if zones is None:
        df["src_zone"] = None
        df["dst_zone"] = None
        return df
    zmap = zones.assign(reach.snapshot, level)
    split = zones.split_workloads(reach.snapshot) if level == "workload" else {}
    if split:
        df = _expand(df, split, ("src", "dst"))
        zmap = {**{k: v for k, v in zmap.items() if k not in split}, **_split_zmap(split)}

    def zone(key: str, typ: str) -> str:
        if typ == "external":
            return EXTERNAL
        if key in zmap:
            return zmap[key]
        pod = reach.snapshot.pod(key)
        if pod is not None:
            return zmap.get(pod.workload_key if level == "workload" else pod.key, "unzoned")
        return "unzoned"

    for col, typ in (("src", "src_type"), ("dst", "dst_type")):
        uniq = df[[col, typ]].drop_duplicates()
        lookup = {(k, t): zone(k, t) for k, t in zip(uniq[col], uniq[typ], strict=True)}
        df[f"{col}_zone"] = [lookup[kt] for kt in zip(df[col], df[typ], strict=True)]
    if split:
        for col in ("src", "dst"):
            df[col] = _strip(df[col])
        df = df.reset_index(drop=True)
    return df


#: Joins a workload key to one of its zones in the keys that stand for a workload split
#: across zones (a character no Kubernetes name holds).
_SPLIT = "\x00"


def _split_zmap(split: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {f"{wl}{_SPLIT}{z}": z for wl, zs in split.items() for z in zs}


def _expand(frame: pd.DataFrame, split: dict[str, tuple[str, ...]], cols: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with each row naming a split workload in ``cols`` repeated once per zone of
    that workload, the key becoming ``key + _SPLIT + zone``; other rows as they are (list cells
    keep their objects)."""
    import pandas as pd

    for col in cols:
        hit = frame[col].isin(list(split))
        if not hit.any():
            continue
        part = frame[hit].copy()
        part[col] = [[f"{k}{_SPLIT}{z}" for z in split[k]] for k in part[col].tolist()]
        part = part.explode(col)
        frame = pd.concat([frame[~hit], part])
    return frame


def _strip(col: pd.Series) -> pd.Series:
    """Workload keys back from split keys."""
    return col.map(lambda k: k.split(_SPLIT, 1)[0] if isinstance(k, str) and _SPLIT in k else k)


def rule_index(
    reach: Any, level: str = "workload"
) -> dict[tuple[str, str, str], list[tuple[str, str, int, _ports.Ranges]]]:
    """``{(src, dst, protocol): [(policy, direction, rule, ranges)]}`` from ``reach.rule_frame``."""
    try:
        rf = rule_frame(reach, level)
    except (AttributeError, NotImplementedError):
        return defaultdict(list)
    return _rule_index(rf)


def _rule_index(rf: pd.DataFrame) -> dict[tuple[str, str, str], list[tuple[str, str, int, _ports.Ranges]]]:
    out: dict[tuple[str, str, str], list[tuple[str, str, int, _ports.Ranges]]] = defaultdict(list)
    cols = [rf[c].tolist() for c in ("policy", "direction", "rule", "src", "dst", "protocol", "ports")]
    parsed: dict[int, tuple[Any, _ports.Ranges]] = {}  # the engine shares one list per port set
    for pol, d, i, src, dst, proto, ports in zip(*cols, strict=True):
        hit = parsed.get(id(ports))
        if hit is None:
            hit = parsed[id(ports)] = (ports, _ports.parse(ports))  # keeps ``ports`` alive for its id
        out[(src, dst, proto)].append((pol, d, int(i), hit[1]))
    return out


def _opening_order(t: tuple[str, str, int]) -> tuple[bool, str, int]:
    return (t[1] != "egress", t[0], t[2])


def _rule_text(policy: str, direction: str, rule: int) -> str:
    return f"{policy} {direction}[{rule}]"


class Segmentation:
    """Result of :func:`segmentation`.

    Attributes
    ----------
    pairs
        Long frame, one row per (src_zone, dst_zone) with connectivity or intent:
        ``src_zone``, ``dst_zone``, ``status`` (``denied``/``partial``/``allowed``: no, some or
        every member pair can connect on some port), ``ports`` (``["TCP/443", ...]`` allowed
        by the policies between the zones), ``pairs`` (connected member pairs),
        ``possible_pairs``, ``violations`` (rows in :attr:`violations`), ``exceptions`` (allow
        rules that apply).
    matrix
        Pivot of ``status``: index ``src_zone``, columns ``dst_zone`` (every zone, ``denied``
        where nothing connects).
    violations
        Cross-zone connectivity not covered by a valid allow rule: ``src``, ``dst``,
        ``src_zone``, ``dst_zone``, ``protocol``, ``ports`` (uncovered ranges, e.g. ``["5432"]``),
        ``allowed_ports`` (all the policies allow), ``rules`` (policy rules that open it, e.g.
        ``"pci/card-vault-maintenance ingress[0]"``; egress rules of the source and ingress
        rules of the destination; empty when the side is not isolated), ``policies``,
        ``exceptions`` (allow rules that cover part of it), ``expired_exceptions``.
    today
        The date expiry was judged against.
    snapshot
        The snapshot judged (None when not known), so that :func:`k8sviz.gaps` given this
        segmentation beside another snapshot refuses it.
    """

    def __init__(
        self,
        pairs: pd.DataFrame,
        matrix: pd.DataFrame,
        violations: pd.DataFrame,
        zones: Zones,
        today: dt.date,
        snapshot: Snapshot | None = None,
    ):
        self.pairs = pairs
        self.matrix = matrix
        self.violations = violations
        self.zones = zones
        self.today = today
        self.snapshot = snapshot

    def __repr__(self) -> str:
        return (
            f"Segmentation({len(self.zones.zones)} zones, {len(self.violations)} violations, "
            f"judged on {self.today.isoformat()})"
        )

    def to_html(self, max_rows: int | None = 20) -> str:
        """Escaped HTML: the zone matrix, the violations per zone pair, the first ``max_rows``
        violations (None: every one, as :func:`~k8sviz.viz.html.table_html` reads it)."""
        from .._checks import is_count
        from ..errors import QueryError
        from ..viz.html import table_html

        if max_rows is not None:
            if not is_count(max_rows) or max_rows < 0:
                msg = ("Segmentation.to_html: max_rows must be a count of rows or None, "
                       f"not {as_given(max_rows)}")
                raise QueryError(msg)
            max_rows = int(max_rows)
        v = self.violations
        pairs = self._pair_summary()
        head = (
            f"<div class='k8sviz-segmentation'><b>Segmentation</b> against {html.escape(self.zones.source)}: "
            f"{len(v)} violating {'connection' if len(v) == 1 else 'connections'} in {len(pairs)} zone "
            f"{'pair' if len(pairs) == 1 else 'pairs'} (allow rules' expiry judged on "
            f"{self.today.isoformat()})"
        )
        matrix = self.matrix.rename_axis(index=None, columns=None).reset_index(
            names="from \u2193 / to \u2192")
        parts = [head, "<p><i>Zone matrix</i></p>", table_html(matrix, max_rows=None)]
        if len(v):
            parts += ["<p><i>Violations per zone pair</i></p>", table_html(pairs, max_rows=None)]
            shown = ("every violation" if max_rows is None or len(v) <= max_rows
                     else f"the first {max_rows} of {len(v)} violations")
            # external_blocks is left out: src/dst already name the blocks, with a count of the rest.
            cols = ["src", "dst", "src_zone", "dst_zone", "protocol", "ports", "rules", "expired_exceptions"]
            parts += [f"<p><i>{shown}</i> (all of them: <code>.violations</code>)</p>",
                      table_html(v, max_rows=max_rows, columns=cols)]
        parts.append("</div>")
        return "".join(parts)

    def _pair_summary(self, names: int = 3) -> pd.DataFrame:
        """Per violating zone pair: how many connections, and the first sources and destinations."""
        import pandas as pd

        def first(values: pd.Series) -> str:
            uniq = sorted(set(map(str, values)))
            more = f" ... (+{len(uniq) - names} more)" if len(uniq) > names else ""
            return ", ".join(uniq[:names]) + more

        cols = ["src_zone", "dst_zone", "connections", "sources", "destinations"]
        if not len(self.violations):
            return pd.DataFrame(columns=cols)
        g = self.violations.groupby(["src_zone", "dst_zone"], sort=True)
        out = g.agg(connections=("src", "size"), sources=("src", first), destinations=("dst", first))
        return out.reset_index()[cols]

    def _repr_html_(self) -> str:
        return self.to_html()


class _Core:
    """The edge frame reduced to codes: endpoints, zones, and (zone, zone, protocol, ports) combos."""

    def __init__(
        self, edges: pd.DataFrame, zones: Zones, zmap: dict[str, str], snapshot: Any, level: str,
        reach: Any = None,
    ):
        import pandas as pd

        src_codes, src_u = endpoint_codes(reach, edges, level, "src")
        self.src_codes = src_codes.astype(np.int32)
        del src_codes
        dst_codes, dst_u = endpoint_codes(reach, edges, level, "dst")
        self.dst_codes = dst_codes.astype(np.int32)
        del dst_codes
        self.src_names = np.asarray(src_u, dtype=object)
        self.dst_names = np.asarray(dst_u, dtype=object)
        self.src_ext = np.zeros(len(src_u), dtype=bool)
        self.dst_ext = np.zeros(len(dst_u), dtype=bool)
        self.src_ext[self.src_codes] = np.asarray(edges["src_type"] == "external")
        self.dst_ext[self.dst_codes] = np.asarray(edges["dst_type"] == "external")
        self.external_keys = set(self.src_names[self.src_ext].tolist()) | set(
            self.dst_names[self.dst_ext].tolist()
        )
        znames = zones.names
        zidx = {z: i for i, z in enumerate(znames)}

        def zone(key: str, ext: bool) -> str:
            if ext:
                return EXTERNAL
            if key in zmap:
                return zmap[key]
            pod = snapshot.pod(key)
            if pod is not None:
                return zmap.get(pod.workload_key if level == "workload" else pod.key, "unzoned")
            return "unzoned"

        src_zu = np.array(
            [zidx[zone(k, e)] for k, e in zip(src_u, self.src_ext.tolist(), strict=True)], dtype=np.int64
        )
        dst_zu = np.array(
            [zidx[zone(k, e)] for k, e in zip(dst_u, self.dst_ext.tolist(), strict=True)], dtype=np.int64
        )
        self.members: dict[str, set[str]] = defaultdict(set)
        for key, z in zmap.items():
            self.members[z].add(key)
        for names, zu in ((self.src_names, src_zu), (self.dst_names, dst_zu)):
            for k, zi in zip(names.tolist(), zu.tolist(), strict=True):
                if znames[zi] not in zones.zones:
                    self.members[znames[zi]].add(k)
        # protocol and port-list codes (the engine shares one list object per distinct port set);
        # hash-based factorize (no sorts) and in-place int64 arithmetic keep the temporaries few
        proto_col = edges["protocol"]
        if isinstance(proto_col.dtype, pd.CategoricalDtype):
            pcodes = proto_col.cat.codes.to_numpy()
            puniq = list(proto_col.cat.categories)
        else:
            pcodes, puniq = pd.factorize(proto_col)
        # per row a code of its list object, and per code the list (None: a code no row has)
        engine = _engine_codes(reach, edges, level)
        if engine is not None:  # the engine's own numbering: no pass over the rows to make one
            icodes, lists = engine.ports, engine.port_lists
        else:
            icodes = port_list_codes(reach, edges, level)
            first = np.flatnonzero(first_seen(icodes))  # a row per code, in the codes' order
            lists = edges["ports"].to_numpy(dtype=object)[first]
        canon: dict[_ports.Ranges, int] = {}
        rmap = np.array(
            [-1 if ports is None else canon.setdefault(_ports.parse(ports), len(canon)) for ports in lists],
            dtype=np.int64,
        )
        self.pcodes = pcodes
        self.protos = [str(p) for p in puniq]
        ranges = list(canon)
        nz, npro, nr = len(znames), max(len(puniq), 1), max(len(ranges), 1)
        combo = src_zu[self.src_codes]
        combo *= nz
        combo += dst_zu[self.dst_codes]
        combo *= npro
        combo += pcodes
        combo *= nr
        combo += rmap[icodes] if len(rmap) else icodes
        del icodes
        inv, ucombo = pd.factorize(combo)  # combos in order of first appearance
        del combo
        self.inv = inv.astype(np.int32)
        del inv
        protos = self.protos
        self.combos = []
        for c in ucombo.tolist():
            c, r = divmod(c, nr)
            c, p = divmod(c, npro)
            a, b = divmod(c, nz)
            self.combos.append((znames[a], znames[b], protos[p], ranges[r]))
        # connected member pairs per zone pair (several protocols count once)
        nd = max(len(dst_u), 1)
        dst_in_src = pd.Index(src_u).get_indexer(dst_u)
        differ = dst_in_src[self.dst_codes] != self.src_codes
        pair = self.src_codes[differ].astype(np.int64)
        pair *= nd
        pair += self.dst_codes[differ]
        del differ
        if engine is not None:  # the engine's frame: a pair's rows (one per protocol) are adjacent
            upair = pair[np.r_[True, pair[1:] != pair[:-1]]] if len(pair) else pair
        else:
            upair = pd.unique(pair)
        del pair
        zp = src_zu[upair // nd] * nz + dst_zu[upair % nd]
        counts = np.bincount(zp, minlength=nz * nz) if len(zp) else np.zeros(nz * nz, dtype=np.int64)
        self.pair_conns = {
            (znames[i // nz], znames[i % nz]): int(n) for i, n in enumerate(counts.tolist()) if n
        }


def rule_frame_or_none(reach: Any, level: str) -> Any:
    try:
        return rule_frame(reach, level)
    except (AttributeError, NotImplementedError):
        return None


_TEXT_COLUMNS = frozenset({"src_zone", "dst_zone", "protocol"})


def _take_text(tab: np.ndarray, codes: np.ndarray) -> Any:
    """``tab[codes]`` (strings) as the column pandas would make of it, taken in that column's
    storage: pandas' string dtype converting millions of Python strings one by one cost seconds
    at L; taking from the converted table costs a copy of codes."""
    import pandas as pd

    return pd.Series(tab, copy=False).array.take(codes)


def sequence_codes(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group ``0 .. n_groups - 1``, a code of its sequence of ``values`` (``values`` grouped
    by ``group``, ascending, each group's in the order given): groups with equal sequences get
    equal codes, numbered from 1 in order of first appearance; 0 for a group with none.
    """
    import pandas as pd

    out = np.zeros(n_groups, dtype=np.int64)
    if not len(group):
        return out
    length = np.bincount(group, minlength=n_groups)
    offset = np.cumsum(length) - length
    provisional = np.full(n_groups, -1, dtype=np.int64)
    seen = 0
    for n in np.unique(length[length > 0]).tolist():  # equal lengths, one 2-D array each
        rows = np.flatnonzero(length == n)
        if n == 1:  # most rows: one value, hashed (np.unique's row sort is slower)
            inv = pd.factorize(values[offset[rows]])[0]
        else:
            inv = np.unique(values[offset[rows][:, None] + np.arange(n)], axis=0, return_inverse=True)[1]
        provisional[rows] = seen + inv.reshape(-1)
        seen += int(inv.max()) + 1
    has = provisional >= 0
    out[has] = pd.factorize(provisional[has])[0] + 1
    return out


def _opening_rules(
    core: _Core,
    idx: np.ndarray,
    sc: np.ndarray,
    dc: np.ndarray,
    ci: np.ndarray,
    combo_info: list[Any],
    rf: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each violation row, the rules of ``rf`` on its (src, dst, protocol) whose ports meet
    its uncovered ports: per row a code of its rule list (0 for none), and per code the rules'
    texts and their policies (one list object per code, shared by its rows) and an id per
    distinct text list (0 for none).

    Works on codes: the rule frame has a row per (rule, src, dst, protocol), about a million at
    L, the violation rows millions; a Python step per row of either cost seconds.
    """
    import pandas as pd

    nd, npro = max(len(core.dst_names), 1), max(len(core.protos), 1)
    rs = pd.Index(core.src_names).get_indexer(rf["src"])
    rd = pd.Index(core.dst_names).get_indexer(rf["dst"])
    rp = pd.Index(core.protos).get_indexer(rf["protocol"].astype(str))
    ok = (rs >= 0) & (rd >= 0) & (rp >= 0)
    rkey = np.full(len(rf), -1, dtype=np.int64)
    rkey[ok] = (rs[ok].astype(np.int64) * nd + rd[ok]) * npro + rp[ok]
    del rs, rd, rp, ok
    # rule rows grouped by key, in frame order within a key (stable); a violation row finds
    # its key's group by binary search among the distinct keys
    rorder = np.argsort(rkey, kind="stable")
    rk = rkey[rorder]
    starts = np.flatnonzero(np.r_[True, rk[1:] != rk[:-1]])
    ends = np.r_[starts[1:], len(rk)]
    if rk[0] < 0:  # rule rows whose ends are in no violation's frame
        starts, ends = starts[1:], ends[1:]
    vkeys = (sc.astype(np.int64) * nd + dc) * npro + core.pcodes[idx]
    # a hash lookup: np.isin on millions of int64 keys sorts them, and a binary search per
    # key (searchsorted) was slower than hashing on this machine
    pos = pd.Index(rk[starts]).get_indexer(vkeys)
    del vkeys
    cand = np.flatnonzero(pos >= 0)
    lo, n = starts[pos[cand]], (ends - starts)[pos[cand]]
    del pos
    # every (violation row, rule row) pair of the same key, grouped by violation row
    pair_row = np.repeat(np.arange(len(cand)), n)
    pair_rule = rorder[np.repeat(lo - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))]
    del lo, n, rorder, rk
    # each distinct (policy, direction, rule) coded in opening order, so that sorting codes
    # sorts the rules as _opening_order does
    pol_c, pol_u = pd.factorize(rf["policy"].to_numpy(dtype=object))
    dir_c, dir_u = pd.factorize(rf["direction"].to_numpy(dtype=object))
    num_c, num_u = pd.factorize(rf["rule"].to_numpy().astype(np.int64))
    t_c, t_u = pd.factorize((pol_c.astype(np.int64) * len(dir_u) + dir_c) * len(num_u) + num_c)
    t_u = np.asarray(t_u, dtype=np.int64)
    found = [(str(pol_u[t // len(num_u) // len(dir_u)]), str(dir_u[t // len(num_u) % len(dir_u)]),
              int(num_u[t % len(num_u)])) for t in t_u.tolist()]
    by_order = sorted(range(len(found)), key=lambda k: _opening_order(found[k]))
    triples = [found[k] for k in by_order]
    rank = np.empty(len(found), dtype=np.int64)
    rank[by_order] = np.arange(len(found))
    r_rule = rank[t_c]
    texts_of = [_rule_text(*t) for t in triples]
    # each distinct port list parsed once (the engine shares one list per port set), and
    # met with each combo's uncovered ports once
    lists = rf["ports"].to_numpy(dtype=object)
    r_ports, _ = pd.factorize(object_ids(lists))
    ranges = [_ports.parse(lists[f]) for f in np.flatnonzero(first_seen(r_ports)).tolist()]
    meet_code = r_ports[pair_rule].astype(np.int64) * max(len(combo_info), 1) + ci[cand][pair_row]
    mc, mu = pd.factorize(meet_code)
    n_c = max(len(combo_info), 1)
    meets = np.array([bool(_ports.intersect(ranges[m // n_c], combo_info[m % n_c].uncovered))
                      for m in np.asarray(mu, dtype=np.int64).tolist()], dtype=bool)
    hit = meets[mc]
    del meet_code, mc
    pair_row, pair_rule = pair_row[hit], r_rule[pair_rule[hit]]
    order = np.lexsort((pair_rule, pair_row))  # per row, its rules in opening order
    cc = sequence_codes(pair_row[order], pair_rule[order], len(cand))
    code = np.zeros(len(idx), dtype=np.int64)
    code[cand] = cc
    # per code its lists, built once from its first row, in order of first appearance (as
    # the ids were numbered row by row)
    at = np.flatnonzero(first_seen(cc) & (cc > 0))
    n_codes = len(at)
    rule_tab = np.empty(n_codes + 1, dtype=object)
    pol_tab = np.empty(n_codes + 1, dtype=object)
    id_tab = np.zeros(n_codes + 1, dtype=np.int64)
    rule_tab[0], pol_tab[0] = _EMPTY, _EMPTY
    ids: dict[tuple[str, ...], int] = {(): 0}
    bounds = np.searchsorted(pair_row[order], np.arange(len(cand) + 1))
    sorted_rules = pair_rule[order]
    for k, j in enumerate(at.tolist(), start=1):
        key = sorted_rules[bounds[j]:bounds[j + 1]].tolist()
        texts = [texts_of[t] for t in key]
        rule_tab[k] = texts
        pol_tab[k] = sorted({triples[t][0] for t in key})
        id_tab[k] = ids.setdefault(tuple(texts), len(ids))
    return code, rule_tab, pol_tab, id_tab


def _violation_frame(core: _Core, idx: np.ndarray, combo_info: list[Any], rf: Any) -> pd.DataFrame:
    """The violation rows (edge rows ``idx``), built column-wise on codes, and their count per combo.

    Opening rules are looked up only for the rows whose (src, dst, protocol) has a rule in
    ``reach.rule_frame``; rows towards/from external address atoms are merged into one row per
    internal endpoint (the blocks listed in ``external_blocks``), in the order of their first row; the frame
    is sorted by (src_zone, dst_zone, src, dst, protocol), ties in that order, as a stable multi-column
    ``sort_values`` would.
    """
    import pandas as pd

    sc = core.src_codes[idx]
    dc = core.dst_codes[idx]
    ci = core.inv[idx]
    se = core.src_ext[sc]
    de = core.dst_ext[dc]
    n_combo = len(core.combos)
    # per-combo column values (shared objects, as before)
    fmt = [info.fmt if info is not None else (None, None, None, None) for info in combo_info]
    c_cols = {
        "src_zone": object_array([c[0] for c in core.combos]),
        "dst_zone": object_array([c[1] for c in core.combos]),
        "protocol": object_array([c[2] for c in core.combos]),
        "ports": object_array([f[0] for f in fmt]),
        "allowed_ports": object_array([f[1] for f in fmt]),
        "exceptions": object_array([f[2] for f in fmt]),
        "expired_exceptions": object_array([f[3] for f in fmt]),
    }
    # opening rules: per row a code into small tables of shared lists
    if rf is not None and len(rf) and len(idx):
        rcode, rule_tab, pol_tab, id_tab = _opening_rules(core, idx, sc, dc, ci, combo_info, rf)
    else:
        rcode, id_tab = np.zeros(len(idx), dtype=np.int64), np.zeros(1, dtype=np.int64)
        rule_tab, pol_tab = object_array([_EMPTY]), object_array([_EMPTY])
    rule_id = id_tab[rcode]
    internal = ~(se | de)
    ii = np.flatnonzero(internal)
    # external rows: one row per (side, internal endpoint, combo, opening rules)
    ei = np.flatnonzero(~internal)
    side_src = se[ei]  # external source (else external destination)
    other = np.where(side_src, dc[ei], sc[ei]).astype(np.int64)
    n_other = max(len(core.src_names), len(core.dst_names), 1)
    key = ((side_src.astype(np.int64) * n_other + other) * max(n_combo, 1) + ci[ei]) * (
        int(rule_id.max(initial=0)) + 1
    ) + rule_id[ei]
    gcodes, _ = pd.factorize(key)
    ng = int(gcodes.max(initial=-1)) + 1
    order = np.argsort(gcodes, kind="stable")
    bounds = np.searchsorted(gcodes[order], np.arange(ng + 1))
    # the blocks' names by group: one take from both name tables, then slices of one list
    ext_code = np.where(side_src, sc[ei], len(core.src_names) + dc[ei].astype(np.int64))
    ext_name = np.concatenate([core.src_names, core.dst_names])[ext_code[order]].tolist()
    first = order[bounds[:-1]] if ng else np.zeros(0, dtype=np.int64)
    cut = bounds.tolist()
    blocks = [ext_name[cut[g] : cut[g + 1]] for g in range(ng)]
    del order, ext_name, ext_code, key, gcodes
    t_arr = object_array([external_text(b) for b in blocks])
    fe = ei[first]
    fs = side_src[first]
    # every output row as codes into small tables: (src name, dst name, combo, rule row, blocks)
    ns_, nd_ = len(core.src_names), len(core.dst_names)
    g_idx = np.arange(ng, dtype=np.int64)
    s_code = np.concatenate([sc[ii].astype(np.int64), np.where(fs, ns_ + g_idx, sc[fe])])
    d_code = np.concatenate([dc[ii].astype(np.int64), np.where(fs, dc[fe], nd_ + g_idx)])
    row_ci = np.concatenate([ci[ii], ci[fe]]).astype(np.int64)
    row_r = np.concatenate([ii, fe])
    b_code = np.concatenate([np.zeros(len(ii), dtype=np.int64), 1 + g_idx])
    del sc, dc, ci, ii, ei
    s_tab = np.concatenate([core.src_names, t_arr])
    d_tab = np.concatenate([core.dst_names, t_arr])
    b_tab = object_array([_EMPTY, *blocks])  # one shared (read-only) empty list for internal rows

    # sorted by (src_zone, dst_zone, src, dst, protocol), stable: ranks of the distinct values
    def rank(tab: np.ndarray) -> np.ndarray:
        return np.unique(tab, return_inverse=True)[1].reshape(-1) if len(tab) else np.zeros(0, np.int64)

    perm = np.lexsort(
        (
            rank(c_cols["protocol"])[row_ci],
            rank(d_tab)[d_code],
            rank(s_tab)[s_code],
            rank(c_cols["dst_zone"])[row_ci],
            rank(c_cols["src_zone"])[row_ci],
        )
    )
    cat: dict[str, Any] = {"src": _take_text(s_tab, s_code[perm]), "dst": _take_text(d_tab, d_code[perm])}
    del s_code, d_code
    row_ci = row_ci[perm]
    for c, arr in c_cols.items():
        cat[c] = _take_text(arr, row_ci) if c in _TEXT_COLUMNS else arr[row_ci]
    row_r = row_r[perm]
    row_code = rcode[row_r]
    cat["rules"] = rule_tab[row_code]
    cat["policies"] = pol_tab[row_code]
    del row_code
    cat["external_blocks"] = b_tab[b_code[perm]]
    del row_r, perm, b_code
    counts = np.bincount(row_ci, minlength=n_combo)
    return pd.DataFrame(cat, columns=VIOLATION_COLUMNS), counts


def segmentation(
    snapshot: Snapshot | None,
    reach: Any = None,
    zones: Zones | str | Any = None,
    *,
    level: str = "workload",
    today: dt.date | str | None = None,
) -> Segmentation:
    """Check the policies against the segmentation intent.

    Parameters
    ----------
    snapshot
        The cluster (``reach.snapshot`` when None).
    reach
        ``k8sviz.reachability(snapshot)``; computed when None.
    zones
        A :class:`~k8sviz.analysis.zones.Zones` or a path to a zones YAML.
    level
        ``"workload"`` (default) or ``"pod"``.
    today
        Date exceptions are judged against: explicit, else the snapshot's ``collected_at``,
        else today (UTC).  An exception is valid up to and including its ``expires`` day.

    Same-zone traffic is never a violation; every other connection the policies allow (including
    from/to ``external`` and ``unzoned``) must be covered, port by port, by an unexpired allow
    rule.
    """
    import pandas as pd

    if zones is None:
        from ..errors import ZoneError

        msg = "segmentation needs zones (a Zones object or a zones YAML path)"
        raise ZoneError(msg)
    zones = load_zones(zones)
    snapshot, reach = snapshot_and_reach(snapshot, reach, "segmentation")
    day = resolve_today(today, snapshot)  # a bad date fails before reachability is computed
    if not one_of(level, ("pod", "workload")):
        from ..errors import QueryError

        raise QueryError(f"segmentation: level must be 'pod' or 'workload', got {as_given(level)}")
    warn_empty_zones(zones, snapshot)
    reach = get_reach(snapshot, reach)
    edges = live_edge_frame(reach, level)  # pods that ran to completion connect nothing
    rf = rule_frame_or_none(reach, level)
    zmap = zones.assign(snapshot, level)
    # Members are what runs: a pod that ended (a workload whose pods all did) is no member.
    running = {p.workload_key if level == "workload" else p.key for p in snapshot.pods if not p.terminated}
    zmap = {k: v for k, v in zmap.items() if k in running}
    # A workload whose pods are in several zones is judged in each (see zoned_frame).
    split = zones.split_workloads(snapshot) if level == "workload" else {}
    if split:
        edges = _expand(edges, split, ("src", "dst")).reset_index(drop=True)
        if rf is not None:
            rf = _expand(rf, split, ("src", "dst")).reset_index(drop=True)
        zmap = {**{k: v for k, v in zmap.items() if k not in split}, **_split_zmap(split)}
    core = _Core(edges, zones, zmap, reach.snapshot, level, reach)
    members = core.members
    pair_conns = core.pair_conns
    pair_ports: dict[tuple[str, str], dict[str, _ports.Ranges]] = defaultdict(dict)
    pair_viol: dict[tuple[str, str], int] = defaultdict(int)
    pair_exc: dict[tuple[str, str], set[str]] = defaultdict(set)
    pair_port_sets: dict[tuple[str, str, str], set[_ports.Ranges]] = defaultdict(set)
    cov_cache: dict[tuple[str, str, str, _ports.Ranges], Any] = {}
    n_combo = len(core.combos)
    combo_viol = np.zeros(n_combo, dtype=bool)
    combo_info: list[Any] = [None] * n_combo
    for ci, (zs, zd, proto, ranges) in enumerate(core.combos):
        pair_port_sets[(zs, zd, proto)].add(ranges)
        if zs == zd:
            continue
        ck = (zs, zd, proto, ranges)
        cov = cov_cache.get(ck)
        if cov is None:
            cov = cov_cache[ck] = zones.coverage(zs, zd, proto, ranges, day)
            pair_exc[(zs, zd)].update(r.ref for r in cov.rules)
            cov.fmt = (
                _ports.fmt(cov.uncovered),
                _ports.fmt(ranges),
                [r.ref for r in cov.rules],
                [r.ref for r in cov.expired_rules],
            )
        if cov.uncovered:
            combo_viol[ci] = True
            combo_info[ci] = cov
    for (zs, zd, proto), sets in pair_port_sets.items():
        pair_ports[(zs, zd)][proto] = _ports.union(*sets)

    idx = np.flatnonzero(combo_viol[core.inv])
    viol, per_combo = _violation_frame(core, idx, combo_info, rf)
    del idx
    if split:
        for col in ("src", "dst"):
            viol[col] = _strip(viol[col])
    for (zs, zd, _, _), n in zip(core.combos, per_combo.tolist(), strict=True):
        if n:
            pair_viol[(zs, zd)] += n

    names = [z for z in zones.names if z in members or z in zones.zones]
    pairs = []
    for zs in names:
        for zd in names:
            n_conns = pair_conns.get((zs, zd), 0)
            n_src, n_dst = len(members.get(zs, ())), len(members.get(zd, ()))
            possible = n_src * n_dst - (n_src if zs == zd else 0)
            if (possible <= 0 and not n_conns) or (not n_conns and not pair_ports.get((zs, zd))):
                status = "denied"
            elif n_conns >= possible:
                status = "allowed"
            else:
                status = "partial"
            ports = [
                f"{proto}/{p}"
                for proto, rs in sorted(pair_ports.get((zs, zd), {}).items())
                for p in _ports.fmt(rs)
            ]
            exc = sorted(pair_exc.get((zs, zd), set()) | {r.ref for r in zones.allow if r.applies(zs, zd)})
            pairs.append(
                {
                    "src_zone": zs,
                    "dst_zone": zd,
                    "status": status,
                    "ports": ports,
                    "pairs": n_conns,
                    "possible_pairs": max(possible, 0),
                    "violations": pair_viol.get((zs, zd), 0),
                    "exceptions": exc,
                }
            )
    long = pd.DataFrame(pairs, columns=PAIR_COLUMNS)
    matrix = long.pivot(index="src_zone", columns="dst_zone", values="status").reindex(
        index=names, columns=names
    )
    matrix = matrix.fillna("denied")
    matrix.index.name, matrix.columns.name = "from", "to"
    return Segmentation(long, matrix, viol, zones, day, snapshot)
