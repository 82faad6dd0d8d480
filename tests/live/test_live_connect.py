"""Connecting, and requests given up on: ``snapshot_cluster(timeout=)`` / ``--timeout`` against a
server that cannot be reached, and what a request left behind at the deadline becomes."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_live import TOKEN, small

import k8sviz
from k8sviz.cli import main
from k8sviz.errors import LiveError


def kubeconfig_for(tmp_path: Path, server: str) -> str:
    path = tmp_path / "kc"
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "x", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "c", "context": {"cluster": "x", "user": "u"}}],
    }))
    return str(path)


def refused_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A loopback port whose connections are never accepted: its accept queue (backlog 0) is
    held full by one connection nobody accepts, so Linux drops every further SYN and a connect
    waits until its own timeout, as to an address that never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    filler = socket.create_connection(("127.0.0.1", port), timeout=5)
    probe = socket.socket()
    probe.settimeout(0.5)
    try:
        try:
            probe.connect(("127.0.0.1", port))
        except TimeoutError:
            pass
        else:
            pytest.skip("this system accepts connections past a full accept queue")
        finally:
            probe.close()
        yield port
    finally:
        filler.close()
        listener.close()


def request_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("k8sviz-")]


def wait_for_no_request_threads(bound: float = 15.0) -> list[threading.Thread]:
    """The k8sviz threads still alive after waiting up to ``bound`` seconds for them to end (a
    generous bound: what is asserted is that they end, not how fast)."""
    end = time.monotonic() + bound
    while request_threads() and time.monotonic() < end:
        time.sleep(0.05)
    return request_threads()


@pytest.mark.parametrize("timeout", [0.05, 0.3, 2, None])
def test_a_refused_connection_is_cannot_reach_whatever_the_timeout(tmp_path: Path, timeout: Any) -> None:
    # urllib3 retries a refused connection after a backoff (0.4 s): a timeout shorter than that
    # reported "no complete answer had arrived after 0.3 s (its status line and headers still
    # arriving)", which blamed a slow server for a wrong address.
    url = f"http://127.0.0.1:{refused_port()}"
    with pytest.raises(LiveError) as e:
        k8sviz.snapshot_cluster(kubeconfig=kubeconfig_for(tmp_path, url), timeout=timeout)
    message = str(e.value)
    assert message.startswith(f"cannot reach the API server at {url} (GET /apis): "), message
    assert "Connection refused" in message
    assert "Connection(" not in message and "Errno" not in message
    assert message.endswith("and the network path to it (VPN, proxy, firewall)")
    assert not wait_for_no_request_threads()


@pytest.mark.parametrize("timeout", [0.5, 2])
def test_an_address_that_never_answers_is_cannot_reach_under_a_short_timeout(
    tmp_path: Path, black_hole: int, timeout: float
) -> None:
    # Under the connect timeout (5 s) the deadline passed first: "its status line and headers
    # still arriving", when no connection had been made.
    url = f"http://127.0.0.1:{black_hole}"
    with pytest.raises(LiveError) as e:
        k8sviz.snapshot_cluster(kubeconfig=kubeconfig_for(tmp_path, url), timeout=timeout)
    message = str(e.value)
    assert message.startswith(f"cannot reach the API server at {url} (GET /apis): "), message
    assert "timed out" in message
    # In words: not urllib3's repr of the connection ("(<HTTPConnection(host=...) at 0x...>, ...").
    assert "Connection(" not in message and "<" not in message
    assert message.endswith("and the network path to it (VPN, proxy, firewall)")
    # The connection attempt given up on ends too (its connect timeout is the deadline).
    assert not wait_for_no_request_threads()


def test_the_cli_says_cannot_reach_under_a_short_timeout(
    tmp_path: Path, black_hole: int, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s.json"
    kc = kubeconfig_for(tmp_path, f"http://127.0.0.1:{black_hole}")
    assert main(["snapshot", "--kubeconfig", kc, "--timeout", "0.5", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"k8sviz: error: cannot reach the API server at http://127.0.0.1:{black_hole} "
                          "(GET /apis): ")
    assert err.count("\n") == 1 and not out.exists()


def test_a_request_given_up_at_the_deadline_does_not_outlive_the_snapshot(
    apiserver: Any, tmp_path: Path
) -> None:
    # The server sits on the answer for a minute.  The snapshot fails at its deadline; the
    # request's thread, left behind, used to hold its socket until the server answered.
    srv = apiserver(small())
    srv.delay["/api/v1/services"] = 60.0
    kc = str(srv.kubeconfig(tmp_path / "kc"))
    with pytest.raises(LiveError, match=r"^GET /api/v1/services: no complete answer had arrived after 0.5 s"):
        k8sviz.snapshot_cluster(kubeconfig=kc, timeout=0.5)
    assert not wait_for_no_request_threads()
    # One at a time too (no list threads: the request's own thread only).
    srv.delay["/api/v1/nodes"] = 60.0
    with pytest.raises(LiveError, match=r"^GET /api/v1/nodes: no complete answer had arrived after 0.5 s"):
        k8sviz.snapshot_cluster(kubeconfig=kc, timeout=0.5, concurrency=1)
    assert not wait_for_no_request_threads()


def test_lists_under_way_when_another_fails_end_with_it(
    apiserver: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from k8sviz.sources import live

    monkeypatch.setattr(live, "BACKOFF", (0.01,) * live.MAX_ATTEMPTS)
    srv = apiserver(small())
    srv.delay["/api/v1/pods"] = 60.0  # under way for a minute when deployments fail
    srv.faults["/apis/apps/v1/deployments"] = [(500, {})] * 10
    with pytest.raises(LiveError, match=r"^GET /apis/apps/v1/deployments: the API server answered HTTP 500"):
        k8sviz.snapshot_cluster(kubeconfig=str(srv.kubeconfig(tmp_path / "kc")))
    assert not wait_for_no_request_threads()


@pytest.mark.parametrize("concurrency", [1, 4])
def test_ctrl_c_in_python_ends_the_requests_under_way(
    apiserver: Any, tmp_path: Path, concurrency: int
) -> None:
    # The CLI exits on Ctrl-C; a notebook or other Python caller goes on, and was left with the
    # request's thread and socket until the server answered.
    import signal

    srv = apiserver(small())
    srv.delay["/api/v1/services"] = 60.0
    main_thread = threading.get_ident()

    def interrupt_once_under_way() -> None:
        end = time.monotonic() + 30
        while "/api/v1/services" not in {r.path for r in srv.requests} and time.monotonic() < end:
            time.sleep(0.02)
        signal.pthread_kill(main_thread, signal.SIGINT)

    interrupter = threading.Thread(target=interrupt_once_under_way)
    interrupter.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            k8sviz.snapshot_cluster(kubeconfig=str(srv.kubeconfig(tmp_path / "kc")), concurrency=concurrency)
    finally:
        interrupter.join()
    assert not wait_for_no_request_threads()


def test_a_refused_connection_is_said_without_the_connection_objects_repr() -> None:
    """urllib3 2.5 (the floor) names the connection by Python's default repr ("<...HTTPConnection
    object at 0x7f...>: Failed to establish ..."), which the message carried; later releases
    write ``HTTPConnection(host=..., port=...)``, which was already left out."""
    import urllib3

    from k8sviz.sources.live import _reason

    class HTTPConnection:  # no __repr__ of its own, as urllib3 2.5's
        pass

    e = urllib3.exceptions.NewConnectionError(
        HTTPConnection(), "Failed to establish a new connection: [Errno 111] Connection refused")
    assert "object at 0x" in str(e)
    assert _reason(e) == "Failed to establish a new connection: Connection refused"


def test_no_request_starts_once_the_snapshot_has_stopped(apiserver: Any, tmp_path: Path) -> None:
    """stop() (the snapshot failed, or Ctrl-C) ends the requests under way; one asked for in the
    moment between a list's check of ``stopped`` and its start was not under way yet, so it ran
    on to the server's answer after the snapshot had ended.  The check and the start are now one
    step with stop(): such a request is never sent."""
    from k8sviz.sources import live

    srv = apiserver(small())
    api, _, _ = live._api_client(str(srv.kubeconfig(tmp_path / "kc")), None, False)
    try:
        reader = live._Reader(api, live._Progress(None), deadline=5)
        status, _ = reader.get("/api/v1/namespaces")
        assert status == 200 and len(srv.requests) == 1
        reader.stop()
        # past get()'s own check, as a list that checked just before stop() is
        sent: list[str] = []

        def fetch() -> tuple[int, Any, bytes]:
            sent.append("/api/v1/services")
            status, data = reader.get("/api/v1/services")
            return status, {}, data

        with pytest.raises(live._Stopped):
            reader._within_deadline(fetch, live._Call())
        assert sent == [] and len(srv.requests) == 1 and not request_threads()
    finally:
        api.close()


class LoopbackServer:
    """A loopback port whose connections are each served by ``_serve`` in a thread of their own,
    until :meth:`close`."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._accept, daemon=True)]

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() waiting on it
        self.listener.close()
        for thread in self.threads:
            thread.join(5)


