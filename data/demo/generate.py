#!/usr/bin/env python3
"""Generate the k8sviz demo cluster dump into ``data/demo/cluster/``.

The output imitates what an auditor receives from
``kubectl get <kind> -A -o yaml|json`` on a small GKE cluster running the
Online Boutique shop plus a PCI cardholder-data zone.  Everything is derived
from ``random.Random(42)`` and fixed timestamps, so running the script twice
produces byte-identical files.

Usage::

    python data/demo/generate.py

Only the standard library and PyYAML are used.  See ``README.md`` next to
this file for the story and the deliberate policy gaps.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
import uuid
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
OUT = HERE / "cluster"

SEED = 42
HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
OB_IMAGE = "us-central1-docker.pkg.dev/google-samples/microservices-demo/{}:v0.10.2"
LB_IP = "34.120.8.15"
CLUSTER_START = dt.datetime(2024, 3, 4, 9, 12, 33, tzinfo=dt.timezone.utc)
KUBE_DNS_IP = "10.96.0.10"
K8S_API_IP = "10.96.0.1"
ZONES = ["us-central1-a", "us-central1-b", "us-central1-c"]

NS_LABEL = "kubernetes.io/metadata.name"


# --------------------------------------------------------------------------
# deterministic helpers
# --------------------------------------------------------------------------
class Clock:
    """Monotonic fake clock plus id/hash sources, all driven by one RNG."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.now = CLUSTER_START
        self.rv = 1000 + rng.randrange(500)

    def tick(self, lo: int = 1, hi: int = 90) -> str:
        self.now += dt.timedelta(seconds=self.rng.randint(lo, hi))
        return self.fmt(self.now)

    def jump(self, days: int) -> None:
        self.now += dt.timedelta(days=days, seconds=self.rng.randint(0, 86399))

    @staticmethod
    def fmt(t: dt.datetime) -> str:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")

    def resource_version(self) -> str:
        self.rv += self.rng.randint(1, 4000)
        return str(self.rv)

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def khash(self, n: int | None = None) -> str:
        if n is None:
            n = self.rng.randint(8, 10)
        return "".join(self.rng.choice(HASH_ALPHABET) for _ in range(n))

    def hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def secretish(self, n: int = 24) -> str:
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
        return "".join(self.rng.choice(alphabet) for _ in range(n))


def meta(c: Clock, name: str, namespace: str | None = None, labels=None,
         annotations=None, owner=None, generation: int | None = None) -> dict:
    m: dict = {"name": name}
    if namespace is not None:
        m["namespace"] = namespace
    m["uid"] = c.uid()
    m["resourceVersion"] = c.resource_version()
    if generation is not None:
        m["generation"] = generation
    m["creationTimestamp"] = c.tick()
    if labels:
        m["labels"] = dict(labels)
    if annotations:
        m["annotations"] = dict(annotations)
    if owner is not None:
        m["ownerReferences"] = [owner_ref(owner)]
    return m


def owner_ref(obj: dict) -> dict:
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def fields_v1(value) -> dict:
    """A simplified FieldsV1 set for managedFields (structure only)."""
    if isinstance(value, dict):
        out = {".": {}} if value else {}
        for k, v in value.items():
            out[f"f:{k}"] = fields_v1(v)
        return out
    return {}


def last_applied(obj: dict) -> str:
    """What kubectl client-side apply stores in the annotation."""
    m = obj["metadata"]
    applied_meta = {"name": m["name"]}
    if "namespace" in m:
        applied_meta["namespace"] = m["namespace"]
    if m.get("labels"):
        applied_meta["labels"] = m["labels"]
    applied_meta["annotations"] = {k: v for k, v in (m.get("annotations") or {}).items()
                                   if k != "kubectl.kubernetes.io/last-applied-configuration"}
    applied = {"apiVersion": obj["apiVersion"], "kind": obj["kind"],
               "metadata": applied_meta, "spec": obj.get("spec", {})}
    return json.dumps(applied, sort_keys=True, separators=(",", ":")) + "\n"


def add_kubectl_apply_traces(c: Clock, obj: dict, status_manager: str | None = None) -> None:
    """Attach last-applied-configuration and managedFields, as `kubectl apply` does."""
    ann = obj["metadata"].setdefault("annotations", {})
    ann["kubectl.kubernetes.io/last-applied-configuration"] = last_applied(obj)
    when = obj["metadata"]["creationTimestamp"]
    mf_meta = {"f:annotations": fields_v1({k: None for k in ann})}
    if obj["metadata"].get("labels"):
        mf_meta["f:labels"] = fields_v1(obj["metadata"]["labels"])
    mf = [{
        "manager": "kubectl-client-side-apply",
        "operation": "Update",
        "apiVersion": obj["apiVersion"],
        "time": when,
        "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:metadata": mf_meta,
            "f:spec": fields_v1(obj.get("spec", {})),
        },
    }]
    if status_manager:
        mf.append({
            "manager": status_manager,
            "operation": "Update",
            "apiVersion": obj["apiVersion"],
            "time": when,
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:status": fields_v1(obj.get("status", {}))},
            "subresource": "status",
        })
    obj["metadata"]["managedFields"] = mf


# --------------------------------------------------------------------------
# the cluster description
# --------------------------------------------------------------------------
def env(**kv) -> list[dict]:
    return [{"name": k, "value": str(v)} for k, v in kv.items()]


def ob(name: str) -> str:
    return OB_IMAGE.format(name)


def small_resources(cpu="100m", mem="64Mi", cpu_l="200m", mem_l="128Mi") -> dict:
    return {"requests": {"cpu": cpu, "memory": mem}, "limits": {"cpu": cpu_l, "memory": mem_l}}


