"""Speed and memory of the policy engine on generated clusters (a script, not a test).

Usage::

    python bench/bench_engine.py                       # sizes S K M L
    python bench/bench_engine.py --sizes S K M --nca /path/to/nca
    python bench/bench_engine.py --sizes --nca /path/to/nca --nca-sizes K 2K 3K --stages K
    python bench/bench_engine.py --sizes --nca /path/to/nca --nca-sizes K --unique-pod-labels
    python bench/bench_engine.py --sizes M L --nca '' --admin   # with admin-tier policies
    python bench/bench_engine.py --sizes M L --nca '' --calico  # with Calico tiers
    python bench/bench_engine.py --sizes M L --nca '' --cilium  # with Cilium policies
    python bench/bench_engine.py --sizes L --nca '' --daemonsets --pod-frame  # Nodes, hostNetwork DaemonSets

Each size runs in its own subprocess (so peak memory is that size's alone): it generates a
cluster with ``k8sviz.synth.generate_cluster(pods, policies, seed=1)``, writes it as one
JSON List file, then times the stages ``load`` (``k8sviz.load``), ``reachability`` and
``to_frame("workload")``.  Memory is the process's peak RSS (``ru_maxrss``) after each
stage, so it is cumulative.  With ``--nca`` (default: ``nca`` on PATH) the sizes in
``--nca-sizes`` (default S K M; nca needs minutes at M) are also run whole-process, side by side
(k8sviz best of 3 runs, nca once): ``k8sviz connectivity DIR --level pod`` against
``nca --connectivity -r DIR -o txt_no_fw_rules --output_endpoints pods`` on the same YAML
(Namespaces, Pods and NetworkPolicies only).

Before any whole-process run, k8sviz's modules are compiled to bytecode (``compileall``), as
``pip install`` does for an installed package and as nca's were when it was installed: a tree
run from source with ``PYTHONDONTWRITEBYTECODE`` set (as on the development machines) would
otherwise compile every module on every start.  ``--no-compile`` leaves that out.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = {
    "S": (500, 100),
    "K": (1_000, 200),
    "2K": (2_000, 400),  # between K and M: where the ratio to nca crosses 100x
    "3K": (3_000, 600),
    "M": (5_000, 1_000),
    "L": (50_000, 5_000),
}
SEED = 1


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


#: ``--admin``: cluster-scoped policies added to the generated cluster, so the engine runs its
#: general tiered path (admin tier, NetworkPolicy, baseline) instead of the NetworkPolicy-only one.
ADMIN_POLICIES = [
    {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
     "metadata": {"name": "deny-metadata"},
     "spec": {"priority": 1, "subject": {"namespaces": {}},
              "egress": [{"action": "Deny", "to": [{"networks": ["169.254.169.254/32"]}]}]}},
    {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
     "metadata": {"name": "pass-8000s"},
     "spec": {"priority": 5, "subject": {"namespaces": {}},
              "ingress": [{"action": "Pass", "from": [{"namespaces": {}}],
                           "ports": [{"portRange": {"protocol": "TCP", "start": 8000, "end": 9000}}]}]}},
    {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
     "metadata": {"name": "default"},
     "spec": {"subject": {"namespaces": {}}, "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}]}},
]


#: ``--calico``: a Calico tier before the NetworkPolicies (Deny to the metadata address, Pass the
#: rest), a GlobalNetworkSet, and a default-tier GlobalNetworkPolicy after them that isolates
#: every pod's ingress except from kube-system and the partner set.
CALICO_POLICIES = [
    {"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": "security"}, "spec": {"order": 100}},
    {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "security.guard"},
     "spec": {"tier": "security", "order": 10, "selector": "all()", "types": ["Ingress", "Egress"],
              "ingress": [{"action": "Pass"}],
              "egress": [{"action": "Deny", "destination": {"nets": ["169.254.169.254/32"]}}, {"action": "Pass"}]}},
    {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkSet", "metadata": {"name": "partners",
                                                                                   "labels": {"role": "partner"}},
     "spec": {"nets": ["203.0.113.0/24"]}},
    {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "baseline-ingress"},
     "spec": {"order": 5000, "selector": "all()", "types": ["Ingress"],
              "ingress": [{"action": "Allow", "source": {"namespaceSelector": "projectcalico.org/name == 'kube-system'"}},
                          {"action": "Allow", "protocol": "TCP", "source": {"selector": "role == 'partner'"},
                           "destination": {"ports": ["443", "8000:8999"]}}]}},
]


#: ``--cilium``: clusterwide denies (no default deny) of the metadata address and of every
#: connection from outside the cluster, on top of the NetworkPolicies.
CILIUM_POLICIES = [
    {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "no-metadata"},
     "spec": {"endpointSelector": {}, "egressDeny": [{"toCIDR": ["169.254.169.254/32"]}],
              "enableDefaultDeny": {"egress": False}}},
    {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "no-world"},
     "spec": {"endpointSelector": {}, "ingressDeny": [{"fromEntities": ["world"]}],
              "enableDefaultDeny": {"ingress": False}}},
]


def daemonsets(objs: list[dict]) -> list[dict]:
    """``--daemonsets``: a Node per node the pods run on, and three hostNetwork DaemonSet pods
    on each (kube-proxy, node-exporter, a CNI agent), which reach every pod of their node
    whatever its policies (the node-local exception), so tables carry those rows too."""
    nodes: dict[str, str] = {}
    for o in objs:
        if o["kind"] == "Pod" and o["spec"].get("nodeName"):
            nodes.setdefault(o["spec"]["nodeName"], o["status"]["hostIP"])
    out = []
    for i, (name, ip) in enumerate(nodes.items()):
        out.append({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {}},
                    "status": {"addresses": [{"type": "InternalIP", "address": ip}]}})
        for ds in ("kube-proxy", "node-exporter", "cni-agent"):
            out.append({"apiVersion": "v1", "kind": "Pod", "metadata": {
                "namespace": "kube-system", "name": f"{ds}-{i}", "labels": {"app": ds},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": ds, "controller": True}]},
                "spec": {"nodeName": name, "hostNetwork": True, "containers": [{"name": "c", "image": "i"}]},
                "status": {"phase": "Running", "podIP": ip, "hostIP": ip}})
    return out


def child(size: str, workdir: Path, admin: bool = False, calico: bool = False, cilium: bool = False,
          with_daemonsets: bool = False, pod_frame: bool = False) -> dict:
    sys.path.insert(0, str(ROOT))
    import k8sviz
    from k8sviz.synth import generate_cluster, write_cluster

    pods, policies = SIZES[size]
    out: dict = {"size": size, "pods": pods, "policies": policies}
    t = time.perf_counter()
    objs = generate_cluster(pods, policies, seed=SEED) + (ADMIN_POLICIES if admin else [])
    objs += CALICO_POLICIES if calico else []
    objs += CILIUM_POLICIES if cilium else []
    objs += daemonsets(objs) if with_daemonsets else []
    path = write_cluster(workdir / "cluster.json", objs)
    out["generate_s"] = time.perf_counter() - t
    stages = []

    def stage(name, fn):
        t0 = time.perf_counter()
        res = fn()
        stages.append({"stage": name, "wall_s": time.perf_counter() - t0, "peak_rss_mib": _rss_mib()})
        return res

    snap = stage("load", lambda: k8sviz.load(str(path)))
    reach = stage("reachability", lambda: k8sviz.reachability(snap))
    df = stage("to_frame(workload)", lambda: reach.to_frame("workload"))
    out["rows_workload"] = len(df)
    del df
    if pod_frame:
        out["rows_pod"] = len(stage("to_frame(pod)", lambda: reach.to_frame("pod")))
    out["stages"] = stages
    out["summary"] = reach.summary()
    return out


def compile_package() -> None:
    """Bytecode for k8sviz's modules, as ``pip install`` writes it (see the module docstring)."""
    import compileall

    compileall.compile_dir(str(ROOT / "k8sviz"), quiet=1)


