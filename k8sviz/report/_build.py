"""Collect everything the audit report shows, section by section.

Each analysis comes from the public k8sviz API (``reachability``, ``graph``, ``gaps``...).
A missing analysis or one that fails is recorded as a *problem* that the report shows in
red, so a partial report never looks like a clean one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._checks import is_input_dir, require_flag, require_flows, require_paths
from .._files import each_once
from .._text import as_given, as_written, counted
from ..errors import InputError, K8svizError
from ..policy.admin import policy_ref
from ..snapshot import UNNAMED
from ..viz.network import MAX_DRAWN_GROUPS, RING_EDGES
from ._failure import failure_text

__all__ = ["ReportData", "ReportError", "collect"]

#: Collected resources whose state is not ``ok`` are unknown, never empty.
UNKNOWN_STATES = ("forbidden", "not-installed", "not-in-input", "error", "unknown")

#: Above this many graph nodes the network figure is aggregated to namespaces.
AGGREGATE_ABOVE = 150
#: Workload-level rows of the allowed-connections appendix written inline.
APPENDIX_ROWS = 1000
#: Namespace pairs tabulated in the appendix; all of them are in its CSV file.
NAMESPACE_ROWS = 1000
#: Workloads the scope names per zone; past them in any zone, the page carries every workload
#: with its zone as CSV (a row per workload, about 60 characters: carried whole).
ZONE_MEMBERS = 200
#: Systems connected to sensitive zones tabulated; past them the page carries them all as CSV
#: (no command lists them; a row per endpoint, about 60 characters: carried whole).
CONNECTED_ROWS = 500
#: Violations tabulated under Segmentation; past them the page carries the violations as CSV.
VIOLATION_ROWS = 500
#: Characters of violation CSV text the page carries at most: the first rows that fit, and the
#: command that lists them all.  A violation costs about 110 characters of CSV, and about 4,800
#: when it names the outside blocks of an address range whole (2% of the rows at 6,800 pods, half
#: the text): 20 million characters are every one of the 93,614 violations at 6,800 pods (19.4
#: million), and of the 7 million at 50,000 pods at most some 180,000 (fewer where rows name
#: outside blocks).  The page carries it gzip-compressed (``viz.html.GZIP_FROM_CHARS``): those
#: 19.4 million characters are 0.55 MiB of it (bench/README, "The CSV files carried
#: compressed").
VIOLATION_CSV_CHARS = 20_000_000
#: Findings tabulated; past them the page carries the findings as CSV.
FINDING_ROWS = 2000
#: Characters of findings CSV text the page carries at most (then the command that lists them
#: all): about 13,000 findings at the 770 characters a finding costs at 6,800 pods (2,856
#: findings, 1.4 per workload, 2.2 million characters).
FINDING_CSV_CHARS = 10_000_000
#: Finding changes since the baseline tabulated; past them the page carries them as CSV (capped
#: at FINDING_CSV_CHARS, as the findings are).
FINDING_CHANGE_ROWS = APPENDIX_ROWS
#: Edges a connection graph figure of workloads draws at most (``network_figure``'s
#: ``max_edges``): the violating ones first; the rest are in the appendix.
GRAPH_EDGES = 2000
#: Edges and namespaces (or zones) a figure aggregated per namespace or zone draws at most
#: (``max_edges``, ``max_groups``): ``network_figure``'s defaults for such a ring, where 2,000
#: chords among 1,001 namespaces were a red disc at 50,000 pods.
GRAPH_RING_EDGES = RING_EDGES
GRAPH_GROUPS = MAX_DRAWN_GROUPS
#: Source and destination namespaces the appendix's matrix shows at most (the busiest): all
#: pairs are in its table.
MATRIX_NAMESPACES = 150


class ReportError(K8svizError):
    """The audit report cannot be built (bad inputs or output path)."""


@dataclass
class ReportData:
    snapshot: Any
    generated_at: str
    reach: Any = None
    zones: Any = None
    flows: pd.DataFrame | None = None
    #: The workload graph (``k8sviz.graph``); above :data:`AGGREGATE_ABOVE` nodes without its
    #: allowed edges, which are then in ``allowed_edges`` (see :func:`report_graph`).
    graph: Any = None
    seg: Any = None
    gaps: pd.DataFrame | None = None
    controls: pd.DataFrame | None = None
    reach_frame: pd.DataFrame | None = None
    inventory: pd.DataFrame | None = None
    isolation: pd.DataFrame | None = None
    flow_edges_ns: pd.DataFrame | None = None
    discrepancies: pd.DataFrame | None = None
    clock_skew: Any = None
    flow_load: Any = None
    inputs: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    flows_given: bool = False
    zones_given: bool = False
    baseline: Any = None
    #: Why the baseline may be another cluster's (its name differs from the snapshot's), or None.
    baseline_mismatch: str | None = None
    changes: pd.DataFrame | None = None
    changes_shown: pd.DataFrame | None = None
    policy_changes: pd.DataFrame | None = None
    label_changes: pd.DataFrame | None = None
    #: The findings new, changed or resolved since the baseline (``findings_diff``), flow
    #: findings left out: the baseline has no flows.
    finding_changes: pd.DataFrame | None = None
    #: The date exceptions are judged against, when given (else the analyses' default).
    today: dt.date | None = None
    #: Shortest paths from the internet into each sensitive zone (``internet_paths``).
    internet_paths: pd.DataFrame | None = None
    sensitive_zones: list[str] = field(default_factory=list)
    #: The allowed edges left out of ``graph`` (:class:`~k8sviz.viz._network_frame.AllowedEdges`),
    #: or None when ``graph`` holds them.
    allowed_edges: Any = None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        try:
            if is_input_dir(path):
                out += sorted(q for q in path.rglob("*") if q.is_file() and not q.name.startswith("."))
            else:
                out.append(path)
        except InputError:
            pass  # the loader of this input says what is wrong with it
    return each_once(out)  # a file given twice is read (and listed) once


def _api(name: str) -> Callable[..., Any] | None:
    import k8sviz

    try:
        return getattr(k8sviz, name)  # type: ignore[no-any-return]
    except (AttributeError, ImportError):
        return None


def _as_paths(x: Any) -> list[str] | None:
    if isinstance(x, str | os.PathLike):
        return [os.fspath(x)]
    if (
        isinstance(x, Sequence)
        and not isinstance(x, str | bytes)
        and all(isinstance(i, str | os.PathLike) for i in x)
    ):
        return [os.fspath(i) for i in x]
    return None


def collect(
    snapshot_or_paths: Any,
    *,
    flows: Any = None,
    zones: Any = None,
    reach: Any = None,
    generated_at: str | dt.datetime | None = None,
    baseline: Any = None,
    today: dt.date | str | None = None,
    ipblocks_match_pods: bool = False,
    baseline_cluster: str | None = None,
) -> ReportData:
    """Load inputs and run every analysis the report needs."""
    from ..analysis.zones import Zones, resolve_today, zone_warnings_left_out
    from ..snapshot import Snapshot, load

    # Before the inputs are read: a mistyped date should not cost a load first.
    judged_on = resolve_today(today) if today is not None and today != "" else None
    for name, given in (("snapshot_or_paths", snapshot_or_paths), ("flows", flows), ("zones", zones),
                        ("baseline", baseline)):
        paths = _as_paths(given)
        if paths:  # an empty one would be read as the current directory, every file below it hashed
            require_paths(tuple(paths), f"report: {name}", ReportError)
    _check_baseline_cluster(baseline, baseline_cluster)
    require_flag(ipblocks_match_pods, "report", "ipblocks_match_pods", ReportError)
    if generated_at is not None and (not isinstance(generated_at, str | dt.datetime) or generated_at == ""):
        # a number was written into the report as its date
        msg = f"report: generated_at must be a datetime or a time as text, got {as_given(generated_at)}"
        raise ReportError(msg)
    if reach is not None and ipblocks_match_pods and not getattr(reach, "ipblocks_match_pods", False):
        msg = "ipblocks_match_pods=True, but the reach given was computed without it"
        raise ReportError(msg)
    if isinstance(snapshot_or_paths, Snapshot):
        snap = snapshot_or_paths
    else:
        paths = _as_paths(snapshot_or_paths)
        if not paths:
            msg = "report() needs a Snapshot or one or more paths to cluster dumps"
            raise ReportError(msg)
        snap = load(*paths)
    if reach is not None:
        from .._checks import require_reach, require_same
        from ..errors import QueryError

        try:
            require_same(snap, require_reach(reach, "report"), "report")
        except QueryError as e:  # one report of two clusters would be neither's
            raise ReportError(str(e)) from None
    if generated_at is None:
        generated_at = dt.datetime.now(dt.UTC)
    if isinstance(generated_at, dt.datetime):
        generated_at = generated_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    data = ReportData(snapshot=snap, generated_at=generated_at, today=judged_on)
    data.inputs = [
        {"role": "cluster", "path": str(i.get("path", "")), "sha256": str(i.get("sha256", ""))}
        for i in snap.meta.get("inputs", [])
    ]

    def run(
        label: str, name: str | Callable[..., Any], *args: Any, inputs: bool = False, **kwargs: Any
    ) -> Any:
        fn = name if callable(name) else _api(name)
        if fn is None:
            data.problems.append(f"{label}: k8sviz.{name} is not available in this installation")
            return None
        try:
            with zone_warnings_left_out():  # said once, below, as among the limitations
                return fn(*args, **kwargs)
        except InputError as e:
            if inputs:  # a bad zones file or flow log is the user's to fix, not a footnote
                raise
            data.problems.append(f"{label}: {failure_text(e)}")
            return None
        except Exception as e:
            data.problems.append(f"{label}: {failure_text(e)}")
            print(f"k8sviz report: warning: {label} failed: {failure_text(e)}", file=sys.stderr)
            return None

    # zones
    if zones is not None:
        data.zones_given = True
        zpaths = _as_paths(zones)
        if zpaths:
            data.inputs += [
                {"role": "zones", "path": str(p), "sha256": sha256_file(p)} for p in _files(zpaths)
            ]
            data.zones = run("zones", "load_zones", zpaths[0], inputs=True)
        else:
            # a mapping read as a zones file is: the report reads the Zones object throughout
            data.zones = zones if isinstance(zones, Zones) else run("zones", "load_zones", zones, inputs=True)
    # reachability
    data.reach = (
        reach if reach is not None
        else run("reachability", "reachability", snap, ipblocks_match_pods=ipblocks_match_pods)
    )
    # flows
    if flows is not None:
        data.flows_given = True
        fpaths = _as_paths(flows)
        if fpaths:
            from ..errors import K8svizError
            from ..flows import _files as flow_files

            unreadable: K8svizError | None = None
            try:  # the files load_flows reads, as it walks them
                files = flow_files(fpaths)
            except K8svizError as e:
                unreadable = e
                files = _files(fpaths)  # load_flows says what is wrong below
            if not files:
                if unreadable is not None:  # a path that cannot be looked at says why, not "no files"
                    raise unreadable
                msg = f"no flow log files under {', '.join(fpaths)}"
                raise ReportError(msg)
            data.inputs += [{"role": "flows", "path": str(p), "sha256": sha256_file(p)} for p in files]
            data.flows = run("flows", "load_flows", *fpaths, snapshot=snap, inputs=True)
        elif isinstance(flows, pd.DataFrame):
            from ..errors import QueryError

            try:  # flows mapped to another cluster would be judged against this one's policies
                data.flows = require_flows(flows, "report", snap)
            except QueryError as e:
                raise ReportError(str(e)) from None
        else:
            msg = "flows must be paths or a DataFrame from k8sviz.load_flows"
            raise ReportError(msg)
    if snap.is_empty:
        data.problems.append(
            "inputs: no Kubernetes object was read from the inputs; every section below is empty "
            "because nothing was given, not because the cluster is clean"
        )
    # A limitation the policy engine also warns of is said once, among the caveats of the
    # policy verdicts: the limitation names what it leaves out of the report and refers there.
    caveats = caveat_codes(data)
    unevaluated = snap.unevaluated_policies
    if unevaluated and "policies-not-evaluated" in caveats:
        data.problems.append(
            "policies not evaluated: allowed connections, segmentation and findings leave out "
            f"{counted(len(unevaluated), 'policy')} the cluster enforces (caveat policies-not-evaluated; "
            "each listed under findings as policy-not-evaluated)"
        )
    elif unevaluated:
        kinds = ", ".join(f"{n:,} {k}" for k, n in sorted(Counter(p.label_kind for p in unevaluated).items()))
        data.problems.append(
            f"policies not evaluated: the cluster enforces {counted(len(unevaluated), 'policy')} "
            f"that k8sviz does not evaluate ({kinds}; "
            "listed under findings as policy-not-evaluated). Allowed connections, segmentation and "
            "findings leave them out"
        )
    by_name = sorted(
        {p.ref for p in snap.cilium_policies if not p.unsupported
         for r in p.rules for e in r.egress if e.fqdns is not None}
        | {policy_ref(p) for p in snap.admin_policies for r in p.egress for peer in r.peers
           if peer.domain_names}
    )
    dns_codes = [c for c in ("cilium-fqdn", "admin-domain-names") if c in caveats]
    if by_name and dns_codes:
        data.problems.append(
            f"egress to DNS names: egress that {counted(len(by_name), 'policy')} "
            f"{'allows' if len(by_name) == 1 else 'allow'} by DNS name is not shown as allowed "
            f"({'caveats' if len(dns_codes) > 1 else 'caveat'} {', '.join(dns_codes)})"
        )
    elif by_name:
        data.problems.append(
            f"egress to DNS names: {counted(len(by_name), 'policy')} "
            f"{'allows' if len(by_name) == 1 else 'allow'} "
            "egress to what DNS answers for names "
            f"({', '.join(by_name[:10])}{' ...' if len(by_name) > 10 else ''}; "
            "Cilium toFQDNs, admin domainNames). A snapshot holds no DNS answers, so that egress is not "
            "shown as allowed; the rest of those policies is evaluated"
        )
    if snap.namespace_scope is not None:
        data.problems.append(
            f"namespace scope: namespaced resources were read only in {', '.join(snap.namespace_scope)}; "
            "pods, services and policies in other namespaces are unknown, and no finding covers them"
        )
    unlabelled = snap.namespaces_with_unknown_labels
    if unlabelled and "namespace-labels-unknown" in caveats:
        data.problems.append(
            f"namespace labels not read: {counted(len(unlabelled), 'namespace')} "
            f"{'is' if len(unlabelled) == 1 else 'are'} known only from the objects in "
            f"{'it' if len(unlabelled) == 1 else 'them'} (caveat namespace-labels-unknown)"
        )
    elif unlabelled:
        shown = ", ".join(unlabelled[:10]) + (" ..." if len(unlabelled) > 10 else "")
        one = len(unlabelled) == 1
        data.problems.append(
            f"namespace labels not read: {counted(len(unlabelled), 'namespace')} ({shown}) "
            f"{'is' if one else 'are'} known only from the objects in {'it' if one else 'them'}; "
            "namespaceSelectors on labels other than kubernetes.io/metadata.name are judged as if "
            f"{'it' if one else 'they'} had none"
        )
    if snap.calico_policies and snap.cilium_policies and "cni-policies-mixed" in caveats:
        data.problems.append(
            f"two CNIs' policies: {len(snap.calico_policies):,} Calico and {len(snap.cilium_policies):,} "
            "Cilium, judged together (caveat cni-policies-mixed)"
        )
    elif snap.calico_policies and snap.cilium_policies:
        data.problems.append(
            f"two CNIs' policies: {len(snap.calico_policies):,} Calico and {len(snap.cilium_policies):,} "
            "Cilium policies are both evaluated, but a cluster enforces only those of the CNI it "
            "runs; allowed connections may differ from the cluster's either way"
        )
    if snap.unread_policies and "policies-not-read" in caveats:
        data.problems.append(
            "policies not read: "
            + ", ".join(f"{p} ({s})" for p, s in snap.unread_policies.items())
            + ": see caveat policies-not-read (each listed under findings as policies-not-read)"
        )
    elif snap.unread_policies:
        from ..policy.reachability import unread_text

        data.problems.append(
            f"policies not read: {unread_text(snap.unread_policies)} "
            "(listed under findings as policies-not-read)"
        )
    _unread_limitations(data)
    # analyses
    if data.reach is not None:
        data.reach_frame = _frame(data, data.reach)
    data.graph = run("graph", report_graph, data)
    if data.zones is not None and data.reach is not None:
        data.seg = run("segmentation", "segmentation", snap, data.reach, data.zones, today=judged_on)
    if data.seg is not None:
        _internet_paths(data, run)
    if data.zones is not None and hasattr(data.zones, "empty_zones_text"):
        import warnings

        from .._warnings import ZoneWarning, outside_stacklevel

        # Among the limitations on the page, and as the ZoneWarnings the zone functions give.
        for said in (data.zones.empty_zones_text(snap), data.zones.split_workloads_text(snap)):
            if said:
                data.problems.append(f"zones: {said}")
                warnings.warn(said, ZoneWarning, stacklevel=outside_stacklevel())
    # The segmentation just computed is reused: computing it again is most of gaps' time at scale.
    data.gaps = run(
        "findings", "gaps", snap, reach=data.reach, flows=data.flows, zones=data.zones, segmentation=data.seg,
        today=judged_on,
    )
    if data.gaps is not None:
        data.controls = run("controls", "controls_summary", data.gaps)
        _control_limitations(data)
        by_reason: dict[str, list[str]] = {}
        for finding, reason in data.gaps.attrs.get("not_checked", {}).items():
            by_reason.setdefault(reason, []).append(finding)
        for reason, findings in by_reason.items():
            data.problems.append(f"findings not checked, since {reason}: {', '.join(findings)} "
                                 "(their controls read not-checked, not pass)")
    data.inventory = run("policy inventory", "policy_inventory", snap)
    if data.reach is not None and hasattr(data.reach, "isolation"):
        # gaps above has already built the posture this reads (it is kept on reach).
        data.isolation = run("isolation", data.reach.isolation, level="workload")
    if baseline is not None:
        _changes(data, baseline, run, baseline_cluster)
    if data.flows is not None:
        data.flow_edges_ns = run("flow edges", "flow_edges", data.flows, level="namespace")
        if data.reach is not None:
            data.discrepancies = run("flow discrepancies", "flow_discrepancies", data.flows, data.reach)
        data.clock_skew = run("clock skew", "clock_skew", data.flows)
        if "k8sviz" in getattr(data.flows, "attrs", {}):
            data.flow_load = run("flow load report", "flow_report", data.flows)
            data.problems += [f"flow events lost: {line}" for line in lost_events(data.flow_load)]
    return data


def report_graph(data: ReportData) -> Any:
    """The workload graph the report draws, as ``k8sviz.graph`` builds it.

    Above :data:`AGGREGATE_ABOVE` nodes the report draws it merged per namespace and zone, so
    the allowed edges (one per workload pair and protocol: 700,000 at 2,000 workloads) are not
    made graph edges: they stay as codes in ``data.allowed_edges``, which the aggregated
    figures read instead (:mod:`k8sviz.viz._network_frame`: same figures, same counts).  Where
    those codes could not stand for the graph's edges exactly, the whole graph is built.
    """
    import k8sviz

    from ..analysis._common import live_edge_frame
    from ..analysis.graph import MAX_EDGES, graph_without_allowed
    from ..viz._network_frame import allowed_edges

    args: dict[str, Any] = {
        "reach": data.reach, "flows": data.flows, "level": "workload", "zones": data.zones
    }
    # Above MAX_EDGES graph() merges the allowed edges per namespace itself: built as it is,
    # once (the frame is cached, so its size is known before any node is made).
    if data.reach is not None and len(live_edge_frame(data.reach, "workload")) <= MAX_EDGES:
        G, frame = graph_without_allowed(data.snapshot, **args)
        if frame is not None and G.number_of_nodes() > AGGREGATE_ABOVE:
            allowed = allowed_edges(data.reach, frame)
            # an endpoint the graph lacks would be a node of its own once its edge is added
            if allowed is not None and all(i in G for i in allowed.ids):
                data.allowed_edges = allowed
                return G
        G.clear()
    return k8sviz.graph(data.snapshot, **args)


def _internet_paths(data: ReportData, run: Callable[..., Any]) -> None:
    """Assume breach at the edge: the shortest chain of allowed connections from an internet
    address, through a workload exposed outside the cluster, to each workload of each
    sensitive zone."""
    zones = data.zones
    data.sensitive_zones = [z for z in getattr(zones, "names", ()) if zones.is_sensitive(z)]
    frames = [run(f"internet paths into {z}", "internet_paths", data.reach, z, zones)
              for z in data.sensitive_zones]
    found = [f for f in frames if f is not None]
    if data.sensitive_zones and len(found) == len(frames):
        data.internet_paths = pd.concat(found, ignore_index=True) if found else None


def lost_events(load: Any) -> list[str]:
    """What each flow file's Hubble ``lost_events`` reports say was lost (from a load report)."""
    from ..flows import lost_text

    out: list[str] = []
    sources = load.get("sources") if isinstance(load, dict) else None
    for src in sources if isinstance(sources, list) else ():
        lost = src.get("lost_events") if isinstance(src, dict) else None
        if not isinstance(lost, dict) or not lost.get("reports"):
            continue
        by_source = lost.get("by_source")
        # A load report kept with the table (Parquet attrs, an older k8sviz) may lack a field.
        lost = {
            "events": lost.get("events", 0),
            "reports": lost["reports"],
            "first": lost.get("first"),
            "last": lost.get("last"),
            "by_source": by_source if isinstance(by_source, dict) else {},
        }
        out.append(lost_text(str(src.get("file", "?")), lost))
    return out


