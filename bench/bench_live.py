"""Benchmark: live snapshot of a large cluster vs the floor of fetching the same pages.

The cluster comes from ``k8sviz.synth.generate_cluster`` and is served by the loopback test
API server (``tests/live/apiserver.py``) over real HTTP, in the same process.

* **floor**: a bare ``http.client`` connection GETs exactly the pages the live snapshot GETs
  (``/apis``, then every list with ``limit=500`` following ``continue``) and decodes each page
  with orjson (a client has to decode a page to find its continue token and items).
* **floor, keeping**: the same, but keeping every decoded item (as any snapshot must).
* **floor, N lists at once**: the floor with as many lists in flight as ``snapshot_cluster``
  (one connection per worker thread; each list still page after page).
* **client fetch**: the same pages through k8sviz's reader over the ``kubernetes`` client
  (auth, retries, paging, decoding), without building a snapshot.
* **snapshot_cluster**: the whole public call (fetch + sanitise + parse + build), with its
  default of several lists fetched at once, and with ``concurrency=1`` (one after the other,
  as the floor fetches).
* **build only**: the snapshot builder fed the same objects from memory, the way
  ``snapshot_cluster`` feeds it (sanitise in place, GC paused): the part shared with
  ``k8sviz.load``, for reference.

Run::

    python bench/bench_live.py            # 50,000 pods, 5,000 policies, best of 5 rounds
    python bench/bench_live.py --pods 5000 --repeat 1
    python bench/bench_live.py --page-ms 20 --repeat 2   # a server that spends 20 ms per page
"""

from __future__ import annotations

import argparse
import gc
import http.client
import io
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "live"))

import orjson  # noqa: E402
from apiserver import FakeAPIServer  # noqa: E402

import k8sviz  # noqa: E402
from k8sviz.snapshot import SnapshotBuilder  # noqa: E402
from k8sviz.sources import live  # noqa: E402
from k8sviz.synth import generate_cluster  # noqa: E402


def interleaved(steps: dict[str, Callable[[], Any]], rounds: int) -> dict[str, tuple[float, Any]]:
    """Best time and last result of each step, running the steps in turn each round.

    Interleaving keeps slow drifts of a shared machine from favouring one step. Each time
    includes a final ``gc.collect()``, so a step that pauses the GC pays what it deferred.
    """
    times: dict[str, list[float]] = {k: [] for k in steps}
    results: dict[str, Any] = {}
    for r in range(rounds):
        for name, fn in steps.items():
            gc.collect()
            t0 = time.perf_counter()
            result = fn()
            gc.collect()  # settle the GC debt each step leaves (young objects to scan) in its time
            times[name].append(time.perf_counter() - t0)
            if r == rounds - 1:
                results[name] = result
                gc.freeze()  # kept results must not slow the later steps' collections
            del result  # freed outside the timed region
    return {k: (min(times[k]), results[k]) for k in steps}


def planned_paths(srv: FakeAPIServer) -> list[str]:
    """The list paths snapshot_cluster GETs on this server (after discovery)."""
    todo, _ = live._plan(set(srv.served))
    return [r.path() for r in todo]


def floor(url: str, token: str, paths: list[str], keep: bool = False, workers: int = 1) -> tuple[int, int]:
    """GET every page of ``paths`` (``workers`` lists at once, one connection each)."""
    host, port = url.removeprefix("http://").split(":")
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    local = threading.local()
    conns: list[http.client.HTTPConnection] = []

    def get(path: str) -> bytes:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(host, int(port))
            conns.append(conn)
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        assert resp.status == 200, (path, resp.status)
        return data

    def one_list(path: str) -> tuple[int, int, list[Any]]:
        items = nbytes = 0
        kept: list[Any] = []
        token_ = ""
        while True:
            q = f"?limit={live.PAGE_SIZE}" + (f"&continue={quote(token_, safe='')}" if token_ else "")
            data = get(path + q)
            nbytes += len(data)
            doc = orjson.loads(data)
            items += len(doc["items"])
            if keep:
                kept.extend(doc["items"])
            token_ = doc["metadata"].get("continue") or ""
            if not token_:
                return items, nbytes, kept

    gc.disable()  # as the client fetch runs: the floor gets every advantage
    orjson.loads(get("/apis"))
    if workers == 1:
        lists = [one_list(p) for p in paths]
    else:
        with ThreadPoolExecutor(workers) as pool:
            lists = list(pool.map(one_list, paths))
    items, nbytes = sum(n for n, _, _ in lists), sum(b for _, b, _ in lists)
    del lists
    gc.enable()
    for conn in conns:
        conn.close()
    return items, nbytes


def client_fetch(kubeconfig: str, paths: list[str]) -> int:
    api, _, _ = live._api_client(kubeconfig, None, False)
    gc.disable()  # as snapshot_cluster does while reading
    try:
        reader = live._Reader(api, live._Progress(None))
        reader.discover()
        n = 0
        for res in live.RESOURCES:
            if res.path() in paths:
                n += len(reader.list_all(res, res.path())[0])
        return n
    finally:
        gc.enable()
        api.close()


#: Per "build only" round: seconds in ``add`` (sanitise and keep each object, the part a
#: fetch thread could overlap with page waits) and in ``build`` (the model, the file bytes).
BUILD_SPLIT: list[tuple[float, float]] = []


