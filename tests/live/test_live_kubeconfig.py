"""A kubeconfig's broken entries (files, base64 data, names, server, exec plugin): one line each,
naming the kubeconfig, the entry, the field and the file, in words rather than the names of the
Python exceptions the client fails with."""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import os
import re
import signal
import socket
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_live import TOKEN, _expiring_exec, exec_user, small, still_running

import k8sviz
from k8sviz.cli import main
from k8sviz.errors import LiveError
from k8sviz.sources import live

#: A Python exception's name in a message (FileNotFoundError, ConfigException, binascii.Error...).
EXCEPTION_NAME = re.compile(r"\b\w*(Error|Exception)\b|\[Errno|\{'")

BASE: dict[str, Any] = {
    "apiVersion": "v1", "kind": "Config", "current-context": "c",
    "clusters": [{"name": "x", "cluster": {"server": "https://127.0.0.1:1"}}],
    "users": [{"name": "u", "user": {"token": "t"}}],
    "contexts": [{"name": "c", "context": {"cluster": "x", "user": "u"}}],
}


def failure(tmp_path: Path, change: Callable[[dict[str, Any]], Any]) -> tuple[str, str]:
    """The kubeconfig written with ``change`` applied, and the message its snapshot fails with:
    before any request (the server at port 1 would refuse one)."""
    doc = copy.deepcopy(BASE)
    change(doc)
    path = tmp_path / "kc"
    path.write_text(json.dumps(doc))
    with pytest.raises(LiveError) as e:
        k8sviz.snapshot_cluster(kubeconfig=str(path))
    message = str(e.value)
    assert not EXCEPTION_NAME.search(message), message
    assert "cannot reach" not in message, message
    return str(path), message


