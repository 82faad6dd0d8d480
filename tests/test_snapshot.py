"""The snapshot file: deterministic, atomic, hashed, versioned; and the Snapshot object."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from tests.objects import deployment, netpol, pod

import k8sviz
from k8sviz.errors import InputError, SnapshotVersionError
from k8sviz.snapshot import SCHEMA_VERSION, SnapshotBuilder, canonical_json


@pytest.fixture
def dump(write):
    return write("dump.yaml", [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "creationTimestamp": "2026-01-02T03:04:05Z"}},
        pod("shop", "web-1", {"app": "web"}, ip="10.0.0.1"),
        deployment("shop", "api", {"app": "api"}),
        netpol("shop", "deny", {"podSelector": {}}),
    ])


def test_same_input_gives_byte_identical_file(dump, tmp_path):
    a = k8sviz.load(dump).save(tmp_path / "a.json")
    b = k8sviz.load(dump).save(tmp_path / "b.json")
    assert a.read_bytes() == b.read_bytes()


def test_round_trip_through_the_file(dump, tmp_path):
    snap = k8sviz.load(dump, cluster="prod")
    path = snap.save(tmp_path / "snap.json")
    again = k8sviz.load(path)
    assert again.to_json() == snap.to_json()
    assert again.pods == snap.pods and again.network_policies == snap.network_policies
    assert again.meta["cluster"] == "prod"
    assert again.meta["inputs"] == [{"path": str(dump), "sha256": snap.meta["inputs"][0]["sha256"]}]


def test_file_records_schema_meta_and_content_hash(dump, tmp_path):
    snap = k8sviz.load(dump)
    doc = json.loads(snap.save(tmp_path / "s.json").read_text())
    assert doc["schema"] == "k8sviz/snapshot" and doc["schema_version"] == SCHEMA_VERSION
    assert doc["sha256"] == snap.sha256
    assert doc["meta"]["collected_at"] == "2026-01-02T03:04:05Z"
    assert doc["meta"]["k8sviz_version"] == k8sviz.__version__
    assert set(doc["coverage"].values()) <= {"ok", "forbidden", "not-installed", "not-in-input"}


def test_newer_schema_is_a_clear_error(dump, tmp_path):
    path = k8sviz.load(dump).save(tmp_path / "s.json")
    doc = json.loads(path.read_text())
    doc["schema_version"] = SCHEMA_VERSION + 1
    path.write_text(json.dumps(doc))
    with pytest.raises(SnapshotVersionError, match="newer than this k8sviz"):
        k8sviz.load(path)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d.update(schema_version=True), "schema_version true is not a version number"),
    (lambda d: d.update(schema_version=-5), "schema_version -5 is not a version number"),
    (lambda d: d.update(meta=["a"]), "meta must be an object"),
    (lambda d: d["meta"].update(inputs=["a"]), r"meta.inputs\[0\] must be an object"),
    (lambda d: d["meta"].update(inputs=[{}]), r"meta.inputs\[0\].path must be a string"),
    (lambda d: d["meta"].update(namespace_scope=[1, None]), "meta.namespace_scope must be a list of namespace names"),
    (lambda d: d["meta"].update(collected_at=12345), "meta.collected_at must be a string"),
    (lambda d: d.update(coverage=["a"]), "coverage must be an object"),
    (lambda d: d.update(warnings=[{"message": "x"}]), r"warnings\[0\].code must be a string"),
    (lambda d: d.update(warnings=["str"]), r"warnings\[0\] must be an object"),
    (lambda d: d.update(objects="abc"), "objects must be a list"),
    (lambda d: d.update(objects=[1]), r"objects\[0\] must be an object"),
])
def test_a_rehashed_snapshot_of_the_wrong_shape_is_an_error_naming_the_field(dump, tmp_path, edit, message):
    """A file edited and re-hashed, or written by another tool, is refused before it is read."""
    path = k8sviz.load(dump).save(tmp_path / "s.json")
    doc = json.loads(path.read_text())
    edit(doc)
    body = {k: v for k, v in doc.items() if k != "sha256"}
    doc["sha256"] = hashlib.sha256(canonical_json(body)).hexdigest()
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=message) as e:
        k8sviz.load(path)
    assert str(path) in str(e.value) and "not a valid k8sviz snapshot" in str(e.value)


@pytest.mark.parametrize(("metadata", "kind"), [("name: p", "a string"), (["p"], "a list"), (5, "a number")])
def test_a_rehashed_snapshot_object_whose_metadata_is_no_mapping_is_an_error(dump, tmp_path, metadata, kind):
    # Found by fuzzing the CLI: a traceback (AttributeError: 'str' object has no attribute 'get').
    path = k8sviz.load(dump).save(tmp_path / "s.json")
    doc = json.loads(path.read_text())
    doc["objects"][0]["metadata"] = metadata
    obj_kind = doc["objects"][0]["kind"]
    body = {k: v for k, v in doc.items() if k != "sha256"}
    doc["sha256"] = hashlib.sha256(canonical_json(body)).hexdigest()
    path.write_text(json.dumps(doc))
    said = (f"{path}#objects[0], {obj_kind}: malformed object: metadata is {kind}, "
            "not a mapping")
    with pytest.raises(InputError, match=f"^{re.escape(said)}$"):
        k8sviz.load(path)


def test_tampered_snapshot_is_detected(dump, tmp_path):
    path = k8sviz.load(dump).save(tmp_path / "s.json")
    path.write_text(path.read_text().replace("10.0.0.1", "10.0.0.2"))
    with pytest.raises(InputError, match="SHA-256"):
        k8sviz.load(path)


def test_save_is_atomic_and_leaves_no_temp_files(dump, tmp_path, monkeypatch):
    snap = k8sviz.load(dump)
    target = snap.save(tmp_path / "out" / "s.json")
    before = target.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("k8sviz.snapshot.os.replace", boom)
    with pytest.raises(OSError):
        k8sviz.load(dump, cluster="other").save(target)
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == ["s.json"]


@pytest.fixture
def umask():
    """umask(mask): set the process umask for the test, restored afterwards."""
    import os

    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


def test_saved_file_has_the_mode_open_would_give_it(dump, tmp_path, umask):
    snap = k8sviz.load(dump)
    umask(0o022)
    assert snap.save(tmp_path / "shared.json").stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600
    umask(0o077)
    assert snap.save(tmp_path / "private.json").stat().st_mode & 0o777 == 0o600
    # Like open(), rewriting a file keeps its mode.
    (tmp_path / "shared.json").chmod(0o640)
    umask(0o022)
    assert snap.save(tmp_path / "shared.json").stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dump.yaml", "private.json", "shared.json"]


def test_coverage_from_builder_overrides_and_is_kept(tmp_path):
    b = SnapshotBuilder()
    b.add(pod("a", "p"), "live")
    b.coverage["networkpolicies"] = "forbidden"
    b.coverage["clusternetworkpolicies"] = "not-installed"
    snap = b.build(source="live", collected_at="2026-11-27T00:00:00Z")
    assert snap.coverage["networkpolicies"] == "forbidden"
    again = k8sviz.load(snap.save(tmp_path / "s.json"))
    assert again.coverage == snap.coverage and again.meta["source"] == "live"


def test_summary_repr_and_lookup(dump):
    snap = k8sviz.load(dump)
    assert snap.pod("shop/web-1").ips == ("10.0.0.1",)
    assert snap.pod("shop/none") is None
    df = snap.summary()
    assert dict(zip(df["kind"], df["count"], strict=True))["pods"] == 2
    assert "2 pods" in repr(snap)
    assert "<table>" in snap._repr_html_()


def test_builder_never_modifies_the_callers_objects():
    p = pod("a", "p")
    p["metadata"]["managedFields"] = [{"manager": "x"}]
    p["spec"]["containers"][0]["env"] = [{"name": "A", "value": "secret"}]
    before = json.dumps(p, sort_keys=True)
    b = SnapshotBuilder()
    b.add(p, "test")
    b.build()
    assert json.dumps(p, sort_keys=True) == before


def test_unusual_json_values_round_trip(tmp_path):
    p = pod("a", "p")
    p["metadata"]["annotations"] = {"big": "x"}
    p["spec"]["big"] = 2**64 - 1
    p["spec"]["unicode"] = "caf\u00e9 \u2028 <tag>"
    b = SnapshotBuilder()
    b.add(p, "test")
    snap = b.build()
    again = k8sviz.load(snap.save(tmp_path / "s.json"))
    assert again.sha256 == snap.sha256 and again.to_json() == snap.to_json()


@pytest.mark.parametrize("odd", ["\x00k8sviz\x00", 2**70], ids=["boundary-marker-as-data", "beyond-64-bits"])
def test_file_holds_each_object_canonical_on_its_own_line(odd, tmp_path):
    # The objects are serialised in one call with a marker between them; a value equal to the
    # marker, or one orjson refuses, must still give exactly one canonical object per line.
    objs = [pod("a", f"p{i}") for i in range(3)]
    objs[1]["metadata"]["annotations"] = {"x": "y"}
    objs[1]["spec"]["odd"] = [odd, odd, "\x00k8sviz\x00"]
    b = SnapshotBuilder()
    for i, obj in enumerate(objs):
        b.add(obj, f"test#{i}")
    snap = b.build(collected_at="2026-11-27T00:00:00Z")
    expected = [canonical_json(o) for o in sorted(objs, key=lambda o: o["metadata"]["name"])]
    text = snap.to_json()
    start = text.index(b'"objects": [\n') + len(b'"objects": [\n')
    assert text[start:].split(b"\n")[:3] == [expected[0] + b",", expected[1] + b",", expected[2]]
    body = {k: v for k, v in json.loads(text).items() if k != "sha256"}
    assert snap.sha256 == hashlib.sha256(canonical_json(body)).hexdigest()
    assert snap.raw_objects() == json.loads(b"[" + b",".join(expected) + b"]")
    if isinstance(odd, str):  # orjson reads integers beyond 64 bits back as floats
        again = k8sviz.load(snap.save(tmp_path / "s.json"))
        assert again.sha256 == snap.sha256 and again.to_json() == text


def test_replicas_share_parsed_containers_but_keep_their_own_values():
    a, b, c = (pod("a", f"p{i}") for i in range(3))
    for p in (a, b, c):
        p["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "name": "http"}]
    c["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "name": "metrics"}]
    builder = SnapshotBuilder()
    for i, p in enumerate((a, b, c)):
        builder.add(p, f"test#{i}")
    pods = builder.build().pods
    assert pods[0].containers is pods[1].containers  # same spec: parsed once
    assert [p.containers[0].ports[0].name for p in pods] == ["http", "http", "metrics"]


@pytest.mark.parametrize("name", [True, 1, [1]])
def test_a_port_name_that_is_not_text_is_a_malformed_object(name):
    p = pod("a", "p")
    p["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "name": name}]
    builder = SnapshotBuilder()
    builder.add(p, "dump.yaml#1")
    with pytest.raises(InputError, match=r"dump\.yaml#1, Pod/a/p: malformed object.*port name .* is not a string"):
        builder.build()


_MODELLED = [
    ("v1", "Namespace", False), ("v1", "Pod", True), ("v1", "Service", True), ("v1", "ServiceAccount", True),
    ("discovery.k8s.io/v1", "EndpointSlice", True), ("networking.k8s.io/v1", "NetworkPolicy", True),
    ("apps/v1", "Deployment", True), ("projectcalico.org/v3", "GlobalNetworkPolicy", False),
    ("cilium.io/v2", "CiliumNetworkPolicy", True),
]


@pytest.mark.parametrize(("api_version", "kind", "namespaced"), _MODELLED)
@pytest.mark.parametrize(("name", "what"), [(5, "a number"), (["x"], "a list"), (None, ""), ("", "")])
def test_builder_refuses_an_object_without_a_text_name(api_version, kind, namespaced, name, what):
    meta: dict = {"name": name, **({"namespace": "a"} if namespaced else {})}
    builder = SnapshotBuilder()
    want = "metadata.name is missing" if name in (None, "") else f"metadata.name is {what}, not a string"
    with pytest.raises(InputError, match=rf"dump\.json#3, {kind}/.*malformed object: {re.escape(want)}"):
        builder.add({"apiVersion": api_version, "kind": kind, "metadata": meta, "spec": {}}, "dump.json#3")
    with pytest.raises(InputError, match="metadata is missing"):
        builder.add({"apiVersion": api_version, "kind": kind}, "dump.json#4")


def test_raw_policies_are_not_the_callers_objects():
    raw = {"apiVersion": "projectcalico.org/v3", "kind": "StagedNetworkPolicy",
           "metadata": {"name": "c", "namespace": "a"}, "spec": {}}
    builder = SnapshotBuilder()
    builder.add(raw, "test")
    (policy,) = builder.build().other_policies
    assert policy.raw == raw and policy.raw is not raw


def test_command_lines_probes_and_hooks_are_not_stored(tmp_path):
    p = pod("a", "p")
    c = p["spec"]["containers"][0]
    c["command"] = ["/app", "--db-password=hunter2"]
    c["args"] = ["--token", "s3cr3t-token"]
    c["livenessProbe"] = {"httpGet": {"path": "/", "port": 80, "httpHeaders": [{"name": "Authorization", "value": "Bearer s3cr3t-probe"}]}}
    c["readinessProbe"] = {"exec": {"command": ["check", "--password=hunter3"]}}
    c["startupProbe"] = {"tcpSocket": {"port": 80}}
    c["lifecycle"] = {"preStop": {"exec": {"command": ["curl", "-u", "admin:hunter4", "http://x"]}}}
    p["spec"]["initContainers"] = [{"name": "init", "image": "i", "args": ["--key=init-secret"]}]
    dep = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"namespace": "a", "name": "d"},
        "spec": {"template": {"metadata": {"labels": {"app": "d"}}, "spec": {"containers": [
            {"name": "c", "image": "i", "command": ["run", "--api-key=dep-secret"], "ports": [{"containerPort": 80}]}
        ]}}},
    }
    before = json.dumps([p, dep], sort_keys=True)
    b = SnapshotBuilder()
    b.add(p, "test")
    b.add(dep, "test")
    snap = b.build()
    text = snap.save(tmp_path / "s.json").read_text()
    for secret in ("hunter2", "s3cr3t-token", "s3cr3t-probe", "hunter3", "hunter4", "init-secret", "dep-secret"):
        assert secret not in text
    stored = {o["metadata"]["name"]: o for o in snap.raw_objects()}
    kept = stored["p"]["spec"]["containers"][0]
    assert kept["name"] == "main" and "image" in kept and not {"command", "args", "lifecycle"} & set(kept)
    assert json.dumps([p, dep], sort_keys=True) == before  # the caller's objects are untouched
    assert snap.pod("a/p").containers[0].name == "main"


def test_warnings_about_objects_are_not_repeated_when_the_snapshot_is_read_again(write, tmp_path):
    # Parsing the stored objects again warns about them again: the file's copy, which names the
    # manifest they came from, is the one kept, however often the snapshot is re-saved.
    path = write("np.yaml", [
        netpol("shop", "wide", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.1/24"}}]}]}),
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "bare", "namespace": "shop"},
         "spec": {}},
    ])
    snap = k8sviz.load(path)
    assert sorted(w.code for w in snap.warnings) == ["cidr-host-bits", "policy-no-podselector"]
    again = k8sviz.load(snap.save(tmp_path / "a.json"))
    assert again.warnings == snap.warnings and again.to_json() == snap.to_json()
    assert k8sviz.load(again.save(tmp_path / "b.json")).warnings == snap.warnings


def test_two_containers_naming_one_port_differently_are_warned_about():
    from tests.policy.helpers import pod as bare_pod, snapshot

    obj = bare_pod("a", "p", {"app": "p"}, "10.0.0.1", (("http", 8080, "TCP"),))
    obj["spec"]["containers"].append({"name": "sidecar", "image": "img", "ports": [
        {"containerPort": 9090, "name": "http", "protocol": "TCP"},
        {"containerPort": 53, "name": "dns", "protocol": "UDP"}]})
    (w,) = [w for w in snapshot(obj).warnings if w.code == "named-port-conflict"]
    assert w.obj == "Pod/a/p" and "http/TCP 8080, 9090" in w.message
    same = bare_pod("a", "q", {"app": "q"}, "10.0.0.2", (("http", 8080, "TCP"),))
    same["spec"]["containers"].append({"name": "sidecar", "image": "img", "ports": [
        {"containerPort": 8080, "name": "http", "protocol": "TCP"}]})
    assert not [w for w in snapshot(same).warnings if w.code == "named-port-conflict"]


def test_saving_through_a_symlink_or_fifo_writes_through_it_and_a_directory_is_named(dump, tmp_path):
    import os

    from k8sviz._files import atomic_write

    real = tmp_path / "real"
    real.mkdir()
    (real / "snap.json").write_text("old")
    link = tmp_path / "snap.json"
    link.symlink_to(real / "snap.json")
    before = (real / "snap.json").stat().st_ino
    atomic_write(link, b"new", fsync=True)
    assert (real / "snap.json").stat().st_ino != before  # a new file renamed over it: atomic
    assert link.is_symlink() and (real / "snap.json").read_bytes() == b"new"
    assert sorted(p.name for p in real.iterdir()) == ["snap.json"]  # replaced by rename, no temp left
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    import threading

    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    atomic_write(fifo, b"through")
    reader.join(5)
    assert got == [b"through"] and not fifo.is_file()
    with pytest.raises(IsADirectoryError, match=str(real)):
        atomic_write(real, b"x")


def _ns(name, created):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "creationTimestamp": created}}


def test_collected_at_is_the_newest_rfc3339_creation_time_before_now(write, tmp_path):
    path = write("dump.yaml", [
        _ns("a", "2024-03-10T08:13:37Z"),
        _ns("b", "zzz-not-a-time"),
        _ns("c", "2999-01-01T00:00:00Z"),  # later than now: would date the audit in the future
        _ns("d", "2024-03-10 09:00:00Z"),  # not RFC 3339 (no T)
        _ns("e", "2024-02-30T10:00:00Z"),  # no such day
        _ns("f", 1710058417),
        _ns("g", None),  # kubectl create --dry-run writes null: nothing to say
        pod("a", "p"),
    ])
    snap = k8sviz.load(path)
    assert snap.meta["collected_at"] == "2024-03-10T08:13:37Z"
    bad = [(w.code, w.obj, w.message) for w in snap.warnings]
    tail = ": not used as the snapshot's collected_at (which dates the audit)"
    assert bad == [
        ("bad-timestamp", "Namespace/b",
         f"metadata.creationTimestamp 'zzz-not-a-time' is not an RFC 3339 time such as 2024-05-01T10:00:00Z{tail}"),
        ("bad-timestamp", "Namespace/c", f"metadata.creationTimestamp '2999-01-01T00:00:00Z' is over a day later than the time of loading{tail}"),
        ("bad-timestamp", "Namespace/d", f"metadata.creationTimestamp '2024-03-10 09:00:00Z' is not an RFC 3339 time such as 2024-05-01T10:00:00Z{tail}"),
        ("bad-timestamp", "Namespace/e", f"metadata.creationTimestamp '2024-02-30T10:00:00Z' is not an RFC 3339 time such as 2024-05-01T10:00:00Z{tail}"),
        ("bad-timestamp", "Namespace/f", f"metadata.creationTimestamp 1710058417 is not an RFC 3339 time such as 2024-05-01T10:00:00Z{tail}"),
    ]
    assert all(w.source == f"{path}#{i}" for w, i in zip(snap.warnings, (2, 3, 4, 5, 6), strict=True))
    from k8sviz.analysis.zones import resolve_today
    assert str(resolve_today(None, snap)) == "2024-03-10"  # the audit date exceptions are judged on
    # Read again from its file: the file's collected_at is kept as it is, its warnings once.
    again = k8sviz.load(snap.save(tmp_path / "s.json"))
    assert again.meta["collected_at"] == "2024-03-10T08:13:37Z" and again.warnings == snap.warnings
    assert again.to_json() == snap.to_json()


def test_collected_at_compares_instants_and_is_written_in_utc(write):
    # As text "2024-05-02T01:00:00Z" sorts last; as a time 23:00 at -05:00 (04:00 UTC) is later.
    snap = k8sviz.load(write("d.yaml", [_ns("a", "2024-05-02T01:00:00Z"), _ns("b", "2024-05-01T23:00:00-05:00")]))
    assert snap.meta["collected_at"] == "2024-05-02T04:00:00Z" and snap.warnings == ()
    snap = k8sviz.load(write("e.yaml", [_ns("a", "2024-05-02T01:00:00.5Z")]))
    assert snap.meta["collected_at"] == "2024-05-02T01:00:00.500000Z"


def test_no_usable_timestamp_leaves_collected_at_unknown(write):
    snap = k8sviz.load(write("d.yaml", [_ns("a", "2999-01-01T00:00:00Z"), _ns("b", "yesterday")]))
    assert snap.meta["collected_at"] is None and [w.code for w in snap.warnings] == ["bad-timestamp"] * 2


def test_a_snapshot_files_collected_at_is_kept_whatever_the_other_inputs_say(write, tmp_path):
    stored = k8sviz.load(write("old.yaml", [_ns("a", "2024-01-01T00:00:00Z")])).save(tmp_path / "s.json")
    newer = write("new.yaml", [_ns("b", "2025-01-01T00:00:00Z"), _ns("c", "junk")])
    snap = k8sviz.load(stored, newer)
    assert snap.meta["collected_at"] == "2024-01-01T00:00:00Z" and snap.warnings == ()
    assert k8sviz.load(newer, collected_at="2020-01-01T00:00:00Z").meta["collected_at"] == "2020-01-01T00:00:00Z"


def test_a_cluster_clock_a_little_ahead_still_dates_the_snapshot(write):
    """Objects created moments ago on a cluster whose clock runs ahead of this machine's."""
    from datetime import UTC, datetime, timedelta

    soon = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    snap = k8sviz.load(write("dump.yaml", [_ns("a", "2024-03-10T08:13:37Z"), _ns("b", soon)]))
    assert snap.meta["collected_at"] == soon and not snap.warnings


