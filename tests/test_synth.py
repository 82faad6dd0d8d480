"""Tests for k8sviz.synth (synthetic cluster generator)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_synth():
    """Import k8sviz/synth.py by path: it must work without the rest of the package."""
    spec = importlib.util.spec_from_file_location("k8sviz_synth_standalone", ROOT / "k8sviz" / "synth.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


synth = _load_synth()


@pytest.fixture(scope="module")
def cluster():
    return synth.generate_cluster(pods=1500, policies=400, seed=7)


def by_kind(objs):
    out: dict[str, list[dict]] = {}
    for o in objs:
        out.setdefault(o["kind"], []).append(o)
    return out


def walk_selectors(policy):
    """Yield every label selector (podSelector / namespaceSelector) in a NetworkPolicy."""
    spec = policy["spec"]
    yield spec["podSelector"]
    for rule in spec.get("ingress", []) or []:
        for peer in rule.get("from", []) or []:
            for key in ("podSelector", "namespaceSelector"):
                if key in peer:
                    yield peer[key]
    for rule in spec.get("egress", []) or []:
        for peer in rule.get("to", []) or []:
            for key in ("podSelector", "namespaceSelector"):
                if key in peer:
                    yield peer[key]


def all_peers(policy):
    spec = policy["spec"]
    for rule in spec.get("ingress", []) or []:
        yield from rule.get("from", []) or []
    for rule in spec.get("egress", []) or []:
        yield from rule.get("to", []) or []


def all_ports(policy):
    spec = policy["spec"]
    for rule in (spec.get("ingress", []) or []) + (spec.get("egress", []) or []):
        yield from rule.get("ports", []) or []


# --------------------------------------------------------------------------
def test_deterministic_for_a_seed():
    a = synth.generate_cluster(pods=600, policies=120, seed=3)
    b = synth.generate_cluster(pods=600, policies=120, seed=3)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    c = synth.generate_cluster(pods=600, policies=120, seed=4)
    assert json.dumps(a, sort_keys=True) != json.dumps(c, sort_keys=True)


def test_write_is_byte_identical(tmp_path):
    objs = synth.generate_cluster(pods=300, policies=60, seed=11)
    p1 = synth.write_cluster(tmp_path / "a.json", objs)
    p2 = synth.write_cluster(tmp_path / "b.json", synth.generate_cluster(pods=300, policies=60, seed=11))
    assert p1.read_bytes() == p2.read_bytes()


@pytest.mark.parametrize("pods,policies,namespaces", [(1500, 400, None), (37, 5, None), (500, 50, 3),
                                                      (0, 3, None), (10, 0, 2)])
def test_counts(pods, policies, namespaces):
    objs = synth.generate_cluster(pods=pods, policies=policies, namespaces=namespaces, seed=1)
    kinds = Counter(o["kind"] for o in objs)
    assert kinds["Pod"] == pods
    assert kinds["NetworkPolicy"] == policies
    expected_ns = namespaces if namespaces is not None else max(1, round(pods / 50))
    assert kinds["Namespace"] == expected_ns
    assert set(kinds) <= {"Namespace", "Deployment", "ReplicaSet", "Pod", "Service", "NetworkPolicy"}
    assert kinds["Deployment"] == kinds["Service"]
    assert kinds["ReplicaSet"] >= kinds["Deployment"]


def test_default_namespace_count_is_pods_over_50(cluster):
    assert Counter(o["kind"] for o in cluster)["Namespace"] == 30


def test_every_object_has_kind_apiversion_metadata(cluster):
    api = {"Namespace": "v1", "Pod": "v1", "Service": "v1", "Deployment": "apps/v1",
           "ReplicaSet": "apps/v1", "NetworkPolicy": "networking.k8s.io/v1"}
    for o in cluster:
        assert o["apiVersion"] == api[o["kind"]]
        m = o["metadata"]
        assert m["name"] and m["uid"] and m["creationTimestamp"].endswith("Z")
        if o["kind"] != "Namespace":
            assert m["namespace"]


def test_unique_names_and_uids(cluster):
    uids = [o["metadata"]["uid"] for o in cluster]
    assert len(uids) == len(set(uids))
    keys = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in cluster]
    assert len(keys) == len(set(keys))


def test_namespaces_exist_and_are_labelled(cluster):
    k = by_kind(cluster)
    names = {n["metadata"]["name"] for n in k["Namespace"]}
    for n in k["Namespace"]:
        labels = n["metadata"]["labels"]
        assert labels["kubernetes.io/metadata.name"] == n["metadata"]["name"]
        assert "team" in labels and "env" in labels
    for o in cluster:
        if o["kind"] != "Namespace":
            assert o["metadata"]["namespace"] in names


def test_owner_chains_consistent(cluster):
    k = by_kind(cluster)
    uid_index = {o["metadata"]["uid"]: o for o in cluster}
    for pod in k["Pod"]:
        (ref,) = pod["metadata"]["ownerReferences"]
        assert ref["kind"] == "ReplicaSet" and ref["controller"] is True
        rs = uid_index[ref["uid"]]
        assert rs["kind"] == "ReplicaSet" and rs["metadata"]["name"] == ref["name"]
        assert rs["metadata"]["namespace"] == pod["metadata"]["namespace"]
        assert pod["metadata"]["name"].startswith(rs["metadata"]["name"] + "-")
        suffix = pod["metadata"]["name"][len(rs["metadata"]["name"]) + 1:]
        assert len(suffix) == 5 and set(suffix) <= set(synth.HASH_ALPHABET)
        # the ReplicaSet's selector matches the pod
        for key, val in rs["spec"]["selector"]["matchLabels"].items():
            assert pod["metadata"]["labels"][key] == val
        assert pod["metadata"]["labels"]["pod-template-hash"] == rs["metadata"]["labels"]["pod-template-hash"]
    for rs in k["ReplicaSet"]:
        (ref,) = rs["metadata"]["ownerReferences"]
        dep = uid_index[ref["uid"]]
        assert dep["kind"] == "Deployment" == ref["kind"] and dep["metadata"]["name"] == ref["name"]
        assert rs["metadata"]["name"] == f"{dep['metadata']['name']}-{rs['metadata']['labels']['pod-template-hash']}"
        pth = rs["metadata"]["labels"]["pod-template-hash"]
        assert 8 <= len(pth) <= 10
    # pods per Deployment == replicas (old ReplicaSets are scaled to 0)
    pods_per_dep = Counter()
    for pod in k["Pod"]:
        rs = uid_index[pod["metadata"]["ownerReferences"][0]["uid"]]
        pods_per_dep[rs["metadata"]["ownerReferences"][0]["uid"]] += 1
    for dep in k["Deployment"]:
        assert pods_per_dep[dep["metadata"]["uid"]] == dep["spec"]["replicas"]
    assert any(rs["spec"]["replicas"] == 0 for rs in k["ReplicaSet"])


def test_pods_are_realistic(cluster):
    k = by_kind(cluster)
    ips = set()
    for pod in k["Pod"]:
        labels = pod["metadata"]["labels"]
        for key in ("app", "tier", "team", "env", "version", "pod-template-hash"):
            assert key in labels
        assert labels["tier"] in {"web", "api", "db", "cache"}
        assert pod["status"]["phase"] == "Running"
        ip = pod["status"]["podIP"]
        assert ip not in ips
        ips.add(ip)
        assert pod["status"]["podIPs"] == [{"ip": ip}]
        assert pod["spec"]["nodeName"]
        for c in pod["spec"]["containers"]:
            for p in c["ports"]:
                assert p["name"] and isinstance(p["containerPort"], int)
    # replicas share labels: far fewer distinct label sets than pods
    label_sets = {tuple(sorted(p["metadata"]["labels"].items())) for p in k["Pod"]}
    assert len(label_sets) < 0.5 * len(k["Pod"])
    assert len(label_sets) > 0.2 * len(k["Pod"])


def test_services_select_pods(cluster):
    k = by_kind(cluster)
    pods_by_ns: dict[str, list[dict]] = {}
    for p in k["Pod"]:
        pods_by_ns.setdefault(p["metadata"]["namespace"], []).append(p)
    for svc in k["Service"]:
        sel = svc["spec"]["selector"]
        matched = [p for p in pods_by_ns[svc["metadata"]["namespace"]]
                   if all(p["metadata"]["labels"].get(a) == b for a, b in sel.items())]
        assert matched, svc["metadata"]["name"]
        assert svc["spec"]["clusterIP"].startswith("10.")


def test_selectors_use_every_operator(cluster):
    ops = Counter()
    for pol in by_kind(cluster)["NetworkPolicy"]:
        for sel in walk_selectors(pol):
            for expr in sel.get("matchExpressions", []):
                ops[expr["operator"]] += 1
                if expr["operator"] in ("In", "NotIn"):
                    assert expr["values"]
                else:
                    assert "values" not in expr
    assert set(ops) == {"In", "NotIn", "Exists", "DoesNotExist"}


def test_small_policy_count_still_covers_operators():
    objs = synth.generate_cluster(pods=200, policies=20, seed=5)
    ops = {e["operator"] for o in objs if o["kind"] == "NetworkPolicy"
           for sel in walk_selectors(o) for e in sel.get("matchExpressions", [])}
    assert ops == {"In", "NotIn", "Exists", "DoesNotExist"}


def test_policy_feature_mix(cluster):
    pols = by_kind(cluster)["NetworkPolicy"]
    peers = [peer for p in pols for peer in all_peers(p)]
    ports = [port for p in pols for port in all_ports(p)]
    assert any(set(peer) == {"podSelector"} for peer in peers)
    assert any(set(peer) == {"namespaceSelector"} for peer in peers)
    assert any(set(peer) == {"namespaceSelector", "podSelector"} for peer in peers)
    assert any("ipBlock" in peer and peer["ipBlock"].get("except") for peer in peers)
    assert any(isinstance(p.get("port"), int) for p in ports)
    assert any(isinstance(p.get("port"), str) for p in ports)
    assert any("endPort" in p and p["endPort"] > p["port"] for p in ports)
    assert {"TCP", "UDP", "SCTP"} <= {p.get("protocol", "TCP") for p in ports}
    # default deny, egress policies, implied policyTypes, egress rule without `to`
    assert any(p["spec"]["podSelector"] == {} and "ingress" not in p["spec"] and "egress" not in p["spec"]
               for p in pols)
    assert any("Egress" in p["spec"].get("policyTypes", []) and p["spec"].get("egress") for p in pols)
    assert any("policyTypes" not in p["spec"] for p in pols)
    assert any(r.get("ports") and "to" not in r for p in pols for r in p["spec"].get("egress", []))
    assert any("matchLabels" in sel for p in pols for sel in walk_selectors(p))
    # named ports used by policies exist on some container
    names = {c_p["name"] for pod in by_kind(cluster)["Pod"] for c in pod["spec"]["containers"]
             for c_p in c["ports"]}
    assert {p["port"] for p in ports if isinstance(p.get("port"), str)} <= names


def test_policy_names_unique_per_namespace(cluster):
    seen = Counter((p["metadata"]["namespace"], p["metadata"]["name"])
                   for p in by_kind(cluster)["NetworkPolicy"])
    assert max(seen.values()) == 1


def test_write_cluster_json_and_yaml_round_trip(tmp_path):
    objs = synth.generate_cluster(pods=120, policies=40, seed=2)
    pj = synth.write_cluster(tmp_path / "c.json", objs, fmt="json")
    doc = json.loads(pj.read_text())
    assert doc["apiVersion"] == "v1" and doc["kind"] == "List" and doc["items"] == objs
    yaml = pytest.importorskip("yaml")
    py = synth.write_cluster(tmp_path / "c.yaml", objs, fmt="yaml")
    ydoc = yaml.safe_load(py.read_text())
    assert ydoc == doc
    with pytest.raises(ValueError):
        synth.write_cluster(tmp_path / "c.xml", objs, fmt="xml")


def test_cli(tmp_path):
    out = tmp_path / "out.json"
    r = subprocess.run([sys.executable, "-m", "k8sviz.synth", "--pods", "200", "--policies", "30",
                        "--seed", "1", "-o", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    kinds = Counter(o["kind"] for o in doc["items"])
    assert kinds["Pod"] == 200 and kinds["NetworkPolicy"] == 30
    assert json.dumps(doc["items"], sort_keys=True) == json.dumps(
        synth.generate_cluster(200, 30, seed=1), sort_keys=True)


def test_large_cluster_counts():
    # Speed is measured in bench/, never asserted here.
    objs = synth.generate_cluster(pods=50_000, policies=5_000, seed=1)
    kinds = Counter(o["kind"] for o in objs)
    assert kinds["Pod"] == 50_000 and kinds["NetworkPolicy"] == 5_000 and kinds["Namespace"] == 1000


def test_cli_writes_standard_output_for_dash(tmp_path):
    """``-o -``: JSON (there is no extension to choose by) unless --format yaml, the message on
    stderr only, and no file named ``-``."""
    cmd = [sys.executable, "-m", "k8sviz.synth", "--pods", "20", "--policies", "3", "--seed", "1", "-o", "-"]
    r = subprocess.run(cmd, cwd=tmp_path, capture_output=True, check=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert json.loads(r.stdout)["items"] == synth.generate_cluster(20, 3, seed=1)
    assert r.stderr.decode().startswith("wrote standard output: ")
    objs = synth.generate_cluster(20, 3, seed=1)
    assert r.stdout == synth.write_cluster(tmp_path / "c.json", objs).read_bytes()
    r = subprocess.run([*cmd, "--format", "yaml"], cwd=tmp_path, capture_output=True, check=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.stdout == synth.write_cluster(tmp_path / "c.yaml", objs, fmt="yaml").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json", "c.yaml"]


def test_cli_output_into_missing_directories_creates_and_names_them(tmp_path):
    """As the k8sviz commands' -o and write_cluster from Python do (it refused them)."""
    target = tmp_path / "new" / "sub" / "c.json"
    cmd = [sys.executable, "-m", "k8sviz.synth", "--pods", "5", "--policies", "1", "-o", str(target)]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    assert r.stderr.splitlines()[0] == ("python -m k8sviz.synth: created the directories "
                                        f"{tmp_path / 'new'}, {target.parent}")
    assert json.loads(target.read_text())["kind"] == "List"
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    assert "created" not in r.stderr  # there now