def cluster(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["clusters"][0]["cluster"].update(fields)


def user(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["users"][0].update(user=fields)


def test_a_token_file_missing_a_directory_or_empty_is_named(tmp_path: Path) -> None:
    # The client raised FileNotFoundError / IsADirectoryError ("not a usable kubeconfig
    # (FileNotFoundError: [Errno 2] ...)"), and sent no token at all for an empty file (a 401
    # that blamed the token).
    kc, message = failure(tmp_path, user(tokenFile="missing-token"))
    missing = tmp_path / "missing-token"
    assert message == f"the file {missing} (tokenFile) of user u of kubeconfig {kc} does not exist"
    kc, message = failure(tmp_path, user(tokenFile=str(tmp_path)))
    assert message == (f"the file {tmp_path} (tokenFile) of user u of kubeconfig {kc} is a directory, not a "
                       "file")
    (tmp_path / "empty").write_text("\n")
    kc, message = failure(tmp_path, user(tokenFile="empty"))
    assert message == f"the file {tmp_path / 'empty'} (tokenFile) of user u of kubeconfig {kc} is empty"


@pytest.mark.parametrize(("token", "said"), [
    (5, "is a number, not text; quote it, so that YAML reads it as written"),
    # 0: no token at all, then a 401
    (0, "is a number, not text; quote it, so that YAML reads it as written"),
    (1.5, "is a number, not text; quote it, so that YAML reads it as written"),
    (True, "is a boolean, not text; quote it, so that YAML reads it as written"),  # "Bearer True"
    (["a", "b"], "is a list, not text: give the token as one quoted string"),
    ({"value": "t"}, "is a mapping, not text: give the token as one quoted string"),
])
def test_a_token_that_is_not_text_is_named_before_any_request(tmp_path: Path, token: Any, said: str) -> None:
    # The client sent "Bearer 5" ("Bearer True", "Bearer <...ConfigNode object at 0x...>" for a
    # list), and the server's 401 blamed the token.  The token is never shown: a credential.
    kc, message = failure(tmp_path, user(token=token))
    assert message == f"the token of user u of kubeconfig {kc} {said}"


def test_a_token_yaml_reads_as_a_date_is_named(tmp_path: Path) -> None:
    path = tmp_path / "kc"
    path.write_text(yaml.safe_dump(BASE).replace("token: t\n", "token: 2024-01-02\n"))
    with pytest.raises(LiveError) as e:
        k8sviz.snapshot_cluster(kubeconfig=str(path))
    assert str(e.value) == (f"the token of user u of kubeconfig {path} is a date, not text; quote it, so "
                            "that YAML reads it as written")


@pytest.mark.parametrize("token", [None, ""])
def test_a_null_or_empty_token_is_none_as_kubectl_reads_it(
    apiserver: Any, tmp_path: Path, token: Any
) -> None:
    # kubectl reads "token:" (null) as an empty token and an empty token as none: the tokenFile
    # or exec plugin beside it is used.  The client failed on a null one ("Expected key token in
    # F/{'name': 'auditor', 'user': {'token': None}}/user") and left the tokenFile unread beside
    # an empty one (a 401).
    srv = apiserver(small())
    doc = json.loads(srv.kubeconfig(tmp_path / "kc").read_text())
    (tmp_path / "token").write_text(srv.token + "\n")
    path = tmp_path / "null"
    for entry in [{"token": token, "tokenFile": "token"},
                  {"token": token, **exec_status({"token": srv.token})}]:
        doc["users"][0]["user"] = entry
        path.write_text(yaml.safe_dump(doc))
        assert len(k8sviz.snapshot_cluster(kubeconfig=str(path)).pods) == 2
    # The tokenFile is checked as it is without a token.
    (tmp_path / "empty").write_text("")
    doc["users"][0]["user"] = {"token": token, "tokenFile": "empty"}
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(LiveError) as e:
        k8sviz.snapshot_cluster(kubeconfig=str(path))
    assert str(e.value) == (f"the file {tmp_path / 'empty'} (tokenFile) of user auditor of kubeconfig {path} "
                            "is empty")
    # Alone, it is no credentials: nothing is sent as a token, as kubectl sends nothing.
    doc["users"][0]["user"] = {"token": token}
    path.write_text(yaml.safe_dump(doc))
    sent = len(srv.requests)
    with pytest.raises(LiveError) as e:
        k8sviz.snapshot_cluster(kubeconfig=str(path))
    # Said as what it is: no credentials given, not credentials that expired.
    assert str(e.value).startswith(f"the API server at {srv.url} refused the requests of context "
                                   f"test-ctx (user auditor) of kubeconfig {path}, which gives no "
                                   "credentials (401 Unauthorized")
    assert "expired" not in str(e.value) and "add the user's credentials" in str(e.value)
    assert [r.headers.get("authorization") for r in srv.requests[sent:]] == [None]


def test_a_quoted_token_of_digits_works(apiserver: Any, tmp_path: Path) -> None:
    srv = apiserver(small(), token="12345")
    path = tmp_path / "kc"
    path.write_text(yaml.safe_dump(json.loads(srv.kubeconfig(path).read_text())))
    assert "token: '12345'" in path.read_text()
    assert len(k8sviz.snapshot_cluster(kubeconfig=str(path)).pods) == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_token_file_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("t")
    secret.chmod(0)
    kc, message = failure(tmp_path, user(tokenFile=str(secret)))
    assert message == (f"the file {secret} (tokenFile) of user u of kubeconfig {kc} cannot be read "
                       "(permission denied)")


def test_a_token_file_no_one_can_open_is_named_even_for_root(tmp_path: Path) -> None:
    """A socket where the token file should be: opening it fails for root too (the test above
    is skipped for root, which reads any file), so the "cannot be read" branch runs everywhere."""
    secret = tmp_path / "token"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(secret))
        kc, message = failure(tmp_path, user(tokenFile=str(secret)))
    assert message == (f"the file {secret} (tokenFile) of user u of kubeconfig {kc} cannot be read "
                       "(no such device or address)")


@pytest.mark.parametrize(("entry", "field"), [
    ({"certificate-authority-data": "eA=="}, "certificate-authority-data"),
    ({"insecure-skip-tls-verify": True}, "insecure-skip-tls-verify"),
    ({"tls-server-name": "api"}, "tls-server-name"),
])
def test_a_server_without_a_scheme_where_tls_is_set_is_named(tmp_path: Path, entry: dict[str, Any],
                                                              field: str) -> None:
    """kubectl takes ``127.0.0.1:1`` as https when TLS settings are given; the Python client
    reads them only for an https:// server and talked plain HTTP to the TLS port (the server
    reset the connection: "cannot reach")."""
    kc, message = failure(tmp_path, cluster(server="127.0.0.1:1", **entry))
    assert message == (f"cluster x of kubeconfig {kc}: its server '127.0.0.1:1' has no scheme; kubectl "
                       f"takes it as https://127.0.0.1:1 because the kubeconfig gives {field}, but the "
                       "Python client reads TLS settings only for an https:// server: write "
                       "https://127.0.0.1:1 in the kubeconfig")


def test_a_server_without_a_scheme_or_tls_settings_is_http_as_kubectl_takes_it(
    apiserver: Any, tmp_path: Path
) -> None:
    """Read before without a word from k8sviz, but with urllib3's FutureWarning on every request;
    the kubeconfig loader sets the address again before each request (its credential refresh)."""
    srv = apiserver(small())
    doc = json.loads(srv.kubeconfig(tmp_path / "kc").read_text())
    doc["clusters"][0]["cluster"]["server"] = srv.url.removeprefix("http://")
    (tmp_path / "kc").write_text(json.dumps(doc))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        snap = k8sviz.snapshot_cluster(kubeconfig=str(tmp_path / "kc"))
    assert len(snap.pods) == 2
    assert snap.meta["inputs"][0]["path"].startswith(srv.url)


def test_a_token_file_is_read_relative_to_its_kubeconfig(
    apiserver: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    srv = apiserver(small())
    (tmp_path / "token").write_text(srv.token)
    doc = json.loads(srv.kubeconfig(tmp_path / "kc").read_text())
    doc["users"][0]["user"] = {"tokenFile": "token"}
    (tmp_path / "kc").write_text(json.dumps(doc))
    monkeypatch.chdir(Path(__file__).parent)  # elsewhere: the kubeconfig's directory counts
    assert len(k8sviz.snapshot_cluster(kubeconfig=str(tmp_path / "kc")).pods) == 2


def test_a_certificate_authority_that_is_missing_or_no_certificate_is_named(tmp_path: Path) -> None:
    # A missing file was the client's "File does not exist: F", naming no field; a file or data
    # holding no certificate failed only on connecting, as "cannot reach the API server ...:
    # [X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found (_ssl.c:4154)".
    ca = tmp_path / "ca.crt"
    kc, message = failure(tmp_path, cluster(**{"certificate-authority": "ca.crt"}))
    assert message == f"the file {ca} (certificate-authority) of cluster x of kubeconfig {kc} does not exist"
    ca.write_text("not a certificate\n")
    kc, message = failure(tmp_path, cluster(**{"certificate-authority": "ca.crt"}))
    assert message == (f"the file {ca} (certificate-authority) of cluster x of kubeconfig {kc} holds no PEM "
                       "certificate")
    kc, message = failure(tmp_path, cluster(**{"certificate-authority-data": "!!!notbase64"}))
    assert message == f"the certificate-authority-data of cluster x of kubeconfig {kc} is not valid base64"
    hello = base64.b64encode(b"hello").decode()
    kc, message = failure(tmp_path, cluster(**{"certificate-authority-data": hello}))
    assert message == (f"the certificate-authority-data of cluster x of kubeconfig {kc} holds no PEM "
                       "certificate")


def test_a_client_certificate_and_key_that_are_no_pair_are_named(
    tmp_path: Path, tls_files: tuple[str, str, str]
) -> None:
    # It was "cannot reach the API server ...: [SSL] PEM lib (_ssl.c:3905)".
    ca, cert, _ = tls_files
    kc, message = failure(tmp_path, user(**{"client-certificate": cert, "client-key": ca}))
    assert message == (f"the file {cert} (client-certificate) and the file {ca} (client-key) of user u of "
                       f"kubeconfig {kc} are not a PEM certificate and its unencrypted private key")
    kc, message = failure(tmp_path, user(**{"client-certificate-data": "abcde", "client-key-data": "abcde"}))
    assert message == f"the client-certificate-data of user u of kubeconfig {kc} is not valid base64"


def test_a_client_certificate_and_key_that_are_a_pair_pass(
    apiserver: Any, tmp_path: Path, tls_files: tuple[str, str, str]
) -> None:
    ca, cert, key = tls_files
    srv = apiserver(small(), tls=(cert, key))
    doc = json.loads(srv.kubeconfig(tmp_path / "kc", ca_file=ca).read_text())
    doc["users"][0]["user"].update({"client-certificate": cert, "client-key": key})
    (tmp_path / "pair").write_text(json.dumps(doc))
    assert len(k8sviz.snapshot_cluster(kubeconfig=str(tmp_path / "pair")).pods) == 2


def test_a_context_naming_a_missing_cluster_or_user_is_named(tmp_path: Path) -> None:
    # A missing user was taken as no credentials: the server's 401 then blamed the token.
    kc, message = failure(tmp_path, lambda doc: doc["contexts"][0]["context"].update(user="admin"))
    assert message == (f"context c of kubeconfig {kc} names the user 'admin', which the kubeconfig does not "
                       "have (its users: u)")
    kc, message = failure(tmp_path, lambda doc: doc["contexts"][0]["context"].update(cluster="prod"))
    assert message == (f"context c of kubeconfig {kc} names the cluster 'prod', which the kubeconfig does "
                       "not have (its clusters: x)")
    # The client's words were "Expected key context in F/{'name': 'c'}": a Python mapping.
    kc, message = failure(tmp_path, lambda doc: doc["contexts"][0].pop("context"))
    assert message == f"context c of kubeconfig {kc} has no context mapping (with its cluster and user)"
    kc, message = failure(tmp_path, lambda doc: doc["users"][0].pop("name"))
    assert message == f"kubeconfig {kc}: users[0] has no name (its name field is missing)"
    kc, message = failure(tmp_path, lambda doc: doc["contexts"][0]["context"].update(cluster=["x"]))
    assert message == f"context c of kubeconfig {kc} names no cluster (its cluster field is ['x'])"
    kc, message = failure(tmp_path, lambda doc: doc["contexts"][0]["context"].update(user=5))
    assert message == f"context c of kubeconfig {kc} names no user (its user field is 5)"


@pytest.mark.parametrize(("server", "said"), [(None, "is missing"), ("", "is ''"), (6443, "is 6443")])
def test_a_cluster_without_a_server_address_is_named(tmp_path: Path, server: Any, said: str) -> None:
    # It was "cannot send GET /apis to : LocationValueError; check the token ..." (no server, or
    # an empty one) or "not a usable kubeconfig (AttributeError: 'int' object has no attribute
    # 'rstrip')".
    def change(doc: dict[str, Any]) -> None:
        if server is None:
            doc["clusters"][0]["cluster"].pop("server")
        else:
            doc["clusters"][0]["cluster"]["server"] = server

    kc, message = failure(tmp_path, change)
    assert message == f"cluster x of kubeconfig {kc} has no server address (its server field {said})"


def test_an_exec_plugin_that_is_not_installed_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # It was "could not be obtained: [Errno 2] No such file or directory: 'gke-gcloud-auth-plugin-x'".
    plugin = {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "k8sviz-no-such-auth-plugin"}
    kc, message = failure(tmp_path, user(exec=plugin))
    assert message == (f"the exec plugin 'k8sviz-no-such-auth-plugin' of user u of kubeconfig {kc} (its "
                       "exec.command) is not installed or not on the PATH: install it, or fix the command")
    # A path is taken from the kubeconfig's directory, as the client runs it.
    kc, message = failure(tmp_path, user(exec={**plugin, "command": "./bin/plugin"}))
    assert message.startswith("the exec plugin './bin/plugin' of user u of kubeconfig")
    assert main(["snapshot", "--kubeconfig", kc, "-o", str(tmp_path / "s.json")]) == 2
    assert capsys.readouterr().err == f"k8sviz: error: {message}\n"


def test_a_failing_exec_plugin_names_no_exception(apiserver: Any, tmp_path: Path) -> None:
    srv = apiserver(small())
    doc = json.loads(srv.kubeconfig(tmp_path / "kc").read_text())
    doc["users"][0]["user"] = exec_user("print('not an ExecCredential')")
    path = tmp_path / "exec"
    path.write_text(json.dumps(doc))
    with pytest.raises(LiveError) as e:
        k8sviz.snapshot_cluster(kubeconfig=str(path))
    assert str(e.value).startswith(f"the credentials of context test-ctx (user auditor) of kubeconfig {path} "
                                   "could not be obtained: exec: ")
    assert not EXCEPTION_NAME.search(str(e.value))


def test_an_exec_plugin_hanging_at_its_first_run_is_ended_at_the_timeout(
    apiserver: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The client ran it without a timeout when it loaded the kubeconfig, before any request and
    # its deadline: a plugin waiting for a browser login held `k8sviz snapshot` forever.
    srv = apiserver(small())
    plugin = tmp_path / "hanging-login"
    # A shell script waiting in a child process, as one waiting for a login does (curl, sleep):
    # ending the script alone would leave its child running.
    plugin.write_text('#!/bin/sh\nsleep 600 &\necho "$$ $!" >> "$1"\nwait\n')
    plugin.chmod(0o755)
    pids = tmp_path / "pids"
    doc = json.loads(srv.kubeconfig(tmp_path / "kc").read_text())
    doc["users"][0]["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                        "command": "./hanging-login", "args": [str(pids)]}}
    path = tmp_path / "exec"
    path.write_text(json.dumps(doc))
    started: list[int] = []
    try:
        with pytest.raises(LiveError) as e:
            k8sviz.snapshot_cluster(kubeconfig=str(path), timeout=3)
        assert str(e.value) == (
            f"the credentials of context test-ctx (user auditor) of kubeconfig {path} could not be obtained: "
            "its exec plugin './hanging-login' had not finished after 3 s (the timeout given), and was "
            "ended; does it wait for a login? Log in first (run the exec command yourself), or give a "
            "longer --timeout")
        started += [int(p) for p in pids.read_text().split()]
        assert len(started) == 2
        assert not still_running(started)  # the script and its child: nothing left waiting
        # The command line says the same.
        out = tmp_path / "s.json"
        assert main(["snapshot", "--kubeconfig", str(path), "--timeout", "3", "-o", str(out)]) == 2
        assert capsys.readouterr().err == f"k8sviz: error: {e.value}\n"
        started += [int(p) for p in pids.read_text().split()[2:]]
        assert len(started) == 4 and not still_running(started)
    finally:
        for pid in started:  # the test's own cleanup, should a kill have been missed
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    assert not srv.requests  # nothing sent without credentials
    assert not (tmp_path / "s.json").exists()


#: k8sviz run on a terminal (a pty), as a user runs it: the pty is its session's controlling
#: terminal and its process group the terminal's foreground one.  Once the snapshot ends (said on
#: its standard error, which stays the terminal when its standard output is not) it waits
#: for a line, so that its session (and the terminal's group, hung up when it ends) outlives the
#: test's look at the plugin's processes.
ON_A_TERMINAL = """
import fcntl, sys, termios
fcntl.ioctl(0, termios.TIOCSCTTY, 0)
from k8sviz.cli import main
code = main(sys.argv[1:])
print(f"k8sviz exited {code}", file=sys.stderr, flush=True)
sys.stdin.readline()
"""


class Terminal:
    """``k8sviz ARGS`` started on a new pty; :meth:`read_until` reads what it shows."""

    def __init__(self, args: list[str], stdout: Any = None) -> None:
        """``stdout``: k8sviz's standard output, when it is to be no terminal (a file)."""
        import subprocess
        import sys

        from conftest import REPO

        self.master, slave = os.openpty()
        self.shown = b""
        self.process = subprocess.Popen([sys.executable, "-c", ON_A_TERMINAL, *args], stdin=slave,
                                        stdout=slave if stdout is None else stdout, stderr=slave,
                                        start_new_session=True, cwd=REPO)
        os.close(slave)

    def read_until(self, text: str, bound: float = 60.0) -> str:
        """What the terminal showed, once it shows ``text`` (or its program ended, or after
        ``bound`` seconds: a generous bound, for a failing test only)."""
        import select
        import time

        end = time.monotonic() + bound
        while text.encode() not in self.shown and time.monotonic() < end:
            if select.select([self.master], [], [], 0.1)[0]:
                try:
                    got = os.read(self.master, 4096)
                except OSError:  # EIO: every process of the terminal has ended
                    break
                if not got:
                    break
                self.shown += got
        return self.shown.decode(errors="replace").replace("\r\n", "\n")

    def type(self, line: str) -> None:
        os.write(self.master, f"{line}\n".encode())

    def log_in(self, code: str) -> None:
        """Type ``code`` at the plugin's "one-time code: " prompt; k8sviz must then end well."""
        assert "one-time code: " in self.read_until("one-time code: ")
        self.type(code)
        shown = self.read_until("k8sviz exited")
        assert "k8sviz exited 0" in shown, shown
        self.type("")
        assert self.process.wait(30) == 0

    def close(self) -> None:
        self.process.kill()
        self.process.wait(30)
        os.close(self.master)


def interactive_plugin(tmp_path: Path, script: str) -> Path:
    """The exec plugin ``./login`` in ``tmp_path``: the shell ``script``.  k8sviz runs it as
    kubectl does: interactively (the terminal as its standard input and error) when its
    ``interactiveMode`` is ``IfAvailable`` or ``Always`` and k8sviz's standard input is a terminal.
    (The Python client ran it so when its own standard output was a terminal, whatever the mode.)"""
    plugin = tmp_path / "login"
    plugin.write_text(script)
    plugin.chmod(0o755)
    return plugin


def test_an_interactive_exec_plugin_given_up_on_is_ended_with_its_children(
    apiserver: Any, tmp_path: Path
) -> None:
    # An interactive plugin keeps k8sviz's process group (the terminal's foreground group, for
    # its prompt and the answer): only its own process was killed at the timeout, and its child
    # (the sleep here; a browser-login helper, curl) ran on after k8sviz had given up.
    srv = apiserver(small())
    pids = tmp_path / "pids"
    interactive_plugin(tmp_path, '#!/bin/sh\nsleep 600 &\necho "$$ $!" >> "$1"\n'
                                 'printf "one-time code: " >&2\nread code\nwait\n')
    doc = json.loads(srv.kubeconfig(tmp_path / "kc").read_text())
    doc["users"][0]["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                        "command": "./login", "args": [str(pids)],
                                        "interactiveMode": "IfAvailable"}}
    path = tmp_path / "exec"
    path.write_text(json.dumps(doc))
    terminal = Terminal(["snapshot", "--kubeconfig", str(path), "--timeout", "3", "-o",
                         str(tmp_path / "s.json")])
    started: list[int] = []
    try:
        shown = terminal.read_until("k8sviz exited")
        # Its prompt reached the terminal; nobody answered it.
        assert "one-time code: " in shown
        assert (f"k8sviz: error: the credentials of context test-ctx (user auditor) of kubeconfig {path} "
                "could not be obtained: its exec plugin './login' had not finished after 3 s (the timeout "
                "given), and was ended;") in shown
        assert "k8sviz exited 2" in shown
        started += [int(p) for p in pids.read_text().split()]
        assert len(started) == 2
        # The script and its child, while k8sviz is still running: nothing left waiting.
        assert not still_running(started)
        assert terminal.process.poll() is None
        terminal.type("")
        assert terminal.process.wait(30) == 0
    finally:
        terminal.close()
        for pid in started:  # the test's own cleanup, should a kill have been missed
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    assert not srv.requests


def test_an_interactive_exec_plugin_reads_its_answer_from_the_terminal(
    apiserver: Any, tmp_path: Path
) -> None:
    # It keeps the terminal: a plugin outside the terminal's foreground group would be stopped
    # (SIGTTIN) at its read, and the login would hang until the timeout.
    srv = apiserver(small(), token=TOKEN)
    credential = json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1",
                             "kind": "ExecCredential", "status": {"token": TOKEN}})
    interactive_plugin(tmp_path, '#!/bin/sh\nprintf "one-time code: " >&2\nread code\n'
                                 f'[ "$code" = 424242 ] && printf "%s" \'{credential}\'\n')
    path = exec_kubeconfig(srv, tmp_path, interactiveMode="Always")
    out = tmp_path / "s.json"
    terminal = Terminal(["snapshot", "--kubeconfig", str(path), "--timeout", "60", "-o", str(out)])
    try:
        terminal.log_in("424242")
    finally:
        terminal.close()
    assert json.loads(out.read_text())["meta"]["source"] == "live"
    assert srv.requests


def exec_kubeconfig(srv: Any, tmp_path: Path, **exec_: Any) -> Path:
    """The kubeconfig of ``srv`` whose user's credentials come from the exec plugin ``./login``
    (see :func:`interactive_plugin`), its exec entry given ``exec_`` (apiVersion v1beta1 unless
    given)."""
    doc = json.loads(srv.kubeconfig(tmp_path / "kc").read_text())
    doc["users"][0]["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                        "command": "./login", **exec_}}
    path = tmp_path / "exec"
    path.write_text(json.dumps(doc))
    return path


def recording_plugin(tmp_path: Path) -> Path:
    """``./login``, printing an ExecCredential of :data:`TOKEN` after writing to the file it
    returns whether its standard input is a terminal, and the KUBERNETES_EXEC_INFO it was given."""
    seen = tmp_path / "seen"
    credential = json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1",
                             "kind": "ExecCredential", "status": {"token": TOKEN}})
    interactive_plugin(tmp_path, '#!/bin/sh\nif [ -t 0 ]; then t=terminal; else t=none; fi\n'
                                 f'printf "%s %s" "$t" "$KUBERNETES_EXEC_INFO" > {seen}\n'
                                 f"printf '%s' '{credential}'\n")
    return seen