_ODD_TIMES = [
    "2024-03-10T08:13:37Z", "zzz-not-a-time", "2999-01-01T00:00:00Z", "2024-03-10 09:00:00Z",
    "2024-02-30T10:00:00Z",
    1710058417, None, "", "2024-05-02T01:00:00Z", "2024-05-01T23:00:00-05:00", "2024-05-02T01:00:00.5Z",
    "2024-05-02T04:00:00Z", "2024-05-02T04:00:00+00:00", "2024-05-02T04:00:00.000Z", "2024-05-02t04:00:00z",
    "2024-05-02T24:00:00Z", "2024-05-02T23:60:00Z", "2024-05-02T23:59:60Z", "0000-01-01T00:00:00Z",
    "2024-13-02T04:00:00Z", "2024-05-00T04:00:00Z", "2023-02-29T12:00:00Z", "2024-02-29T12:00:00Z",
    "２０２４-05-02T04:00:00Z", "2024-05-02T04:00:00Z\n", "9999-12-31T23:59:59Z", "2024-05-02T04:00:01Z",
    "2024-05-02T03:59:59.9Z", True, [], "2024-05-02T04:00Z",
]


def _newest_parsing_each(objs, warn, now):
    """The reference: every creationTimestamp parsed and compared as an instant."""
    from datetime import UTC, timedelta

    from k8sviz._text import as_written
    from k8sviz.model import LoadWarning
    from k8sviz.snapshot import _UTC_SECONDS, _ref, _rfc3339

    now = now + timedelta(days=1)
    newest = None
    for obj, where in objs:
        ts = obj["metadata"].get("creationTimestamp")
        if ts is None or ts == "":
            continue
        when = _rfc3339(ts)
        if when is None:
            problem = "is not an RFC 3339 time such as 2024-05-01T10:00:00Z"
        elif when > now:
            problem = "is over a day later than the time of loading"
        else:
            if newest is None or (when, ts) > newest:
                newest = (when, ts)
            continue
        message = (f"metadata.creationTimestamp {as_written(ts)} {problem}: not used as the "
                   "snapshot's collected_at (which dates the audit)")
        warn(LoadWarning("bad-timestamp", message, where, _ref(obj)))
    if newest is None:
        return None
    when, ts = newest
    return ts if _UTC_SECONDS.fullmatch(ts) else when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_collected_at_read_from_the_text_agrees_with_parsing_every_time(monkeypatch):
    """Times in the API's own form (2024-05-01T10:00:00Z) are compared as text, with their date
    and hour checked once per hour: on random mixes of odd times, around now too, the newest
    and every warning are those of parsing each time."""
    import random
    from datetime import UTC, datetime, timedelta

    from k8sviz import snapshot

    for now in (datetime(2026, 11, 28, 12, 0, 0, 0, UTC), datetime(2026, 11, 28, 12, 0, 0, 500_000, UTC),
                datetime(2024, 5, 1, 4, 0, 0, 1, UTC)):

        class Clock(datetime):
            @classmethod
            def now(cls, tz=None):
                return now

        monkeypatch.setattr(snapshot, "datetime", Clock)
        whole = now.replace(microsecond=0)
        near = [(whole + timedelta(days=1, seconds=s)).isoformat() for s in (-1, 0, 1, 60)]
        near += [t.replace("+00:00", "Z") for t in near]
        near.append((now + timedelta(days=1)).isoformat().replace("+00:00", "Z"))
        pool = _ODD_TIMES + near
        rng = random.Random(7)
        for _ in range(1500):
            objs = [(_ns(f"n{i}", rng.choice(pool)), f"f#{i}") for i in range(rng.randint(1, 6))]
            got, want = [], []
            expected = _newest_parsing_each(objs, want.append, now)
            assert snapshot._newest_timestamp(objs, got.append) == expected, objs
            assert got == want, objs


