"""Synthetic Kubernetes clusters of any size, for scale tests and benchmarks.

``generate_cluster`` returns raw API objects (plain dicts, shaped like the items of
``kubectl get ... -o json``): Namespaces, Deployments, ReplicaSets, Pods, Services
and NetworkPolicies. The same seed always gives the same objects. ``write_cluster``
stores them as one ``v1 List`` file in JSON or YAML.

The module uses only the standard library (it even has its own small YAML
writer), so it can be imported on its own::

    from k8sviz.synth import generate_cluster, write_cluster
    objs = generate_cluster(pods=50_000, policies=5_000, seed=1)
    write_cluster("out.json", objs)

Command line::

    python -m k8sviz.synth --pods 50000 --policies 5000 --seed 1 -o out.json
    python -m k8sviz.synth --pods 200 --policies 20 -o - | k8sviz info /dev/stdin   # -: stdout, JSON

The shape of the data:

* namespaces default to ``round(pods / 50)``. Each has ``kubernetes.io/metadata.name``,
  ``team`` and ``env`` labels; some also carry ``compliance: pci`` or
  ``istio-injection: enabled``.
* each app is a Deployment, its current ReplicaSet (sometimes also a scaled-down
  old one) and 1-8 pods (about 3 on average). Replicas share all labels (``app``,
  ``tier`` web/api/db/cache, ``team``, ``env``, ``version``, ``pod-template-hash``,
  sometimes ``track: canary``), so the number of distinct pod label sets is
  about a third of the number of pods.
* container ports are named (``http``, ``grpc``, ``metrics``, ``postgres``, ...),
  with the occasional UDP or SCTP port.
* the first policy of a namespace is usually a default deny. The rest are
  ingress and egress allows that mix ``matchLabels`` with ``matchExpressions``
  (In, NotIn, Exists, DoesNotExist); podSelector-only, namespaceSelector-only,
  combined (AND) and ipBlock-with-except peers; and numeric, named and
  ``endPort`` range ports, including some UDP and SCTP.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import io
import json
import math
import os
import random
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

__all__ = ["generate_cluster", "main", "write_cluster"]

HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
NS_NAME_LABEL = "kubernetes.io/metadata.name"
_BASE_TIME = _dt.datetime(2024, 1, 8, 7, 30, 0)   # naive UTC; rendered with a "Z" suffix
_UUID_CLEAR = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)
_UUID_SET = (0x8000 << 48) | (4 << 76)

TEAMS = ["payments", "web", "search", "platform", "data", "identity", "growth",
         "checkout", "catalog", "sre", "mobile", "risk", "ledger", "media"]
ENVS = ["prod", "prod", "prod", "staging", "staging", "dev"]
WORDS = ["orders", "billing", "users", "auth", "cart", "search", "catalog", "inventory",
         "pricing", "reviews", "notify", "shipping", "ledger", "reports", "profile",
         "session", "media", "feeds", "ranking", "fraud", "tax", "coupons", "wallet",
         "geo", "audit", "events", "gateway", "quotes", "ads", "loyalty"]
TIERS = ["web", "api", "api", "db", "cache"]
TIER_ROLE = {"web": ["web", "ui", "frontend"], "api": ["api", "svc", "worker", "grpc"],
             "db": ["db", "postgres", "mysql", "mongo"], "cache": ["cache", "redis", "memcached"]}
# (port name, number, protocol) choices per tier; the first entry is the main port.
TIER_PORTS = {
    "web": [[("http", 8080, "TCP")], [("http", 8080, "TCP"), ("metrics", 9090, "TCP")],
            [("http", 3000, "TCP"), ("metrics", 9102, "TCP")]],
    "api": [[("grpc", 50051, "TCP"), ("metrics", 9090, "TCP")], [("http", 8080, "TCP")],
            [("http", 8000, "TCP"), ("metrics", 9100, "TCP")],
            [("grpc", 9000, "TCP"), ("statsd", 8125, "UDP")],
            [("diameter", 3868, "SCTP"), ("metrics", 9090, "TCP")]],
    "db": [[("postgres", 5432, "TCP"), ("metrics", 9187, "TCP")], [("mysql", 3306, "TCP")],
           [("mongodb", 27017, "TCP")]],
    "cache": [[("redis", 6379, "TCP"), ("metrics", 9121, "TCP")], [("memcached", 11211, "TCP")],
              [("memcached", 11211, "TCP"), ("memcached-udp", 11211, "UDP")]],
}
IMAGES = {"web": "registry.example.com/{team}/{app}:{ver}", "api": "registry.example.com/{team}/{app}:{ver}",
          "db": "docker.io/library/postgres:16.2", "cache": "docker.io/library/redis:7.2-alpine"}
REPLICAS = [1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 6, 8]   # mean 3.5 -> about pods/3 label sets
EXTERNAL_CIDRS = ["0.0.0.0/0", "203.0.113.0/24", "198.51.100.0/24", "52.94.0.0/16", "35.190.0.0/17"]
PRIVATE_EXCEPT = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.169.254/32"]
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


class _Synth:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.rv = 10_000
        self.tick = 0
        self.op_turn = 0

    # -- identity helpers -------------------------------------------------
    def uid(self) -> str:
        # same result as str(uuid.UUID(int=..., version=4)), without the object overhead
        n = (self.rng.getrandbits(128) & _UUID_CLEAR) | _UUID_SET
        h = f"{n:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def ts(self) -> str:
        self.tick += 1 + int(self.rng.random() * 40)
        return (_BASE_TIME + _dt.timedelta(seconds=self.tick)).isoformat() + "Z"

    def meta(self, name: str, namespace: str | None, labels: dict, **extra) -> dict:
        self.rv += 1
        m: dict[str, Any] = {"name": name}
        if namespace is not None:
            m["namespace"] = namespace
        m["uid"] = self.uid()
        m["resourceVersion"] = str(self.rv)
        m["creationTimestamp"] = self.ts()
        if labels:
            m["labels"] = labels
        m.update(extra)
        return m

    def khash(self, n: int) -> str:
        x = self.rng.getrandbits(5 * n)   # 27 symbols, drawn from 5-bit chunks (slight bias is fine)
        out = []
        for _ in range(n):
            out.append(HASH_ALPHABET[(x & 31) % 27])
            x >>= 5
        return "".join(out)

    def next_op(self) -> str:
        op = OPERATORS[self.op_turn % 4]
        self.op_turn += 1
        return op


def _owner(obj: dict) -> list[dict]:
    return [{"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"],
             "uid": obj["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """Split ``total`` into ``parts`` non-negative integers with some skew."""
    if parts <= 0:
        return []
    weights = [0.5 + rng.random() for _ in range(parts)]
    s = sum(weights)
    out = [int(total * w / s) for w in weights]
    rest = total - sum(out)
    for i in range(rest):
        out[i % parts] += 1
    return out


# ---------------------------------------------------------------------------
# namespaces and workloads
# ---------------------------------------------------------------------------
def _namespaces(s: _Synth, count: int) -> list[dict]:
    out, used = [], set()
    for _ in range(count):
        team = s.rng.choice(TEAMS)
        env = s.rng.choice(ENVS)
        base = f"{team}-{s.rng.choice(WORDS)}-{env}"
        name = base
        k = 2
        while name in used:
            name = f"{base}-{k}"
            k += 1
        used.add(name)
        labels = {NS_NAME_LABEL: name, "team": team, "env": env}
        r = s.rng.random()
        if team in ("payments", "ledger", "risk") and r < 0.5:
            labels["compliance"] = "pci"
        elif r < 0.2:
            labels["istio-injection"] = "enabled"
        out.append({"apiVersion": "v1", "kind": "Namespace",
                    "metadata": s.meta(name, None, labels),
                    "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    return out


class _App:
    __slots__ = ("env", "name", "ns", "ports", "replicas", "team", "tier", "track", "version")
    ns: str
    name: str
    tier: str
    team: str
    env: str
    version: str
    track: str | None
    ports: list[tuple[str, int, str]]
    replicas: int


def _apps_for(s: _Synth, ns: dict, quota: int) -> list[_App]:
    apps: list[_App] = []
    used: set[str] = set()
    nl = ns["metadata"]["labels"]
    while quota > 0:
        a = _App()
        a.ns = ns["metadata"]["name"]
        a.tier = s.rng.choice(TIERS)
        base = f"{s.rng.choice(WORDS)}-{s.rng.choice(TIER_ROLE[a.tier])}"
        name, k = base, 2
        while name in used:
            name = f"{base}-{k}"
            k += 1
        used.add(name)
        a.name = name
        a.team = nl["team"]
        a.env = nl["env"]
        a.version = f"v{s.rng.randint(1, 3)}.{s.rng.randint(0, 12)}.{s.rng.randint(0, 9)}"
        a.track = "canary" if s.rng.random() < 0.1 else None
        a.ports = s.rng.choice(TIER_PORTS[a.tier])
        a.replicas = min(quota, s.rng.choice(REPLICAS))
        quota -= a.replicas
        apps.append(a)
    return apps


def _app_labels(a: _App) -> dict:
    labels = {"app": a.name, "tier": a.tier, "team": a.team, "env": a.env, "version": a.version}
    if a.track:
        labels["track"] = a.track
    return labels


def _container(a: _App) -> dict:
    image = IMAGES[a.tier].format(team=a.team, app=a.name, ver=a.version)
    return {"name": a.name if a.tier in ("web", "api") else a.tier, "image": image,
            "ports": [{"name": n, "containerPort": p, "protocol": proto} for n, p, proto in a.ports],
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
            "imagePullPolicy": "IfNotPresent"}


class _Net:
    """Node names and pod IPs: one /24 per node out of 10.244.0.0/14."""

    def __init__(self, pods: int, rng: random.Random):
        self.n_nodes = max(3, -(-pods // 100))
        self.nodes = [f"node-{i:04d}-{''.join(rng.choices(HASH_ALPHABET, k=5))}" for i in range(self.n_nodes)]
        self.next_host = [2] * self.n_nodes
        self.cursor = rng.randrange(self.n_nodes)
        self.step = next(k for k in (7, 11, 13, 17, 19, 23, 1) if math.gcd(k, self.n_nodes) == 1)

    def place(self) -> tuple[str, str, str]:
        for _ in range(self.n_nodes):   # walk the nodes with a stride coprime to their number
            i = self.cursor
            self.cursor = (self.cursor + self.step) % self.n_nodes
            if self.next_host[i] < 255:
                break
        host = self.next_host[i]
        self.next_host[i] += 1
        pod_ip = f"10.{244 + i // 256}.{i % 256}.{host}"
        node_ip = f"10.128.{i // 250}.{i % 250 + 2}"
        return self.nodes[i], node_ip, pod_ip


def _workload_objects(s: _Synth, a: _App, net: _Net, out: list[dict]) -> None:
    labels = _app_labels(a)
    selector = {"app": a.name, "tier": a.tier}
    revision = 2 if s.rng.random() < 0.15 else 1
    dep = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": s.meta(a.name, a.ns, dict(labels), generation=revision,
                              annotations={"deployment.kubernetes.io/revision": str(revision)}),
           "spec": {"replicas": a.replicas, "selector": {"matchLabels": dict(selector)},
                    "template": {"metadata": {"labels": dict(labels)},
                                 "spec": {"containers": [_container(a)],
                                          "serviceAccountName": a.name}}},
           "status": {"replicas": a.replicas, "readyReplicas": a.replicas,
                      "availableReplicas": a.replicas}}
    out.append(dep)
    rs_list = []
    if revision == 2:
        old_hash = s.khash(s.rng.randint(8, 10))
        rs_list.append((old_hash, 0, "1"))
    pth = s.khash(s.rng.randint(8, 10))
    rs_list.append((pth, a.replicas, str(revision)))
    current: dict[str, Any] | None = None
    for h, n, rev in rs_list:
        rs_labels = {**labels, "pod-template-hash": h}
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
              "metadata": s.meta(f"{a.name}-{h}", a.ns, rs_labels, ownerReferences=_owner(dep),
                                 annotations={"deployment.kubernetes.io/revision": rev}),
              "spec": {"replicas": n, "selector": {"matchLabels": {**selector, "pod-template-hash": h}},
                       "template": {"metadata": {"labels": dict(rs_labels)},
                                    "spec": {"containers": [_container(a)],
                                             "serviceAccountName": a.name}}},
              "status": {"replicas": n, "readyReplicas": n} if n else {"replicas": 0}}
        out.append(rs)
        current = rs
    assert current is not None
    pod_labels = current["metadata"]["labels"]
    owner = _owner(current)
    rs_name = current["metadata"]["name"]
    seen: set[str] = set()
    for _ in range(a.replicas):
        suffix = s.khash(5)
        while suffix in seen:
            suffix = s.khash(5)
        seen.add(suffix)
        node, node_ip, pod_ip = net.place()
        out.append({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": s.meta(f"{rs_name}-{suffix}", a.ns, dict(pod_labels),
                               generateName=rs_name + "-", ownerReferences=[dict(owner[0])]),
            "spec": {"containers": [_container(a)], "nodeName": node,
                     "serviceAccountName": a.name, "restartPolicy": "Always"},
            "status": {"phase": "Running", "hostIP": node_ip, "podIP": pod_ip,
                       "podIPs": [{"ip": pod_ip}]},
        })


def _service(s: _Synth, a: _App, used_ips: set[str]) -> dict:
    while True:
        ip = f"10.{96 + s.rng.randrange(16)}.{s.rng.randrange(256)}.{s.rng.randrange(1, 255)}"
        if ip not in used_ips:
            used_ips.add(ip)
            break
    ports = []
    for n, p, proto in a.ports:
        port = 80 if n == "http" and s.rng.random() < 0.5 else p
        target: int | str = n if s.rng.random() < 0.5 else p
        ports.append({"name": n, "port": port, "protocol": proto, "targetPort": target})
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": s.meta(a.name, a.ns, {"app": a.name, "team": a.team}),
            "spec": {"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip], "ports": ports,
                     "selector": {"app": a.name, "tier": a.tier}},
            "status": {"loadBalancer": {}}}


# ---------------------------------------------------------------------------
# network policies
# ---------------------------------------------------------------------------
class _PolicyFactory:
    TEMPLATES = ("ingress-apps", "ingress-namespace", "ingress-ns-and-pod", "tier-expressions",
                 "egress-apps", "egress-dns", "egress-external", "ingress-ipblock",
                 "monitoring-range", "track-expressions", "egress-any-port")
    WEIGHTS = (22, 8, 10, 8, 16, 5, 5, 4, 6, 6, 3)

    def __init__(self, s: _Synth, namespaces: list[dict], apps_by_ns: dict[str, list[_App]]):
        self.s = s
        self.rng = s.rng
        self.namespaces = namespaces
        self.apps_by_ns = apps_by_ns
        self.ns_names = [n["metadata"]["name"] for n in namespaces]
        self.with_apps = [n for n in self.ns_names if apps_by_ns.get(n)]
        self.names_used: dict[str, set[str]] = {}
        self.turn = 0

    # -- building blocks ----------------------------------------------------
    def expr(self) -> dict:
        op = self.s.next_op()
        if op == "In":
            return {"key": "tier", "operator": "In",
                    "values": sorted(set(self.rng.sample(["web", "api", "db", "cache"],
                                                         self.rng.randint(1, 2))))}
        if op == "NotIn":
            return {"key": "env", "operator": "NotIn", "values": ["dev"]}
        if op == "Exists":
            return {"key": self.rng.choice(["track", "version", "app"]), "operator": "Exists"}
        return {"key": "track", "operator": "DoesNotExist"}

    def pod_sel(self, app: _App | None, exprs: bool = False) -> dict:
        if app is None:
            return {}
        sel: dict[str, Any] = {"matchLabels": {"app": app.name}}
        if exprs:
            sel["matchExpressions"] = [self.expr()]
        return sel

    def port(self, app: _App | None, allow_range: bool = True) -> dict:
        r = self.rng.random()
        if app is not None and r < 0.35:
            n, _, proto = self.rng.choice(app.ports)
            return {"protocol": proto, "port": n}
        if app is not None and r < 0.8:
            _, p, proto = self.rng.choice(app.ports)
            return {"protocol": proto, "port": p}
        if allow_range and r < 0.9:
            lo = self.rng.choice([8000, 9000, 9090, 30000])
            return {"protocol": "TCP", "port": lo, "endPort": lo + self.rng.choice([10, 100, 1000])}
        if r < 0.95:
            return {"protocol": "UDP", "port": self.rng.choice([53, 8125, 5353])}
        return {"protocol": "SCTP", "port": 3868}

    def other_app(self, ns: str | None = None) -> tuple[str, _App]:
        ns = ns or self.rng.choice(self.with_apps)
        return ns, self.rng.choice(self.apps_by_ns[ns])

    def name(self, ns: str, base: str) -> str:
        used = self.names_used.setdefault(ns, set())
        name, k = base, 2
        while name in used:
            name = f"{base}-{k}"
            k += 1
        used.add(name)
        return name

    def wrap(self, ns: str, base: str, spec: dict) -> dict:
        name = self.name(ns, base)
        labels = {"app.kubernetes.io/managed-by": self.rng.choice(["argocd", "helm", "kustomize"])}
        return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": self.s.meta(name, ns, labels, generation=1), "spec": spec}

    # -- policies -------------------------------------------------------------
    def default_deny(self, ns: str) -> dict:
        types = ["Ingress", "Egress"] if self.rng.random() < 0.7 else ["Ingress"]
        base = "default-deny-all" if len(types) == 2 else "default-deny-ingress"
        return self.wrap(ns, base, {"podSelector": {}, "policyTypes": types})

    def make(self) -> dict:
        if self.turn < len(self.TEMPLATES):     # every template at least once, then weighted
            kind = self.TEMPLATES[self.turn]
        else:
            kind = self.rng.choices(self.TEMPLATES, self.WEIGHTS)[0]
        self.turn += 1
        if not self.with_apps:
            ns = self.rng.choice(self.ns_names)
            return self.wrap(ns, "deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]})
        ns, target = self.other_app()
        rng = self.rng
        spec: dict[str, Any]
        if kind == "ingress-apps":
            peers = [{"podSelector": self.pod_sel(self.other_app(ns)[1])} for _ in range(rng.randint(1, 3))]
            spec = {"podSelector": self.pod_sel(target), "policyTypes": ["Ingress"],
                    "ingress": [{"from": peers,
                                 "ports": [self.port(target) for _ in range(rng.randint(1, 2))]}]}
            if rng.random() < 0.2:
                del spec["policyTypes"]          # implied Ingress
        elif kind == "ingress-namespace":
            nsel = rng.choice([{"matchLabels": {"team": rng.choice(TEAMS)}},
                               {"matchLabels": {"env": rng.choice(["prod", "staging"])}},
                               {"matchExpressions": [self.expr()]}])
            spec = {"podSelector": self.pod_sel(target), "policyTypes": ["Ingress"],
                    "ingress": [{"from": [{"namespaceSelector": nsel}], "ports": [self.port(target)]}]}
        elif kind == "ingress-ns-and-pod":
            other_ns, src = self.other_app()
            spec = {"podSelector": self.pod_sel(target), "policyTypes": ["Ingress"],
                    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {NS_NAME_LABEL: other_ns}},
                                           "podSelector": self.pod_sel(src, exprs=rng.random() < 0.3)}],
                                 "ports": [self.port(target)]}]}
        elif kind == "tier-expressions":
            spec = {"podSelector": {"matchExpressions": [self.expr()]}, "policyTypes": ["Ingress"],
                    "ingress": [{"from": [{"podSelector": {"matchExpressions": [self.expr(), self.expr()]}}],
                                 "ports": [self.port(target)]}]}
        elif kind == "egress-apps":
            rules = []
            for _ in range(rng.randint(1, 3)):
                dst_ns, dst = self.other_app(ns if rng.random() < 0.7 else None)
                peer: dict[str, Any] = {"podSelector": self.pod_sel(dst)}
                if dst_ns != ns:
                    peer["namespaceSelector"] = {"matchLabels": {NS_NAME_LABEL: dst_ns}}
                rules.append({"to": [peer], "ports": [self.port(dst, allow_range=False)]})
            spec = {"podSelector": self.pod_sel(target), "policyTypes": ["Egress"], "egress": rules}
        elif kind == "egress-dns":
            spec = {"podSelector": {}, "policyTypes": ["Egress"],
                    "egress": [{"to": [{"namespaceSelector": {"matchLabels": {NS_NAME_LABEL: "kube-system"}},
                                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]}
        elif kind == "egress-external":
            cidr = rng.choice(EXTERNAL_CIDRS)
            block: dict[str, Any] = {"cidr": cidr}
            if cidr == "0.0.0.0/0" and rng.random() < 0.7:
                block["except"] = sorted(rng.sample(PRIVATE_EXCEPT, rng.randint(1, 4)))
            spec = {"podSelector": self.pod_sel(target), "policyTypes": ["Egress"],
                    "egress": [{"to": [{"ipBlock": block}], "ports": [{"protocol": "TCP", "port": 443}]}]}
        elif kind == "ingress-ipblock":
            third = rng.randrange(256)
            spec = {"podSelector": self.pod_sel(target), "policyTypes": ["Ingress"],
                    "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8",
                                                       "except": [
                                                           f"10.{244 + rng.randrange(4)}.{third}.0/24"]}}],
                                 "ports": [self.port(target)]}]}
        elif kind == "monitoring-range":
            lo = rng.choice([9000, 9090, 9100])
            spec = {"podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "sre"}},
                                           "podSelector": {"matchLabels": {"app": "prometheus"}}}],
                                 "ports": [{"protocol": "TCP", "port": lo, "endPort": lo + 100}]}]}
        elif kind == "track-expressions":
            spec = {"podSelector": {"matchLabels": {"tier": target.tier},
                                    "matchExpressions": [self.expr(), self.expr()]},
                    "policyTypes": ["Ingress", "Egress"],
                    "ingress": [{"from": [{"podSelector": {}}]}],
                    "egress": [{"to": [{"podSelector": {"matchExpressions": [self.expr()]}}],
                                "ports": [self.port(None)]}]}
        else:  # egress-any-port: no `to` (all destinations), restricted by ports
            spec = {"podSelector": self.pod_sel(target), "policyTypes": ["Egress"],
                    "egress": [{"ports": [{"protocol": "TCP", "port": 443},
                                          {"protocol": "UDP", "port": 123}]}]}
        return self.wrap(ns, f"{kind}-{target.name}", spec)


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------
def generate_cluster(pods: int, policies: int, namespaces: int | None = None,
                     seed: int = 0) -> list[dict]:
    """Return a deterministic synthetic cluster as a list of raw Kubernetes objects.

    Exactly ``pods`` Pods, ``policies`` NetworkPolicies and ``namespaces`` Namespaces
    (default ``max(1, round(pods / 50))``) are created, along with the Deployments,
    ReplicaSets and Services that go with them. Objects are ordered as
    Namespaces, then per namespace Deployment/ReplicaSet/Pod groups, then Services,
    then NetworkPolicies.
    """
    if pods < 0 or policies < 0:
        raise ValueError("pods and policies must be >= 0")
    if namespaces is None:
        namespaces = max(1, round(pods / 50))
    if namespaces < 1:
        raise ValueError("namespaces must be >= 1")
    # Hundreds of thousands of small acyclic dicts: the cyclic GC would only slow us down.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(pods, policies, namespaces, seed)
    finally:
        if gc_was_enabled:
            gc.enable()


def _generate(pods: int, policies: int, namespaces: int, seed: int) -> list[dict]:
    s = _Synth(seed)
    ns_objs = _namespaces(s, namespaces)
    net = _Net(pods, s.rng)
    quotas = _split(pods, namespaces, s.rng)

    workloads: list[dict] = []
    services: list[dict] = []
    apps_by_ns: dict[str, list[_App]] = {}
    used_ips: set[str] = {"10.96.0.1", "10.96.0.10"}
    for ns, quota in zip(ns_objs, quotas, strict=True):
        apps = _apps_for(s, ns, quota)
        apps_by_ns[ns["metadata"]["name"]] = apps
        for a in apps:
            _workload_objects(s, a, net, workloads)
            services.append(_service(s, a, used_ips))

    factory = _PolicyFactory(s, ns_objs, apps_by_ns)
    netpols: list[dict] = []
    # default deny in ~90% of namespaces, but leave room for allow policies
    deny_budget = min(policies, max(policies // 2, 1) if policies > 1 else policies)
    for ns in factory.ns_names:
        if len(netpols) >= deny_budget:
            break
        if s.rng.random() < 0.9:
            netpols.append(factory.default_deny(ns))
    while len(netpols) < policies:
        netpols.append(factory.make())
    return ns_objs + workloads + services + netpols


def write_cluster(path: str | Path, objects: Iterable[dict], fmt: str = "json") -> Path:
    """Write ``objects`` as a single ``apiVersion: v1, kind: List`` file (json or yaml).

    The file is replaced atomically, as the ``k8sviz`` command's ``-o`` files are: a write that
    fails half-way (a full disk, a file size limit, Ctrl-C) leaves the previous file whole, not
    the first part of a cluster that loads as a smaller one.  Missing directories are created.
    """
    path = Path(path)
    if fmt not in ("json", "yaml"):
        raise ValueError(f"fmt must be 'json' or 'yaml', not {fmt!r}")
    with _shared_files().atomic_open(path) as raw:
        fh = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
        try:
            _write_list(fh, objects, fmt)
            fh.flush()
        finally:
            fh.detach()  # the atomic writer closes the file (and renames it)
    return path


def _shared_files() -> Any:
    """The module k8sviz._files (the atomic writer and the rules of ``-o``), also where this
    module is loaded on its own (by its path, outside the package): that module is next to it
    and uses only the standard library too."""
    try:
        from . import _files
    except ImportError:
        import importlib.util

        spec = importlib.util.spec_from_file_location("k8sviz_files", Path(__file__).with_name("_files.py"))
        if spec is None or spec.loader is None:  # pragma: no cover - _files.py is shipped beside it
            raise
        _files = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_files)
    return _files


def _write_list(fh: TextIO, objects: Iterable[dict], fmt: str) -> None:
    doc = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
           "items": list(objects)}
    if fmt == "json":
        fh.write(json.dumps(doc, separators=(",", ":")))   # one C-encoder call: much faster than json.dump
        fh.write("\n")
    else:
        fh.writelines(_yaml_lines(doc))


# ---------------------------------------------------------------------------
# a tiny block-style YAML writer (keeps the module stdlib-only)
# ---------------------------------------------------------------------------
_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./-]*$")
_YAML_SPECIAL = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def _scalar(v: Any) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    v = str(v)
    if _PLAIN.match(v) and v.lower() not in _YAML_SPECIAL:
        return v
    return json.dumps(v)   # a JSON string is a valid YAML double-quoted scalar


def _yaml_lines(v: Any, indent: str = "") -> Iterable[str]:
    if isinstance(v, dict):
        if not v:
            yield indent + "{}\n"
            return
        for k, val in v.items():
            key = _scalar(k)
            if isinstance(val, (dict, list)) and val:
                yield f"{indent}{key}:\n"
                yield from _yaml_lines(val, indent + "  " if isinstance(val, dict) else indent)
            elif isinstance(val, dict):
                yield f"{indent}{key}: {{}}\n"
            elif isinstance(val, list):
                yield f"{indent}{key}: []\n"
            else:
                yield f"{indent}{key}: {_scalar(val)}\n"
    elif isinstance(v, list):
        if not v:
            yield indent + "[]\n"
            return
        for item in v:
            if isinstance(item, (dict, list)) and item:
                lines = list(_yaml_lines(item, indent + "  "))
                lines[0] = indent + "- " + lines[0][len(indent) + 2:]
                yield from lines
            else:
                empty = "{}" if isinstance(item, dict) else "[]"
                text = empty if isinstance(item, (dict, list)) else _scalar(item)
                yield f"{indent}- {text}\n"
    else:
        yield indent + _scalar(v) + "\n"


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m k8sviz.synth",
                                 description="Generate a synthetic Kubernetes cluster dump (v1 List).")
    ap.add_argument("--pods", type=int, required=True, help="number of Pods")
    ap.add_argument("--policies", type=int, required=True, help="number of NetworkPolicies")
    ap.add_argument("--namespaces", type=int, default=None, help="number of Namespaces (default pods/50)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--output", required=True,
                    help="output file (.json, .yaml or .yml; missing directories are created and named "
                         "on stderr), or - for standard output (JSON unless --format yaml)")
    ap.add_argument("--format", choices=["json", "yaml"], default=None,
                    help="output format (default: from the file extension; JSON for -)")
    args = ap.parse_args(argv)
    problem = _unwritable(args.output)
    if problem:  # said before generating: a large cluster takes a while
        ap.error(problem)
    fmt = args.format or ("yaml" if args.output.endswith((".yaml", ".yml")) else "json")
    objs = generate_cluster(args.pods, args.policies, args.namespaces, args.seed)
    try:
        if args.output == "-":
            sys.stdout.flush()
            # Bytes as the file would hold them: UTF-8 and \n whatever the console's encoding.
            out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
            try:
                _write_list(out, objs, fmt)
                out.flush()
            finally:
                out.detach()  # closing the wrapper would close standard output
        else:
            missing = _shared_files().missing_directories(args.output)
            write_cluster(args.output, objs, fmt)
            made = [d for d in missing if os.path.isdir(d)]
            if made:  # named, as the k8sviz commands do: a mistyped directory is seen
                print(f"{ap.prog}: created the director{'y' if len(made) == 1 else 'ies'} "
                      f"{', '.join(made)}", file=sys.stderr)
    except BrokenPipeError:
        # The reader went away (``... -o - | head``): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as e:
        print(f"{ap.prog}: error: cannot write {args.output}: {e.strerror or e}", file=sys.stderr)
        return 2
    counts: dict[str, int] = {}
    for o in objs:
        counts[o["kind"]] = counts.get(o["kind"], 0) + 1
    where = "standard output" if args.output == "-" else args.output
    print(f"wrote {where}: " + ", ".join(f"{v} {k}" for k, v in counts.items()), file=sys.stderr)
    return 0


def _unwritable(path: str) -> str:
    """Why ``path`` (``-o``) cannot be written, or "": the same rules as the ``k8sviz``
    command's ``-o`` (missing directories are created, one that cannot be is said now)."""
    return "" if path == "-" else str(_shared_files().output_problem(path))


if __name__ == "__main__":
    sys.exit(main())