class StalledTLS(LoopbackServer):
    """A loopback TLS port that takes connections and never completes a handshake.  ``silent``:
    it sends nothing after the client's ClientHello.  ``trickle``: it sends its real answer (a
    ServerHello and the rest of its first flight, made by ssl for the ClientHello received) one
    byte a second, so that no wait for the next byte is long."""

    def __init__(self, mode: str, cert: str, key: str) -> None:
        self.mode = mode
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        super().__init__()
        self.url = f"https://{self.address}"
        #: Bytes of the ServerHello sent, over every connection.
        self.sent = 0
        self.threads[0].start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            hello = conn.recv(65536)
            if self.mode == "trickle":
                incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
                tls = self.ctx.wrap_bio(incoming, outgoing, server_side=True)
                incoming.write(hello)
                with contextlib.suppress(ssl.SSLWantReadError):
                    tls.do_handshake()  # waits for the client's next flight: never given
                flight = outgoing.read()
                assert flight[0] == 0x16 and flight[5] == 0x02  # a handshake record: ServerHello
                for byte in flight:
                    if self.stop.is_set():
                        return
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:  # the client gave up and closed the connection
                        return
                    self.sent += 1
                    self.stop.wait(1.0)
            self.stop.wait(60)


@pytest.mark.parametrize("mode", ["silent", "trickle"])
@pytest.mark.parametrize(("timeout", "connect", "bound"), [
    # The snapshot's timeout is shorter than the connect timeout, and is it too.
    (1.5, None, "1.5 s (the timeout given)"),
    # The connect timeout (5 s; 2 s here) bounds the whole handshake under a longer timeout,
    # however the server trickles it: each read waits one second, never two.
    (30, 2.0, "2 s (the time given to connect, the handshake included)"),
])
def test_a_tls_handshake_that_never_finishes_is_said_within_the_timeout(
    tmp_path: Path, tls_files: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch,
    mode: str, timeout: float, connect: float | None, bound: str,
) -> None:
    # It was "Pool(host='127.0.0.1', port=N): Read timed out. (read timeout=5.0); the server
    # accepted the connection but did not answer in time: it may be overloaded" past the connect
    # timeout (urllib3 calls a handshake's timeout a read timeout), and "no complete answer had
    # arrived after 1.5 s (its TLS handshake still arriving) ... misbehaving" at a shorter timeout.
    from k8sviz.sources import live

    if connect is not None:
        monkeypatch.setattr(live, "REQUEST_TIMEOUT", (connect, live.REQUEST_TIMEOUT[1]))
    ca, cert, key = tls_files
    server = StalledTLS(mode, cert, key)
    try:
        path = tmp_path / "kc"
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "c",
            "clusters": [{"name": "x", "cluster": {"server": server.url, "certificate-authority": ca}}],
            "users": [{"name": "u", "user": {"token": "t"}}],
            "contexts": [{"name": "c", "context": {"cluster": "x", "user": "u"}}],
        }))
        with pytest.raises(LiveError) as e:
            k8sviz.snapshot_cluster(kubeconfig=str(path), timeout=timeout)
        assert str(e.value) == (
            f"cannot reach the API server at {server.url} (GET /apis): the TLS handshake had not finished "
            f"after {bound}: the server took the connection but did not complete the handshake; a proxy, "
            "load balancer or firewall that takes connections and holds them does this, or a server too "
            f"loaded to answer: check the server address in context c (user u) of kubeconfig {path}, and "
            "the network path to it (VPN, proxy, firewall)")
        assert (server.sent > 0) == (mode == "trickle")
        assert not wait_for_no_request_threads()
    finally:
        server.close()