def test_the_quick_metadata_check_agrees_with_the_one_that_names_the_problem():
    """_metadata_problem passes well-formed metadata with one expression of type tests and
    leaves the message to _metadata_message: on every field set to odd values, they agree."""
    import itertools

    from k8sviz.snapshot import _metadata_message, _metadata_problem

    values = [None, "", "x", 0, 1, True, [], [{}], [{}, {}], [{}, "x"], ["x"], {}, {"a": "b"}, "default"]
    fields = ("name", "namespace", "labels", "annotations", "ownerReferences")
    for a, b in itertools.combinations(fields, 2):
        for va, vb in itertools.product(values, repeat=2):
            for meta in ({a: va, b: vb}, {"name": "n", a: va, b: vb}, {a: va}):
                assert _metadata_problem(meta) == _metadata_message(meta), meta
    assert _metadata_problem({"name": "n", "ownerReferences": [{}]}) is None


def test_the_builder_judges_times_as_it_adds_and_agrees_with_parsing_every_time(monkeypatch):
    """SnapshotBuilder judges each creationTimestamp in the API's form as it adds the object and
    reads again only the others at build(): with duplicates (identical, and replaced by a
    differing later copy), times later than the limit and odd forms, collected_at and the
    warnings are those of parsing every stored object's time."""
    import random
    from datetime import UTC, datetime, timedelta

    from k8sviz import snapshot

    now = datetime(2026, 11, 28, 12, 0, 0, 250_000, UTC)

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return now

    monkeypatch.setattr(snapshot, "datetime", Clock)
    near = [(now.replace(microsecond=0) + timedelta(days=1, seconds=s)).isoformat().replace("+00:00", "Z")
            for s in (-1, 0, 1)]
    pool = _ODD_TIMES + near + ["2024-05-02T04:00:00Z"] * 5
    rng = random.Random(11)
    for _ in range(1500):
        b = SnapshotBuilder()
        for i in range(rng.randint(1, 7)):
            ns = _ns(rng.choice("abcdefgh"), rng.choice(pool))
            if rng.random() < 0.3:
                ns["metadata"]["labels"] = {"x": "y"}  # a differing copy replaces the first
            b.add(ns, f"f#{i}")
        want: list = []
        expected = _newest_parsing_each(list(b.objects.values()), want.append, now)
        snap = b.build()
        assert snap.meta["collected_at"] == expected
        # in the input's order: a replaced object's warning where its later copy was read
        assert [w for w in snap.warnings if w.code == "bad-timestamp"] == sorted(
            want, key=lambda w: int(w.source.partition("#")[2]))