def seen_by(seen: Path) -> tuple[str, bool]:
    """What the plugin of :func:`recording_plugin` saw: ``terminal`` or ``none`` as its standard
    input, and the ``spec.interactive`` it was told."""
    stdin, info = seen.read_text().split(" ", 1)
    return stdin, json.loads(info)["spec"]["interactive"]


@pytest.mark.parametrize(("exec_", "said"), [
    # client.authentication.k8s.io/v1 has no default: kubectl refuses the kubeconfig.
    ({"apiVersion": "client.authentication.k8s.io/v1"},
     "gives no interactiveMode, which kubectl requires for its apiVersion "
     "'client.authentication.k8s.io/v1' (\"interactiveMode must be specified\"): set it to Never for a "
     "plugin that never asks anything, IfAvailable for one that may ask for a login on a terminal, or "
     "Always for one that must"),
    ({"apiVersion": "client.authentication.k8s.io/v1", "interactiveMode": None},
     "gives no interactiveMode, which kubectl requires for its apiVersion"),
    ({"interactiveMode": "never"},
     "has the interactiveMode 'never', which kubectl does not take: it is Never, IfAvailable or Always"),
    ({"interactiveMode": True},
     "has the interactiveMode true, which kubectl does not take: it is Never, IfAvailable or Always"),
])
def test_an_interactive_mode_kubectl_refuses_is_named_before_the_plugin_runs(
    tmp_path: Path, exec_: dict[str, Any], said: str
) -> None:
    ran = tmp_path / "ran"
    plugin = {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "/bin/sh",
              "args": ["-c", f"touch {ran}"], **exec_}
    kc, message = failure(tmp_path, user(exec=plugin))
    assert message.startswith(f"the exec plugin '/bin/sh' of user u (context c) of kubeconfig {kc} {said}")
    assert not ran.exists()


