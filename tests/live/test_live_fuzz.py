"""Seeded fuzzing of the live snapshot against a broken or hostile API server.

Guards the contract of :func:`k8sviz.snapshot_cluster` (and ``k8sviz snapshot``) towards the
answers it reads, whatever they are: each case tampers one kind of request (``GET /apis``, a group
version's discovery document, a list's first or later page, a namespace read by name) through
:attr:`FakeAPIServer.tamper` -- a body of the wrong shape, not JSON, cut short, gzip that is not,
an HTML page from a proxy, a ``Status`` with code 200, a redirect, odd statuses and ``Retry-After``
values, a continue token repeated or new forever, a reset mid-body, a trickle -- and asserts that

* the snapshot either succeeds or fails with a :class:`~k8sviz.errors.K8svizError` whose message
  names the request (``GET /...``) in plain words (no ``KeyError``, ``JSONDecodeError``, urllib3
  reprs...); never another exception, never a hang (every case ends within a bound);
* a snapshot that succeeds has every object the untampered server serves, or says why not (a
  warning or a coverage state that differs): a list cut short is never complete;
* only GETs are sent, never for Secrets;
* on the command line: exit status 0 or 2, no traceback, no control character of the server's
  reaching the terminal unescaped.

Seeds and case count are fixed, so a failure names a case that fails again.  The whole file takes
about 20 s; the bounds of the module (deadline, pages, retries) are shrunk to keep it so.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import random
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from apiserver import FakeAPIServer, Reply

import k8sviz
from k8sviz.cli import main
from k8sviz.errors import K8svizError
from k8sviz.sources import live

CASES = 240
SEEDS = range(20261129, 20261129 + CASES)
#: No case may take this long (a hang, not a slow case: most take a tenth of a second).
BOUND = 30.0

PYTHON_WORDS = re.compile(
    r"AttributeError|TypeError|KeyError|ValueError|NoneType|JSONDecodeError|Expecting value|Traceback|"
    r"object has no attribute|not subscriptable|IncompleteRead|ProtocolError|MaxRetryError|HTTPConnection|"
    r"urllib3|DecodeError|unhashable|Errno|\(<")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _objects() -> list[dict[str, Any]]:
    def ns(name: str) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"name": name}}}

    def pod(namespace: str, name: str, ip: str) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "x"}]}, "status": {"podIP": ip}}

    def netpol(namespace: str) -> dict[str, Any]:
        return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": "deny", "namespace": namespace},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}

    return [ns("shop"), ns("pay"), *(pod("shop", f"web-{i}", f"10.0.0.{i + 1}") for i in range(5)),
            pod("pay", "api", "10.0.1.1"), netpol("shop"), netpol("pay"),
            {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "g"},
             "spec": {"selector": "all()"}}]


def _server(scoped: bool) -> FakeAPIServer:
    srv = FakeAPIServer(_objects(), serve=["cilium.io/v2"]).start()
    if scoped:
        srv.forbidden.add("namespaces")  # so the namespace is read by name
    return srv


# ------------------------------------------------------------------------------ tamperings

ODD = [None, [], {}, [1], "x", "\x1b[2J\r\x07", 10**30, -1, 1.5, True, "y" * 3000]
HTML = b"<html><head><title>502 Bad Gateway</title></head><body>\x1b[2J nginx</body></html>"


def _top_nodes(doc: Any) -> list[tuple[Any, ...]]:
    """The paths a tampering may change: the document, its keys, and the keys of its metadata
    and discovery groups -- not inside items, where a change is the server's word, not a loss."""
    if not isinstance(doc, dict):
        return [()]
    out: list[tuple[Any, ...]] = [(), *((k,) for k in doc)]
    if isinstance(doc.get("metadata"), dict):
        out += [("metadata", k) for k in doc["metadata"]]
    for i, g in enumerate(doc.get("groups") or ()):
        out += [("groups", i), ("groups", i, "versions")]
        out += [("groups", i, "versions", j) for j in range(len(g.get("versions") or ()))]
    return out


