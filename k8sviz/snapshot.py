"""The Snapshot: everything k8sviz knows about one cluster at one time, and its JSON file.

A snapshot is built from raw Kubernetes objects (from files or the live API, through the same
:class:`SnapshotBuilder`), sanitised (no Secrets, no env values, no ConfigMap data, no
``last-applied-configuration``, no ``managedFields``) and parsed into the frozen dataclasses of
:mod:`k8sviz.model`.  The file stores the sanitised raw objects, so re-reading it goes through
the very same parser and yields an equal snapshot.
"""

from __future__ import annotations

import errno
import hashlib
import html
import ipaddress
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from ._files import atomic_write
from ._gc import paused
from ._shapes import shape_problem
from ._text import as_given, as_written, clip, counted, kind_of
from ._version import __version__
from .calico_objects import (
    CalicoPolicy,
    CalicoTier,
    NetworkSet,
    parse_calico_policy,
    parse_network_set,
    parse_tier,
)
from .cilium_objects import (
    APISERVER_SERVICE,
    RELEASE_1_16,
    RELEASE_1_19,
    RELEASE_1_20,
    CiliumPolicy,
    as_stored_before_1_16,
    as_stored_from_1_20,
    identity_caveats,
    identity_label,
    knp_matches,
    l7_parser_clashes,
    namespace_selector_caveats,
    parse_cilium_policy,
    pod_view,
    services_named,
)
from .errors import InputError, K8svizError, SnapshotVersionError
from .model import (
    NAMESPACE_NAME_LABEL,
    AdminPolicy,
    ContainerCache,
    EndpointSlice,
    Ingress,
    LabelSelector,
    LoadWarning,
    Namespace,
    NetworkPolicy,
    Node,
    Pod,
    RawPolicy,
    Service,
    ServiceAccount,
    Workload,
    _yaml_scalar_str,
    address_rank,
    label_key_text,
    label_problems,
    name_problem,
    parse_admin_policy,
    parse_endpoint_slice,
    parse_ingress,
    parse_namespace,
    parse_network_policy,
    parse_node,
    parse_pod,
    parse_service,
    parse_service_account,
    pod_spec_parts,
    valid_label_key,
    valid_label_value,
)
from .policy.cilium import apiserver_not_ready

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SCHEMA", "SCHEMA_VERSION", "Snapshot", "SnapshotBuilder", "load"]

SCHEMA = "k8sviz/snapshot"
SCHEMA_VERSION = 1

#: The cluster name of a snapshot whose input named none (a dump) and was given none.
UNNAMED = "unnamed"

# (API group, kind) -> resource plural, for what the model understands.
CORE_KINDS: dict[tuple[str, str], str] = {
    ("", "Namespace"): "namespaces",
    ("", "Node"): "nodes",
    ("", "Pod"): "pods",
    ("", "Service"): "services",
    ("", "ServiceAccount"): "serviceaccounts",
    ("", "ReplicationController"): "replicationcontrollers",
    ("discovery.k8s.io", "EndpointSlice"): "endpointslices",
    ("networking.k8s.io", "NetworkPolicy"): "networkpolicies",
    ("networking.k8s.io", "Ingress"): "ingresses",
    ("apps", "Deployment"): "deployments",
    ("apps", "StatefulSet"): "statefulsets",
    ("apps", "DaemonSet"): "daemonsets",
    ("apps", "ReplicaSet"): "replicasets",
    ("batch", "Job"): "jobs",
    ("batch", "CronJob"): "cronjobs",
}
# Old API groups that served the same kinds.
_GROUP_ALIASES = {"extensions": ("apps", "networking.k8s.io"), "apps": ("apps",)}

# Policy dialects kept raw until their translators exist: (group, kind) -> plural.
RAW_POLICY_KINDS: dict[tuple[str, str], str] = {
    ("policy.networking.k8s.io", "AdminNetworkPolicy"): "adminnetworkpolicies",
    ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"): "baselineadminnetworkpolicies",
    ("policy.networking.k8s.io", "ClusterNetworkPolicy"): "clusternetworkpolicies",
    ("cilium.io", "CiliumNetworkPolicy"): "ciliumnetworkpolicies",
    ("cilium.io", "CiliumClusterwideNetworkPolicy"): "ciliumclusterwidenetworkpolicies",
}
for _g in ("projectcalico.org", "crd.projectcalico.org"):
    for _k, _p in {
        "NetworkPolicy": "networkpolicies",
        "GlobalNetworkPolicy": "globalnetworkpolicies",
        "StagedNetworkPolicy": "stagednetworkpolicies",
        "StagedGlobalNetworkPolicy": "stagedglobalnetworkpolicies",
        "StagedKubernetesNetworkPolicy": "stagedkubernetesnetworkpolicies",
        "Tier": "tiers",
        "NetworkSet": "networksets",
        "GlobalNetworkSet": "globalnetworksets",
    }.items():
        RAW_POLICY_KINDS[(_g, _k)] = f"{_p}.{_g}"

#: Raw kinds that change no verdict by themselves: staged policies only report what they would
#: do, and tiers and network sets act through the policies that name them.
INERT_RAW_KINDS = frozenset(
    {"StagedNetworkPolicy", "StagedGlobalNetworkPolicy", "StagedKubernetesNetworkPolicy", "Tier",
     "NetworkSet", "GlobalNetworkSet"}
)

#: Policy resources the engine evaluates: when one was not read, verdicts assume it is empty.
EVALUATED_POLICY_PLURALS = (
    "networkpolicies", "adminnetworkpolicies", "baselineadminnetworkpolicies", "clusternetworkpolicies",
    "ciliumnetworkpolicies", "ciliumclusterwidenetworkpolicies",
    *(f"{p}.projectcalico.org" for p in ("networkpolicies", "globalnetworkpolicies", "tiers", "networksets",
                                         "globalnetworksets")),
)