def test_an_exec_entry_without_an_api_version_is_not_said_to_lack_an_interactive_mode(tmp_path: Path) -> None:
    # Its apiVersion is what is missing (kubectl: "apiVersion must be specified"), not the mode
    # that version would require.
    _, message = failure(tmp_path, user(exec={"command": "/bin/sh"}))
    assert message.endswith("could not be obtained: exec: malformed request. missing key 'apiVersion' "
                            "(log in again, or check that the exec plugin is installed)")


def test_an_always_exec_plugin_without_a_terminal_is_refused_before_it_runs(
    apiserver: Any, tmp_path: Path
) -> None:
    # kubectl refuses to run it ("exec plugin cannot support interactive mode: standard input is
    # not a terminal"); the Python client ran it with no input, and its login prompt waited for
    # an answer from nowhere until the timeout.  Here (pytest) standard input is no terminal.
    import subprocess
    import sys

    from conftest import REPO

    srv = apiserver(small(), token=TOKEN)
    seen = recording_plugin(tmp_path)
    path = exec_kubeconfig(srv, tmp_path, interactiveMode="Always")
    with pytest.raises(LiveError) as e:
        k8sviz.snapshot_cluster(kubeconfig=str(path))
    assert str(e.value) == (
        f"the exec plugin './login' of user auditor (context test-ctx) of kubeconfig {path} has "
        "interactiveMode Always, but standard input is not a terminal: kubectl does not run it either "
        "(\"exec plugin cannot support interactive mode: standard input is not a terminal\"); run k8sviz on "
        "a terminal (its input not redirected, as in a pipe, a cron job or CI), so that the plugin can ask "
        "for your login, or use a kubeconfig user that needs no login there")
    # The command line, its input the null device (a cron job): one line, at once.
    done = subprocess.run([sys.executable, "-m", "k8sviz", "snapshot", "--kubeconfig", str(path), "-o",
                           str(tmp_path / "s.json")], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, cwd=REPO, timeout=120)
    assert (done.returncode, done.stderr) == (2, f"k8sviz: error: {e.value}\n")
    assert not seen.exists() and not srv.requests and not (tmp_path / "s.json").exists()