@pytest.mark.parametrize("where", ["unmade", "directory", "empty", "under a file"])
def test_cli_output_errors_are_one_line_without_traceback(tmp_path, where):
    target = {"unmade": "/proc/k8sviz-nope/c.json", "directory": tmp_path, "empty": "",
              "under a file": tmp_path / "notes.txt" / "c.json"}[where]
    if where == "under a file":
        (tmp_path / "notes.txt").write_text("kept\n")
    cmd = [sys.executable, "-m", "k8sviz.synth", "--pods", "5", "--policies", "1", "-o", str(target)]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    said = r.stderr.splitlines()[-1]
    if where == "unmade":  # /proc takes no directory: said before generating
        assert said == (f"python -m k8sviz.synth: error: cannot write {target}: cannot create the directory "
                        "/proc/k8sviz-nope: No such file or directory")
    elif where == "directory":
        assert said.endswith(f"cannot write {target}: it is a directory (give a file name, "
                             "or - for standard output)")
    elif where == "under a file":
        assert said == (f"python -m k8sviz.synth: error: cannot write {target}: {target.parent} "
                        "is not a directory")
        assert (tmp_path / "notes.txt").read_text() == "kept\n"
    else:
        assert said == "python -m k8sviz.synth: error: -o: give a file name, or - for standard output"
    assert [p.name for p in tmp_path.iterdir()] == (["notes.txt"] if where == "under a file" else [])


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
@pytest.mark.parametrize("name", ["c.json", "c.yaml"])
def test_cli_a_write_that_fails_half_way_leaves_the_previous_file_whole(tmp_path, name):
    # A real failure in the middle of the write: a file size limit (RLIMIT_FSIZE, as a full
    # disk would) well below the cluster's size.  A plain open() had truncated the old file and
    # left the first 512 bytes of the new one.
    import resource

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))

    (tmp_path / name).write_text("the previous cluster\n")
    # (no .pyc either: the limit would apply to them too)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    run = [sys.executable, "-m", "k8sviz.synth", "--pods", "20", "--policies", "3", "--seed", "1", "-o", name]
    proc = subprocess.run(run, cwd=tmp_path, env=env, capture_output=True, text=True,
                          preexec_fn=limit_file_size)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [f"python -m k8sviz.synth: error: cannot write {name}: File too large"]
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left
    assert (tmp_path / name).read_text() == "the previous cluster\n"
    # without the limit, the same command replaces it whole
    subprocess.run(run, cwd=tmp_path, env=env, capture_output=True, check=True)
    want = synth.write_cluster(tmp_path / f"want-{name}", synth.generate_cluster(20, 3, seed=1),
                               fmt="yaml" if name.endswith(".yaml") else "json").read_bytes()
    assert (tmp_path / name).read_bytes() == want and len(want) > 512


def test_write_cluster_keeps_the_previous_file_when_the_objects_fail(tmp_path):
    """An error while writing (here an object JSON cannot hold) leaves the previous file, not a
    truncated one, and no temporary file (the module loaded on its own, as the tests load it)."""
    target = tmp_path / "c.yaml"
    target.write_text("the previous cluster\n")

    def objects():
        yield from synth.generate_cluster(20, 3, seed=1)
        raise RuntimeError("the generator failed")

    with pytest.raises(RuntimeError, match="the generator failed"):
        synth.write_cluster(target, objects(), fmt="yaml")
    assert target.read_text() == "the previous cluster\n"
    assert [p.name for p in tmp_path.iterdir()] == ["c.yaml"]
