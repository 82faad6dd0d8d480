"""The cluster as one networkx graph: workloads (or pods), external peers and services, and the
nodes and network sets that flows reach; allowed and observed connections as edges; snapshot
metadata on ``G.graph``."""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .._checks import is_count, one_of, require_flag, require_flows, snapshot_and_reach
from .._gc import pausing
from .._text import as_given
from ._common import (
    INTERNET,
    SYSTEM_NAMESPACES,
    classify_block,
    exposure,
    first_seen,
    live_edge_frame,
    port_list_codes,
    port_text,
    row_codes,
    rule_frame,
)
from .zones import EXTERNAL, Zones, load_zones, warn_empty_zones

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


def _text(v: Any) -> str | None:
    """A flow table cell as text, None when missing (NaN, NA, empty)."""
    return str(v) if _ok(v) else None


#: ``address_class`` of a flow endpoint whose address the source hides, by its address space
#: (the classes allowed-edge blocks use: :func:`~k8sviz.analysis._common.classify_block`).
_HIDDEN_CLASS = {"public": INTERNET, "private": "private"}


@pausing  # 700,000 edges of small dicts and lists: see k8sviz._gc
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
        Observed flows (``k8sviz.load_flows``): adds ``kind="observed"`` edges.  A DataFrame
        without ``dst_port``, or flows load_flows mapped to another snapshot, is a
        :class:`~k8sviz.TableError` (an InputError and a QueryError), as in the flow functions.
    level
        ``"workload"`` (default) or ``"pod"``.
    zones
        :class:`~k8sviz.analysis.zones.Zones` or a zones YAML path: sets each node's ``zone``
        and ``zones``.
    services
        Add a node per Service (``"svc:ns/name"``) with ``kind="selects"`` edges to its backends.
    max_edges
        When the engine's allowed-edge frame has more rows than this (default
        :data:`MAX_EDGES`, 2,000,000; None for no limit), the allowed edges are aggregated per
        namespace pair instead of kept per workload (or pod) pair, because millions of
        networkx edges do not fit in memory.  A warning is issued and
        ``G.graph["aggregated"]`` is ``"namespace"`` (else None).  The endpoint nodes are kept;
        the aggregated edges run between ``"ns:<namespace>"`` nodes (``type="namespace"``,
        ``workloads``: member count, ``zone``: the members' zone when they share one,
        ``zones``: all of theirs) and external peers, with ``kind="allowed"``, ``protocol``,
        ``ports``, ``port_labels``, ``pairs`` (endpoint pairs merged), ``aggregated=True`` and
        no ``rules``.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes carry ``type``, ``namespace``, ``name``, ``labels``, ``zone``, ``zones``,
        ``exposed`` (bool), ``exposed_by`` (list), ``host_network``, ``privileged`` and
        ``system``.  By ``type``:

        * ``workload`` / ``pod`` (id ``"ns/name"``): ``kind`` (workload kind), ``workload``,
          ``pods``;
        * ``service`` (id ``"svc:ns/name"``): ``service_type``, ``cluster_ips``,
          ``load_balancer_ingress``, ``ports``;
        * ``external``: an allowed edge's address block (id: the CIDR) or an observed address
          (id: the IP), with ``address_class`` (``internet`` / ``private``) and ``metadata``
          (holds 169.254.169.254); an observed address the flow source hides is
          ``"external-public"`` / ``"external-private"`` (``address_class`` ``internet`` /
          ``private``) or ``"external"`` (``unknown``);
        * ``node`` (id ``"node/<name>"``, or ``"node/<address>"`` for a host endpoint whose
          address is no known node's and that names no node: never the bare address, which is
          an external peer's id): a cluster node observed in flows, with ``addresses`` and
          ``labels`` from the snapshot's Node (else the observed address, ``name`` None);
        * ``networkset`` (id ``"networkset/ns/name"``, ``"networkset/name"`` when global): a
          Calico network set observed in flows, with its ``nets`` and ``labels``;
        * ``unknown``: a flow endpoint that could not be mapped (id: its IP, or ``"unknown"``).

        ``zone`` is one zone per node: for a workload whose pods fall in several zones
        (mid-rollout, a label on some replicas: ``zones.split_workloads(snapshot)``) the most
        sensitive of them; ``zones`` lists all of them, in the order of the zones file
        (declared zones, then ``unzoned``).  A Service's ``zone`` is that of its first backend
        and ``zones`` its backends' zones; external peers, cluster nodes and network sets are
        in the zone ``external``.  Without ``zones``, ``zone`` is None and ``zones`` empty;
        an observed endpoint the snapshot does not hold (a pod it lacks, an unmapped address)
        has zone None.

        Edges carry ``kind``:

        * ``allowed``: ``protocol``, ``ports`` (``["80", "8000-8080"]``), ``rules`` (deciding
          rules ``"ns/name direction[i]"``, when the engine provides ``rule_frame``);
        * ``observed``: ``protocol``, ``port`` (None for records without one, such as ICMP),
          ``count`` (records), ``bytes``, ``verdicts`` (verdict -> records), ``first_seen``,
          ``last_seen`` (the end of the last record's interval), from the records that
          :func:`k8sviz.flow_edges` counts: Hubble replies and records of unknown direction are
          left out (:func:`k8sviz.flows.compare.edge_records`).  Their endpoints are the
          ``src`` and ``dst`` that :func:`k8sviz.flow_edges` gives at the same level
          (:func:`k8sviz.flows.compare.endpoint_labels`), except that a ClusterIP,
          ``service/ns/name`` there, is the Service's node ``svc:ns/name`` (made for it when
          ``services=False``): summed over ports, an edge's ``count`` and ``bytes`` are the
          ``records`` and ``bytes`` of the flow_edges row.  At pod level a record that names a
          workload but no pod (an aggregated Calico row) attaches to a ``workload`` node.  Where
          two kinds of endpoint share a name (a cluster node ``x`` and the workload ``x`` of a
          namespace called ``node`` are both ``node/x``), the second kind's node id is prefixed
          with its kind (``"node:node/x"``), so that neither's traffic is drawn as the other's;
        * ``selects``: Service -> backend, with ``ports``.

        ``G.graph`` holds ``cluster``, ``collected_at``, ``sha256``, ``coverage``, ``level``,
        ``k8sviz_version``, ``zones_source`` and ``aggregated``.  Every attribute is JSON-serializable, so
        ``networkx.node_link_data(G)`` round-trips through ``json``.
    """
    snapshot, reach = snapshot_and_reach(snapshot, reach, "graph")
    require_flows(flows, "graph", snapshot, columns=("dst_port",))  # a table by hand will do
    require_flag(services, "graph", "services")
    if max_edges is not None:
        if not is_count(max_edges) or max_edges < 0:
            # (a "2e6" from a widget was a TypeError in the comparison, 2.5 a silent cap)
            from ..errors import QueryError

            msg = f"graph: max_edges must be a count of edges (0 or more) or None, not {as_given(max_edges)}"
            raise QueryError(msg)
        max_edges = int(max_edges)
    G, nodes = _start(snapshot, level, zones, services)

    # ---------------------------------------------------------------- allowed edges
    if reach is not None:
        edges = _allowed_frame(reach, level, nodes)
        if max_edges is not None and len(edges) > max_edges:
            import warnings

            from .._warnings import outside_stacklevel

            warnings.warn(
                f"{len(edges):,} allowed {level} edges exceed max_edges={max_edges:,}: "
                "allowed edges are aggregated per namespace pair (G.graph['aggregated'])",
                stacklevel=outside_stacklevel(),
            )
            _add_namespace_edges(G, edges, snapshot, nodes, level, reach)
        else:
            _add_allowed_edges(G, edges, reach, level)

    # ---------------------------------------------------------------- observed edges
    if flows is not None and len(flows):
        _add_observed_edges(G, flows, level, nodes)
    return G


@pausing
def graph_without_allowed(
    snapshot: Snapshot | None,
    reach: Any = None,
    flows: pd.DataFrame | None = None,
    level: str = "workload",
    *,
    zones: Zones | str | Any = None,
    services: bool = True,
) -> tuple[nx.MultiDiGraph, pd.DataFrame | None]:
    """:func:`graph` but for its allowed edges, and the frame they come from.

    The nodes (the external peers of allowed edges included), the ``selects`` and the observed
    edges are those :func:`graph` gives with the same arguments; the allowed edges stay in
    the returned frame (:func:`~k8sviz.analysis._common.live_edge_frame`, None without
    ``reach``), of which :func:`graph` makes an edge per (src, dst, protocol), unless there are
    more than ``max_edges``.  For callers that only merge the allowed edges into a few groups
    (the audit report's aggregated figures): at 700,000 edges, making each a networkx edge
    costs more than the rest of the graph.
    """
    snapshot, reach = snapshot_and_reach(snapshot, reach, "graph")
    require_flows(flows, "graph", snapshot, columns=("dst_port",))  # a table by hand will do
    require_flag(services, "graph", "services")
    G, nodes = _start(snapshot, level, zones, services)
    frame = _allowed_frame(reach, level, nodes) if reach is not None else None
    if flows is not None and len(flows):
        _add_observed_edges(G, flows, level, nodes)
    return G, frame


def _start(snapshot: Snapshot, level: str, zones: Any, services: bool) -> tuple[nx.MultiDiGraph, _Nodes]:
    """The graph with its metadata, a node per workload (or pod) and, with ``services``, the
    Services and their ``selects`` edges."""
    import networkx as nx

    if not one_of(level, ("workload", "pod")):
        from ..errors import QueryError

        msg = f"level must be 'workload' or 'pod', not {as_given(level)}"
        raise QueryError(msg)
    zones = load_zones(zones) if zones is not None else None
    if zones is not None:
        warn_empty_zones(zones, snapshot)
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
    nodes = _Nodes(G, snapshot, zones, level)
    nodes.add_endpoints()
    if services:
        nodes.add_services()
    return G, nodes


def _allowed_frame(reach: Any, level: str, nodes: _Nodes) -> pd.DataFrame:
    """The allowed edges of the pods still running, with a node added per external peer."""
    edges = live_edge_frame(reach, level)  # pods that ended connect to nothing now
    for col, typ in (("src", "src_type"), ("dst", "dst_type")):
        for key in edges.loc[edges[typ] == "external", col].unique():
            nodes.external(key)
    return edges


def _kind(endpoint_type: Any) -> str:
    """The kind of graph node a flow endpoint of ``endpoint_type`` is (pods and workloads are one)."""
    if endpoint_type in ("pod", "workload"):
        return "inside"
    return str(endpoint_type) if endpoint_type in ("node", "networkset", "external", "service") else "unknown"


def _fits(node_type: Any, endpoint_type: Any) -> bool:
    """Whether a flow endpoint of ``endpoint_type`` is the graph node of ``node_type``."""
    return _kind(node_type) == _kind(endpoint_type)


class _Nodes:
    """Adds the graph's nodes, one builder per node type, with the zones worked out once."""

    def __init__(self, G: nx.MultiDiGraph, snapshot: Snapshot, zones: Zones | None, level: str):
        self.G = G
        self.snapshot = snapshot
        self.zones = zones
        self.level = level
        #: node id -> its zone (the most sensitive of its pods'), as before ``zones`` existed
        self.zmap: dict[str, str] = zones.assign(snapshot, level) if zones is not None else {}
        #: workload -> the zones of its pods, most sensitive first
        self.wsets: dict[str, tuple[str, ...]] = (
            zones.workload_zone_sets(snapshot) if zones is not None else {}
        )
        self._order = {z: i for i, z in enumerate(zones.names)} if zones is not None else {}

    @cached_property
    def _by_key(self) -> dict[str, dict[Any, Any]]:
        """The snapshot's objects that flow endpoints name, by name (looked up per endpoint)."""
        snap = self.snapshot
        return {
            "service": {s.key: s for s in snap.services},
            "workload": {w.key: w for w in snap.workloads},
            "node": {n.name: n for n in snap.nodes},
            "networkset": {(s.namespace, s.name): s for s in snap.network_sets},
        }

    # ------------------------------------------------------------------ zones

    def ordered(self, found: Any) -> list[str]:
        """Zone names in the order of the zones file (declared, then unzoned and external)."""
        return sorted({z for z in found if z}, key=lambda z: (self._order.get(z, len(self._order)), z))

    def zones_of(self, node: str, workload: str) -> list[str]:
        """All zones of a workload (or pod) node: the zones of its pods."""
        if self.zones is None:
            return []
        if self.level == "workload":
            found = self.wsets.get(workload) or ([self.zmap[node]] if node in self.zmap else [])
            return self.ordered(found)
        return self.ordered([self.zmap.get(node)])

    def _outside(self) -> dict[str, Any]:
        """``zone``/``zones`` of what is no pod: the zone ``external`` (as segmentation has it)."""
        on = self.zones is not None
        return {"zone": EXTERNAL if on else None, "zones": [EXTERNAL] if on else []}

    @staticmethod
    def _plain() -> dict[str, Any]:
        return {"exposed": False, "exposed_by": [], "host_network": False, "privileged": False,
                "system": False}

    # ------------------------------------------------------------------ snapshot objects

    def add_endpoints(self) -> None:
        """A node per workload (or pod) of the snapshot."""
        G, level, snapshot = self.G, self.level, self.snapshot
        exposed = exposure(snapshot)
        kinds = {w.key: w.kind for w in snapshot.workloads}
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
                zone=self.zmap.get(node),
                zones=self.zones_of(node, p.workload_key),
                exposed=bool(how),
                exposed_by=list(how),
                host_network=p.host_network,
                privileged=p.privileged,
                system=p.namespace in SYSTEM_NAMESPACES,
                pods=1,
            )

    def add_services(self) -> None:
        """A node per Service, with ``selects`` edges to its backends."""
        by_ns: dict[str, list[Any]] = defaultdict(list)
        for p in self.snapshot.pods:
            by_ns[p.namespace].append(p)
        for svc in self.snapshot.services:
            sid = self.service(svc.key)
            if not svc.selector:
                continue
            targets = sorted(
                {
                    (p.workload_key if self.level == "workload" else p.key)
                    for p in by_ns[svc.namespace]
                    if all(p.labels.get(k) == v for k, v in svc.selector.items())
                }
            )
            ports = [f"{sp.protocol}/{sp.port}" for sp in svc.ports]
            for t in targets:
                self.G.add_edge(sid, t, key="selects", kind="selects", ports=list(ports))
            if targets and self.zones is not None:
                a = self.G.nodes[sid]
                a["zone"] = self.G.nodes[targets[0]].get("zone")
                a["zones"] = self.ordered(z for t in targets for z in self.G.nodes[t].get("zones", ()))

    def service(self, key: str) -> str:
        """The node of Service ``ns/name`` (added if missing; bare when the snapshot lacks it)."""
        sid = f"svc:{key}"
        if sid in self.G:
            return sid
        svc = self._by_key["service"].get(key)
        if svc is None:  # a flow names a Service the snapshot lacks
            ns, _, name = key.partition("/")
            self.G.add_node(sid, type="service", namespace=ns, name=name, service_type=None, labels={},
                            zone=None, zones=[], **{**self._plain(), "system": ns in SYSTEM_NAMESPACES},
                            cluster_ips=[], load_balancer_ingress=[], ports=[])
            return sid
        self.G.add_node(
            sid,
            type="service",
            namespace=svc.namespace,
            name=svc.name,
            service_type=svc.type,
            labels=dict(svc.labels),
            zone=None,
            zones=[],
            exposed=svc.exposed,
            exposed_by=[f"Service {svc.key} ({svc.type})"] if svc.exposed else [],
            host_network=False,
            privileged=False,
            system=svc.namespace in SYSTEM_NAMESPACES,
            cluster_ips=list(svc.cluster_ips),
            load_balancer_ingress=list(svc.load_balancer_ingress),
            ports=[f"{sp.protocol}/{sp.port}" for sp in svc.ports],
        )
        return sid

    def external(self, key: str) -> str:
        """The node of an address block or address (``classify_block`` gives its class)."""
        if key not in self.G:
            cls, meta = classify_block(key)
            self.G.add_node(key, type="external", namespace=None, name=key, labels={}, **self._outside(),
                            address_class=cls, metadata=meta, **self._plain())
        return key

    # ------------------------------------------------------------------ flow endpoints

    def observed(
        self, label: str, typ: Any, ns: Any, pod: Any, wl: Any, ip: Any, space: Any, svc: Any
    ) -> str:
        """The node of a flow endpoint that :func:`~k8sviz.flows.compare.endpoint_labels` names
        ``label`` (added when the snapshot gave none)."""
        if typ == "service" and svc:
            return self.service(svc)
        if label in self.G:
            if _fits(self.G.nodes[label].get("type"), typ):
                return label
            # Another kind of endpoint holds the name (a cluster node "x" and the workload x of a
            # namespace called "node" are both node/x): this one gets its kind as a prefix.
            label = f"{typ or 'unknown'}:{label}"
            if label in self.G:
                return label
        if typ in ("pod", "workload") and ns:
            self._flow_workload(label, ns, pod, wl)
        elif typ == "node":
            self._cluster_node(label, wl, ip)
        elif typ == "networkset":
            self._network_set(label, ns, wl)
        elif typ == "external" and ip:
            self.external(label)  # the address itself
        elif typ == "external":
            self.G.add_node(label, type="external", namespace=None, name=label, labels={}, **self._outside(),
                            address_class=_HIDDEN_CLASS.get(str(space), "unknown"), metadata=False,
                            **self._plain())
        else:  # could not be mapped: neither inside nor outside is known
            self.G.add_node(label, type="unknown", namespace=ns, name=label, labels={}, zone=None,
                            zones=[], ip=ip, **self._plain())
        return label

    def _flow_workload(self, label: str, ns: str, pod: str | None, wl: str | None) -> None:
        """A pod or workload the snapshot's pods do not give: one it lacks, or at pod level a
        workload an aggregated record names."""
        typ = "pod" if self.level == "pod" and pod else "workload"
        key = f"{ns}/{wl}" if wl else None
        known = self._by_key["workload"].get(key)
        # A workload with pods in the snapshot has zones (a pod it lacks has none we know of).
        found = self.wsets.get(key, ()) if key and typ == "workload" else ()
        self.G.add_node(
            label,
            type=typ,
            namespace=ns,
            name=(pod if typ == "pod" else wl) or label,
            workload=key,
            kind=known.kind if known is not None else None,
            labels=dict(known.template_labels) if known is not None else {},
            zone=found[0] if found else None,  # the most sensitive, as workload_zones has it
            zones=self.ordered(found),
            **{**self._plain(), "system": ns in SYSTEM_NAMESPACES},
            pods=0,
        )

    def _cluster_node(self, label: str, name: str | None, ip: str | None) -> None:
        known = self._by_key["node"].get(name)
        if known is not None:
            addresses, labels = list(known.addresses), dict(known.labels)
        else:
            addresses, labels = ([ip] if ip else []), {}
        self.G.add_node(label, type="node", namespace=None, name=name, kind="Node", labels=labels,
                        addresses=addresses, **self._outside(), **self._plain())

    def _network_set(self, label: str, ns: str | None, name: str | None) -> None:
        known = self._by_key["networkset"].get((ns, name))
        self.G.add_node(
            label,
            type="networkset",
            namespace=ns,
            name=name,
            kind="NetworkSet" if ns else "GlobalNetworkSet",
            labels=dict(known.labels) if known is not None else {},
            nets=[b.cidr for b in known.nets] if known is not None else [],
            **self._outside(),
            **self._plain(),
        )


def _add_observed_edges(G: nx.MultiDiGraph, flows: pd.DataFrame, level: str, nodes: _Nodes) -> None:
    """``kind="observed"`` edges: the records :func:`k8sviz.flow_edges` counts (the same
    :func:`~k8sviz.flows.compare.edge_records`: no Hubble replies, no records of unknown
    direction) between the endpoints it names, per protocol and destination port."""
    import pandas as pd

    from ..flows.compare import edge_records

    f = edge_records(flows)
    if not len(f):
        return
    ends = {side: _endpoint_nodes(f, side, level, nodes) for side in ("src", "dst")}
    if "bytes" in f:
        nbytes = f["bytes"].astype("Float64").fillna(0)
    else:  # a flow table from load_flows: its counters per direction, as flow_edges adds them
        nbytes = pd.Series(0, index=f.index, dtype="int64")
        for c in ("bytes_in", "bytes_out"):
            if c in f:
                nbytes = nbytes + f[c].fillna(0).astype("int64")
    times = pd.to_datetime(f["time"], utc=True) if "time" in f else pd.Series(pd.NaT, index=f.index)
    end = pd.to_datetime(f["end_time"], utc=True).fillna(times) if "end_time" in f else times
    def column(name: str, missing: Any, dtype: Any = object) -> pd.Series:
        if name not in f:
            return pd.Series(missing, index=f.index, dtype=dtype)
        s = f[name].astype(dtype)
        return s if missing is pd.NA else s.fillna(missing)

    protocol = column("protocol", "?")  # as flow_edges names a missing protocol
    port = column("dst_port", pd.NA, "Float64")
    verdict = column("verdict", "unknown")
    work = pd.DataFrame(
        {
            "src": ends["src"],
            "dst": ends["dst"],
            "protocol": protocol.astype(str).to_numpy(),
            "port": port.fillna(-1).astype("int64").to_numpy(),  # -1: no port (ICMP)
            "verdict": verdict.astype(str).to_numpy(),
            "bytes": nbytes.astype("int64").to_numpy(),
            "time": times.array,  # kept tz-aware (to_numpy would box every timestamp)
            "end": end.array,
        }
    )
    keys = ["src", "dst", "protocol", "port"]
    agg = work.groupby(keys, sort=True).agg(
        records=("verdict", "size"), nbytes=("bytes", "sum"), first=("time", "min"), last=("end", "max")
    )
    verdicts: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict)
    for (*k, v), n in work.groupby([*keys, "verdict"], sort=True).size().items():
        verdicts[tuple(k)][str(v)] = int(n)
    for (src, dst, proto, p), a in zip(agg.index, agg.itertuples(index=False), strict=True):
        first, last = pd.Timestamp(a.first), pd.Timestamp(a.last)
        G.add_edge(
            src,
            dst,
            key=f"observed:{proto}/{p}" if p >= 0 else f"observed:{proto}",
            kind="observed",
            protocol=proto,
            port=int(p) if p >= 0 else None,
            count=int(a.records),
            bytes=int(a.nbytes),
            verdicts=verdicts[(src, dst, proto, p)],
            first_seen=None if pd.isna(first) else first.isoformat(),
            last_seen=None if pd.isna(last) else last.isoformat(),
        )