@pytest.mark.parametrize("mode", ["IfAvailable", "Never", None])
def test_an_exec_plugin_without_a_terminal_runs_without_one(
    apiserver: Any, tmp_path: Path, mode: str | None
) -> None:
    # None: no interactiveMode, which kubectl takes as IfAvailable for v1beta1.
    srv = apiserver(small(), token=TOKEN)
    seen = recording_plugin(tmp_path)
    path = exec_kubeconfig(srv, tmp_path, **({} if mode is None else {"interactiveMode": mode}))
    assert len(k8sviz.snapshot_cluster(kubeconfig=str(path)).pods) == 2
    assert seen_by(seen) == ("none", False)


def test_a_never_exec_plugin_on_a_terminal_is_not_given_it(apiserver: Any, tmp_path: Path) -> None:
    # The Python client gave it the terminal (its standard output was one) and told it
    # "interactive": true; kubectl gives a Never plugin no input, whatever k8sviz runs on.
    srv = apiserver(small(), token=TOKEN)
    seen = recording_plugin(tmp_path)
    path = exec_kubeconfig(srv, tmp_path, apiVersion="client.authentication.k8s.io/v1",
                           interactiveMode="Never")
    # v1, which requires the mode; the plugin answers in it (the client compares the two).
    (tmp_path / "login").write_text((tmp_path / "login").read_text().replace("v1beta1", "v1"))
    out = tmp_path / "s.json"
    terminal = Terminal(["snapshot", "--kubeconfig", str(path), "--timeout", "60", "-o", str(out)])
    try:
        shown = terminal.read_until("k8sviz exited")
        assert "k8sviz exited 0" in shown, shown
        terminal.type("")
        assert terminal.process.wait(30) == 0
    finally:
        terminal.close()
    assert seen_by(seen) == ("none", False)
    assert json.loads(out.read_text())["meta"]["source"] == "live"


@pytest.mark.parametrize("mode", ["IfAvailable", "Always"])
def test_an_exec_plugin_reads_the_terminal_when_only_the_output_is_redirected(
    apiserver: Any, tmp_path: Path, mode: str
) -> None:
    # `k8sviz snapshot ... > log` on a terminal: the Python client ran the plugin without input
    # (its standard output was no terminal), so a login prompt read nothing and the plugin failed;
    # kubectl decides by standard input, which is the terminal.
    srv = apiserver(small(), token=TOKEN)
    credential = json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1",
                             "kind": "ExecCredential", "status": {"token": TOKEN}})
    seen = tmp_path / "seen"
    interactive_plugin(tmp_path, '#!/bin/sh\nprintf "one-time code: " >&2\nread code\n'
                                 f'printf "%s" "$KUBERNETES_EXEC_INFO" > {seen}\n'
                                 f'[ "$code" = 424242 ] && printf "%s" \'{credential}\'\n')
    path = exec_kubeconfig(srv, tmp_path, interactiveMode=mode)
    out = tmp_path / "s.json"
    with open(tmp_path / "stdout", "wb") as stdout:
        terminal = Terminal(["snapshot", "--kubeconfig", str(path), "--timeout", "60", "-o", str(out)],
                            stdout=stdout)
    try:
        terminal.log_in("424242")
    finally:
        terminal.close()
    assert json.loads(seen.read_text())["spec"]["interactive"] is True
    assert json.loads(out.read_text())["meta"]["source"] == "live"


def test_an_interactive_exec_plugin_that_fails_is_said_in_words(apiserver: Any, tmp_path: Path) -> None:
    # Its error output is the terminal: the client stripped the None it read instead ("'NoneType'
    # object has no attribute 'strip'", as the credentials' error).
    srv = apiserver(small(), token=TOKEN)
    interactive_plugin(tmp_path, '#!/bin/sh\necho "error: login refused" >&2\nexit 3\n')
    path = exec_kubeconfig(srv, tmp_path, interactiveMode="Always")
    terminal = Terminal(["snapshot", "--kubeconfig", str(path), "--timeout", "60", "-o",
                         str(tmp_path / "s.json")])
    try:
        shown = terminal.read_until("k8sviz exited")
        terminal.type("")
        terminal.process.wait(30)
    finally:
        terminal.close()
    # The plugin's message went to the terminal itself, before k8sviz's.
    assert "error: login refused\n" in shown
    assert (f"k8sviz: error: the credentials of context test-ctx (user auditor) of kubeconfig {path} could "
            "not be obtained: exec: process returned 3 (log in again, or check that the exec plugin is "
            "installed)\n") in shown
    assert "k8sviz exited 2" in shown and "NoneType" not in shown
    assert not srv.requests


def test_an_oidc_issuer_that_never_answers_is_bounded_by_the_timeout(tmp_path: Path) -> None:
    # The client refreshes an expired OIDC id-token when it loads the kubeconfig, from the
    # provider's idp-issuer-url, without a timeout: an issuer that takes the connection and never
    # answers held the snapshot forever, before any request.
    def part(doc: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")

    expired = f"{part({'alg': 'RS256'})}.{part({'exp': 1, 'sub': 'auditor'})}.c2ln"
    with socket.socket() as issuer:  # takes connections (the kernel's backlog), answers none
        issuer.bind(("127.0.0.1", 0))
        issuer.listen(4)
        url = f"http://127.0.0.1:{issuer.getsockname()[1]}"
        config = {"id-token": expired, "refresh-token": "k8sviz-refresh-secret", "client-id": "k8sviz",
                  "client-secret": "k8sviz-client-secret", "idp-issuer-url": url}
        doc = copy.deepcopy(BASE)
        user(**{"auth-provider": {"name": "oidc", "config": config}})(doc)
        path = tmp_path / "kc"
        path.write_text(json.dumps(doc))
        with pytest.raises(LiveError) as e:
            k8sviz.snapshot_cluster(kubeconfig=str(path), timeout=2)
    assert str(e.value) == (
        f"the credentials of context c (user u) of kubeconfig {path} could not be obtained: its "
        f"auth-provider 'oidc' had not answered after 2 s (the timeout given); its idp-issuer-url '{url}' "
        "was asked for a fresh id-token; check that it can be reached from here, log in again, or give a "
        "longer --timeout")
    for secret in (expired, "k8sviz-refresh-secret", "k8sviz-client-secret"):
        assert secret not in str(e.value)


#: A credential an exec plugin's output may hold: never in a message.
SECRET = "eyJhbGciOiJSUzI1NiJ9.k8sviz-exec-secret"
#: Credentials of other shapes: a JWT, hex, base64 with its padding.
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhdWRpdG9yIn0.c2lnbmF0dXJlLWs4c3Zpeg"
HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
B64 = "azhzdml6LWJhc2U2NC1zZWNyZXQ0Mg=="
CREDENTIAL = json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
                         "status": {"token": SECRET}})


