#!/usr/bin/env python3
"""Benchmark flow ingestion: k8sviz.load_flows against plain orjson parsing of the same lines.

Writes N generated Hubble exporter lines (realistic size and shape, demo-cluster pods and
external clients, ~1 in 1000 non-flow lines) to a temporary file, then measures in
separate child processes (so each peak RSS is its own):

* floor: ``for line in file: orjson.loads(line)`` (no normalization at all);
* load: ``k8sviz.load_flows(path, snapshot=demo)`` (parse, map, build the typed table);
* archive: ``k8sviz.aggregate_flow_archive(path, snapshot=demo)`` (DuckDB, out of core).
* screen (``--screen``): the floor plus the check load_flows makes of every record for a key
  given twice (``orjson.dumps`` of the record against the line's start), the part of its
  cost that no faster extraction can remove.

Usage::

    python bench/bench_flows.py --lines 1000000 [--dir /tmp] [--keep]
    python bench/bench_flows.py --lines 500000 --l7 0.25 --form go --keep --skip-archive

``--form go`` writes each line as Hubble does (Go's ``json.Encoder`` over protojson: compact,
with ``<``, ``>``, ``&``, U+2028, U+2029 escaped; see the notes above
``k8sviz.flows._table.go_escaped``); ``--l7 SHARE`` makes that share of the flow records L7
HTTP requests whose url (and Summary) has a query string, the records that hold a ``&``.

Module imports and the snapshot load happen before the clock starts (the floor does not pay for
interpreter start-up either).  Prints wall and CPU seconds, flows per CPU-second, the ratio load/floor computed on CPU time
(target >= 0.5; wall time is unreliable on a shared machine) and the peak RSS of each step.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def go_form(line: bytes) -> bytes:
    """orjson's compact writing of a record as Hubble writes it.  Hubble's lines are
    ``json.NewEncoder(w).Encode(msg)`` (cilium/cilium hubble/pkg/printer/printer.go
    WriteProtoFlow; pkg/hubble/exporter/exporter.go, encoder.go) of messages whose MarshalJSON
    is protojson (api/v1/flow/flow.pb.json.go): protojson escapes strings as orjson does
    ('"', '\\', controls, lower-case \\u00xx; internal/encoding/json/string.go appendString)
    and Go's encoding/json then compacts the result, escaping '<', '>', '&', U+2028 and U+2029
    (golang/go src/encoding/json/indent.go appendCompact with escapeHTML, the Encoder's
    default).  The bench's records hold integers and strings only, so that is the whole
    difference; their key order is the bench's, not the .proto's (the screens compare bytes
    against the parsed record, whatever its order)."""
    out = line.replace(b"&", b"\\u0026").replace(b"<", b"\\u003c").replace(b">", b"\\u003e")
    return out.replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029")


def generate(path: Path, n: int, seed: int = 7, form: str = "orjson", l7: float = 0.0) -> int:
    import orjson

    import k8sviz

    rng = random.Random(seed)
    snap = k8sviz.demo()
    pods = [p for p in snap.pods if not p.synthesized and not p.host_network]
    eps = []
    for p in pods:
        labels = [f"k8s:{k}={v}" for k, v in sorted(p.labels.items())] + [
            f"k8s:io.kubernetes.pod.namespace={p.namespace}"
        ]
        eps.append(
            (
                p.ips[0],
                p.node,
                {
                    "ID": rng.randint(1, 4000),
                    "identity": rng.randint(10000, 60000),
                    "namespace": p.namespace,
                    "labels": labels,
                    "pod_name": p.name,
                    "workloads": [{"name": p.workload, "kind": p.workload_kind}],
                },
            )
        )
    world = [
        (
            f"{rng.randint(11, 200)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            None,
            {"identity": 2, "labels": ["reserved:world"]},
        )
        for _ in range(500)
    ]
    t0 = 1710028800.0
    size = 0
    import gzip

    opener = (lambda p: gzip.open(p, "wb", compresslevel=1)) if path.suffix == ".gz" else (lambda p: open(p, "wb"))
    with opener(path) as fh:
        buf = []
        for i in range(n):
            if i % 1000 == 999:
                rec = {
                    "lost_events": {"source": "HUBBLE_RING_BUFFER", "num_events_lost": 3, "cpu": 1},
                    "node_name": "n",
                    "time": "2024-03-10T00:00:00Z",
                }
            else:
                src = rng.choice(eps) if rng.random() < 0.9 else rng.choice(world)
                dst = rng.choice(eps)
                egress = rng.random() < 0.5
                node = (src if egress else dst)[1] or dst[1]
                t = t0 + i * 0.01
                ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int((t % 1) * 1e9):09d}Z"
                verdict = "FORWARDED" if rng.random() < 0.97 else "DROPPED"
                flow = {
                    "time": ts,
                    "uuid": f"{rng.getrandbits(64):016x}-bench",
                    "verdict": verdict,
                    "ethernet": {"source": "0a:58:0a:f4:00:01", "destination": "0a:58:0a:f4:00:02"},
                    "IP": {"source": src[0], "destination": dst[0], "ipVersion": "IPv4"},
                    "l4": {
                        "TCP": {
                            "source_port": rng.randint(32768, 60999),
                            "destination_port": rng.choice((8080, 7070, 3550, 50051, 5432, 443)),
                            "flags": {"SYN": True},
                        }
                    },
                    "source": src[2],
                    "destination": dst[2],
                    "Type": "L3_L4",
                    "node_name": node,
                    "event_type": {"type": 4},
                    "traffic_direction": "EGRESS" if egress else "INGRESS",
                    "trace_observation_point": "TO_STACK" if egress else "TO_ENDPOINT",
                    "is_reply": False,
                    "Summary": "TCP Flags: SYN",
                }
                if verdict == "DROPPED":
                    flow["drop_reason_desc"] = "POLICY_DENIED"
                if l7 and rng.random() < l7:  # no draw at l7=0: the default file is unchanged
                    port = flow["l4"]["TCP"]["destination_port"]
                    query = f"id={rng.randint(1, 99999)}&currency=EUR&limit=20"
                    url = f"http://{dst[0]}:{port}/api/v1/items?{query}"
                    del flow["l4"]["TCP"]["flags"]
                    flow["Type"] = "L7"
                    flow["event_type"] = {"type": 129}
                    flow["l7"] = {
                        "type": "REQUEST",
                        "latency_ns": "0",
                        "http": {
                            "method": "GET",
                            "url": url,
                            "protocol": "HTTP/1.1",
                            "headers": [
                                {"key": "Accept", "value": "*/*"},
                                {"key": "X-Request-Id", "value": flow["uuid"]},
                            ],
                        },
                    }
                    flow["Summary"] = f"HTTP/1.1 GET {url}"
                rec = {"flow": flow, "node_name": node, "time": ts}
            line = orjson.dumps(rec)
            buf.append((go_form(line) if form == "go" else line) + b"\n")
            if len(buf) >= 10000:
                data = b"".join(buf)
                size += len(data)
                fh.write(data)
                buf = []
        data = b"".join(buf)
        size += len(data)
        fh.write(data)
    return size


def child(step: str, path: str) -> None:
    import resource

    import orjson

    t = time.perf_counter()
    c = time.process_time()
    if step in ("floor", "screen"):
        n = 0
        import gzip

        with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as fh:
            if step == "floor":
                for line in fh:
                    orjson.loads(line)
                    n += 1
            else:  # the floor plus load_flows' first screen for a repeated key (one dumps per record)
                dumps = orjson.dumps
                for line in fh:
                    if not line.startswith(dumps(orjson.loads(line))):
                        pass
                    n += 1
    else:
        import k8sviz
        import k8sviz.flows
        import k8sviz.flows.calico
        import k8sviz.flows.csv
        import k8sviz.flows.hubble  # noqa: F401 - imports are not part of the throughput

        snap = k8sviz.demo()
        t = time.perf_counter()
        c = time.process_time()
        if step == "load":
            df = k8sviz.load_flows(path, snapshot=snap)
            n = len(df)
        else:
            edges = k8sviz.aggregate_flow_archive(path, snapshot=snap)
            n = int(edges["records"].sum())
    dt = time.perf_counter() - t
    cpu = time.process_time() - c
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"step": step, "seconds": dt, "cpu": cpu, "records": n, "peak_rss": rss}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--dir", default=tempfile.gettempdir())
    ap.add_argument("--keep", action="store_true", help="keep the generated file")
    ap.add_argument("--skip-archive", action="store_true")
    ap.add_argument("--gzip", action="store_true", help="write the file gzipped (for 5M lines: stays under 2 GB)")
    ap.add_argument("--only-load", action="store_true", help="measure load_flows once (memory check)")
    ap.add_argument("--repeat", type=int, default=2, help="runs of floor and load, alternated; best kept")
    ap.add_argument("--file", help="use this existing Hubble file instead of generating one")
    ap.add_argument("--form", choices=["orjson", "go"], default="orjson",
                    help="write the lines as orjson does (default) or as Hubble's Go code does")
    ap.add_argument("--l7", type=float, default=0.0, help="share of flow records that are L7 HTTP requests")
    ap.add_argument("--screen", action="store_true",
                    help="also time the floor plus load_flows' per-record check for a repeated key")
    ap.add_argument("--child", nargs=2, metavar=("STEP", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.file:
        path = Path(args.file)
        with open(path, "rb") as fh:
            args.lines = sum(1 for _ in fh)
        args.keep = True
    else:
        kind = "" if args.form == "orjson" and not args.l7 else f"-{args.form}-l7-{args.l7:g}"
        path = Path(args.dir) / f"k8sviz-bench-hubble-{args.lines}{kind}.jsonl{'.gz' if args.gzip else ''}"
        t = time.perf_counter()
        size = generate(path, args.lines, form=args.form, l7=args.l7)
        print(
            f"generated {args.lines:,} lines, {size / 2**20:.0f} MiB in {time.perf_counter() - t:.1f} s -> {path}"
        )
    results: dict[str, dict] = {}
    steps = (["floor", "screen", "load"] if args.screen else ["floor", "load"]) * args.repeat
    steps += [] if args.skip_archive else ["archive"]
    if args.only_load:
        steps = ["load"]
    try:
        for step in steps:
            out = subprocess.run(
                [sys.executable, __file__, "--child", step, str(path)],
                check=False,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONWARNINGS": "ignore"},
            )
            if out.returncode:
                print(f"{step}: failed\n{out.stderr[-2000:]}", file=sys.stderr)
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            if step not in results or r["cpu"] < results[step]["cpu"]:
                results[step] = r
            print(
                f"{step:<8} {r['records']:>10,} records  wall {r['seconds']:7.2f} s  CPU {r['cpu']:7.2f} s  "
                f"{args.lines / r['cpu']:>10,.0f} lines/CPU-s  peak RSS {r['peak_rss'] / 2**20:,.0f} MiB",
                flush=True,
            )
    finally:
        if not args.keep:
            path.unlink(missing_ok=True)
    if "floor" not in results:
        return
    # CPU time: the machine may be shared, and wall time then measures the neighbours.
    ratio = results["floor"]["cpu"] / results["load"]["cpu"]
    print(
        f"best of {args.repeat} (CPU time): load_flows {results['load']['records'] / results['load']['cpu']:,.0f} "
        f"flows/s, floor {args.lines / results['floor']['cpu']:,.0f} lines/s, ratio {ratio:.2f} (target >= 0.5)"
    )
    if "screen" in results:
        print(f"the repeated-key screen alone: floor x{results['screen']['cpu'] / results['floor']['cpu']:.2f}; "
              f"load_flows' work past it: {results['load']['cpu'] - results['screen']['cpu']:.2f} CPU-s")


if __name__ == "__main__":
    main()