class StalledProxy(LoopbackServer):
    """A loopback HTTP proxy that takes connections and reads the CONNECT request of each.
    ``silent``: it never answers it.  ``tunnel``: it answers ``200 Connection established`` and
    then reads what comes through the tunnel (a TLS ClientHello, for the API server it never
    connects to) and sends nothing: a TLS handshake that never finishes."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        super().__init__()
        #: The request line each connection sent, and the first bytes sent through its tunnel.
        self.requests: list[bytes] = []
        self.tunnelled: list[bytes] = []
        self.threads[0].start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            head = b""
            with contextlib.suppress(OSError):
                while b"\r\n\r\n" not in head:
                    got = conn.recv(4096)
                    if not got:
                        return
                    head += got
            self.requests.append(head.split(b"\r\n", 1)[0])
            if self.mode == "tunnel":
                with contextlib.suppress(OSError):
                    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    self.tunnelled.append(conn.recv(65536))
            self.stop.wait(60)


def through_proxy(tmp_path: Path, ca: str, proxy: str, source: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A kubeconfig of the API server https://192.0.2.1:9 (a documentation address, never
    reached: the proxy does not connect on; not a loopback one, which kubectl never sends to the
    environment's proxy) whose requests go through ``proxy``, set by the kubeconfig's ``proxy-url`` or by
    ``HTTPS_PROXY`` (``source``).  The client reads neither before kubernetes 37 (the floors job
    runs 31): k8sviz does, as kubectl does."""
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    cluster: dict[str, Any] = {"server": "https://192.0.2.1:9", "certificate-authority": ca}
    if source == "proxy-url":
        cluster["proxy-url"] = proxy
    else:  # read by k8sviz where the client does not (before kubernetes 37), as kubectl reads it
        monkeypatch.setenv("HTTPS_PROXY", proxy)
    path = tmp_path / "kc"
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "x", "cluster": cluster}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "c", "context": {"cluster": "x", "user": "u"}}],
    }))
    return path