def _put(doc: Any, path: tuple[Any, ...], value: Any, delete: bool = False) -> Any:
    if not path:
        return value
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


def _json_tampering(rng: random.Random, body: bytes) -> tuple[str, bytes] | None:
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    op = rng.choice(["type", "type", "delete", "status200", "remaining", "deep", "many-empty", "groups"])
    if op in ("type", "delete"):
        path = rng.choice(_top_nodes(doc))
        if op == "delete" and path:
            meta = doc.get("metadata")
            if path == ("metadata", "continue") and isinstance(meta, dict):
                meta.setdefault("remainingItemCount", 1)  # what the server sends with a token
            return f"delete {path}", json.dumps(_put(doc, path, None, delete=True)).encode()
        value = rng.choice(ODD)
        return f"{path} = {str(value)[:20]!r}", json.dumps(_put(doc, path, value)).encode()
    if op == "status200":
        return op, json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 200,
                               "message": "denied \x1b[31mred"}).encode()
    if op == "remaining" and isinstance(doc.get("metadata"), dict) and "items" in doc:
        doc["metadata"]["remainingItemCount"] = rng.choice([-5, "7", 3, 1.5, 10**30])
        if rng.random() < 0.5:
            doc["metadata"].pop("continue", None)
        return f"remainingItemCount {doc['metadata']['remainingItemCount']!r}", json.dumps(doc).encode()
    if op == "deep":
        return op, b'{"items":' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    if op == "many-empty":
        return op, (b'{"kind":"PodList","apiVersion":"v1","metadata":{},"items":['
                    + b",".join([b"{}"] * 200_000) + b"]}")
    if op == "groups" and isinstance(doc.get("groups"), list):
        doc["groups"] += rng.choice([
            doc["groups"],  # every group twice
            [{"name": "projectcalico.org", "versions": [{"groupVersion": "projectcalico.org/v9"}]}],
            [{"name": "\x1b[2J", "versions": [{"groupVersion": "\x1b[2J/v1", "version": "v1"}]}],
            [{"name": "cilium.io", "versions": [{"groupVersion": 5}]}],
        ])
        return "odd groups", json.dumps(doc).encode()
    return None


def _wire_tampering(
    rng: random.Random, status: int, headers: dict[str, str], body: bytes
) -> tuple[str, Reply]:
    op = rng.choice(["not-json", "truncated", "empty", "fake-gzip", "gzip", "content-type", "html",
                     "redirect", "status", "retry-after", "reset", "trickle", "head-trickle",
                     "short-length", "long-length", "no-length"])
    if op == "not-json":
        return op, Reply(200, {}, b"hello \x00\x1b]0;pwned\x07 not json")
    if op == "truncated":
        return op, Reply(status, headers, body[: rng.randrange(max(len(body), 1))])
    if op == "empty":
        return op, Reply(rng.choice([200, 204, 500]), {}, b"")
    if op == "fake-gzip":
        return op, Reply(status, {**headers, "Content-Encoding": "gzip"}, body)
    if op == "gzip":
        return op, Reply(status, {**headers, "Content-Encoding": "gzip"}, gzip.compress(body))
    if op == "content-type":
        return op, Reply(status, headers, body, content_type=rng.choice([None, "text/html", "\x1b[2J"]))
    if op == "html":
        return op, Reply(rng.choice([200, 502]), {}, HTML, content_type="text/html")
    if op == "redirect":
        code = rng.choice([300, 301, 302, 307, 308])
        return f"{op} {code}", Reply(code, {"Location": rng.choice(["/api/v1/secrets", "http://127.0.0.1:9/x"])})
    if op == "status":
        code = rng.choice([400, 405, 408, 409, 418, 422, 451])
        return f"{op} {code}", Reply(code, {}, b'{"kind":"Status","message":"m\\u001b[2J"}')
    if op == "retry-after":
        value = rng.choice(["garbage", "-5", "1e308", "nan", "inf", "Wed, 21 Oct 2099 07:28:00 GMT", "\x1b"])
        return f"{op} {value!r}", Reply(rng.choice([429, 500, 503]), {"Retry-After": value})
    if op == "reset":
        return op, Reply(status, headers, body, reset_after=rng.randrange(max(len(body), 1)))
    if op == "trickle":
        # Without a deadline for the whole answer: longer than BOUND, though each byte is quick.
        return op, Reply(status, headers, body + b" " * 4000, trickle=0.01)
    if op == "head-trickle":
        return op, Reply(status, headers, body, head_trickle=0.4)  # about 40 s of headers
    if op == "short-length":
        return op, Reply(status, headers, body, content_length=max(len(body) - 5, 0))
    if op == "long-length":
        return op, Reply(status, headers, body, content_length=len(body) + 100)
    return op, Reply(status, headers, body, content_length=-1)