def test_dumps_written_on_windows_are_read_or_refused_saying_how_to_convert(tmp_path):
    """PowerShell 5's ``>`` writes UTF-16, ``Out-File -Encoding utf8`` UTF-8 with a byte-order
    mark: a BOM-prefixed JSON dump was refused as "does not start with '{'", a UTF-16 one the same
    way (or, as YAML, as "not UTF-8 text (byte 0)")."""
    dump = {"apiVersion": "v1", "kind": "List", "items": [pod("a", "p")]}
    text = json.dumps(dump)
    bom = tmp_path / "utf8-bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    snap = k8sviz.load(bom)
    assert [p.key for p in snap.pods] == ["a/p"] and not snap.warnings
    # the evidence hash is of the file as it is
    assert snap.meta["inputs"][0]["sha256"] == hashlib.sha256(bom.read_bytes()).hexdigest()
    for name in ("utf16.json", "utf16.yaml"):
        wide = tmp_path / name
        wide.write_text(text, encoding="utf-16")
        said = f"{wide}: UTF-16 text, not UTF-8; convert it (iconv -f UTF-16"
        with pytest.raises(InputError, match=re.escape(said)):
            k8sviz.load(wide)
    latin = tmp_path / "latin1.yaml"
    latin.write_bytes(b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: caf\xe9\n")
    said = f"{latin}: not UTF-8 text (byte 0xe9 at line 4); save the file as UTF-8"
    with pytest.raises(InputError, match=re.escape(said)):
        k8sviz.load(latin)


def test_snapshot_files_of_two_clusters_merged_are_a_warning(dump, tmp_path):
    """Their objects were read as one cluster under the last file's name, said nowhere."""
    prod = k8sviz.load(dump, cluster="prod").save(tmp_path / "prod.json")
    stage = k8sviz.load(dump, cluster="staging").save(tmp_path / "staging.json")
    merged = k8sviz.load(prod, stage)
    assert merged.meta["cluster"] == "staging"
    said = [str(w) for w in merged.warnings if w.code == "cluster-mismatch"]
    assert said == [f"[cluster-mismatch] {stage}: a snapshot of cluster 'staging' merged with one of cluster "
                    f"'prod' ({prod}): their objects are read as one cluster, named as the last snapshot "
                    "file names it unless a cluster name is given"]
    # one cluster's snapshot files, or a file with dumps: nothing to say
    again = k8sviz.load(dump, cluster="prod").save(tmp_path / "prod2.json")
    assert not [w for w in k8sviz.load(prod, again, dump).warnings if w.code == "cluster-mismatch"]


@pytest.mark.parametrize(("arg", "hint"), [(["data/demo/cluster"], "separate arguments"), (3, "int$")])
def test_load_of_no_path_names_the_argument(arg, hint):
    # a list given as one argument was a TypeError from deep inside pathlib
    with pytest.raises(InputError, match=rf"^load: a path must be a str or pathlib.Path, got .*{hint}"):
        k8sviz.load(arg)


def test_repr_html_clips_a_long_value_and_escapes_it(write):
    # an invalid label value may be any length: its warning was shown whole, 5,000 characters wide
    long = "<b>" + "x" * 5000
    path = write("long.yaml", [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"v": long}}},
    ])
    snap = k8sviz.load(path)
    # the warning names it, cut short and saying how much is left out
    assert any(f"'{long[:80]}'... (4,923 more characters)" in str(w) for w in snap.warnings), snap.warnings
    out = snap._repr_html_()
    assert "x" * 600 not in out and "more characters)" in out
    assert "<b>xxx" not in out and "&lt;b&gt;xxx" in out


