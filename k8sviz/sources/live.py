"""Read-only snapshots of a live cluster, through the official ``kubernetes`` client.

Only ``GET`` requests are made, Secrets are never requested, and the kubeconfig is never
written (``persist_config=False``).  Lists are fetched as raw JSON (camelCase, exactly what
``kubectl get -o json`` prints) and go through the same :class:`~k8sviz.snapshot.SnapshotBuilder`
as offline dumps, so a live snapshot and an offline snapshot of the same objects are equal.

A resource the credentials may not list is recorded as ``coverage[plural] = "forbidden"``
(unknown, never empty); a group version or resource the cluster does not serve (per API discovery,
or a 404) is ``"not-installed"``.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import ipaddress
import json
import logging
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import pairwise
from typing import IO, TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar
from urllib.parse import quote

from .._checks import is_count, path_problem, require_flag, type_name
from .._text import as_given, as_written, counted, kind_of, scalar
from .._warnings import outside_stacklevel
from ..errors import LiveError
from ..model import LoadWarning
from ..snapshot import SnapshotBuilder
from ._kubeconfig import (
    EXEC_STATUS,
    NO_TERMINAL,
    check_entries,
    check_exec_status,
    interactive_mode,
    stdin_terminal,
)

if TYPE_CHECKING:
    from ..snapshot import Snapshot

try:  # orjson parses large lists several times faster than json.
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is a dependency
    from json import loads as _loads  # type: ignore[assignment]

__all__ = ["RESOURCES", "Resource", "snapshot_cluster"]

log = logging.getLogger("k8sviz.live")

_T = TypeVar("_T")

#: Items per page (``limit``), as kubectl uses.
PAGE_SIZE = 500
#: ``(connect, read)`` timeout of every request, in seconds.  The read timeout bounds each
#: wait for the next bytes, not the whole answer: see :data:`REQUEST_DEADLINE`.  A deadline
#: shorter than the connect timeout is the connect timeout too.  The connect timeout bounds the
#: TLS handshake as a whole, not each read of it: CPython's ``do_handshake`` takes the socket's
#: timeout as one deadline, so a server trickling its ServerHello a byte a second ends there.
REQUEST_TIMEOUT: tuple[float, float] = (5.0, 60.0)
#: Longest one response may take to arrive in full, in seconds, unless :func:`snapshot_cluster`
#: is given another ``timeout`` (``--timeout``).  A server (or proxy) that trickles its answer a
#: byte at a time never trips the read timeout; this bounds it.
REQUEST_DEADLINE = 300.0
#: Largest response body read, in bytes.  A page holds at most :data:`PAGE_SIZE` objects of at
#: most 1.5 MB each (etcd's limit), well under this.
MAX_RESPONSE_BYTES = 1 << 30
#: Most pages read for one list (``PAGE_SIZE`` times this is millions of objects): a server
#: that hands out new continue tokens forever ends in an error, not an endless snapshot.
MAX_PAGES = 10_000
#: Attempts per request when the server answers 408, 429 or 5xx.
MAX_ATTEMPTS = 5
#: Statuses below 500 that are retried as 5xx are: the request may succeed when asked again.
#: 429: throttled (API Priority and Fairness, with a Retry-After).  408: no API server sends it
#: (its own timeouts answer 504, or 500 "ServerTimeout", both retried as 5xx), but a proxy or
#: load balancer before it does when the request was slow to reach it or idled on a kept-alive
#: connection; RFC 9110 (15.5.9) lets a client repeat the request, and a GET is safe to repeat.
#: client-go retries only 429 and 5xx (rest.checkWait), so kubectl fails on a 408 where this
#: retries it.
RETRIED = frozenset({408, 429})
#: Backoff before retry ``n`` (0-based) when the server sends no ``Retry-After``.
BACKOFF = (0.25, 0.5, 1.0, 2.0, 4.0)
#: Longest ``Retry-After`` honoured, in seconds.
MAX_RETRY_AFTER = 30.0
#: Lists (and discovery documents) fetched at once by default.  Paging keeps each list
#: sequential (every page needs the previous page's continue token), so a large cluster's time
#: is the longest list's round trips; the other lists come meanwhile.  Four is far below an API
#: server's default limit of 400 read-only requests in flight.
CONCURRENCY = 4


@dataclass(frozen=True, slots=True)
class Resource:
    """One list endpoint: ``GET /api[s]/<group>/<version>/[namespaces/<ns>/]<plural>``."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    #: The key in :attr:`Snapshot.coverage <k8sviz.snapshot.Snapshot.coverage>`.
    coverage: str = ""

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        return self.coverage or self.plural

    def path(self, namespace: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if namespace is not None:
            return f"{base}/namespaces/{quote(namespace, safe='')}/{self.plural}"
        return f"{base}/{self.plural}"


def _r(gv: str, plural: str, kind: str, namespaced: bool, coverage: str = "") -> Resource:
    group, _, version = gv.rpartition("/")
    return Resource(group, version, plural, kind, namespaced, coverage)


#: Built-in resources, listed on every cluster (in this order).
BUILTIN: tuple[Resource, ...] = (
    _r("v1", "namespaces", "Namespace", False),
    _r("v1", "nodes", "Node", False),
    _r("v1", "pods", "Pod", True),
    _r("v1", "services", "Service", True),
    _r("v1", "serviceaccounts", "ServiceAccount", True),  # their labels: Calico selects by them
    _r("v1", "replicationcontrollers", "ReplicationController", True),
    _r("discovery.k8s.io/v1", "endpointslices", "EndpointSlice", True),
    _r("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", True),
    _r("networking.k8s.io/v1", "ingresses", "Ingress", True),
    _r("apps/v1", "deployments", "Deployment", True),
    _r("apps/v1", "statefulsets", "StatefulSet", True),
    _r("apps/v1", "daemonsets", "DaemonSet", True),
    _r("apps/v1", "replicasets", "ReplicaSet", True),
    _r("batch/v1", "jobs", "Job", True),
    _r("batch/v1", "cronjobs", "CronJob", True),
)

#: ClusterNetworkPolicy, newest version first: one is listed, the first the cluster serves
#: (both versions serve the same objects).
CNP_VERSIONS: tuple[Resource, ...] = (
    _r("policy.networking.k8s.io/v1beta1", "clusternetworkpolicies", "ClusterNetworkPolicy", False),
    _r("policy.networking.k8s.io/v1alpha2", "clusternetworkpolicies", "ClusterNetworkPolicy", False),
)

#: Policy CRDs / aggregated APIs, listed when API discovery says the cluster serves them.
OPTIONAL: tuple[Resource, ...] = (
    _r("policy.networking.k8s.io/v1alpha1", "adminnetworkpolicies", "AdminNetworkPolicy", False),
    _r("policy.networking.k8s.io/v1alpha1", "baselineadminnetworkpolicies",
       "BaselineAdminNetworkPolicy", False),
    _r("cilium.io/v2", "ciliumnetworkpolicies", "CiliumNetworkPolicy", True),
    _r("cilium.io/v2", "ciliumclusterwidenetworkpolicies", "CiliumClusterwideNetworkPolicy", False),
)

_CALICO = (
    ("networkpolicies", "NetworkPolicy", True),
    ("globalnetworkpolicies", "GlobalNetworkPolicy", False),
    ("tiers", "Tier", False),
    ("networksets", "NetworkSet", True),
    ("globalnetworksets", "GlobalNetworkSet", False),
    ("stagednetworkpolicies", "StagedNetworkPolicy", True),
    ("stagedglobalnetworkpolicies", "StagedGlobalNetworkPolicy", False),
    ("stagedkubernetesnetworkpolicies", "StagedKubernetesNetworkPolicy", True),
)
#: Calico: the ``projectcalico.org/v3`` API when served, else its backing CRDs.
CALICO_V3 = tuple(_r("projectcalico.org/v3", p, k, n, f"{p}.projectcalico.org") for p, k, n in _CALICO)
CALICO_CRD = tuple(_r("crd.projectcalico.org/v1", p, k, n, f"{p}.projectcalico.org") for p, k, n in _CALICO)

#: Everything :func:`snapshot_cluster` may list (the ClusterRole in ``docs/live.md`` grants these).
RESOURCES: tuple[Resource, ...] = BUILTIN + CNP_VERSIONS + OPTIONAL + CALICO_V3 + CALICO_CRD


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# ------------------------------------------------------------------------------------------
# Client setup


def _import_kubernetes() -> tuple[Any, Any]:
    try:
        from kubernetes import client, config
    except ImportError:
        msg = "snapshots of a live cluster need the kubernetes client: pip install 'k8sviz[live]'"
        raise LiveError(msg) from None
    return client, config


def _what(value: Any) -> str:
    """A YAML value as a kubeconfig's reader would describe it."""
    if isinstance(value, str):
        if len(value) > 12 and " " not in value.strip():
            # One long word: a token given where a mapping belongs (``user: <token>``, or a
            # token file passed as --kubeconfig).  Quoting it would print the credential.
            return (f"plain text ({len(value.strip())} characters without a space, not shown: it may be "
                    "a credential)")
        return f"plain text ({as_written(value, 40)})"
    if isinstance(value, bool):
        return f"a boolean ({scalar(value)})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    return kind_of(value)


def _kubeconfig_problem(text: str) -> str | None:
    """Why ``text`` (a kubeconfig file's content) is no kubeconfig, or None if its shape is one.

    The client indexes the parsed YAML without looking at it first, so plain text, a list or a
    string fails deep inside it with a TypeError about Python types that names no file.
    """
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        return (f"is not valid YAML ({getattr(e, 'problem', None) or 'a syntax error'}"
                f"{f' at line {mark.line + 1}' if mark is not None else ''})")
    if doc is None:
        return None  # the client says "file is empty"
    if not isinstance(doc, dict):
        return f"is not a kubeconfig: it holds {_what(doc)}, not a mapping with clusters, contexts and users"
    for section, entry in (("clusters", "cluster"), ("contexts", "context"), ("users", "user")):
        items = doc.get(section)
        if items is None:
            continue
        if not isinstance(items, list):
            return f"is not a kubeconfig: {section} is {_what(items)}, not a list"
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                return (f"is not a kubeconfig: {section}[{i}] is {_what(item)}, not a mapping with name and "
                        f"{entry}")
            if item.get(entry) is not None and not isinstance(item[entry], dict):
                return f"is not a kubeconfig: {section}[{i}].{entry} is {_what(item[entry])}, not a mapping"
    return None


def _check_kubeconfig(kubeconfig: str | None) -> None:
    """A LiveError naming the file when a kubeconfig the client would read is not one."""
    from kubernetes.config.kube_config import ENV_KUBECONFIG_PATH_SEPARATOR, KUBE_CONFIG_DEFAULT_LOCATION

    # The files the client reads: a list, as in $KUBECONFIG, for an explicit path too.
    paths = (kubeconfig or KUBE_CONFIG_DEFAULT_LOCATION).split(ENV_KUBECONFIG_PATH_SEPARATOR)
    if not any(os.path.exists(os.path.expanduser(path)) for path in paths if path):
        # The client skips missing files and then says "Invalid kube-config file. No
        # configuration found.", which reads as a broken file rather than a wrong path.
        shown = ", ".join(paths)
        if kubeconfig:
            msg = f"kubeconfig {shown} does not exist"
        else:
            where = "$KUBECONFIG" if os.environ.get("KUBECONFIG") else "the default kubeconfig"
            msg = f"no kubeconfig: {where} {shown} does not exist; give --kubeconfig FILE"
        raise LiveError(msg)
    for path in paths:
        full = os.path.expanduser(path) if path else ""
        try:
            with open(full, encoding="utf-8", errors="replace") as f:
                problem = _kubeconfig_problem(f.read())
        except OSError:
            continue  # missing or unreadable: the client skips it or says so
        if problem:
            msg = f"kubeconfig {path} {problem}"
            raise LiveError(msg)


def _kubeconfig_shown(kubeconfig: str | None) -> str:
    """The kubeconfig file(s) the client reads, as messages name them."""
    from kubernetes.config.kube_config import KUBE_CONFIG_DEFAULT_LOCATION

    return kubeconfig or str(KUBE_CONFIG_DEFAULT_LOCATION)


def _check_context(kubeconfig: str | None, context: str | None) -> tuple[str, dict[str, Any], Any]:
    """The context to use, named by the user or the kubeconfig; a LiveError listing the
    kubeconfig's contexts when there is none to use.  Returns the credentials' description
    for messages (``context C (user U) of kubeconfig F``), the user's entry and the
    ``proxy-url`` of the context's cluster (None without one).

    The client's own messages ("Expected key current-context in F") neither list the contexts
    nor say to choose one, and an auditor's kubeconfig often holds several and no current one.
    """
    import yaml
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.kube_config import KubeConfigMerger

    shown = _kubeconfig_shown(kubeconfig)
    try:
        merged = KubeConfigMerger(shown).config
        doc = getattr(merged, "value", merged)
        contexts = {str(c["name"]): getattr(c, "value", c) for c in doc.get("contexts") or ()}
        current = doc.get("current-context")
    except (ConfigException, OSError, ValueError, TypeError, KeyError, AttributeError, yaml.YAMLError):
        return f"kubeconfig {shown}", {}, None  # the client's loader names the problem
    listed = ", ".join(sorted(contexts)) or "none"
    if context is None:
        if not current:
            msg = (f"kubeconfig {shown} sets no current-context: name one with --context "
                   f"(its contexts: {listed})")
            raise LiveError(msg)
        if str(current) not in contexts:
            msg = (f"kubeconfig {shown}: its current-context {as_written(current)} is not one of its "
                   f"contexts ({listed}); name one with --context")
            raise LiveError(msg)
        context = str(current)
    elif context not in contexts:
        msg = f"kubeconfig {shown} has no context {as_written(context)} (its contexts: {listed})"
        raise LiveError(msg)
    body = contexts[context].get("context") if isinstance(contexts[context], dict) else None
    if not isinstance(body, dict):
        msg = f"context {context} of kubeconfig {shown} has no context mapping (with its cluster and user)"
        raise LiveError(msg)
    check_entries(shown, context, body, doc)
    user = body.get("user")
    users = [getattr(u, "value", u) for u in doc.get("users") or ()]
    entry = next((u.get("user") for u in users if isinstance(u, dict) and u.get("name") == user), None)
    clusters = [getattr(c, "value", c) for c in doc.get("clusters") or ()]
    cluster = next((c.get("cluster") for c in clusters
                    if isinstance(c, dict) and c.get("name") == body.get("cluster")), None)
    return (f"context {context}{f' (user {user})' if user else ''} of kubeconfig {shown}",
            entry if isinstance(entry, dict) else {},
            cluster.get("proxy-url") if isinstance(cluster, dict) else None)


class _ExecErrors(logging.Handler):
    """The errors the client's kubeconfig loader logs instead of raising.

    A failing exec plugin (expired cloud login, plugin not installed) is logged to the root
    logger and the loader goes on without credentials: the API server then answers 401, which
    hides the plugin's own message ("run gcloud auth login").  Attached to the root logger
    while the kubeconfig loads, this also keeps ``logging.error`` from configuring the root
    logger (``ERROR:root:...`` on stderr) as a side effect.
    """

    def __init__(self, thread: int | None = None) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []
        #: Only records of this thread (a token refreshed while other lists are fetched).
        self.thread = thread

    def emit(self, record: logging.LogRecord) -> None:
        if self.thread is None or record.thread == self.thread:
            # The loader logs from inside its ``except`` block, so the error it caught is still
            # being handled here: what the plugin printed is in it (see _exec_words).
            self.messages.append(_exec_words(record.getMessage(), sys.exc_info()[1]))

    def advice(self) -> str:
        """What to do, for the end of a message made of :attr:`messages`."""
        if any(m.startswith(EXEC_STATUS) for m in self.messages):
            return "(kubectl refuses it too: update the exec plugin, or tell its authors)"
        if any(NO_TERMINAL in m for m in self.messages):
            return "(run k8sviz on a terminal, so that the plugin can ask for your login)"
        if any(m.startswith(_NOT_A_CREDENTIAL) for m in self.messages):
            return ("(run the exec command to see what it prints: a login prompt, a bare token, or the "
                    "wrong command?)")
        return "(log in again, or check that the exec plugin is installed)"


#: ``on`` in a thread where k8sviz loads or refreshes credentials, and ``plugins`` there: the
#: :class:`_PluginRuns` its exec plugin processes are recorded in (see _checked_exec_plugins).
_EXEC_CHECKED = threading.local()
_EXEC_INSTALL = threading.Lock()


class _PluginRuns:
    """The exec plugin processes started for one loading or refresh of the credentials, so that
    one given up on (its deadline passed, the snapshot failed or was interrupted) is ended, not
    left running: a plugin waiting for a browser login would wait on after k8sviz has exited.

    The client runs a plugin with ``Popen`` and ``communicate()`` without a timeout, as
    client-go runs it (``cmd.Run()``; kubernetes/kubernetes#108849 decided against killing it
    when the request's context ends, as a slow first login would be cut short): the snapshot's
    ``timeout`` is what bounds it here.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: Each process, and whether it leads its own process group (see _PluginSubprocess).
        self._started: list[tuple[subprocess.Popen[Any], bool]] = []
        self.ended = False

    def started(self, process: subprocess.Popen[Any], own_group: bool) -> None:
        with self._lock:
            self._started.append((process, own_group))
            ended = self.ended
        if ended:  # started after its run was given up on
            self._kill(process, own_group)

    def end(self) -> None:
        """Given up on: every process started is killed, and any started later."""
        with self._lock:
            self.ended = True
            started = list(self._started)
        for process, own_group in started:
            self._kill(process, own_group)

    @staticmethod
    def _kill(process: subprocess.Popen[Any], own_group: bool) -> None:
        # SIGKILL, as Go's exec.CommandContext ends a command: a plugin waiting for a login may
        # ignore a SIGTERM.  Its whole group: a plugin that is a shell script waits in a child
        # (``sleep``, ``curl``) that would outlive the script and hold its output open.
        with contextlib.suppress(OSError):
            if own_group:
                os.killpg(process.pid, signal.SIGKILL)
            elif process.poll() is None:  # not ended and reaped: its pid is still its own
                _kill_tree(process.pid)


def _kill_tree(pid: int) -> None:
    """SIGKILL to the process ``pid`` (an interactive exec plugin, in k8sviz's own process group)
    and to its descendants in that group, read from Linux's ``/proc``; elsewhere to it alone.

    Its group cannot be killed (it is k8sviz's, and the terminal's foreground group), and the
    plugin cannot have a group of its own: a process outside the terminal's foreground group is
    stopped (SIGTTIN) when it reads the terminal, so its login prompt would hang; making its group
    the foreground one would take the terminal, and Ctrl-C, from k8sviz while it runs.  Each
    process is stopped (SIGSTOP) before its children are read, so that none starts another
    meanwhile, and all are killed at the end.  A child that left the group (a daemon, an agent
    started to outlive the login) is left, as a group's kill leaves it; so is one whose parent
    had already ended (it is no one's descendant then).
    """
    group = os.getpgid(pid)
    stopped: list[int] = []
    try:
        os.kill(pid, signal.SIGSTOP)
        stopped.append(pid)
        parents = [pid]
        while parents:
            found = [child for child, (ppid, pgid) in _processes().items()
                     if ppid in parents and pgid == group and child not in stopped]
            for child in found:
                with contextlib.suppress(OSError):
                    os.kill(child, signal.SIGSTOP)
                    stopped.append(child)
            parents = found
    finally:
        for each in stopped:
            with contextlib.suppress(OSError):
                os.kill(each, signal.SIGKILL)
        if not stopped:
            os.kill(pid, signal.SIGKILL)


def _processes() -> dict[int, tuple[int, int]]:
    """``{pid: (parent pid, process group)}`` of every process in Linux's ``/proc`` (none where
    there is no ``/proc``)."""
    out: dict[int, tuple[int, int]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # ended meanwhile
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) >= 3:
            out[int(name)] = (int(fields[1]), int(fields[2]))
    return out


class _PluginSubprocess:
    """The ``subprocess`` module as the client's ``exec_provider`` module sees it: its ``Popen``
    runs, in a thread marked by :func:`_checked_exec_plugins`, the plugin as kubectl runs it, and
    records its process in that thread's :class:`_PluginRuns`; elsewhere it is
    ``subprocess.Popen`` unchanged.

    The client runs a plugin interactively whenever its own standard output is a terminal,
    whatever the kubeconfig's ``interactiveMode``; kubectl (client-go) decides by its standard
    input and the mode: ``Never``, never; ``IfAvailable``, when standard input is a terminal;
    ``Always``, when it is (else it fails: see :func:`_kubeconfig._check_interactive_mode`).
    ``CheckedExecProvider.run`` decides so, here it is applied: to the process's standard input
    and error, and to the ``spec.interactive`` of the ``KUBERNETES_EXEC_INFO`` it is given.

    A plugin run non-interactively gets the null device as its standard input, as client-go
    gives it, and a process group of its own, so that ending it ends its children too; it is
    then never stopped for reading the terminal from the background.  An interactive one keeps
    the terminal (as standard input and error) and k8sviz's process group (its login prompt must
    reach the user, and read its answer): it and its children in that group are ended one by
    one (see :func:`_kill_tree`).
    """

    def __init__(self, module: Any) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def Popen(self, args: Any, **kwargs: Any) -> Any:  # subprocess's name
        if not getattr(_EXEC_CHECKED, "on", False):
            return self._module.Popen(args, **kwargs)
        runs = getattr(_EXEC_CHECKED, "plugins", None)
        # The terminal's descriptor when the plugin runs interactively (see
        # CheckedExecProvider.run); the client's own choice where k8sviz did not decide.
        terminal = getattr(_EXEC_CHECKED, "terminal", _UNDECIDED)
        if terminal is _UNDECIDED:
            terminal = kwargs.get("stdin")
        own_group = False
        if terminal is None:
            kwargs["stdin"] = self._module.DEVNULL
            kwargs["stderr"] = self._module.PIPE  # its message, for k8sviz's error
            if os.name == "posix":
                kwargs["process_group"] = 0
                own_group = True
        else:
            kwargs["stdin"] = terminal
            kwargs["stderr"] = _stderr_for_plugin()
        kwargs["env"] = _exec_info_saying(kwargs.get("env"), interactive=terminal is not None)
        process = self._module.Popen(args, **kwargs)
        if isinstance(runs, _PluginRuns):
            runs.started(process, own_group)
        return _PluginProcess(process)


#: No decision of k8sviz's on how a plugin runs (see _PluginSubprocess.Popen).
_UNDECIDED = object()


def _stderr_for_plugin() -> Any:
    """Where an interactive plugin writes its prompt: k8sviz's standard error (as the client and
    kubectl give it), or descriptor 2 where a caller replaced ``sys.stderr`` with no file."""
    try:
        sys.stderr.flush()
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return 2


def _exec_info_saying(env: Any, interactive: bool) -> Any:
    """``env`` (the plugin's environment) with ``spec.interactive`` of its
    ``KUBERNETES_EXEC_INFO`` set to ``interactive``: the client sets it from its own choice."""
    if not isinstance(env, dict) or not isinstance(env.get("KUBERNETES_EXEC_INFO"), str):
        return env
    try:
        info = json.loads(env["KUBERNETES_EXEC_INFO"])
        info["spec"]["interactive"] = interactive
    except (ValueError, TypeError, KeyError):  # the client's own, always an object with a spec
        return env
    return {**env, "KUBERNETES_EXEC_INFO": json.dumps(info)}


class _PluginProcess:
    """A plugin's process as the client reads it: ``communicate()`` gives the empty text, not
    None, for the error output of an interactive plugin (on the terminal), which the client
    strips when the plugin fails ("'NoneType' object has no attribute 'strip'")."""

    def __init__(self, process: subprocess.Popen[Any]) -> None:
        self._process = process

    def __getattr__(self, name: str) -> Any:
        return getattr(self._process, name)

    def communicate(self, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        out, err = self._process.communicate(*args, **kwargs)
        return out, "" if err is None else err


@contextlib.contextmanager
def _checked_exec_plugins(plugins: _PluginRuns | None = None) -> Iterator[None]:
    """Within it, in this thread, the ExecCredential an exec plugin prints is checked by
    :func:`check_exec_status` before the client uses it, and the plugin's processes are
    recorded in ``plugins`` (to be ended by it).

    The client reads the plugin's output inside its kubeconfig loader, which k8sviz cannot
    reach: the check goes around the client's ``ExecProvider``, replaced once in its module by
    a subclass that checks in the threads marked here only, so that other users of the client
    in the process are not affected; the processes are seen through the ``subprocess`` that
    module runs them with (:class:`_PluginSubprocess`), replaced in the same way.  The loader
    logs what the check raises as the plugin's failure, which :class:`_ExecErrors` collects.
    """
    from kubernetes.config import exec_provider
    from kubernetes.config import kube_config as loader

    with _EXEC_INSTALL:
        if not isinstance(exec_provider.subprocess, _PluginSubprocess):
            exec_provider.subprocess = _PluginSubprocess(exec_provider.subprocess)  # type: ignore[assignment]
        provider = loader.ExecProvider
        if not getattr(provider, "k8sviz_checked", False):
            class CheckedExecProvider(provider):  # type: ignore[valid-type,misc]
                k8sviz_checked = True

                def __init__(self, exec_config: Any, *args: Any, **kwargs: Any) -> None:
                    super().__init__(exec_config, *args, **kwargs)
                    self.k8sviz_mode = interactive_mode(exec_config)

                def run(self, *args: Any, **kwargs: Any) -> Any:
                    if not getattr(_EXEC_CHECKED, "on", False):
                        return super().run(*args, **kwargs)
                    # As kubectl decides (client-go's isInteractive), not by standard output.
                    mode = getattr(self, "k8sviz_mode", "IfAvailable")
                    terminal = stdin_terminal() if mode != "Never" else None
                    if mode == "Always" and terminal is None:
                        # Checked before loading; here for a refresh, should standard input
                        # have been replaced meanwhile.  The loader logs it (_ExecErrors).
                        raise LiveError(f"exec: the exec plugin {NO_TERMINAL}")
                    _EXEC_CHECKED.terminal = terminal
                    try:
                        status = super().run(*args, **kwargs)
                    finally:
                        _EXEC_CHECKED.terminal = _UNDECIDED
                    return check_exec_status(status)

            loader.ExecProvider = CheckedExecProvider  # type: ignore[misc]
    was = getattr(_EXEC_CHECKED, "on", False), getattr(_EXEC_CHECKED, "plugins", None)
    _EXEC_CHECKED.on, _EXEC_CHECKED.plugins = True, plugins
    try:
        yield
    finally:
        _EXEC_CHECKED.on, _EXEC_CHECKED.plugins = was


#: How :func:`_exec_words` begins what it says of a plugin whose output is no ExecCredential.
_NOT_A_CREDENTIAL = "exec: the plugin printed "


def _exec_words(message: str, handling: BaseException | None) -> str:
    """The loader's logged error ``message`` on one line, in words where it has the JSON parser's
    or Python's: a plugin whose output is not JSON was "exec: failed to decode process output:
    Expecting value: line 1 column 1 (char 0)", one printing a JSON number "argument of type
    'int' is not iterable".  ``handling``: the exception being handled when it was logged (the
    client's ConfigException, raised while handling the parser's error, which holds the output).
    """
    text = " ".join(message.split())
    if text.startswith("exec: failed to decode process output"):
        error = handling.__context__ if handling is not None else None
        if not isinstance(error, json.JSONDecodeError):
            return f"{_NOT_A_CREDENTIAL}something that is not an ExecCredential in JSON"
        return f"{_NOT_A_CREDENTIAL}{_printed(error)}"
    if isinstance(handling, TypeError) and re.fullmatch(r"argument of type '\w+' is not iterable", text):
        # Its output parsed as a JSON number, true, false or null: not shown (a bare token?).
        return f"{_NOT_A_CREDENTIAL}a single JSON value, not an ExecCredential object"
    if text.startswith("exec: process returned"):
        # What the failing plugin wrote on standard error follows: "error: refresh failed for
        # <token>" is not to be quoted whole.
        return _without_credentials(text)
    return text


#: The start of a JSON object, or of a list of lists, objects or strings: output that may be an
#: ExecCredential, token and all.
_JSON_START = re.compile(r'\{|\[\s*[\[{"\]]')


def _printed(error: json.JSONDecodeError) -> str:
    """What an exec plugin printed that is no JSON (``error.doc``), for a message: its first 100
    or so characters as written, unless it may hold a credential, which is never shown: one long
    word (a bare token), or JSON that does not parse (an ExecCredential, token and all, followed
    by a line of log, or cut short).  In words, a word that may be a credential is left out
    (:func:`_without_credentials`): "Bearer <token>", "token=<token>"."""
    shown = error.doc.strip()
    if not shown:
        return "nothing on standard output, not an ExecCredential in JSON"
    if _JSON_START.match(shown):  # "[INFO] ..." is a log line: shown
        where = f"line {error.lineno}, column {error.colno}"
        if error.msg == "Extra data":
            return (f"JSON followed by more output (from {where}; not shown: it may hold the credential): "
                    "an exec plugin prints its ExecCredential alone on standard output")
        return f"JSON that does not parse (at {where}; not shown: it may hold the credential)"
    if len(shown) > 12 and not any(c.isspace() for c in shown):
        return (f"one word of {len(shown):,} characters (not shown: it may be a credential), not an "
                "ExecCredential in JSON")
    shown = _without_credentials(shown)
    limit = 100
    for left_out in _LEFT_OUT.finditer(shown):
        if left_out.start() < limit < left_out.end():
            limit = left_out.end()  # "[40 characters not shown]" whole, or not at all
    return f"{as_written(shown, limit)}, not an ExecCredential in JSON"


#: A run of the characters a token is made of: base64 and base64url, hex, a JWT's dots, the
#: ``~`` of RFC 6750's bearer tokens, ``=`` (base64's padding, or ``key=value``), and ``%`` (a
#: token in a URL is percent-encoded: ``sig=abc%2Bdef`` showed its ``2Bdef``).
_TOKEN_RUN = re.compile(r"[A-Za-z0-9._~+/=%-]+")
#: ``key=`` before a value in one run (``token=abc123...``): the key is shown, the value judged.
_KEY_IS = re.compile(r"([A-Za-z][A-Za-z0-9_.-]*)=(?=[^=])")
#: A key whose value is a credential whatever it looks like (``password=hunter2``): a token, a
#: secret, a password, an API key, a signature (``sig=`` of a signed URL), an OAuth ``code``.
_SECRET_KEY = re.compile(r"(?i)(?:[\w.-]*[-_.])?(?:token|secret|passw(?:or)?d|pwd|api[-_]?key|credentials?|"
                         r"signature)|(?:access|id|refresh|auth|session)token|clientsecret|apikey|code|sig|"
                         r"session|cookie")
#: What precedes a credential whatever it looks like: ``Bearer `` (an Authorization header's
#: value; ``Basic `` too, written as the header writes it), and a secret key's JSON value
#: (``"access_token": "``).
_BEFORE_SECRET = re.compile(r'(?:(?i:\bbearer)|\bBasic)\s+\Z|"(?P<key>[\w.-]+)"\s*:\s*"\Z')
#: Words after ``bearer`` in English, not a token: "missing bearer token", "bearer auth".
_AFTER_BEARER = re.compile(r"(?i)(?:tokens?|auth|authentication|authorization|credentials?|header|scheme|"
                           r"realm|is|was|not|missing|required|expired|invalid)=?")
#: A JWT: three dot-separated base64url parts, the first an encoded JSON object (``{"`` is ``eyJ``).
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
#: The separators between the parts of a name (``prod-cluster-2024-eu-west1``, ``v1.28.0``).
_NAME_PARTS = re.compile(r"[-._~/]+")
#: A part of a name: a word, a number, or a short mix with one change (``west1``, ``v1``,
#: ``2024a``) or of three characters (``k8s``, ``ec2``).
_NAME_PART = re.compile(r"[A-Za-z]+|[0-9]+|(?=.{2,12}$)(?:[A-Za-z]+[0-9]+|[0-9]+[A-Za-z]+)|[A-Za-z0-9]{3}")
#: A UUID, as some API keys are.
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
#: A label saying that the UUID after it is a request's id (``request id: ``, ``RequestId=``,
#: ``x-ms-request-id: ``, Microsoft Entra's ``Trace ID: ``/``Correlation ID: ``): a UUID is shown
#: there, and only there (one alone may be an API key).
_REQUEST_ID = r"(?:x-(?:ms|amz|goog)-)?(?:client-)?(?:request|trace|correlation|activity)[-_ ]?id"
_REQUEST_ID_KEY = re.compile(f"(?i){_REQUEST_ID}")
_BEFORE_REQUEST_ID = re.compile(f"(?i)(?<![A-Za-z0-9]){_REQUEST_ID}(?:\\s*[:=]\\s*|\\s+)\\Z")
#: An AWS resource id (``i-0abc1234def567890``, ``vol-...``, ``vpc-...``: a prefix naming the
#: kind, and 8 or 17 lowercase hex digits), as an error names an instance: no credential has
#: this shape.  Judged as a short name, in a word (``instance/i-...``) too.
_AWS_ID = re.compile(r"(?<![A-Za-z0-9])(?:i|r|vol|snap|ami|eni|sg|subnet|vpc|vpce|igw|nat|rtb|acl|"
                     r"eipalloc|lt|tgw|pcx)-(?:[0-9a-f]{17}|[0-9a-f]{8})(?![A-Za-z0-9])")
#: The value of ``code=`` that is shown: an HTTP status or an exit code (an OAuth authorization
#: code is random, and a one-time password has at least 6 digits, RFC 4226).
_STATUS_CODE = re.compile(r"[0-9]{1,3}")


#: What :func:`_without_credentials` writes in place of a word.
_LEFT_OUT = re.compile(r"\[\d+ characters not shown\]")


def _opaque(word: str) -> bool:
    """Whether ``word`` (a run of a token's characters) may be a credential by its look.

    A token is random: a JWT, or 16 or more characters holding letters and digits both (hex,
    base64, ``ghp_...``, ``AKIA...``, a UUID; a hash as a file name too), or 20 or more letters
    changing case as random letters do (base64 that happens to hold no digit).  A name is not:
    it is made of parts between separators (``-``, ``.``, ``_``, ``~``, ``/``) that are words,
    numbers or short ones of both (``prod-cluster-2024-eu-west1``, ``v1.28.0-gke.1234567``,
    ``us-central1-a``, ``k8s``), in one case or capitalised, where a token's parts mix letters
    and digits, and upper and lower case, at random.  An AWS resource id in it
    (``i-0abc1234def567890``) is such a part: its hex is the id's, not a secret's.
    """
    if len(word) < 16:
        return False
    if _JWT.fullmatch(word):
        return True
    named = _AWS_ID.sub("id", word)
    if named != word:  # the rest is judged, as a name's parts are
        return _opaque(named)
    if not any(c.isdigit() for c in word):
        letters = "".join(c for c in word if c.isalpha())
        # CamelCase changes case at most twice a word (InvalidClientTokenId: 7 of 19 pairs).
        return len(letters) >= 20 and _case_changes(letters) >= 0.4 * (len(letters) - 1)
    if not any(c.isalpha() for c in word):
        return False  # a number, a date, an address
    if _UUID.fullmatch(word):
        return True
    parts = [p for p in _NAME_PARTS.split(word) if p]
    return len(parts) < 2 or not all(
        _NAME_PART.fullmatch(p) and _case_changes(p) <= max(2, 0.3 * (len(p) - 1)) for p in parts)


def _case_changes(text: str) -> int:
    """How often the letters of ``text`` change from lower to upper case or back, one to the next
    (``West1``: once; random letters: every other one)."""
    return sum(a.islower() != b.islower() for a, b in pairwise(text) if a.isalpha() and b.isalpha())


def _without_credentials(text: str) -> str:
    """``text`` (what an exec plugin printed) with every word that may be a credential replaced by
    ``[N characters not shown]``, the rest kept, so that "Please log in:" or "error: refresh
    failed for ..." is still read.

    A word that may be a credential: one that looks random (:func:`_opaque`: a JWT, hex,
    base64, an opaque token), alone or as the value of ``key=value``; and whatever its look, the
    value of a secret key (``token=``, ``password=``, ``client_secret=``, ``"access_token": "``)
    and the word after ``Bearer`` (but ``code=`` a status of up to 3 digits is shown).  A UUID
    is shown only after a label saying it is a request's id (``request id: ``, ``RequestId=``,
    ``"requestId": "``, ``Trace ID: ``).  Names are shown (``prod-cluster-2024-eu-west1``,
    ``v1.28.0-gke.1234567``, ``login.example.com``, ``ExecCredential``): they are the message.
    A URL is judged part by part between its slashes, so its host and path are shown and a token
    in it is not; so is a path (``/home/u/.kube/cache/oidc-login/<hash>``).
    """
    def hidden(word: str) -> str:
        return f"[{len(word)} characters not shown]"

    def secret(key: str, value: str) -> bool:
        """Whether the value of ``key`` is a credential whatever it looks like."""
        if key.lower() == "code" and _STATUS_CODE.fullmatch(value):
            return False
        return _SECRET_KEY.fullmatch(key) is not None

    def judged(run: str) -> str:
        if run.startswith("//"):  # the rest of a URL after its scheme
            return "/".join(judged(part) if part else part for part in run.split("/"))
        key = _KEY_IS.match(run)
        if key:
            value = run[key.end():]
            if secret(key.group(1), value):
                return f"{key.group()}{hidden(value)}"
            if _REQUEST_ID_KEY.fullmatch(key.group(1)) and _UUID.fullmatch(value):
                return run
            return key.group() + judged(value)
        if run.startswith(("/", "./", "../", "~/")):  # a path: its directories are names
            return "/".join(hidden(part) if _opaque(part) else part for part in run.split("/"))
        return hidden(run) if _opaque(run) else run

    def each(m: re.Match[str]) -> str:
        run = m.group()
        before = _BEFORE_SECRET.search(text, max(0, m.start() - 100), m.start())
        if before is not None:
            key = before.group("key")
            if key is None and not _AFTER_BEARER.fullmatch(run):  # Bearer <token>
                return hidden(run)
            if key is not None and secret(key, run):
                return hidden(run)
            if key is not None and _REQUEST_ID_KEY.fullmatch(key) and _UUID.fullmatch(run):
                return run  # "requestId": "<uuid>"
        if _UUID.fullmatch(run) and _BEFORE_REQUEST_ID.search(text, max(0, m.start() - 40), m.start()):
            return run  # request id: <uuid>
        return judged(run)

    return _TOKEN_RUN.sub(each, text)


#: Terminal colour codes, as a credential command's output may hold.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


#: A mapping's repr in a path of the client's messages (``F/{'name': 'u', 'user': {...}}/user``):
#: Python's words, and a user entry's repr holds its credentials.
_ENTRY_REPR = re.compile(r"/\{.*\}")


def _client_words(e: BaseException) -> str:
    """The message of an error of the client (or of a library under it) on one line, without
    colour codes, the client's ``Invalid kube-config file.`` preamble (the message says which
    file it is) or the entries it prints as Python mappings (with their credentials)."""
    text = " ".join(_ANSI.sub("", str(e)).split())
    text = re.sub(r"^Invalid kube-config( file)?\.\s*", "", text)
    return _ENTRY_REPR.sub("", text) or "no message"


def _as_text(value: object) -> str:
    """A field a server sends as text, as it is; any other value as JSON writes it (``[true]``,
    ``null``), not as Python does (``[True]``, ``None``)."""
    return value if isinstance(value, str) else as_written(value)


def _clip(text: str, size: int) -> str:
    """``text`` cut to about ``size`` characters (a command's usage text runs to pages)."""
    return text if len(text) <= size else text[:size].rstrip() + " ..."


def _http_by_default(configuration: type) -> Any:
    """The client's ``Configuration`` class, taking a server address without a scheme as http.

    kubectl takes such an address as http unless the kubeconfig gives TLS settings, where it
    takes https (refused with a message in ``_kubeconfig.check_entries``: the Python client reads
    TLS settings only for an https:// server).  urllib3 would warn of a URL without a scheme on
    every request.  Every assignment, not one after loading: the kubeconfig loader sets the
    address again each time it refreshes the credentials, before every request.
    """
    class HttpByDefault(configuration):  # type: ignore[valid-type,misc]
        # __setattr__, not a property: ``host`` is a plain attribute in older clients (31).
        def __setattr__(self, name: str, value: Any) -> None:
            if name == "host" and isinstance(value, str) and "://" not in value:
                value = f"http://{value}"
            super().__setattr__(name, value)

    return HttpByDefault


def _proxy_as_kubectl(cfg: Any, proxy_url: Any, origin: str) -> None:
    """The proxy kubectl sends the requests through, set in the client's configuration ``cfg``
    where the client did not set it, and where it was set (for messages: see :func:`_proxy_named`).

    kubectl takes the cluster's ``proxy-url`` (``proxy_url``), else the environment's
    (``HTTPS_PROXY``, ``HTTP_PROXY`` for an http server, and ``NO_PROXY``; never for a server on
    localhost, and not ``ALL_PROXY``).  The client reads both from kubernetes 37 on (and
    ``ALL_PROXY`` too, and sends a loopback server's requests to the proxy); before, neither,
    and the requests went to the API server directly, past the proxy the kubeconfig names.
    """
    from urllib.parse import urlsplit
    from urllib.request import getproxies

    set_proxy = getattr(cfg, "proxy", None)
    if isinstance(proxy_url, str) and proxy_url:
        if not set_proxy:
            cfg.proxy = proxy_url
        # client-go uses a proxy-url for every request (http.ProxyURL): NO_PROXY is for the
        # environment's proxy, and the client 37 applied it to this one too.
        cfg.no_proxy = None
        cfg.k8sviz_proxy_from = f"the proxy-url of {origin}"
        return
    proxies = getproxies()
    parts = urlsplit(str(cfg.host))
    scheme = parts.scheme.lower()
    url = proxies.get(scheme)
    if not url and set_proxy and set_proxy == proxies.get("all"):
        # Go's ProxyFromEnvironment reads no ALL_PROXY (a SOCKS proxy other tools take), nor
        # does kubectl; the client 37 takes it.
        cfg.proxy = None
        return
    if not url or (set_proxy and set_proxy != url):
        return  # no proxy, or one a caller set
    if _is_loopback(parts.hostname or ""):
        # Go's net/http never sends a request for localhost or a loopback address to the
        # environment's proxy (httpproxy's useProxy), NO_PROXY or not: kubectl reaches a kind
        # cluster or `kubectl proxy` on 127.0.0.1 directly.  The client 37 sends it on.
        if set_proxy:
            cfg.proxy = None
        return
    if not set_proxy:
        cfg.proxy = url
        if getattr(cfg, "no_proxy", None) is None:
            cfg.no_proxy = proxies.get("no")
    names = (f"{scheme}_proxy", f"{scheme.upper()}_PROXY")
    name = next((v for v in names if os.environ.get(v) == url), None)
    cfg.k8sviz_proxy_from = f"set by {name} in the environment" if name else "set in the environment"


def _is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1), as Go's httpproxy tells them."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _send_proxy_credentials(cfg: Any) -> None:
    """The user and password of an HTTP(S) proxy's URL (``proxy-url``, ``HTTPS_PROXY``) sent to
    the proxy (``Proxy-Authorization``, basic), as kubectl (Go's ``net/http``) sends them.

    urllib3 takes no credentials from a proxy's URL (only from ``proxy_headers``), so the client
    sent none, and a proxy that wants them answered the tunnel's CONNECT with 407.  A SOCKS
    proxy's are taken from its URL by urllib3 itself.  Headers the caller set are kept.
    """
    import base64
    from urllib.parse import unquote, urlsplit

    url = getattr(cfg, "proxy", None)
    if not isinstance(url, str) or not url:
        return
    try:
        parts = urlsplit(url)
        user, password = parts.username, parts.password
    except ValueError:
        return  # the client fails on it, naming the address
    headers = dict(getattr(cfg, "proxy_headers", None) or {})
    if (parts.scheme.lower() not in ("http", "https") or user is None
            or any(k.lower() == "proxy-authorization" for k in headers)):
        return
    credentials = f"{unquote(user)}:{unquote(password or '')}".encode()
    headers["Proxy-Authorization"] = f"Basic {base64.b64encode(credentials).decode('ascii')}"
    cfg.proxy_headers = headers