# ------------------------------------------------------------------------------ one case


def _baseline(scoped: bool, tmp: Path) -> tuple[set[tuple[Any, ...]], set[Any], dict[str, str]]:
    srv = _server(scoped)
    try:
        snap = k8sviz.snapshot_cluster(kubeconfig=str(srv.kubeconfig(tmp / "base")),
                                       namespaces=["shop"] if scoped else None, progress=io.StringIO())
    finally:
        srv.stop()
    return _identities(snap), set(snap.warnings), dict(snap.coverage)


def _identities(snap: Any) -> set[tuple[Any, ...]]:
    return {(o.get("kind"), o["metadata"].get("namespace"), o["metadata"].get("name"))
            for o in snap.raw_objects()}


@pytest.fixture(scope="module")
def small_bounds() -> Any:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(live, "REQUEST_TIMEOUT", (2.0, 1.0))
        mp.setattr(live, "REQUEST_DEADLINE", 0.5)
        mp.setattr(live, "BACKOFF", (0.01,) * live.MAX_ATTEMPTS)
        mp.setattr(live, "MAX_RETRY_AFTER", 0.02)
        mp.setattr(live, "MAX_PAGES", 30)
        mp.setattr(live, "PAGE_SIZE", 2)  # every list of more than two objects is paged
        yield


@pytest.fixture(scope="module")
def baselines(small_bounds: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Any]:
    tmp = tmp_path_factory.mktemp("fuzz-base")
    return {scoped: _baseline(scoped, tmp) for scoped in (False, True)}