def workloads(c: Clock) -> list[dict]:
    """Static description of every workload (name, ports, labels, service...).

    ``ports``: list of (name, containerPort, protocol[, hostPort]).
    ``svc``: list of (name, port, targetPort, protocol) or None for no Service.
    """
    db_password = c.secretish(24)
    W = []

    def add(**kw):
        kw.setdefault("kind", "Deployment")
        kw.setdefault("replicas", 1)
        kw.setdefault("container", "server")
        kw.setdefault("labels", {"app": kw["name"]})
        kw.setdefault("env", [])
        kw.setdefault("svc", None)
        kw.setdefault("sa", kw["name"])
        kw.setdefault("resources", small_resources())
        W.append(kw)

    # ---- shop: Online Boutique ------------------------------------------
    add(ns="shop", name="frontend", replicas=3, image=ob("frontend"),
        labels={"app": "frontend", "tier": "edge"},
        ports=[("http", 8080, "TCP")],
        env=env(PORT=8080,
                PRODUCT_CATALOG_SERVICE_ADDR="productcatalogservice:3550",
                CURRENCY_SERVICE_ADDR="currencyservice:7000",
                CART_SERVICE_ADDR="cartservice:7070",
                RECOMMENDATION_SERVICE_ADDR="recommendationservice:8080",
                SHIPPING_SERVICE_ADDR="shippingservice:50051",
                CHECKOUT_SERVICE_ADDR="checkoutservice:5050",
                AD_SERVICE_ADDR="adservice:9555",
                ENABLE_PROFILER=0),
        svc=[("http", 80, "http", "TCP")], old_rs=True, applied=True)
    add(ns="shop", name="cartservice", replicas=2, image=ob("cartservice"),
        ports=[("grpc", 7070, "TCP")],
        env=env(REDIS_ADDR="redis-cart:6379"),
        svc=[("grpc", 7070, 7070, "TCP")], applied=True)
    add(ns="shop", name="productcatalogservice", replicas=2, image=ob("productcatalogservice"),
        ports=[("grpc", 3550, "TCP")],
        env=env(PORT=3550, DISABLE_PROFILER=1),
        svc=[("grpc", 3550, "grpc", "TCP")])
    add(ns="shop", name="currencyservice", replicas=2, image=ob("currencyservice"),
        ports=[("grpc", 7000, "TCP")],
        env=env(PORT=7000, DISABLE_PROFILER=1),
        svc=[("grpc", 7000, 7000, "TCP")])
    add(ns="shop", name="shippingservice", image=ob("shippingservice"),
        ports=[("grpc", 50051, "TCP")],
        env=env(PORT=50051, DISABLE_PROFILER=1),
        svc=[("grpc", 50051, "grpc", "TCP")])
    add(ns="shop", name="emailservice", image=ob("emailservice"),
        ports=[("grpc", 8080, "TCP")],
        env=env(PORT=8080, DISABLE_PROFILER=1),
        svc=[("grpc", 5000, 8080, "TCP")])
    add(ns="shop", name="checkoutservice", replicas=2, image=ob("checkoutservice"),
        ports=[("grpc", 5050, "TCP")],
        env=env(PORT=5050,
                PRODUCT_CATALOG_SERVICE_ADDR="productcatalogservice:3550",
                SHIPPING_SERVICE_ADDR="shippingservice:50051",
                PAYMENT_SERVICE_ADDR="paymentservice.pci.svc.cluster.local:50051",
                EMAIL_SERVICE_ADDR="emailservice:5000",
                CURRENCY_SERVICE_ADDR="currencyservice:7000",
                CART_SERVICE_ADDR="cartservice:7070"),
        svc=[("grpc", 5050, 5050, "TCP")], old_rs=True)
    add(ns="shop", name="recommendationservice", image=ob("recommendationservice"),
        ports=[("grpc", 8080, "TCP")],
        env=env(PORT=8080,
                PRODUCT_CATALOG_SERVICE_ADDR="productcatalogservice:3550",
                ML_API_URL="https://ml-api.example.net/v1/rank",
                DISABLE_PROFILER=1),
        svc=[("grpc", 8080, 8080, "TCP")])
    add(ns="shop", name="adservice", image=ob("adservice"),
        ports=[("grpc", 9555, "TCP")],
        env=env(PORT=9555),
        svc=[("grpc", 9555, 9555, "TCP")],
        resources=small_resources("200m", "180Mi", "300m", "300Mi"))
    add(ns="shop", name="redis-cart", image="redis:7.2-alpine", container="redis",
        ports=[("redis", 6379, "TCP")],
        svc=[("tcp-redis", 6379, 6379, "TCP")], sa="default")
    add(ns="shop", name="loadgenerator", image=ob("loadgenerator"), container="main",
        ports=[], env=env(FRONTEND_ADDR="frontend:80", USERS=10))

    # ---- pci: cardholder-data environment --------------------------------
    add(ns="pci", name="paymentservice", replicas=2, image=ob("paymentservice"),
        labels={"app": "paymentservice", "pci-role": "processor"},
        ports=[("grpc", 50051, "TCP")],
        env=env(PORT=50051, DISABLE_PROFILER=1,
                DB_HOST="card-vault.pci.svc.cluster.local", DB_PORT=5432,
                DB_USER="payments", DB_PASSWORD=db_password),
        svc=[("grpc", 50051, "grpc", "TCP")], applied=True)
    add(ns="pci", name="card-vault", kind="StatefulSet", replicas=2, image="postgres:16.2-alpine",
        container="postgres", labels={"app": "card-vault", "data": "chd"},
        ports=[("postgres", 5432, "TCP")],
        env=env(POSTGRES_DB="vault", POSTGRES_USER="payments",
                PGDATA="/var/lib/postgresql/data/pgdata")
        + [{"name": "POSTGRES_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "card-vault-credentials", "key": "password"}}}],
        svc=[("postgres", 5432, "postgres", "TCP")], headless=True, sa="card-vault",
        resources=small_resources("250m", "256Mi", "1", "1Gi"))

    # ---- ingress-nginx ---------------------------------------------------
    add(ns="ingress-nginx", name="ingress-nginx-controller", replicas=2,
        image="registry.k8s.io/ingress-nginx/controller:v1.10.0", container="controller",
        labels={"app.kubernetes.io/name": "ingress-nginx",
                "app.kubernetes.io/instance": "ingress-nginx",
                "app.kubernetes.io/component": "controller",
                "tier": "edge"},
        selector={"app.kubernetes.io/name": "ingress-nginx",
                  "app.kubernetes.io/instance": "ingress-nginx",
                  "app.kubernetes.io/component": "controller"},
        ports=[("http", 80, "TCP"), ("https", 443, "TCP")],
        args=["/nginx-ingress-controller", "--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller",
              "--election-id=ingress-nginx-leader", "--controller-class=k8s.io/ingress-nginx",
              "--ingress-class=nginx"],
        env=[{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
             {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
             {"name": "LD_PRELOAD", "value": "/usr/local/lib/libmimalloc.so"}],
        svc=[("http", 80, "http", "TCP"), ("https", 443, "https", "TCP")], lb=True,
        sa="ingress-nginx", resources={"requests": {"cpu": "100m", "memory": "90Mi"}})

    # ---- monitoring ------------------------------------------------------
    add(ns="monitoring", name="prometheus", kind="StatefulSet",
        image="quay.io/prometheus/prometheus:v2.51.0", container="prometheus",
        labels={"app": "prometheus", "app.kubernetes.io/name": "prometheus"},
        selector={"app.kubernetes.io/name": "prometheus"},
        ports=[("web", 9090, "TCP")],
        args=["--config.file=/etc/prometheus/prometheus.yml",
              "--storage.tsdb.path=/prometheus", "--storage.tsdb.retention.time=15d"],
        svc=[("web", 9090, "web", "TCP")], headless=True,
        resources=small_resources("500m", "1Gi", "1", "2Gi"))

    # ---- kube-system -----------------------------------------------------
    add(ns="kube-system", name="coredns", replicas=2,
        image="registry.k8s.io/coredns/coredns:v1.11.1", container="coredns",
        labels={"k8s-app": "kube-dns"},
        ports=[("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")],
        args=["-conf", "/etc/coredns/Corefile"],
        svc=[("dns", 53, 53, "UDP"), ("dns-tcp", 53, 53, "TCP"), ("metrics", 9153, 9153, "TCP")],
        svc_name="kube-dns", cluster_ip=KUBE_DNS_IP, sa="coredns",
        resources={"requests": {"cpu": "100m", "memory": "70Mi"}, "limits": {"memory": "170Mi"}})
    add(ns="kube-system", name="node-agent", kind="DaemonSet",
        image="quay.io/prometheus/node-exporter:v1.7.0", container="node-agent",
        labels={"app": "node-agent", "k8s-app": "node-agent"},
        ports=[("metrics", 9100, "TCP", 9100)],
        args=["--path.rootfs=/host", "--web.listen-address=:9100"],
        svc=[("metrics", 9100, "metrics", "TCP")], host_network=True, privileged=True,
        sa="node-agent", resources=small_resources("50m", "50Mi", "250m", "180Mi"))
    return W


NAMESPACES = [
    # name, extra labels, days after cluster start
    ("default", {}, 0),
    ("kube-node-lease", {}, 0),
    ("kube-public", {}, 0),
    ("kube-system", {}, 0),
    ("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx",
                       "app.kubernetes.io/instance": "ingress-nginx"}, 1),
    ("monitoring", {"team": "sre"}, 1),
    ("shop", {"team": "web", "app.kubernetes.io/part-of": "online-boutique"}, 2),
    ("pci", {"compliance": "pci", "pci-scope": "cde", "team": "payments"}, 3),
]


# --------------------------------------------------------------------------
# object builders
# --------------------------------------------------------------------------
def build_namespaces(c: Clock) -> list[dict]:
    out = []
    for name, extra, _ in NAMESPACES:
        labels = {NS_LABEL: name, **extra}
        ns = {"apiVersion": "v1", "kind": "Namespace",
              "metadata": meta(c, name, labels=labels),
              "spec": {"finalizers": ["kubernetes"]},
              "status": {"phase": "Active"}}
        if name in ("shop", "pci"):
            add_kubectl_apply_traces(c, ns)
        out.append(ns)
    return out


def build_nodes(c: Clock) -> list[dict]:
    nodes = []
    group = c.hex(8)
    for i in range(3):
        name = f"gke-shop-pool-1-{group}-{c.khash(4)}"
        ip = f"10.128.0.{3 + i * 2 + c.rng.randrange(2)}"
        zone = ZONES[i]
        labels = {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/instance-type": "e2-standard-4",
            "beta.kubernetes.io/os": "linux",
            "cloud.google.com/gke-boot-disk": "pd-balanced",
            "cloud.google.com/gke-container-runtime": "containerd",
            "cloud.google.com/gke-nodepool": "pool-1",
            "cloud.google.com/gke-os-distribution": "cos",
            "cloud.google.com/machine-family": "e2",
            "failure-domain.beta.kubernetes.io/region": "us-central1",
            "failure-domain.beta.kubernetes.io/zone": zone,
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": "e2-standard-4",
            "topology.kubernetes.io/region": "us-central1",
            "topology.kubernetes.io/zone": zone,
        }
        m = meta(c, name, labels=labels, annotations={
            "container.googleapis.com/instance_id": str(c.rng.getrandbits(62)),
            "node.alpha.kubernetes.io/ttl": "0",
            "volumes.kubernetes.io/controller-managed-attach-detach": "true",
        })
        cidr = f"10.244.{i}.0/24"
        ready_since = c.fmt(c.now)
        nodes.append({
            "metadata": m,
            "spec": {"podCIDR": cidr, "podCIDRs": [cidr],
                     "providerID": f"gce://demo-shop-project/{zone}/{name}"},
            "status": {
                "addresses": [{"type": "InternalIP", "address": ip},
                              {"type": "InternalDNS", "address": f"{name}.{zone}.c.demo-shop-project.internal"},
                              {"type": "Hostname", "address": f"{name}.{zone}.c.demo-shop-project.internal"}],
                "allocatable": {"cpu": "3920m", "ephemeral-storage": "47060071478",
                                "memory": "13711616Ki", "pods": "110"},
                "capacity": {"cpu": "4", "ephemeral-storage": "98831908Ki",
                             "memory": "16393476Ki", "pods": "110"},
                "conditions": [
                    {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory",
                     "lastHeartbeatTime": ready_since, "lastTransitionTime": ready_since},
                    {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure",
                     "lastHeartbeatTime": ready_since, "lastTransitionTime": ready_since},
                    {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID",
                     "lastHeartbeatTime": ready_since, "lastTransitionTime": ready_since},
                    {"type": "Ready", "status": "True", "reason": "KubeletReady",
                     "message": "kubelet is posting ready status. AppArmor enabled",
                     "lastHeartbeatTime": ready_since, "lastTransitionTime": ready_since},
                ],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "architecture": "amd64",
                    "bootID": c.uid(),
                    "containerRuntimeVersion": "containerd://1.7.10",
                    "kernelVersion": "6.1.58+",
                    "kubeProxyVersion": "v1.29.1-gke.1589000",
                    "kubeletVersion": "v1.29.1-gke.1589000",
                    "machineID": c.hex(32),
                    "operatingSystem": "linux",
                    "osImage": "Container-Optimized OS from Google",
                    "systemUUID": c.uid(),
                },
            },
        })
    return nodes


class IPAM:
    def __init__(self, rng: random.Random, nodes: list[dict]):
        self.rng = rng
        self.used: dict[int, set[int]] = {i: set() for i in range(len(nodes))}
        self.cluster_ips = {K8S_API_IP, KUBE_DNS_IP}

    def pod_ip(self, node_index: int) -> str:
        while True:
            host = self.rng.randrange(2, 255)
            if host not in self.used[node_index]:
                self.used[node_index].add(host)
                return f"10.244.{node_index}.{host}"

    def cluster_ip(self) -> str:
        while True:
            ip = f"10.{96 + self.rng.randrange(16)}.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"
            if ip not in self.cluster_ips:
                self.cluster_ips.add(ip)
                return ip


def container_spec(w: dict) -> dict:
    ctr: dict = {"name": w["container"], "image": w["image"]}
    if w.get("args"):
        ctr["args"] = list(w["args"])
    if w["ports"]:
        ports = []
        for p in w["ports"]:
            entry = {"name": p[0], "containerPort": p[1], "protocol": p[2]}
            if len(p) > 3:
                entry["hostPort"] = p[3]
            ports.append(entry)
        ctr["ports"] = ports
    if w["env"]:
        ctr["env"] = copy.deepcopy(w["env"])
    ctr["resources"] = copy.deepcopy(w["resources"])
    if w["ports"] and w["ports"][0][2] == "TCP":
        ctr["readinessProbe"] = {"tcpSocket": {"port": w["ports"][0][1]}, "periodSeconds": 5,
                                 "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3}
    if w.get("privileged"):
        ctr["securityContext"] = {"privileged": True, "readOnlyRootFilesystem": True}
    else:
        ctr["securityContext"] = {"allowPrivilegeEscalation": False, "runAsNonRoot": True,
                                  "capabilities": {"drop": ["ALL"]}}
    ctr["terminationMessagePath"] = "/dev/termination-log"
    ctr["terminationMessagePolicy"] = "File"
    ctr["imagePullPolicy"] = "IfNotPresent"
    return ctr


def pod_template_spec(w: dict) -> dict:
    spec: dict = {"containers": [container_spec(w)]}
    spec["serviceAccountName"] = w["sa"]
    spec["restartPolicy"] = "Always"
    spec["terminationGracePeriodSeconds"] = 30
    if w.get("host_network"):
        spec["hostNetwork"] = True
        spec["hostPID"] = True
        spec["dnsPolicy"] = "ClusterFirstWithHostNet"
        spec["tolerations"] = [{"operator": "Exists"}]
    else:
        spec["dnsPolicy"] = "ClusterFirst"
    spec["schedulerName"] = "default-scheduler"
    spec["securityContext"] = {} if w.get("privileged") else {"fsGroup": 1000, "runAsUser": 1000,
                                                              "runAsGroup": 1000}
    return spec


def build_workloads(c: Clock, ipam: IPAM, nodes: list[dict], W: list[dict]):
    controllers: list[dict] = []   # Deployments, StatefulSets, DaemonSets
    replicasets: list[dict] = []
    pods: list[dict] = []
    node_names = [n["metadata"]["name"] for n in nodes]
    node_ips = [n["status"]["addresses"][0]["address"] for n in nodes]
    day = {name: d for name, _, d in NAMESPACES}
    current_day = 0
    load = [0] * len(nodes)

    for w in W:
        if day[w["ns"]] > current_day:
            c.jump(day[w["ns"]] - current_day)
            current_day = day[w["ns"]]
        ns, name, kind = w["ns"], w["name"], w["kind"]
        selector = dict(w.get("selector") or w["labels"])
        template = {"metadata": {"labels": dict(w["labels"])}, "spec": pod_template_spec(w)}
        if ns == "monitoring" or name in ("frontend", "node-agent"):
            template["metadata"]["annotations"] = {"prometheus.io/scrape": "true"}

        obj: dict = {"apiVersion": "apps/v1", "kind": kind}
        top_labels = dict(w["labels"])
        if ns == "shop":
            top_labels["app.kubernetes.io/part-of"] = "online-boutique"
        revision = 2 if w.get("old_rs") else 1
        ann = {"deployment.kubernetes.io/revision": str(revision)} if kind == "Deployment" else None
        obj["metadata"] = meta(c, name, ns, labels=top_labels, annotations=ann, generation=revision)
        spec: dict = {}
        if kind != "DaemonSet":
            spec["replicas"] = w["replicas"]
        spec["selector"] = {"matchLabels": selector}
        if kind == "StatefulSet":
            spec["serviceName"] = f"{name}-headless"
            spec["podManagementPolicy"] = "OrderedReady"
            spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
        elif kind == "Deployment":
            spec["strategy"] = {"type": "RollingUpdate",
                                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
            spec["progressDeadlineSeconds"] = 600
        else:
            spec["updateStrategy"] = {"type": "RollingUpdate",
                                      "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
        spec["revisionHistoryLimit"] = 10
        spec["template"] = template
        obj["spec"] = spec
        n_pods = len(nodes) if kind == "DaemonSet" else w["replicas"]
        obj["status"] = {"observedGeneration": revision, "replicas": n_pods,
                         "readyReplicas": n_pods, "availableReplicas": n_pods,
                         "updatedReplicas": n_pods}
        if kind == "DaemonSet":
            obj["status"] = {"currentNumberScheduled": n_pods, "desiredNumberScheduled": n_pods,
                             "numberAvailable": n_pods, "numberMisscheduled": 0,
                             "numberReady": n_pods, "observedGeneration": 1,
                             "updatedNumberScheduled": n_pods}
        if w.get("applied"):
            add_kubectl_apply_traces(c, obj, status_manager="kube-controller-manager")
        controllers.append(obj)

        # ---- direct owner of the pods
        pod_owner = obj
        extra_pod_labels: dict = {}
        if kind == "Deployment":
            if w.get("old_rs"):   # a scaled-down previous revision, as after a rollout
                old_hash = c.khash()
                old_tpl = copy.deepcopy(template)
                old_tpl["metadata"]["labels"]["pod-template-hash"] = old_hash
                old_tpl["spec"]["containers"][0]["image"] = w["image"].replace("v0.10.2", "v0.10.1")
                replicasets.append(make_rs(c, obj, old_hash, old_tpl, 0, 1))
            pth = c.khash()
            rs_tpl = copy.deepcopy(template)
            rs_tpl["metadata"]["labels"]["pod-template-hash"] = pth
            rs = make_rs(c, obj, pth, rs_tpl, w["replicas"], revision)
            replicasets.append(rs)
            pod_owner = rs
            extra_pod_labels = {"pod-template-hash": pth}
        elif kind == "StatefulSet":
            extra_pod_labels = {"controller-revision-hash": f"{name}-{c.khash(10)}"}
        else:
            extra_pod_labels = {"controller-revision-hash": c.khash(10), "pod-template-generation": "1"}

        placed: list[int] = []
        for i in range(n_pods):
            if kind == "DaemonSet":
                node_i = i
            else:   # spread replicas, then prefer the least loaded node (ties at random)
                cands = [n for n in range(len(nodes)) if n not in placed] or list(range(len(nodes)))
                low = min(load[n] for n in cands)
                node_i = c.rng.choice([n for n in cands if load[n] == low])
            placed.append(node_i)
            load[node_i] += 1
            if kind == "StatefulSet":
                pod_name = f"{name}-{i}"
                labels = {**w["labels"], **extra_pod_labels,
                          "apps.kubernetes.io/pod-index": str(i),
                          "statefulset.kubernetes.io/pod-name": pod_name}
            else:
                base = pod_owner["metadata"]["name"]
                pod_name = f"{base}-{c.khash(5)}"
                labels = {**w["labels"], **extra_pod_labels}
            ip = node_ips[node_i] if w.get("host_network") else ipam.pod_ip(node_i)
            pods.append(make_pod(c, w, pod_name, labels, template, pod_owner,
                                 node_names[node_i], node_ips[node_i], ip))
    return controllers, replicasets, pods


def make_rs(c: Clock, dep: dict, pth: str, tpl: dict, replicas: int, revision: int) -> dict:
    name = dep["metadata"]["name"]
    labels = {**tpl["metadata"]["labels"]}
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": meta(c, f"{name}-{pth}", dep["metadata"]["namespace"], labels=labels,
                         annotations={"deployment.kubernetes.io/desired-replicas": str(dep["spec"]["replicas"]),
                                      "deployment.kubernetes.io/max-replicas": str(dep["spec"]["replicas"] + 1),
                                      "deployment.kubernetes.io/revision": str(revision)},
                         owner=dep, generation=1 if replicas else 2),
        "spec": {"replicas": replicas,
                 "selector": {"matchLabels": {**dep["spec"]["selector"]["matchLabels"],
                                              "pod-template-hash": pth}},
                 "template": tpl},
        "status": {"replicas": replicas, "observedGeneration": 1 if replicas else 2},
    }
    if replicas:
        rs["status"].update({"readyReplicas": replicas, "availableReplicas": replicas,
                             "fullyLabeledReplicas": replicas})
    return rs


def make_pod(c: Clock, w: dict, name: str, labels: dict, template: dict, owner: dict,
             node: str, host_ip: str, pod_ip: str) -> dict:
    spec = copy.deepcopy(template["spec"])
    spec["nodeName"] = node
    spec["serviceAccount"] = spec["serviceAccountName"]
    spec["enableServiceLinks"] = True
    spec["preemptionPolicy"] = "PreemptLowerPriority"
    spec["priority"] = 2000001000 if w["ns"] == "kube-system" else 0
    if w["ns"] == "kube-system":
        spec["priorityClassName"] = "system-node-critical" if w["kind"] == "DaemonSet" else "system-cluster-critical"
    if "tolerations" not in spec:
        spec["tolerations"] = [
            {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready",
             "operator": "Exists", "tolerationSeconds": 300},
            {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable",
             "operator": "Exists", "tolerationSeconds": 300},
        ]
    if w["kind"] == "StatefulSet":
        spec["hostname"] = name
        spec["subdomain"] = f"{w['name']}-headless"
    m = meta(c, name, w["ns"], labels=labels, annotations=template["metadata"].get("annotations"),
             owner=owner)
    started = m["creationTimestamp"]
    ctr = spec["containers"][0]
    status = {
        "phase": "Running",
        "conditions": [
            {"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": started}
            for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
        ],
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": started,
        "containerStatuses": [{
            "name": ctr["name"],
            "image": ctr["image"],
            "imageID": ctr["image"].split(":")[0] + "@sha256:" + c.hex(64),
            "containerID": "containerd://" + c.hex(64),
            "ready": True,
            "started": True,
            "restartCount": 0,
            "state": {"running": {"startedAt": started}},
        }],
        "qosClass": "Burstable",
    }
    pod = {"metadata": m, "spec": spec, "status": status}
    if w["name"] == "frontend":   # what the API server records for controller-created pods
        m["managedFields"] = [
            {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
             "time": started, "fieldsType": "FieldsV1",
             "fieldsV1": {"f:metadata": {"f:generateName": {}, "f:labels": fields_v1(labels),
                                         "f:ownerReferences": {}},
                          "f:spec": fields_v1({k: v for k, v in spec.items() if k != "nodeName"})}},
            {"manager": "kubelet", "operation": "Update", "apiVersion": "v1", "time": started,
             "fieldsType": "FieldsV1", "subresource": "status",
             "fieldsV1": {"f:status": fields_v1({k: v for k, v in status.items() if k != "phase"})}},
        ]
    if w["kind"] != "StatefulSet":
        m["generateName"] = owner["metadata"]["name"] + "-"
    return pod


def build_services(c: Clock, ipam: IPAM, W: list[dict]) -> list[dict]:
    out = []
    kube = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": meta(c, "kubernetes", "default",
                         labels={"component": "apiserver", "provider": "kubernetes"}),
        "spec": {"clusterIP": K8S_API_IP, "clusterIPs": [K8S_API_IP],
                 "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"],
                 "ipFamilyPolicy": "SingleStack",
                 "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
                 "sessionAffinity": "None", "type": "ClusterIP"},
        "status": {"loadBalancer": {}},
    }
    out.append(kube)
    for w in W:
        if not w["svc"]:
            continue
        selector = dict(w.get("selector") or w["labels"])
        if "tier" in selector and w["name"] == "frontend":
            selector = {"app": "frontend"}
        ports = [{"name": n, "port": p, "protocol": proto, "targetPort": t}
                 for n, p, t, proto in w["svc"]]
        names = [w.get("svc_name", w["name"])]
        if w.get("headless"):
            names.append(f"{w['name']}-headless")
        for sname in names:
            headless = sname.endswith("-headless")
            labels = dict(w["labels"]) if w["ns"] != "kube-system" else {
                "k8s-app": w["labels"]["k8s-app"], "kubernetes.io/cluster-service": "true",
                "kubernetes.io/name": "CoreDNS" if w["name"] == "coredns" else w["name"]}
            svc: dict = {"apiVersion": "v1", "kind": "Service",
                         "metadata": meta(c, sname, w["ns"], labels=labels)}
            spec: dict = {}
            if headless:
                spec["clusterIP"] = "None"
                spec["clusterIPs"] = ["None"]
                spec["publishNotReadyAddresses"] = True
            else:
                ip = w.get("cluster_ip") or ipam.cluster_ip()
                spec["clusterIP"] = ip
                spec["clusterIPs"] = [ip]
            spec["internalTrafficPolicy"] = "Cluster"
            spec["ipFamilies"] = ["IPv4"]
            spec["ipFamilyPolicy"] = "SingleStack"
            spec["ports"] = copy.deepcopy(ports)
            spec["selector"] = dict(selector)
            spec["sessionAffinity"] = "None"
            spec["type"] = "ClusterIP"
            status: dict = {"loadBalancer": {}}
            if w.get("lb") and not headless:
                spec["type"] = "LoadBalancer"
                spec["externalTrafficPolicy"] = "Local"
                spec["allocateLoadBalancerNodePorts"] = True
                spec["healthCheckNodePort"] = 30000 + c.rng.randrange(2768)
                for p in spec["ports"]:
                    p["nodePort"] = 30000 + c.rng.randrange(2768)
                status = {"loadBalancer": {"ingress": [{"ip": LB_IP, "ipMode": "VIP"}]}}
            svc["spec"] = spec
            svc["status"] = status
            if w.get("applied") and not headless:
                add_kubectl_apply_traces(c, svc)
            out.append(svc)
    return out