@pytest.mark.parametrize(("output", "printed"), [
    ("not an ExecCredential\n", "'not an ExecCredential', not an ExecCredential in JSON"),
    ("Open https://login.example.com/device and enter the code ABCD-EFGH\n",
     "'Open https://login.example.com/device and enter the code ABCD-EFGH', not an ExecCredential in JSON"),
    ("warning: " + "x " * 100,
     f"'warning: {'x ' * 45}x'... (108 more characters), not an ExecCredential in JSON"),
    ("[INFO] token refreshed\n", "'[INFO] token refreshed', not an ExecCredential in JSON"),
    ("", "nothing on standard output, not an ExecCredential in JSON"),
    # A bare token, where the ExecCredential holding it belongs.
    (SECRET + "\n",
     "one word of 39 characters (not shown: it may be a credential), not an ExecCredential in JSON"),
    # The ExecCredential and a line of log after it: the first 100 characters would show the token.
    (CREDENTIAL + "\nlogged in\n",
     "JSON followed by more output (from line 2, column 1; not shown: it may hold the credential): an exec "
     "plugin prints its ExecCredential alone on standard output"),
    (CREDENTIAL[:-20],
     "JSON that does not parse (at line 1, column 102; not shown: it may hold the credential)"),
    # Words with spaces around a credential: the credential is left out, the words are shown.
    ("Bearer " + JWT + "\n", f"'Bearer [{len(JWT)} characters not shown]', not an ExecCredential in JSON"),
    (f"login ok, token={HEX}\n",
     f"'login ok, token=[{len(HEX)} characters not shown]', not an ExecCredential in JSON"),
    (f"Please log in: {B64} expired\n",
     f"'Please log in: [{len(B64)} characters not shown] expired', not an ExecCredential in JSON"),
    ("error: refresh failed for abcdefghijklmnop0123456789\n",
     "'error: refresh failed for [26 characters not shown]', not an ExecCredential in JSON"),
    # A URL is shown but for a token in it; a JWT of letters only is still a JWT.
    ("open https://login.example.com/oauth2/device?code=abc123def456ghi789jkl&tenant=eyJh.eyJzdWIi.sig&x=1\n",
     "'open https://login.example.com/oauth2/device?code=[21 characters not shown]&tenant=[17 characters not "
     "shown]'... (4 more characters), not an ExecCredential in JSON"),
    ("12345\n", "a single JSON value, not an ExecCredential object"),  # 'int' is not iterable
    ("null\n", "a single JSON value, not an ExecCredential object"),
])
def test_an_exec_plugin_printing_no_execcredential_is_said_in_words(
    apiserver: Any, tmp_path: Path, output: str, printed: str
) -> None:
    # It was "exec: failed to decode process output: Expecting value: line 1 column 1 (char 0)".
    srv = apiserver(small())
    doc = json.loads(srv.kubeconfig(tmp_path / "kc").read_text())
    doc["users"][0]["user"] = exec_user(f"import sys; sys.stdout.write({output!r})")
    path = tmp_path / "exec"
    path.write_text(json.dumps(doc))
    with pytest.raises(LiveError) as e:
        k8sviz.snapshot_cluster(kubeconfig=str(path))
    assert str(e.value) == (f"the credentials of context test-ctx (user auditor) of kubeconfig {path} could "
                            f"not be obtained: exec: the plugin printed {printed} (run the exec command to "
                            "see what it prints: a login prompt, a bare token, or the wrong command?)")
    for secret in (SECRET, JWT, HEX, B64, "abc123def456ghi789jkl", "0123456789"):
        assert secret not in str(e.value)
    assert not srv.requests  # nothing sent without credentials


def test_a_failing_exec_plugins_error_output_is_shown_without_its_credentials(
    apiserver: Any, tmp_path: Path
) -> None:
    # It was "exec: process returned 1. error: refresh failed for eyJ...", the token quoted.
    srv = apiserver(small())
    doc = json.loads(srv.kubeconfig(tmp_path / "kc").read_text())
    said = f"error: refresh token {JWT} rejected by login.example.com (HTTP 400)"
    doc["users"][0]["user"] = exec_user(f"import sys; sys.exit({said!r})")
    path = tmp_path / "exec"
    path.write_text(json.dumps(doc))
    with pytest.raises(LiveError) as e:
        k8sviz.snapshot_cluster(kubeconfig=str(path))
    assert str(e.value) == (f"the credentials of context test-ctx (user auditor) of kubeconfig {path} could "
                            f"not be obtained: exec: process returned 1. error: refresh token [{len(JWT)} "
                            "characters not shown] rejected by login.example.com (HTTP 400) (log in again, "
                            "or check that the exec plugin is installed)")
    assert not srv.requests


#: Names an exec plugin's message may hold, shown as they are: they were hidden as credentials,
#: being 16 or more characters with letters and digits.
NAMES = [
    "v1.28.0-gke.1234567", "prod-cluster-2024-eu-west1",
    "gke_my-project-123456_us-central1-a_prod-cluster-2024",
    "ip-10-0-1-23.eu-west-1.compute.internal", "aks-nodepool1-12345678-vmss000000", "my-k8s-cluster-2024",
    "kubelogin-v1.28.1-linux-amd64", "2024-01-02T03:04:05.123456Z", "InvalidClientTokenIdException",
    "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode", "/home/u/.kube/config-prod-2024",
    "exit_code=1", "errorCode=InvalidGrant", "missing bearer token",
]


@pytest.mark.parametrize("name", NAMES)
def test_a_name_in_an_exec_plugins_output_is_shown(name: str) -> None:
    said = f"error: cluster {name} refused the login"
    assert live._without_credentials(said) == said