def _api_client(
    kubeconfig: str | None, context: str | None, in_cluster: bool, concurrency: int = 1,
    deadline: float | None = None,
) -> tuple[Any, str, str]:
    """An explicit ``ApiClient`` (never the global default), the context name and the
    credentials' description for messages.  ``deadline``: the seconds the kubeconfig's loading
    may take, an exec plugin's first run included (:data:`REQUEST_DEADLINE` unless given)."""
    client, config = _import_kubernetes()
    from kubernetes.config.config_exception import ConfigException

    cfg = _http_by_default(client.Configuration)()
    shown = _kubeconfig_shown(kubeconfig)
    origin = "the in-cluster service account"
    user: dict[str, Any] = {}
    proxy_url: Any = None
    exec_errors = _ExecErrors()
    try:
        if not in_cluster:
            _check_kubeconfig(kubeconfig)
        if in_cluster:
            config.load_incluster_config(client_configuration=cfg)
            name = context or "in-cluster"
        else:
            origin, user, proxy_url = _check_context(kubeconfig, context)
            _load_within(partial(_load_kubeconfig, config, shown, context, cfg), exec_errors,
                         REQUEST_DEADLINE if deadline is None else deadline, origin, user)
            if context is None:
                _, active = config.list_kube_config_contexts(config_file=kubeconfig)
                context = str(active["name"])
            name = context
    except Exception as e:  # the client's and its auth plugins' errors, named below
        # One line: YAML errors and an auth-provider's command output span several. An
        # auth-provider raises what its library raises (google-auth's DefaultCredentialsError
        # where google-auth is installed), so every exception is caught here.
        if isinstance(e, LiveError):
            raise
        detail = _client_words(e)
        provider = user.get("auth-provider")
        if isinstance(provider, dict):
            # gcp and azure auth-providers were removed from kubectl (1.26); the client fails
            # inside them (an AttributeError, or the gcloud command's usage text).
            msg = (f"cannot use the auth-provider {as_written(provider.get('name'))} of {origin}: the "
                   "kubernetes "
                   f"client failed in it ({_clip(detail, 300)}); use the provider's "
                   "exec plugin instead (gke-gcloud-auth-plugin, kubelogin, ...), as kubectl does")
            raise LiveError(msg) from None
        if isinstance(e, ConfigException):
            where = "in-cluster service account" if in_cluster else f"kubeconfig {shown}"
            msg = f"cannot use the {where}: {detail}"
            raise LiveError(msg) from None
        # Unreadable file, malformed YAML, fields of the wrong shape deeper than the check
        # above looks.
        msg = f"cannot use kubeconfig {shown}: not a usable kubeconfig ({_clip(detail, 300)})"
        raise LiveError(msg) from None
    if exec_errors.messages:
        msg = (f"the credentials of {origin} could not be obtained: {'; '.join(exec_errors.messages)} "
               f"{exec_errors.advice()}")
        raise LiveError(msg)
    cfg.get_api_key_with_prefix = _refreshing(cfg.get_api_key_with_prefix, origin)
    _proxy_as_kubectl(cfg, proxy_url, origin)
    _send_proxy_credentials(cfg)
    import urllib3

    # Connection errors are retried twice by urllib3; HTTP statuses are handled here.  Redirects
    # are answers too (redirect=False), not followed: an API server sends none, and following
    # one would send the bearer token wherever a proxy or login page points.
    cfg.retries = urllib3.Retry(
        total=2, connect=2, read=0, status=0, redirect=False, other=0, backoff_factor=0.2,
        respect_retry_after_header=False, raise_on_status=False,
    )
    # One pooled connection per list fetched at once (the client's default is 5 per CPU).
    cfg.connection_pool_maxsize = max(int(cfg.connection_pool_maxsize or 1), concurrency)
    api = client.ApiClient(cfg)
    _track_connections(api.rest_client.pool_manager)
    return api, name, origin


