"""Fixture builders for the analysis tests: raw Kubernetes dicts -> Snapshot."""

from k8sviz.snapshot import SnapshotBuilder


def ns(name, **labels):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def pod(
    namespace, name, *, ports=(), host_network=False, privileged=False, host_port=None, ip=None, **labels
):
    c = {"name": "c", "image": "img:1"}
    if ports:
        c["ports"] = [{"containerPort": p, **({"hostPort": host_port} if host_port else {})} for p in ports]
    if privileged:
        c["securityContext"] = {"privileged": True}
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "namespace": namespace,
            "name": name,
            "labels": labels,
            "creationTimestamp": "2026-01-02T03:04:05Z",
        },
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
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"namespace": namespace, "name": name},
        "spec": spec,
    }


def service(namespace, name, selector, type_="ClusterIP", port=80):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"namespace": namespace, "name": name},
        "spec": {"type": type_, "selector": selector, "ports": [{"port": port}]},
    }


def snapshot(*objs, collected_at="2026-06-01T00:00:00Z"):
    b = SnapshotBuilder()
    for o in objs:
        b.add(o, "test")
    return b.build(cluster="test", collected_at=collected_at)


class FakeReach:
    """A stand-in for ``k8sviz.reachability`` with hand-written workload-level connections.

    ``edges``: (src, dst, protocol, ports) with workload keys or CIDR strings (external);
    ``rules``: (policy, direction, rule, src, dst, protocol, ports).
    """

    def __init__(self, snapshot, edges=(), rules=()):
        import pandas as pd

        self.snapshot = snapshot
        self._wl = {p.workload_key for p in snapshot.pods}
        self._edges = list(edges)
        self._rules = list(rules)
        self.unenforced = tuple(p.key for p in snapshot.pods if p.host_network)
        self._pd = pd

    def _type(self, key):
        return "workload" if key in self._wl else "external"

    def to_frame(self, level="workload"):
        rows = [
            {
                "src": s,
                "dst": d,
                "src_namespace": s.split("/")[0] if self._type(s) != "external" else None,
                "dst_namespace": d.split("/")[0] if self._type(d) != "external" else None,
                "src_type": self._type(s),
                "dst_type": self._type(d),
                "protocol": proto,
                "ports": list(ports),
            }
            for s, d, proto, ports in self._edges
        ]
        return self._pd.DataFrame(
            rows,
            columns=[
                "src",
                "dst",
                "src_namespace",
                "dst_namespace",
                "src_type",
                "dst_type",
                "protocol",
                "ports",
            ],
        )

    def rule_frame(self, level="workload"):
        return self._pd.DataFrame(
            [
                dict(zip(["policy", "direction", "rule", "src", "dst", "protocol", "ports"], r, strict=True))
                for r in self._rules
            ],
            columns=["policy", "direction", "rule", "src", "dst", "protocol", "ports"],
        )

    def _wkey(self, key):
        p = self.snapshot.pod(key)
        return p.workload_key if p else key

    def can_reach(self, src, dst, port, protocol="TCP"):
        from k8sviz.analysis import _ports

        s, d = self._wkey(src), self._wkey(dst)
        return any(
            s == es and d == ed and protocol == ep and _ports.contains(_ports.parse(eports), port)
            for es, ed, ep, eports in self._edges
        )