def caveat_codes(data: ReportData) -> set[str]:
    """The codes of the policy engine's warnings, which the report lists as the caveats of the
    policy verdicts (none when the policies could not be evaluated)."""
    return {str(w.code) for w in getattr(data.reach, "warnings", None) or ()}


def _unread_limitations(data: ReportData) -> None:
    """Resources not read that the analyses would otherwise take as absent: exposure (Services,
    Ingresses), policy kinds missing from the input, and any other kind refused."""
    from ..analysis._common import EXPOSURE_PLURALS, exposure_unread, exposure_unread_text
    from ..snapshot import EVALUATED_POLICY_PLURALS

    snap = data.snapshot
    unread = exposure_unread(snap)
    if unread:
        data.problems.append(
            f"exposure unknown: {exposure_unread_text(unread)} {'was' if len(unread) == 1 else 'were'} not "
            "read, so whether a Service or Ingress exposes a workload outside the cluster is unknown: "
            "internet-ingress says so, the workloads they may expose count as internet entry points, and PCI "
            "1.4.x cannot pass")
    missing = [p for p in EVALUATED_POLICY_PLURALS
               if snap.coverage.get(p) == "not-in-input" and p not in snap.unread_policies]
    if missing:
        data.problems.append(
            f"policy kinds not in the input: {', '.join(missing)}. They are evaluated as if the cluster "
            "served none (an offline dump cannot tell an empty list from one left out); if the cluster has "
            "such policies, allowed connections and findings may differ")
    refused = {p: s for p, s in snap.coverage.items()
               if s not in ("ok", "not-installed", "not-in-input") and p not in EXPOSURE_PLURALS
               and p not in snap.unread_policies}
    if refused:
        # which verdicts the nodes decide is the engine's caveat: referred to, not said again
        nodes = ("; for nodes, caveat nodes-not-read"
                 if "nodes" in refused and "nodes-not-read" in caveat_codes(data) else "")
        data.problems.append(
            f"resources not read: {', '.join(f'{p} ({s})' for p, s in sorted(refused.items()))}; what "
            f"depends on them is unknown (shown as unknown under coverage{nodes})")


