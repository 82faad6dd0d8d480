"""The cluster as one networkx graph: workloads (or pods), external peers and services; allowed
and observed connections as edges; snapshot metadata on ``G.graph``."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from ._common import SYSTEM_NAMESPACES, classify_block, edge_frame, exposure, port_text, rule_frame
from .zones import EXTERNAL, Zones, load_zones

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

    from ..snapshot import Snapshot

__all__ = ["graph"]


def _ok(v: Any) -> bool:
    return v is not None and v == v and str(v) != ""


def _endpoint(ns: Any, wl: Any, pod: Any, ip: Any, level: str) -> str | None:
    if level == "workload" and _ok(ns) and _ok(wl):
        return f"{ns}/{wl}"
    if _ok(ns) and _ok(pod):
        return f"{ns}/{pod}"
    return str(ip) if _ok(ip) else None


def graph(
    snapshot: Snapshot | None,
    reach: Any = None,
    flows: pd.DataFrame | None = None,
    level: str = "workload",
    *,
    zones: Zones | str | Any = None,
    services: bool = True,
) -> nx.MultiDiGraph:
    """Build the network graph of a snapshot.

    Parameters
    ----------
    snapshot
        The cluster (``reach.snapshot`` when None).
    reach
        ``k8sviz.reachability(snapshot)``: adds ``kind="allowed"`` edges.  Without it (and
        without flows) the graph has nodes only.
    flows
        Observed flows (``k8sviz.load_flows``): adds ``kind="observed"`` edges.
    level
        ``"workload"`` (default) or ``"pod"``.
    zones
        :class:`~k8sviz.analysis.zones.Zones` or a zones YAML path: sets each node's ``zone``.
    services
        Add a node per Service (``"svc:ns/name"``) with ``kind="selects"`` edges to its backends.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes (id = ``"ns/name"``, a CIDR for external peers, ``"svc:ns/name"`` for services)
        carry ``type`` (workload / pod / external / service), ``namespace``, ``name``, ``kind``
        (workload kind), ``labels``, ``zone``, ``exposed`` (bool), ``exposed_by`` (list),
        ``host_network``, ``privileged``, ``system`` and for external peers ``address_class``
        (internet / private) and ``metadata`` (holds 169.254.169.254).  Edges carry ``kind``:

        * ``allowed``: ``protocol``, ``ports`` (``["80", "8000-8080"]``), ``rules`` (deciding
          rules ``"ns/name direction[i]"``, when the engine provides ``rule_frame``);
        * ``observed``: ``protocol``, ``port``, ``count``, ``bytes``, ``verdicts`` (verdict ->
          count), ``first_seen``, ``last_seen``;
        * ``selects``: Service -> backend, with ``ports``.

        ``G.graph`` holds ``cluster``, ``collected_at``, ``sha256``, ``coverage``, ``level``,
        ``k8sviz_version`` and ``zones_source``.  Every attribute is JSON-serializable, so
        ``networkx.node_link_data(G)`` round-trips through ``json``.
    """
    import networkx as nx

    if snapshot is None:
        snapshot = reach.snapshot
    if level not in ("workload", "pod"):
        from ..errors import QueryError

        msg = f"level must be 'workload' or 'pod', not {level!r}"
        raise QueryError(msg)
    zones = load_zones(zones) if zones is not None else None
    zmap = zones.assign(snapshot, level) if zones is not None else {}
    G = nx.MultiDiGraph()
    G.graph.update(
        {
            "cluster": snapshot.meta.get("cluster"),
            "collected_at": snapshot.meta.get("collected_at"),
            "sha256": snapshot.sha256,
            "coverage": dict(snapshot.coverage),
            "k8sviz_version": snapshot.meta.get("k8sviz_version"),
            "level": level,
            "zones_source": zones.source if zones is not None else None,
        }
    )
    exposed = exposure(snapshot)
    kinds = {w.key: w.kind for w in snapshot.workloads}
    # ---------------------------------------------------------------- endpoint nodes
    for p in snapshot.pods:
        node = p.workload_key if level == "workload" else p.key
        how = exposed.get(p.workload_key, [])
        if node in G:
            a = G.nodes[node]
            a["pods"] += 1
            a["host_network"] = a["host_network"] or p.host_network
            a["privileged"] = a["privileged"] or p.privileged
            continue
        labels = {k: v for k, v in p.labels.items() if k != "pod-template-hash"}
        G.add_node(
            node,
            type=level,
            namespace=p.namespace,
            name=p.workload if level == "workload" else p.name,
            workload=p.workload_key,
            kind=kinds.get(p.workload_key, p.workload_kind),
            labels=labels,
            zone=zmap.get(node),
            exposed=bool(how),
            exposed_by=list(how),
            host_network=p.host_network,
            privileged=p.privileged,
            system=p.namespace in SYSTEM_NAMESPACES,
            pods=1,
        )

    def ensure_external(key: str) -> None:
        if key not in G:
            cls, meta = classify_block(key)
            G.add_node(
                key,
                type="external",
                namespace=None,
                name=key,
                labels={},
                zone=EXTERNAL if zones is not None else None,
                address_class=cls,
                metadata=meta,
                exposed=False,
                exposed_by=[],
                host_network=False,
                privileged=False,
                system=False,
            )

    # ---------------------------------------------------------------- services
    if services:
        by_ns: dict[str, list[Any]] = defaultdict(list)
        for p in snapshot.pods:
            by_ns[p.namespace].append(p)
        for svc in snapshot.services:
            sid = f"svc:{svc.key}"
            G.add_node(
                sid,
                type="service",
                namespace=svc.namespace,
                name=svc.name,
                service_type=svc.type,
                labels=dict(svc.labels),
                zone=None,
                exposed=svc.exposed,
                exposed_by=[f"Service {svc.key} ({svc.type})"] if svc.exposed else [],
                host_network=False,
                privileged=False,
                system=svc.namespace in SYSTEM_NAMESPACES,
                cluster_ips=list(svc.cluster_ips),
                load_balancer_ingress=list(svc.load_balancer_ingress),
                ports=[f"{sp.protocol}/{sp.port}" for sp in svc.ports],
            )
            if not svc.selector:
                continue
            targets = sorted(
                {
                    (p.workload_key if level == "workload" else p.key)
                    for p in by_ns[svc.namespace]
                    if all(p.labels.get(k) == v for k, v in svc.selector.items())
                }
            )
            for t in targets:
                G.add_edge(
                    sid,
                    t,
                    key="selects",
                    kind="selects",
                    ports=[f"{sp.protocol}/{sp.port}" for sp in svc.ports],
                )
            if targets and zones is not None:
                G.nodes[sid]["zone"] = G.nodes[targets[0]].get("zone")

    # ---------------------------------------------------------------- allowed edges
    if reach is not None:
        edges = edge_frame(reach, level)
        rules: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        try:
            rf = rule_frame(reach, level)
            for r in rf.itertuples(index=False):
                text = f"{r.policy} {r.direction}[{int(r.rule)}]"
                lst = rules[(r.src, r.dst, r.protocol)]
                if text not in lst:
                    lst.append(text)
        except (AttributeError, NotImplementedError, TypeError):
            pass
        for col, typ in (("src", "src_type"), ("dst", "dst_type")):
            for key in edges.loc[edges[typ] == "external", col].unique():
                ensure_external(key)
        cols = [edges[c].tolist() for c in ("src", "dst", "protocol", "ports")]
        G.add_edges_from(
            (
                src,
                dst,
                f"allowed:{proto}",
                {
                    "kind": "allowed",
                    "protocol": proto,
                    "ports": [str(p) for p in ports],
                    "port_labels": port_text(proto, ports),
                    "rules": rules.get((src, dst, proto), []),
                },
            )
            for src, dst, proto, ports in zip(*cols, strict=True)
        )

    # ---------------------------------------------------------------- observed edges
    if flows is not None and len(flows):
        agg: dict[tuple[str, str, str, int], dict[str, Any]] = {}
        cols = set(flows.columns)
        for r in flows.to_dict("records"):
            src = _endpoint(
                r.get("src_namespace"), r.get("src_workload"), r.get("src_pod"), r.get("src_ip"), level
            )
            dst = _endpoint(
                r.get("dst_namespace"), r.get("dst_workload"), r.get("dst_pod"), r.get("dst_ip"), level
            )
            port = r.get("dst_port")
            if src is None or dst is None or not _ok(port):
                continue
            proto = str(r.get("protocol") or "TCP").upper()
            a = agg.setdefault(
                (src, dst, proto, int(port)),
                {"count": 0, "bytes": 0, "verdicts": {}, "first_seen": None, "last_seen": None},
            )
            a["count"] += 1
            if "bytes" in cols and _ok(r.get("bytes")):
                a["bytes"] += int(r["bytes"])
            v = str(r.get("verdict") or "unknown")
            a["verdicts"][v] = a["verdicts"].get(v, 0) + 1
            if _ok(r.get("time")):
                t = r["time"]
                t = t.isoformat() if hasattr(t, "isoformat") else str(t)
                a["first_seen"] = t if a["first_seen"] is None or t < a["first_seen"] else a["first_seen"]
                a["last_seen"] = t if a["last_seen"] is None or t > a["last_seen"] else a["last_seen"]
        for (src, dst, proto, port), a in sorted(agg.items()):
            for n in (src, dst):
                if n not in G:
                    ensure_external(n)
            G.add_edge(
                src, dst, key=f"observed:{proto}/{port}", kind="observed", protocol=proto, port=port, **a
            )
    return G