def _target(rng: random.Random, scoped: bool) -> tuple[str, Any]:
    lists = (["/api/v1/namespaces/shop/pods", "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies"]
             if scoped else ["/api/v1/pods", "/api/v1/namespaces",
                             "/apis/networking.k8s.io/v1/networkpolicies",
                             "/apis/projectcalico.org/v3/globalnetworkpolicies"])
    kind = rng.choice(["apis", "list", "list", "later-page", "same-token", "new-tokens",
                       *(["namespace"] if scoped else [])])
    if kind == "apis":  # the list of group versions, or one group version's resources
        path = rng.choice(["/apis", "/apis", "/apis/projectcalico.org/v3", "/apis/cilium.io/v2"])
    else:
        path = {"namespace": "/api/v1/namespaces/shop"}.get(kind) or rng.choice(lists)
    return f"{kind} {path}", lambda r: r.path == path and (kind != "later-page" or "continue" in r.query)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_tampered_answer_keeps_the_contract(seed: int, baselines: dict[bool, Any], tmp_path: Path) -> None:
    rng = random.Random(seed)
    scoped = rng.random() < 0.25
    what, matches = _target(rng, scoped)
    every_time = rng.random() < 0.5
    done: list[str] = []

    def tamper(req: Any, status: int, headers: dict[str, str], body: bytes) -> Any:
        if not matches(req):
            return None
        if what.startswith("same-token"):
            # Each page ends with the first page's (real) token: paging in a circle.
            if status != 200:
                return None
            doc = json.loads(body)
            if doc["metadata"].get("continue"):
                done.append(doc["metadata"]["continue"])
            if done:
                doc["metadata"]["continue"] = done[0]
            return 200, headers, json.dumps(doc).encode()
        if what.startswith("new-tokens"):
            done.append("token")
            doc = {"kind": "List", "apiVersion": "v1", "metadata": {"continue": f"t{len(done)}"}, "items": []}
            return 200, headers, json.dumps(doc).encode()
        if done and not every_time:
            return None
        case = random.Random(seed * 1009 + len(done))
        got = _json_tampering(case, body) if case.random() < 0.5 else None
        if got is not None:
            done.append(got[0])
            return status, headers, got[1]
        name, reply = _wire_tampering(case, status, headers, body)
        done.append(name)
        return reply

    srv = _server(scoped)
    srv.tamper = tamper
    kubeconfig = str(srv.kubeconfig(tmp_path / "kubeconfig"))
    cli = rng.random() < 0.25
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            if cli:
                err = io.StringIO()
                with contextlib.redirect_stderr(err):
                    argv = ["snapshot", "--kubeconfig", kubeconfig, "-o", str(tmp_path / "snap.json"),
                            *(["-n", "shop"] if scoped else [])]
                    outcome["status"] = main(argv)
                outcome["stderr"] = err.getvalue()
            else:
                outcome["snapshot"] = k8sviz.snapshot_cluster(
                    kubeconfig=kubeconfig, namespaces=["shop"] if scoped else None, progress=io.StringIO(),
                    concurrency=rng.choice([1, 4]))
        except K8svizError as e:
            outcome["error"] = str(e)
        except BaseException as e:
            outcome["crash"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(BOUND)
    srv.stop()
    case = f"seed {seed}: {what}, {', '.join(done[:3]) or 'untouched'}{' ...' if len(done) > 3 else ''}"
    assert not thread.is_alive(), f"{case}: no answer after {BOUND} s"
    assert "crash" not in outcome, f"{case}: {outcome.get('crash')!r}"
    assert {r.method for r in srv.requests} == {"GET"}, case
    assert not [r.path for r in srv.requests if "secret" in r.path], case
    if "error" in outcome:
        message = outcome["error"]
        assert re.search(r"\bGET /", message), f"{case}: the request is not named: {message}"
        assert not PYTHON_WORDS.search(message), f"{case}: {message}"
        assert len(message) < 1000, f"{case}: {message[:200]}..."
    elif cli:
        stderr = outcome["stderr"]
        assert outcome["status"] in (0, 2), f"{case}: {stderr}"
        assert not PYTHON_WORDS.search(stderr), f"{case}: {stderr}"
        assert not CONTROL.search(stderr.replace("\n", "")), f"{case}: {stderr!r}"
    else:
        objects, warnings, coverage = baselines[scoped]
        snap = outcome["snapshot"]
        lost = objects - _identities(snap)
        said = bool(set(snap.warnings) - warnings) or dict(snap.coverage) != coverage
        assert not lost or said, f"{case}: lost {sorted(map(str, lost))} without a warning or coverage"


def test_the_fuzz_reaches_every_kind_of_request() -> None:
    """The seeds cover each target and both kinds of tampering (a guard that fuzzes nothing passes)."""
    kinds, discovery = set(), set()
    for seed in SEEDS:
        rng = random.Random(seed)
        kind, path = _target(rng, rng.random() < 0.25)[0].split()
        kinds.add(kind)
        if kind == "apis":
            discovery.add(path)
    assert kinds == {"apis", "list", "later-page", "same-token", "new-tokens", "namespace"}
    assert discovery == {"/apis", "/apis/projectcalico.org/v3", "/apis/cilium.io/v2"}