def build_ingresses(c: Clock) -> list[dict]:
    ing = {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": meta(c, "shop-frontend", "shop", labels={"app": "frontend"},
                         annotations={"nginx.ingress.kubernetes.io/ssl-redirect": "true",
                                      "nginx.ingress.kubernetes.io/proxy-body-size": "8m"},
                         generation=1),
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["shop.example.com"], "secretName": "shop-example-com-tls"}],
            "rules": [{"host": "shop.example.com", "http": {"paths": [{
                "path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "frontend", "port": {"name": "http"}}}}]}}],
        },
        "status": {"loadBalancer": {"ingress": [{"ip": LB_IP}]}},
    }
    add_kubectl_apply_traces(c, ing)
    return [ing]


# --------------------------------------------------------------------------
# network policies
# --------------------------------------------------------------------------
def sel(**labels) -> dict:
    return {"matchLabels": dict(labels)}


def app(name: str) -> dict:
    return {"podSelector": sel(app=name)}


def ns_is(name: str) -> dict:
    return sel(**{NS_LABEL: name})


def tcp(port, end: int | None = None) -> dict:
    p = {"protocol": "TCP", "port": port}
    if end is not None:
        p["endPort"] = end
    return p


def udp(port) -> dict:
    return {"protocol": "UDP", "port": port}


DNS_PEER = {"namespaceSelector": ns_is("kube-system"), "podSelector": sel(**{"k8s-app": "kube-dns"})}
DNS_PORTS = [udp(53), tcp(53)]

# Online Boutique call graph inside `shop` (caller -> [(callee, container port)]).
CALLS = {
    "loadgenerator": [("frontend", 8080)],
    "frontend": [("productcatalogservice", 3550), ("currencyservice", 7000), ("cartservice", 7070),
                 ("recommendationservice", 8080), ("shippingservice", 50051),
                 ("checkoutservice", 5050), ("adservice", 9555)],
    "checkoutservice": [("productcatalogservice", 3550), ("shippingservice", 50051),
                        ("emailservice", 8080), ("currencyservice", 7000), ("cartservice", 7070)],
    "recommendationservice": [("productcatalogservice", 3550)],
    "cartservice": [("redis-cart", 6379)],
}
# How each callee's ingress policy names its port: named ports in some, numbers in others.
INGRESS_PORT = {
    "frontend": "http", "productcatalogservice": "grpc", "currencyservice": 7000,
    "cartservice": 7070, "recommendationservice": 8080, "shippingservice": "grpc",
    "checkoutservice": 5050, "adservice": "grpc", "emailservice": 8080, "redis-cart": 6379,
}


def policies() -> list[tuple[str, str, dict, dict]]:
    """(namespace, name, spec, extra metadata) for every NetworkPolicy."""
    P: list[tuple[str, str, dict, dict]] = []

    def add(ns, name, spec, labels=None, annotations=None):
        P.append((ns, name, spec, {"labels": labels or {}, "annotations": annotations or {}}))

    deny_all = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    shop_lbl = {"app.kubernetes.io/part-of": "online-boutique", "app.kubernetes.io/managed-by": "argocd"}

    # ---------------- shop ----------------
    add("shop", "default-deny-all", dict(deny_all), shop_lbl)
    add("shop", "allow-dns", {"podSelector": {}, "policyTypes": ["Egress"],
                              "egress": [{"to": [DNS_PEER], "ports": DNS_PORTS}]}, shop_lbl)

    callers_of: dict[str, list[str]] = {}
    for caller, callees in CALLS.items():
        for callee, _ in callees:
            callers_of.setdefault(callee, []).append(caller)
    for callee in ["frontend", "productcatalogservice", "currencyservice", "cartservice",
                   "recommendationservice", "shippingservice", "checkoutservice", "adservice",
                   "emailservice", "redis-cart"]:
        callers = callers_of[callee]
        if callee == "productcatalogservice":   # one team prefers matchExpressions
            peers = [{"podSelector": {"matchExpressions": [
                {"key": "app", "operator": "In", "values": sorted(callers)}]}}]
        else:
            peers = [app(x) for x in callers]
        add("shop", f"{callee}-ingress", {
            "podSelector": sel(app=callee),
            "policyTypes": ["Ingress"],
            "ingress": [{"from": peers, "ports": [tcp(INGRESS_PORT[callee])]}],
        }, shop_lbl)

    # Frontend from the ingress controller: namespaceSelector only, policyTypes omitted.
    add("shop", "frontend-allow-ingress-nginx", {
        "podSelector": sel(app="frontend"),
        "ingress": [{"from": [{"namespaceSelector": ns_is("ingress-nginx")}],
                     "ports": [tcp("http")]}],
    }, shop_lbl)

    # Egress, one policy per caller.
    for caller, callees in CALLS.items():
        rules = []
        for callee, port in callees:
            p = tcp("grpc") if (caller, callee) == ("checkoutservice", "shippingservice") else tcp(port)
            rules.append({"to": [app(callee)], "ports": [p]})
        add("shop", f"{caller}-egress", {"podSelector": sel(app=caller),
                                          "policyTypes": ["Egress"], "egress": rules}, shop_lbl)
    add("shop", "checkoutservice-egress-payment", {
        "podSelector": sel(app="checkoutservice"),
        "policyTypes": ["Egress"],
        "egress": [{"to": [{"namespaceSelector": sel(compliance="pci"),
                            "podSelector": sel(app="paymentservice")}],
                    "ports": [tcp(50051)]}],
    }, shop_lbl)

    # Prometheus scrapes the app ports; 7000-8080 covers currency, cart, frontend,
    # email and recommendation.
    add("shop", "allow-prometheus-scrape", {
        "podSelector": {},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": ns_is("monitoring"),
                               "podSelector": sel(**{"app.kubernetes.io/name": "prometheus"})}],
                     "ports": [tcp(7000, 8080)]}],
    }, shop_lbl)

    # GAP 3: recommendationservice may reach the whole internet (and 169.254.169.254) on 443.
    add("shop", "recommendation-egress-ml-api", {
        "podSelector": sel(app="recommendationservice"),
        "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [tcp(443)]}],
    }, shop_lbl, {"description": "recommendationservice calls the external ML ranking API"})

    # GAP 4: typo in the selector (cart-service vs cartservice): selects no pod.
    add("shop", "cartservice-legacy-allow", {
        "podSelector": sel(app="cart-service"),
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": {}}], "ports": [tcp(7070)]}],
    }, None, {"description": "legacy: allow in-namespace clients to the cart"})

    # ---------------- pci ----------------
    pci_lbl = {"compliance": "pci", "app.kubernetes.io/managed-by": "argocd"}
    add("pci", "default-deny-all", dict(deny_all), pci_lbl)
    add("pci", "paymentservice-ingress", {
        "podSelector": sel(app="paymentservice"),
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": ns_is("shop"),
                               "podSelector": sel(app="checkoutservice")}],
                     "ports": [tcp(50051)]}],
    }, pci_lbl)
    add("pci", "paymentservice-egress", {
        "podSelector": sel(app="paymentservice"),
        "policyTypes": ["Egress"],
        "egress": [{"to": [app("card-vault")], "ports": [tcp(5432)]},
                   {"to": [DNS_PEER], "ports": DNS_PORTS}],
    }, pci_lbl)
    add("pci", "card-vault-ingress", {
        "podSelector": sel(app="card-vault"),
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [app("paymentservice")], "ports": [tcp("postgres")]}],
    }, pci_lbl)
    # GAP 2: debugging rule never removed: every pod of every `team: web` namespace, all ports.
    add("pci", "card-vault-maintenance", {
        "podSelector": sel(app="card-vault"),
        "ingress": [{"from": [{"namespaceSelector": sel(team="web")}]}],
    }, None, {"description": "TEMP: let the web team debug card-vault during INC-4211. Remove afterwards.",
              "owner": "web-team"})

    # ---------------- ingress-nginx ----------------
    nginx_lbl = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/part-of": "ingress-nginx"}
    nginx_sel = sel(**{"app.kubernetes.io/name": "ingress-nginx"})
    add("ingress-nginx", "default-deny-all", dict(deny_all), nginx_lbl)
    add("ingress-nginx", "ingress-nginx-controller-ingress", {
        "podSelector": nginx_sel,
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0",
                                           "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]}}],
                     "ports": [tcp(80), tcp(443)]}],
    }, nginx_lbl)
    add("ingress-nginx", "ingress-nginx-controller-egress", {
        "podSelector": nginx_sel,
        "policyTypes": ["Egress"],
        "egress": [{"to": [{"namespaceSelector": ns_is("shop"), "podSelector": sel(app="frontend")}],
                    "ports": [tcp(8080)]},
                   {"to": [DNS_PEER], "ports": DNS_PORTS}],
    }, nginx_lbl)

    # ---------------- kube-system ----------------
    add("kube-system", "coredns-ingress", {
        "podSelector": sel(**{"k8s-app": "kube-dns"}),
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": {}}], "ports": [udp(53), tcp(53)]},
                    {"from": [{"namespaceSelector": ns_is("monitoring")}], "ports": [tcp("metrics")]}],
    })
    add("kube-system", "coredns-egress", {
        "podSelector": sel(**{"k8s-app": "kube-dns"}),
        "policyTypes": ["Egress"],
        "egress": [
            # upstream resolvers
            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [udp(53), tcp(53)]},
            # kube-apiserver: not a pod, so no selector matches it; allowed by port only
            {"ports": [tcp(443), tcp(6443)]},
        ],
    })

    # ---------------- monitoring (GAP 1: no default deny) ----------------
    add("monitoring", "prometheus-ingress", {
        "podSelector": sel(**{"app.kubernetes.io/name": "prometheus"}),
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": ns_is("ingress-nginx")}], "ports": [tcp(9090)]}],
    })
    return P