def _endpoint_nodes(f: pd.DataFrame, side: str, level: str, nodes: _Nodes) -> Any:
    """Per record, the node of its ``side`` end: the label :func:`k8sviz.flow_edges` gives it
    (:func:`~k8sviz.flows.compare.endpoint_labels`, the one place endpoints are named), the
    node added from the first record that names it."""
    import numpy as np
    import pandas as pd

    from ..flows.compare import endpoint_labels, endpoint_types

    labels = endpoint_labels(f, side, level)
    cols = {
        "type": endpoint_types(f, side),
        **{
            c: (f[f"{side}_{c}"].astype(object).to_numpy() if f"{side}_{c}" in f else np.full(len(f), None))
            for c in ("namespace", "pod", "workload", "ip", "address_space")
        },
        "service": (
            f["dst_service"].astype(object).to_numpy()
            if side == "dst" and "dst_service" in f
            else np.full(len(f), None)
        ),
    }
    # One node per name and kind of endpoint: two kinds can share a name (see _Nodes.observed).
    kinds = np.array([_kind(t) for t in cols["type"]], dtype=object)
    ends = pd.DataFrame({"label": labels, "_kind": kinds, **cols}).drop_duplicates(["label", "_kind"])
    node_of = {
        (t[0], t[1]): nodes.observed(t[0], *(_text(x) for x in t[2:]))
        for t in ends.sort_values(["label", "_kind"]).itertuples(index=False, name=None)
    }
    return np.array([node_of[(x, k)] for x, k in zip(labels, kinds, strict=True)], dtype=object)


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
    # add_edge rather than add_edges_from: the latter looks each edge up again through
    # G[u][v] views to set its attributes; add_edge sets them as it makes the edge.
    add = G.add_edge
    for src, dst, proto, ports in zip(*cols, strict=True):
        add(src, dst, f"allowed:{proto}", **attrs(src, dst, proto, ports))


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
    G: nx.MultiDiGraph, edges: pd.DataFrame, snapshot: Snapshot, nodes: _Nodes, level: str, reach: Any = None
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
    # np.unique's sorted keys and inverse, by hashing and sorting only the distinct keys
    codes, uniq = pd.factorize(key)
    del key
    order = np.argsort(uniq, kind="stable")
    ukey = uniq[order]
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    inv = rank[codes]
    del codes, rank
    counts = np.bincount(inv, minlength=len(ukey))
    # one row per (merged edge, shared port list): the engine shares one list per port set
    lists = port_list_codes(reach, edges, level)
    firsts = np.flatnonzero(first_seen(row_codes(inv, lists)))
    del lists
    ports_col = edges["ports"].to_numpy(dtype=object)
    ranges: dict[int, _ports.Ranges] = {}
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
            zs = {nodes.zmap.get(m) for m in members.get(ns, ())}
            ns_obj = snapshot.namespace(ns)
            G.add_node(
                n,
                type="namespace",
                namespace=ns,
                name=ns,
                labels=dict(ns_obj.labels) if ns_obj is not None else {},
                zone=zs.pop() if len(zs) == 1 else None,
                zones=nodes.ordered(z for m in members.get(ns, ()) for z in G.nodes[m].get("zones", ())),
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