def _control_limitations(data: ReportData) -> None:
    """Controls that read not-checked, grouped by the missing input (the manual ones say why in
    the controls table: an assessor decides)."""
    ctl = data.controls
    if ctl is None or not {"control", "status", "reason"} <= set(getattr(ctl, "columns", ())):
        return
    by_reason: dict[str, list[str]] = {}
    for row in ctl[ctl["status"] == "not-checked"].itertuples(index=False):
        for reason in str(row.reason).split("; "):
            if reason:
                by_reason.setdefault(reason, []).append(str(row.control))
    for reason, ids in by_reason.items():
        data.problems.append(f"controls not checked ({', '.join(ids)}): {reason}. Without that input they "
                             "read not-checked: no evidence against a control is no evidence for it")


def _check_baseline_cluster(baseline: Any, baseline_cluster: Any) -> None:
    """A ReportError unless ``baseline_cluster`` can name ``baseline``: said before anything
    is loaded, as the baseline is read last, after minutes of analyses at scale."""
    from ..snapshot import Snapshot

    if baseline_cluster is None:
        return
    if not isinstance(baseline_cluster, str):
        raise ReportError(f"baseline_cluster must be a str, got {as_given(baseline_cluster)}")
    if baseline is None:
        raise ReportError("baseline_cluster names the baseline's cluster: give baseline too")
    if isinstance(baseline, Snapshot):
        # Renaming it here would change the caller's object (and its SHA-256) behind their back.
        msg = ("baseline_cluster names a baseline given as paths; a Snapshot has its name already "
               "(k8sviz.load(..., cluster=NAME))")
        raise ReportError(msg)