def build_policies(c: Clock) -> list[dict]:
    out = []
    for ns, name, spec, extra in policies():
        annotations = dict(extra["annotations"])
        m = meta(c, name, ns, labels=extra["labels"], annotations=annotations or None, generation=1)
        np_obj = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                  "metadata": m, "spec": copy.deepcopy(spec)}
        # A few were applied by hand with kubectl (the others come from Argo CD).
        if name in ("card-vault-maintenance", "cartservice-legacy-allow", "recommendation-egress-ml-api",
                    "prometheus-ingress") or (ns == "shop" and name == "default-deny-all"):
            add_kubectl_apply_traces(c, np_obj)
        out.append(np_obj)
    return out


# --------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------
def as_list(items: list[dict]) -> dict:
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def as_typed_list(kind: str, items: list[dict], rv: str) -> dict:
    stripped = []
    for it in items:
        it = dict(it)
        it.pop("apiVersion", None)
        it.pop("kind", None)
        stripped.append(it)
    return {"apiVersion": "v1", "items": stripped, "kind": kind, "metadata": {"resourceVersion": rv}}


class _NoAliasDumper(yaml.SafeDumper):
    """kubectl never emits YAML anchors/aliases, so neither do we."""

    def ignore_aliases(self, data):
        return True


def dump_yaml(obj) -> str:
    return yaml.dump(obj, Dumper=_NoAliasDumper, sort_keys=True, default_flow_style=False, width=4096)


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")