@pytest.mark.parametrize("source", ["proxy-url", "HTTPS_PROXY"])
@pytest.mark.parametrize(("timeout", "connect", "bound"), [
    (1.5, None, "1.5 s (the timeout given)"),
    (30, 2.0, "2 s (the time given to connect, the proxy's answer included)"),
])
def test_a_proxy_that_never_answers_connect_is_named_not_the_api_server(
    tmp_path: Path, tls_files: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch,
    source: str, timeout: float, connect: float | None, bound: str,
) -> None:
    # It was "the TLS handshake had not finished after 2 s ...: the server took the connection but
    # did not complete the handshake": the API server was blamed for the proxy's silence.
    from k8sviz.sources import live

    if connect is not None:
        monkeypatch.setattr(live, "REQUEST_TIMEOUT", (connect, live.REQUEST_TIMEOUT[1]))
    proxy = StalledProxy("silent")
    try:
        # The user and password of the proxy's URL are never shown.
        path = through_proxy(tmp_path, tls_files[0], f"http://k8sviz:proxy-secret-42@{proxy.address}",
                             source, monkeypatch)
        with pytest.raises(LiveError) as e:
            k8sviz.snapshot_cluster(kubeconfig=str(path), timeout=timeout)
        set_by = ("set by HTTPS_PROXY in the environment" if source == "HTTPS_PROXY"
                  else f"the proxy-url of context c (user u) of kubeconfig {path}")
        assert str(e.value) == (
            f"cannot reach the API server at https://192.0.2.1:9 (GET /apis): the proxy "
            f"'http://[credentials not shown]@{proxy.address}' ({set_by}) took the connection but had not "
            f"answered the request to open a tunnel to the API server (HTTP CONNECT) after {bound}: the "
            "proxy, not the API server, did not answer; check that the proxy is up and lets this machine "
            "through to the API server, and that it is the proxy to use")
        assert proxy.requests and {r[:-1] for r in proxy.requests} == {b"CONNECT 192.0.2.1:9 HTTP/1."}
        assert not wait_for_no_request_threads()
    finally:
        proxy.close()


