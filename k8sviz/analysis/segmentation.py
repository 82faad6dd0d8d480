"""Compare what the policies allow between zones with the declared intent (:mod:`.zones`)."""

from __future__ import annotations

import datetime as dt
import html
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from . import _ports
from ._common import edge_frame, frame_html, get_reach, rule_frame
from .zones import EXTERNAL, Zones, load_zones, resolve_today

if TYPE_CHECKING:
    import pandas as pd

    from ..snapshot import Snapshot

__all__ = ["Segmentation", "rule_index", "segmentation", "zoned_frame"]

STATUS = ("denied", "partial", "allowed")

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


def _merge_external(rows: list[dict[str, Any]], external: set[str]) -> list[dict[str, Any]]:
    """One row per internal endpoint instead of one per external address atom."""
    out: list[dict[str, Any]] = []
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        side = "src" if r["src"] in external else "dst" if r["dst"] in external else None
        if side is None:
            out.append({**r, "external_blocks": []})
            continue
        other = "dst" if side == "src" else "src"
        key = (
            side,
            r[other],
            r["protocol"],
            tuple(r["ports"]),
            tuple(r["allowed_ports"]),
            tuple(r["rules"]),
            tuple(r["exceptions"]),
            tuple(r["expired_exceptions"]),
        )
        g = groups.get(key)
        if g is None:
            g = groups[key] = {**r, "external_blocks": []}
            out.append(g)
        g["external_blocks"].append(r[side])
        g[side] = external_text(g["external_blocks"])
    return out


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
    """``reach.to_frame(level)`` plus ``src_zone``/``dst_zone`` (None without zones)."""
    df = edge_frame(reach, level).copy()
    if zones is None:
        df["src_zone"] = None
        df["dst_zone"] = None
        return df
    zmap = zones.assign(reach.snapshot, level)

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
    return df


def rule_index(
    reach: Any, level: str = "workload"
) -> dict[tuple[str, str, str], list[tuple[str, str, int, _ports.Ranges]]]:
    """``{(src, dst, protocol): [(policy, direction, rule, ranges)]}`` from ``reach.rule_frame``."""
    out: dict[tuple[str, str, str], list[tuple[str, str, int, _ports.Ranges]]] = defaultdict(list)
    try:
        rf = rule_frame(reach, level)
    except (AttributeError, NotImplementedError):
        return out
    cols = [rf[c].tolist() for c in ("policy", "direction", "rule", "src", "dst", "protocol", "ports")]
    for pol, d, i, src, dst, proto, ports in zip(*cols, strict=True):
        out[(src, dst, proto)].append((pol, d, int(i), _ports.parse(ports)))
    return out


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
    """

    def __init__(
        self,
        pairs: pd.DataFrame,
        matrix: pd.DataFrame,
        violations: pd.DataFrame,
        zones: Zones,
        today: dt.date,
    ):
        self.pairs = pairs
        self.matrix = matrix
        self.violations = violations
        self.zones = zones
        self.today = today

    def __repr__(self) -> str:
        return (
            f"Segmentation({len(self.zones.zones)} zones, {len(self.violations)} violations, "
            f"judged on {self.today.isoformat()})"
        )

    def to_html(self) -> str:
        return (
            f"<div><h4>Segmentation ({html.escape(self.zones.source)}, judged on {self.today.isoformat()})</h4>"
            f"{self.matrix.to_html(escape=True)}"
            f"{frame_html(self.violations, 'Violations')}</div>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()


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
    if snapshot is None:
        snapshot = reach.snapshot
    reach = get_reach(snapshot, reach)
    day = resolve_today(today, snapshot)
    df = zoned_frame(reach, zones, level)
    rules = rule_index(reach, level)

    members: dict[str, set[str]] = defaultdict(set)
    for key, z in zones.assign(snapshot, level).items():
        members[z].add(key)
    for col, typ, zcol in (("src", "src_type", "src_zone"), ("dst", "dst_type", "dst_zone")):
        extra = df.loc[(df[typ] == "external") | ~df[zcol].isin(list(zones.zones)), [col, zcol]].drop_duplicates()
        for k, z in zip(extra[col], extra[zcol], strict=True):
            members[z].add(k)

    # connected member pairs per zone pair (a pair may have rows for several protocols)
    pair_conns: dict[tuple[str, str], int] = {}
    conn = df.loc[df["src"] != df["dst"], ["src", "dst", "src_zone", "dst_zone"]].drop_duplicates(["src", "dst"])
    for (zs, zd), n in conn.groupby(["src_zone", "dst_zone"], sort=False).size().items():
        pair_conns[(zs, zd)] = int(n)
    del conn

    violations: list[dict[str, Any]] = []
    pair_ports: dict[tuple[str, str], dict[str, _ports.Ranges]] = defaultdict(dict)
    pair_viol: dict[tuple[str, str], int] = defaultdict(int)
    pair_exc: dict[tuple[str, str], set[str]] = defaultdict(set)
    pair_port_sets: dict[tuple[str, str, str], set[_ports.Ranges]] = defaultdict(set)
    cov_cache: dict[tuple[str, str, str, _ports.Ranges], Any] = {}
    cols = [df[c].tolist() for c in ("src", "dst", "src_zone", "dst_zone", "protocol", "ports")]
    parse = _ports.parse
    for src, dst, zs, zd, proto, raw_ports in zip(*cols, strict=True):
        ranges = parse(raw_ports)
        pair_port_sets[(zs, zd, proto)].add(ranges)
        if zs == zd:
            continue
        ck = (zs, zd, proto, ranges)
        cov = cov_cache.get(ck)
        if cov is None:
            cov = cov_cache[ck] = zones.coverage(zs, zd, proto, ranges, day)
            pair_exc[(zs, zd)].update(r.ref for r in cov.rules)
            cov.fmt = (_ports.fmt(cov.uncovered), _ports.fmt(ranges), [r.ref for r in cov.rules],
                       [r.ref for r in cov.expired_rules])
        if not cov.uncovered:
            continue
        cand = rules.get((src, dst, proto))
        if cand:
            opening = sorted(
                ((pol, d, i) for pol, d, i, rr in cand if _ports.intersect(rr, cov.uncovered)),
                key=lambda t: (t[1] != "egress", t[0], t[2]),
            )
            rule_texts = [_rule_text(*o) for o in opening]
            policies = sorted({o[0] for o in opening})
        else:
            rule_texts, policies = [], []
        violations.append(
            {
                "src": src,
                "dst": dst,
                "src_zone": zs,
                "dst_zone": zd,
                "protocol": proto,
                "ports": cov.fmt[0],
                "allowed_ports": cov.fmt[1],
                "rules": rule_texts,
                "policies": policies,
                "exceptions": cov.fmt[2],
                "expired_exceptions": cov.fmt[3],
            }
        )
    del cols
    for (zs, zd, proto), sets in pair_port_sets.items():
        pair_ports[(zs, zd)][proto] = _ports.union(*sets)
    viol = pd.DataFrame(_merge_external(violations, df_types(df)), columns=VIOLATION_COLUMNS)
    for (zs, zd), n in viol.groupby(["src_zone", "dst_zone"]).size().items():
        pair_viol[(zs, zd)] = int(n)
    if len(viol):
        viol = viol.sort_values(["src_zone", "dst_zone", "src", "dst", "protocol"], ignore_index=True)

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
    return Segmentation(long, matrix, viol, zones, day)