def _load_within(
    load: Callable[[], None], errors: _ExecErrors, deadline: float, origin: str, user: dict[str, Any]
) -> None:
    """``load()`` (the client's kubeconfig loader, which runs the user's exec plugin, if any,
    for its first credential), given ``deadline`` seconds, the loader's logged errors collected
    in ``errors``.

    The client waits for the plugin without a timeout (see :class:`_PluginRuns`): a plugin
    waiting for a browser login, or stuck on the network, held ``k8sviz snapshot`` forever,
    before any request and its deadline.  The loader runs in a thread of its own, as a request
    does (:meth:`_Reader._within_deadline`); past the deadline its plugin is killed and the
    snapshot fails, saying so.  ``user``: the kubeconfig's user entry, ``origin`` its words.
    """
    plugins = _PluginRuns()
    done: list[BaseException | None] = []
    root = logging.getLogger()

    def run() -> None:
        # This thread's records only: a refresh given up on in an earlier snapshot may still log
        # its plugin's failure from its own thread.  Removed by this thread when the loader
        # returns, so that a plugin killed at the deadline is never logged to stderr.
        errors.thread = threading.get_ident()
        root.addHandler(errors)
        try:
            with _checked_exec_plugins(plugins):
                load()
            done.append(None)
        except BaseException as e:
            done.append(e)
        finally:
            root.removeHandler(errors)

    thread = threading.Thread(target=run, name="k8sviz-credentials", daemon=True)
    try:
        thread.start()
        thread.join(min(deadline, threading.TIMEOUT_MAX))
    except BaseException:
        plugins.end()  # Ctrl-C while a plugin waits: it ends with k8sviz
        raise
    if not done:
        plugins.end()
        exec_ = user.get("exec")
        command = exec_.get("command") if isinstance(exec_, dict) else None
        provider = user.get("auth-provider")
        name = provider.get("name") if isinstance(provider, dict) else None
        if command is None and name is not None:
            # The client refreshes an expired OIDC id-token at load, from the idp-issuer-url, with
            # no timeout: an issuer that accepts the connection and never answers held it.
            config = provider.get("config") if isinstance(provider, dict) else None
            issuer = config.get("idp-issuer-url") if isinstance(config, dict) else None
            at = f"; its idp-issuer-url {as_written(issuer)} was asked for a fresh id-token" if issuer else ""
            raise LiveError(f"the credentials of {origin} could not be obtained: its auth-provider "
                            f"{as_written(name)} had not answered after {deadline:g} s (the timeout given)"
                            f"{at}; check that it can be reached from here, log in again, or give a "
                            "longer --timeout")
        if command is None:
            raise LiveError(f"the credentials of {origin} could not be obtained: loading them had not "
                            f"ended after {deadline:g} s (the timeout given); try again, or give a longer "
                            "--timeout")
        raise LiveError(f"the credentials of {origin} could not be obtained: its exec plugin "
                        f"{as_written(command)} had not finished after {deadline:g} s (the timeout given), "
                        "and was ended; does it wait for a login? Log in first (run the exec command "
                        "yourself), or give a longer --timeout")
    if done[0] is not None:
        raise done[0]


