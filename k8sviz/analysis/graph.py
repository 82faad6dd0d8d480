"""The cluster as one networkx graph: workloads (or pods), external peers and services; allowed
and observed connections as edges; snapshot metadata on ``G.graph``."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from ._common import SYSTEM_NAMESPACES, classify_block, exposure, live_edge_frame, port_text, rule_frame
from .zones import EXTERNAL, Zones, load_zones

if TYPE_CHECKING:
    import networkx as nx
    import numpy as np
    import pandas as pd

    from ..snapshot import Snapshot

__all__ = ["MAX_EDGES", "graph"]

#: Above this many allowed edges, :func:`graph` aggregates them per namespace pair.
MAX_EDGES = 2_000_000


def _ok(v: Any) -> bool:
    if v is None or type(v).__name__ == "NAType":  # pandas' NA has no truth value
        return False
    return bool(v == v) and str(v) != ""


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
    max_edges: int | None = MAX_EDGES,
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
    max_edges
        When the engine's allowed-edge frame has more rows than this (default
        :data:`MAX_EDGES`, 2,000,000; None for no limit), the allowed edges are aggregated per
        namespace pair instead of kept per workload (or pod) pair, because millions of
        networkx edges do not fit in memory.  A warning is issued and
        ``G.graph["aggregated"]`` is ``"namespace"`` (else None).  The endpoint nodes are kept;
        the aggregated edges run between ``"ns:<namespace>"`` nodes (``type="namespace"``,
        ``workloads``: member count, ``zone``: the members' zone when they share one) and
        external peers, with ``kind="allowed"``, ``protocol``, ``ports``, ``port_labels``,
        ``pairs`` (endpoint pairs merged), ``aggregated=True`` and no ``rules``.

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
        * ``observed``: ``protocol``, ``port``, ``count`` (records), ``bytes``, ``verdicts``
          (verdict -> records), ``first_seen``, ``last_seen`` (the end of the last record's
          interval, as :func:`k8sviz.flow_edges`), from the records that
          :func:`k8sviz.flow_edges` counts: Hubble replies and records of unknown direction are
          left out (:func:`k8sviz.flows.compare.edge_records`);
        * ``selects``: Service -> backend, with ``ports``.

        ``G.graph`` holds ``cluster``, ``collected_at``, ``sha256``, ``coverage``, ``level``,
        ``k8sviz_version``, ``zones_source`` and ``aggregated``.  Every attribute is JSON-serializable, so
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
            "aggregated": None,
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
        edges = live_edge_frame(reach, level)  # pods that ended connect to nothing now
        for col, typ in (("src", "src_type"), ("dst", "dst_type")):
            for key in edges.loc[edges[typ] == "external", col].unique():
                ensure_external(key)
        if max_edges is not None and len(edges) > max_edges:
            import warnings

            warnings.warn(
                f"{len(edges):,} allowed {level} edges exceed max_edges={max_edges:,}: "
                "allowed edges are aggregated per namespace pair (G.graph['aggregated'])",
                stacklevel=2,
            )
            _add_namespace_edges(G, edges, snapshot, zmap, level)
        else:
            _add_allowed_edges(G, edges, reach, level)

    # ---------------------------------------------------------------- observed edges
    if flows is not None and len(flows):
        _add_observed_edges(G, flows, level, ensure_external)
    return G


def _add_observed_edges(G: nx.MultiDiGraph, flows: pd.DataFrame, level: str, ensure_external: Any) -> None:
    """``kind="observed"`` edges: the records :func:`k8sviz.flow_edges` counts (the same
    :func:`~k8sviz.flows.compare.edge_records`: no Hubble replies, no records of unknown
    direction), per endpoint pair, protocol and destination port."""
    import pandas as pd

    from ..flows.compare import edge_records

    f = edge_records(flows)
    if not len(f):
        return
    n = len(f)

    def column(name: str) -> list[Any]:
        return f[name].astype(object).tolist() if name in f else [None] * n

    if "bytes" in f:
        nbytes = column("bytes")
    else:  # a flow table from load_flows: its counters per direction
        total = pd.Series(0, index=f.index, dtype="int64")
        for c in ("bytes_in", "bytes_out"):
            if c in f:
                total = total + f[c].fillna(0).astype("int64")
        nbytes = total.tolist()
    times = pd.to_datetime(f["time"], utc=True) if "time" in f else pd.Series(pd.NaT, index=f.index)
    ends = pd.to_datetime(f["end_time"], utc=True).fillna(times) if "end_time" in f else times
    labels: dict[tuple[Any, ...], str | None] = {}

    def label(key: tuple[Any, ...]) -> str | None:
        out = labels.get(key, "")
        if out == "":
            out = labels[key] = _endpoint(key[0], key[1], key[2], key[3], level)
        return out

    agg: dict[tuple[str, str, str, int], dict[str, Any]] = {}
    rows = zip(
        zip(column("src_namespace"), column("src_workload"), column("src_pod"), column("src_ip"), strict=True),
        zip(column("dst_namespace"), column("dst_workload"), column("dst_pod"), column("dst_ip"), strict=True),
        column("dst_port"), column("protocol"), column("verdict"), nbytes, times.tolist(), ends.tolist(),
        strict=True,
    )
    for skey, dkey, port, proto, verdict, b, t, end in rows:
        src = label(skey)
        dst = label(dkey)
        if src is None or dst is None or not _ok(port):
            continue
        a = agg.setdefault(
            (src, dst, str(proto or "TCP").upper(), int(port)),
            {"count": 0, "bytes": 0, "verdicts": {}, "first_seen": None, "last_seen": None},
        )
        a["count"] += 1
        if _ok(b):
            a["bytes"] += int(b)
        v = str(verdict or "unknown")
        a["verdicts"][v] = a["verdicts"].get(v, 0) + 1
        if _ok(t) and (a["first_seen"] is None or t < a["first_seen"]):
            a["first_seen"] = t
        if _ok(end) and (a["last_seen"] is None or end > a["last_seen"]):
            a["last_seen"] = end
    for (src, dst, proto, port), a in sorted(agg.items()):
        for node in (src, dst):
            if node not in G:
                ensure_external(node)
        for k in ("first_seen", "last_seen"):
            if a[k] is not None:
                a[k] = a[k].isoformat()
        G.add_edge(src, dst, key=f"observed:{proto}/{port}", kind="observed", protocol=proto, port=port, **a)


def _add_allowed_edges(G: nx.MultiDiGraph, edges: pd.DataFrame, reach: Any, level: str) -> None:
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
    # the engine shares one port list per distinct port set: format each once (fresh lists per edge)
    texts: dict[tuple[str, int], tuple[list[str], list[str], Any]] = {}

    def port_lists(proto: str, ports: Any) -> tuple[list[str], list[str], Any]:
        t = texts.get((proto, id(ports)))
        if t is None:
            t = texts[(proto, id(ports))] = ([str(p) for p in ports], port_text(proto, ports), ports)
        return t

    def attrs(src: str, dst: str, proto: str, ports: Any) -> dict[str, Any]:
        plain, labels, _ = port_lists(proto, ports)
        return {
            "kind": "allowed",
            "protocol": proto,
            "ports": list(plain),
            "port_labels": list(labels),
            "rules": rules.get((src, dst, proto), []),
        }

    cols = [edges[c].tolist() for c in ("src", "dst", "protocol", "ports")]
    G.add_edges_from(
        (src, dst, f"allowed:{proto}", attrs(src, dst, proto, ports))
        for src, dst, proto, ports in zip(*cols, strict=True)
    )


def _endpoint_codes(edges: pd.DataFrame, col: str) -> tuple[np.ndarray, list[str]]:
    """Per row: the namespace node (``"ns:<namespace>"``) or the external peer, as codes."""
    import numpy as np
    import pandas as pd

    ns = edges[f"{col}_namespace"]
    if not isinstance(ns.dtype, pd.CategoricalDtype):
        ns = ns.astype("category")
    codes = ns.cat.codes.to_numpy().astype(np.int64)
    names = [f"ns:{c}" for c in ns.cat.categories]
    ext = np.asarray(edges[f"{col}_type"] == "external") | (codes < 0)
    if ext.any():
        ec, eu = pd.factorize(edges[col].to_numpy(dtype=object)[ext])
        codes[ext] = ec + len(names)
        names += [str(u) for u in eu]
    return codes, names


def _add_namespace_edges(
    G: nx.MultiDiGraph, edges: pd.DataFrame, snapshot: Snapshot, zmap: dict[str, str], level: str
) -> None:
    """Allowed edges aggregated per (namespace or external peer) pair and protocol."""
    import numpy as np
    import pandas as pd

    from . import _ports

    G.graph["aggregated"] = "namespace"
    sc, snames = _endpoint_codes(edges, "src")
    dc, dnames = _endpoint_codes(edges, "dst")
    proto = edges["protocol"]
    if not isinstance(proto.dtype, pd.CategoricalDtype):
        proto = proto.astype("category")
    pc = proto.cat.codes.to_numpy().astype(np.int64)
    protos = [str(p) for p in proto.cat.categories]
    key = (sc * max(len(dnames), 1) + dc) * max(len(protos), 1) + pc
    del sc, dc, pc
    ukey, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
    del key
    ids = np.fromiter(map(id, edges["ports"].to_numpy(dtype=object)), dtype=np.int64, count=len(edges))
    firsts = pd.DataFrame({"k": inv.reshape(-1), "i": ids}).drop_duplicates().index.to_numpy()
    del ids
    ports_col = edges["ports"].to_numpy(dtype=object)
    ranges: dict[int, _ports.Ranges] = {}
    inv = inv.reshape(-1)
    for r in firsts.tolist():
        k = int(inv[r])
        ranges[k] = _ports.union(ranges.get(k, ()), _ports.parse(ports_col[r]))
    del inv, ports_col
    # namespace nodes
    members: dict[str, list[str]] = defaultdict(list)
    for node, a in G.nodes(data=True):
        if a.get("type") == level:
            members[a["namespace"]].append(node)
    for n in snames + dnames:
        if n.startswith("ns:") and n not in G:
            ns = n[3:]
            zs = {zmap.get(m) for m in members.get(ns, ())}
            ns_obj = snapshot.namespace(ns)
            G.add_node(
                n,
                type="namespace",
                namespace=ns,
                name=ns,
                labels=dict(ns_obj.labels) if ns_obj is not None else {},
                zone=zs.pop() if len(zs) == 1 else None,
                workloads=len(members.get(ns, ())),
                exposed=False,
                exposed_by=[],
                host_network=False,
                privileged=False,
                system=ns in SYSTEM_NAMESPACES,
            )
    nd, npro = max(len(dnames), 1), max(len(protos), 1)
    for k, (u, n) in enumerate(zip(ukey.tolist(), counts.tolist(), strict=True)):
        c, p = divmod(u, npro)
        s_, d_ = divmod(c, nd)
        rs = ranges.get(k, ())
        fmt = _ports.fmt(rs)
        G.add_edge(
            snames[s_],
            dnames[d_],
            key=f"allowed:{protos[p]}",
            kind="allowed",
            protocol=protos[p],
            ports=list(fmt),
            port_labels=[f"{protos[p]}/{x}" for x in fmt],
            pairs=int(n),
            aggregated=True,
        )
