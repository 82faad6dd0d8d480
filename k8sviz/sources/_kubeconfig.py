"""The entries of a kubeconfig's context checked before the ``kubernetes`` client reads them.

The client fails on a broken entry with a Python exception (``FileNotFoundError: [Errno 2] ...``
for a ``tokenFile``, ``binascii.Error`` for ``certificate-authority-data`` that is not base64),
with ``File does not exist: PATH`` naming no field, with an ``ssl`` error once it connects
("cannot reach the API server: [X509: NO_CERTIFICATE_OR_CRL_FOUND]" for a CA file that holds
no certificate), or not at all: a context naming a user the kubeconfig does not have is taken
as no credentials, and a token YAML read as a number is sent as ``Bearer 5``; the API server
then answers 401.  Checked here, each is one
:class:`~k8sviz.errors.LiveError` naming the kubeconfig, the entry, the field and the file.

Paths are resolved as the client resolves them: relative to the directory of the kubeconfig
file the cluster entry came from (the client takes the user's client certificate relative to
the cluster's file too), a ``tokenFile`` relative to the user's.
"""

from __future__ import annotations

import base64
import binascii
import os
import shutil
import ssl
import sys
import tempfile
from typing import Any

from .._text import as_written, kind_of
from ..errors import LiveError


def _entries(doc: Any, section: str, shown: str) -> dict[str, Any]:
    """The named entries of ``section`` (clusters, users), as the client merges them: the first of
    a name wins.  Each is the client's ``ConfigNode`` (``.value``, ``.path``) or a plain mapping."""
    out: dict[str, Any] = {}
    for i, node in enumerate(doc.get(section) or ()):
        value = getattr(node, "value", node)
        name = value.get("name") if isinstance(value, dict) else None
        if not isinstance(name, str) or not name:
            # The client: "Expected all values in F/users list to have 'name' key".
            said = "is missing" if name is None else f"is {as_written(name, 40)}"
            raise LiveError(f"kubeconfig {shown}: {section}[{i}] has no name (its name field {said})")
        out.setdefault(name, node)
    return out


def _base(node: Any) -> str:
    path = getattr(node, "path", None)
    return os.path.abspath(os.path.dirname(path)) if isinstance(path, str) and path else ""


def check_entries(shown: str, context: str, body: dict[str, Any], doc: Any) -> None:
    """A LiveError for what the client would fail on, or misread, in context ``context``
    (``body``: its ``context`` mapping) of the merged kubeconfig ``doc`` (named ``shown``)."""
    clusters, users = _entries(doc, "clusters", shown), _entries(doc, "users", shown)
    cluster_name, user_name = body.get("cluster"), body.get("user")
    where = f"context {context} of kubeconfig {shown}"
    if not isinstance(cluster_name, str) or not cluster_name:
        said = "is missing" if cluster_name is None else f"is {as_written(cluster_name, 40)}"
        raise LiveError(f"{where} names no cluster (its cluster field {said})")
    if not isinstance(user_name, str | None):
        raise LiveError(f"{where} names no user (its user field is {as_written(user_name, 40)})")
    if cluster_name not in clusters:
        listed = ", ".join(sorted(clusters)) or "none"
        raise LiveError(f"{where} names the cluster {as_written(cluster_name)}, which the kubeconfig does "
                        f"not have (its clusters: {listed})")
    # No user at all is anonymous access, which the client and kubectl allow; a user named and
    # missing is a mistake (kubectl: "user ... was not found for context ..."), not anonymity.
    if user_name not in (None, "") and user_name not in users:
        listed = ", ".join(sorted(users)) or "none"
        raise LiveError(f"{where} names the user {as_written(user_name)}, which the kubeconfig does not "
                        f"have (its users: {listed})")
    node = clusters[cluster_name]
    cluster = getattr(node, "value", node).get("cluster")
    owner = f"cluster {cluster_name} of kubeconfig {shown}"
    if not isinstance(cluster, dict):
        raise LiveError(f"{owner} has no cluster mapping (with its server address)")
    server = cluster.get("server")
    if not isinstance(server, str) or not server.strip():
        said = "is missing" if server is None else f"is {as_written(server)}"
        raise LiveError(f"{owner} has no server address (its server field {said})")
    user_node = users.get(user_name) if user_name else None
    user = getattr(user_node, "value", user_node).get("user") if user_node is not None else None
    user = user if isinstance(user, dict) else {}
    user_owner = f"user {user_name} of kubeconfig {shown}"
    if "://" not in server:
        _check_schemeless(server, cluster, user, owner)
    base = _base(node)
    if server.startswith("https"):  # the client reads certificates for https servers only
        ca = _file_or_data(cluster, "certificate-authority", owner, base)
        if ca is not None:
            _check_ca(ca, "certificate-authority", owner)
        cert = _file_or_data(user, "client-certificate", user_owner, base)
        key = _file_or_data(user, "client-key", user_owner, base)
        if cert is not None and key is not None:
            _check_pair(cert, key, user_owner)
    _check_token(user.get("token"), user_owner)
    if not user.get("token") and "tokenFile" in user:  # a token wins, as in kubectl (a null one is none)
        token_file = _readable(user["tokenFile"], "tokenFile", user_owner, _base(user_node))
        with open(token_file, "rb") as f:
            if not f.read(4096).strip():
                # The client sends no token at all, and the server's 401 would blame the token.
                raise LiveError(f"{_named(('tokenFile', token_file))} of {user_owner} is empty")
    exec_ = user.get("exec")
    if isinstance(exec_, dict) and isinstance(exec_.get("command"), str) and exec_["command"]:
        _check_command(exec_["command"], user_owner, base)
        _check_interactive_mode(exec_, f"user {user_name} (context {context}) of kubeconfig {shown}")