def _load_kubeconfig(config: Any, shown: str, context: str | None, cfg: Any) -> None:
    """The client's ``load_kube_config`` of the kubeconfig file(s) ``shown`` into ``cfg``, with a
    user's null or empty ``token`` taken as none, as kubectl takes it.

    client-go reads ``token: null`` as an empty token, and an empty token as none: the user's
    ``tokenFile``, exec plugin or client certificate is used, or no credentials.  The client
    failed on a null one ("Expected key token in F/{'name': ...}/user": the user entry as a
    Python mapping) and, for an empty one, left the ``tokenFile`` unread.  The files are merged
    as the client merges them (its ``KubeConfigMerger``, which keeps each entry's file for its
    relative paths), the token taken out, and the result loaded as the client loads a file.
    persist_config=False: refreshed tokens are never written back to the kubeconfig.
    """
    from kubernetes.config.kube_config import KubeConfigMerger

    merged = KubeConfigMerger(shown).config
    if merged is None:  # no file to read: the client's own message
        config.load_kube_config(config_file=shown, context=context, client_configuration=cfg,
                                persist_config=False)
        return
    for node in getattr(merged, "value", merged).get("users") or ():
        entry = getattr(node, "value", node)
        user = entry.get("user") if isinstance(entry, dict) else None
        if isinstance(user, dict) and "token" in user and (user["token"] is None or user["token"] == ""):
            del user["token"]
    config.load_kube_config_from_dict(config_dict=merged, context=context, client_configuration=cfg,
                                      persist_config=False)


def _refreshing(key_with_prefix: Callable[..., Any], origin: str) -> Callable[..., Any]:
    """``Configuration.get_api_key_with_prefix``, through which the client refreshes a token before
    each request (the kubeconfig loader's ``refresh_api_key_hook``: an exec plugin run again once
    its credential's ``expirationTimestamp`` nears, an OIDC token, a token file), made safe.

    * One refresh at a time: lists fetched at once must not run an exec plugin together.  The
      loader's hook installs a fresh hook each time, so the lock goes around this method, not
      around the hook.
    * A refresh that fails is a LiveError as clear as a first fetch that fails: the loader logs
      the exec plugin's failure to the root logger (printing ``ERROR:root:...``) and sends the
      old token, which the API server then refuses with a 401 that hides the plugin's message
      ("run gcloud auth login").  client-go (kubectl) fails the request too.
    """
    key_lock = threading.Lock()
    root = logging.getLogger()
    #: The error of a refresh that failed: the lists still under way fail with it, without
    #: running the plugin again (a login prompt each time, or a root handler added after the
    #: snapshot has failed).
    failed: list[str] = []

    def locked_key(*args: Any, **kwargs: Any) -> Any:
        # Run by a request in its own thread (see _Reader._within_deadline): its deadline
        # bounds the refresh too, and a refresh still running then is said as one.
        call = getattr(_current, "call", None)
        if call is not None:
            call.refreshing = True
        try:
            return refreshed_key(call, *args, **kwargs)
        finally:
            if call is not None:
                call.refreshing = False

    def refreshed_key(call: _Call | None, *args: Any, **kwargs: Any) -> Any:
        with key_lock:
            if failed:
                raise LiveError(failed[0])
            # This thread's records only: other lists' threads log meanwhile.
            errors = _ExecErrors(threading.get_ident())
            root.addHandler(errors)
            try:
                # The request given up on ends its plugin too (_Call.abandon).
                with _checked_exec_plugins(call.plugins if call is not None else None):
                    key = key_with_prefix(*args, **kwargs)
            except Exception as e:  # an auth-provider's refresh (OIDC...) raises what its library raises
                detail = _clip(_client_words(e), 300)
                failed.append(f"the credentials of {origin} could not be refreshed during the snapshot "
                              f"({detail or 'no message'}); get fresh credentials and try again")
            finally:
                root.removeHandler(errors)
            if call is not None and call.plugins.ended:
                # Its plugin killed at the deadline (or the snapshot failed): the request has
                # failed, saying so; "process returned -9" is no failure of the plugin for the
                # lists waiting for this lock.
                failed.clear()
                raise _Stopped
            if errors.messages and not failed:
                failed.append(f"the credentials of {origin} could not be refreshed during the snapshot: "
                              f"{_clip('; '.join(errors.messages), 600)} {errors.advice()}")
            if failed:
                raise LiveError(failed[0])
        # A token file ends with a line break more often than not; client-go (kubectl) trims
        # it, this client sends it, and http.client refuses the header, token and all.
        return key.strip() if isinstance(key, str) else key

    return locked_key


# ------------------------------------------------------------------------------------------
# Reading


class _Stopped(Exception):
    """The snapshot failed or was interrupted: a list fetched in the background stops."""


