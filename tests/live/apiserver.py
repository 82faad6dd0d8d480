"""A small Kubernetes-API-compatible test server (stdlib only, loopback, plain HTTP or HTTPS).

It serves recorded objects the way kube-apiserver does, enough for a read-only client:

* discovery documents: ``/version``, ``/api``, ``/apis``, ``/apis/<group>/<version>``;
* lists at ``/api/v1/<plural>``, ``/apis/<g>/<v>/<plural>`` and their
  ``.../namespaces/<ns>/<plural>`` forms, as *typed* lists for built-in groups (items carry no
  ``kind``/``apiVersion``) and unstructured lists for custom resources;
* ``limit``/``continue`` paging with opaque tokens and ``metadata.remainingItemCount`` on every
  page but the last, the items after that page, as kube-apiserver counts them (etcd's count at
  the list's revision less the page's limit; it sends none for a list with selectors, which
  this server does not take);
* authentication by bearer token, or (``client_ca``) by a client certificate that CA signed, as
  kube-apiserver's x509 authenticator takes one;
* ``Status`` errors: 401 (wrong bearer token), 403 (per-resource RBAC), 404 (unknown path or
  group), 405 (any verb but GET), 410 (expired continue token), and injected faults (any
  status: 408, 429, 5xx...) with the headers given (``Retry-After``, ``Connection: close``);
* :attr:`FakeAPIServer.tamper`: a hook that rewrites any answer (status, headers, body) or
  misbehaves on the wire (a :class:`Reply` that trickles, stalls, lies about its length or
  resets the connection mid-body), as a broken proxy or a hostile server would.

Every request is recorded in :attr:`FakeAPIServer.requests` so tests can assert the client
only ever sent GETs and never asked for Secrets.
"""

from __future__ import annotations

import base64
import datetime
import io
import ipaddress
import json
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

try:
    import orjson

    def _dumps(obj: Any) -> bytes:
        return orjson.dumps(obj)