def _changes(data: ReportData, baseline: Any, run: Callable[..., Any],
             baseline_cluster: str | None = None) -> None:
    """What changed since the baseline snapshot (the previous review), connections and policies."""
    from ..snapshot import Snapshot, load

    if isinstance(baseline, Snapshot):
        data.baseline = baseline
        # The files it was loaded from, as the report's own Snapshot lists them: given as a
        # Snapshot rather than paths, the previous review's evidence was missing from Inputs.
        data.inputs += [
            {"role": "baseline", "path": str(i.get("path", "")), "sha256": str(i.get("sha256", ""))}
            for i in baseline.meta.get("inputs", [])
        ]
    else:
        paths = _as_paths(baseline)
        if not paths:
            msg = "baseline must be a Snapshot or paths to the previous review's snapshot"
            raise ReportError(msg)
        data.baseline = load(*paths, cluster=baseline_cluster or None)
        if not baseline_cluster and data.baseline.meta.get("cluster") == UNNAMED:
            # A dump carries no cluster name, and the usual baseline is this cluster at an
            # earlier date: "unnamed" in the report read as a stranger's snapshot.  Set where
            # load(cluster=) sets it, so the SHA-256 shown is that snapshot's.
            data.baseline.meta["cluster"] = data.snapshot.meta.get("cluster") or UNNAMED
        data.inputs += [{"role": "baseline", "path": str(p), "sha256": sha256_file(p)} for p in _files(paths)]
        if data.baseline.warnings:
            # Loaded here, out of the caller's sight: objects skipped or changed in the previous
            # review's snapshot change what "changed since" says, and nothing else would tell.
            import shlex
            import warnings

            from .._warnings import outside_stacklevel

            n = len(data.baseline.warnings)
            first = str(data.baseline.warnings[0]).replace("\n", " ")[:300]
            listing = "k8sviz info " + " ".join(shlex.quote(str(p)) for p in paths) + " --warnings all"
            warnings.warn(
                f"{counted(n, 'load warning')} while reading the baseline"
                f"{', the first' if n > 1 else ''}: {first} (`{listing}` lists {'them' if n > 1 else 'it'})",
                UserWarning,
                stacklevel=outside_stacklevel(),
            )
    if data.baseline.is_empty:
        where = ", ".join(_as_paths(baseline) or ["the Snapshot given"])
        msg = f"the baseline ({where}) holds no Kubernetes objects: every connection would show as added"
        raise ReportError(msg)
    data.baseline_mismatch = _cluster_mismatch(data.snapshot, data.baseline)
    if data.baseline_mismatch:
        import warnings

        from .._warnings import outside_stacklevel

        warnings.warn(data.baseline_mismatch, UserWarning, stacklevel=outside_stacklevel())
    if data.reach is not None:
        opts = {"ipblocks_match_pods": getattr(data.reach, "ipblocks_match_pods", False)}
        before = run("baseline reachability", "reachability", data.baseline, **opts)
        if before is not None:
            data.changes = run("connection changes", "reachability_diff", before, data.reach,
                               level="workload")
            if data.changes is not None:
                data.changes_shown = _with_rules(data, data.changes.iloc[:APPENDIX_ROWS], before)
        if before is not None and data.gaps is not None:
            data.finding_changes = _finding_changes(data, before, run)

    data.policy_changes = run("policy changes", "policy_diff", data.baseline, data.snapshot)
    data.label_changes = run("label changes", "label_diff", data.baseline, data.snapshot)


