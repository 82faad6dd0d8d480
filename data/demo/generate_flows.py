#!/usr/bin/env python3
"""Generate the demo flow logs into ``data/demo/flows/``.

* ``hubble.json.gz``: one week (2024-03-10 00:00 to 2024-03-17 00:00 UTC) of sampled Hubble
  exporter lines (``{"flow": ..., "node_name": ..., "time": ...}``) plus a few ``lost_events``
  and ``agent_event`` lines, following the shop's real call graph.
* ``calico.json``: the last 48 hours as Calico Enterprise flow logs exported from
  Elasticsearch (a JSON array, one document per line), flushed hourly, with allowed flows
  aggregated per workload (``frontend-wsgrhlsk-*``) and denied flows per pod.

The anomalies the notebooks must find are described in ``README.md`` (section "Flows").
Deterministic: ``random.Random(4242)``, fixed times, gzip ``mtime=0``.  Reads pod names, IPs and
nodes from ``cluster/`` through k8sviz, so run it from a source checkout::

    python data/demo/generate_flows.py
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
import sys
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import k8sviz  # noqa: E402

OUT = HERE / "flows"
SEED = 4242
START = dt.datetime(2024, 3, 10, tzinfo=dt.UTC)
HOURS = 7 * 24
CALICO_FROM = START + dt.timedelta(days=5)  # the last 48 hours

SKEW_NODE = "gke-shop-pool-1-32c3bb81-5nj2"  # (d) its Hubble clock runs 7 s ahead
SKEW = dt.timedelta(seconds=7)
ML_API_IP = "34.149.87.45"  # (e) ml-api.example.net
UPSTREAM_DNS = "8.8.8.8"
APISERVER_IP = "172.16.0.2"  # GKE private control-plane endpoint (not a pod, node or Service)
LEAK_FROM = START + dt.timedelta(days=5, hours=14, minutes=5)  # (a)
LEAK_TO = LEAK_FROM + dt.timedelta(minutes=45)
DROP_FROM = START + dt.timedelta(days=6, hours=3, minutes=12)  # (b)
DROP_TO = DROP_FROM + dt.timedelta(minutes=8)

# caller, callee, port, protocol, connections per hour (mean), egress policy, ingress policy
CALLS: list[tuple[str, str, int, str, float, str | None, str | None]] = [
    (
        "ingress-nginx/ingress-nginx-controller",
        "shop/frontend",
        8080,
        "TCP",
        3,
        "ingress-nginx/ingress-nginx-controller-egress",
        "shop/frontend-allow-ingress-nginx",
    ),
    (
        "shop/loadgenerator",
        "shop/frontend",
        8080,
        "TCP",
        2,
        "shop/loadgenerator-egress",
        "shop/frontend-ingress",
    ),
    (
        "shop/frontend",
        "shop/productcatalogservice",
        3550,
        "TCP",
        2,
        "shop/frontend-egress",
        "shop/productcatalogservice-ingress",
    ),
    (
        "shop/frontend",
        "shop/currencyservice",
        7000,
        "TCP",
        2,
        "shop/frontend-egress",
        "shop/currencyservice-ingress",
    ),
    (
        "shop/frontend",
        "shop/cartservice",
        7070,
        "TCP",
        1.5,
        "shop/frontend-egress",
        "shop/cartservice-ingress",
    ),
    (
        "shop/frontend",
        "shop/recommendationservice",
        8080,
        "TCP",
        1,
        "shop/frontend-egress",
        "shop/recommendationservice-ingress",
    ),
    (
        "shop/frontend",
        "shop/shippingservice",
        50051,
        "TCP",
        0.7,
        "shop/frontend-egress",
        "shop/shippingservice-ingress",
    ),
    (
        "shop/frontend",
        "shop/checkoutservice",
        5050,
        "TCP",
        0.7,
        "shop/frontend-egress",
        "shop/checkoutservice-ingress",
    ),
    ("shop/frontend", "shop/adservice", 9555, "TCP", 1, "shop/frontend-egress", "shop/adservice-ingress"),
    (
        "shop/checkoutservice",
        "shop/productcatalogservice",
        3550,
        "TCP",
        0.6,
        "shop/checkoutservice-egress",
        "shop/productcatalogservice-ingress",
    ),
    (
        "shop/checkoutservice",
        "shop/shippingservice",
        50051,
        "TCP",
        0.6,
        "shop/checkoutservice-egress",
        "shop/shippingservice-ingress",
    ),
    (
        "shop/checkoutservice",
        "shop/emailservice",
        8080,
        "TCP",
        0.6,
        "shop/checkoutservice-egress",
        "shop/emailservice-ingress",
    ),
    (
        "shop/checkoutservice",
        "shop/currencyservice",
        7000,
        "TCP",
        0.6,
        "shop/checkoutservice-egress",
        "shop/currencyservice-ingress",
    ),
    (
        "shop/checkoutservice",
        "shop/cartservice",
        7070,
        "TCP",
        0.6,
        "shop/checkoutservice-egress",
        "shop/cartservice-ingress",
    ),
    (
        "shop/checkoutservice",
        "pci/paymentservice",
        50051,
        "TCP",
        0.7,
        "shop/checkoutservice-egress-payment",
        "pci/paymentservice-ingress",
    ),
    (
        "shop/recommendationservice",
        "shop/productcatalogservice",
        3550,
        "TCP",
        0.8,
        "shop/recommendationservice-egress",
        "shop/productcatalogservice-ingress",
    ),
    (
        "shop/cartservice",
        "shop/redis-cart",
        6379,
        "TCP",
        1.5,
        "shop/cartservice-egress",
        "shop/redis-cart-ingress",
    ),
    (
        "pci/paymentservice",
        "pci/card-vault",
        5432,
        "TCP",
        0.7,
        "pci/paymentservice-egress",
        "pci/card-vault-ingress",
    ),
    (
        "shop/recommendationservice",
        f"ip:{ML_API_IP}",
        443,
        "TCP",
        0.5,
        "shop/recommendation-egress-ml-api",
        None,
    ),
    ("kube-system/coredns", f"ip:{UPSTREAM_DNS}", 53, "UDP", 0.8, "kube-system/coredns-egress", None),
    ("kube-system/coredns", f"ip:{APISERVER_IP}", 443, "TCP", 0.3, "kube-system/coredns-egress", None),
    (
        "world",
        "ingress-nginx/ingress-nginx-controller",
        443,
        "TCP",
        3,
        None,
        "ingress-nginx/ingress-nginx-controller-ingress",
    ),
    (
        "world",
        "ingress-nginx/ingress-nginx-controller",
        80,
        "TCP",
        0.4,
        None,
        "ingress-nginx/ingress-nginx-controller-ingress",
    ),
]
# Prometheus scrapes (allow-prometheus-scrape, 7000-8080) and node-agents; never coredns:9153 (c).
for target, port in [
    ("shop/frontend", 8080),
    ("shop/currencyservice", 7000),
    ("shop/cartservice", 7070),
    ("shop/emailservice", 8080),
    ("shop/recommendationservice", 8080),
]:
    CALLS.append(("monitoring/prometheus", target, port, "TCP", 0.5, None, "shop/allow-prometheus-scrape"))
CALLS.append(("monitoring/prometheus", "nodes", 9100, "TCP", 0.5, None, None))
# DNS from every workload that resolves names.
for ns_wl, pol in [
    ("shop/frontend", "shop/allow-dns"),
    ("shop/checkoutservice", "shop/allow-dns"),
    ("shop/recommendationservice", "shop/allow-dns"),
    ("shop/cartservice", "shop/allow-dns"),
    ("shop/loadgenerator", "shop/allow-dns"),
    ("pci/paymentservice", "pci/paymentservice-egress"),
    ("ingress-nginx/ingress-nginx-controller", "ingress-nginx/ingress-nginx-controller-egress"),
    ("monitoring/prometheus", None),
]:
    CALLS.append((ns_wl, "kube-system/coredns", 53, "UDP", 0.6, pol, "kube-system/coredns-ingress"))

WORLD_CLIENTS = [
    "81.2.69.142",
    "93.184.216.34",
    "151.101.1.69",
    "185.199.108.153",
    "104.16.132.229",
    "52.95.110.1",
    "41.203.64.129",
    "200.160.2.3",
    "133.11.0.1",
    "46.19.37.108",
]


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


class Cluster:
    def __init__(self) -> None:
        snap = k8sviz.load(HERE / "cluster")
        self.pods: dict[str, list] = {}
        for p in snap.pods:
            if not p.synthesized:
                self.pods.setdefault(f"{p.namespace}/{p.workload}", []).append(p)
        self.nodes = {n.name: n.internal_ips[0] for n in snap.nodes}
        self.identity = {k: 10000 + i * 7 for i, k in enumerate(sorted(self.pods))}

    def endpoint(self, key: str, rng: random.Random) -> dict:
        """``{ip, node, ep (Hubble endpoint), pod}`` of one instance of ``key``."""
        if key == "world":
            return {
                "ip": rng.choice(WORLD_CLIENTS),
                "node": None,
                "pod": None,
                "ep": {"identity": 2, "labels": ["reserved:world"]},
            }
        if key.startswith("ip:"):
            ip = key[3:]
            return {"ip": ip, "node": None, "pod": None, "ep": {"identity": 2, "labels": ["reserved:world"]}}
        if key == "nodes":
            name = rng.choice(sorted(self.nodes))
            return {
                "ip": self.nodes[name],
                "node": name,
                "pod": None,
                "ep": {"identity": 6, "labels": ["reserved:remote-node"]},
            }
        pod = rng.choice(self.pods[key])
        labels = [f"k8s:{k}={v}" for k, v in sorted(pod.labels.items()) if k != "pod-template-hash"]
        labels.append(f"k8s:io.kubernetes.pod.namespace={pod.namespace}")
        kind = pod.workload_kind
        return {
            "ip": pod.ips[0],
            "node": pod.node,
            "pod": pod,
            "ep": {
                "ID": 100 + sum(map(ord, pod.name)) % 3000,
                "identity": self.identity[key],
                "namespace": pod.namespace,
                "labels": labels,
                "pod_name": pod.name,
                "workloads": [{"name": pod.workload, "kind": kind}],
            },
        }


def hubble_flow(
    rng, t, node, src, dst, sport, dport, proto, verdict, direction, reply=False, allowed_by=None, drop=None
) -> dict:
    if reply:
        src, dst, sport, dport = dst, src, dport, sport
    l4 = {proto: {"source_port": sport, "destination_port": dport}}
    if proto == "TCP":
        l4["TCP"]["flags"] = {"SYN": True, "ACK": True} if reply else {"SYN": True}
    f = {
        "time": iso(t),
        "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "verdict": verdict,
        "ethernet": {"source": "0a:58:0a:f4:00:01", "destination": "0a:58:0a:f4:00:02"},
        "IP": {"source": src["ip"], "destination": dst["ip"], "ipVersion": "IPv4"},
        "l4": l4,
        "source": src["ep"],
        "destination": dst["ep"],
        "Type": "L3_L4",
        "node_name": node,
        "event_type": {"type": 1 if verdict == "DROPPED" else 4, **({"sub_type": 133} if drop else {})},
        "traffic_direction": direction,
        "trace_observation_point": "TO_STACK" if direction == "EGRESS" else "TO_ENDPOINT",
        "is_reply": reply,
        "Summary": f"{proto} Flags: {'SYN, ACK' if reply else 'SYN'}" if proto == "TCP" else proto,
    }
    if drop:
        f["drop_reason"] = 133
        f["drop_reason_desc"] = drop
        f["trace_observation_point"] = "UNKNOWN_POINT"
    if allowed_by and not reply:
        ns, name = allowed_by.split("/")
        key = "egress_allowed_by" if direction == "EGRESS" else "ingress_allowed_by"
        f[key] = [
            {
                "name": name,
                "namespace": ns,
                "labels": [f"k8s:io.cilium.k8s.policy.name={name}"],
                "revision": 7,
            }
        ]
    return f


def main() -> None:
    rng = random.Random(SEED)
    cl = Cluster()
    OUT.mkdir(exist_ok=True)
    lines: list[tuple[dt.datetime, dict]] = []
    calico: dict[tuple, dict] = {}

    def emit(t: dt.datetime, node: str, flow: dict) -> None:
        shown = t + SKEW if node == SKEW_NODE else t
        flow["time"] = iso(shown)
        lines.append((shown, {"flow": flow, "node_name": node, "time": iso(shown)}))

    def connection(t, caller, callee, port, proto, egress_pol, ingress_pol, verdict_at_dst="FORWARDED"):
        src = cl.endpoint(caller, rng)
        dst = cl.endpoint(callee, rng)
        sport = rng.randint(32768, 60999)
        if src["node"] and src["pod"] is not None:
            emit(
                t,
                src["node"],
                hubble_flow(
                    rng,
                    t,
                    src["node"],
                    src,
                    dst,
                    sport,
                    port,
                    proto,
                    "FORWARDED",
                    "EGRESS",
                    allowed_by=egress_pol,
                ),
            )
        t2 = t + dt.timedelta(microseconds=rng.randint(150, 900))
        if dst["pod"] is not None and not dst["pod"].host_network:
            if verdict_at_dst == "DROPPED":
                for k in range(3):  # SYN and two retransmissions
                    emit(
                        t2 + dt.timedelta(seconds=k * (k + 1)),
                        dst["node"],
                        hubble_flow(
                            rng,
                            t2,
                            dst["node"],
                            src,
                            dst,
                            sport,
                            port,
                            proto,
                            "DROPPED",
                            "INGRESS",
                            drop="POLICY_DENIED",
                        ),
                    )
            else:
                emit(
                    t2,
                    dst["node"],
                    hubble_flow(
                        rng,
                        t2,
                        dst["node"],
                        src,
                        dst,
                        sport,
                        port,
                        proto,
                        "FORWARDED",
                        "INGRESS",
                        allowed_by=ingress_pol,
                    ),
                )
                if rng.random() < 0.3:
                    t3 = t2 + dt.timedelta(milliseconds=rng.randint(1, 40))
                    emit(
                        t3,
                        dst["node"],
                        hubble_flow(
                            rng,
                            t3,
                            dst["node"],
                            src,
                            dst,
                            sport,
                            port,
                            proto,
                            "FORWARDED",
                            "EGRESS",
                            reply=True,
                        ),
                    )
        if t >= CALICO_FROM:
            calico_add(t, src, dst, caller, callee, port, proto, verdict_at_dst, egress_pol, ingress_pol)

    def calico_add(t, src, dst, caller, callee, port, proto, verdict, egress_pol, ingress_pol):
        hour = t.replace(minute=0, second=0, microsecond=0)
        action = "deny" if verdict == "DROPPED" else "allow"
        for reporter in ("src", "dst"):
            side = src if reporter == "src" else dst
            if side["pod"] is None:
                continue  # Calico reports only from workload endpoints
            if action == "deny" and reporter == "src":
                continue
            key = (
                hour,
                reporter,
                caller,
                callee,
                port,
                proto,
                action,
                (src["ip"], dst["ip"]) if action == "deny" else None,
                side["node"],
            )
            doc = calico.get(key)
            if doc is None:
                doc = calico[key] = calico_doc(
                    hour,
                    reporter,
                    src,
                    dst,
                    caller,
                    callee,
                    port,
                    proto,
                    action,
                    egress_pol if reporter == "src" else ingress_pol,
                )
            doc["num_flows"] += 1
            doc["num_flows_started"] += 1
            doc["num_flows_completed"] += 1
            b = rng.randint(400, 9000)
            doc["bytes_out" if reporter == "src" else "bytes_in"] += b
            doc["bytes_in" if reporter == "src" else "bytes_out"] += rng.randint(200, 40000)
            doc["packets_out"] += rng.randint(3, 12)
            doc["packets_in"] += rng.randint(3, 30)

    def calico_doc(hour, reporter, src, dst, caller, callee, port, proto, action, pol):
        def side(ep, key, prefix):
            pod = ep["pod"]
            if pod is None:
                public = not ep["ip"].startswith(("10.", "172.16.", "192.168."))
                return {
                    f"{prefix}_type": "net",
                    f"{prefix}_namespace": "-",
                    f"{prefix}_name": "-",
                    f"{prefix}_name_aggr": "pub" if public else "pvt",
                    f"{prefix}_ip": "-",
                    f"{prefix}_labels": {"labels": []},
                }
            aggr = (
                pod.name if pod.workload_kind == "StatefulSet" else pod.name[: pod.name.rfind("-") + 1] + "*"
            )
            per_pod = action == "deny"
            return {
                f"{prefix}_type": "wep",
                f"{prefix}_namespace": pod.namespace,
                f"{prefix}_name": pod.name if per_pod else "-",
                f"{prefix}_name_aggr": aggr,
                f"{prefix}_ip": ep["ip"] if per_pod else "-",
                f"{prefix}_labels": {"labels": [f"{k}={v}" for k, v in sorted(pod.labels.items())]},
            }

        if action == "deny":
            trace = [f"0|default|{callee.split('/')[0]}/knp.default.default-deny-all|deny|-1"]
        elif pol is None:
            trace = [
                f"0|__PROFILE__|__PROFILE__.kns.{(src if reporter == 'src' else dst)['pod'].namespace}|allow|0"
            ]
        else:
            ns, name = pol.split("/")
            trace = [f"0|default|{ns}/knp.default.{name}|allow|0"]
        node = (src if reporter == "src" else dst)["node"]
        doc = {
            "start_time": int(hour.timestamp()),
            "end_time": int(hour.timestamp()) + 3600,
            "action": action,
            "bytes_in": 0,
            "bytes_out": 0,
            "packets_in": 0,
            "packets_out": 0,
            **side(src, caller, "source"),
            "source_port": None,
            **side(dst, callee, "dest"),
            "dest_port": port,
            "dest_service_name": callee.split("/")[-1] if dst["pod"] is not None else "-",
            "dest_service_namespace": callee.split("/")[0] if dst["pod"] is not None else "-",
            "dest_service_port": port if dst["pod"] is not None else None,
            "proto": proto.lower(),
            "reporter": reporter,
            "host": node,
            "num_flows": 0,
            "num_flows_started": 0,
            "num_flows_completed": 0,
            "policies": {"all_policies": trace, "enforced_policies": trace, "pending_policies": []},
            "@timestamp": int(hour.timestamp()) + 3600,
        }
        return doc

    for h in range(HOURS):
        hour = START + dt.timedelta(hours=h)
        daily = 0.6 + 0.8 * (1 if 8 <= hour.hour <= 22 else 0)  # more shoppers by day
        for caller, callee, port, proto, rate, epol, ipol in CALLS:
            n = sum(1 for _ in range(4) if rng.random() < rate * daily / 4)
            for _ in range(n):
                t = hour + dt.timedelta(seconds=rng.uniform(0, 3600))
                dropped = (caller, callee) == (
                    "shop/checkoutservice",
                    "pci/paymentservice",
                ) and DROP_FROM <= t < DROP_TO
                connection(t, caller, callee, port, proto, epol, ipol, "DROPPED" if dropped else "FORWARDED")
        if hour.hour == 3 and hour.day % 2 == 0:  # occasional ring-buffer overflow and agent events
            t = hour + dt.timedelta(seconds=rng.uniform(0, 3600))
            node = rng.choice(sorted(cl.nodes))
            lines.append(
                (
                    t,
                    {
                        "lost_events": {
                            "source": "HUBBLE_RING_BUFFER",
                            "num_events_lost": rng.randint(1, 40),
                            "cpu": rng.randint(0, 3),
                        },
                        "node_name": node,
                        "time": iso(t),
                    },
                )
            )
            lines.append(
                (
                    t,
                    {
                        "agent_event": {
                            "type": "ENDPOINT_REGENERATE_SUCCESS",
                            "endpoint_regenerate": {"id": 1234, "labels": []},
                        },
                        "node_name": node,
                        "time": iso(t),
                    },
                )
            )
    # (b) checkout -> payment drops, guaranteed several connections in the window
    for k in range(6):
        t = DROP_FROM + dt.timedelta(seconds=40 + 75 * k)
        connection(
            t,
            "shop/checkoutservice",
            "pci/paymentservice",
            50051,
            "TCP",
            "shop/checkoutservice-egress-payment",
            "pci/paymentservice-ingress",
            "DROPPED",
        )
    # (a) loadgenerator -> cartservice directly, forwarded (policy not enforced during a Cilium upgrade)
    for k in range(12):
        t = LEAK_FROM + dt.timedelta(seconds=30 + 220 * k + rng.uniform(0, 60))
        connection(t, "shop/loadgenerator", "shop/cartservice", 7070, "TCP", None, None)
    # (e) the ML API is resolved by name: mark its flows with the DNS name Hubble learned
    for _, rec in lines:
        f = rec.get("flow")
        if f and f["IP"]["destination"] == ML_API_IP:
            f["destination_names"] = ["ml-api.example.net"]
    lines.sort(key=lambda x: x[0])
    raw = b"".join(json.dumps(rec, separators=(",", ":")).encode() + b"\n" for _, rec in lines)
    with (
        open(OUT / "hubble.json.gz", "wb") as fh,
        gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz,
    ):
        gz.write(raw)
    docs = [calico[k] for k in sorted(calico, key=lambda k: (k[0], k[1], k[2], k[3], k[4], str(k[7]), k[8]))]
    with open(OUT / "calico.json", "w") as fh:
        fh.write("[\n" + ",\n".join(json.dumps(d, separators=(",", ":")) for d in docs) + "\n]\n")
    print(f"{len(lines)} Hubble lines, {len(docs)} Calico documents -> {OUT}")


if __name__ == "__main__":
    main()