@pytest.mark.parametrize("source", ["proxy-url", "HTTPS_PROXY"])
def test_a_tls_handshake_stalled_through_a_proxy_is_the_api_servers(
    tmp_path: Path, tls_files: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch, source: str,
) -> None:
    # The proxy opened the tunnel: what does not answer is at its other end.
    proxy = StalledProxy("tunnel")
    try:
        path = through_proxy(tmp_path, tls_files[0], f"http://{proxy.address}", source, monkeypatch)
        with pytest.raises(LiveError) as e:
            k8sviz.snapshot_cluster(kubeconfig=str(path), timeout=1.5)
        assert str(e.value) == (
            "cannot reach the API server at https://192.0.2.1:9 (GET /apis): the TLS handshake had not "
            "finished after 1.5 s (the timeout given): the server took the connection but did not complete "
            "the handshake; a proxy, load balancer or firewall that takes connections and holds them does "
            f"this, or a server too loaded to answer: check the server address in context c (user u) of "
            f"kubeconfig {path}, and the network path to it (VPN, proxy, firewall)")
        assert proxy.requests and {r[:-1] for r in proxy.requests} == {b"CONNECT 192.0.2.1:9 HTTP/1."}
        assert proxy.tunnelled and proxy.tunnelled[0][:1] == b"\x16"  # a TLS handshake record: ClientHello
        assert not wait_for_no_request_threads()
    finally:
        proxy.close()


class TunnellingProxy(StalledProxy):
    """A loopback HTTP proxy that opens the tunnel each CONNECT request asks for, and carries the
    bytes both ways, when the request's Proxy-Authorization is ``authorization`` (else it answers
    407, as a proxy wanting a user and password does)."""

    def __init__(self, authorization: str) -> None:
        self.authorization = authorization
        #: The headers of each CONNECT request, their names in lowercase.
        self.headers: list[dict[str, str]] = []
        super().__init__("tunnel")

    def _serve(self, conn: socket.socket) -> None:
        import select

        with conn:
            conn.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head:
                got = conn.recv(4096)
                if not got:
                    return
                head += got
            first, *lines = head.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
            self.requests.append(first.encode())
            headers = dict(line.split(": ", 1) for line in lines)
            self.headers.append({name.lower(): value for name, value in headers.items()})
            if self.headers[-1].get("proxy-authorization") != self.authorization:
                conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                             b"Proxy-Authenticate: Basic realm=\"k8sviz\"\r\nContent-Length: 0\r\n\r\n")
                return
            host, port = first.split()[1].rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=10) as upstream:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                while not self.stop.is_set():
                    for ready in select.select([conn, upstream], [], [], 0.2)[0]:
                        try:
                            data = ready.recv(65536)
                            if data:
                                (upstream if ready is conn else conn).sendall(data)
                        except OSError:
                            data = b""
                        if not data:
                            return


