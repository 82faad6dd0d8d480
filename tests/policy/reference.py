"""A deliberately plain policy evaluator: one connection at a time, from the API docs.

NetworkPolicy (networking.k8s.io/v1), and AdminNetworkPolicy / BaselineAdminNetworkPolicy
(policy.networking.k8s.io/v1alpha1) around it.  It shares nothing with k8sviz.policy; it only
reads the model dataclasses.  Endpoints are Pods or external IP strings.
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


def _address(ep):
    """The address traffic from or to ``ep`` carries: a pod's IPs, a host pod's host IP."""
    if not _is_pod(ep):
        return [ep]
    if ep.host_network:
        return [ep.host_ip] if ep.host_ip else list(ep.ips[:1])
    return list(ep.ips)


def admin_peer_ok(snap, peer, ep):
    """An AdminNetworkPolicy peer (namespaces, pods, networks, nodes) matching ``ep``."""
    if peer.namespaces is not None or peer.pods is not None:
        if not _is_pod(ep) or ep.host_network:
            return False  # "host-networked pods are not included in this type of peer"
        ns_sel, pod_sel = (peer.namespaces, None) if peer.namespaces is not None else peer.pods
        return selector_ok(ns_sel, _ns_labels(snap, ep.namespace)) and (
            pod_sel is None or selector_ok(pod_sel, ep.labels)
        )
    if peer.networks:  # "cluster-internal traffic will be checked against the rule as well"
        return any(_in_block(b, a) for b in peer.networks for a in _address(ep))
    if peer.nodes is not None:  # "the nodeIPs": a node's address, so not a pod network address
        if _is_pod(ep) and not ep.host_network:
            return False
        node_ips = {ip for n in snap.nodes if selector_ok(peer.nodes, n.labels) for ip in n.internal_ips + n.external_ips}
        return any(ipaddress.ip_address(a) in {ipaddress.ip_address(x) for x in node_ips} for a in _address(ep))
    return False  # domainNames: not judged; unknown peers are handled by the caller


def admin_port_ok(rule, dst, proto, port):
    if rule.ports is None:
        return True
    for pp in rule.ports:
        if isinstance(pp.port, str):  # a named port, whatever its protocol
            if _is_pod(dst) and _named(dst, pp.port, proto) == port:
                return True
        elif pp.protocol == proto and pp.port <= port <= (pp.end_port or pp.port):
            return True
    return False


def _admin_subject(snap, pol, pod):
    ns_sel, pod_sel = pol.subject
    return (not pod.host_network) and selector_ok(ns_sel, _ns_labels(snap, pod.namespace)) and selector_ok(pod_sel, pod.labels)


def admin_decision(snap, policies, ep, other, proto, port, direction):
    """The action of the first matching rule (Allow, Deny, Pass) of ``policies`` in order, or None."""
    for pol in policies:
        if not _admin_subject(snap, pol, ep):
            continue
        for rule in pol.egress if direction == "egress" else pol.ingress:
            dst = other if direction == "egress" else ep
            action = "Allow" if rule.action == "Accept" else rule.action  # ClusterNetworkPolicy's word
            if any(p.unknown for p in rule.peers) and action != "Allow":
                return "Deny"  # fail closed: "treat the rule as a 'Deny all' rule"
            if any(admin_peer_ok(snap, p, other) for p in rule.peers if not p.unknown) and admin_port_ok(
                rule, dst, proto, port
            ):
                return action
    return None


def side_ok(snap, ep, other, proto, port, direction, ipblocks_match_pods):
    """Whether ``ep`` lets the connection out (egress) or in (ingress)."""
    if not _is_pod(ep) or ep.host_network:
        return True
    # Each tier in priority order (ties, undefined in the API, by kind and name).
    order = lambda p: (p.priority or 0, p.kind, p.name)  # noqa: E731
    admins = sorted((p for p in snap.admin_policies if not p.baseline), key=order)
    action = admin_decision(snap, admins, ep, other, proto, port, direction)
    if action in ("Allow", "Deny"):
        return action == "Allow"
    # Pass, or no admin rule: NetworkPolicy, then the baseline for pods it does not select.
    verdict = np_side(snap, ep, other, proto, port, direction, ipblocks_match_pods)
    if verdict is not None:
        return verdict
    baselines = sorted((p for p in snap.admin_policies if p.baseline), key=order)
    return admin_decision(snap, baselines, ep, other, proto, port, direction) != "Deny"  # Pass: allowed


def np_side(snap, ep, other, proto, port, direction, ipblocks_match_pods):
    """NetworkPolicy's verdict for ``ep`` in ``direction``, or None when no policy isolates it."""
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
    return False if isolated else None


def allowed(snap, src, dst, proto, port, ipblocks_match_pods=False):
    return side_ok(snap, src, dst, proto, port, "egress", ipblocks_match_pods) and side_ok(
        snap, dst, src, proto, port, "ingress", ipblocks_match_pods
    )