class _Denied(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class _NotFound(Exception):
    pass


class _Broken(Exception):
    """A response that did not arrive whole (its message says why, in plain words); ``retry``:
    whether asking again may help (a dropped connection) or not (an answer too large)."""

    def __init__(self, message: str, *, retry: bool = True, slow: bool = False):
        super().__init__(message)
        self.retry = retry
        #: The deadline passed: the server may be working, only slower than the timeout allows.
        self.slow = slow


class _Read(NamedTuple):
    """One list, read to its end."""

    items: list[dict[str, Any]]
    resource_version: str
    #: SHA-256 of its pages, as they came.
    sha256: str
    #: ``(announced, received)`` when the pages after the first held another number of items
    #: than the first page's ``metadata.remainingItemCount`` announced; None when they held that
    #: many, or nothing was announced (one page, or a server that does not count: see
    #: :func:`_miscount_warning`).
    miscount: tuple[int, int] | None = None


class _Unreachable(Exception):
    """No connection to the server could be made before the deadline; ``reason``: the last
    attempt's error, or why none ended."""

    def __init__(self, reason: Any):
        super().__init__(str(reason))
        self.reason = reason


#: The request of the running thread (see :meth:`_Reader._within_deadline`), for the connection
#: classes of :func:`_track_connections`.
_current = threading.local()


class _Call:
    """One request running in its own thread: whether it got a connection, what it is reading,
    and its socket, so that a request given up on can be told apart (never connected: the server
    cannot be reached; connected: it is slow) and ended from the caller's side.

    Set from the request's thread by the connection classes of :func:`_track_connections`.
    """

    def __init__(self) -> None:
        #: What is still arriving (for the deadline's message).
        self.phase = "status line and headers"
        #: The credentials are being refreshed (an exec plugin runs), or wait for a refresh.
        self.refreshing = False
        #: A connection was attempted, and one was made (or a pooled one reused).
        self.connecting = False
        self.connected = False
        #: The last failed connection attempt's error (urllib3 tries again after a backoff).
        self.connect_error: BaseException | None = None
        #: The seconds a TLS handshake was given when it timed out (see :func:`_handshake_words`).
        self.handshake_timeout: float | None = None
        #: The seconds a proxy was given to answer the CONNECT request when it timed out (see
        #: :meth:`_Reader._proxy_words`).
        self.proxy_timeout: float | None = None
        #: The HTTP status a proxy refused the CONNECT request with (see :meth:`_Reader._proxy_words`).
        self.proxy_refused: int | None = None
        self.abandoned = False
        #: The exec plugin run by a refresh of the credentials before the request.
        self.plugins = _PluginRuns()
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def attempt(self) -> None:
        """A connection attempt starts; one for a request given up on does not."""
        with self._lock:
            if self.abandoned:
                raise _Stopped
            self.connecting = True

    def reached(self, sock: socket.socket | None, phase: str) -> None:
        """Connected over ``sock``; a request given up on meanwhile closes it at once."""
        with self._lock:
            self.connected = True
            self.phase = phase
            self._sock = sock
            abandoned = self.abandoned
        if abandoned:
            self._shut()

    def abandon(self) -> None:
        """Given up on: its socket is shut down, which ends any read or handshake waiting on it
        (the thread then fails, and nobody reads its error), and no new connection is made."""
        with self._lock:
            self.abandoned = True
        self._shut()
        self.plugins.end()

    def _shut(self) -> None:
        sock = self._sock
        if sock is not None:
            # socket.socket's own shutdown, not SSLSocket's: that one first drops the TLS state
            # the request's thread may be reading through.
            with contextlib.suppress(OSError, ValueError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


#: How :func:`_handshake_words` begins (for :meth:`_Reader._advice`).
_HANDSHAKE_UNFINISHED = "the TLS handshake had not finished after "

#: What a request through a proxy waits for before the API server is reached: the proxy's
#: answer to its CONNECT request (see :func:`_track_connections`).
_PROXY_PHASE = "proxy's answer to its CONNECT request"


def _handshake_words(seconds: float, deadline: float) -> str:
    """Why a request whose server took the connection and never completed the TLS handshake
    failed: ``seconds`` it was given, ``deadline`` the snapshot's timeout (the connect timeout
    bounds the handshake when it is shorter: see :data:`REQUEST_TIMEOUT`)."""
    bound = ("the timeout given" if seconds >= deadline
             else "the time given to connect, the handshake included")
    return (f"{_HANDSHAKE_UNFINISHED}{seconds:g} s ({bound}): the server took the connection but did not "
            "complete the handshake")


#: How :meth:`_Reader._proxy_words` begins (for :meth:`_Reader._advice`).
_PROXY_UNANSWERED = "the proxy "

def _proxy_named(cfg: Any) -> str:
    """The proxy of the client's configuration ``cfg`` for messages: its address without the
    user and password its URL may hold, and where it was set (the environment, or the
    kubeconfig's ``proxy-url``)."""
    from urllib.parse import urlsplit

    url = str(getattr(cfg, "proxy", "") or "")
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        host, port, parts = "", None, None
    if parts is None or not host:
        shown = "(an address that does not parse)"
    else:
        secret = "[credentials not shown]@" if "@" in parts.netloc else ""
        shown = as_written(f"{parts.scheme}://{secret}{f'[{host}]' if ':' in host else host}"
                           f"{f':{port}' if port is not None else ''}")
    # Where it was set (see _proxy_as_kubectl); a caller's own configuration says nothing.
    set_by = getattr(cfg, "k8sviz_proxy_from", None)
    return f"{shown} ({set_by})" if set_by else shown


def _track_connections(pool_manager: Any) -> None:
    """Let ``pool_manager``'s connections report to the :class:`_Call` of the thread using them.

    Its pool classes (urllib3's, a proxy's or SOCKS's) are subclassed, as urllib3 documents for
    custom connection classes (``ConnectionCls``); nothing global is patched.
    """
    import urllib3

    def tracked(pool_cls: Any) -> Any:
        base = pool_cls.ConnectionCls
        tls = issubclass(base, urllib3.connection.HTTPSConnection)

        class Connection(base):  # type: ignore[misc, valid-type]
            def _new_conn(self) -> Any:
                call = getattr(_current, "call", None)
                if call is None:
                    return super()._new_conn()
                call.attempt()
                try:
                    sock = super()._new_conn()
                except BaseException as e:
                    call.connect_error = e
                    raise
                # Through a proxy, an https request first asks it for a tunnel (CONNECT): until
                # the proxy answers, the API server has not been reached.
                tunnel = getattr(self, "_tunnel_host", None) is not None
                call.reached(sock, _PROXY_PHASE if tunnel else "TLS handshake" if tls else
                             "status line and headers")
                return sock

            def _tunnel(self) -> None:
                call = getattr(_current, "call", None)
                try:
                    super()._tunnel()
                except OSError as e:
                    # http.client's "Tunnel connection failed: 407 Proxy Authentication Required",
                    # which urllib3 wraps in a tuple of reprs: its status, for words of k8sviz's.
                    refused = re.match(r"Tunnel connection failed: (\d{3})\b", str(e))
                    if call is not None and refused:
                        call.proxy_refused = int(refused.group(1))
                    raise
                if call is not None and call.phase == _PROXY_PHASE:  # the tunnel is open
                    call.phase = "TLS handshake" if tls else "status line and headers"

            def connect(self) -> None:
                call = getattr(_current, "call", None)
                try:
                    super().connect()
                except TimeoutError:
                    # ssl's "The handshake operation timed out": CPython gives the whole handshake
                    # the socket's timeout (urllib3's connect timeout) as one deadline, so a server
                    # trickling its ServerHello ends there too.  urllib3 reports it as a read
                    # timeout (urllib3#1366), which said "did not answer in time: overloaded".
                    # A proxy silent after a CONNECT times out the same way, on the same socket
                    # timeout, before any handshake: that one is the proxy's.
                    given = self.timeout
                    seconds = float(given) if isinstance(given, int | float) else None
                    if call is not None and call.phase == _PROXY_PHASE:
                        call.proxy_timeout = seconds
                    elif call is not None and tls and call.phase == "TLS handshake":
                        call.handshake_timeout = seconds
                    raise
                if call is not None:
                    call.reached(self.sock, "status line and headers")

        # urllib3's messages name the connection's class ("HTTPConnection(host=...): ..."): its own.
        Connection.__name__ = Connection.__qualname__ = base.__name__

        class Pool(pool_cls):  # type: ignore[misc, valid-type]
            ConnectionCls = Connection

            def _get_conn(self, timeout: float | None = None) -> Any:
                conn = super()._get_conn(timeout)
                call = getattr(_current, "call", None)
                if call is not None and conn.sock is not None:  # a kept-alive connection, reused
                    call.reached(conn.sock, "status line and headers")
                return conn

        Pool.__name__ = Pool.__qualname__ = pool_cls.__name__
        return Pool

    pool_manager.pool_classes_by_scheme = {
        scheme: tracked(cls) for scheme, cls in pool_manager.pool_classes_by_scheme.items()
    }


def _status_message(data: bytes) -> str:
    """The message of a ``Status`` answer (or the start of a body that is none), on one line and
    clipped: a hostile server's message may run to megabytes."""
    try:
        doc = _loads(data)
    except ValueError:
        return _clip(" ".join(data[:300].decode("utf-8", "replace").split()), 200)
    if isinstance(doc, dict) and isinstance(doc.get("message"), str):
        return _clip(" ".join(doc["message"].split()), 300)
    return ""


def _http(status: int) -> str:
    """``HTTP 409 Conflict``: a status with its name, as people read it (``HTTP 499`` if it has none)."""
    from http import HTTPStatus

    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _json_type(value: Any) -> str:
    """A JSON value's type as JSON names it (for messages about a response's shape)."""
    return kind_of(value, "an object")


#: The deepest nesting orjson parses (a deeper document is refused, not a recursion error).
_JSON_DEPTH = 1024


def _not_json(data: bytes, e: ValueError) -> str:
    """Why ``data`` (a response body) is not JSON, in plain words: ``e`` is the parser's error."""
    text = str(e)
    if not data.strip():
        return "it is empty"
    if "depth" in text or "recursion" in text:
        return f"it nests JSON more than {_JSON_DEPTH} levels deep"
    if "end of data" in text or "EOF" in text or "Unterminated" in text:
        return f"it is cut short: its JSON ends unfinished after {len(data):,} bytes"
    start = _clip(" ".join(data[:100].decode("utf-8", "replace").split()), 60)
    return f"it is not JSON: it begins {as_written(start)} (a proxy's page, a login page?)"


#: How :func:`_reason` says a read timeout (for :meth:`_Reader._advice`).
_NO_ANSWER = "the server took the request and sent nothing for "


def _reason(e: BaseException) -> Any:
    """Why a request failed before an answer, in plain words where urllib3 has only a repr."""
    import urllib3

    reason = getattr(e, "reason", None) or e
    if isinstance(reason, urllib3.exceptions.ProtocolError):
        # ('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))
        inner = reason.args[1] if len(reason.args) > 1 else None
        if isinstance(inner, ConnectionResetError):
            return "the connection was reset before an answer came"
        return "the server closed the connection without answering"
    if isinstance(reason, urllib3.exceptions.ReadTimeoutError):
        # "HTTPConnectionPool(host='h', port=1): Read timed out. (read timeout=60.0)": the pool's
        # repr, in Python's words.
        return f"{_NO_ANSWER}{REQUEST_TIMEOUT[1]:g} s (the read timeout)"
    if isinstance(reason, urllib3.exceptions.ResponseError):
        return "the server answered with a malformed response"
    if isinstance(reason, urllib3.exceptions.ConnectTimeoutError):  # refused, unresolved, timed out
        # "HTTPConnection(host='h', port=1): Failed to establish a new connection: [Errno 111]
        # Connection refused", or for a connect timeout the repr of a (connection, message) pair:
        # the address is in the message already, the class, its repr and the errno are noise.
        last = reason.args[-1] if reason.args else None
        text = re.sub(r"^\w+\(host=.*?, port=\d+\): ", "", last if isinstance(last, str) else str(reason))
        # Older urllib3 (2.5) names the connection by its repr: "<...HTTPConnection object at 0x...>: "
        text = re.sub(r"^<\S+ object at 0x[0-9a-fA-F]+>: ", "", text)
        return re.sub(r"\[Errno -?\d+\] ", "", text)
    return reason


def _retry_after(headers: Any) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), capped; None if absent."""
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return None
    if seconds != seconds:  # "nan": float() takes it, and a wait of nan seconds is none
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class _Progress:
    """One self-overwriting line on a terminal; silent when the stream is not a TTY."""

    def __init__(self, stream: IO[str] | None):
        from .._terminal import Shown

        # The command line shows control characters of its messages as escapes (see
        # k8sviz._terminal); this line's own \r must reach the terminal as it is.
        self.stream = stream.stream if isinstance(stream, Shown) else stream
        try:
            self.enabled = bool(stream is not None and stream.isatty())
        except (AttributeError, ValueError):
            self.enabled = False
        self.total = 0
        self.lists = 0
        self.current: dict[str, int] = {}  # lists under way (several at once): items so far
        self.closed = False
        self._lock = threading.Lock()  # lists are fetched from several threads
        self._last = 0.0
        self._width = 0
        self._start = time.monotonic()

    def _write(self, text: str) -> None:
        assert self.stream is not None
        pad = max(self._width - len(text), 0)
        self.stream.write(f"\r{text}{' ' * pad}")
        self.stream.flush()
        self._width = len(text)

    def update(self, what: str, count: int, *, force: bool = False) -> None:
        with self._lock:
            self.current[what] = count
            if not self.enabled:
                return
            now = time.monotonic()
            if not self.closed and (force or now - self._last >= 0.2):
                self._last = now
                lists = ", ".join(f"{k} {n:,}" for k, n in sorted(self.current.items()))
                so_far = self.total + sum(self.current.values())
                self._write(f"k8sviz: listing {lists} ({so_far:,} objects so far)")

    def aside(self, emit: Callable[[], None]) -> None:
        """Run ``emit`` (a log call that may print a line to the same terminal) on a cleared line.

        Without it a warning was printed after the progress line's text, on the same line; the
        lock keeps the other lists' updates from redrawing in between.  The next update redraws.
        """
        with self._lock:
            if self.enabled and self._width and not self.closed:
                assert self.stream is not None
                self.stream.write(f"\r{' ' * self._width}\r")
                self.stream.flush()
                self._width = 0
            emit()

    def done_list(self, what: str, count: int) -> None:
        with self._lock:
            self.current.pop(what, None)
            self.total += count
            self.lists += 1

    def abandon(self, what: str) -> None:
        """A list that failed part-way: its items no longer count."""
        with self._lock:
            self.current.pop(what, None)

    def close(self, completed: bool = True) -> None:
        """The summary line; after a failure or Ctrl-C the line is cleared instead, since
        "read N objects" above "k8sviz: error: ..." read as a snapshot taken."""
        with self._lock:
            self.closed = True
        if not self.enabled:
            return
        assert self.stream is not None
        if completed:
            took = time.monotonic() - self._start
            self._write(f"k8sviz: read {self.total:,} objects in {self.lists} lists ({took:.1f} s)")
            self.stream.write("\n")
        elif self._width:
            self.stream.write(f"\r{' ' * self._width}\r")
        self.stream.flush()


def _sends_credentials(cfg: Any) -> bool:
    """Whether the client's configuration ``cfg`` holds any credentials to send: a token (from
    the kubeconfig, its tokenFile or an exec plugin), a client certificate, or a username."""
    keys = getattr(cfg, "api_key", None) or {}
    return bool(any(keys.values()) or getattr(cfg, "cert_file", None) or getattr(cfg, "username", None))


class _Reader:
    """GET requests with retries, paging and error mapping over one ``ApiClient``."""

    def __init__(self, api: Any, progress: _Progress, origin: str = "", deadline: float | None = None):
        self.api = api
        #: Seconds one answer may take in full (:data:`REQUEST_DEADLINE` unless given).
        self.deadline = REQUEST_DEADLINE if deadline is None else deadline
        self.host = str(api.configuration.host)
        #: Whose credentials, from which kubeconfig (for messages; never the credentials).
        self.origin = origin
        self.progress = progress
        self.requests = 0
        self._lock = threading.Lock()
        self._resources: dict[str, frozenset[str] | None] = {}
        #: Discovery documents being fetched ahead (see :meth:`prefetch`).
        self._pending: dict[str, Future[frozenset[str] | None]] = {}
        #: Set when the snapshot fails or is interrupted: lists under way stop at their next page.
        self.stopped = threading.Event()
        #: Requests under way, each in its thread (see :meth:`_within_deadline`).
        self._calls: set[_Call] = set()

    def _pause(self, seconds: float) -> None:
        if self.stopped.wait(seconds):
            raise _Stopped

    def _send(self, path: str, query: Sequence[tuple[str, Any]]) -> tuple[int, Any, bytes]:
        api = self.api
        headers = {"Accept": "application/json"}
        started = time.monotonic()
        call = _Call()
        # A connection attempt never outlasts the deadline: one given up on ends by itself.
        timeouts = (min(REQUEST_TIMEOUT[0], self.deadline), REQUEST_TIMEOUT[1])
        if hasattr(api, "param_serialize"):  # kubernetes >= 37 (OpenAPI Generator v7)

            def fetch() -> tuple[int, Any, bytes]:
                # Here, not in the caller's thread: the credentials are refreshed here (an exec
                # plugin run again), which the deadline bounds as it bounds the request.
                req = api.param_serialize("GET", path, query_params=list(query), header_params=headers,
                                          auth_settings=["BearerToken"])
                resp = api.call_api(req[0], req[1], req[2], _request_timeout=timeouts)
                call.phase = "body"
                return int(resp.status), resp.headers, self._body(resp.response, started)

            return self._within_deadline(fetch, call)
        # kubernetes <= 36 (the floors job of .ci/run runs these tests with kubernetes 31)
        from kubernetes.client.rest import ApiException

        def fetch_before_37() -> tuple[int, Any, bytes]:
            try:
                # Not preloaded, the answer is urllib3's response itself, its body not yet read.
                resp = api.call_api(
                    path, "GET", query_params=list(query), header_params=headers,
                    auth_settings=["BearerToken"], _preload_content=False,
                    _return_http_data_only=True, _request_timeout=timeouts,
                )
            except ApiException as e:  # a status out of 2xx: the client has read its body
                body = e.body if isinstance(e.body, bytes) else str(e.body or "").encode()
                return int(e.status), e.headers or {}, body
            call.phase = "body"
            return int(resp.status), resp.headers, self._body(resp, started)

        return self._within_deadline(fetch_before_37, call)

    def _within_deadline(
        self, fetch: Callable[[], tuple[int, Any, bytes]], call: _Call
    ) -> tuple[int, Any, bytes]:
        """``fetch()`` (one request and its body), given :attr:`deadline` to return.

        No timeout of urllib3 bounds a whole answer: http.client reads the status line and
        headers a line at a time, each read under the read timeout, so a server sending a byte
        every few seconds holds the request as long as it likes; and a body of empty gzip
        members keeps urllib3 decoding inside one read.  The request runs in a daemon thread;
        when the deadline passes it is given up on and its socket shut down (see :class:`_Call`),
        so the thread ends at once rather than when the server stops talking.
        """
        got: list[tuple[bool, Any]] = []

        def run() -> None:
            _current.call = call
            try:
                got.append((True, fetch()))
            except BaseException as e:
                got.append((False, e))

        with self._lock:
            # stop() between get()'s check and here would not have ended this request: it would
            # have run to the server's answer after the snapshot had failed.
            if self.stopped.is_set():
                raise _Stopped
            self._calls.add(call)
        try:
            thread = threading.Thread(target=run, name="k8sviz-request", daemon=True)
            thread.start()
            thread.join(min(self.deadline, threading.TIMEOUT_MAX))
        except BaseException:
            call.abandon()  # Ctrl-C while waiting: the request ends with the snapshot
            raise
        finally:
            with self._lock:
                self._calls.discard(call)
        if not got:
            call.abandon()
            if call.refreshing:
                # An exec plugin waiting for a login that never comes, or hung: the request
                # never started.  (The plugin is killed by abandon(), above.)
                raise LiveError(f"the credentials of {self.origin or 'the kubeconfig'} could not be "
                                "refreshed during the snapshot: the refresh had not ended after "
                                f"{self.deadline:g} s (an exec plugin still running was ended: does it wait "
                                "for a login? Run the exec command to see, log in again, and try again)")
            if call.connecting and not call.connected:
                # Never connected: a wrong address or a network in the way, not a slow server.
                raise _Unreachable(call.connect_error or f"the connection attempt timed out after "
                                                         f"{self.deadline:g} s (the timeout given)")
            if call.phase == _PROXY_PHASE:
                # Connected to the proxy, which has not opened the tunnel: the API server was
                # never reached.
                raise _Unreachable(self._proxy_words(self.deadline))
            if call.phase == "TLS handshake":
                # Connected, and no TLS session: no answer of the API server's has begun.
                raise _Unreachable(_handshake_words(self.deadline, self.deadline))
            raise _Broken(f"no complete answer had arrived after {self.deadline:g} s (its {call.phase} "
                          "still arriving)", retry=False, slow=True)
        ok, value = got[0]
        if not ok:
            if self.stopped.is_set():
                raise _Stopped from None  # ended by stop(): the snapshot has failed already
            if call.proxy_timeout is not None:
                raise _Unreachable(self._proxy_words(call.proxy_timeout)) from None
            if call.proxy_refused is not None:
                raise _Unreachable(self._proxy_refused_words(call.proxy_refused)) from None
            if call.handshake_timeout is not None:
                raise _Unreachable(_handshake_words(call.handshake_timeout, self.deadline)) from None
            raise value
        return value

    def _proxy_words(self, seconds: float) -> str:
        """Why a request whose proxy took the connection and never answered its CONNECT request
        failed, ``seconds`` after it was sent: the proxy named, with where it was set."""
        bound = ("the timeout given" if seconds >= self.deadline
                 else "the time given to connect, the proxy's answer included")
        return (f"{_PROXY_UNANSWERED}{_proxy_named(self.api.configuration)} took the "
                f"connection but had not answered the request to open a tunnel to the API server (HTTP "
                f"CONNECT) after {seconds:g} s ({bound}): the proxy, not the API server, did not answer; "
                "check that the proxy is up and lets this machine through to the API server, and that it "
                "is the proxy to use")

    def _proxy_refused_words(self, status: int) -> str:
        """Why a request whose proxy answered its CONNECT request with ``status`` failed."""
        cfg = self.api.configuration
        if status == 407:
            given = "Proxy-Authorization" in (getattr(cfg, "proxy_headers", None) or {})
            advice = ("it did not take the user and password of its URL: check them" if given else
                      "it wants a user and password: give them in the proxy's URL "
                      "(http://USER:PASSWORD@host:port), as kubectl takes them")
        elif status == 403:
            advice = ("it does not let this machine through to the API server's address and port: check "
                      "that it is the proxy to use, or ask its administrators")
        else:
            advice = (f"it could not reach the API server, or is failing: check the server address in "
                      f"{self.origin or 'the kubeconfig'}, and that the proxy can reach it")
        return (f"{_PROXY_UNANSWERED}{_proxy_named(cfg)} refused to open a tunnel to the API "
                f"server (HTTP CONNECT): it answered {_http(status)}; {advice}")

    def stop(self) -> None:
        """The snapshot failed or was interrupted: lists under way stop at their next request, and
        the requests under way end now (their sockets shut down)."""
        with self._lock:  # one step with _within_deadline's check: no request starts after it
            self.stopped.set()
            calls = list(self._calls)
        for call in calls:
            call.abandon()

    def _body(self, raw: Any, started: float) -> bytes:
        """The body of ``raw`` (a urllib3 response, not yet read), within :attr:`deadline`
        and :data:`MAX_RESPONSE_BYTES`.

        ``read1`` returns after one read from the connection, so the deadline is checked between
        reads: a plain ``read()`` waits for the whole body however slowly it comes.
        """
        import urllib3

        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                try:
                    chunk = raw.read1(1 << 20)
                except urllib3.exceptions.DecodeError:
                    encoding = _clip(str(raw.headers.get("Content-Encoding")), 40)
                    raise _Broken(f"the response says it is compressed (Content-Encoding: {encoding}) "
                                  "but could not be decompressed", retry=False) from None
                except urllib3.exceptions.ReadTimeoutError:
                    raise _Broken(f"the server stopped sending the response for {REQUEST_TIMEOUT[1]:g} s "
                                  f"({size:,} bytes received)") from None
                except (urllib3.exceptions.HTTPError, OSError):
                    length = raw.headers.get("Content-Length")
                    of = f" (of {int(length):,} announced)" if length and length.isdigit() else ""
                    msg = f"the connection broke off after {size:,} bytes of the response{of}"
                    raise _Broken(msg) from None
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise _Broken(f"the response is larger than {MAX_RESPONSE_BYTES:,} bytes", retry=False)
                if time.monotonic() - started > self.deadline:
                    raise _Broken(f"no complete answer had arrived after {self.deadline:g} s (its body "
                                  f"still arriving, {size:,} bytes so far)", retry=False, slow=True)
        except BaseException:
            # The connection is in an unknown state: never back in the pool.
            with contextlib.suppress(Exception):
                raw.close()
            raise

    def get(self, path: str, query: Sequence[tuple[str, Any]] = ()) -> tuple[int, bytes]:
        """One GET, retried on 408/429/5xx (honouring ``Retry-After``) and on dropped connections."""
        import urllib3
        from kubernetes.client.rest import ApiException

        what = f"GET {path}"
        for attempt in range(MAX_ATTEMPTS):
            if self.stopped.is_set():
                raise _Stopped
            last = attempt + 1 == MAX_ATTEMPTS
            with self._lock:
                self.requests += 1
                first = self.requests == 1
            try:
                status, headers, data = self._send(path, query)
            except ValueError as e:
                # http.client refuses a header value with a line break, quoting it: the token.
                if "header" in str(e):
                    msg = (f"cannot send {what} to {self.host}: a header holds a character HTTP does not "
                           f"allow; check the token or credentials of {self.origin or 'the kubeconfig'} for "
                           "a line break or other control character")
                else:  # urllib3's LocationValueError and the like: the address is no URL
                    msg = (f"cannot send {what} to {as_written(self.host)}: the request could not be made "
                           f"({_client_words(e)}); check the server address in "
                           f"{self.origin or 'the kubeconfig'}")
                raise LiveError(msg) from None
            except _Unreachable as e:
                # Not retried: the attempts took the whole deadline.
                msg = (f"cannot reach the API server at {self.host} ({what}): {_reason(e.reason)}"
                       f"{self._advice(_reason(e.reason))}")
                raise LiveError(msg) from None
            except _Broken as e:
                if e.retry and not last:
                    self.progress.aside(partial(log.info, "%s: %s; retrying (attempt %d of %d)", what, e,
                                                attempt + 2, MAX_ATTEMPTS))
                    self._pause(BACKOFF[attempt])
                    continue
                tries = f" ({MAX_ATTEMPTS} times)" if e.retry else ""
                # A working server can be slower than a short --timeout: the way out is said.
                slow = ", or slower than that: a longer --timeout gives it more time" if e.slow else ""
                msg = (f"{what}: {e}{tries}; the API server at {self.host}, or a proxy before it, is "
                       f"misbehaving{slow}")
                raise LiveError(msg) from None
            except (urllib3.exceptions.HTTPError, ApiException, OSError) as e:
                reason = _reason(e)
                if first or last or isinstance(e, urllib3.exceptions.MaxRetryError):
                    # A read timeout reached the server: it took the request and did not answer.
                    lead = "no answer from" if str(reason).startswith(_NO_ANSWER) else "cannot reach"
                    msg = (f"{lead} the API server at {self.host} ({what}): {reason}"
                           f"{self._advice(reason)}")
                    raise LiveError(msg) from None
                self._pause(BACKOFF[attempt])
                continue
            if status in RETRIED or status >= 500:
                if last:
                    failing = {429: "throttles these credentials",
                               408: "(or a proxy or load balancer before it) keeps timing the request out"}
                    msg = (f"{what}: the API server answered HTTP {status} {MAX_ATTEMPTS} times "
                           f"({_status_message(data) or 'no message'}); giving up: the server at "
                           f"{self.host} {failing.get(status, 'is failing')}; try again later, or with "
                           "--concurrency 1")
                    raise LiveError(msg)
                delay = _retry_after(headers)
                delay = BACKOFF[attempt] if delay is None else delay
                # A wait of seconds (a Retry-After, the longer backoffs) is said, or a throttled
                # snapshot looks hung; the short ones would only be noise.
                log_at = partial(log.warning if delay >= 1.0 else log.info,
                                 "%s: the API server answered HTTP %s (%s); retrying in %.1f s "
                                 "(attempt %d of %d)", what, status, _status_message(data) or "no message",
                                 delay, attempt + 2, MAX_ATTEMPTS)
                self.progress.aside(log_at)
                self._pause(delay)
                continue
            if 300 <= status < 400:
                where = _clip(" ".join(str(headers.get("Location") or "nowhere").split()), 200)
                msg = (f"{what}: the server at {self.host} answered with a redirect (HTTP {status} to "
                       f"{where}), which an API server does not send and k8sviz does not follow (it would "
                       "take the credentials along); check the server address in "
                       f"{self.origin or 'the kubeconfig'}: is a proxy or a login page in the way?")
                raise LiveError(msg)
            if status == 401:
                # Every request is authenticated: a 401 means the credentials (say, a token
                # that expired during a long snapshot), not the RBAC of one list, so it is no
                # "forbidden" coverage.
                said = f"401 Unauthorized: {_status_message(data) or 'no message'}; {what}"
                if not _sends_credentials(self.api.configuration):
                    # Nothing expired: the requests went out anonymous, which the server refuses.
                    msg = (f"the API server at {self.host} refused the requests of "
                           f"{self.origin or 'the kubeconfig'}, which gives no credentials ({said}): "
                           "no token, tokenFile, client certificate, exec plugin or username and "
                           "password, so they were sent anonymous; add the user's credentials to the "
                           "kubeconfig")
                    raise LiveError(msg)
                msg = (f"the API server at {self.host} rejected the credentials of "
                       f"{self.origin or 'the kubeconfig'} ({said}): the token or client certificate "
                       "has expired, was revoked or is for another cluster; get fresh credentials")
                raise LiveError(msg)
            return status, data
        raise AssertionError("unreachable")  # pragma: no cover

    def _advice(self, reason: Any) -> str:
        """What to do about a request that failed before any HTTP answer."""
        import ssl

        text = str(reason)
        if text.startswith(_PROXY_UNANSWERED):
            return ""  # said in the reason (see _proxy_words)
        if text.startswith(_HANDSHAKE_UNFINISHED):
            return ("; a proxy, load balancer or firewall that takes connections and holds them does this, "
                    "or a server too loaded to answer: check the server address in "
                    f"{self.origin or 'the kubeconfig'}, and the network path to it (VPN, proxy, firewall)")
        if "Hostname mismatch" in text or "IP address mismatch" in text:
            return (f"; the server's certificate is for another name than the one "
                    f"{self.origin or 'the kubeconfig'} connects to (its server address, or "
                    "tls-server-name): is it the kubeconfig of this cluster?")
        if isinstance(reason, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in text:
            return (f"; the server's certificate is not trusted by the certificate-authority of "
                    f"{self.origin or 'the kubeconfig'}: is it the kubeconfig of this cluster?")
        if text.startswith(_NO_ANSWER):
            return "; it may be overloaded: try again later, or with --concurrency 1"
        if "Connection refused" in text or "Failed to resolve" in text or "timed out" in text:
            return (f"; check the server address in {self.origin or 'the kubeconfig'}, and the network "
                    "path to it (VPN, proxy, firewall)")
        return ""

    def discover(self) -> set[str] | None:
        """Served group versions (``GET /apis``), or None when discovery is not readable."""
        status, data = self.get("/apis")
        if status == 403:
            return None
        if status != 200:
            msg = (f"GET /apis: unexpected {_http(status)} from {self.host}: "
                   f"{_status_message(data) or 'no message'}")
            raise LiveError(msg)
        served = {"v1"}
        problem = ""
        try:
            doc = _loads(data)
        except ValueError as e:
            doc, problem = None, _not_json(data, e)
        groups = doc.get("groups") if type(doc) is dict else None
        if problem:
            pass
        elif type(doc) is not dict:
            problem = f"it is {_json_type(doc)}, not an object"
        elif doc.get("kind") == "Status":
            problem = f"it is a Status: {_status_message(data) or 'no message'}"
        elif type(groups) is not list:
            # Taken as no groups, every policy kind would be "not-installed": a claim, not unknown.
            problem = "its groups are missing" if groups is None else f"its groups are {_json_type(groups)}"
        else:
            for i, g in enumerate(groups):
                versions = g.get("versions") if type(g) is dict else None
                if type(versions) is not list:
                    problem = f"groups[{i}] has no list of versions"
                    break
                gvs = [v.get("groupVersion") if type(v) is dict else None for v in versions]
                if not all(type(gv) is str for gv in gvs):
                    problem = f"groups[{i}] has a version without a groupVersion"
                    break
                served.update(str(gv) for gv in gvs)
        if problem:
            msg = (f"GET /apis from {self.host} is not an APIGroupList ({problem}); is this a Kubernetes "
                   "API server?")
            raise LiveError(msg)
        return served

    def resources(self, gv: str) -> frozenset[str] | None:
        """The resources group version ``gv`` serves (``GET /apis/<gv>``, its ``resources[].name``),
        read once per group version; None when that is unknown.

        ``GET /apis`` names group versions, not their resources: a cluster with an older Cilium
        serves ``cilium.io/v2`` without ``ciliumclusterwidenetworkpolicies``, a Calico API server
        may have no ``tiers``.  Unknown (the document refused, missing, or not an
        APIResourceList), each list is tried and a 404 says the resource is not installed, as
        before: listing is the authority, so nothing is claimed from a document that cannot be
        read.  Other statuses fail as a list's would (408/429/5xx after the retries).
        """
        with self._lock:
            if gv in self._resources:
                return self._resources[gv]
            pending = self._pending.pop(gv, None)
        # Fetched ahead by prefetch(): its result or error, when its turn comes.
        names = pending.result() if pending is not None else self._read_resources(gv)
        with self._lock:
            self._resources[gv] = names
        return names

    def prefetch(self, gvs: Iterable[str], workers: int) -> None:
        """Fetch the discovery documents of ``gvs`` (for :meth:`resources`), ``workers`` at once.

        Each is fetched into a future; :meth:`resources` takes its result or its error when
        asked, so what is asked, in which order, and the error raised are those of fetching
        them one after the other, whichever answers first.
        """
        with self._lock:
            todo = [gv for gv in dict.fromkeys(gvs) if gv not in self._resources and gv not in self._pending]
        if workers < 2 or len(todo) < 2:
            return  # one after the other, when asked
        jobs = [partial(self._read_resources, gv) for gv in todo]
        fetched = _Workers(jobs, workers, "k8sviz-discovery")
        with self._lock:
            for gv, f in zip(todo, fetched.futures, strict=True):
                if f is not None:
                    self._pending[gv] = f

    def _read_resources(self, gv: str) -> frozenset[str] | None:
        """``GET /apis/<gv>``: the names of its resources (see :meth:`resources`)."""
        path = f"/apis/{gv}" if "/" in gv else f"/api/{gv}"
        status, data = self.get(path)
        names: frozenset[str] | None = None
        if status == 200:
            try:
                doc = _loads(data)
            except ValueError:
                doc = None
            items = doc.get("resources") if type(doc) is dict and doc.get("groupVersion") == gv else None
            if type(items) is list and all(type(r) is dict and type(r.get("name")) is str for r in items):
                names = frozenset(str(r["name"]) for r in items)  # subresources too: "x/status"
        elif status not in (403, 404):
            msg = f"GET {path}: unexpected {_http(status)}: {_status_message(data) or 'no message'}"
            raise LiveError(msg)
        return names

    def list_all(self, res: Resource, path: str) -> _Read:
        """All items of one list (paged), its resourceVersion, the SHA-256 of its pages, and
        whether its pages held the items its first page announced (see :class:`_Read`)."""
        try:
            return self._list_all(res, path)
        except BaseException:
            self.progress.abandon(res.key)
            raise

    def _list_all(self, res: Resource, path: str) -> _Read:
        for restart in (False, True):
            items: list[dict[str, Any]] = []
            digest = hashlib.sha256()
            token: str | None = None
            # Tokens given so far: one given again would page in a circle, forever.
            tokens: set[str] = set()
            # The first page's remainingItemCount, and whether every page since was of the first
            # page's resourceVersion (one consistent list), for the count check at the end.
            announced: int | None = None
            first_rv: str | None = None
            first, consistent = 0, True
            while True:
                query: list[tuple[str, Any]] = [("limit", PAGE_SIZE)]
                if token:
                    query.append(("continue", token))
                status, data = self.get(path, query)
                if status == 410:
                    if restart:
                        msg = (f"GET {path}: the list expired twice (410 Gone) while paging; "
                               "the connection is too slow or the cluster changes too fast, try again")
                        raise LiveError(msg)
                    self.progress.aside(partial(
                        log.warning, "GET %s: continue token expired (410 Gone); listing again", path))
                    break
                if status == 403:
                    raise _Denied(status, _status_message(data))
                if status == 404:
                    raise _NotFound(_status_message(data))
                if status != 200:
                    msg = f"GET {path}: unexpected {_http(status)}: {_status_message(data) or 'no message'}"
                    raise LiveError(msg)
                # A proxy or a broken server can answer 200 with anything: the shape is checked
                # here, where the message can still name the request.
                got = _list_page(data)
                if isinstance(got, str):
                    msg = f"GET {path}: the response is not a Kubernetes list ({got})"
                    raise LiveError(msg)
                page, token, rv, remaining = got
                if first_rv is None:
                    first_rv, announced, first = rv, remaining, len(page)
                else:
                    consistent = consistent and rv == first_rv
                digest.update(data)
                items.extend(page)
                self.progress.update(res.key, len(items))
                if token is None:
                    self.progress.done_list(res.key, len(items))
                    miscount = None
                    if announced is not None and consistent and len(items) - first != announced:
                        miscount = (announced, len(items) - first)
                    return _Read(items, rv, digest.hexdigest(), miscount)
                if token in tokens or len(tokens) + 1 >= MAX_PAGES:
                    why = ("gave a continue token it had given before, so paging would never end"
                           if token in tokens else
                           f"was still giving continue tokens after {MAX_PAGES:,} pages ({len(items):,} "
                           "items)")
                    msg = (f"GET {path}: the server {why}; the list was not read to its end (a broken "
                           "aggregated API or proxy?)")
                    raise LiveError(msg)
                tokens.add(token)
        raise AssertionError("unreachable")  # pragma: no cover


def _list_page(data: bytes) -> tuple[list[dict[str, Any]], str | None, str, int | None] | str:
    """``(items, continue token or None, resourceVersion, remainingItemCount or None)`` of one
    page of a list, or why the page is no list (in plain words)."""
    try:
        doc = _loads(data)
    except ValueError as e:
        return _not_json(data, e)
    if type(doc) is not dict:
        return f"it is {_json_type(doc)}, not an object with items"
    if doc.get("kind") == "Status":
        return f"it is a Status, not a list: {_status_message(data) or 'no message'}"
    if "items" not in doc:
        return "it has no items"
    page = doc["items"]
    if page is None:
        page = []  # a list of none, as some aggregated APIs write it
    if type(page) is not list:
        return f"its items are {_json_type(page)}, not a list"
    if not all(type(i) is dict for i in page):
        i = next(n for n, x in enumerate(page) if type(x) is not dict)
        return f"items[{i}] is {_json_type(page[i])}, not an object"
    meta = doc.get("metadata")
    if meta is None:
        # An API server always writes a list's metadata (Go omits no struct), and without it a
        # page that lost its continue token would pass for the last one.
        return "it has no metadata, which every list has: where the list ends cannot be told"
    if type(meta) is not dict:
        return f"its metadata is {_json_type(meta)}, not an object"
    token, rv, remaining = meta.get("continue"), meta.get("resourceVersion"), meta.get("remainingItemCount")
    if token is not None and type(token) is not str:
        return f"its metadata.continue is {_json_type(token)}, not a string"
    if rv is not None and type(rv) is not str:
        return f"its metadata.resourceVersion is {_json_type(rv)}, not a string"
    if remaining is not None and (type(remaining) is not int or remaining < 0):
        return f"its metadata.remainingItemCount is {_clip(str(remaining), 40)}, not a count"
    if not token and remaining:
        # The last page would have been taken for the end: the rest silently missing.
        return f"it says {remaining:,} more items remain but gives no continue token to read them"
    return page, token or None, rv or "", remaining


# ------------------------------------------------------------------------------------------
# Planning and collecting


def _plan(
    served: set[str] | None, resources: Callable[[str], frozenset[str] | None] = lambda gv: None
) -> tuple[list[Resource], list[Resource]]:
    """``(to list, not installed)`` given the served group versions (None: unknown, try all) and
    ``resources(gv)``, the resources a served group version serves (None: unknown, try each).
    ``resources`` is asked only about the group versions a resource to list is in."""

    def ok(r: Resource) -> bool:
        if served is None:
            return True
        if r.group_version not in served:
            return False
        names = resources(r.group_version)
        return names is None or r.plural in names

    # Built-in groups are listed whatever discovery says: every cluster serves them, so a
    # discovery document without one is broken (a proxy's, an aggregated API's), and taking it
    # at its word made NetworkPolicies "not-installed" unasked.  A 404 still says so.
    todo = list(BUILTIN)
    absent: list[Resource] = []
    # When discovery is unknown, the newest is tried and a 404 falls back to the older one.
    cnp = next((r for r in CNP_VERSIONS if ok(r)), None)
    (todo if cnp is not None else absent).append(cnp or CNP_VERSIONS[0])
    todo += [r for r in OPTIONAL if ok(r)]
    absent += [r for r in OPTIONAL if not ok(r)]
    # Preferred: v3; when discovery is unknown, a 404 falls back to the CRDs.  A v3 without some
    # resource (an older Calico API server) has no CRD for it either.
    for calico in (CALICO_V3, CALICO_CRD):
        if served is None or any(r.group_version in served for r in calico):
            todo += [r for r in calico if ok(r)]
            absent += [r for r in calico if not ok(r)]
            break
    else:
        absent += CALICO_V3
    return todo, absent


def _documents_wanted(served: set[str] | None) -> list[str]:
    """The group versions whose discovery documents :func:`_plan` asks for given ``served``, in
    its order, when each document names every resource: all it asks for, except a fallback
    (``v1alpha2`` of ClusterNetworkPolicy) needed only when a newer version lacks the resource."""
    asked: list[str] = []

    def record(gv: str) -> None:
        asked.append(gv)  # and unknown (None): every resource taken as served

    _plan(served, record)
    return asked


#: What listing one resource in one scope gave: its items, resourceVersion and SHA-256, or
#: the refusal.
_Listed = tuple[str | None, str, "_Read | _Denied"]


def _miscount_warning(res: Resource, namespace: str | None, announced: int, received: int) -> str:
    """The warning for a list whose pages after the first held ``received`` items where its first
    page announced ``announced`` (``metadata.remainingItemCount``).

    kube-apiserver counts them exactly for a list without selectors (``PrepareContinueToken`` in
    its storage, from etcd or its watch cache alike: the items from the page's start, at the
    list's revision, less the page's limit), and each continue page is read at that revision
    (ListMeta: "the resourceVersion ... will be identical to the value in the first response"):
    a consistent list read to its end holds that many.  Fewer is a
    list that lost objects on the way (a broken aggregated API, proxy or server); more, pages that
    are not the list the server counted.  The API calls the count an estimate that clients should
    not rely on (other servers may estimate it), so this is a warning, not an error.
    """
    scope = f" in namespace {namespace}" if namespace else ""
    gap = (f"{announced - received:,} fewer" if received < announced else
           f"{received - announced:,} more, so they are not the list the server counted")
    return (f"the list of {res.key}{scope} did not hold the items the API server announced: its first page "
            f"said {counted(announced, 'more item')} would follow (metadata.remainingItemCount), the pages "
            f"after it held {received:,} ({gap}); the snapshot may be missing {res.key}: take it again, "
            "and if it recurs, check the proxy or aggregated API in the way")


def _fetch(reader: _Reader, res: Resource, namespaces: Sequence[str] | None) -> list[_Listed] | None:
    """List one resource in every scope; None when the cluster does not serve it (404)."""
    scopes: Iterable[str | None] = namespaces if (res.namespaced and namespaces) else (None,)
    out: list[_Listed] = []
    for ns in scopes:
        path = res.path(ns)
        try:
            out.append((ns, path, reader.list_all(res, path)))
        except _Denied as e:
            out.append((ns, path, e))
        except _NotFound:
            return None
    return out


def _collect(
    reader: _Reader,
    builder: SnapshotBuilder,
    res: Resource,
    namespaces: Sequence[str] | None,
    inputs: list[dict[str, str]],
    fetched: Future[list[_Listed] | None] | None = None,
    unchecked: list[str] | None = None,
    listed_in: set[str] | None = None,
    deferred: list[tuple[str, str]] | None = None,
) -> str:
    """Add one resource's items to ``builder`` (listing it now unless ``fetched`` is given);
    returns its coverage state.  The namespaces it was listed in are added to ``listed_in``;
    with ``deferred`` given, a refusal is put there, ``(namespace or "", message)``, to be
    logged once the namespaces that refused every list are known (see _say_unlisted).

    A refusal is a snapshot warning and a logged one.  With ``unchecked`` given, a resource
    refused in every scope has its key added there instead of being logged, for one line
    naming them all; one listed in some namespace is served, so its refusals are logged.
    """
    listed = fetched.result() if fetched is not None else _fetch(reader, res, namespaces)
    if listed is None:
        return "not-installed"
    if unchecked is not None and all(isinstance(got, _Denied) for _, _, got in listed):
        unchecked.append(res.key)
        log_refusal: Callable[[str], None] | None = None
    else:
        log_refusal = partial(log.warning, "%s")
    state = "ok"
    for ns, path, got in listed:
        if isinstance(got, _Denied):
            e = got
            scope = f"in namespace {ns}" if ns else "cluster-wide"
            # The server's own words name the identity it saw (User "system:serviceaccount:..."),
            # which tells the auditor whether the RBAC or the kubeconfig is wrong.
            said = _clip(" ".join(str(e).split()), 300)
            message = (f"listing {res.key} {scope} was refused ({e.status} Forbidden"
                       f"{f': {said}' if said else ''}): recorded as coverage 'forbidden', which means "
                       "unknown, not empty")
            builder.warn(LoadWarning("forbidden", message, f"GET {path}"))
            if log_refusal is not None:
                if deferred is not None:
                    deferred.append((ns or "", message))
                else:
                    reader.progress.aside(partial(log_refusal, message))
            state = "forbidden"
            continue
        items, rv, sha, miscount = got
        if ns and listed_in is not None:
            listed_in.add(ns)
        if miscount is not None:
            message = _miscount_warning(res, ns, *miscount)
            builder.warn(LoadWarning("list-count-mismatch", message, f"GET {path}"))
            reader.progress.aside(partial(log.warning, "GET %s: %s", path, message))
        inputs.append({"path": f"{reader.host}{path}", "sha256": sha, "resourceVersion": rv})
        gv = res.group_version
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            # Typed lists (PodList...) omit kind/apiVersion on their items.
            if "kind" not in item:
                item["kind"] = res.kind
            if "apiVersion" not in item:
                item["apiVersion"] = gv
            if item["kind"] != res.kind or item["apiVersion"] != gv:
                # Only a broken or hostile server (or proxy) answers so; kept, a "Pod" of a pods
                # list could have added a NetworkPolicy to the evidence.
                shown = _clip(f"{_as_text(item['apiVersion'])} {_as_text(item['kind'])}", 120)
                message = f"an item that is a {shown}, not a {gv} {res.kind}, in a list of {res.key}; skipped"
                builder.warn(LoadWarning("wrong-kind", message, f"GET {path} items[{i}]"))
                reader.progress.aside(partial(log.warning, "GET %s items[%d]: %s", path, i, message))
                continue
            meta = item.get("metadata")
            if not isinstance(meta, dict) or meta.get("name") in (None, ""):
                # Each by its place, as the other skipped items: by the list alone, 200,000 of
                # them read as one warning, and which items were skipped was not said.
                message = f"{res.kind} without metadata.name; skipped"
                builder.warn(LoadWarning("no-name", message, f"GET {path} items[{i}]"))
                continue
            if ns and meta.get("namespace") != ns:
                # As above: a list of one namespace holds only its objects, and the snapshot's
                # namespace scope says what was read.
                namespace = meta.get("namespace")
                of = ("without a namespace" if namespace in (None, "")
                      else f"of namespace {_clip(_as_text(namespace), 80)}")
                message = f"an item {of} in the list of {res.key} in namespace {ns}; skipped"
                builder.warn(LoadWarning("wrong-namespace", message, f"GET {path} items[{i}]"))
                reader.progress.aside(partial(log.warning, "GET %s items[%d]: %s", path, i, message))
                continue
            builder.add(item, f"GET {path} items[{i}]", owned=True)
    return state


class _Workers(Generic[_T]):
    """``jobs`` run by ``workers`` daemon threads named ``name-N``, each into its own ``Future``
    (``futures``, in the jobs' order).

    Daemon threads, unlike ``ThreadPoolExecutor``'s, do not hold the process at exit: after an
    error or Ctrl-C the CLI ends at once instead of waiting for the requests under way.
    """

    def __init__(self, jobs: Sequence[Callable[[], _T]], workers: int, name: str):
        self.futures: list[Future[_T] | None] = [Future() for _ in jobs]
        self._todo = list(enumerate(jobs))
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._work, name=f"{name}-{n}", daemon=True)
                        for n in range(min(workers, len(jobs)))]
        for t in self.threads:
            t.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._todo:
                    return
                i, job = self._todo.pop(0)
                f = self.futures[i]
            if f is None or not f.set_running_or_notify_cancel():
                continue  # cancelled after an error
            try:
                f.set_result(job())
            except BaseException as e:
                f.set_exception(e)

    def cancel(self) -> None:
        """Jobs not started are not run."""
        for f in self.futures:
            if f is not None:
                f.cancel()


class _Fetcher(_Workers["list[_Listed] | None"]):
    """Lists fetched by ``workers`` threads (``k8sviz-list-N``), each into its own ``Future``."""

    def __init__(self, reader: _Reader, todo: Sequence[Resource], namespaces: Sequence[str] | None,
                 workers: int):
        super().__init__([partial(_fetch, reader, res, namespaces) for res in todo], workers, "k8sviz-list")
        self._reader = reader

    def cancel(self) -> None:
        """Lists not started are not fetched; the requests under way are ended."""
        self._reader.stop()
        super().cancel()


def _wait_for(futures: Sequence[Future[Any] | None], i: int) -> None:
    """Wait until list ``i`` is fetched, raising at once the error of any list that failed
    meanwhile.  One after the other, a later list's error would only show once the earlier
    lists are read; here the first failed list in plan order among those finished is reported
    (every error it can report would also have been raised one list at a time)."""
    f = futures[i]
    assert f is not None
    while not f.done():
        pending = [x for x in futures if x is not None and not x.done()]
        # Looked for after the lists not done are taken, and not only after the wait: a list
        # that failed between that look and this line is in neither, and the wait ran on to the
        # end of a list under way (a minute for a slow one) before its error was said.
        _raise_failed(futures)
        wait(pending, return_when=FIRST_COMPLETED)
        _raise_failed(futures)


def _raise_failed(futures: Sequence[Future[Any] | None]) -> None:
    """Raise the error of the first list in plan order that failed."""
    for x in futures:
        if x is not None and x.done() and not x.cancelled() and x.exception() is not None:
            x.result()  # raises it


def _get_namespaces(
    reader: _Reader, builder: SnapshotBuilder, nss: Sequence[str], inputs: list[dict[str, str]]
) -> list[str]:
    """GET each named namespace when listing them all is forbidden; returns the ones that do
    not exist (404: RBAC refuses with 403 before it looks the name up).

    Only a 403 is a ``forbidden`` warning, as for lists; any other answer that is not the
    namespace fails the snapshot as a list's would (408/429/5xx once the retries are spent).

    RBAC authorises ``get namespaces/<ns>`` against a RoleBinding in ``<ns>`` itself, so a
    namespace-scoped auditor can usually read the labels that ``namespaceSelector`` peers
    match on, even without a ClusterRole.
    """
    import orjson

    missing: list[str] = []
    for ns in nss:
        path = f"/api/v1/namespaces/{quote(ns, safe='')}"
        status, data = reader.get(path)
        if status == 404:
            missing.append(ns)
            continue
        if status == 403:
            said = _clip(" ".join(_status_message(data).split()), 300)
            message = (f"namespace {ns} could not be read either (403 Forbidden{f': {said}' if said else ''}"
                       "): its labels are unknown, so namespaceSelector peers may not match it as they do in "
                       "the cluster")
            builder.warn(LoadWarning("forbidden", message, f"GET {path}"))
            continue
        if status != 200:
            # Recorded as "forbidden" before: a refusal, which a 400 or a redirect is not.
            msg = f"GET {path}: unexpected {_http(status)}: {_status_message(data) or 'no message'}"
            raise LiveError(msg)
        try:
            obj = orjson.loads(data)
        except ValueError as e:  # a proxy's HTML page: a traceback, unlike the same in a list
            msg = f"GET {path}: the response is not a Kubernetes object ({_not_json(data, e)})"
            raise LiveError(msg) from None
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
            msg = f"GET {path}: the response is not a Kubernetes object (no metadata)"
            raise LiveError(msg)
        obj.setdefault("kind", "Namespace")
        obj.setdefault("apiVersion", "v1")
        # Whatever answered (a proxy, a misrouted request) gave another object: added as it is,
        # a Pod would have joined the snapshot, or another namespace's labels stood for these.
        got = (obj["apiVersion"], obj["kind"], obj["metadata"].get("name"))
        if got != ("v1", "Namespace", ns):
            # As JSON writes them: null, not Python's None.
            shown = _clip(" ".join(x if isinstance(x, str) else orjson.dumps(x).decode() for x in got), 200)
            msg = f"GET {path}: the response is not the namespace {ns} (it is {shown})"
            raise LiveError(msg)
        rv = obj["metadata"].get("resourceVersion") or ""
        if not isinstance(rv, str):
            msg = (f"GET {path}: the response is not a Kubernetes object (its resourceVersion is "
                   f"{_json_type(rv)})")
            raise LiveError(msg)
        inputs.append({"path": f"{reader.host}{path}", "sha256": hashlib.sha256(data).hexdigest(),
                       "resourceVersion": rv})
        builder.add(obj, f"GET {path}", owned=True)
    return missing


def _check_namespaces(reader: _Reader, missing: Sequence[str], known: Iterable[str]) -> None:
    """A LiveError naming the ``--namespace`` values the cluster does not have.

    Lists in a namespace that does not exist are empty, not refused: a misspelt name gave a
    snapshot of nothing ("0 pods, 0 network policies") that looked like a quiet namespace.
    """
    if not missing:
        return
    import difflib

    names = sorted(set(known) - set(missing))
    close = {m: difflib.get_close_matches(m, names, 3) for m in missing}
    hints = [f"{m} -> {', '.join(c)}" for m, c in close.items() if c]
    some = "namespace " + missing[0] if len(missing) == 1 else "namespaces " + ", ".join(missing)
    msg = (f"{some} {'does' if len(missing) == 1 else 'do'} not exist in the cluster at {reader.host} "
           f"({reader.origin or 'the kubeconfig'}); check --namespace"
           + (f" (similar names: {'; '.join(hints)})" if hints else ""))
    raise LiveError(msg)


def _say_unlisted(
    builder: SnapshotBuilder, prog: Any, unlisted: dict[str, int], known: Iterable[str]
) -> None:
    """One warning per ``--namespace`` value in which no list succeeded (each was refused),
    logged instead of a line per refused list (``unlisted``: namespace -> lists refused there).

    A namespace-scoped auditor who mistypes ``-n`` is refused everywhere in that name: RBAC
    answers 403 before the API server looks the namespace up, so a misspelt name cannot be told
    from a namespace one may not read, and its snapshot would hold only refusals.
    """
    known = set(known)
    for ns, lists in unlisted.items():
        message = (f"nothing could be listed in namespace {ns}: every list there was refused ("
                   f"{counted(lists, 'list')}, each a 'forbidden' warning in the snapshot), so its pods, "
                   "services and policies are unknown")
        if ns not in known:
            message += ("; the API server refuses a namespace one may not read whether it exists or not, so "
                        "check the name given to --namespace too")
        builder.warn(LoadWarning("namespace-refused", message))
        prog.aside(partial(log.warning, "%s", message))


#: A namespace name: an RFC 1123 label.
_NAMESPACE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def _check_namespace_names(namespaces: Sequence[str] | None) -> None:
    """A LiveError, before any request, for a ``namespaces`` entry no namespace can be named.

    ``-n ""``, ``-n Shop`` or ``-n shop,pay`` were sent to the server as they were, and the
    snapshot failed only after every list was read, as a namespace that does not exist.
    """
    for ns in namespaces or ():
        if isinstance(ns, str) and len(ns) <= 63 and _NAMESPACE_NAME.fullmatch(ns):
            continue
        hint = ""
        lower = str(ns).lower()
        if isinstance(ns, str) and "," in ns:
            hint = f"; give one namespace each time: {' '.join(f'-n {n.strip()}' for n in ns.split(','))}"
        elif isinstance(ns, str) and lower != ns and len(lower) <= 63 and _NAMESPACE_NAME.fullmatch(lower):
            hint = f"; namespace names are lowercase: {lower}"
        msg = (f"--namespace {as_written(ns)} is not a namespace name (lowercase letters, digits and '-', "
               f"at most 63 characters){hint}")
        raise LiveError(msg)


def _check_timeout(timeout: Any) -> float:
    """The ``timeout`` argument as seconds (None: :data:`REQUEST_DEADLINE`); a LiveError, before
    any request, for one that is not a positive, finite number."""
    if timeout is None:
        return REQUEST_DEADLINE
    seconds = math.nan
    if isinstance(timeout, int | float) and not isinstance(timeout, bool):
        try:
            seconds = float(timeout)
        except OverflowError:  # an int past float's range
            seconds = math.inf
    # nan fails the comparison too: a wait of nan seconds would be none.
    if not 0 < seconds < math.inf:
        msg = f"timeout must be a positive, finite number of seconds, got {as_given(timeout)}"
        raise LiveError(msg)
    return seconds


def _check_arguments(kubeconfig: Any, context: Any, in_cluster: Any, cluster: Any, progress: Any) -> None:
    """LiveErrors naming the argument of :func:`snapshot_cluster` that is of the wrong kind,
    before any connection: a kubeconfig of 3 was "not a usable kubeconfig (AttributeError: 'int'
    object has no attribute 'split')", ``in_cluster="no"`` was taken as True, a ``cluster`` of 3
    was stored, and ``progress`` was first written to after the whole download."""
    if kubeconfig is not None:
        if not isinstance(kubeconfig, str | os.PathLike):
            raise LiveError(f"snapshot_cluster: kubeconfig must be a path (str or pathlib.Path), "
                            f"got {type_name(kubeconfig)}")
        problem = path_problem(kubeconfig) if os.fspath(kubeconfig) else ""  # "": the default, as unset
        if problem:
            raise LiveError(f"snapshot_cluster: kubeconfig: {problem}")
    for name, value in (("context", context), ("cluster", cluster)):
        if value is not None and not isinstance(value, str):
            raise LiveError(f"snapshot_cluster: {name} must be a str, got {type_name(value)}")
    require_flag(in_cluster, "snapshot_cluster", "in_cluster", LiveError)
    if progress is not None and not callable(getattr(progress, "write", None)):
        raise LiveError(f"snapshot_cluster: progress must be a text stream such as sys.stderr, "
                        f"got {type_name(progress)}")


def snapshot_cluster(
    kubeconfig: str | None = None,
    context: str | None = None,
    namespaces: Sequence[str] | None = None,
    in_cluster: bool = False,
    cluster: str | None = None,
    *,
    progress: IO[str] | None = None,
    concurrency: int = CONCURRENCY,
    timeout: float | None = None,
) -> Snapshot:
    """Take a read-only snapshot of a live cluster.

    Parameters
    ----------
    kubeconfig
        Kubeconfig file (default: ``$KUBECONFIG`` or ``~/.kube/config``).  It is only read,
        never written, even when the client refreshes a token.
    context
        Kubeconfig context (default: its current context).
    namespaces
        List namespaced resources only in these namespaces (for auditors whose RBAC is
        namespace-scoped).  Cluster-scoped resources are still tried; if they are forbidden
        they are recorded so.  A namespace the cluster does not have, or a string no namespace
        can be named, is an error (a misspelt name would otherwise give an empty snapshot); a
        single string is one namespace.
    in_cluster
        Use the pod's service account instead of a kubeconfig.
    cluster
        Name of the cluster in the snapshot (default: the context name).
    progress
        Stream for a progress line (default: stderr); silent unless it is a terminal.
    concurrency
        Lists fetched at once (default 4; 1 fetches one after the other), and the optional
        groups' discovery documents before them.  The snapshot is the same either way: items
        are added in the same order, and an error is the one a fetch one by one meets first.
    timeout
        Seconds each request may take, from sending it to the last byte of its answer (default
        :data:`REQUEST_DEADLINE`, 300; read when called); a positive, finite number.  It bounds
        the whole request, connecting, a silent server and the refresh of the credentials
        before it (an exec plugin run again) included (the server's own bounds,
        :data:`REQUEST_TIMEOUT`, apply too), and the loading of the kubeconfig before the first
        request, where an exec plugin runs first: a plugin still running then (waiting for a
        login) is ended, its child processes with it, and the snapshot fails saying so.  An
        answer still arriving at the timeout fails the snapshot, without a retry (a server that
        slow would take several timeouts); a server no connection could be made to by then is
        "cannot reach", as with the default.  A request given up on is ended (its connection
        shut down), not left running.

    Returns
    -------
    Snapshot
        Built exactly like :func:`k8sviz.load` builds offline dumps; ``meta.source`` is
        ``"live"``, ``meta.collected_at`` is when collection started (UTC), and
        ``coverage`` says which resources were ``forbidden`` or ``not-installed``.

    Raises
    ------
    LiveError
        The kubeconfig is unusable (no such context, none current, a user or cluster the context
        names missing, no server address, a file a field names missing or not what the field takes,
        base64 data that is none, a token that is not text, an exec plugin not installed, failing,
        not finished within ``timeout``, or printing no ExecCredential or one kubectl refuses: a
        token that is not text, a client certificate and key that are no pair; the message names
        the kubeconfig, the entry, the field and the file in words, not a Python exception's),
        the server is unreachable (whatever the ``timeout``) or rejects the credentials, a
        namespace in ``namespaces`` does not exist, or the server keeps failing (408/429/5xx)
        after bounded retries.  Also when an answer is not what an API server sends (not JSON,
        cut short, a redirect, a list without its continue token): the message names the
        request.

    Every request is bounded: :data:`REQUEST_TIMEOUT` to connect and between bytes,
    ``timeout`` (:data:`REQUEST_DEADLINE`) for a whole answer, :data:`MAX_RESPONSE_BYTES` per answer,
    :data:`MAX_PAGES` per list (a continue token given twice fails at once), and
    :data:`MAX_ATTEMPTS` tries of a request that fails with 408/429/5xx or a dropped connection.
    """
    if not is_count(concurrency) or concurrency < 1:
        msg = f"concurrency must be a whole number of at least 1, got {as_given(concurrency)}"
        raise LiveError(msg)
    concurrency = int(concurrency)
    _check_arguments(kubeconfig, context, in_cluster, cluster, progress)
    deadline = _check_timeout(timeout)
    if isinstance(namespaces, str):
        namespaces = [namespaces]  # one namespace, not its letters
    _check_namespace_names(namespaces)
    api, context_name, origin = _api_client(kubeconfig, context, in_cluster, concurrency, deadline)
    nss = sorted(set(namespaces)) if namespaces else None
    prog = _Progress(sys.stderr if progress is None else progress)
    builder = SnapshotBuilder()
    quiet = contextlib.ExitStack()
    host = str(api.configuration.host)
    if not api.configuration.verify_ssl and host.startswith("https:"):
        # urllib3 warns on every request (dozens of identical lines); one warning here, and
        # one in the snapshot, since an auditor's evidence read from an unverified server is
        # weaker evidence.
        import urllib3

        message = (f"TLS certificate verification is off for {host} (insecure-skip-tls-verify in "
                   f"{origin}): the API server's identity was not checked")
        warnings.warn(message, UserWarning, stacklevel=outside_stacklevel())
        builder.warn(LoadWarning("tls-not-verified", message))
        quiet.enter_context(warnings.catch_warnings())
        warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
    inputs: list[dict[str, str]] = []
    collected_at = _now()
    # Parsed JSON is acyclic: pause the cyclic GC, which otherwise rescans every object
    # collected so far, again and again, while a large cluster is read.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    fetcher: _Fetcher | None = None
    done = False
    reader = _Reader(api, prog, origin, deadline)
    try:
        served = reader.discover()
        # The optional groups' discovery documents, fetched at once as the lists are; _plan then
        # asks for them in its order, as it would one by one.
        reader.prefetch(_documents_wanted(served), concurrency)
        todo, absent = _plan(served, reader.resources)
        for res in absent:
            builder.coverage[res.key] = "not-installed"
        # Without discovery, a namespace-scoped auditor is refused every policy kind it has no
        # role for, installed or not: a dozen warning lines that say one thing.  Their keys
        # are gathered here for one line; the snapshot keeps a warning for each.
        unchecked: list[str] | None = [] if served is None else None
        # Fetched in the background, added here in plan order: the same snapshot as one by one.
        fetcher = _Fetcher(reader, todo, nss, concurrency) if concurrency > 1 else None
        futures = fetcher.futures if fetcher is not None else []
        listed_in: set[str] = set()
        deferred: list[tuple[str, str]] = []
        try:
            for i, res in enumerate(todo):
                if futures:
                    _wait_for(futures, i)
                gather = unchecked if res not in BUILTIN else None
                state = _collect(reader, builder, res, nss, inputs, futures[i] if futures else None, gather,
                                 listed_in, deferred)
                if futures:
                    futures[i] = None  # its result holds the raw items: freed with the builder, below
                if state == "not-installed" and res in CALICO_V3 and served is None:
                    state = _collect(reader, builder, CALICO_CRD[CALICO_V3.index(res)], nss, inputs, None,
                                     gather, listed_in, deferred)
                if state == "not-installed" and res == CNP_VERSIONS[0] and served is None:
                    state = _collect(reader, builder, CNP_VERSIONS[1], nss, inputs, None, gather, listed_in,
                                     deferred)
                # Listed and empty is "ok" (known empty), unlike "not-in-input" offline.
                builder.coverage[res.key] = state
        except LiveError:
            # The refusals read before the failure explain the snapshot that failed: said as they
            # would have been, each on its line.
            for _, said in deferred:
                prog.aside(partial(log.warning, "%s", said))
            raise
        # The refusals in plan order, but one line for a namespace that refused every list.
        for ns, said in deferred:
            if not ns or ns in listed_in:
                prog.aside(partial(log.warning, "%s", said))
        if nss:
            known = {name for plural, _, name, _ in builder.objects if plural == "namespaces"}
            if builder.coverage.get("namespaces") == "forbidden":
                missing = _get_namespaces(reader, builder, nss, inputs)
            else:
                missing = [n for n in nss if n not in known]
            _check_namespaces(reader, missing, known)
            refused = Counter(ns for ns, _ in deferred if ns and ns not in listed_in)
            _say_unlisted(builder, prog, {n: refused[n] for n in nss if n not in listed_in}, known)
            message = (
                "namespaced resources were listed only in namespaces " + ", ".join(nss)
                + "; pods, services and policies in other namespaces are unknown"
            )
            builder.warn(LoadWarning("namespace-scoped", message))
        if unchecked:
            kinds = ", ".join(sorted(unchecked))
            prog.aside(partial(
                log.warning, "%s could not be checked (API discovery and their lists were refused): %s; "
                "recorded as coverage 'forbidden': their policies are not in the snapshot if the cluster "
                "has them", counted(len(unchecked), "optional policy kind"), kinds))
        builder.inputs.extend(inputs)
        snap = builder.build(
            cluster=cluster or context_name, source="live", collected_at=collected_at, namespace_scope=nss
        )
        # Free the raw objects while the GC is still paused: its first collection after the
        # pause would otherwise walk every one of them.
        del builder
        done = True
        return snap
    finally:
        if done:
            for t in fetcher.threads if fetcher is not None else ():
                t.join()
        else:
            # After an error (or Ctrl-C) the error is reported at once: lists not started are
            # not fetched, and the requests under way are ended, not waited for.
            reader.stop()
            if fetcher is not None:
                fetcher.cancel()
        if gc_was_enabled:
            gc.enable()
        prog.close(completed=done)
        api.close()
        quiet.close()