def test_load_checks_cluster_and_collected_at(tmp_path):
    import datetime as dt

    demo = k8sviz.demo_path("cluster")
    # cluster=3 was stored, and the file saved from it was refused ("meta.cluster must be a string")
    with pytest.raises(InputError, match=r"^load: cluster must be a str, got 3"):
        k8sviz.load(demo, cluster=3)
    # "garbage" was stored as the date of the audit (segmentation then judged on today)
    with pytest.raises(InputError, match=r"^load: collected_at must be an RFC 3339 time .* got 'garbage'"):
        k8sviz.load(demo, collected_at="garbage")
    # a datetime was stored as an object: now written as the API writes a time, in UTC
    when = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    snap = k8sviz.load(demo, cluster="prod", collected_at=when)
    assert snap.meta["collected_at"] == "2024-05-01T10:00:00Z" and snap.meta["cluster"] == "prod"
    assert k8sviz.load(snap.save(tmp_path / "s.json")).meta["collected_at"] == "2024-05-01T10:00:00Z"
    assert k8sviz.load(demo, collected_at="2024-05-01T12:00:00+02:00").meta["collected_at"] == "2024-05-01T12:00:00+02:00"


def _named(kind, name, namespace="shop", api="v1", **fields):
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": api, "kind": kind, "metadata": meta, **fields}