def _check_token(token: Any, owner: str) -> None:
    """A LiveError when the user's ``token`` is not text: YAML reads ``token: 12345`` as a number,
    ``token: yes`` as a boolean, ``token: 2024-01-02`` as a date.

    kubectl refuses a number or a boolean there (client-go reads the kubeconfig into typed
    fields: "cannot unmarshal number into Go struct field"); the Python client sends the value's
    Python text ("Bearer 5", "Bearer True", "Bearer <...ConfigNode object at 0x...>" for a list),
    or no token at all for 0, and the API server's 401 then blamed the token.  The value is not
    shown: it is a credential.
    A null token is none, as kubectl reads it (see ``live._load_kubeconfig``).
    """
    if token is None or isinstance(token, str):
        return
    if isinstance(token, list | tuple | dict):
        raise LiveError(f"the token of {owner} is {kind_of(token)}, not text: give the token as one quoted "
                        "string")
    raise LiveError(f"the token of {owner} is {kind_of(token)}, not text; quote it, so that YAML reads it "
                    "as written")


def _file_or_data(entry: dict[str, Any], key: str, owner: str, base: str) -> tuple[str, str | bytes] | None:
    """``(how it is named, the file's path or the decoded data)`` of ``key`` or ``key-data``
    (preferred, as by the client), None when neither is set."""
    data_key = f"{key}-data"
    if data_key in entry:
        data = entry[data_key]
        if data in (None, ""):
            return None  # the client takes an empty one as none
        if not isinstance(data, str):
            raise LiveError(f"the {data_key} of {owner} is {as_written(data, 40)}, not base64 text")
        try:
            return data_key, base64.standard_b64decode(data.encode())
        except (binascii.Error, ValueError):
            raise LiveError(f"the {data_key} of {owner} is not valid base64") from None
    if key in entry:
        return key, _readable(entry[key], key, owner, base)
    return None


def _check_schemeless(server: str, cluster: dict[str, Any], user: dict[str, Any], owner: str) -> None:
    """A LiveError for a server address without ``https://`` where TLS settings are given.

    kubectl (client-go's ``DefaultServerURL``) takes such an address as https when the cluster
    has a certificate authority, a TLS server name or ``insecure-skip-tls-verify``, or the user
    a client certificate and key; else as http.  The Python client reads those settings only
    for an ``https://`` server, and would talk plain HTTP to a TLS port (a reset connection).
    Without them, the address is taken as http, as kubectl takes it.
    """
    tls = [f for f in ("certificate-authority", "certificate-authority-data", "tls-server-name")
           if cluster.get(f)]
    if cluster.get("insecure-skip-tls-verify") is True:
        tls.append("insecure-skip-tls-verify")
    if (any(user.get(f) for f in ("client-certificate", "client-certificate-data"))
            and any(user.get(f) for f in ("client-key", "client-key-data"))):
        tls.append("client-certificate")
    if tls:
        raise LiveError(
            f"{owner}: its server {as_written(server, 80)} has no scheme; kubectl takes it as "
            f"https://{server} because the kubeconfig gives {tls[0]}, but the Python client reads TLS "
            f"settings only for an https:// server: write https://{server} in the kubeconfig"
        )