def build_only(objects: list[dict[str, Any]]) -> k8sviz.Snapshot:
    """The builder alone, fed as snapshot_cluster feeds it (owned objects, GC paused)."""
    b = SnapshotBuilder()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for i, obj in enumerate(objects):
            b.add(obj, f"mem#{i}", owned=True)
        t1 = time.perf_counter()
        snap = b.build(cluster="bench")
        BUILD_SPLIT.append((t1 - t0, time.perf_counter() - t1))
        return snap
    finally:
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pods", type=int, default=50_000)
    ap.add_argument("--policies", type=int, default=5_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--page-ms", type=float, default=0.0,
        help="server time per list page, for every step alike (default 0: the test server answers "
             "at once from pages it already holds; a real API server reads and encodes each page)",
    )
    ap.add_argument("--concurrency", type=int, default=live.CONCURRENCY,
                    help=f"lists fetched at once by the first snapshot_cluster step (default {live.CONCURRENCY})")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    objects = generate_cluster(args.pods, args.policies, seed=1)
    gen = time.perf_counter() - t0
    srv = FakeAPIServer(objects, token="bench-token").start()
    gc.freeze()  # the generated objects and the server's pages are not what is measured
    try:
        tmp = Path(tempfile.mkdtemp(prefix="k8sviz-bench-"))
        kc = str(srv.kubeconfig(tmp / "kubeconfig"))
        paths = planned_paths(srv)
        k8sviz.snapshot_cluster(kubeconfig=kc, progress=io.StringIO())  # warm-up (imports)
        for path in paths if args.page_ms else ():
            srv.delay[path] = args.page_ms / 1000  # every page of the list, first and continued

        quiet = io.StringIO()
        copies: list[Any] = []

        def build() -> k8sviz.Snapshot:
            return build_only(copies.pop())

        steps = {
            "floor": lambda: floor(srv.url, "bench-token", paths),
            "floor_keep": lambda: floor(srv.url, "bench-token", paths, keep=True),
            "floor_par": lambda: floor(srv.url, "bench-token", paths, workers=args.concurrency),
            "fetch": lambda: client_fetch(kc, paths),
            "snapshot": lambda: k8sviz.snapshot_cluster(kubeconfig=kc, progress=quiet, concurrency=args.concurrency),
            "snapshot1": lambda: k8sviz.snapshot_cluster(kubeconfig=kc, progress=quiet, concurrency=1),
            "build": build,
        }
        copies.extend(orjson.loads(orjson.dumps(objects)) for _ in range(args.repeat))
        # The spare copies are the bench's own data: without this, every timed gc.collect()
        # walked the copies not yet used (~0.45 s each on the 50k cluster), in every step.
        gc.freeze()
        res = interleaved(steps, args.repeat)
        t_floor, (n_items, n_bytes) = res["floor"]
        t_keep = res["floor_keep"][0]
        t_par = res["floor_par"][0]
        t_fetch, n_fetch = res["fetch"]
        t_snap, snap = res["snapshot"]
        t_snap1, snap1 = res["snapshot1"]
        t_off, off = res["build"]
    finally:
        srv.stop()
    assert n_fetch == n_items, (n_fetch, n_items)
    assert len(snap.pods) == len(off.pods)
    assert snap.raw_objects() == off.raw_objects() == snap1.raw_objects()

    pages = sum(1 for r in srv.requests if r.path != "/apis") // (args.repeat * 6 + 1)
    print(f"cluster: {args.pods:,} pods, {args.policies:,} policies, {len(objects):,} objects "
          f"(generated in {gen:.1f} s); {n_items:,} items, {n_bytes / 1e6:.0f} MB JSON in ~{pages} pages "
          f"of {live.PAGE_SIZE}; server time per page {args.page_ms:g} ms; best of {args.repeat}")
    print()
    print(f"| {'step':<44} | {'seconds':>8} | {'x floor':>7} |")
    print(f"|{'-' * 46}|{'-' * 10}|{'-' * 9}|")
    for name, t in (
        ("floor: http.client GET + orjson decode", t_floor),
        ("floor, keeping the decoded items", t_keep),
        (f"floor, {args.concurrency} lists at once", t_par),
        ("client fetch: kubernetes client + paging", t_fetch),
        (f"snapshot_cluster, {args.concurrency} lists at once"
         + (" (the default)" if args.concurrency == live.CONCURRENCY else ""), t_snap),
        ("snapshot_cluster, one list at a time", t_snap1),
        ("build only: same objects, no HTTP (reference)", t_off),
    ):
        print(f"| {name:<44} | {t:>8.2f} | {t / t_floor:>6.2f}x |")
    print()
    print(f"snapshot_cluster, {args.concurrency} lists at once, against the floor fetching as many at once: "
          f"{t_snap / t_par:.2f}x")
    print(f"snapshot_cluster minus build only (the cost of reading live): {t_snap - t_off:.2f} s "
          f"= {(t_snap - t_off) / t_floor:.2f}x floor")
    print(f"build only, split: add (sanitise, keep) {min(a for a, _ in BUILD_SPLIT):.2f} s, "
          f"build (model, file bytes) {min(b for _, b in BUILD_SPLIT):.2f} s (best of each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