def _name_warnings(snap):
    return [(w.obj, w.message) for w in snap.warnings if w.code == "invalid-name"]


REJECTED = " the API server would reject it (tampered input?); kept as text"
SUBDOMAIN = ("a DNS-1123 subdomain (at most 253 lowercase letters, digits, '-' and '.', starting and "
             "ending with a letter or digit)")
LABEL = ("a DNS-1123 label (at most 63 lowercase letters, digits and '-', starting and ending with a "
         "letter or digit)")


def test_names_the_api_would_reject_are_warned_and_kept(write):
    """Labels were checked, names not: a tampered dump's names loaded without a word."""
    long_ns = "n" * 64
    objs = [
        _named("Pod", "Web-0", spec={"containers": []}),
        _named("Pod", "a\nb", spec={"containers": []}),
        _named("Pod", "p", namespace="Shop", spec={"containers": []}),
        _named("Namespace", long_ns, namespace=None),
        _named("Namespace", "ok.dotted", namespace=None),  # a subdomain but no label
        _named("Service", "9lives"),  # a DNS-1035 label starts with a letter
        _named("CronJob", "c" * 53, api="batch/v1"),
        _named("Deployment", "a/b", api="apps/v1"),
        _named("ServiceAccount", "x" * 254),
        netpol("shop", "Deny", {"podSelector": {}}),
    ]
    snap = k8sviz.load(write("x.yaml", objs))
    said = _name_warnings(snap)
    assert len(said) == 10
    assert ("Pod/shop/Web-0", f"metadata.name 'Web-0' is not {SUBDOMAIN}:{REJECTED}") in said
    assert ("Pod/shop/a\nb", f"metadata.name 'a\\nb' is not {SUBDOMAIN}:{REJECTED}") in said
    assert ("Namespace/Shop", f"metadata.namespace 'Shop' is not {LABEL}:{REJECTED} (said once for all the "
            "objects in it)") in said
    # a long name is cut, its length said
    assert any(o == f"Namespace/{long_ns}" and m.startswith("metadata.name 'nnnnn")
               and m.endswith(f"' (64 characters) is not {LABEL}:{REJECTED}") for o, m in said)
    assert any(o == "Namespace/ok.dotted" and "DNS-1123 label" in m for o, m in said)
    assert any(o == "Service/shop/9lives" and "is not a DNS-1035 label" in m for o, m in said)
    assert any(o.startswith("CronJob/") and "(53 characters) is not a CronJob name (at most 52" in m
               for o, m in said)
    assert any(o == "Deployment/shop/a/b" and "'a/b' is not a DNS-1123 subdomain" in m for o, m in said)
    assert any(o.startswith("ServiceAccount/") and "(254 characters)" in m for o, m in said)
    assert any(o == "NetworkPolicy/shop/Deny" for o, m in said)
    # kept, as they were
    assert {"Web-0", "a\nb", "p"} <= {p.name for p in snap.pods}