# Kinds a cluster dump usually holds that say nothing about network reachability.
IGNORED_KINDS = frozenset(
    ["ConfigMap", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "Event", "Endpoints",
     "CustomResourceDefinition", "PersistentVolume", "PersistentVolumeClaim", "StorageClass",
     "HorizontalPodAutoscaler", "PodDisruptionBudget", "PriorityClass", "IngressClass", "LimitRange",
     "ResourceQuota", "Lease", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "APIService",
     "ControllerRevision", "CSIDriver", "CSINode", "VolumeAttachment", "PodTemplate", "ComponentStatus",
     "CertificateSigningRequest", "RuntimeClass", "FlowSchema", "PriorityLevelConfiguration",
     "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]
)

#: Plurals of namespaced kinds (Calico's under their projectcalico.org name).
_NAMESPACED_PLURALS = frozenset(
    (set(CORE_KINDS.values()) - {"namespaces", "nodes"})
    | {"ciliumnetworkpolicies"}
    | {f"{p}.projectcalico.org" for p in ("networkpolicies", "stagednetworkpolicies",
                                          "stagedkubernetesnetworkpolicies", "networksets")}
)
#: What follows the file in a ``where`` from :meth:`SnapshotBuilder.add_documents`: the
#: document's number (or a snapshot file's object) and the item of a list.
_POSITION = re.compile(r"(#\d+|#objects\[\d+\])?(\.items\[\d+\])*$")

#: Plurals reported in ``coverage`` for every snapshot.
COVERAGE_PLURALS = tuple(sorted(set(CORE_KINDS.values()) | set(RAW_POLICY_KINDS.values())))

_WORKLOAD_KINDS = {
    "deployments": "Deployment",
    "statefulsets": "StatefulSet",
    "daemonsets": "DaemonSet",
    "replicasets": "ReplicaSet",
    "replicationcontrollers": "ReplicationController",
    "jobs": "Job",
    "cronjobs": "CronJob",
}
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_TIME_FIELDS = ("creationTimestamp",)


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def _kind_hint(kind: str, api_version: str) -> str:
    """What a kind k8sviz skips likely meant: ``"; k8sviz reads kind NetworkPolicy in API group
    networking.k8s.io, ..."`` for a kind it reads under another apiVersion, ``"; did you mean
    NetworkPolicy?"`` for one spelt nearly as a kind it reads (``NetworkPolicey``,
    ``networkpolicy``, ``Pods``); ``""`` otherwise. A mistyped kind in a manifest was said to be
    unknown, and the policies it held were silently absent from every verdict."""
    import difflib

    groups: dict[str, list[str]] = {}
    for g, k in (*CORE_KINDS, *RAW_POLICY_KINDS):
        groups.setdefault(k, []).append(g)
    if kind in groups:
        # the built-in kinds are served as v1 (old groups such as extensions are read too, but
        # not worth suggesting); the custom resources' versions vary, so their group is named
        versions = [f"{g}/v1" if g else "v1" for g in groups[kind] if (g, kind) in CORE_KINDS]
        others = [g for g in groups[kind] if (g, kind) not in CORE_KINDS]
        said = [f"apiVersion {', '.join(versions)}"] if versions else []
        said += [f"API group {' or '.join(others)}"] if others else []
        return f"; k8sviz reads kind {kind} of {' and of '.join(said)}"
    by_lower = {k.lower(): k for k in groups}
    # 0.85: close enough for a letter or two, or a plural, not for another project's kind
    # (ServiceMonitor is not Service, CiliumEndpoint not EndpointSlice)
    hits = difflib.get_close_matches(kind.lower(), list(by_lower), n=2, cutoff=0.85)
    if not hits:
        return ""
    return "; did you mean " + " or ".join(by_lower[h] for h in hits) + "?"


def _ref(obj: Mapping[str, Any]) -> str:
    m = obj.get("metadata") or {}
    ns = m.get("namespace")
    return f"{_part(obj.get('kind'))}/{_part(ns)}/{_part(m.get('name'))}" if ns else \
        f"{_part(obj.get('kind'))}/{_part(m.get('name'))}"


def _part(value: Any) -> str:
    """A kind, namespace or name in an object's ``Kind/namespace/name``: text as is, another value
    as the file wrote it (``DaemonSet/kube-system/true``, not Python's ``True``), cut short."""
    return value if isinstance(value, str) else as_written(value, 40)


def _check_snapshot_shape(doc: Mapping[str, Any], where: str) -> None:
    """Refuse a snapshot file whose fields do not have the types k8sviz writes (a file edited
    and re-hashed, or written by something else), naming the field, before anything reads it."""

    def bad(field: str, want: str) -> InputError:
        return InputError(f"not a valid k8sviz snapshot: {field} must be {want}", source=where)

    def strings(value: Any, field: str, keys: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
        if not isinstance(value, dict):
            raise bad(field, "an object")
        for k in keys:
            if not isinstance(value.get(k), str):
                raise bad(f"{field}.{k}", "a string")
        for k in optional:
            if value.get(k) is not None and not isinstance(value[k], str):
                raise bad(f"{field}.{k}", "a string")

    meta = doc.get("meta")
    if meta is not None:
        if not isinstance(meta, dict):
            raise bad("meta", "an object")
        for i, inp in enumerate(meta.get("inputs") or ()):
            strings(inp, f"meta.inputs[{i}]", ("path",), ("sha256",))
        if not isinstance(meta.get("inputs") or [], list):
            raise bad("meta.inputs", "a list")
        scope = meta.get("namespace_scope")
        if scope is not None and (not isinstance(scope, list) or not all(isinstance(n, str) for n in scope)):
            raise bad("meta.namespace_scope", "a list of namespace names")
        for k in ("collected_at", "cluster", "source"):
            if meta.get(k) is not None and not isinstance(meta[k], str):
                raise bad(f"meta.{k}", "a string")
    coverage = doc.get("coverage")
    if coverage is not None and (not isinstance(coverage, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in coverage.items())):
        raise bad("coverage", "an object of resource -> state strings")
    for key, item_check in (("warnings", True), ("objects", False)):
        items = doc.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            raise bad(key, "a list")
        for i, item in enumerate(items):
            if item_check:
                strings(item, f"warnings[{i}]", ("code", "message"), ("source", "obj"))
            elif not isinstance(item, dict):
                raise bad(f"objects[{i}]", "an object")


def _sanitize(obj: dict[str, Any], meta: Any, kind: Any) -> dict[str, Any]:
    """``obj`` without anything secret-bearing or noisy; ``obj`` itself when nothing goes.

    Only the containers on the way to what is removed are copied (a deep copy of a 50,000-pod
    dump costs more than parsing it), and most objects need no copy at all; the caller's
    object is never modified.
    """
    out = obj
    if isinstance(meta, dict) and ("managedFields" in meta or "annotations" in meta):
        ann = meta.get("annotations")
        if "managedFields" in meta or not ann or (isinstance(ann, dict) and _LAST_APPLIED in ann):
            out = dict(obj)
            meta = out["metadata"] = dict(meta)
            meta.pop("managedFields", None)
            if isinstance(ann, dict) and _LAST_APPLIED in ann:
                ann = meta["annotations"] = {k: v for k, v in ann.items() if k != _LAST_APPLIED}
            if not ann:
                meta.pop("annotations", None)
    if kind == "ConfigMap" and ("data" in obj or "binaryData" in obj):
        if out is obj:
            out = dict(obj)
        out.pop("data", None)
        out.pop("binaryData", None)
    if kind == "ServiceAccount" and ("secrets" in obj or "imagePullSecrets" in obj):
        # Names, not values; but nothing reads them, and before Kubernetes 1.24 they named
        # each account's token Secret.
        if out is obj:
            out = dict(obj)
        out.pop("secrets", None)
        out.pop("imagePullSecrets", None)
    path = _container_path(out, kind)
    if path is not None:
        if out is obj:
            out = dict(obj)
        _strip_containers(out, path)
    if kind != "Pod":
        out = _strip_template_annotation(out, kind)
    return out


class _Refused(TypeError):
    """A container list of a shape that could hide env values from :func:`_sanitize`: the object
    is refused, in words that name the field."""


def _container_path(obj: dict[str, Any], kind: Any) -> tuple[str, ...] | None:
    """The path to the pod spec of ``obj`` when a container holds something to drop, else None."""
    path = _POD_PATH if kind == "Pod" else _CRONJOB_PATH if kind == "CronJob" else _TEMPLATE_PATH
    node: Any = obj
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
        if not isinstance(node, dict):
            return None
    found = "volumes" in node  # FlexVolume options, CSI attributes, iSCSI/RBD credentials
    for key in _CONTAINER_KEYS:
        cs = node.get(key)
        if cs is None:
            continue
        if type(cs) is not list:  # env values could hide in it: refuse rather than store them
            raise _Refused(f"{'.'.join((*path, key))} is {kind_of(cs)}, not a list")
        for i, c in enumerate(cs):
            if not isinstance(c, dict):
                continue
            env = c.get("env")
            if env is not None and type(env) is not list:  # its values would be kept: refuse it
                raise _Refused(f"{'.'.join((*path, key))}[{i}].env is {kind_of(env)}, not a list")
            if env or not _SECRET_BEARING.isdisjoint(c):
                found = True
    return path if found else None


def _strip_containers(obj: dict[str, Any], path: tuple[str, ...]) -> None:
    """Drop env values (and secret references), command lines, probes and lifecycle hooks
    from the containers of the pod spec at ``path``, copy-on-write.

    ``obj`` is already a copy; the dicts along ``path`` are copied here.
    """
    parent: dict[str, Any] = obj
    for key in path:
        parent[key] = dict(parent[key])
        parent = parent[key]
    parent.pop("volumes", None)  # no analysis reads them; their settings may hold credentials
    for key in _CONTAINER_KEYS:
        if isinstance(parent.get(key), list):
            parent[key] = [_clean_container(c) for c in parent[key]]


def _strip_template_annotation(obj: dict[str, Any], kind: Any) -> dict[str, Any]:
    """``obj`` without ``kubectl.kubernetes.io/last-applied-configuration`` on its pod
    template (a whole earlier object, env values included, copied there by some tools)."""
    path = (*(_CRONJOB_PATH if kind == "CronJob" else _TEMPLATE_PATH)[:-1], "metadata")
    node: Any = obj
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    ann = node.get("annotations") if isinstance(node, dict) else None
    if not isinstance(ann, dict) or _LAST_APPLIED not in ann:
        return obj
    out = dict(obj)
    parent: dict[str, Any] = out
    for key in path:
        parent[key] = dict(parent[key])
        parent = parent[key]
    parent["annotations"] = {k: v for k, v in ann.items() if k != _LAST_APPLIED}
    if not parent["annotations"]:
        del parent["annotations"]
    return out


_POD_PATH = ("spec",)
_CRONJOB_PATH = ("spec", "jobTemplate", "spec", "template", "spec")
_TEMPLATE_PATH = ("spec", "template", "spec")
_CONTAINER_KEYS = ("containers", "initContainers", "ephemeralContainers")
# Container fields dropped whole: command lines carry passwords and tokens in practice
# (``--db-password=...``), and so do probe and hook handlers (exec commands, HTTP headers
# such as ``Authorization``).  No analysis reads them.
_SECRET_BEARING = frozenset(("command", "args", "lifecycle", "livenessProbe", "readinessProbe",
                             "startupProbe"))


def _clean_container(c: Any) -> Any:
    if not isinstance(c, dict) or (not c.get("env") and _SECRET_BEARING.isdisjoint(c)):
        return c
    c = {k: v for k, v in c.items() if k not in _SECRET_BEARING}
    if c.get("env"):
        c["env"] = [
            {k: v for k, v in e.items() if k not in ("value", "valueFrom")} if isinstance(e, dict) else e
            for e in c["env"]
        ]
    return c


def _named_port_clashes(pod: Pod) -> str:
    """Port names (per protocol) that two containers of the pod give different numbers, as
    ``http/TCP 8080, 9090``; "" when none.  The API checks names unique per container only."""
    seen: dict[tuple[str, str], set[int]] = {}
    for c in pod.containers:
        if not c.init:
            for p in c.ports:
                if p.name:
                    seen.setdefault((p.name, p.protocol), set()).add(p.container_port)
    return "; ".join(f"{n}/{pr} {', '.join(map(str, sorted(v)))}" for (n, pr), v in sorted(seen.items())
                     if len(v) > 1)


def _pod_template(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return spec.get("template") or {}


def _controller(meta: Mapping[str, Any]) -> tuple[str, str] | None:
    refs = meta.get("ownerReferences")
    if not refs:
        return None
    if type(refs) is list and len(refs) == 1 and type(refs[0]) is dict:  # nearly every object
        return str(refs[0].get("kind")), str(refs[0].get("name"))
    refs = [r for r in refs if isinstance(r, dict)]
    if not refs:
        return None
    ctl = next((r for r in refs if r.get("controller")), refs[0])
    return str(ctl.get("kind")), str(ctl.get("name"))


def _str_map(raw: Mapping[Any, Any]) -> dict[str, str]:
    # Read as a pod's labels are (model._labels): a null is "" (Go's zero string), a YAML `true`
    # is "true", so a workload's selector-facing labels never differ from its pods' by spelling.
    if type(raw) is dict:
        for k, v in raw.items():
            if type(k) is not str or type(v) is not str:
                break
        else:
            return dict(raw)  # all text already (nearly always): a C copy
    return {k if type(k) is str else label_key_text(k): v if type(v) is str else _yaml_scalar_str(v)
            for k, v in raw.items()}


#: The :data:`k8sviz.model.NAME_RULES` rule of each plural's names; any other: "subdomain".
_NAME_RULE = {"namespaces": "label", "services": "service", "cronjobs": "cronjob"}


def _name_problem(plural: str, name: str) -> str | None:
    """What the API server would say of an object's ``metadata.name`` (see
    :data:`k8sviz.model.NAME_RULES`), or None."""
    said = name_problem(name, _NAME_RULE.get(plural, "subdomain"))
    return f"{said}: the API server would reject it (tampered input?); kept as text" if said else None


def _namespace_problem(ns: str) -> str | None:
    """:func:`_name_problem` of a ``metadata.namespace``: said once per namespace, not per object."""
    said = name_problem(ns, "label", "metadata.namespace")
    return (f"{said}: the API server would reject it (tampered input?); kept as text (said once for all "
            "the objects in it)") if said else None


def _malformed(e: Exception, obj: dict[str, Any], where: str) -> InputError:
    if not isinstance(e, ValueError) or str(e).startswith("invalid literal for int()"):
        # Python's words, not a parser's ("'str' object has no attribute 'get'"): name the field.
        problem = shape_problem(obj)
        if problem:
            return InputError(f"malformed object: {problem}", source=where, obj=_ref(obj))
    if isinstance(e, ValueError):  # the parsers' own words, naming the field
        return InputError(f"malformed object: {_reason(e)}", source=where, obj=_ref(obj))
    return InputError(f"malformed object: {_unnamed(e)}", source=where, obj=_ref(obj))


def _unnamed(e: Exception) -> str:
    """The last resort of :func:`_malformed`, in the input's terms: Python's own words ("KeyError",
    "'int' object is not iterable", "unhashable type: 'dict'") name no field and read as a crash."""
    if isinstance(e, KeyError) and e.args:
        return (f"a field k8sviz reads is missing ({as_written(e.args[0])}); no place in the object could "
                "be named")
    if isinstance(e, OverflowError):
        return ("a number is too large, or not finite, where a count or a time belongs; no field could be "
                "named")
    return ("a field holds a value of the wrong kind (a list or a mapping where text or a number belongs, "
            "or the other way round) and no field could be named: compare the object with its kind's API "
            "schema")


def _reason(e: Exception) -> str:
    """What ``e`` says, in the input's terms where Python's own would mislead: an int past its
    limit for int -> str (a YAML ``0x...`` label of thousands of digits) is no setting to raise."""
    if isinstance(e, ValueError) and "integer string conversion" in str(e):
        return f"a number of more than {sys.get_int_max_str_digits():,} digits, too large to read as text"
    return str(e)


_NOT_POLICY_CONTENT = frozenset({"metadata", "status", "kind", "apiVersion"})


def _metadata_problem(meta: dict[str, Any]) -> str | None:
    """What in ``metadata`` has a shape no API server serves (a hand-edited dump), or None.

    The builder keys, groups and links objects by these fields before any parser runs, so
    they are checked on entry; the rest of an object is checked by its parser.
    """
    # Nearly every object passes: one expression of type tests, messages only below.
    name = meta.get("name")
    ns = meta.get("namespace")
    labels = meta.get("labels")
    annotations = meta.get("annotations")
    refs = meta.get("ownerReferences")
    if (
        type(name) is str
        and name
        and (ns is None or type(ns) is str)
        and (labels is None or type(labels) is dict)
        and (annotations is None or type(annotations) is dict)
        and (refs is None or (type(refs) is list and (
            (len(refs) == 1 and type(refs[0]) is dict) or all(type(r) is dict for r in refs))))
    ):
        return None
    return _metadata_message(meta)


def _metadata_message(meta: dict[str, Any]) -> str | None:
    """:func:`_metadata_problem` with every check named, in order."""
    name = meta.get("name")
    if type(name) is not str or not name:
        return ("metadata.name is missing" if name in (None, "")
                else f"metadata.name is {kind_of(name)}, not a string")
    ns = meta.get("namespace")
    if ns is not None and type(ns) is not str:
        return f"metadata.namespace is {kind_of(ns)}, not a string"
    for name in ("labels", "annotations"):
        v = meta.get(name)
        if v is not None and type(v) is not dict:
            return f"metadata.{name} is {kind_of(v)}, not a mapping"
    refs = meta.get("ownerReferences")
    if refs is not None and (type(refs) is not list or not all(type(r) is dict for r in refs)):
        return "metadata.ownerReferences is not a list of mappings"
    return None


def canonical_json(data: Any) -> bytes:
    """Compact JSON with sorted keys: what the content hash is computed over."""
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:  # integers beyond 64 bits, nesting past 255 levels and other rarities
        try:
            return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        except RecursionError:
            raise ValueError("nested too deeply to be written as JSON") from None


def _pretty_json(data: Any) -> bytes:
    try:
        return orjson.dumps(
            data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_INDENT_2
        )
    except TypeError:
        return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2).encode()


@dataclass
class SnapshotBuilder:
    """Collects raw objects (from any source), then builds a :class:`Snapshot`."""

    objects: dict[tuple[str, str, str, str], tuple[dict[str, Any], str]] = field(default_factory=dict)
    warnings: list[LoadWarning] = field(default_factory=list)
    inputs: list[dict[str, str]] = field(default_factory=list)
    seen_plurals: set[str] = field(default_factory=set)
    coverage: dict[str, str] = field(default_factory=dict)
    ignored: Counter[str] = field(default_factory=Counter)
    unknown: dict[str, str] = field(default_factory=dict)
    unknown_count: Counter[str] = field(default_factory=Counter)
    # unknown's key -> (kind, apiVersion) as written, for the kind it may have meant
    _unknown_parts: dict[str, tuple[str, str]] = field(default_factory=dict, init=False, repr=False,
                                                       compare=False)
    # (apiVersion, kind) -> (group, plural or None): a dump holds only a few distinct pairs.
    _resolved: dict[tuple[str, str], tuple[str, str | None]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # Warnings read from snapshot files: parsing the stored objects again raises the ones about
    # an object (a policy's host bits, a label the API would reject) a second time, named by
    # the snapshot file instead of the file the object first came from.
    _stored_warnings: set[LoadWarning] = field(default_factory=set, init=False, repr=False, compare=False)
    # File -> namespaced objects in it without metadata.namespace (``helm template`` output),
    # each with its ``where``: one warning per file at build(), not one per object.
    _defaulted: dict[str, dict[str, str]] = field(default_factory=dict, init=False, repr=False,
                                                   compare=False)
    # creationTimestamps judged while each object's metadata is at hand (see _newest_timestamp):
    # the newest in the API's form, the keys of objects whose time has another form or fails
    # the test (in order), the hours already checked, and whether every stored object is
    # counted exactly once (False once an object replaced another: build() then reads them all).
    _newest_utc: str | None = field(default=None, init=False, repr=False, compare=False)
    _odd_times: dict[tuple[str, str, str, str], None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _hours: dict[str, bool] = field(default_factory=dict, init=False, repr=False, compare=False)
    # Plural -> the names (for "namespaces", the namespaces too) the API server takes: each
    # distinct one is checked once, here, where every object's metadata is at hand anyway.
    _valid_names: dict[str, set[str]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _times_exact: bool = field(default=True, init=False, repr=False, compare=False)
    # The input's order, for build() to give every warning in it: each object's ``where``, in
    # the order add() took them (file by file, document by document, item by item), and for
    # each warning raised while reading, how many objects came before it.  A warning raised
    # at build() about an object (an unknown kind, a label, a policy's field) then sits with
    # that object's; sorted by kind or plural, the first a user saw could be from the last file.
    _at: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)
    _warned_at: list[int] = field(default_factory=list, init=False, repr=False, compare=False)
    # The first object of a kind that is not stored (IGNORED_KINDS): where ``ignored-kind`` sits.
    _first_ignored: str | None = field(default=None, init=False, repr=False, compare=False)

    def warn(self, w: LoadWarning) -> None:
        self.warnings.append(w)
        self._warned_at.append(len(self._at))

    def add(self, obj: dict[str, Any], where: str, *, owned: bool = False) -> None:
        """Add one raw object; ``where`` names its file (and position) for messages.

        The caller's object is never modified (sanitising copies only what it removes), so
        ``owned`` is accepted for callers that hand over freshly parsed objects but changes
        nothing.
        """
        self._add(obj, where)
        # After its own warnings (a duplicate, an invalid name): build()'s about it follow them.
        self._at.setdefault(where, len(self._at))

    def _add(self, obj: dict[str, Any], where: str) -> None:
        kind = str(obj.get("kind"))
        api_version = str(obj.get("apiVersion"))
        resolved = self._resolved.get((api_version, kind))
        if resolved is None:
            group = _group(api_version)
            resolved = self._resolved[(api_version, kind)] = (group, self.plural_of(group, kind))
        group, plural = resolved
        meta = obj.get("metadata")
        if meta and not isinstance(meta, dict):
            # Refused whatever the kind; a snapshot file's objects come here without the
            # manifest reader's check (it skips them as no objects), and _ref cannot read it.
            raise InputError(f"malformed object: metadata is {kind_of(meta)}, not a mapping",
                             source=where, obj=kind)
        if kind == "Secret" and group == "":
            message = "Secret objects are never stored in a snapshot"
            self.warn(LoadWarning("secret-skipped", message, where, _ref(obj)))
            return
        if plural is None:
            if kind in IGNORED_KINDS:
                self.ignored[kind] += 1
                if self._first_ignored is None:
                    self._first_ignored = where
            else:
                self.unknown.setdefault(f"{kind} ({api_version})", where)
                self.unknown_count[f"{kind} ({api_version})"] += 1
                self._unknown_parts.setdefault(f"{kind} ({api_version})", (kind, api_version))
            return
        self.seen_plurals.add(plural)
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            what = "missing" if meta is None else f"{kind_of(meta)}, not a mapping"
            raise InputError(f"malformed object: metadata is {what}", source=where, obj=_ref(obj))
        bad = _metadata_problem(meta)
        if bad:
            raise InputError(f"malformed object: {bad}", source=where, obj=_ref(obj))
        name, namespace = meta["name"], meta.get("namespace")
        names = self._valid_names.get(plural)
        if names is None:
            names = self._valid_names[plural] = set()
        # Every metadata.namespace judged so far, valid or not (its every object would repeat the
        # warning); not the valid Namespace names, which must each still be judged as a name.
        spaces = self._valid_names.get(" metadata.namespace")
        if spaces is None:
            spaces = self._valid_names[" metadata.namespace"] = set()
        if name not in names:
            said = _name_problem(plural, name)
            if said:
                self.warn(LoadWarning("invalid-name", said, where, _ref(obj)))
            else:
                names.add(name)
        if namespace and namespace not in spaces:
            said = _namespace_problem(namespace)
            spaces.add(namespace)
            if said:
                # Named by the namespace, not by its first object: which one is first depends on
                # the input's order (a snapshot file sorts them), and the warning must not.
                self.warn(LoadWarning("invalid-name", said, where, f"Namespace/{namespace}"))
        calico = plural.endswith(".projectcalico.org")
        if calico:
            # projectcalico.org/v3 is what the Calico API server serves from the
            # crd.projectcalico.org/v1 objects: one policy must not count twice.
            plural = plural.replace(".crd.projectcalico.org", ".projectcalico.org")
        namespace = meta.get("namespace")
        defaulted = not namespace and plural in _NAMESPACED_PLURALS
        if defaulted:
            # `kubectl apply` without -n puts it in default; the install decides the real one.
            namespace = "default"
            self._defaulted.setdefault(_POSITION.sub("", where) or where, {}).setdefault(_ref(obj), where)
        key = (plural, str(namespace or ""), str(meta["name"]), "calico" if calico else group)
        try:
            clean = _sanitize(obj, meta, obj.get("kind"))
        except _Refused as e:
            raise InputError(f"malformed object: {e}", source=where, obj=_ref(obj)) from None
        except TypeError as e:  # Python's words ("'int' object is not iterable"): name the field
            raise _malformed(e, obj, where) from None
        if defaulted:
            # Stored with the namespace it is evaluated in, so every parser, the duplicate check
            # above and a snapshot file read again agree on it.
            clean = {**clean, "metadata": {**clean["metadata"], "namespace": "default"}}
        if key in self.objects:
            ref = _ref(obj)
            old, old_where = self.objects[key]
            if _object_json(old, old_where) == _object_json(clean, where):
                self.warn(LoadWarning("duplicate-object", f"identical copy also in {old_where}; kept once",
                                      where, ref))
                return
            if calico and _group(str(old.get("apiVersion"))) != group:
                v3_is_old = _group(str(old.get("apiVersion"))) == "projectcalico.org"
                self.warn(
                    LoadWarning(
                        "duplicate-object",
                        f"served both as projectcalico.org/v3 and crd.projectcalico.org/v1 "
                        f"({old_where}); kept the projectcalico.org/v3 one",
                        where,
                        ref,
                    )
                )
                if v3_is_old:
                    return
            else:
                self.warn(
                    LoadWarning(
                        "duplicate-object",
                        f"differs from the copy in {old_where}; kept this later one",
                        where,
                        ref,
                    )
                )
            self._times_exact = False
        ts = meta.get("creationTimestamp")  # the sanitised object has the same
        if ts is not None and ts != "":
            if _api_time(ts, self._hours):
                if self._newest_utc is None or ts > self._newest_utc:
                    self._newest_utc = ts
            else:
                self._odd_times[key] = None
        self.objects[key] = (clean, where)

    @staticmethod
    def plural_of(group: str, kind: str) -> str | None:
        if (group, kind) in CORE_KINDS:
            return CORE_KINDS[(group, kind)]
        if (group, kind) in RAW_POLICY_KINDS:
            return RAW_POLICY_KINDS[(group, kind)]
        for alias in _GROUP_ALIASES.get(group, ()):
            if (alias, kind) in CORE_KINDS:
                return CORE_KINDS[(alias, kind)]
        return None

    def add_documents(self, docs: Iterable[Any], where: str) -> None:
        from .sources.manifests import expand_list

        docs = list(docs)
        for i, doc in enumerate(docs):
            if isinstance(doc, dict) and doc.get("schema") == SCHEMA:
                self.add_snapshot_file(doc, where)
                continue
            kind = doc.get("kind") if isinstance(doc, dict) else None
            if isinstance(kind, str) and kind.endswith("List") and kind != "List" and "items" in doc:
                # An empty typed list still proves the resource was read (items that are not a
                # list are refused by expand_list; without items it is no list at all).
                plural = self.plural_of(_group(str(doc.get("apiVersion", ""))), kind[: -len("List")])
                if plural:
                    self.seen_plurals.add(plural)
            for d in expand_list(doc, f"{where}#{i + 1}" if len(docs) > 1 else where, self.warn):
                self.add(d.obj, d.where)

    def add_snapshot_file(self, doc: Mapping[str, Any], where: str) -> None:
        version = doc.get("schema_version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise InputError(f"not a valid k8sviz snapshot: schema_version {as_written(version)} is not a "
                             "version number",
                             source=where)
        if version > SCHEMA_VERSION:
            raise SnapshotVersionError(
                f"snapshot schema version {as_written(version)} is newer than this k8sviz "
                f"({__version__}) reads (up to {SCHEMA_VERSION}); upgrade k8sviz",
                source=where,
            )
        body = {k: v for k, v in doc.items() if k != "sha256"}
        digest = hashlib.sha256(canonical_json(body)).hexdigest()
        if doc.get("sha256") != digest:
            raise InputError("snapshot content does not match its recorded SHA-256 (edited or truncated?)",
                             source=where)
        _check_snapshot_shape(body, where)
        meta = doc.get("meta") or {}
        before = self.meta_from_file
        if before is not None and before.get("cluster") != meta.get("cluster"):
            # Two clusters' objects read as one, under the last file's name: say so, it mixes
            # the evidence of two audits (their namespaces and workloads may share names).
            self.warn(LoadWarning(
                "cluster-mismatch",
                f"a snapshot of cluster {as_written(meta.get('cluster'))} merged with one of cluster "
                f"{as_written(before.get('cluster'))} ({self._meta_where}): their objects are read as one "
                "cluster, named as the last snapshot file names it unless a cluster name is given",
                where,
            ))
        self.meta_from_file = meta
        self._meta_where = where
        for inp in meta.get("inputs") or ():
            self.inputs.append(dict(inp))
        for plural, state in (doc.get("coverage") or {}).items():
            if state != "not-in-input":
                self.coverage[plural] = state
        for w in doc.get("warnings") or ():
            stored = LoadWarning(w["code"], w["message"], w.get("source", ""), w.get("obj", ""))
            self.warn(stored)
            self._stored_warnings.add(stored)
        for i, obj in enumerate(doc.get("objects") or ()):
            self.add(obj, f"{where}#objects[{i}]")

    meta_from_file: Mapping[str, Any] | None = None
    _meta_where: str = ""

    def _newest_timestamp(self) -> str | None:
        """:func:`_newest_timestamp` of the stored objects, reading again only those whose
        time ``add`` could not take (another form, an invalid time), unless an object was
        replaced or the newest time in the API's form is later than the limit."""
        limit = _time_limit()
        newest = self._newest_utc
        if self._times_exact and (newest is None or newest <= _limit_text(limit)):
            odd = [self.objects[key] for key in self._odd_times]
            return _newest_timestamp(odd, self.warn, limit=limit, newest_utc=newest)
        return _newest_timestamp(self.objects.values(), self.warn, limit=limit)

    # ----------------------------------------------------------------------------------------

    def build(
        self,
        *,
        cluster: str | None = None,
        source: str = "offline",
        collected_at: str | None = None,
        namespace_scope: Iterable[str] | None = None,
    ) -> Snapshot:
        # Sorted by key, so plural first: the groups, in order, are also the file's order.
        by_plural: dict[str, list[tuple[dict[str, Any], str]]] = {}
        group: list[tuple[dict[str, Any], str]] = []
        plural = None
        for key, entry in sorted(self.objects.items(), key=_first):
            if key[0] != plural:
                plural = key[0]
                group = by_plural[plural] = []
            group.append(entry)
        read = len(self.warnings)  # raised while reading: in the input's order already
        # (warnings given to the constructor come first)
        read_at = [0] * (read - len(self._warned_at)) + self._warned_at
        # A warning of build() that names no object's ``where`` as its source: the first object
        # of its group.
        first_of: dict[LoadWarning, str] = {}
        for kind, where in self.unknown.items():
            n = self.unknown_count[kind]
            hint = _kind_hint(*self._unknown_parts[kind]) if kind in self._unknown_parts else ""
            self.warn(
                LoadWarning(
                    "unknown-kind",
                    f"kind {kind} is not understood by k8sviz; {counted(n, 'object')} skipped (first one "
                    f"here){hint}",
                    where,
                )
            )
        for source, refs in self._defaulted.items():
            listed = list(refs)
            names = ", ".join(listed[:10]) + (f" and {len(listed) - 10} more" if len(listed) > 10 else "")
            what = (f"{len(listed)} objects without metadata.namespace ({names}) taken as namespace default, "
                    "as `kubectl apply` without -n would place them") if len(listed) > 1 else (
                "no metadata.namespace; taken as namespace default, as `kubectl apply` without -n would "
                "place it")
            defaulted = LoadWarning(
                "namespace-defaulted",
                f"{what}; the namespace given at install (`helm template --namespace`, `kubectl -n`) "
                "decides the real one",
                source,
                listed[0] if len(listed) == 1 else "",
            )
            self.warn(defaulted)
            first_of[defaulted] = next(iter(refs.values()))
        ignored = {k: n for k, n in self.ignored.items() if n}
        if ignored:
            listing = ", ".join(f"{n} {k}" for k, n in sorted(ignored.items()))
            skipped = LoadWarning("ignored-kind", f"objects that do not affect reachability were not stored: "
                                  f"{listing}")
            self.warn(skipped)
            if self._first_ignored is not None:
                first_of[skipped] = self._first_ignored

        file_meta = self.meta_from_file or {}
        if collected_at is None:
            collected_at = file_meta.get("collected_at") or self._newest_timestamp()
        snap = Snapshot._from_objects(by_plural, self.warnings)
        coverage = dict.fromkeys(COVERAGE_PLURALS, "not-in-input")
        for p in self.seen_plurals:
            coverage[p.replace(".crd.projectcalico.org", ".projectcalico.org")] = "ok"
        coverage.update(self.coverage)
        coverage = {k: coverage[k] for k in sorted(coverage) if not k.endswith(".crd.projectcalico.org")}
        snap.meta = {
            "cluster": cluster or file_meta.get("cluster") or UNNAMED,
            "source": file_meta.get("source", source) if source == "offline" else source,
            "collected_at": collected_at,
            "k8sviz_version": __version__,
            "inputs": sorted({(i["path"], i["sha256"]): i for i in self.inputs}.values(),
                             key=lambda i: (i["path"], i["sha256"])),
        }
        scope = sorted(namespace_scope) if namespace_scope is not None else file_meta.get("namespace_scope")
        if scope is not None:
            snap.meta["namespace_scope"] = list(scope)
        snap.coverage = coverage
        snap._mark_calico_context()
        snap._read_cilium_before_1_16()
        snap._read_cilium_from_1_20()
        snap._mark_cilium_services()
        snap._mark_cilium_requires()
        snap._mark_cilium_apiserver()
        snap._mark_cilium_world_families()
        snap._mark_cilium_network_policies()
        snap._mark_cilium_l7_clashes()
        # Kept as canonical JSON bytes, not dicts: the raw objects are only needed to write the
        # file, and millions of small dicts would cost memory and every later GC pass.
        snap._raw, snap._raw_sep = _objects_json([entry for entries in by_plural.values()
                                                  for entry in entries])
        in_order = self._in_input_order(snap.warnings, read_at, first_of, by_plural)
        seen: set[LoadWarning] = set()
        snap.warnings = tuple(w for w in in_order if not (w in seen or seen.add(w)))  # type: ignore[func-returns-value]
        if self._stored_warnings:
            stored = {(w.code, w.message, w.obj) for w in self._stored_warnings if w.obj}
            snap.warnings = tuple(
                w for w in snap.warnings
                if w in self._stored_warnings or (w.code, w.message, w.obj) not in stored
            )
        return snap

    def _in_input_order(
        self,
        warnings: Sequence[LoadWarning],
        read_at: Sequence[int],
        first_of: Mapping[LoadWarning, str],
        by_plural: Mapping[str, list[tuple[dict[str, Any], str]]],
    ) -> list[LoadWarning]:
        """``warnings`` in the order of the input.  Those raised while reading (the first ones,
        each after as many objects as ``read_at`` says) stay where they were raised; each one
        raised at build() follows the warnings of reading its object (its ``source``, the first
        object of its group in ``first_of``, or else the first object its ``obj`` names); one
        about no object comes last, in the order raised.  A sort by kind or plural made the
        first warning a command line says one of the last file."""
        at = self._at
        last = len(at) + 1
        by_ref: dict[str, int] | None = None
        keyed: list[tuple[int, int, int, LoadWarning]] = []
        for i, w in enumerate(warnings):
            if i < len(read_at):
                keyed.append((read_at[i], 0, i, w))
                continue
            place = at.get(first_of.get(w, w.source), -1)
            if place < 0 and w.obj:
                if by_ref is None:  # rare (a Cilium policy's, a pod address's): read only then
                    by_ref = {}
                    kinds = {v.obj.partition("/")[0] for v in warnings[len(read_at):] if v.obj}
                    for entries in by_plural.values():
                        if entries and entries[0][0].get("kind") not in kinds:  # one kind a plural
                            continue
                        for obj, where in entries:
                            ref = _ref(obj)
                            by_ref[ref] = min(by_ref.get(ref, last), at.get(where, last))
                place = by_ref.get(w.obj, -1)
            keyed.append((last if place < 0 else place, 1, i, w))
        keyed.sort(key=lambda k: k[:3])
        return [k[3] for k in keyed]


#: The version in an image tag (``cilium:v1.17.2``, ``cilium:1.16.5-eks``).
_RELEASE = re.compile(r":v?(\d+)\.(\d+)(?:\.\d+)?(?P<suffix>[-+][\w.-]*)?$")
#: Pre-release tags: whether one already behaves as its release does is not known.
_PRE_RELEASE = re.compile(r"^[-+.]?(pre|rc|snapshot|dev|alpha|beta)", re.IGNORECASE)


def _first(item: tuple[Any, Any]) -> Any:
    return item[0]


# Put between the objects when they are serialised in one call, to find where each one ends.
_BOUNDARY = "\x00k8sviz\x00"
_BOUNDARY_JSON = b',"\\u0000k8sviz\\u0000",'


def _objects_json(entries: list[tuple[dict[str, Any], str]]) -> tuple[bytes, bytes]:
    """``(array, separator)``: the canonical JSON of each object in one JSON array, with
    ``separator`` (a marker, or ``,\\n``) between the objects and nowhere else.

    One ``orjson.dumps`` call for all objects is several times faster than one call per
    object (and one buffer costs less fresh memory than 100,000 small ones); the marker is
    replaced only when the file or its hash is written.
    """
    if not entries:
        return b"[]", b",\n"
    objs = [obj for obj, _ in entries]
    items: list[Any] = [_BOUNDARY] * (2 * len(objs) - 1)
    items[::2] = objs
    try:
        array = orjson.dumps(items, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:
        pass
    else:
        # More markers than boundaries means an object holds the marker string itself.
        if array.count(_BOUNDARY_JSON) == len(objs) - 1:
            return array, _BOUNDARY_JSON
    # Objects orjson refuses (integers beyond 64 bits) go through the json module on their
    # own, exactly as canonical_json() writes them.  Compact JSON never holds a raw newline
    # (strings escape it), so ",\n" marks the boundaries unambiguously.
    return b"[" + b",\n".join(_object_json(o, where) for o, where in entries) + b"]", b",\n"


def _object_json(obj: dict[str, Any], where: str) -> bytes:
    try:
        return canonical_json(obj)
    except (TypeError, ValueError) as e:
        msg = f"object cannot be stored as JSON ({_reason(e)})"
        raise InputError(msg, source=where, obj=_ref(obj)) from None


#: RFC 3339 as Go's time.Parse reads it (what the API server accepts for a metav1.Time).
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.ASCII)
_UTC_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", re.ASCII)


def _rfc3339(text: Any) -> datetime | None:
    """``text`` as an aware datetime when it is an RFC 3339 time, else None."""
    if type(text) is not str or not _RFC3339.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:  # the 30th of February, hour 24 and the like
        return None


def _time_limit() -> datetime:
    """The latest creationTimestamp taken: now, with a day's grace (a cluster whose clock runs
    ahead of this machine's stamps objects "later than now", and a day does not change the
    date an audit is judged on by more than one)."""
    return datetime.now(UTC) + timedelta(days=1)


def _limit_text(limit: datetime) -> str:
    """``limit`` cut to the second, in the API's form: a time of whole seconds is later than
    ``limit`` exactly when it is later than this, and in that form text order is time order."""
    return limit.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def _api_time(ts: Any, hours: dict[str, bool]) -> bool:
    """Whether ``ts`` is a valid time in the API server's own form, ``2024-05-01T10:00:00Z``,
    told without parsing it: the form by a pattern, the date and hour once per distinct hour in
    ``hours`` (the 30th of February, hour 24), the minute and second by their first digit."""
    if type(ts) is not str or not _UTC_SECONDS.fullmatch(ts) or ts[14] > "5" or ts[17] > "5":
        return False
    hour = ts[:13]
    ok = hours.get(hour)
    if ok is None:
        ok = hours[hour] = _rfc3339(f"{hour}:00:00Z") is not None
    return ok


def _newest_timestamp(
    objs: Iterable[tuple[dict[str, Any], str]],
    warn: Callable[[LoadWarning], None],
    *,
    limit: datetime | None = None,
    newest_utc: str | None = None,
) -> str | None:
    """The newest ``metadata.creationTimestamp`` of ``objs`` (RFC 3339, UTC), or None.

    A value that is not an RFC 3339 time, or one over a day later than now (the clock when
    loading, which may lag the cluster's), is not used, with a ``bad-timestamp`` warning naming the object: it
    would date the snapshot, and with it the audit (the day zone exceptions are judged on).  null and "" say
    nothing.

    ``limit`` is :func:`_time_limit` when not given.  ``newest_utc`` is the newest of further
    objects' times, each valid in the API's form and not later than ``limit``: the builder
    judges those as they are added, and hands over only the other objects.
    """
    now = _time_limit() if limit is None else limit
    # Times in the API's form are taken without parsing (see _api_time and _limit_text); any
    # other form, or one that fails those tests, takes the general path below, which judges
    # (and words a warning) as it always did.
    now_text = _limit_text(now)
    hours: dict[str, bool] = {}
    newest: tuple[datetime, str] | None = None  # the newest of any other form
    for obj, where in objs:
        ts = obj["metadata"].get("creationTimestamp")
        if ts is None or ts == "":
            continue
        if _api_time(ts, hours) and ts <= now_text:
            if newest_utc is None or ts > newest_utc:
                newest_utc = ts
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
        warn(LoadWarning("bad-timestamp",
                         f"metadata.creationTimestamp {as_written(ts)} {problem}: not used as the "
                         "snapshot's collected_at (which dates the audit)", where, _ref(obj)))
    if newest_utc is not None:
        utc = (datetime.fromisoformat(newest_utc), newest_utc)
        if newest is None or utc > newest:
            newest = utc
    if newest is None:
        return None
    when, ts = newest
    if _UTC_SECONDS.fullmatch(ts):
        return ts
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(eq=False)
class Snapshot:
    """One cluster at one time: the parsed objects, where they came from, and what is missing.

    ``coverage`` maps every resource plural to ``ok``, ``forbidden``, ``not-installed`` or
    ``not-in-input``: a resource that was not read is *unknown*, never "empty".
    """

    namespaces: tuple[Namespace, ...] = ()
    nodes: tuple[Node, ...] = ()
    pods: tuple[Pod, ...] = ()
    workloads: tuple[Workload, ...] = ()
    services: tuple[Service, ...] = ()
    ingresses: tuple[Ingress, ...] = ()
    network_policies: tuple[NetworkPolicy, ...] = ()
    other_policies: tuple[RawPolicy, ...] = ()
    #: ServiceAccounts, by namespace and name: their labels, for Calico's selectors on them.
    service_accounts: tuple[ServiceAccount, ...] = ()
    #: EndpointSlices of IP addresses: what Calico's ``services`` rules match.
    endpoint_slices: tuple[EndpointSlice, ...] = ()
    #: Admin-tier policies (AdminNetworkPolicy, ClusterNetworkPolicy tier Admin) by priority,
    #: then the baseline tier's (BaselineAdminNetworkPolicy, ClusterNetworkPolicy tier Baseline).
    admin_policies: tuple[AdminPolicy, ...] = ()
    #: Calico NetworkPolicy and GlobalNetworkPolicy, Tiers, NetworkSets and GlobalNetworkSets.
    calico_policies: tuple[CalicoPolicy, ...] = ()
    calico_tiers: tuple[CalicoTier, ...] = ()
    network_sets: tuple[NetworkSet, ...] = ()
    #: CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy.
    cilium_policies: tuple[CiliumPolicy, ...] = ()
    warnings: tuple[LoadWarning, ...] = ()
    coverage: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    #: Policy ref (``NetworkPolicy/ns/name``, ``GlobalNetworkPolicy/name``...; also Calico's
    #: ``Tier/name``, ``NetworkSet/ns/name`` and ``GlobalNetworkSet/name``) -> its
    #: ``labels`` and ``annotations`` (``last-applied-configuration`` removed).
    policy_metadata: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict, repr=False)
    #: Policy ref -> the policy's object without ``metadata``, ``status``, ``kind`` and
    #: ``apiVersion`` (its ``spec``, or Cilium's ``specs``): what :func:`k8sviz.policy_diff`
    #: compares.  Read-only: the dicts are shared with the raw objects.
    policy_specs: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    #: The sanitised raw objects as one canonical JSON array, ``_raw_sep`` between the objects.
    _raw: bytes = field(default=b"[]", repr=False)
    _raw_sep: bytes = field(default=b",\n", repr=False)

    # ---------------------------------------------------------------------------- building

    @classmethod
    def _from_objects(
        cls, by_plural: Mapping[str, list[tuple[dict[str, Any], str]]], warnings: list[LoadWarning]
    ) -> Snapshot:
        warn = warnings.append

        valid_keys: set[str] = set()
        valid_values: set[str] = set()

        def check_labels(labels: Mapping[str, str], where: str, obj: dict[str, Any], field: str = "") -> None:
            # Labels are nearly always valid strings, and repeat: check each distinct one once,
            # and leave anything else (messages, non-strings) to label_problems().
            for k, v in labels.items():
                if type(k) is not str or type(v) is not str:
                    break
                if k not in valid_keys:
                    if not valid_label_key(k):
                        break
                    valid_keys.add(k)
                if v not in valid_values:
                    if not valid_label_value(v):
                        break
                    valid_values.add(v)
            else:
                return
            ref = _ref(obj)
            at = f"{field}: " if field else ""
            for problem in label_problems(labels):
                warn(LoadWarning("invalid-label",
                                 f"{at}{problem}: the API server would reject it (tampered input?); kept as "
                                 "text", where, ref))

        def guarded(fn: Any, obj: dict[str, Any], where: str, *args: Any) -> Any:
            try:
                return fn(obj, *args)
            except K8svizError:
                raise
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
                raise _malformed(e, obj, where) from None

        namespaces: dict[str, Namespace] = {}
        for obj, where in by_plural.get("namespaces", ()):
            ns = guarded(parse_namespace, obj, where)
            check_labels((obj.get("metadata") or {}).get("labels") or {}, where, obj)
            namespaces[ns.name] = ns
        nodes = tuple(guarded(parse_node, o, w) for o, w in by_plural.get("nodes", ()))

        # Workload controllers and who owns them.
        owners: dict[tuple[str, str, str], tuple[str, str] | None] = {}
        workload_objs: dict[tuple[str, str, str], tuple[dict[str, Any], str]] = {}
        for plural, kind in _WORKLOAD_KINDS.items():
            for obj, where in by_plural.get(plural, ()):
                meta = obj["metadata"]
                k = (kind, meta.get("namespace") or "default", meta["name"])
                owners[k] = _controller(meta)
                workload_objs[k] = (obj, where)

        # Top controllers already resolved without looking at pod labels, by the pod's owner.
        resolved: dict[tuple[str, str, str], tuple[str, str]] = {}

        def top(kind: str, ns: str, name: str, pod_labels: Mapping[str, str]) -> tuple[str, str]:
            start = (kind, ns, name)
            if start in resolved:
                return resolved[start]
            for _ in range(4):  # controller chains are short: Pod -> RS -> Deployment
                k = (kind, ns, name)
                if k in owners:
                    up = owners[k]
                    if up is None or up[0] not in ("Deployment", "CronJob", "ReplicaSet", "Job"):
                        break
                    kind, name = up
                    continue
                if kind == "ReplicaSet":
                    h = pod_labels.get("pod-template-hash")
                    if h and name.endswith(f"-{h}"):
                        # The ReplicaSet was not dumped; its name is <deployment>-<pod-template-hash>.
                        return "Deployment", name[: -len(h) - 1]
                    return kind, name
                break
            resolved[start] = (kind, name)
            return kind, name

        pods: list[Pod] = []
        containers_cache: ContainerCache = {}
        port_clashes: dict[int, str] = {}  # pods of one template share their containers tuple
        pods_per_workload: Counter[tuple[str, str, str]] = Counter()
        inferred: dict[tuple[str, str, str], dict[str, str]] = {}
        for obj, where in by_plural.get("pods", ()):
            meta = obj["metadata"]
            ns = meta.get("namespace") or "default"
            labels = meta.get("labels") or {}
            ctl = _controller(meta)
            if ctl is None:
                wkind, wname = "Pod", meta["name"]
            else:
                wkind, wname = top(ctl[0], ns, ctl[1], labels)
            try:
                pod = parse_pod(obj, wkind, wname, where, containers_cache)
            except K8svizError:
                raise
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
                raise _malformed(e, obj, where) from None
            check_labels(labels, where, obj)
            clash = port_clashes.get(id(pod.containers))
            if clash is None:
                clash = port_clashes[id(pod.containers)] = _named_port_clashes(pod)
            if clash:
                warn(LoadWarning(
                    "named-port-conflict",
                    f"two containers give one port name different numbers ({clash}): a policy naming it "
                    "is judged to match any of them, as kube-network-policies and Calico match it, or "
                    "the last container's alone where cilium-agent pods run (Cilium keeps the last)",
                    source=where, obj=f"Pod/{pod.key}",
                ))
            pods.append(pod)
            wkey = (wkind, ns, wname)
            pods_per_workload[wkey] += 1
            if wkey not in workload_objs and wkey not in inferred:
                inferred[wkey] = {k: v for k, v in pod.labels.items() if k != "pod-template-hash"}

        # Controllers whose pods belong to a child (a Deployment whose ReplicaSet owns the pods).
        has_pods_below = {
            (up[0], k[1], up[1]) for k, up in owners.items() if up is not None and pods_per_workload[k]
        }
        workloads: list[Workload] = []
        for (kind, ns, name), (obj, where) in sorted(workload_objs.items()):
            up = owners[(kind, ns, name)]
            if up is not None and (up[0], ns, up[1]) in workload_objs and up[0] in ("Deployment", "CronJob"):
                continue  # a ReplicaSet/Job that belongs to a listed Deployment/CronJob
            try:
                tmpl = _pod_template(obj)
                tmeta = tmpl.get("metadata") or {}
                meta = obj["metadata"]
                spec = obj.get("spec") or {}
                wl = Workload(
                    kind,
                    ns,
                    name,
                    _str_map(meta.get("labels") or {}),
                    _str_map(tmeta.get("labels") or {}),
                    spec.get("replicas") if isinstance(spec.get("replicas"), int) else None,
                    meta.get("uid") or "",
                )
                check_labels(meta.get("labels") or {}, where, obj, "metadata.labels")
                template_at = "spec.jobTemplate.spec.template" if kind == "CronJob" else "spec.template"
                check_labels(tmeta.get("labels") or {}, where, obj, f"{template_at}.metadata.labels")
                if not pods_per_workload[(kind, ns, name)] and (kind, ns, name) not in has_pods_below:
                    pods.append(_synthesize(wl, tmpl, where))
            except K8svizError:
                raise
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
                raise _malformed(e, obj, where) from None
            workloads.append(wl)
        for (kind, ns, name), labels in sorted(inferred.items()):
            workloads.append(Workload(kind, ns, name, {}, labels))

        services = tuple(guarded(parse_service, o, w) for o, w in by_plural.get("services", ()))
        slices = []
        for obj, where in by_plural.get("endpointslices", ()):
            es = guarded(parse_endpoint_slice, obj, where)
            if es is None:
                warn(LoadWarning("endpointslice-fqdn", "an EndpointSlice of FQDNs has no address a policy "
                                 "can match; not used", where, _ref(obj)))
            else:
                slices.append(es)
        accounts = []
        for obj, where in by_plural.get("serviceaccounts", ()):
            accounts.append(guarded(parse_service_account, obj, where))
            check_labels((obj.get("metadata") or {}).get("labels") or {}, where, obj)
        ingresses = tuple(guarded(parse_ingress, o, w) for o, w in by_plural.get("ingresses", ()))
        policies = tuple(
            guarded(parse_network_policy, o, w, w, warn) for o, w in by_plural.get("networkpolicies", ())
        )
        # Labels and annotations of every policy, by how verdicts name it: owners, tickets and
        # justifications live there (PCI DSS 1.2.1 evidence), and no model keeps them.
        policy_meta: dict[str, dict[str, dict[str, str]]] = {}
        policy_specs: dict[str, dict[str, Any]] = {}

        def keep_meta(ref: str, obj: dict[str, Any]) -> None:
            m = obj.get("metadata") or {}
            policy_meta[ref] = {"labels": _str_map(m.get("labels") or {}),
                                "annotations": _str_map(m.get("annotations") or {})}
            policy_specs[ref] = {k: v for k, v in obj.items() if k not in _NOT_POLICY_CONTENT}

        for pol, (obj, _) in zip(policies, by_plural.get("networkpolicies", ()), strict=True):
            keep_meta(f"NetworkPolicy/{pol.key}", obj)
        raw_policies = []
        admin: list[AdminPolicy] = []
        calico: list[CalicoPolicy] = []
        tiers: list[CalicoTier] = []
        sets: list[NetworkSet] = []
        cilium: list[CiliumPolicy] = []
        for plural, items in sorted(by_plural.items()):
            if plural in _RAW_PLURALS:
                for obj, w in items:
                    if str(obj.get("apiVersion")) in _ADMIN_VERSIONS.get(plural, ()):
                        admin.append(guarded(parse_admin_policy, obj, w, w, warn))
                        keep_meta(f"{admin[-1].kind}/{admin[-1].name}", obj)
                        continue
                    if plural in _DIALECT_PARSERS and (
                        not plural.startswith("cilium") or obj.get("apiVersion") == "cilium.io/v2"
                    ):
                        parse, into = _DIALECT_PARSERS[plural]
                        targets: dict[str, list[Any]] = {"policies": calico, "tiers": tiers, "sets": sets,
                                                         "cilium": cilium}
                        target = targets[into]
                        target.append(guarded(parse, obj, w, w, warn))
                        if into in ("policies", "cilium"):
                            keep_meta(target[-1].ref, obj)
                        else:  # Tiers and network sets change what policies mean
                            m = obj["metadata"]
                            if into == "sets":  # selected by their labels, as pods are
                                check_labels(m.get("labels") or {}, w, obj)
                            keep_meta("/".join([obj["kind"],
                                                *([m["namespace"]] if m.get("namespace") else []),
                                                m["name"]]), obj)
                        continue
                    m = obj["metadata"]
                    # A copy: the sanitiser may have handed back the caller's own object.
                    raw_policies.append(
                        RawPolicy(obj["kind"], obj["apiVersion"], m.get("namespace"), m["name"], dict(obj))
                    )
                    keep_meta(raw_policies[-1].ref, obj)

        for ns_name in sorted(
            {p.namespace for p in pods}
            | {s.namespace for s in services}
            | {p.namespace for p in policies}
            | {w.namespace for w in workloads}
        ):
            if ns_name not in namespaces:
                namespaces[ns_name] = Namespace(ns_name, {NAMESPACE_NAME_LABEL: ns_name},
                                                referenced_only=True)

        pods.sort(key=lambda p: (p.namespace, p.name))
        _check_address_conflicts(pods, warn)
        workloads.sort(key=lambda w: (w.namespace, w.name, w.kind))
        return cls(
            namespaces=tuple(namespaces[k] for k in sorted(namespaces)),
            nodes=tuple(sorted(nodes, key=lambda n: n.name)),
            pods=tuple(pods),
            workloads=tuple(workloads),
            services=services,
            ingresses=ingresses,
            network_policies=policies,
            other_policies=tuple(raw_policies),
            service_accounts=tuple(sorted(accounts, key=lambda a: (a.namespace, a.name))),
            endpoint_slices=tuple(sorted(slices, key=lambda e: (e.namespace, e.name))),
            admin_policies=tuple(sorted(admin, key=lambda a: (a.baseline, a.priority or 0, a.kind, a.name))),
            calico_policies=tuple(sorted(calico, key=lambda c: (c.kind, c.namespace or "", c.name))),
            calico_tiers=tuple(sorted(tiers, key=lambda t: t.name)),
            network_sets=tuple(sorted(sets, key=lambda s: (s.namespace or "", s.name))),
            cilium_policies=tuple(sorted(cilium, key=lambda c: (c.kind, c.namespace or "", c.name))),
            warnings=tuple(warnings),
            policy_metadata=policy_meta,
            policy_specs=policy_specs,
        )

    def _mark_calico_context(self) -> None:
        """Tell the Calico policies that select ServiceAccounts by label whether those labels
        are known: the accounts were read and every pod's is among them (a pod cannot run
        under an account that does not exist, so a missing one means a partial input); and
        those that name Services whether their EndpointSlices were read."""
        if any(p.sa_label_selectors for p in self.calico_policies):
            known = self.coverage.get("serviceaccounts") == "ok" and not self.pods_without_service_account
            self.calico_policies = tuple(
                replace(p, sa_labels_read=known) if p.sa_label_selectors else p for p in self.calico_policies
            )
        if any(p.ip_version_rules for p in self.calico_policies):
            # Each pod's family must be known and single: a pod without an address (pending, or
            # from a manifest) could get either, a dual-stack pair may connect over both.
            def families(p: Pod) -> set[bool]:
                addresses = [p.host_ip] if p.host_network and p.host_ip else list(p.ips)
                return {":" in a for a in addresses}

            single = all(len(families(p)) == 1 for p in self.pods if not p.terminated)
            self.calico_policies = tuple(
                replace(p, single_stack=single) if p.ip_version_rules else p for p in self.calico_policies
            )
        if any(p.service_refs for p in self.calico_policies):
            # A Service with no slice in a full read has no endpoints; outside a namespace
            # scope its slices were never listed.
            scope = self.namespace_scope
            read = self.coverage.get("endpointslices") == "ok"
            self.calico_policies = tuple(
                replace(p, services_read=read
                        and all(scope is None or ns in scope for _, ns, _ in p.service_refs))
                if p.service_refs else p
                for p in self.calico_policies
            )

    def _read_cilium_before_1_16(self) -> None:
        """Read the Cilium policies that give ``endPort``, ``fromNodes`` or ``toNodes`` as a
        cluster whose agents run a release before 1.16 stores them: without those fields (see
        :func:`k8sviz.cilium_objects.as_stored_before_1_16`), each such port its ``port`` alone,
        with a ``cilium-field-dropped`` warning per policy.  With a later or unknown
        release they stay as written."""
        release = self.cilium_release
        if release is None or release >= RELEASE_1_16:
            return
        self._reread_cilium(
            lambda p: p.fields_1_16, as_stored_before_1_16,
            f"the cilium-agent image shows Cilium {release[0]}.{release[1]}, whose policy types have no "
            "endPort, fromNodes or toNodes (they came in 1.16): its API server drops those fields, so its "
            "agents read each such port as its port alone and an entry without its nodes, and so does k8sviz")

    def _read_cilium_from_1_20(self) -> None:
        """Read the Cilium policies that give Kafka rules, ``l7proto`` or ``l7`` as a cluster
        whose agents run 1.20 or later serves them: without those fields (see
        :func:`k8sviz.cilium_objects.as_stored_from_1_20`), with a ``cilium-field-dropped``
        warning per policy.  With an earlier or unknown release they stay as written."""
        release = self.cilium_release
        if release is None or release < RELEASE_1_20:
            return
        self._reread_cilium(
            lambda p: p.fields_removed_1_20, as_stored_from_1_20,
            f"the cilium-agent image shows Cilium {release[0]}.{release[1]}, whose policy types have no "
            "Kafka rules, l7proto or l7 (removed in 1.20): its API server drops those fields (and refuses a "
            "policy newly written with them), so its agents read each such toPorts item without them, a port "
            "whose only L7 rules they were being allowed for every request, and so does k8sviz")

    def _reread_cilium(self, fields: Callable[[CiliumPolicy], tuple[str, ...]],
                       stored: Callable[[Mapping[str, Any]], dict[str, Any]], why: str) -> None:
        """Parse again, as ``stored`` returns them, the Cilium policies that give ``fields``,
        with a ``cilium-field-dropped`` warning per policy naming the first of them."""
        out, warnings = [], []
        for p in self.cilium_policies:
            spec = self.policy_specs.get(p.ref)
            paths = fields(p)
            if not paths or spec is None:
                out.append(p)
                continue
            meta = {"name": p.name, **({"namespace": p.namespace} if p.namespace else {})}
            obj = {"apiVersion": p.api_version, "kind": p.kind, "metadata": meta, **spec}
            out.append(parse_cilium_policy(stored(obj)))
            named = ", ".join(paths[:5]) + (" ..." if len(paths) > 5 else "")
            warnings.append(LoadWarning("cilium-field-dropped", f"{named}: {why}", obj=p.ref))
        self.cilium_policies = tuple(out)
        self.warnings = (*self.warnings, *warnings)

    def _mark_cilium_services(self) -> None:
        """Leave unevaluated the Cilium policies whose ``toServices`` a snapshot cannot resolve
        the same way for every Cilium release.

        Cilium turns a ``toServices`` reference into the addresses of the Service's endpoints
        when the Service has no selector (every release); a Service with a selector becomes its
        pods from 1.17 on and matches nothing before, so those are judged only when the agents'
        image shows the release (:attr:`cilium_release`).  The references are resolved when the
        Services and EndpointSlices were read in full; otherwise the policy is not judged.
        """
        if not any(p.service_refs for p in self.cilium_policies):
            return
        read = self.coverage.get("services") == "ok" and self.coverage.get("endpointslices") == "ok"
        scope = self.namespace_scope
        release = self.cilium_release
        draining_slices = {(es.namespace, es.service) for es in self.endpoint_slices if es.terminating}
        named_by: dict[tuple[Any, ...], list[Service]] = {}  # policies often name the same Services
        out = []
        for p in self.cilium_policies:
            found = list(p.service_refs)
            reasons: list[str] = []
            if found and not p.unsupported:
                if not read:
                    reasons.append("toServices: the Services or EndpointSlices were not read in full")
                elif scope is not None and any(r.namespace is None or r.namespace not in scope
                                               for r in found):
                    reasons.append("toServices names Services outside the namespace scope of the snapshot")
                else:
                    named = named_by.get(tuple(found))
                    if named is None:
                        named = named_by[tuple(found)] = services_named(found, self.services)
                    chosen = [svc.key for svc in named if svc.selector]
                    hidden = sorted({f"{svc.key} ({k})" for svc in named if svc.selector for k in svc.selector
                                     if not identity_label(k)})
                    if hidden and release is not None and release >= (1, 17):
                        reasons.append(
                            f"toServices selects Service(s) by labels Cilium leaves out of pod identities by "
                            f"default ({', '.join(hidden[:5])}): such a selector matches no pod unless the "
                            "agents are configured to keep them"
                        )
                    if chosen and release is None:
                        listed = ", ".join(chosen[:5]) + (f" and {len(chosen) - 5} more" if len(chosen) > 5
                                                          else "")
                        reasons.append(
                            f"toServices selects {len(chosen)} Service(s) with a selector ({listed}): Cilium "
                            "1.17 and later allow their pods, earlier releases nothing, and no cilium-agent "
                            "image in the snapshot shows the release"
                        )
                    draining = [svc.key for svc in named
                                if not svc.selector and (svc.namespace, svc.name) in draining_slices]
                    if draining:
                        reasons.append(
                            f"toServices selects Service(s) with endpoints that serve while terminating "
                            f"({', '.join(draining[:5])}): Cilium releases differ on whether they are allowed"
                        )
            out.append(replace(p, unsupported=p.unsupported + tuple(dict.fromkeys(reasons))) if reasons
                       else p)
        self.cilium_policies = tuple(out)

    def _mark_cilium_requires(self) -> None:
        """Leave unevaluated the Cilium policies giving ``fromRequires`` / ``toRequires`` where
        the snapshot cannot say how the agents read them.

        Up to Cilium 1.18 they are judged (``k8sviz.policy.cilium``).  From 1.19 the agents no
        longer support them and the CRDs refuse a policy giving them (:data:`RELEASE_1_19`);
        how an agent reads one stored before the upgrade is not settled here, and where no
        cilium-agent image shows the release neither reading can be chosen.  From 1.17, where
        ``toServices`` allows the pods of a Service with a selector, whether a ``toRequires``
        restricts those pods too is not settled here either: a policy whose ``toRequires``
        reaches a pod one of whose rules allows such a Service is not judged."""
        if not any(p.requires for p in self.cilium_policies):
            return
        release = self.cilium_release
        if release is None or release >= RELEASE_1_19:
            why = (f"the cilium-agent image shows Cilium {release[0]}.{release[1]}, which no longer "
                   "supports them (removed in 1.19, cilium#42615) and whose CRDs refuse a policy giving them "
                   "(cilium#43167): how its agents read one stored before the upgrade is not settled here"
                   if release is not None else
                   "Cilium up to 1.18 ANDs them into the endpoint selectors of every rule selecting the same "
                   "pods, 1.19 removed them (cilium#42615), and no cilium-agent image in the snapshot shows "
                   "the release")
            self.cilium_policies = tuple(
                replace(p, unsupported=(*p.unsupported, f"{', '.join(p.requires[:3])}: {why}"))
                if p.requires else p for p in self.cilium_policies)
            return
        if release < (1, 17):
            return
        selected = {svc.key for svc in self.services if svc.selector}
        ns_labels: dict[str, Mapping[str, str]] = {
            **{p.namespace: {"kubernetes.io/metadata.name": p.namespace} for p in self.pods},
            **{n.name: n.labels for n in self.namespaces}}
        views = [pod_view(p, ns_labels[p.namespace]) for p in self.pods if not p.host_network]
        # Pods some rule gives a toServices egress naming a Service with a selector.
        served = {i for p in self.cilium_policies if not p.unsupported for r in p.rules
                  if any(e.services and any(s.key in selected
                                            for s in services_named(e.services, self.services))
                         for e in r.egress)
                  for i, v in enumerate(views) if r.endpoint_selector.matches(v)}
        if not served:
            return
        out = []
        for p in self.cilium_policies:
            hit = [r for r in p.rules if any(e.requires for e in r.egress)
                   and any(r.endpoint_selector.matches(views[i]) for i in served)]
            out.append(replace(p, unsupported=(
                *p.unsupported,
                "toRequires reaches pods whose egress toServices names a Service with a selector: from "
                "Cilium 1.17 that allows the Service's pods, and whether toRequires restricts those pods "
                "too is not settled here")) if hit and not p.unsupported else p)
        self.cilium_policies = tuple(out)

    def _mark_cilium_apiserver(self) -> None:
        """Leave unevaluated the Cilium policies naming the ``kube-apiserver`` entity, or
        ``cluster`` (which covers it), when the snapshot cannot say which addresses carry it.

        Cilium's agent labels ``reserved:kube-apiserver`` the endpoint addresses of the
        ``default/kubernetes`` Service (registerAPIServerBackendWatcher,
        pkg/ipcache/cell/apiserver_watcher.go; addKubeAPIServerServiceEPSliceV1 and
        addKubeAPIServerServiceEPs in pkg/k8s/watchers before).  The API server recreates
        that Service's endpoints whenever they go (the same files say so), so a snapshot
        without its EndpointSlices is partial, not a cluster without an API server.  Endpoints
        that are not ready count in some releases and not in others (the 1.11-1.13 slice
        watcher took every address; ParseEndpointSliceV1 later skips them), and an address
        that is a pod's would mix the label into a pod identity in a way not read here.
        """
        using = [(p, p.apiserver_entities) for p in self.cilium_policies]
        if not any(names for _, names in using):
            return
        scope = self.namespace_scope
        read = self.coverage.get("endpointslices") == "ok" and (scope is None
                                                                or APISERVER_SERVICE[0] in scope)
        slices = [es for es in self.endpoint_slices if (es.namespace, es.service) == APISERVER_SERVICE]
        problem = ""
        if not read:
            problem = ("the EndpointSlices of default/kubernetes, from which Cilium takes the API server's "
                       "addresses, were not read")
        elif not slices:
            problem = ("the snapshot holds no EndpointSlice of default/kubernetes, from which Cilium takes "
                       "the API server's addresses")
        else:
            waiting = apiserver_not_ready({APISERVER_SERVICE: slices})
            pod_ips = {ipaddress.ip_address(ip): p.key for p in self.pods
                       if not p.host_network and not p.terminated for ip in p.ips}
            held = sorted({f"{a} ({pod_ips[ipaddress.ip_address(a)]})" for es in slices for a in es.addresses
                           if ipaddress.ip_address(a) in pod_ips})
            if waiting:
                problem = (f"the default/kubernetes EndpointSlices list endpoints that are not ready "
                           f"({', '.join(waiting[:5])}): Cilium releases differ on whether they carry the "
                           "kube-apiserver identity")
            elif held:
                problem = ("the default/kubernetes EndpointSlices list pod addresses "
                           f"({', '.join(held[:5])}): "
                           "how Cilium merges the kube-apiserver label into a pod's identity is not settled "
                           "here")
        if not problem:
            return
        out = []
        for p, names in using:
            if names:
                what = " and ".join(f"the {n} entity" + (" (which covers the kube-apiserver entity)"
                                                         if n == "cluster" else "") for n in names)
                p = replace(p, unsupported=(*p.unsupported, f"{what}: {problem}"))
            out.append(p)
        self.cilium_policies = tuple(out)

    @property
    def shows_dual_stack_pods(self) -> bool:
        """Whether a running pod on the pod network (not hostNetwork) has addresses of both IP
        families: its node's agent then runs both (the CNI gave it both), and the agents share
        their configuration, as a Helm install sets it for all of them."""
        return any(len({":" in ip for ip in p.ips}) == 2 for p in self.pods if not p.host_network
                   and not p.terminated)

    def _mark_cilium_world_families(self) -> None:
        """Leave unevaluated the Cilium policies naming ``reserved:world-ipv4`` or
        ``reserved:world-ipv6`` (as a lone endpoint-selector label; as entities the API server
        refuses them, and parsing does too, so only a policy built by hand names them so), or a
        lone ``reserved:world`` label, unless the snapshot shows the agents run both IP families.

        An outside address's identity carries ``reserved:world-ipv4`` or ``-ipv6`` only when the
        agent runs dual-stack, and ``reserved:world`` otherwise (``AddWorldLabel``,
        pkg/labels/cidr.go), so in a single-stack cluster selectors on those labels match nothing, and in
        a dual-stack one a lone ``reserved:world`` endpoint selector does (the ``world`` entity
        names all three labels, so it is judged either way).  The
        agents' IP families are their configuration, not in a snapshot; a pod holding addresses
        of both families shows them (:attr:`shows_dual_stack_pods`).  Pods of one family do not
        show the opposite: a pod may not have its addresses yet, and an agent may run both
        families with one of them unused.
        """
        if (not any(p.world_family_entities or p.world_labels for p in self.cilium_policies)
                or self.shows_dual_stack_pods):
            return
        # A lone reserved:world is the converse: every outside address where the agents run one
        # family, none where they run both; only the latter shows in a snapshot.
        self.cilium_policies = tuple(
            replace(p, unsupported=p.unsupported + tuple(
                f"the {n} entity: outside addresses carry reserved:{n} only where Cilium's agents run both "
                "IP families (reserved:world where they run one), which a snapshot does not show unless a "
                "pod has addresses of both" for n in p.world_family_entities) + tuple(
                f"a lone reserved:{n} endpoint selector: outside addresses carry it only where Cilium's "
                "agents "
                + ("run one IP family (reserved:world-ipv4 and reserved:world-ipv6 where they run both), "
                   "which a snapshot does not show" if n == "world" else
                   "run both IP families (reserved:world where they run one), which a snapshot does not show "
                   "unless a pod has addresses of both") for n in p.world_labels))
            if p.world_family_entities or p.world_labels else p
            for p in self.cilium_policies)

    def _mark_cilium_network_policies(self) -> None:
        """Where Cilium enforces the NetworkPolicies, leave unevaluated those whose pod
        selectors it matches in a way a snapshot cannot judge.

        Cilium translates a NetworkPolicy into its own rules, whose selectors match pod
        identities (:func:`k8sviz.cilium_objects.pod_view`): a ``podSelector`` (the policy's,
        or a peer's) on a label the agents leave out of identities by default matches no pod
        unless their ``--labels`` keep it, and one comparing ``io.cilium.k8s.policy.cluster``
        with a value tests the cluster's name, which a snapshot does not hold.  A
        ``namespaceSelector`` sees the namespace's labels as identities carry them: all but
        those the default filter drops (a key with ``beta.kubernetes.io`` in it), on which it
        is not judged either.
        """
        if not self.network_policies or not self.runs_cilium:
            return
        out = []
        for p in self.network_policies:
            reasons = identity_caveats(p.pod_selector, "podSelector")
            for direction, rules in (("ingress", p.ingress), ("egress", p.egress)):
                for i, rule in enumerate(rules):
                    for j, peer in enumerate(rule.peers or ()):
                        at = f"{direction}[{i}].{'from' if direction == 'ingress' else 'to'}[{j}]"
                        if peer.pod_selector is not None:
                            reasons += identity_caveats(peer.pod_selector, f"{at}.podSelector")
                        if peer.namespace_selector is not None:
                            reasons += namespace_selector_caveats(
                                peer.namespace_selector, f"{at}.namespaceSelector")
            out.append(replace(p, unsupported=tuple(dict.fromkeys(reasons))) if reasons else p)
        self.network_policies = tuple(out)

    def _mark_cilium_l7_clashes(self) -> None:
        """Leave unevaluated the Cilium policies whose L7 rules give a running pod two L7
        parsers on one port (:func:`k8sviz.cilium_objects.l7_parser_clashes`), with a
        ``cilium-l7-parser-clash`` warning naming both entries and the pods.

        The agent then fails to compute those pods' policy and they keep the one they last had,
        which the snapshot does not show.  The two policies are what the agent cannot merge;
        the other policies selecting those pods are named in the warning but stay evaluated:
        leaving them out would open every other pod they select, and they were most likely part
        of the policy the pods keep."""
        if not any(e.parsers for p in self.cilium_policies for r in p.rules for e in (*r.ingress, *r.egress)):
            return
        ns_labels: dict[str, Mapping[str, str]] = {
            **{p.namespace: {"kubernetes.io/metadata.name": p.namespace} for p in self.pods},
            **{n.name: n.labels for n in self.namespaces}}
        release = self.cilium_release
        clashes = l7_parser_clashes(self.cilium_policies, self.pods, ns_labels, release)
        if not clashes:
            return
        reasons: dict[str, list[str]] = {}
        warnings = []
        by_key = self._pod_index()
        for c in clashes:
            (ref1, at1, parser1), (ref2, at2, parser2) = c.first, c.second
            pods = ", ".join(c.pods[:5]) + (f" and {len(c.pods) - 5} more" if len(c.pods) > 5 else "")
            if c.one_peer:
                how = "for one peer"
            elif release is not None:
                how = "(up to Cilium 1.17 a port has one L7 parser whatever its peers)"
            else:
                how = ("(up to Cilium 1.17 a port has one L7 parser whatever its peers, from 1.18 each peer "
                       "selector its own, and no cilium-agent image in the snapshot shows the release)")
            text = (f"{ref1} {at1} and {ref2} {at2} give pods {pods} L7 parsers {as_written(parser1)} and "
                    f"{as_written(parser2)} "
                    f"on {c.protocol} {c.port} {how}: Cilium's agent cannot merge them (\"cannot merge "
                    "conflicting L7 parsers\") and fails to compute those pods' policy, so what they enforce "
                    "is not known")
            for ref in dict.fromkeys((ref1, ref2)):
                reasons.setdefault(ref, []).append(text)
            members = [by_key[k] for k in c.pods if k in by_key]
            others = sorted(
                {p.ref for p in self.cilium_policies if p.ref not in (ref1, ref2) and not p.rejected and any(
                    r.endpoint_selector.matches(pod_view(m, ns_labels[m.namespace]))
                    for r in p.rules for m in members)}
                | {p.ref for p in self.network_policies if any(
                    m.namespace == p.namespace
                    and knp_matches(p.pod_selector, m, ns_labels[m.namespace], p.namespace, True)
                    for m in members)})
            also = (f"; the other policies selecting them ({', '.join(others[:5])}"
                    f"{' ...' if len(others) > 5 else ''}) are evaluated as written") if others else ""
            warnings.append(LoadWarning("cilium-l7-parser-clash", text + also, obj=ref1))
        self.cilium_policies = tuple(
            replace(p, unsupported=p.unsupported + tuple(dict.fromkeys(reasons[p.ref])))
            if p.ref in reasons else p
            for p in self.cilium_policies)
        self.warnings = (*self.warnings, *warnings)

    @property
    def calico_signs(self) -> tuple[str, ...]:
        """What in the snapshot shows that Calico runs in the cluster (empty: nothing does):
        ``calico-node`` containers in pods that have not ended, Calico policies, tiers or
        network sets, or a Calico policy resource that was read (listed live: its API is
        served, though it may hold nothing).  Calico then enforces NetworkPolicies too, through
        its own selectors (see :func:`k8sviz.gaps`, ``calico-reserved-label``)."""
        signs = []
        nodes = sorted({p.key for p in self.pods if not p.terminated
                        and any(c.name == "calico-node" and not c.init for c in p.containers)})
        if nodes:
            signs.append(f"calico-node pods ({nodes[0]}{' ...' if len(nodes) > 1 else ''})")
        for what, objs in (("Calico policies", self.calico_policies), ("Calico tiers", self.calico_tiers),
                           ("Calico network sets", self.network_sets)):
            if objs:
                signs.append(what)
        read = sorted(k for k, v in self.coverage.items() if k.endswith(".projectcalico.org") and v == "ok")
        if read and not (self.calico_policies or self.calico_tiers or self.network_sets):
            signs.append(f"the Calico API served ({read[0]} read)")
        return tuple(signs)

    @property
    def runs_calico(self) -> bool:
        """Whether the snapshot shows Calico in the cluster (:attr:`calico_signs`)."""
        return bool(self.calico_signs)

    @property
    def pods_without_service_account(self) -> tuple[str, ...]:
        """Pods (other than hostNetwork ones) whose ServiceAccount is not in the snapshot."""
        have = {(a.namespace, a.name) for a in self.service_accounts}
        return tuple(p.key for p in self.pods if not p.host_network
                     and (p.namespace, p.service_account or "default") not in have)

    def service_account_labels(self) -> dict[tuple[str, str], dict[str, str]]:
        """``(namespace, name)`` -> the labels of each ServiceAccount in the snapshot."""
        cached = self.__dict__.get("_sa_idx")
        if cached is None or cached[0] is not self.service_accounts:  # rebuilt if the field is replaced
            cached = self.__dict__["_sa_idx"] = (
                self.service_accounts, {(a.namespace, a.name): a.labels for a in self.service_accounts})
        return cached[1]  # type: ignore[no-any-return]

    # ---------------------------------------------------------------------------- queries

    @property
    def sha256(self) -> str:
        """SHA-256 of the snapshot's content (what :meth:`save` records in the file)."""
        return hashlib.sha256(self._canonical()).hexdigest()

    def namespace(self, name: str) -> Namespace | None:
        """The namespace ``name``, or None (a name that is no str is a QueryError: a DataFrame
        raised pandas' "truth value is ambiguous")."""
        _require_key(name, "namespace must be a namespace name")
        return next((n for n in self.namespaces if n.name == name), None)

    def pod(self, key: str) -> Pod | None:
        """The pod ``namespace/name``, or None (a key that is no str is a QueryError)."""
        _require_key(key, "pod must be 'namespace/name'")
        return self._pod_index().get(key)

    def _pod_index(self) -> dict[str, Pod]:
        cached = self.__dict__.get("_pod_idx")
        if cached is None or cached[0] is not self.pods:  # rebuilt if the field is replaced
            cached = self.__dict__["_pod_idx"] = (self.pods, {p.key: p for p in self.pods})
        return cached[1]  # type: ignore[no-any-return]

    def pods_of(self, workload_key: str) -> tuple[Pod, ...]:
        """The pods of the workload ``namespace/name`` (none for an unknown one; a key that is
        no str is a QueryError)."""
        _require_key(workload_key, "pods_of: workload_key must be 'namespace/workload'")
        return tuple(p for p in self.pods if p.workload_key == workload_key)

    @property
    def is_empty(self) -> bool:
        """No Kubernetes object was read (an empty directory, a file of other things)."""
        return self._raw == b"[]"

    def counts(self) -> dict[str, int]:
        c = {
            "namespaces": len(self.namespaces),
            "nodes": len(self.nodes),
            "workloads": len(self.workloads),
            "pods": len(self.pods),
            "synthesized pods": sum(p.synthesized for p in self.pods),
            "hostNetwork pods": sum(p.host_network for p in self.pods),
            "terminated pods": sum(p.terminated for p in self.pods),
            "services": len(self.services),
            "ingresses": len(self.ingresses),
            "network policies": len(self.network_policies),
            "admin network policies": len(self.admin_policies),
        }
        for label, objs in (("service accounts", self.service_accounts),
                            ("endpoint slices", self.endpoint_slices),
                            ("calico policies", self.calico_policies), ("calico tiers", self.calico_tiers),
                            ("calico network sets", self.network_sets),
                            ("cilium policies", self.cilium_policies)):
            if objs:
                c[label] = len(objs)
        skipped = Counter(p.label_kind for p in self.calico_policies if p.unsupported)
        skipped.update(p.label_kind for p in self.cilium_policies if p.unsupported)
        skipped.update(p.label_kind for p in self.network_policies if p.unsupported)
        skipped.update(p.kind for p in self.other_policies)
        for kind, n in sorted(skipped.items()):
            c[f"{kind} (not evaluated)"] = n
        return c

    @property
    def namespace_scope(self) -> tuple[str, ...] | None:
        """The namespaces that namespaced resources were listed in (``snapshot_cluster(namespaces=...)``);
        None when they were listed cluster-wide. Elsewhere pods, services and policies are unknown."""
        scope = self.meta.get("namespace_scope")
        return None if scope is None else tuple(scope)

    @property
    def runs_cilium(self) -> bool:
        """Whether Cilium is the cluster's CNI, as far as the snapshot shows: ``cilium-agent``
        pods that have not ended, or Cilium policies (which only Cilium enforces).  It then
        enforces NetworkPolicies too: named ports resolve as its agent resolves them
        (:attr:`Pod.cilium_named_ports`) and ipBlocks match no node address nor hostNetwork
        pod (CIDR rules select only what is outside the cluster)."""
        return bool(self._cilium_releases()) or bool(self.cilium_policies)

    @property
    def cilium_release(self) -> tuple[int, int] | None:
        """``(major, minor)`` of the running Cilium agents, from the image tag of their
        ``cilium-agent`` containers; None when no agent pod is in the snapshot, a tag shows no
        version (or a pre-release), or the agents disagree (an upgrade under way)."""
        found = self._cilium_releases()
        return found.pop() if len(found) == 1 else None

    def _cilium_releases(self) -> set[tuple[int, int] | None]:
        # Asked by every Cilium pass of build() and again by the analyses: each pass over the
        # pods is kept until the field is replaced.  A fresh set each time (callers pop it).
        cached = self.__dict__.get("_cilium_rel")
        if cached is None or cached[0] is not self.pods:
            found: set[tuple[int, int] | None] = set()
            seen: set[int] = set()  # ids of containers tuples read: a template's pods share one
            for p in self.pods:
                if id(p.containers) in seen:
                    continue
                if p.terminated:
                    continue  # an agent that ended (a node shut down) runs nothing
                seen.add(id(p.containers))
                for c in p.containers:
                    if c.name == "cilium-agent" and not c.init:
                        m = _RELEASE.search(c.image.split("@", 1)[0].rsplit("/", 1)[-1])
                        pre = m is not None and m["suffix"] is not None and _PRE_RELEASE.match(m["suffix"])
                        found.add((int(m[1]), int(m[2])) if m and not pre else None)
            cached = self.__dict__["_cilium_rel"] = (self.pods, frozenset(found))
        return set(cached[1])

    @property
    def cilium_release_text(self) -> str | None:
        """The Cilium release that release-dependent rules are judged by, as ``info`` and the
        report show it; None without Cilium policies."""
        if not self.cilium_policies:
            return None
        release = self.cilium_release
        if release is not None:
            return f"{release[0]}.{release[1]} (from the cilium-agent image)"
        seen = sorted(f"{r[0]}.{r[1]}" for r in self._cilium_releases() if r is not None)
        if len(seen) > 1:
            return f"unknown (the cilium-agent images disagree: {', '.join(seen)})"
        return "unknown (no cilium-agent image shows it)"

    @property
    def unevaluated_policies(self) -> tuple[RawPolicy | CalicoPolicy | CiliumPolicy | NetworkPolicy, ...]:
        """Policies the cluster enforces that the engine does not evaluate (Cilium, Calico
        policies using what a snapshot cannot judge (their ``unsupported``), NetworkPolicies
        whose selectors Cilium matches in a way a snapshot cannot judge, ClusterNetworkPolicy
        versions it does not know): verdicts may differ from the cluster's."""
        raw = tuple(p for p in self.other_policies if p.kind not in INERT_RAW_KINDS)
        return (raw + tuple(p for p in self.network_policies if p.unsupported)
                + tuple(p for p in self.calico_policies if p.unsupported and not p.host_only)
                + tuple(p for p in self.cilium_policies if p.unsupported))

    @property
    def unread_policies(self) -> dict[str, str]:
        """Policy resources the engine evaluates that were not read: plural -> coverage state.

        The engine can only take such a resource as empty, which may be false. NetworkPolicy
        counts when forbidden (or in any state but ``ok`` and ``not-installed``), including
        ``not-in-input``: a ``kubectl get`` of none is a plain ``List`` with no items, which
        cannot be told from a dump that left them out. The admin and Calico kinds count only
        when read and refused: offline dumps routinely leave out kinds a cluster does not
        serve, so their ``not-in-input`` stays in ``coverage`` (shown as unknown) only.
        """
        out: dict[str, str] = {}
        for plural in EVALUATED_POLICY_PLURALS:
            state = self.coverage.get(plural)
            if state is None or state in ("ok", "not-installed"):
                continue
            if state != "not-in-input" or plural == "networkpolicies":
                out[plural] = state
        return out

    @property
    def namespaces_with_unknown_labels(self) -> tuple[str, ...]:
        """Namespaces whose labels were not read, when some policy selects namespaces by labels.

        A namespace known only from the objects in it (no Namespace object: not in the input,
        or its list was refused) carries just ``kubernetes.io/metadata.name``; a
        ``namespaceSelector`` on any other label is judged as if it had none of them.
        """
        unread = tuple(n.name for n in self.namespaces if n.referenced_only)
        if not unread:
            return ()
        keys: set[str] = set()

        def add(sel: LabelSelector | None) -> None:
            if sel is not None:
                keys.update(k for k, _ in sel.match_labels)
                keys.update(r.key for r in sel.match_expressions)

        for pol in self.network_policies:
            for rule in pol.ingress + pol.egress:
                for peer in rule.peers or ():
                    add(peer.namespace_selector)
        for ap in self.admin_policies:
            add(ap.subject[0])
            for arule in ap.ingress + ap.egress:
                for apeer in arule.peers:
                    add(apeer.namespaces)
                    add(apeer.pods[0] if apeer.pods else None)
        return unread if keys - {NAMESPACE_NAME_LABEL} else ()

    def summary(self) -> pd.DataFrame:
        """Counts per kind as a DataFrame (``kind``, ``count``)."""
        import pandas as pd

        return pd.DataFrame(list(self.counts().items()), columns=["kind", "count"])

    # ---------------------------------------------------------------------------- file

    def raw_objects(self) -> list[dict[str, Any]]:
        """The sanitised raw objects the snapshot was built from (what its file stores)."""
        return orjson.loads(self._raw_joined(b","))  # type: ignore[no-any-return]

    def _raw_joined(self, sep: bytes) -> bytes:
        """The raw objects' JSON array with ``sep`` between the objects."""
        return self._raw if self._raw_sep == sep else self._raw.replace(self._raw_sep, sep)

    def _header(self) -> dict[str, Any]:
        """Everything in the file but the objects (which are stored as canonical bytes)."""
        return {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "meta": self.meta,
            "coverage": self.coverage,
            "warnings": [
                {"code": w.code, "message": w.message, "source": w.source, "obj": w.obj}
                for w in self.warnings
            ],
            "objects": [],
        }

    def _canonical(self) -> bytes:
        # Equal to canonical_json() of the whole body: keys are sorted, so "objects" is the
        # only top-level key with that name, and the compact objects splice in as they are.
        head = canonical_json(self._header())
        at = head.index(b'"objects":[]') + len(b'"objects":')
        return b"".join((head[:at], self._raw_joined(b","), head[at + 2 :]))

    def to_json(self) -> bytes:
        header = self._header()
        header["sha256"] = hashlib.sha256(self._canonical()).hexdigest()
        pretty = _pretty_json(header)
        at = pretty.index(b'"objects": []') + len(b'"objects": ')
        if self._raw == b"[]":
            return pretty + b"\n"
        # One object per line.
        lines = memoryview(self._raw_joined(b",\n"))[1:-1]
        return b"".join((pretty[:at], b"[\n", lines, b"\n  ]", pretty[at + 2 :], b"\n"))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the snapshot file atomically (temporary file, then rename), creating missing
        directories (as ``k8sviz snapshot -o`` does, which names them).  A path that
        names no file to write (not a str or Path, empty, a directory, a name too long) is an
        InputError naming it; a write that fails otherwise (a full disk) raises its OSError."""
        from ._checks import require_paths

        require_paths((path,), "save")
        target = Path(path)
        try:
            atomic_write(target, self.to_json(), fsync=True)
        except OSError as e:
            if isinstance(e, IsADirectoryError | NotADirectoryError) or e.errno == errno.ENAMETOOLONG:
                raise InputError(f"save: cannot write the snapshot to {target}: {e.strerror or e}") from None
            raise
        return target

    # ---------------------------------------------------------------------------- display

    def __repr__(self) -> str:
        c = self.counts()
        return (
            f"<Snapshot {self.meta.get('cluster', '?')!r}: {c['namespaces']} namespaces, "
            f"{c['pods']} pods, {c['network policies']} network policies, "
            f"{len(self.warnings)} warnings>"
        )

    def _repr_html_(self) -> str:
        e = html.escape
        rows = "".join(f"<tr><td>{e(k)}</td><td>{v}</td></tr>" for k, v in self.counts().items())
        cov = "".join(
            f"<tr><td>{e(p)}</td><td "
            f"style='color:{'#c00' if s in ('forbidden', 'not-installed') else 'inherit'}'>{e(s)}</td></tr>"
            for p, s in self.coverage.items()
            if s != "not-in-input"
        )
        warns = "".join(f"<li>{e(clip(str(w)))}</li>" for w in self.warnings[:20])
        more = f"<li>... {len(self.warnings) - 20} more</li>" if len(self.warnings) > 20 else ""
        return (
            "<div class='k8sviz-snapshot'><b>Snapshot</b> of cluster "
            f"<code>{e(str(self.meta.get('cluster')))}</code>, "
            f"collected {e(str(self.meta.get('collected_at')))} ({e(str(self.meta.get('source')))}), "
            f"sha256 <code>{self.sha256[:12]}</code>"
            f"<table><tr><th>kind</th><th>count</th></tr>{rows}</table>"
            f"<details><summary>coverage</summary><table>{cov}</table></details>"
            f"<details><summary>{len(self.warnings)} warnings</summary><ul>{warns}{more}</ul></details></div>"
        )


# Cluster-scoped policies the engine evaluates (admin and baseline tiers), by plural.
_ADMIN_VERSIONS = {
    "adminnetworkpolicies": ("policy.networking.k8s.io/v1alpha1",),
    "baselineadminnetworkpolicies": ("policy.networking.k8s.io/v1alpha1",),
    "clusternetworkpolicies": ("policy.networking.k8s.io/v1alpha2", "policy.networking.k8s.io/v1beta1"),
}
_RAW_PLURALS = frozenset(RAW_POLICY_KINDS.values()) | {
    p.replace(".crd.projectcalico.org", ".projectcalico.org") for p in RAW_POLICY_KINDS.values()
}
# Calico and Cilium kinds the engine evaluates (or that their policies refer to), by plural.
_DIALECT_PARSERS: dict[str, tuple[Callable[..., Any], str]] = {
    "networkpolicies.projectcalico.org": (parse_calico_policy, "policies"),
    "globalnetworkpolicies.projectcalico.org": (parse_calico_policy, "policies"),
    "tiers.projectcalico.org": (parse_tier, "tiers"),
    "networksets.projectcalico.org": (parse_network_set, "sets"),
    "globalnetworksets.projectcalico.org": (parse_network_set, "sets"),
    "ciliumnetworkpolicies": (parse_cilium_policy, "cilium"),
    "ciliumclusterwidenetworkpolicies": (parse_cilium_policy, "cilium"),
}
_SYNTH_SUFFIX = re.compile(r"[^a-z0-9-]")


def _check_address_conflicts(pods: Iterable[Pod], warn: Callable[[LoadWarning], None]) -> None:
    """Two live pods listing one address: the dump mixes moments (or was edited)."""
    first: dict[str, Pod] = {}
    clashes: dict[str, list[str]] = {}
    # In the order live_pod_by_ip maps addresses, so the pod named first is the one it picks.
    for p in sorted(pods, key=address_rank):
        if p.host_network or p.synthesized or p.terminated:
            continue
        for ip in p.ips:
            held = first.setdefault(ip, p)
            if held is not p:
                clashes.setdefault(ip, [held.key]).append(p.key)
    for ip, keys in sorted(clashes.items()):
        shown = ", ".join(keys[:5]) + (" ..." if len(keys) > 5 else "")
        warn(
            LoadWarning(
                "pod-ip-conflict",
                f"{len(keys)} pods that are not terminated list the address {ip} ({shown}); flows and "
                f"address queries map it to {keys[0]}. A dump merged from different moments?",
                obj=f"Pod/{keys[0]}",
            )
        )


def _synthesize(wl: Workload, template: Mapping[str, Any], where: str) -> Pod:
    spec = template.get("spec") or {}
    containers, host_network, sa = pod_spec_parts(spec, f"{wl.kind}/{wl.namespace}/{wl.name}", where)
    return Pod(
        namespace=wl.namespace,
        name=f"{wl.name}-synthesized",
        labels=dict(wl.template_labels),
        workload_kind=wl.kind,
        workload=wl.name,
        host_network=host_network,
        containers=containers,
        service_account=sa,
        synthesized=True,
    )


def _require_key(value: Any, says: str) -> None:
    """A QueryError ``says``, naming ``value``, unless it is a str (the key of a lookup)."""
    if not isinstance(value, str):
        from .errors import QueryError

        raise QueryError(f"{says}, got {as_given(value)}")


def load(
    *paths: str | os.PathLike[str],
    cluster: str | None = None,
    collected_at: str | datetime | None = None,
) -> Snapshot:
    """Load a snapshot from kubectl dumps, manifests, directories or k8sviz snapshot files.

    Parameters
    ----------
    *paths
        Files or directories (searched recursively for ``.yaml``, ``.yml``, ``.json``, and
        their ``.gz`` forms).  Several paths are merged into one snapshot.
    cluster
        A name for the cluster (default: from a snapshot file, else ``"unnamed"``).
    collected_at
        When the objects were collected (RFC 3339 text, kept as given, or a ``datetime``,
        written in UTC; anything else is an InputError).  Default: from a snapshot file, else
        the newest ``creationTimestamp`` in the input, so that the same input always gives the
        same snapshot (one that is no RFC 3339 time, or later than now, is left out with a
        ``bad-timestamp`` warning).

    Raises
    ------
    InputError
        A file cannot be read or parsed, or an object is invalid; the message names both.  A
        path, ``cluster`` or ``collected_at`` of the wrong kind is one too, naming the argument.
    """
    if not paths:
        msg = "k8sviz.load needs at least one file or directory"
        raise InputError(msg)
    from ._checks import require_paths

    require_paths(paths, "load")
    collected_at = _given_collected_at(collected_at)
    if cluster is not None and not isinstance(cluster, str):
        # an int was stored, and the file saved from it refused ("meta.cluster must be a string")
        raise InputError(f"load: cluster must be a str, got {as_given(cluster)}")
    with paused():
        # The builder holds every raw object: it must be gone before the GC resumes, or the
        # first collection walks the whole parsed input.
        return _load(SnapshotBuilder(), paths, cluster, collected_at)


def _given_collected_at(value: Any) -> str | None:
    """``load``'s ``collected_at`` as the snapshot stores it: an RFC 3339 text as given, a
    ``datetime`` in UTC (a naive one read as local time, as ``report(generated_at=)`` reads
    it).  Anything else is an InputError: ``"garbage"`` was stored and dated the audit as
    today, and a datetime was stored as an object the snapshot file could not hold."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if _rfc3339(value) is None:
        raise InputError(f"load: collected_at must be an RFC 3339 time such as 2024-05-01T10:00:00Z, "
                         f"got {as_given(value)}")
    return str(value)


def _load(
    builder: SnapshotBuilder,
    paths: tuple[str | os.PathLike[str], ...],
    cluster: str | None,
    collected_at: str | None,
) -> Snapshot:
    from .sources.manifests import read_path

    read: set[str] = set()
    for path in paths:
        for inp, docs in read_path(path, builder.warn, skip=read):
            if not (len(docs) == 1 and isinstance(docs[0], dict) and docs[0].get("schema") == SCHEMA):
                # A snapshot file brings its own list of inputs.
                builder.inputs.append({"path": inp.path, "sha256": inp.sha256})
            builder.add_documents(docs, inp.path)
    return builder.build(cluster=cluster, collected_at=collected_at)