def _readable(value: Any, field: str, owner: str, base: str) -> str:
    """The path ``value`` (field ``field`` of ``owner``) names, relative to ``base``; a LiveError
    when it is no path, does not exist, or cannot be read."""
    if not isinstance(value, str) or not value:
        raise LiveError(f"the {field} of {owner} is {as_written(value, 40)}, not a file name")
    path = os.path.normpath(os.path.join(base, value))
    what = f"{_named((field, path))} of {owner}"
    if not os.path.exists(path):
        raise LiveError(f"{what} does not exist")
    if os.path.isdir(path):
        raise LiveError(f"{what} is a directory, not a file")
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        raise LiveError(f"{what} cannot be read ({(e.strerror or 'unreadable').lower()})") from None
    return path


def _named(got: tuple[str, str | bytes]) -> str:
    """``the file F (certificate-authority)`` or ``the certificate-authority-data``."""
    field, value = got
    return f"the file {value} ({field})" if isinstance(value, str) else f"the {field}"


def _check_ca(got: tuple[str, str | bytes], field: str, owner: str) -> None:
    """A LiveError when the certificate authority holds no PEM certificate (urllib3 fails on it
    only when it connects, which read as a server that cannot be reached)."""
    _, value = got
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        if isinstance(value, str):
            ctx.load_verify_locations(cafile=value)
        else:
            ctx.load_verify_locations(cadata=value.decode("ascii"))
    except (ssl.SSLError, UnicodeDecodeError, ValueError):
        raise LiveError(f"{_named(got)} of {owner} holds no PEM certificate") from None