def _finding_changes(data: ReportData, before: Any, run: Callable[..., Any]) -> pd.DataFrame | None:
    """The findings since the baseline, both sides judged alike: on the day this report judges
    exceptions on, with its zones, and without flows (the baseline has none: every flow finding
    would read as new)."""
    from ..analysis.zones import resolve_today

    day = data.seg.today if data.seg is not None else resolve_today(data.today, data.snapshot)
    now = data.gaps
    if data.flows is not None:
        now = run("findings without flows", "gaps", data.snapshot, reach=data.reach, zones=data.zones,
                  segmentation=data.seg, today=day)
    was = run("baseline findings", "gaps", data.baseline, reach=before, zones=data.zones, today=day)
    if now is None or was is None:
        return None
    result: pd.DataFrame | None = run("finding changes", "findings_diff", was, now)
    return result


def _cluster_mismatch(snap: Any, base: Any) -> str | None:
    """What to say when the baseline names another cluster than the snapshot (None when they
    agree, or either is unnamed: no name is no evidence of another cluster).

    A warning, not an error, even when the caller named the baseline so: a cluster renamed or
    rebuilt since the previous review is still a fair baseline, but the reader must be told
    that "changes since" may be two clusters' differences rather than one cluster's edits.
    """
    name, base_name = (str(s.meta.get("cluster") or UNNAMED) for s in (snap, base))
    if name == base_name or UNNAMED in (name, base_name):
        return None
    return (f"cluster mismatch: the baseline is a snapshot of cluster {as_written(base_name)}, this "
            "report's of "
            f"{as_written(name)}; the changes since compare two clusters' objects, not one cluster's over "
            "time (if it is this cluster renamed, give the baseline this name: --baseline-cluster, "
            "baseline_cluster=)")


def _with_rules(data: ReportData, shown: pd.DataFrame, before: Any) -> pd.DataFrame:
    """The rows the report shows, with the rules behind each change.

    Only for those rows: rule frames cost seconds at scale, and a rework can change millions
    of connections.
    """
    from ..analysis.diff import _rules_behind

    out = shown.copy()
    try:
        out["rules_before"] = _rules_behind(out, before, "workload", "removed")
        out["rules_after"] = _rules_behind(out, data.reach, "workload", "added")
    except Exception as e:
        data.problems.append(f"rules behind the connection changes: {failure_text(e)}")
    return out


def _frame(data: ReportData, reach: Any) -> pd.DataFrame | None:
    from ..analysis._common import edge_frame

    try:
        # the frame the graph, segmentation and findings read too: built once, read-only
        return edge_frame(reach, "workload")  # type: ignore[no-any-return]
    except Exception as e:
        data.problems.append(f"allowed connections: {failure_text(e)}")
        return None