def test_names_the_api_takes_raise_no_warning(write):
    objs = [
        _named("Namespace", "a" * 63, namespace=None),
        _named("Pod", "web-0.x", spec={"containers": []}),
        _named("Service", "s" + "9" * 62),
        _named("CronJob", "c" * 52, api="batch/v1"),
        _named("ServiceAccount", "x" * 253),
        _named("Pod", "q", namespace="a" * 63, spec={"containers": []}),
    ]
    assert _name_warnings(k8sviz.load(write("x.yaml", objs))) == []


def test_a_bad_name_is_warned_for_each_object_and_once_again_from_a_snapshot_file(write, tmp_path):
    objs = [_named("Pod", "P", spec={"containers": []}), _named("Pod", "Q", spec={"containers": []})]
    snap = k8sviz.load(write("x.yaml", objs))
    assert [o for o, _ in _name_warnings(snap)] == ["Pod/shop/P", "Pod/shop/Q"]
    snap.save(tmp_path / "s.json")
    assert _name_warnings(k8sviz.load(tmp_path / "s.json")) == _name_warnings(snap)


def test_a_bad_namespace_is_warned_once_not_for_each_object_in_it(write, tmp_path):
    objs = [_named("Pod", "p", namespace="Bad", spec={"containers": []}),
            _named("Pod", "q", namespace="Bad", spec={"containers": []}),
            _named("Service", "s", namespace="Bad"),
            _named("Pod", "Q", namespace="Bad", spec={"containers": []}),  # its own name is still judged
            _named("Namespace", "Bad", namespace=None),  # and so is the Namespace's, after its objects
            _named("Pod", "r", namespace="Worse", spec={"containers": []})]
    snap = k8sviz.load(write("x.yaml", objs))
    said = _name_warnings(snap)
    assert [o for o, _ in said] == ["Namespace/Bad", "Pod/Bad/Q", "Namespace/Bad", "Namespace/Worse"]
    assert [m.split(" ", 1)[0] for _, m in said] == ["metadata.namespace", "metadata.name", "metadata.name",
                                                    "metadata.namespace"]
    # A snapshot file holds its objects in another order (sorted): the same warnings, once each.
    snap.save(tmp_path / "s.json")
    assert _name_warnings(k8sviz.load(tmp_path / "s.json")) == said


@pytest.mark.parametrize(("key", "value"), [("v", "web\n"), ("k\n", "x"), ("a.b\n/c", "y")])
def test_a_label_with_a_trailing_newline_is_one_the_api_server_rejects(write, key, value):
    # The checks matched with "^...$", and "$" matches before a final newline: "web\n" passed.
    path = write("ns.yaml", [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {key: value}}},
    ])
    assert [w.code for w in k8sviz.load(path).warnings] == ["invalid-label"]


def test_a_pod_lookup_follows_the_pods_field_when_it_is_replaced():
    """The index of ``Snapshot.pod`` was built once and kept: after ``snap.pods = ...`` (a
    notebook trimming a snapshot) it still answered with the old pods."""
    snap = k8sviz.demo()
    first = snap.pods[0]
    assert snap.pod(first.key) is first
    snap.pods = snap.pods[1:]
    assert snap.pod(first.key) is None
    assert snap.pod(snap.pods[0].key) is snap.pods[0]
