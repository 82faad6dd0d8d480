"""A deliberately plain NetworkPolicy evaluator: one connection at a time, from the API docs.

It shares nothing with k8sviz.policy; it only reads the model dataclasses.  Endpoints are
Pods or external IP strings.
"""

from __future__ import annotations

import ipaddress


def _expr_ok(labels, key, op, values):
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    raise ValueError(op)


def selector_ok(sel, labels):
    for k, v in sel.match_labels:
        if labels.get(k) != v:
            return False
    return all(_expr_ok(labels, r.key, r.operator, r.values) for r in sel.match_expressions)


def _in_block(block, ip):
    a = ipaddress.ip_address(ip)
    net = ipaddress.ip_network(block.cidr, strict=False)
    if a.version != net.version or a not in net:
        return False
    return not any(a in ipaddress.ip_network(e, strict=False) for e in block.except_)


def _is_pod(x):
    return not isinstance(x, str)


def _ns_labels(snap, ns):
    for n in snap.namespaces:
        if n.name == ns:
            return n.labels
    return {"kubernetes.io/metadata.name": ns}


def peer_ok(snap, peer, policy_ns, ep, ipblocks_match_pods):
    if peer.ip_block is not None:
        if not _is_pod(ep):
            return _in_block(peer.ip_block, ep)
        if ep.host_network:
            addr = ep.host_ip or (ep.ips[0] if ep.ips else None)
            return addr is not None and _in_block(peer.ip_block, addr)
        return ipblocks_match_pods and any(_in_block(peer.ip_block, ip) for ip in ep.ips)
    if not _is_pod(ep) or ep.host_network:
        return False
    if peer.namespace_selector is None:
        ns_ok = ep.namespace == policy_ns
    else:
        ns_ok = selector_ok(peer.namespace_selector, _ns_labels(snap, ep.namespace))
    pod_ok = peer.pod_selector is None or selector_ok(peer.pod_selector, ep.labels)
    return ns_ok and pod_ok


def _named(pod, name, proto):
    for c in pod.containers:
        if c.init:
            continue
        for p in c.ports:
            if p.name == name and p.protocol == proto:
                return p.container_port
    return None


def port_ok(rule, dst, proto, port):
    if not rule.ports:
        return True
    for pp in rule.ports:
        if pp.protocol != proto:
            continue
        if pp.port is None:
            return True
        if isinstance(pp.port, int):
            if pp.port <= port <= (pp.end_port or pp.port):
                return True
        elif _is_pod(dst) and _named(dst, pp.port, proto) == port:
            return True
    return False


def _selects(pol, pod):
    return (not pod.host_network) and pod.namespace == pol.namespace and selector_ok(pol.pod_selector, pod.labels)


def side_ok(snap, ep, other, proto, port, direction, ipblocks_match_pods):
    """Whether ``ep`` lets the connection out (egress) or in (ingress)."""
    if not _is_pod(ep) or ep.host_network:
        return True
    isolated = False
    for pol in snap.network_policies:
        ptype = "Egress" if direction == "egress" else "Ingress"
        if ptype not in pol.policy_types or not _selects(pol, ep):
            continue
        isolated = True
        for rule in pol.egress if direction == "egress" else pol.ingress:
            peers_ok = (not rule.peers) or any(
                peer_ok(snap, pe, pol.namespace, other, ipblocks_match_pods) for pe in rule.peers
            )
            dst = other if direction == "egress" else ep
            if peers_ok and port_ok(rule, dst, proto, port):
                return True
    return not isolated


def allowed(snap, src, dst, proto, port, ipblocks_match_pods=False):
    return side_ok(snap, src, dst, proto, port, "egress", ipblocks_match_pods) and side_ok(
        snap, dst, src, proto, port, "ingress", ipblocks_match_pods
    )
