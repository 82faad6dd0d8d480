"""The cyclic GC is paused around allocation-heavy work and always restored (k8sviz._gc)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import k8sviz
from k8sviz._gc import paused, pausing
from k8sviz.errors import InputError
from k8sviz.synth import generate_cluster, write_cluster
from k8sviz.viz import network_figure


@pytest.fixture
def gc_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """Counts the cyclic GC's collections (automatic or not) while the test runs."""
    seen: list[int] = []

    def cb(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(cb)
    yield seen
    gc.callbacks.remove(cb)


def test_paused_restores_the_previous_state(gc_enabled: None) -> None:
    with paused():
        assert not gc.isenabled()
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves the outer pause alone
    assert gc.isenabled()


def test_paused_restores_on_error(gc_enabled: None) -> None:
    with pytest.raises(ZeroDivisionError), paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()


def test_paused_leaves_a_caller_s_pause(gc_enabled: None) -> None:
    gc.disable()
    with paused():
        pass
    assert not gc.isenabled()
    gc.enable()


def test_pausing_keeps_the_function_s_name_and_doc(gc_enabled: None) -> None:
    @pausing
    def f(x: int) -> bool:
        """Doc."""
        return gc.isenabled() or x < 0

    assert f(1) is False
    assert gc.isenabled()
    assert f.__name__ == "f" and f.__doc__ == "Doc."


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("gc") / "c.json"
    write_cluster(src, generate_cluster(pods=300, policies=30, seed=3), fmt="json")
    return src


def _allocates(n: int = 50_000) -> list[dict[str, list[int]]]:
    return [{"a": [i]} for i in range(n)]


def test_the_fixture_sees_automatic_collections(gc_enabled: None, collections: list[int]) -> None:
    # Without a pause, this much allocation triggers collections: the tests below can fail.
    _allocates()
    assert len(collections) > 10


@pytest.mark.parametrize("step", ["graph", "network_figure", "report"])
def test_heavy_steps_run_without_collections(
    step: str, cluster: Path, gc_enabled: None, collections: list[int], tmp_path: Path
) -> None:
    snap = k8sviz.load(cluster)
    reach = k8sviz.reachability(snap)
    reach.to_frame(level="workload")
    G = k8sviz.graph(snap, reach=reach) if step == "network_figure" else None
    graph, report = k8sviz.graph, k8sviz.report  # imported now, not while counting
    calls: dict[str, Callable[[], Any]] = {
        "graph": lambda: graph(snap, reach=reach),
        "network_figure": lambda: network_figure(G, aggregate="namespace"),
        "report": lambda: report(snap, reach=reach),
    }
    run = calls[step]
    gc.collect()  # a fresh count: no collection is due as the step starts
    collections.clear()
    run()
    # At most the one collection the allocations deferred, as the GC resumes on the way out.
    assert len(collections) <= 1
    assert gc.isenabled()


def test_a_failing_step_restores_the_gc(cluster: Path, gc_enabled: None) -> None:
    G = k8sviz.graph(k8sviz.load(cluster))
    with pytest.raises(InputError, match="aggregate must be"):
        network_figure(G, aggregate="pod")  # type: ignore[arg-type]
    assert gc.isenabled()


def test_report_frees_its_graph_without_the_cyclic_gc(cluster: Path) -> None:
    # networkx graphs are cyclic (cached views point back at them): left to the cyclic GC, the
    # report's graph, a dict and lists per edge, would wait for the next full collection.
    snap = k8sviz.load(cluster)
    reach = k8sviz.reachability(snap)
    edges = k8sviz.graph(snap, reach=reach).number_of_edges()
    assert edges > 1000
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        k8sviz.report(snap, reach=reach)
        left = gc.collect()  # everything the report dropped that refcounting could not free
    finally:
        if was:
            gc.enable()
    assert left < edges