#: Credentials of every shape, each in words around it, and what is shown of it.
HIDDEN = [
    (f"token {JWT} expired", f"token [{len(JWT)} characters not shown] expired"),  # a JWT
    (f"refresh failed for {HEX}", f"refresh failed for [{len(HEX)} characters not shown]"),  # hex
    (f"got {B64}", f"got [{len(B64)} characters not shown]"),  # base64, padded
    ("got wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "got [40 characters not shown]"),  # base64 with /
    ("key AKIAIOSFODNN7EXAMPLE", "key [20 characters not shown]"),  # 20 characters, one digit
    ("pat ghp_16C7e42F292c6912E7710c838347Ae178B4a", "pat [40 characters not shown]"),
    ("secret Hl18Q~kfq3s_T4vV.gGc8Sa2Gx0Tkqj.MnD4nbqW", "secret [40 characters not shown]"),  # Azure's
    ("bootstrap 7ipkn8.o2dh2m9xscu9y8mq", "bootstrap [23 characters not shown]"),  # kubeadm's
    ("key 123e4567-e89b-12d3-a456-426614174000", "key [36 characters not shown]"),  # a UUID
    ("token k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_QWN0aW9u",
     "token [55 characters not shown]"),  # EKS's
    ("got qWeRtYuIoPaSdFgHjKlZxC", "got [22 characters not shown]"),  # random letters, no digit
    # After Bearer, or as a secret key's value, whatever it looks like.
    ("Authorization: Bearer abcdefghijklmnopqrstuvwxyz", "Authorization: Bearer [26 characters not shown]"),
    ("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic [12 characters not shown]"),
    ("login ok, token=s3cr3t", "login ok, token=[6 characters not shown]"),
    ("password=hunter2 rejected", "password=[7 characters not shown] rejected"),
    ("client_secret=letmein&grant_type=x", "client_secret=[7 characters not shown]&grant_type=x"),
    ('{"access_token": "opensesame", "expires_in": 3599}',
     '{"access_token": "[10 characters not shown]", "expires_in": 3599}'),
    # A path or a URL part by part: its names shown, a token or a hash in it not.
    ("cache /home/u/.kube/cache/oidc-login/" + HEX + " is stale",
     f"cache /home/u/.kube/cache/oidc-login/[{len(HEX)} characters not shown] is stale"),
    ("open https://login.example.com/device?code=ABCD-EFGH&sig=xyz",
     "open https://login.example.com/device?code=[9 characters not shown]&sig=[3 characters not shown]"),
]


@pytest.mark.parametrize(("said", "shown"), HIDDEN)
def test_a_credential_in_an_exec_plugins_output_is_not_shown(said: str, shown: str) -> None:
    assert live._without_credentials(said) == shown


UUID = "8f6d2c1e-3b4a-4c5d-9e8f-0123456789ab"

#: Ids an exec plugin's message may hold that no credential looks like, shown: they were hidden
#: as random words.  An AWS resource id (a kind's prefix and 8 or 17 lowercase hex digits), a UUID
#: after a label saying it is a request's id, and a code=, HTTP status or exit code.
SHOWN_IDS = [
    "error: instance i-0abc1234def567890 is stopping",
    "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc1234def567890 not found",
    "volume vol-0a1b2c3d4e5f67890 of image ami-0123456789abcdef0 in vpc-0a1b2c3d4e5f67890",
    f"AccessDenied: status code: 403, request id: {UUID}",
    f"RequestId: {UUID}", f"x-ms-request-id={UUID}", f'{{"requestId": "{UUID}"}}',
    f"AADSTS700082: Trace ID: {UUID} Correlation ID: {UUID} Timestamp: 2024-01-02 03:04:05Z",
    "login failed: code=403", '{"code": "401", "message": "Unauthorized"}',
]


@pytest.mark.parametrize("said", SHOWN_IDS)
def test_an_id_in_an_exec_plugins_output_is_shown(said: str) -> None:
    assert live._without_credentials(said) == said


#: Their neighbours, credentials or possibly so, hidden still: a UUID without the label (an API
#: key may be one) or with another (a session id is a credential), an id where a credential goes,
#: a code= that is no status (an OAuth code, a one-time password, a PIN), any sig=.
HIDDEN_NEAR_IDS = [
    (f"key {UUID}", "key [36 characters not shown]"),
    (f"session id: {UUID}", "session id: [36 characters not shown]"),
    (f"request identifier {UUID}", "request identifier [36 characters not shown]"),
    (f"Authorization: Bearer {UUID}", "Authorization: Bearer [36 characters not shown]"),
    (f'{{"access_token": "{UUID}"}}', '{"access_token": "[36 characters not shown]"}'),
    ("token=i-0abc1234def567890", "token=[19 characters not shown]"),
    ("got i-0abc1234def567890Xk9Zq2Lm7Np4Rs8Tv", "got [36 characters not shown]"),
    ("got I-0ABC1234DEF567890", "got [19 characters not shown]"),
    ("code=123456", "code=[6 characters not shown]"), ("code=4711", "code=[4 characters not shown]"),
    ('{"code": "SplxlOBeZQQYbYS6WxSbIA"}', '{"code": "[22 characters not shown]"}'),
    ("sig=403", "sig=[3 characters not shown]"),
    # Percent-encoded, whole (its "2Bdef" was shown).
    ("https://x.blob.core.windows.net/c?sv=2024&sig=abc%2Bdef%3D", "https://x.blob.core.windows.net/c?sv=2024"
     "&sig=[12 characters not shown]"),
]


@pytest.mark.parametrize(("said", "shown"), HIDDEN_NEAR_IDS)
def test_a_credential_beside_the_ids_shown_is_not_shown(said: str, shown: str) -> None:
    assert live._without_credentials(said) == shown


def test_an_auth_provider_failure_names_no_exception_and_prints_no_entry(tmp_path: Path) -> None:
    # It was "(ConfigException: Invalid kube-config file. Expected key id-token in
    # F/{'name': 'u', 'user': {'auth-provider': {...}}}/user/auth-provider/config)": the class,
    # and the user entry as a Python mapping, with whatever credentials it holds.
    config = {"client-id": "k8s", "client-secret": "hunter2-client-secret"}
    kc, message = failure(tmp_path, user(**{"auth-provider": {"name": "oidc", "config": config}}))
    assert message == (f"cannot use the auth-provider 'oidc' of context c (user u) of kubeconfig {kc}: the "
                       f"kubernetes client failed in it (Expected key id-token in {kc}/user/auth-provider/"
                       "config); use the provider's exec plugin instead (gke-gcloud-auth-plugin, kubelogin, "
                       "...), as kubectl does")
    assert "hunter2" not in message


# ------------------------------------------------------------------ an exec plugin's ExecCredential


def exec_status(status: Any) -> dict[str, Any]:
    """A kubeconfig user whose exec plugin prints an ExecCredential with ``status``."""
    credential = {"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
                  "status": status}
    return exec_user(f"print({json.dumps(json.dumps(credential))})")


def exec_failure(srv: Any, tmp_path: Path, status: Any, **kw: Any) -> tuple[Path, str]:
    """The kubeconfig of ``srv`` whose exec plugin prints ``status``, and its snapshot's message."""
    doc = json.loads(srv.kubeconfig(tmp_path / "kc", **kw).read_text())
    doc["users"][0]["user"] = exec_status(status)
    path = tmp_path / "exec"
    path.write_text(json.dumps(doc))
    with pytest.raises(LiveError) as e:
        k8sviz.snapshot_cluster(kubeconfig=str(path))
    assert not EXCEPTION_NAME.search(str(e.value)), str(e.value)
    return path, str(e.value)


#: What follows a message about the ExecCredential an exec plugin printed.
FIX_THE_PLUGIN = "(kubectl refuses it too: update the exec plugin, or tell its authors)"


@pytest.mark.parametrize(("status", "said"), [
    # The client sent "Bearer 5", "Bearer True", the mapping's or list's repr (the credential in
    # Python's words), "Bearer None" or "Bearer ", and the server's 401 blamed the token.
    ({"token": 5}, "has a status.token that is a number, not text"),
    ({"token": True}, "has a status.token that is a boolean, not text"),
    ({"token": {"value": SECRET}}, "has a status.token that is an object, not text"),
    ({"token": [SECRET]}, "has a status.token that is a list, not text"),
    ({"token": None}, "has a status.token that is null, and no client certificate and key: it gives no "
                      "credentials"),
    ({"token": ""}, "has an empty status.token, and no client certificate and key: it gives no credentials"),
    ({"expirationTimestamp": "2099-01-01T00:00:00Z"},
     "has no status.token, and no client certificate and key: it gives no credentials"),
    # 'token' in 'abc...' was a substring test; null failed with Python's words.
    (SECRET, "has a status that is a string, not an object with the token or the client certificate and key"),
    (None, "has a status that is null, not an object with the token or the client certificate and key"),
])
def test_an_exec_plugins_token_that_is_not_text_is_refused_in_words(
    apiserver: Any, tmp_path: Path, status: Any, said: str
) -> None:
    srv = apiserver(small())
    path, message = exec_failure(srv, tmp_path, status)
    assert message == (f"the credentials of context test-ctx (user auditor) of kubeconfig {path} could not "
                       f"be obtained: exec: the ExecCredential the plugin printed {said} {FIX_THE_PLUGIN}")
    assert SECRET not in message
    assert not srv.requests  # nothing sent with a token that is none


def test_an_exec_plugins_token_that_is_not_text_at_a_refresh_is_refused_in_words(
    apiserver: Any, tmp_path: Path
) -> None:
    # The check runs in the threads fetching lists too, where the client refreshes the token.
    srv = apiserver(small(), token=TOKEN)
    credential = {"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
                  "status": {"token": 12345}}
    path = _expiring_exec(srv, lambda srv: str(srv.kubeconfig(tmp_path / "kc")), tmp_path,
                          f"print({json.dumps(json.dumps(credential))})")
    with pytest.raises(LiveError) as e:
        k8sviz.snapshot_cluster(kubeconfig=str(path), concurrency=4)
    assert str(e.value) == (f"the credentials of context test-ctx (user auditor) of kubeconfig {path} could "
                            "not be refreshed during the snapshot: exec: the ExecCredential the plugin "
                            f"printed has a status.token that is a number, not text {FIX_THE_PLUGIN}")
    assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in srv.requests)