except ImportError:  # pragma: no cover

    def _dumps(obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode()


# (group/version, plural, kind, namespaced) of everything the server knows how to serve.
KNOWN: tuple[tuple[str, str, str, bool], ...] = (
    ("v1", "namespaces", "Namespace", False),
    ("v1", "nodes", "Node", False),
    ("v1", "pods", "Pod", True),
    ("v1", "services", "Service", True),
    ("v1", "serviceaccounts", "ServiceAccount", True),
    ("v1", "secrets", "Secret", True),
    ("v1", "configmaps", "ConfigMap", True),
    ("v1", "endpoints", "Endpoints", True),
    ("discovery.k8s.io/v1", "endpointslices", "EndpointSlice", True),
    ("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", True),
    ("networking.k8s.io/v1", "ingresses", "Ingress", True),
    ("apps/v1", "deployments", "Deployment", True),
    ("apps/v1", "statefulsets", "StatefulSet", True),
    ("v1", "replicationcontrollers", "ReplicationController", True),
    ("apps/v1", "daemonsets", "DaemonSet", True),
    ("apps/v1", "replicasets", "ReplicaSet", True),
    ("batch/v1", "jobs", "Job", True),
    ("batch/v1", "cronjobs", "CronJob", True),
    ("policy.networking.k8s.io/v1alpha1", "adminnetworkpolicies", "AdminNetworkPolicy", False),
    ("policy.networking.k8s.io/v1alpha1", "baselineadminnetworkpolicies",
     "BaselineAdminNetworkPolicy", False),
    ("policy.networking.k8s.io/v1beta1", "clusternetworkpolicies", "ClusterNetworkPolicy", False),
    ("policy.networking.k8s.io/v1alpha2", "clusternetworkpolicies", "ClusterNetworkPolicy", False),
    ("cilium.io/v2", "ciliumnetworkpolicies", "CiliumNetworkPolicy", True),
    ("cilium.io/v2", "ciliumclusterwidenetworkpolicies", "CiliumClusterwideNetworkPolicy", False),
    *(
        (gv, p, k, n)
        for gv in ("projectcalico.org/v3", "crd.projectcalico.org/v1")
        for p, k, n in (
            ("networkpolicies", "NetworkPolicy", True),
            ("globalnetworkpolicies", "GlobalNetworkPolicy", False),
            ("tiers", "Tier", False),
            ("networksets", "NetworkSet", True),
            ("globalnetworksets", "GlobalNetworkSet", False),
            ("stagednetworkpolicies", "StagedNetworkPolicy", True),
            ("stagedglobalnetworkpolicies", "StagedGlobalNetworkPolicy", False),
            ("stagedkubernetesnetworkpolicies", "StagedKubernetesNetworkPolicy", True),
        )
    ),
)
BUILTIN_GROUP_VERSIONS = ("v1", "discovery.k8s.io/v1", "networking.k8s.io/v1", "apps/v1", "batch/v1")
_BY_KIND = {(gv.rpartition("/")[0], k): (gv, p) for gv, p, k, _ in KNOWN}  # the last version listed
_BY_GVK = {(gv, k): (gv, p) for gv, p, k, _ in KNOWN}
_INFO = {(gv, p): (k, n) for gv, p, k, n in KNOWN}
# Old kubectl dumps may carry extensions/v1beta1 objects: serve them under today's group.
_ALIASES = {"extensions": ("apps", "networking.k8s.io")}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    #: The common name of the client certificate the connection presented (verified), if any.
    client_cert: str | None = None


@dataclass
class Reply:
    """An answer as it goes on the wire; :attr:`FakeAPIServer.tamper` may return one.

    The defaults send ``status``, ``headers`` and ``body`` as the server always does.
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: The Content-Type header (None: none at all).
    content_type: str | None = "application/json"
    #: The Content-Length header sent (None: the body's length; -1: none, the body ends when
    #: the connection closes).
    content_length: int | None = None
    #: Seconds to wait before each ``chunk`` bytes of the body (a trickle).
    trickle: float = 0.0
    chunk: int = 1
    #: Bytes of the body sent before the connection is reset (TCP RST); None: all of it.
    reset_after: int | None = None
    #: Seconds to wait before each byte of the status line and headers (a trickle before the
    #: body; the body then follows at once).
    head_trickle: float = 0.0


#: ``tamper(request, status, headers, body)``: None keeps the answer, a ``(status, headers,
#: body)`` tuple or a :class:`Reply` replaces it.
Tamper = Callable[["Request", int, dict[str, str], bytes], "tuple[int, dict[str, str], bytes] | Reply | None"]


@dataclass
class _List:
    kind: str
    namespaced: bool
    items: list[tuple[str, str, bytes]] = field(default_factory=list)  # (namespace, name, json)
    ordered: bool = True


def _status(code: int, reason: str, message: str, **details: Any) -> bytes:
    return _dumps(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "details": details,
            "code": code,
        }
    )


class FakeAPIServer:
    """Serves ``objects`` (raw Kubernetes dicts) over real HTTP(S) on ``127.0.0.1:<free port>``.

    Parameters
    ----------
    objects
        Raw objects (with ``kind``/``apiVersion``).  Secrets are served too, so tests can check
        the client never asks for them.
    token
        The bearer token the server accepts; anything else gets 401.
    serve
        Extra group versions to serve even without objects (``"cilium.io/v2"``...).
    tls
        ``(cert_file, key_file)`` to serve HTTPS.
    client_ca
        With ``tls``: a CA file; a client certificate it signed authenticates a request (a token,
        if one is sent too, is then not looked at, as kube-apiserver's union of authenticators
        takes the first that succeeds).
    """

    def __init__(
        self,
        objects: Iterable[dict[str, Any]] = (),
        *,
        token: str = "test-token",
        serve: Iterable[str] = (),
        tls: tuple[str, str] | None = None,
        client_ca: str | None = None,
    ):
        self.token = token
        self.requests: list[Request] = []
        #: Plurals (``"pods"``) or ``(plural, namespace)`` pairs the user may not list: 403.  A
        #: plural with its group (``"tiers.projectcalico.org"``) is refused in that group only,
        #: and whether or not the group is served, as RBAC answers before the resource is looked up.
        #: ``("*", namespace)`` refuses every list in that namespace (no Role there).
        self.forbidden: set[str | tuple[str, str]] = set()
        #: path -> queued ``(status, headers)`` answers, each used once before the real answer.
        self.faults: dict[str, list[tuple[int, dict[str, str]]]] = {}
        #: path -> a raw ``200`` body served instead of the real answer (a proxy's HTML page...).
        self.bodies: dict[str, bytes] = {}
        #: path -> how many continue tokens to reject with 410 Gone.
        self.expire: dict[str, int] = {}
        #: path -> how many items to leave out of its continue pages (from the first on), though
        #: its pages' remainingItemCount counted them: a server or proxy losing objects mid-list.
        self.lose: dict[str, int] = {}
        #: Send ``remainingItemCount`` (False: none, as servers before Kubernetes 1.15, or an
        #: aggregated API that does not count).
        self.count_remaining = True
        #: path -> seconds to stall before answering (to exercise client timeouts).
        self.delay: dict[str, float] = {}
        #: Answer 403 to ``GET /apis`` (discovery not readable).
        self.forbid_discovery = False
        #: Called with every answer before it is sent (see :data:`Tamper`); None: none.
        self.tamper: Tamper | None = None
        self.resource_version = 1000
        #: Requests being answered now, and the most there ever were at once.
        self.in_flight = 0
        self.max_in_flight = 0
        #: For each request, the paths being answered when it arrived (itself included).
        self.together: list[tuple[str, ...]] = []
        self._paths_now: list[str] = []
        self._lock = threading.Lock()
        self._lists: dict[tuple[str, str], _List] = {}
        #: ``(group/version, plural)`` pairs not served though their group version is: see :meth:`drop`.
        self._dropped: set[tuple[str, str]] = set()
        self.served: set[str] = set()
        for gv in (*BUILTIN_GROUP_VERSIONS, *serve):
            self.serve(gv)
        for obj in objects:
            self.add(obj)
        self._tls = tls
        self._client_ca = client_ca
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ content

    def add(self, obj: dict[str, Any]) -> None:
        group = str(obj["apiVersion"]).rpartition("/")[0]
        # An object is served at its own version when the server knows it, else at the group's.
        key = _BY_GVK.get((str(obj["apiVersion"]), obj["kind"])) or _BY_KIND.get((group, obj["kind"]))
        for alias in _ALIASES.get(group, ()):
            key = key or _BY_KIND.get((alias, obj["kind"]))
        if key is None:
            msg = f"the test server does not know {obj['kind']} ({obj['apiVersion']})"
            raise ValueError(msg)
        gv = key[0]
        kind, namespaced = _INFO[key]
        if key in self._dropped:
            msg = f"the test server was told not to serve {key[1]} in {gv}"
            raise ValueError(msg)
        self.serve(gv)
        lst = self._lists.setdefault(key, _List(kind, namespaced))
        meta = obj.get("metadata") or {}
        ns = str(meta.get("namespace") or "") if namespaced else ""
        body = dict(obj)
        if gv in BUILTIN_GROUP_VERSIONS:
            # Typed lists (PodList...) carry no kind/apiVersion on their items.
            body.pop("kind", None)
            body.pop("apiVersion", None)
        else:
            body["apiVersion"] = gv
        lst.items.append((ns, str(meta["name"]), _dumps(body)))
        lst.ordered = False

    def serve(self, gv: str) -> None:
        """Serve a group version (its known resources list empty until objects are added)."""
        self.served.add(gv)
        for kgv, plural, kind, namespaced in KNOWN:
            if kgv == gv and (gv, plural) not in self._dropped:
                self._lists.setdefault((gv, plural), _List(kind, namespaced))

    def drop(self, gv: str, plural: str) -> None:
        """Serve ``gv`` without ``plural``, as a cluster whose CRDs (or aggregated API) are of an
        older release does: ``cilium.io/v2`` without ``ciliumclusterwidenetworkpolicies``,
        ``projectcalico.org/v3`` without ``tiers``.  Its discovery document leaves it out and its
        list answers 404, as kube-apiserver's do."""
        self.serve(gv)
        self._dropped.add((gv, plural))
        self._lists.pop((gv, plural), None)

    def add_many(self, objects: Iterable[dict[str, Any]]) -> None:
        for obj in objects:
            self.add(obj)

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"{'https' if self._tls else 'http'}://{host}:{port}"

    def start(self) -> FakeAPIServer:
        server = self

        class Handler(_Handler):
            api = server

        httpd = _Server(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        if self._tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self._tls)
            if self._client_ca:
                ctx.verify_mode = ssl.CERT_OPTIONAL
                ctx.load_verify_locations(cafile=self._client_ca)
            httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeAPIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ answering

    def answer(self, req: Request) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append(req)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._paths_now.append(req.path)
            self.together.append(tuple(self._paths_now))
        try:
            return self._answer(req)
        finally:
            with self._lock:
                self.in_flight -= 1
                self._paths_now.remove(req.path)

    def reply(self, req: Request) -> Reply:
        """:meth:`answer`, through :attr:`tamper` if set."""
        code, headers, body = self.answer(req)
        if self.tamper is None:
            return Reply(code, headers, body)
        got = self.tamper(req, code, dict(headers), body)
        if got is None:
            return Reply(code, headers, body)
        return got if isinstance(got, Reply) else Reply(*got)

    def _answer(self, req: Request) -> tuple[int, dict[str, str], bytes]:
        if req.method != "GET":
            return 405, {}, _status(405, "MethodNotAllowed", f"the test server is read-only ({req.method})")
        if req.client_cert is None and req.headers.get("authorization") != f"Bearer {self.token}":
            return 401, {}, _status(401, "Unauthorized", "Unauthorized")
        if req.path in self.delay:
            time.sleep(self.delay[req.path])
        with self._lock:
            queued = self.faults.get(req.path)
            fault = queued.pop(0) if queued else None
        if fault is not None:
            code, headers = fault
            reason = {408: "Timeout", 409: "Conflict", 418: "Teapot", 429: "TooManyRequests"}.get(
                code, "InternalError")
            return code, headers, _status(code, reason, f"injected {code}")
        if req.path in self.bodies:
            return 200, {}, self.bodies[req.path]
        path = req.path.rstrip("/") or "/"
        if path == "/version":
            return 200, {}, _dumps({"major": "1", "minor": "31", "gitVersion": "v1.31.0-k8sviz-test"})
        if path == "/api":
            versions = {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
            return 200, {}, _dumps(versions)
        if path == "/apis":
            if self.forbid_discovery:
                return 403, {}, _status(403, "Forbidden", 'forbidden: User "auditor" cannot get path "/apis"')
            return 200, {}, self._group_list()
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[0] == "api" and len(parts) >= 2:
            gv, rest = parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 3:
            gv, rest = f"{parts[1]}/{parts[2]}", parts[3:]
        else:
            return self._not_found()
        denied = self._denied_in_group(gv, rest)
        if denied is not None:
            return denied
        if gv not in self.served:
            return self._not_found()
        if not rest:
            return 200, {}, self._resource_list(gv)
        if gv == "v1" and len(rest) == 2 and rest[0] == "namespaces":
            return self._get_namespace(rest[1])
        namespace: str | None = None
        if len(rest) == 3 and rest[0] == "namespaces":
            namespace, plural = rest[1], rest[2]
        elif len(rest) == 1:
            plural = rest[0]
        else:
            return self._not_found()
        lst = self._lists.get((gv, plural))
        if lst is None or (namespace is not None and not lst.namespaced):
            return self._not_found()
        if plural in self.forbidden or (namespace is not None and ((plural, namespace) in self.forbidden
                                                                   or ("*", namespace) in self.forbidden)):
            scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
            group = gv.rpartition("/")[0]
            msg = (f'{plural} is forbidden: User "auditor" cannot list resource "{plural}" '
                   f'in API group "{group}" {scope}')
            return 403, {}, _status(403, "Forbidden", msg, group=group, kind=plural)
        return self._list(req, gv, plural, lst, namespace)

    def _denied_in_group(self, gv: str, rest: list[str]) -> tuple[int, dict[str, str], bytes] | None:
        """The 403 for a list refused by its group-qualified name in :attr:`forbidden`, if any."""
        group = gv.rpartition("/")[0]
        if not group or len(rest) not in (1, 3) or (len(rest) == 3 and rest[0] != "namespaces"):
            return None
        plural, namespace = rest[-1], (rest[1] if len(rest) == 3 else None)
        qualified = f"{plural}.{group}"
        if qualified not in self.forbidden and (qualified, namespace) not in self.forbidden:
            return None
        scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        msg = (f'{plural} is forbidden: User "auditor" cannot list resource "{plural}" in API group '
               f'"{group}" {scope}')
        return 403, {}, _status(403, "Forbidden", msg, group=group, kind=plural)

    def _get_namespace(self, name: str) -> tuple[int, dict[str, str], bytes]:
        """GET one Namespace; ``("get-namespace", name)`` in ``forbidden`` refuses it."""
        if ("get-namespace", name) in self.forbidden:
            msg = f'namespaces "{name}" is forbidden: User "auditor" cannot get resource "namespaces"'
            return 403, {}, _status(403, "Forbidden", msg, name=name, kind="namespaces")
        lst = self._lists.get(("v1", "namespaces"))
        for _, item_name, data in lst.items if lst else ():
            if item_name == name:
                obj = {"kind": "Namespace", "apiVersion": "v1", **json.loads(data)}
                return 200, {}, _dumps(obj)
        return self._not_found()

    def _not_found(self) -> tuple[int, dict[str, str], bytes]:
        return 404, {}, _status(404, "NotFound", "the server could not find the requested resource")

    def _list(
        self, req: Request, gv: str, plural: str, lst: _List, namespace: str | None
    ) -> tuple[int, dict[str, str], bytes]:
        if not lst.ordered:
            with self._lock:
                lst.items.sort(key=lambda t: (t[0], t[1]))
                lst.ordered = True
        items = lst.items if namespace is None else [t for t in lst.items if t[0] == namespace]
        limit = int((req.query.get("limit") or ["0"])[0] or 0)
        token = (req.query.get("continue") or [""])[0]
        start, rv = 0, str(self.resource_version)
        if token:
            with self._lock:
                expired = self.expire.get(req.path, 0) > 0
                if expired:
                    self.expire[req.path] -= 1
            if expired:
                msg = ("The provided continue parameter is too old to display a consistent list result. "
                       "You can start a new list without the continue parameter.")
                return 410, {}, _status(410, "Expired", msg)
            try:
                state = json.loads(base64.urlsafe_b64decode(token.encode()))
                start, rv = int(state["start"]), str(state["rv"])
            except (ValueError, KeyError, TypeError):
                return 400, {}, _status(400, "BadRequest", "continue key is not valid")
        end = len(items) if limit <= 0 else min(start + limit, len(items))
        meta: dict[str, Any] = {"resourceVersion": rv}
        if end < len(items):
            meta["continue"] = base64.urlsafe_b64encode(_dumps({"rv": rv, "start": end})).decode()
            if self.count_remaining:
                meta["remainingItemCount"] = len(items) - end
        page = items[start:end]
        if token:
            with self._lock:
                lost = min(self.lose.get(req.path, 0), len(page))
                if lost:
                    self.lose[req.path] -= lost
            page = page[lost:]
        head = _dumps({"kind": f"{lst.kind}List", "apiVersion": gv, "metadata": meta})
        body = head[:-1] + b',"items":[' + b",".join(t[2] for t in page) + b"]}"
        return 200, {}, body

    def _group_list(self) -> bytes:
        groups: dict[str, list[str]] = {}
        for gv in sorted(self.served):
            if "/" in gv:
                g, _, v = gv.partition("/")
                groups.setdefault(g, []).append(v)
        return _dumps(
            {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [
                    {
                        "name": g,
                        "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in vs],
                        "preferredVersion": {"groupVersion": f"{g}/{vs[-1]}", "version": vs[-1]},
                    }
                    for g, vs in groups.items()
                ],
            }
        )

    def _resource_list(self, gv: str) -> bytes:
        """``GET /apis/<group>/<version>`` (or ``/api/v1``): the APIResourceList of legacy discovery,
        as kube-apiserver serves it, custom resources with their ``/status`` subresource."""
        resources: list[dict[str, Any]] = []
        for (g, p), lst in sorted(self._lists.items()):
            if g != gv:
                continue
            resources.append({"name": p, "singularName": lst.kind.lower(), "namespaced": lst.namespaced,
                              "kind": lst.kind, "verbs": ["get", "list", "watch"],
                              "storageVersionHash": "k8sviz=="})
            if gv not in BUILTIN_GROUP_VERSIONS:
                resources.append({"name": f"{p}/status", "singularName": "", "namespaced": lst.namespaced,
                                  "kind": lst.kind, "verbs": ["get", "patch", "update"]})
        return _dumps({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                       "resources": resources})

    # ------------------------------------------------------------------ client side

    def kubeconfig(
        self, path: Path, *, token: str | None = None, ca_file: str | None = None, context: str = "test-ctx"
    ) -> Path:
        """Write a kubeconfig for this server (bearer token, optional CA) to ``path``."""
        cluster: dict[str, Any] = {"server": self.url}
        if ca_file:
            cluster["certificate-authority-data"] = base64.b64encode(Path(ca_file).read_bytes()).decode()
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "test-cluster", "cluster": cluster}],
            "users": [{"name": "auditor", "user": {"token": token or self.token}}],
            "contexts": [{"name": context, "context": {"cluster": "test-cluster", "user": "auditor"}}],
            "current-context": context,
        }
        path.write_text(json.dumps(doc, indent=1))
        return path


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up is expected in tests; anything else is printed.
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    api: FakeAPIServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the client's connection pool expects
    disable_nagle_algorithm = True  # headers and body go out at once, no delayed-ACK stalls

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        peer = self.connection.getpeercert() if isinstance(self.connection, ssl.SSLSocket) else None
        names = [v for rdn in (peer or {}).get("subject", ()) for k, v in rdn if k == "commonName"]
        req = Request(
            self.command, url.path, parse_qs(url.query), {k.lower(): v for k, v in self.headers.items()},
            names[0] if names else None,
        )
        reply = self.api.reply(req)
        body = reply.body
        if reply.head_trickle > 0:
            head = (f"HTTP/1.1 {reply.status} Trickle\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()
            for i in range(len(head)):
                time.sleep(reply.head_trickle)
                self.wfile.write(head[i : i + 1])
                self.wfile.flush()
            self.wfile.write(body)
            return
        self.send_response(reply.status)
        if reply.content_type is not None:
            self.send_header("Content-Type", reply.content_type)
        if reply.content_length is None:
            self.send_header("Content-Length", str(len(body)))
        elif reply.content_length >= 0:
            self.send_header("Content-Length", str(reply.content_length))
        if reply.content_length is not None:
            self.close_connection = True  # the body no longer says where the next answer starts
        for k, v in reply.headers.items():
            self.send_header(k, v)
        self.end_headers()
        if reply.reset_after is not None:
            self.wfile.write(body[: reply.reset_after])
            self.wfile.flush()
            # SO_LINGER 0: close() sends a TCP RST instead of a FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            # The socket closes once its files are closed too (a shutdown would send a FIN first).
            self.wfile.close()
            self.rfile.close()
            self.connection.close()
            self.wfile = io.BytesIO()  # for the server's own flush after this answer
            return
        if reply.trickle <= 0:
            self.wfile.write(body)
            return
        for i in range(0, len(body), max(reply.chunk, 1)):
            time.sleep(reply.trickle)
            self.wfile.write(body[i : i + max(reply.chunk, 1)])
            self.wfile.flush()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass


# ---------------------------------------------------------------------- TLS material


def make_tls(directory: Path) -> tuple[str, str, str]:
    """A self-signed CA and a server certificate for 127.0.0.1: ``(ca, cert, key)`` files; with
    cryptography, also a client certificate of that CA for the user ``auditor``:
    ``client.crt`` and ``client.key`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca, cert, key = directory / "ca.crt", directory / "server.crt", directory / "server.key"
    try:
        _tls_cryptography(ca, cert, key)
    except ImportError:  # pragma: no cover - cryptography is usually installed
        _tls_openssl(directory, ca, cert, key)
    return str(ca), str(cert), str(key)


def _tls_cryptography(ca: Path, cert: Path, key: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "k8sviz-test-ca")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    srv_key = ec.generate_private_key(ec.SECP256R1())
    srv_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name)
        .public_key(srv_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    client_key = ec.generate_private_key(ec.SECP256R1())
    client_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "auditor")]))
        .issuer_name(ca_name)
        .public_key(client_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    (ca.parent / "client.crt").write_bytes(client_cert.public_bytes(serialization.Encoding.PEM))
    (ca.parent / "client.key").write_bytes(
        client_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert.write_bytes(srv_cert.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        srv_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


def _tls_openssl(directory: Path, ca: Path, cert: Path, key: Path) -> None:  # pragma: no cover
    ca_key = directory / "ca.key"
    csr = directory / "server.csr"
    ext = directory / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", str(ca_key), "-out", str(ca), "-days", "1", "-subj", "/CN=k8sviz-test-ca")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", str(key), "-out", str(csr), "-subj", "/CN=kube-apiserver")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
        "-out", str(cert), "-days", "1", "-extfile", str(ext))