def test_the_user_and_password_of_a_proxys_url_are_sent_to_it(
    apiserver: Any, tmp_path: Path, tls_files: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # kubectl sends them (Proxy-Authorization, basic: Go's net/http); urllib3 takes none from a
    # proxy's URL, so the client sent none, and the proxy's 407 was "('Unable to connect to proxy',
    # OSError('Tunnel connection failed: 407 Proxy Authentication Required'))".
    import base64

    ca, cert, key = tls_files
    srv = apiserver(small(), token=TOKEN, tls=(cert, key))
    expected = "Basic " + base64.b64encode(b"k8sviz auditor:p@ss:w0rd").decode()
    proxy = TunnellingProxy(expected)
    try:
        for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
            monkeypatch.delenv(name, raising=False)
        doc = json.loads(srv.kubeconfig(tmp_path / "kc", ca_file=ca).read_text())
        path = tmp_path / "proxied"

        def through(url: str) -> None:
            doc["clusters"][0]["cluster"]["proxy-url"] = url
            path.write_text(json.dumps(doc))

        # Percent-escaped in the URL, as a user and password with ':' or '@' must be.
        through(f"http://k8sviz%20auditor:p%40ss%3Aw0rd@{proxy.address}")
        assert len(k8sviz.snapshot_cluster(kubeconfig=str(path)).pods) == 2
        assert proxy.headers and {h.get("proxy-authorization") for h in proxy.headers} == {expected}
        assert {r[:-1] for r in proxy.requests} == {f"CONNECT {srv.url[len('https://'):]} HTTP/1.".encode()}
        # To the proxy only: the API server's requests (inside the tunnel) do not carry them.
        assert srv.requests and not [r for r in srv.requests if "proxy-authorization" in
                                     {k.lower() for k in r.headers}]
        where = f"(the proxy-url of context test-ctx (user auditor) of kubeconfig {path})"
        for url, said in [
            (f"http://k8sviz:wrong@{proxy.address}",
             "it did not take the user and password of its URL: check them"),
            (f"http://{proxy.address}", "it wants a user and password: give them in the proxy's URL "
                                        "(http://USER:PASSWORD@host:port), as kubectl takes them"),
        ]:
            through(url)
            with pytest.raises(LiveError) as e:
                k8sviz.snapshot_cluster(kubeconfig=str(path))
            shown = f"http://{'[credentials not shown]@' if '@' in url else ''}{proxy.address}"
            assert str(e.value) == (
                f"cannot reach the API server at {srv.url} (GET /apis): the proxy '{shown}' {where} refused "
                "to open a tunnel to the API server (HTTP CONNECT): it answered HTTP 407 Proxy "
                f"Authentication Required; {said}")
    finally:
        proxy.close()


class RefusingProxy(StalledProxy):
    """A loopback HTTP proxy that answers every CONNECT request with ``status``."""

    def __init__(self, status: str) -> None:
        self.status = status
        super().__init__("refuse")

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head:
                got = conn.recv(4096)
                if not got:
                    return
                head += got
            self.requests.append(head.split(b"\r\n", 1)[0])
            conn.sendall(f"HTTP/1.1 {self.status}\r\nContent-Length: 0\r\n\r\n".encode())


@pytest.mark.parametrize(("status", "said"), [
    ("403 Forbidden", "HTTP 403 Forbidden; it does not let this machine through to the API server's address "
                      "and port: check that it is the proxy to use, or ask its administrators"),
    # The proxy's own words for its status are not shown: the status's name is.
    ("502 <script>upstream down", "HTTP 502 Bad Gateway; it could not reach the API server, or is failing: "
                                  "check the server address in context c (user u) of kubeconfig {path}, and "
                                  "that the proxy can reach it"),
])
def test_a_proxy_refusing_the_tunnel_is_said_in_words(
    tmp_path: Path, tls_files: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch, status: str, said: str
) -> None:
    proxy = RefusingProxy(status)
    try:
        path = through_proxy(tmp_path, tls_files[0], f"http://{proxy.address}", "proxy-url", monkeypatch)
        with pytest.raises(LiveError) as e:
            k8sviz.snapshot_cluster(kubeconfig=str(path))
        assert str(e.value) == (
            "cannot reach the API server at https://192.0.2.1:9 (GET /apis): the proxy "
            f"'http://{proxy.address}' (the proxy-url of context c (user u) of kubeconfig {path}) refused to "
            f"open a tunnel to the API server (HTTP CONNECT): it answered {said.format(path=path)}")
        assert proxy.requests
    finally:
        proxy.close()


def test_a_server_no_proxy_names_is_reached_directly_unless_the_kubeconfig_names_a_proxy(
    apiserver: Any, tmp_path: Path, tls_files: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As kubectl: HTTPS_PROXY for every server but those NO_PROXY names, a proxy-url for every one.
    ca, cert, key = tls_files
    srv = apiserver(small(), token=TOKEN, tls=(cert, key))
    proxy = StalledProxy("silent")
    try:
        for name in ("https_proxy", "all_proxy", "ALL_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTPS_PROXY", f"http://{proxy.address}")
        monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
        path = srv.kubeconfig(tmp_path / "kc", ca_file=ca)
        assert len(k8sviz.snapshot_cluster(kubeconfig=str(path)).pods) == 2
        assert srv.requests and not proxy.requests
        # Nor, as kubectl (Go's httpproxy: localhost and loopback addresses are never proxied),
        # a server on a loopback address, NO_PROXY or not: a kind cluster or `kubectl proxy`.
        for no_proxy in ("localhost", ""):
            monkeypatch.setenv("NO_PROXY", no_proxy)
            srv.requests.clear()
            assert len(k8sviz.snapshot_cluster(kubeconfig=str(path)).pods) == 2
            assert srv.requests and not proxy.requests
        monkeypatch.delenv("NO_PROXY")
        assert len(k8sviz.snapshot_cluster(kubeconfig=str(path)).pods) == 2
        assert not proxy.requests
        # Another address goes through the proxy, unless NO_PROXY names it.
        (tmp_path / "elsewhere").mkdir()
        elsewhere = through_proxy(tmp_path / "elsewhere", ca, f"http://{proxy.address}", "HTTPS_PROXY",
                                  monkeypatch)
        with pytest.raises(LiveError, match=r"the proxy .* \(set by HTTPS_PROXY in the environment\)"):
            k8sviz.snapshot_cluster(kubeconfig=str(elsewhere), timeout=1.5)
        assert proxy.requests
        proxy.requests.clear()
        monkeypatch.setenv("NO_PROXY", "localhost,192.0.2.1")
        with pytest.raises(LiveError) as e:
            k8sviz.snapshot_cluster(kubeconfig=str(elsewhere), timeout=1.5)
        assert "https://192.0.2.1:9" in str(e.value) and "proxy '" not in str(e.value)
        assert not proxy.requests
        # ALL_PROXY is no proxy kubectl reads (Go's ProxyFromEnvironment); the client 37 took it.
        monkeypatch.delenv("NO_PROXY")
        monkeypatch.delenv("HTTPS_PROXY")
        monkeypatch.setenv("ALL_PROXY", f"http://{proxy.address}")
        with pytest.raises(LiveError) as e:
            k8sviz.snapshot_cluster(kubeconfig=str(elsewhere), timeout=1.5)
        assert "https://192.0.2.1:9" in str(e.value) and "proxy '" not in str(e.value)
        assert not proxy.requests
        monkeypatch.delenv("ALL_PROXY")
        # A kubeconfig's proxy-url is for every request (client-go's http.ProxyURL): NO_PROXY is not
        # read for it.
        monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
        doc = json.loads(path.read_text())
        doc["clusters"][0]["cluster"]["proxy-url"] = f"http://{proxy.address}"
        path.write_text(json.dumps(doc))
        proxy.requests.clear()
        with pytest.raises(LiveError, match=r"the proxy .* \(the proxy-url of context test-ctx"):
            k8sviz.snapshot_cluster(kubeconfig=str(path), timeout=1.5)
        assert proxy.requests
    finally:
        proxy.close()