def _check_pair(cert: tuple[str, str | bytes], key: tuple[str, str | bytes], owner: str) -> None:
    """A LiveError when the client certificate and key are not a PEM certificate and its key."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    with tempfile.TemporaryDirectory(prefix="k8sviz-") as tmp:
        paths = []
        for (field, value) in (cert, key):
            if isinstance(value, bytes):
                path = os.path.join(tmp, field)
                with open(path, "wb") as f:
                    f.write(value)
                value = path
            paths.append(value)
        try:
            # An encrypted key: an empty passphrase fails rather than OpenSSL prompting for one.
            ctx.load_cert_chain(paths[0], paths[1], password=lambda: b"")
        except (ssl.SSLError, ValueError):
            raise LiveError(f"{_named(cert)} and {_named(key)} of {owner} are not a PEM certificate and its "
                            "unencrypted private key") from None


def _check_command(command: str, owner: str, base: str) -> None:
    """A LiveError when the exec plugin's command is not found (the client logged
    "[Errno 2] No such file or directory: 'x'" and went on without credentials)."""
    if os.sep in command:
        # Run from the cluster's kubeconfig directory, as the client runs it.
        found = os.path.join(base, command)
        ok = os.path.isfile(found) and os.access(found, os.X_OK)
    else:
        ok = shutil.which(command) is not None
    if not ok:
        raise LiveError(f"the exec plugin {as_written(command)} of {owner} (its exec.command) is not "
                        "installed or not on the PATH: install it, or fix the command")


#: client-go's ``ExecInteractiveMode`` values, the only ones kubectl takes.
INTERACTIVE_MODES = ("Never", "IfAvailable", "Always")

#: The exec ``apiVersion`` values for which kubectl defaults a missing ``interactiveMode`` to
#: ``IfAvailable`` (client-go's ``SetDefaults_ExecConfig``); any other version must give one.
_MODE_DEFAULTED = ("client.authentication.k8s.io/v1beta1", "client.authentication.k8s.io/v1alpha1")


def interactive_mode(exec_: Any) -> str:
    """The ``interactiveMode`` of the exec entry ``exec_`` as kubectl reads it: the field, else
    ``IfAvailable`` (what kubectl defaults it to for ``v1beta1``; :func:`check_entries` has
    refused a missing one for other versions, and a value kubectl does not take)."""
    get = getattr(exec_, "safe_get", None) or getattr(exec_, "get", None)
    mode = get("interactiveMode") if get is not None else None
    return mode if mode in INTERACTIVE_MODES else "IfAvailable"


def stdin_terminal() -> int | None:
    """The file descriptor of k8sviz's standard input when it is a terminal, else None (no
    standard input, a file, a pipe, the null device, or one replaced by a caller)."""
    stream = sys.stdin
    try:
        fd = stream.fileno() if stream is not None else -1
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return None
    return fd if fd >= 0 and os.isatty(fd) else None


#: Why an ``Always`` plugin is not run without a terminal (see :func:`_check_interactive_mode`).
NO_TERMINAL = ("has interactiveMode Always, but standard input is not a terminal: kubectl does not run it "
               "either (\"exec plugin cannot support interactive mode: standard input is not a "
               "terminal\")")


def _check_interactive_mode(exec_: dict[str, Any], owner: str) -> None:
    """A LiveError for an exec plugin's ``interactiveMode`` kubectl refuses (client-go's
    ``validateAuthInfo``: missing where the ``apiVersion`` gives no default, or not one of
    :data:`INTERACTIVE_MODES`), and for an ``Always`` plugin without a terminal to read from
    (client-go's ``isInteractive``: it fails before running it).

    The Python client reads no ``interactiveMode``: it ran every plugin interactively when its
    own standard output was a terminal, and a plugin that must ask for a login otherwise waited
    for an answer from nowhere, until the timeout.
    """
    command = as_written(exec_["command"])
    if not isinstance(exec_.get("apiVersion"), str) or not exec_["apiVersion"]:
        return  # the client refuses it ("exec: malformed request. missing key 'apiVersion'")
    if "interactiveMode" not in exec_ or exec_["interactiveMode"] in (None, ""):
        if exec_.get("apiVersion") in _MODE_DEFAULTED:
            return
        version = as_written(exec_.get("apiVersion"), 60)
        raise LiveError(f"the exec plugin {command} of {owner} gives no interactiveMode, which kubectl "
                        f"requires for its apiVersion {version} (\"interactiveMode must be specified\"): "
                        "set it to Never for a plugin that never asks anything, IfAvailable for one that "
                        "may ask for a login on a terminal, or Always for one that must")
    mode = exec_["interactiveMode"]
    if mode not in INTERACTIVE_MODES:
        raise LiveError(f"the exec plugin {command} of {owner} has the interactiveMode "
                        f"{as_written(mode, 40)}, which kubectl does not take: it is Never, IfAvailable or "
                        "Always")
    if mode == "Always" and stdin_terminal() is None:
        raise LiveError(f"the exec plugin {command} of {owner} {NO_TERMINAL}; run k8sviz on a terminal "
                        "(its input not redirected, as in a pipe, a cron job or CI), so that the plugin "
                        "can ask for your login, or use a kubeconfig user that needs no login there")


#: How the messages of :func:`check_exec_status` begin (the client logs them as the plugin's
#: failure, as it logs its own "exec: ..." ones).
EXEC_STATUS = "exec: the ExecCredential the plugin printed"


def check_exec_status(status: Any) -> Any:
    """The ``status`` of the ExecCredential an exec plugin printed, checked as kubectl (client-go)
    checks it before the client uses it; a LiveError saying what is wrong, never showing a value.

    The client sends a token that is not text as Python prints it (``Bearer 5``, ``Bearer None``,
    a mapping's repr) and an empty one as ``Bearer``; it writes a client certificate and key to
    files for the TLS handshake without looking at them (a pair that is none failed as a server
    that cannot be reached, "PEM lib"), and failed on one that is not text with Python's words.
    client-go refuses a token that is not text (it reads the JSON into typed fields), a
    certificate without its key or a key without its certificate, a pair that does not parse,
    and a status with neither a token nor a pair.  Where client-go takes an empty or null token
    as none and uses the certificate and key, the status is returned without the token, so that
    the client uses them too (it prefers any token it is given).
    """
    if not isinstance(status, dict):
        raise LiveError(f"{EXEC_STATUS} has a status that is {kind_of(status, 'an object')}, not an object "
                        "with the token or the client certificate and key")
    for field in ("token", "clientCertificateData", "clientKeyData"):
        value = status.get(field)
        if value is not None and not isinstance(value, str):
            # The value is not shown: it is a credential.
            raise LiveError(f"{EXEC_STATUS} has a status.{field} that is {kind_of(value, 'an object')}, "
                            "not text")
    token, cert, key = status.get("token"), status.get("clientCertificateData"), status.get("clientKeyData")
    if bool(cert) != bool(key):
        given, missing = ("clientCertificateData", "clientKeyData")[:: 1 if cert else -1]
        raise LiveError(f"{EXEC_STATUS} has a status.{given} without a status.{missing}: a client "
                        "certificate is used with its key")
    if cert and key:
        try:
            _check_pair(("clientCertificateData", cert.encode()), ("clientKeyData", key.encode()), "")
        except LiveError:
            raise LiveError(f"{EXEC_STATUS} has a status.clientCertificateData and status.clientKeyData that "
                            "are not a PEM certificate and its unencrypted private key") from None
        return status if token else {k: v for k, v in status.items() if k != "token"}
    if not token:
        said = ("no status.token" if "token" not in status
                else "a status.token that is null" if token is None else "an empty status.token")
        raise LiveError(f"{EXEC_STATUS} has {said}, and no client certificate and key: it gives no "
                        "credentials")
    return status