def generate(out: Path = OUT) -> list[Path]:
    rng = random.Random(SEED)
    c = Clock(rng)
    namespaces = build_namespaces(c)
    nodes = build_nodes(c)
    ipam = IPAM(rng, nodes)
    W = workloads(c)
    controllers, replicasets, pods = build_workloads(c, ipam, nodes, W)
    services = build_services(c, ipam, W)
    ingresses = build_ingresses(c)
    c.jump(2)
    netpols = build_policies(c)

    out.mkdir(parents=True, exist_ok=True)
    files = {
        "namespaces.yaml": dump_yaml(as_list(namespaces)),
        "nodes.json": json.dumps(as_typed_list("NodeList", nodes, c.resource_version()), indent=4) + "\n",
        "workloads.yaml": dump_yaml(as_list(controllers + replicasets)),
        "pods.json": json.dumps(as_typed_list("PodList", pods, c.resource_version()), indent=4) + "\n",
        "services.yaml": dump_yaml(as_list(services)),
        "networkpolicies.yaml": yaml.dump_all(netpols, Dumper=_NoAliasDumper, sort_keys=True,
                                              default_flow_style=False, width=4096, explicit_start=True),
        "ingresses.yaml": dump_yaml(as_list(ingresses)),
    }
    written = []
    for fname, text in files.items():
        write(out / fname, text)
        written.append(out / fname)
    return written


if __name__ == "__main__":
    for p in generate():
        print(p.relative_to(HERE.parent.parent) if p.is_relative_to(HERE.parent.parent) else p)