def run_child(size: str, admin: bool = False, calico: bool = False, cilium: bool = False,
              with_daemonsets: bool = False, pod_frame: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        res = subprocess.run(
            [sys.executable, __file__, "--child", size, "--dir", tmp, *(["--admin"] if admin else []),
             *(["--calico"] if calico else []), *(["--cilium"] if cilium else []),
             *(["--daemonsets"] if with_daemonsets else []), *(["--pod-frame"] if pod_frame else [])],
            capture_output=True, text=True, check=False,
        )
    if res.returncode:
        raise SystemExit(f"size {size} failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def timed_process(cmd: list[str], timeout: float) -> tuple[float, float, int]:
    """Wall seconds, peak RSS MiB and exit status of one command (os.wait4 gives its own rusage)."""
    t = time.perf_counter()
    with open(os.devnull, "w") as null:
        p = subprocess.Popen(cmd, stdout=null, stderr=null, cwd=ROOT)
        deadline = t + timeout
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                return float("inf"), ru.ru_maxrss / 1024, -9
            time.sleep(0.02)
    return time.perf_counter() - t, ru.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def _write_nca_input(size: str, d: Path, unique_pod_labels: bool = False) -> None:
    """The YAML both tools read: Namespaces, Pods and NetworkPolicies of the size's cluster.

    ``unique_pod_labels`` gives every pod its own label set (as StatefulSet pods carry
    ``statefulset.kubernetes.io/pod-name``), so nca cannot merge replicas into one endpoint.
    """
    sys.path.insert(0, str(ROOT))
    import yaml

    from k8sviz._yaml import Dumper as KubectlYAML  # quotes what kubectl would read as no string
    from k8sviz.synth import generate_cluster

    pods, policies = SIZES[size]
    kinds = ("Namespace", "Pod", "NetworkPolicy")
    objs = [o for o in generate_cluster(pods, policies, seed=SEED) if o["kind"] in kinds]
    if unique_pod_labels:
        for o in objs:
            if o["kind"] == "Pod":
                o["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] = o["metadata"]["name"]
    d.mkdir()
    (d / "cluster.yaml").write_text(yaml.dump_all(objs, Dumper=KubectlYAML))


def stages_child(directory: str) -> dict:
    """CPU seconds of each stage of ``k8sviz connectivity DIR --level pod --format txt``, in order.

    ``time.process_time()`` at the first line already holds the interpreter's start-up.
    """
    started = time.process_time()
    out = {"python start": started}
    t = started

    def lap(name: str) -> None:
        nonlocal t
        now = time.process_time()
        out[name] = now - t
        t = now

    import numpy  # noqa: F401

    lap("import numpy")
    sys.path.insert(0, str(ROOT))
    import k8sviz
    from k8sviz import _yaml
    from k8sviz.commands.connectivity import render
    from k8sviz.policy.reachability import reachability

    lap("import k8sviz")
    text = (Path(directory) / "cluster.yaml").read_text()
    list(_yaml.load_all(text))
    lap("(YAML parse alone, for reference)")
    snap = k8sviz.load(directory)
    lap("load: YAML parse + model")
    reach = reachability(snap)
    lap("reachability")
    table = reach._table("pod")
    lap("pod-level rows")
    page = render(table, "txt")
    with open(os.devnull, "w") as f:
        f.write(page)
    lap(f"format and write {len(table.src):,} lines")
    return out


def cli_stages(size: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "cluster"
        _write_nca_input(size, d)
        best: dict = {}
        for _ in range(3):  # best of 3 per stage: the machine is shared
            cmd = [sys.executable, __file__, "--stages-child", str(d)]
            res = subprocess.run(cmd, capture_output=True, text=True, check=True)
            run = json.loads(res.stdout.strip().splitlines()[-1])
            best = {k: min(v, best.get(k, v)) for k, v in run.items()}
    return best


def versus_nca(size: str, nca: str, timeout: float, unique_pod_labels: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "cluster"
        _write_nca_input(size, d, unique_pod_labels)
        cmd = [sys.executable, "-m", "k8sviz", "connectivity", str(d), "--level", "pod", "--format", "txt"]
        ours = min(timed_process([*cmd, "-o", str(Path(tmp) / "k.txt")], timeout) for _ in range(3))
        theirs = timed_process([nca, "--connectivity", "-r", str(d), "-o", "txt_no_fw_rules", "--output_endpoints", "pods"], timeout)
    return {"size": size, "k8sviz": ours, "nca": theirs}


def main() -> int:
    ap = argparse.ArgumentParser(description="k8sviz policy engine benchmark")
    ap.add_argument("--sizes", nargs="*", default=["S", "K", "M", "L"], choices=list(SIZES))
    ap.add_argument("--nca", default=shutil.which("nca"), help="nca executable (default: on PATH; '' to skip)")
    ap.add_argument("--nca-sizes", nargs="+", default=["S", "K", "M"], choices=list(SIZES))
    ap.add_argument("--nca-timeout", type=float, default=1800)
    ap.add_argument("--stages", nargs="*", default=[], choices=list(SIZES),
                    help="CPU seconds per stage of the whole connectivity process at these sizes")
    ap.add_argument("--admin", action="store_true",
                    help="add two AdminNetworkPolicies and a BaselineAdminNetworkPolicy (the general tiered path)")
    ap.add_argument("--calico", action="store_true",
                    help="add a Calico tier, a GlobalNetworkSet and GlobalNetworkPolicies (Calico tiers)")
    ap.add_argument("--cilium", action="store_true",
                    help="add CiliumClusterwideNetworkPolicies (denies, no default deny)")
    ap.add_argument("--unique-pod-labels", action="store_true",
                    help="versus nca: every pod with its own labels (nca merges replicas otherwise)")
    ap.add_argument("--daemonsets", action="store_true",
                    help="add a Node per node and three hostNetwork DaemonSet pods on each")
    ap.add_argument("--pod-frame", action="store_true", help="also time to_frame('pod')")
    ap.add_argument("--no-compile", action="store_true",
                    help="whole-process runs without compiling k8sviz to bytecode first")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--stages-child", help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, Path(args.dir), args.admin, args.calico, args.cilium,
                               args.daemonsets, args.pod_frame)))
        return 0
    if args.stages_child:
        print(json.dumps(stages_child(args.stages_child)))
        return 0

    if args.admin:
        print(f"with admin policies: {', '.join(p['kind'] + '/' + p['metadata']['name'] for p in ADMIN_POLICIES)}")
    if args.cilium:
        print(f"with Cilium objects: {', '.join(p['kind'] + '/' + p['metadata']['name'] for p in CILIUM_POLICIES)}")
    if args.calico:
        print(f"with Calico objects: {', '.join(p['kind'] + '/' + p['metadata']['name'] for p in CALICO_POLICIES)}")
    print(f"{'size':<5}{'pods':>7}{'policies':>9}  {'stage':<20}{'wall s':>8}{'peak RSS MiB':>14}")
    for size in args.sizes:
        r = run_child(size, args.admin, args.calico, args.cilium, args.daemonsets, args.pod_frame)
        for st in r["stages"]:
            print(f"{size:<5}{r['pods']:>7}{r['policies']:>9}  {st['stage']:<20}{st['wall_s']:>8.2f}{st['peak_rss_mib']:>14.0f}")
        eng = sum(s["wall_s"] for s in r["stages"][1:3])
        s = r["summary"]
        print(f"{'':<23}reachability + to_frame(workload) = {eng:.2f} s; {r['rows_workload']} rows; "
              f"{s['behaviour_classes']} behaviour classes, {s['port_atoms']} port atoms, {s['external_blocks']} external blocks")
    if (args.nca or args.stages) and not args.no_compile:
        compile_package()
    if args.nca:
        print()
        print(f"{'size':<5}{'k8sviz s':>10}{'MiB':>7}{'nca s':>10}{'MiB':>7}{'speedup':>9}   (whole process, --level pod)")
        for size in args.nca_sizes:
            v = versus_nca(size, args.nca, args.nca_timeout, args.unique_pod_labels)
            (kt, km, kc), (nt, nm, nc) = v["k8sviz"], v["nca"]
            note = "" if kc == 0 and nc == 0 else f"  (exit codes {kc}/{nc})"
            print(f"{size:<5}{kt:>10.2f}{km:>7.0f}{nt:>10.2f}{nm:>7.0f}{nt / kt:>8.1f}x{note}")
    for size in args.stages:
        print()
        print(f"{size}: CPU seconds per stage of `k8sviz connectivity --level pod --format txt` (best of 3)")
        for name, sec in cli_stages(size).items():
            print(f"  {name:<40}{sec:>7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
