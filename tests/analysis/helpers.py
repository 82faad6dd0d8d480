"""Fixture builders for the analysis tests: raw Kubernetes dicts -> Snapshot."""

from k8sviz.snapshot import SnapshotBuilder


def ns(name, **labels):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def pod(namespace, name, *, ports=(), host_network=False, privileged=False, host_port=None, ip=None, **labels):
    c = {"name": "c", "image": "img:1"}
    if ports:
        c["ports"] = [{"containerPort": p, **({"hostPort": host_port} if host_port else {})} for p in ports]
    if privileged:
        c["securityContext"] = {"privileged": True}
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"namespace": namespace, "name": name, "labels": labels,
                     "creationTimestamp": "2026-01-02T03:04:05Z"},
        "spec": {"containers": [c], "hostNetwork": host_network},
        "status": {"phase": "Running"},
    }
    if ip:
        obj["status"]["podIP"] = ip
    return obj


def policy(namespace, name, selector=None, types=None, ingress=None, egress=None):
    spec = {"podSelector": {"matchLabels": selector} if selector else {}}
    if types is not None:
        spec["policyTypes"] = types
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"namespace": namespace, "name": name}, "spec": spec}


def service(namespace, name, selector, type_="ClusterIP", port=80):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": namespace, "name": name},
            "spec": {"type": type_, "selector": selector, "ports": [{"port": port}]}}


def snapshot(*objs, collected_at="2026-06-01T00:00:00Z"):
    b = SnapshotBuilder()
    for o in objs:
        b.add(o, "test")
    return b.build(cluster="test", collected_at=collected_at)