def test_other_users_of_the_client_are_left_as_they_were(apiserver: Any, tmp_path: Path) -> None:
    # The check is k8sviz's: the client, used directly in the same process after a snapshot,
    # reads the plugin's output as it always did (here, as "Bearer 5").
    from kubernetes import client, config

    srv = apiserver(small())
    path, _ = exec_failure(srv, tmp_path, {"token": 5})
    cfg = client.Configuration()
    config.load_kube_config(config_file=str(path), client_configuration=cfg, persist_config=False)
    assert list(cfg.api_key.values()) == ["Bearer 5"]  # BearerToken; authorization in client 31


@pytest.fixture
def tls_server(apiserver: Any, tls_files: tuple[str, str, str], client_cert: tuple[str, str]) -> Any:
    """A test API server over HTTPS that takes the ``client_cert`` as the user auditor's."""
    ca, cert, key = tls_files
    return apiserver(small(), tls=(cert, key), client_ca=ca)


def pem(path: str) -> str:
    return Path(path).read_text()


@pytest.mark.parametrize("token", ["absent", None, ""])
def test_an_exec_plugins_client_certificate_and_key_are_used(
    tls_server: Any, tls_files: tuple[str, str, str], client_cert: tuple[str, str], tmp_path: Path,
    token: Any
) -> None:
    # A null or empty token beside them is no token, as kubectl reads it (the client sent
    # "Bearer None" and left the certificate out).
    status = {"clientCertificateData": pem(client_cert[0]), "clientKeyData": pem(client_cert[1])}
    if token != "absent":
        status["token"] = token
    doc = json.loads(tls_server.kubeconfig(tmp_path / "kc", ca_file=tls_files[0]).read_text())
    doc["users"][0]["user"] = exec_status(status)
    (tmp_path / "exec").write_text(json.dumps(doc))
    assert len(k8sviz.snapshot_cluster(kubeconfig=str(tmp_path / "exec")).pods) == 2
    assert {r.client_cert for r in tls_server.requests} == {"auditor"}
    assert not [r for r in tls_server.requests if "authorization" in r.headers]


def test_an_exec_plugins_client_certificate_and_key_that_are_no_pair_are_refused_in_words(
    tls_server: Any, tls_files: tuple[str, str, str], client_cert: tuple[str, str], tmp_path: Path
) -> None:
    # It was "cannot reach the API server ...: [SSL] PEM lib (_ssl.c:3905)" for a pair that is
    # none, "a bytes-like object is required, not 'int'" for data that is not text.
    ca, server_cert, _ = tls_files
    cert, key = pem(client_cert[0]), pem(client_cert[1])
    lead = (f"the credentials of context test-ctx (user auditor) of kubeconfig {tmp_path / 'exec'} could not "
            "be obtained: exec: the ExecCredential the plugin printed has ")
    no_pair = ("a status.clientCertificateData and status.clientKeyData that are not a PEM certificate and "
               "its unencrypted private key")
    pair = ": a client certificate is used with its key"
    for status, said in [
        ({"clientCertificateData": pem(server_cert), "clientKeyData": key}, no_pair),  # another's key
        ({"clientCertificateData": cert, "clientKeyData": pem(ca)}, no_pair),
        ({"clientCertificateData": "hello", "clientKeyData": "world"}, no_pair),
        # base64 of the PEM, as a kubeconfig's client-certificate-data is written: the status holds PEM
        ({"clientCertificateData": base64.b64encode(cert.encode()).decode(),
          "clientKeyData": base64.b64encode(key.encode()).decode()}, no_pair),
        ({"clientCertificateData": cert},
         f"a status.clientCertificateData without a status.clientKeyData{pair}"),
        ({"clientKeyData": key, "token": "t"},
         f"a status.clientKeyData without a status.clientCertificateData{pair}"),
        ({"clientCertificateData": 5, "clientKeyData": key},
         "a status.clientCertificateData that is a number, not text"),
        ({"clientCertificateData": cert, "clientKeyData": [key]},
         "a status.clientKeyData that is a list, not text"),
        # kubectl checks the pair beside a token too.
        ({"token": TOKEN, "clientCertificateData": cert, "clientKeyData": cert}, no_pair),
    ]:
        _, message = exec_failure(tls_server, tmp_path, status, ca_file=ca)
        assert message == f"{lead}{said} {FIX_THE_PLUGIN}"
        assert "PRIVATE KEY" not in message and key.splitlines()[1] not in message
    assert not tls_server.requests
