"""Loading speed: ``k8sviz.load`` of a large kubectl dump against the parse-only floor.

The floor is plain parsing of the same file (``json.loads`` / orjson for JSON, the C YAML loader
for YAML): k8sviz cannot be faster than reading its input.  Run::

    python bench/bench_load.py [--pods 50000] [--policies 5000] [--format json|yaml|both]
    python bench/bench_load.py --format yaml --only k8sviz.load   # one stage (no ratio printed)

Each measurement runs in a fresh subprocess so peak memory (ru_maxrss) is per stage.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# k8sviz.load pauses the cyclic GC while parsing; the floors are measured both ways so the
# comparison is fair (the GC, not the parser, dominates plain yaml.load_all on big dumps).
STAGES = {
    "json.loads": "import json; json.loads(open(P,'rb').read())",
    "json.loads, no GC": "import json, gc; gc.disable(); json.loads(open(P,'rb').read())",
    "orjson.loads": "import orjson; orjson.loads(open(P,'rb').read())",
    "yaml (C loader)": "import yaml; list(yaml.load_all(open(P,'rb').read(), Loader=yaml.CSafeLoader))",
    "yaml (C), no GC": (
        "import yaml, gc; gc.disable(); "
        "list(yaml.load_all(open(P,'rb').read(), Loader=yaml.CSafeLoader))"
    ),
    "k8sviz.load": "import k8sviz; s = k8sviz.load(P); assert len(s.pods) > 0",
    "k8sviz.load + save": "import k8sviz; k8sviz.load(P).save(P + '.snap.json')",
}


def measure(stage: str, path: Path, repeat: int) -> tuple[float, float]:
    code = (
        "import resource, sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r}); P = {str(path)!r}\n"
        "best = 1e9\n"
        f"for _ in range({repeat}):\n"
        "    t = time.perf_counter()\n"
        f"    {STAGES[stage]}\n"
        "    best = min(best, time.perf_counter() - t)\n"
        "print(best, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    secs, mib = out.stdout.split()
    return float(secs), float(mib)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pods", type=int, default=50_000)
    ap.add_argument("--policies", type=int, default=5_000)
    ap.add_argument("--format", choices=["json", "yaml", "both"], default="both")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--only", nargs="+", choices=list(STAGES), help="run only these stages")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from k8sviz.synth import generate_cluster, write_cluster

    objs = generate_cluster(args.pods, args.policies, seed=1)
    fmts = ["json", "yaml"] if args.format == "both" else [args.format]
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in fmts:
            path = Path(tmp) / f"cluster.{fmt}"
            write_cluster(path, objs, fmt=fmt)
            size = path.stat().st_size / 2**20
            print(f"\n{fmt}: {args.pods} pods, {args.policies} policies, {len(objs)} objects, {size:.0f} MiB")
            floors = (
                ["json.loads", "json.loads, no GC", "orjson.loads"]
                if fmt == "json"
                else ["yaml (C loader)", "yaml (C), no GC"]
            )
            stages = [*floors, "k8sviz.load", "k8sviz.load + save"]
            if args.only:
                stages = [s for s in STAGES if s in args.only]
            rows = {s: measure(s, path, args.repeat) for s in stages}
            # The floor is the faster of the plain parses (with or without GC).
            plain = [rows[f][0] for f in floors if f in rows and not f.startswith("orjson")]
            floor = min(plain) if plain else None
            print(f"{'stage':<22}{'seconds':>9}{'peak MiB':>10}{'x floor':>9}")
            for stage, (secs, mib) in rows.items():
                ratio = f"{secs / floor:>9.2f}" if floor else f"{'-':>9}"
                print(f"{stage:<22}{secs:>9.2f}{mib:>10.0f}{ratio}")


if __name__ == "__main__":
    main()
