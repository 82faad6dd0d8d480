"""A deliberately plain policy evaluator: one connection at a time, from the API docs.

NetworkPolicy (networking.k8s.io/v1), and AdminNetworkPolicy / BaselineAdminNetworkPolicy
(policy.networking.k8s.io/v1alpha1) around it; Calico tiers (projectcalico.org/v3) around all
of them; Cilium's rules, and where its agent cannot merge two L7 parsers.  It shares nothing
with k8sviz.policy; it only reads the model dataclasses (Calico
selectors are evaluated with the model's ``Selector.matches``, tested on its own).  Endpoints
are Pods or external IP strings; :func:`resolve` reads a query's names as the README promises.
"""

from __future__ import annotations

import ipaddress
import re


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
        # Cilium enforces an ipBlock as a CIDR rule, which never selects a node or its
        # hostNetwork pods ("CIDR-based selectors do not match in-cluster entities").
        if _runs_cilium(snap) and (_is_pod(ep) and ep.host_network or not _is_pod(ep) and _node_ip(snap, ep)):
            return False
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
    pod_ok = peer.pod_selector is None or _np_pods_ok(
        snap, peer.pod_selector, policy_ns if peer.namespace_selector is None else None, ep)
    return ns_ok and pod_ok


def _np_pods_ok(snap, sel, pinned_to, pod):
    """A NetworkPolicy pod selector: over the pod's labels; where Cilium enforces it, over the
    identity's labels, a selector in its policy's namespace getting that namespace as its
    io.kubernetes.pod.namespace matchLabels entry (written there or not), as Cilium's
    translation sets it."""
    if not _runs_cilium(snap):
        return selector_ok(sel, pod.labels)
    view = _cilium_view(snap, pod)
    if pinned_to is not None:
        if pod.namespace != pinned_to:
            return False
        sel = type(sel)(tuple((k, v) for k, v in sel.match_labels if k != "io.kubernetes.pod.namespace"),
                        sel.match_expressions)
    return selector_ok(sel, view)


def _runs_cilium(snap):
    """Cilium is the CNI: its agents run, or there are Cilium policies."""
    return bool(snap.cilium_policies) or any(
        c.name == "cilium-agent" and not c.init for p in snap.pods if not p.terminated for c in p.containers)


def _named(snap, pod, name, proto, port):
    """Whether a (non-init) container of ``pod`` names ``port`` ``name``: any container counts,
    as kube-network-policies checks them (the API keeps names unique per container only).
    Where Cilium runs, the last container that names it, as its agent's name -> port map keeps."""
    if _runs_cilium(snap):
        return _last_named(pod, name) == (proto, port)
    return any(p.name == name and p.protocol == proto and p.container_port == port
               for c in pod.containers if not c.init for p in c.ports)


def _last_named(pod, name):
    """(protocol, port) of the last (non-init) container port of ``pod`` named ``name``, or None:
    the one Cilium's agent keeps for the name."""
    last = None
    for c in pod.containers:
        if c.init:
            continue
        for p in c.ports:
            if p.name == name:
                last = (p.protocol, p.container_port)
    return last


def _egress_named_number(snap, name, proto):
    """The number an egress rule's port ``name`` is where Cilium up to 1.19 (or of no known
    release) enforces it, over the cluster's pods as its agent collects them (each pod's last
    container naming it): the one number pods give it for ``proto``, else None (several, or
    none: the port allows nothing).  Cilium 1.20 resolves it on the destination."""
    found = set()
    for pod in snap.pods:
        if pod.host_network or pod.terminated:
            continue
        last = _last_named(pod, name)
        if last is not None and last[0] == proto:
            found.add(last[1])
    return found.pop() if len(found) == 1 else None


def _cluster_wide_egress(snap, direction):
    release = _cilium_release(snap)
    return direction == "egress" and _runs_cilium(snap) and (release is None or release < (1, 20))


def _named_port_ok(snap, dst, name, proto, port, direction):
    """Whether the port ``name`` of a rule for ``direction`` is ``port`` towards ``dst``."""
    if _cluster_wide_egress(snap, direction):
        return _egress_named_number(snap, name, proto) == port
    return _is_pod(dst) and _named(snap, dst, name, proto, port)


def port_ok(snap, rule, dst, proto, port, direction="ingress"):
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
        elif _named_port_ok(snap, dst, pp.port, proto, port, direction):
            return True
    return False


def _selects(snap, pol, pod):
    return (not pod.host_network) and pod.namespace == pol.namespace and _np_pods_ok(
        snap, pol.pod_selector, pol.namespace, pod)


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


def admin_port_ok(snap, rule, dst, proto, port):
    if rule.ports is None:
        return True
    for pp in rule.ports:
        if isinstance(pp.port, str):  # a named port, whatever its protocol
            if _is_pod(dst) and _named(snap, dst, pp.port, proto, port):
                return True
        elif pp.protocol == proto and pp.port <= port <= (pp.end_port or pp.port):
            return True
    return False


def _admin_subject(snap, pol, pod):
    ns_sel, pod_sel = pol.subject
    return (not pod.host_network) and selector_ok(ns_sel, _ns_labels(snap, pod.namespace)) and selector_ok(pod_sel, pod.labels)


def admin_decision(snap, policies, ep, other, proto, port, direction):
    """The action of the first matching rule (Allow, Deny, Pass) of ``policies`` in order, or None."""
    found = admin_match(snap, policies, ep, other, proto, port, direction)
    return None if found is None else found[2].capitalize()


def admin_match(snap, policies, ep, other, proto, port, direction):
    """The first matching rule of ``policies`` in order: ``(kind/name, rule index, action)``,
    the action "allow", "deny" or "pass"; None when no rule matches."""
    for pol in policies:
        if not _admin_subject(snap, pol, ep):
            continue
        for i, rule in enumerate(pol.egress if direction == "egress" else pol.ingress):
            dst = other if direction == "egress" else ep
            action = "Allow" if rule.action == "Accept" else rule.action  # ClusterNetworkPolicy's word
            if any(p.unknown for p in rule.peers) and action != "Allow":
                # fail closed: "treat the rule as a 'Deny all' rule"
                return f"{pol.kind}/{pol.name}", i, "deny"
            if any(admin_peer_ok(snap, p, other) for p in rule.peers if not p.unknown) and admin_port_ok(snap,
                rule, dst, proto, port
            ):
                return f"{pol.kind}/{pol.name}", i, action.lower()
    return None


def node_local(snap, src, dst):
    """Whether ``src`` is ``dst``'s own node: a hostNetwork pod on it, or one of its addresses
    (a Node's, or the hostIP of a pod on it).  NetworkPolicySpec.ingress: "Traffic is allowed
    to a pod if ... OR if the traffic source is the pod's local node"."""
    if not _is_pod(dst) or dst.host_network or not dst.node:
        return False
    if _is_pod(src):
        return src.host_network and src.node == dst.node
    a = ipaddress.ip_address(src)
    owners = [n.name for n in snap.nodes for x in n.internal_ips + n.external_ips if ipaddress.ip_address(x) == a]
    # Then what pods say (a hostNetwork pod's addresses are its node's): running ones first.
    for ended in (False, True):
        for p in snap.pods:
            addrs = [p.host_ip, *(p.ips if p.host_network else ())]
            if p.node and p.terminated == ended and any(x and ipaddress.ip_address(x) == a for x in addrs):
                owners.append(p.node)
    return bool(owners) and owners[0] == dst.node


def side_ok(snap, ep, other, proto, port, direction, ipblocks_match_pods):
    """Whether ``ep`` lets the connection out (egress) or in (ingress)."""
    if not _is_pod(ep) or ep.host_network:
        return True
    local = direction == "ingress" and node_local(snap, other, ep)
    if snap.calico_policies or snap.calico_tiers:
        return calico_side(snap, ep, other, proto, port, direction, ipblocks_match_pods, local)
    # Each tier in priority order (ties, undefined in the API, by kind and name).
    order = lambda p: (p.priority or 0, p.kind, p.name)  # noqa: E731
    admins = sorted((p for p in snap.admin_policies if not p.baseline), key=order)
    action = admin_decision(snap, admins, ep, other, proto, port, direction)
    if action in ("Allow", "Deny"):
        return action == "Allow"
    # Pass, or no admin rule: NetworkPolicy (with Cilium's, which share its repository), then
    # the baseline for pods they do not decide.
    if any(not p.unsupported for p in snap.cilium_policies):
        verdict = cilium_side(snap, ep, other, proto, port, direction, ipblocks_match_pods, local)
    elif local:
        verdict = True  # the node-local exception, where NetworkPolicy stands
    else:
        verdict = np_side(snap, ep, other, proto, port, direction, ipblocks_match_pods)
    if verdict is not None:
        return verdict
    baselines = sorted((p for p in snap.admin_policies if p.baseline), key=order)
    return admin_decision(snap, baselines, ep, other, proto, port, direction) != "Deny"  # Pass: allowed


def np_side(snap, ep, other, proto, port, direction, ipblocks_match_pods, required=()):
    """NetworkPolicy's verdict for ``ep`` in ``direction``, or None when no policy isolates it;
    ``required``: Cilium's requirements for ``ep`` (see :func:`np_policy_allows`)."""
    isolated = False
    for pol in snap.network_policies:
        if pol.unsupported:
            continue  # not judged (listed as such)
        ptype = "Egress" if direction == "egress" else "Ingress"
        if ptype not in pol.policy_types or not _selects(snap, pol, ep):
            continue
        isolated = True
        if np_policy_allows(snap, pol, ep, other, proto, port, direction, ipblocks_match_pods, required):
            return True
    return False if isolated else None


def np_policy_allows(snap, pol, ep, other, proto, port, direction, ipblocks_match_pods, required=()):
    """Whether a rule of NetworkPolicy ``pol`` (which selects ``ep``) allows the connection.

    ``required``: where Cilium enforces it, the ``fromRequires`` / ``toRequires`` of the Cilium
    rules selecting ``ep``, which its agent ANDs into the endpoint selectors it makes of a
    NetworkPolicy (each pod / namespace selector peer, and the wildcard selector of an empty
    ``from`` / ``to``), never into an ipBlock's CIDR rule."""
    return bool(np_allowing_rules(snap, pol, ep, other, proto, port, direction, ipblocks_match_pods,
                                  required))


def np_allowing_rules(snap, pol, ep, other, proto, port, direction, ipblocks_match_pods, required=()):
    """The indices of the rules of ``pol`` (which selects ``ep``) that allow the connection."""
    met = not required or all(
        selector_ok(r, _cilium_view(snap, other) if _is_pod(other) and not other.host_network else {})
        for r in required)
    out = []
    for i, rule in enumerate(pol.egress if direction == "egress" else pol.ingress):
        peers_ok = (not rule.peers and met) or any(
            peer_ok(snap, pe, pol.namespace, other, ipblocks_match_pods) and (met or pe.ip_block is not None)
            for pe in rule.peers or ()
        )
        if peers_ok and port_ok(snap, rule, other if direction == "egress" else ep, proto, port, direction):
            out.append(i)
    return out


def allowed(snap, src, dst, proto, port, ipblocks_match_pods=False):
    return side_ok(snap, src, dst, proto, port, "egress", ipblocks_match_pods) and side_ok(
        snap, dst, src, proto, port, "ingress", ipblocks_match_pods
    )


# ------------------------------------------------------------------------------ what a query names


def resolve(snap, ref):
    """The endpoints a query's ``ref`` stands for, as the README and ``can_reach`` say: a pod's
    "namespace/name"; else a workload's "namespace/name", all its pods (a pod name wins over a
    workload of the same name); else an IP address: the pod holding it (never a hostNetwork
    pod; a Running one before other live ones before ended ones, then the first listed), or
    the address itself, outside the pods."""
    pods = [p for p in snap.pods if p.key == ref] or [p for p in snap.pods if p.workload_key == ref]
    if pods:
        return pods[:1] if pods[0].key == ref else pods
    a = ipaddress.ip_address(ref)

    def rank(p):
        return 2 if p.terminated else 0 if p.phase == "Running" else 1

    holders = [p for p in snap.pods if not p.host_network and not p.synthesized
               and any(ipaddress.ip_address(x) == a for x in p.ips)]
    return [min(holders, key=rank)] if holders else [ref]  # min() keeps the first of a rank


def query_pairs(snap, src, dst):
    """The endpoint pairs a query judges, sources then destinations in order: never a pod
    with itself, nor two outside addresses."""
    return [(s, d) for s in resolve(snap, src) for d in resolve(snap, dst)
            if s is not d and (_is_pod(s) or _is_pod(d))]


def query_allowed(snap, src, dst, proto, port, ipblocks_match_pods=False):
    """``can_reach``'s promise: True if ANY pair of the endpoints connects."""
    return any(allowed(snap, s, d, proto, port, ipblocks_match_pods) for s, d in query_pairs(snap, src, dst))


def explained_pair(snap, src, dst, proto, port, ipblocks_match_pods=False):
    """The pair ``explain`` judges: the first pair that connects, or the first pair."""
    pairs = query_pairs(snap, src, dst)
    return next((p for p in pairs if allowed(snap, *p, proto, port, ipblocks_match_pods)), pairs[0])


# ------------------------------------------------------------------------------ what explain names


def np_selecting(snap, ep, direction):
    """The evaluated NetworkPolicies (``ns/name``, in the snapshot's order) that select ``ep``
    for ``direction``: those that isolate it there."""
    ptype = "Egress" if direction == "egress" else "Ingress"
    return [pol.key for pol in snap.network_policies
            if not pol.unsupported and ptype in pol.policy_types and _is_pod(ep) and _selects(snap, pol, ep)]


def np_allowing(snap, ep, other, proto, port, direction, ipblocks_match_pods, required=()):
    """``(ns/name, rule index)`` of every rule of a selecting NetworkPolicy that allows the
    connection: allows are additive, so each of them allows it on its own.  ``required``: as
    for :func:`np_policy_allows`."""
    by_key = {pol.key: pol for pol in snap.network_policies}
    return [(key, i) for key in np_selecting(snap, ep, direction)
            for i in np_allowing_rules(snap, by_key[key], ep, other, proto, port, direction,
                                       ipblocks_match_pods, required)]


def cilium_matches(snap, ep, other, proto, port, direction):
    """Cilium's part of one side: ``(denies, allows, closing)``, the matching deny and allow
    entries of the rules selecting ``ep`` as ``(policy ref, entry index)`` and the policies
    whose selecting rules put ``ep`` in default deny.  An entry's index counts the policy's
    entries for the direction, rule (spec) by rule, allow entries before deny entries."""
    dst = other if direction == "egress" else ep
    required = _cilium_requirements(snap, ep, direction)
    denies, allows, closing = [], [], []
    for pol in snap.cilium_policies:
        if pol.unsupported:
            continue
        index = 0
        for rule in pol.rules:
            allow_entries, deny_entries, closes = (
                (rule.ingress, rule.ingress_deny, rule.default_deny_ingress) if direction == "ingress"
                else (rule.egress, rule.egress_deny, rule.default_deny_egress))
            selected = (_cilium_selects(pol, rule, ep)
                        and selector_ok(rule.endpoint_selector, _cilium_view(snap, ep)))
            for action, entries in (("allow", allow_entries), ("deny", deny_entries)):
                for peer in entries:
                    if selected and (_cilium_required(snap, peer, other, ep, required[action])
                                     and _cilium_port_ok(snap, peer, dst, proto, port, direction)):
                        (allows if action == "allow" else denies).append((pol.ref, index))
                    index += 1
            if selected and closes and pol.ref not in closing:
                closing.append(pol.ref)
    return denies, allows, closing


def explain_side(snap, ep, other, proto, port, direction, ipblocks_match_pods):
    """What explain() should name for one side of a connection:
    ``{"admin", "policies", "allowed_by", "baseline", "steps"}``.

    Without Calico: ``admin`` the first matching admin-tier rule ``(kind/name, index, action)``
    or None; unless it decided (an Allow or Deny is final), ``policies`` the NetworkPolicies
    that select the endpoint and ``allowed_by`` every allowing rule (the node-local exception
    first, as ``("node/<node>", -1)``); ``baseline`` the first matching baseline rule, for an
    endpoint NetworkPolicy leaves alone; ``steps`` each tier's first matching rule up to the
    deciding one, as ``(tier, policy, index, action)`` (NetworkPolicy's: its first allowing
    rule, else the isolation of the first selecting policy, ``(ns/name, -1, "deny")``).
    With Cilium, its policies share NetworkPolicy's tier (:func:`cilium_matches`): a matching
    deny entry decides first and leaves ``allowed_by`` empty; its allow entries follow the
    NetworkPolicy rules in ``allowed_by``, the policies putting ``ep`` in default deny those in
    ``policies``.
    With Calico: ``steps`` as :func:`calico_steps` gives them, ``admin`` and ``baseline`` those
    tiers' steps; unless a tier before the default one decided, ``policies`` the NetworkPolicies
    that select the endpoint and ``allowed_by`` the node-local exception and
    :func:`calico_default_allows`.
    """
    if not _is_pod(ep) or ep.host_network:
        return {"admin": None, "policies": [], "allowed_by": [], "baseline": None, "steps": []}
    local = direction == "ingress" and node_local(snap, other, ep)
    if snap.calico_policies or snap.calico_tiers:
        steps = calico_steps(snap, ep, other, proto, port, direction, ipblocks_match_pods, local)
        reached = {step[0]: step[1:] for step in steps}
        out = {"admin": reached.get("admin"), "policies": [], "allowed_by": [],
               "baseline": reached.get("baseline"), "steps": steps}
        labels = [CALICO_TIER_NAMES.get(t, f"Calico tier {t}") for t in calico_tiers(snap)[0]]
        decided = [step[0] for step in steps if step[3] != "pass"]
        if decided and labels.index(decided[0]) < labels.index(CALICO_TIER_NAMES["default"]):
            return out  # decided before the tier of NetworkPolicies
        denies, _, closing, _ = _cilium_in_default_tier(snap, ep, other, proto, port, direction)
        out["policies"] = [*np_selecting(snap, ep, direction), *closing]
        if not denies:  # a Cilium deny stops the tier before any allow, its own node's too
            out["allowed_by"] = ([(f"node/{ep.node}", -1)] if local else []) + calico_default_allows(
                snap, ep, other, proto, port, direction, ipblocks_match_pods)
        return out
    order = lambda p: (p.priority or 0, p.kind, p.name)  # noqa: E731
    admins = sorted((p for p in snap.admin_policies if not p.baseline), key=order)
    admin = admin_match(snap, admins, ep, other, proto, port, direction)
    steps = [] if admin is None else [("admin", *admin)]
    out = {"admin": admin, "policies": [], "allowed_by": [], "baseline": None, "steps": steps}
    if admin is not None and admin[2] != "pass":
        return out
    out["policies"] = np_selecting(snap, ep, direction)
    tier, denies, allows, required = "NetworkPolicy", [], [], ()
    if any(not p.unsupported for p in snap.cilium_policies):
        # One repository with Cilium's rules: its denies first, whatever allows.
        tier = "Cilium (with NetworkPolicy)"
        denies, allows, closing = cilium_matches(snap, ep, other, proto, port, direction)
        out["policies"] += closing
        required = _cilium_requirements(snap, ep, direction)["allow"]
    if denies:
        steps.append((tier, *denies[0], "deny"))
        return out
    out["allowed_by"] = ([(f"node/{ep.node}", -1)] if local else []) + np_allowing(
        snap, ep, other, proto, port, direction, ipblocks_match_pods, required) + allows
    if out["allowed_by"]:
        steps.append((tier, *out["allowed_by"][0], "allow"))
        return out
    if out["policies"]:
        steps.append((tier, out["policies"][0], -1, "deny"))
        return out
    baselines = sorted((p for p in snap.admin_policies if p.baseline), key=order)
    out["baseline"] = admin_match(snap, baselines, ep, other, proto, port, direction)
    if out["baseline"] is not None:
        steps.append(("baseline", *out["baseline"]))
    return out


# ------------------------------------------------------------------------------ Calico

_PROTO_NUMBER = {"TCP": 6, "UDP": 17, "SCTP": 132}


def _ns_view(snap, ns):
    """What a namespace selector sees: the namespace's labels and name (Calico's profile labels)."""
    return {**_ns_labels(snap, ns), "projectcalico.org/name": ns}


def _inherited(snap, ns):
    return {f"pcns.{k}": v for k, v in _ns_view(snap, ns).items()}


def _sa(pod):
    return pod.service_account or "default"  # what the API server sets when the spec names none


def _sa_labels(snap, pod):
    """The labels of the pod's ServiceAccount, found by namespace and name (none when absent)."""
    for a in snap.service_accounts:
        if a.namespace == pod.namespace and a.name == _sa(pod):
            return dict(a.labels)
    return {}


def _sa_profile(snap, pod):
    """What a ServiceAccount selector sees: the account's labels and its name."""
    return {**_sa_labels(snap, pod), "projectcalico.org/name": _sa(pod)}


def calico_labels(snap, pod):
    """workload_endpoint_default.go: the pod's labels, then projectcalico.org/namespace and
    /orchestrator, and /serviceaccount only for a ServiceAccount name under 63 characters (a
    longer one leaves whatever the pod itself carries there); the profiles' labels beneath."""
    inherited_sa = {f"pcsa.{k}": v for k, v in _sa_profile(snap, pod).items()}
    labels = {**_inherited(snap, pod.namespace), **inherited_sa, **pod.labels,
              "projectcalico.org/namespace": pod.namespace, "projectcalico.org/orchestrator": "k8s"}
    if len(_sa(pod)) < 63:
        labels["projectcalico.org/serviceaccount"] = _sa(pod)
    return labels


def _under(labels, prefix):
    """The labels under ``prefix``, with it taken off: what a selector rules.go prefixed with it
    reads of an endpoint.  Felix looks a label up among the endpoint's own labels before its
    profiles' (labelindex: own labels, then parents), so a pod's own pcns.<key> or pcsa.<key>
    label is what such a selector sees, over the one its namespace or ServiceAccount gives."""
    return {k[len(prefix):]: v for k, v in labels.items() if k.startswith(prefix)}


def _sa_ok(names, sa_sel, labels):
    """A rule's serviceAccounts, as rules.go hands it to Felix, on an endpoint's labels as Felix
    holds them: the names as projectcalico.org/serviceaccount in {...}, the selector with pcsa.
    before each key.  A network set carries no ServiceAccount, but Calico's validator lets it
    carry those labels, and then Felix matches it."""
    if names is not None and labels.get("projectcalico.org/serviceaccount") not in names:
        return False
    return sa_sel is None or sa_sel.matches(_under(labels, "pcsa."))


def _set_labels(snap, s):
    """The labels Felix holds for a network set, as the syncer sends them.

    networksetprocessor.go copies a NetworkSet's labels, then writes the set's own namespace
    as projectcalico.org/namespace (over one the object may carry), and gives it its
    namespace's profile, whose pcns. labels it inherits.  globalnetworksetprocessor.go copies
    a GlobalNetworkSet's labels as they are, with no profile: one carrying
    projectcalico.org/namespace (a crd.projectcalico.org/v1 object skips the validator that
    refuses it) keeps it, and gets no pcns. labels from that namespace.
    """
    if s.namespace is None:
        return dict(s.labels)
    return {**_inherited(snap, s.namespace), **s.labels, "projectcalico.org/namespace": s.namespace}


def _calico_selects(snap, pol, pod):
    if pod.host_network:
        return False  # not a workload endpoint
    labels = calico_labels(snap, pod)
    # globalnetworkpolicyprocessor.go ANDs the namespaceSelector and serviceAccountSelector into
    # the selector, prefixed with pcns. and pcsa.: both read the endpoint's labels.
    if pol.namespace is not None:
        ns_ok = pod.namespace == pol.namespace
    else:
        ns_ok = pol.namespace_selector is None or pol.namespace_selector.matches(_under(labels, "pcns."))
    selector, sa_sel, sa_seen = pol.selector, pol.service_account_selector, _under(labels, "pcsa.")
    if pol.namespace is None and sa_sel is not None:
        # After ANDing in the serviceAccountSelector, the processor rewrites every all() left in
        # the text as has(projectcalico.org/serviceaccount): the serviceAccountSelector's (in
        # its canonical text), and the selector's as written when no namespaceSelector took
        # its all() first (as has(projectcalico.org/namespace), which every pod has).
        from k8sviz.policy.calico_selector import parse_selector

        has_sa = "has(projectcalico.org/serviceaccount)"
        mark = "k8sviz//sa-label"  # stands for that (unprefixed) label among the pcsa. ones
        sa_text = re.sub(r"\ball\([ \t]*\)", "all()", pol.service_account_selector_text or sa_sel.text)
        if "all()" in sa_text:
            sa_sel = parse_selector(sa_text.replace("all()", f"has({mark})"))
            if "projectcalico.org/serviceaccount" in labels:
                sa_seen[mark] = labels["projectcalico.org/serviceaccount"]
        raw = pol.selector_text
        if pol.namespace_selector is None and raw is not None and "all()" in raw and "global(" not in raw:
            selector = parse_selector(raw.replace("all()", has_sa))
    sa_ok = sa_sel is None or sa_sel.matches(sa_seen)
    return ns_ok and sa_ok and selector.matches(labels)


def _in_nets(nets, ep):
    return any(_in_block(n, a) for n in nets for a in _address(ep) if a)


def _ns_selector_ok(ns_sel, labels):
    """A rule's namespaceSelector, as rules.go hands it to Felix, on an endpoint's labels.

    rules.go puts pcns. before every key the user wrote, then rewrites all() to
    has(projectcalico.org/namespace) and global() to its negation.  Such a selector only ever
    reads labels under pcns., so it is tested here as written on those labels with the prefix
    taken off, plus a mark standing for projectcalico.org/namespace: a key no label can
    have, so no key the user wrote reaches it, as none reaches the real one once prefixed.
    """
    from k8sviz.policy.calico_selector import parse_selector

    mark = "k8sviz//namespaced"
    # Calico rewrites its canonical text, where "all( )" is "all()" (no label value can hold
    # parentheses, so rewriting inside string literals too changes no match).
    text = re.sub(r"\b(all|global)\([ \t]*\)", r"\1()", ns_sel.text)
    text = text.replace("all()", f"has({mark})")
    sel = parse_selector(text.replace("global()", f"!has({mark})"))
    seen = {k[len("pcns."):]: v for k, v in labels.items() if k.startswith("pcns.")}
    if "projectcalico.org/namespace" in labels:
        seen[mark] = labels["projectcalico.org/namespace"]
    return sel.matches(seen)


def _sel_ok(snap, scoped, sel, ep, sa=(None, None)):
    """Whether ``ep``'s address belongs to a workload endpoint or network set whose labels,
    as Felix holds them, pass ``scoped`` and match ``sel`` (None: any) and whose
    ServiceAccount matches ``sa``: Calico matches by IP set."""
    if _is_pod(ep) and not ep.host_network:
        labels = calico_labels(snap, ep)
        if scoped(labels) and (sel is None or sel.matches(labels)) and _sa_ok(*sa, labels):
            return True
    for s in snap.network_sets:
        labels = _set_labels(snap, s)
        if scoped(labels) and (sel is None or sel.matches(labels)) and _sa_ok(*sa, labels) and _in_nets(s.nets, ep):
            return True
    return False


def _entity_ok(snap, pol, e, ep):
    # The positive selector, scoped as rules.go scopes it, by the endpoint's labels and not
    # by where its object lives: by the rule's namespaceSelector, else for a namespaced
    # policy (which notSelector alone also brings in) by projectcalico.org/namespace == its
    # namespace, else not at all.
    sa = (e.sa_names, e.sa_selector)
    positive = e.selector is not None or e.sa_names is not None or e.sa_selector is not None
    if e.namespace_selector is not None:
        if not _sel_ok(snap, lambda labels: _ns_selector_ok(e.namespace_selector, labels), e.selector, ep, sa):
            return False
    elif pol.namespace is not None and (positive or e.not_selector is not None):
        home = pol.namespace
        if not _sel_ok(snap, lambda labels: labels.get("projectcalico.org/namespace") == home, e.selector, ep, sa):
            return False
    elif positive and not _sel_ok(snap, lambda labels: True, e.selector, ep, sa):
        return False
    # notSelector is not scoped: anything anywhere that matches it is excluded.
    if e.not_selector is not None and _sel_ok(snap, lambda labels: True, e.not_selector, ep):
        return False
    if e.nets and not _in_nets(e.nets, ep):
        return False
    return not (e.not_nets and _in_nets(e.not_nets, ep))


def _service_slices(snap, pol, e):
    ns = e.service[0] or pol.namespace
    return [s for s in snap.endpoint_slices if s.namespace == ns and s.service == e.service[1]]


def _service_ok(snap, pol, rule, src, dst, proto, port):
    """A rule's ``services``: an ingress source by the endpoints' addresses; an egress
    destination by an address together with a port that the same EndpointSlice gives."""
    if rule.source.service is not None:
        if not any(a in s.addresses for s in _service_slices(snap, pol, rule.source) for a in _address(src) if a):
            return False
    if rule.destination.service is not None:
        return any(
            a in s.addresses and any(pr == proto and p in (None, port) for pr, p in s.ports)
            for s in _service_slices(snap, pol, rule.destination) for a in _address(dst) if a
        )
    return True


def _calico_port_ok(snap, e, dst, proto, port, protocol_given=True):
    def hit(pr):
        if pr.name:  # without a protocol, Felix reads named ports as TCP
            return (protocol_given or proto == "TCP") and _is_pod(dst) and _named(snap, dst, pr.name, proto, port)
        return pr.lo <= port <= pr.hi

    if e.ports and not any(hit(p) for p in e.ports):
        return False
    return not any(hit(p) for p in e.not_ports)


def calico_rule_ok(snap, pol, rule, ep, other, proto, port, direction):
    number = _PROTO_NUMBER[proto]
    if rule.protocol is not None and rule.protocol != number:
        return False
    if rule.not_protocol is not None and rule.not_protocol == number:
        return False
    src, dst = (other, ep) if direction == "ingress" else (ep, other)
    if not rule.families:
        return False  # Felix renders the rule for no family (a catch-all notNets)
    if rule.ip_version is not None:
        # Packets of one family: both ends need an address of it.
        for end in (src, dst):
            if not any(a and (":" in a) == (rule.ip_version == 6) for a in _address(end)):
                return False
    elif len(rule.families) == 1:
        # CIDRs of one family: an end whose known addresses are all of the other never sends one.
        (fam,) = rule.families
        for end in (src, dst):
            known = [a for a in _address(end) if a]
            if known and not any((":" in a) == (fam == 6) for a in known):
                return False
    return (
        _entity_ok(snap, pol, rule.source, src)
        and _entity_ok(snap, pol, rule.destination, dst)
        and _calico_port_ok(snap, rule.destination, dst, proto, port, rule.protocol is not None)
        and _service_ok(snap, pol, rule, src, dst, proto, port)
    )


def calico_side(snap, ep, other, proto, port, direction, ipblocks_match_pods, local=False):
    """Calico's pipeline, as :func:`calico_steps` walks it: the first step that is no Pass
    decides; none (every tier passed or left the endpoint alone) allows."""
    steps = calico_steps(snap, ep, other, proto, port, direction, ipblocks_match_pods, local)
    return next((s[3] for s in steps if s[3] != "pass"), "allow") == "allow"


#: How explain() names the fixed tiers around Calico's own.
CALICO_TIER_NAMES = {"adminnetworkpolicy": "admin", "default": "Calico tier default (NetworkPolicy)",
                     "baselineadminnetworkpolicy": "baseline"}


def calico_tiers(snap):
    """The tiers in evaluation order (by order, then name; no order: last), and each tier's
    default action."""
    inf = float("inf")
    orders = {"adminnetworkpolicy": 1000.0, "default": 1_000_000.0, "baselineadminnetworkpolicy": 10_000_000.0}
    defaults = {"default": "deny"}
    names = {p.tier for p in snap.calico_policies if not p.unsupported and not p.host_only}
    names |= {t.name for t in snap.calico_tiers} | set(orders)
    tier_order = {n: orders.get(n, inf) for n in names}
    for t in snap.calico_tiers:
        if t.name not in orders:
            tier_order[t.name] = t.order if t.order is not None else inf
        defaults[t.name] = t.default_action
    return sorted(names, key=lambda n: (tier_order[n], n)), defaults


def _cilium_in_default_tier(snap, ep, other, proto, port, direction):
    """Cilium's rules where Calico's tiers stand too: they share NetworkPolicy's place, the
    default tier, and come first in it (its denies, then its allows); its default deny, like a
    NetworkPolicy's isolation, is the tier's end.  ``(denies, allows, closing, required)`` as
    :func:`cilium_matches` gives them, with the requirements its agent ANDs into the
    NetworkPolicies' peers; all empty without Cilium policies."""
    if not any(not p.unsupported for p in snap.cilium_policies):
        return [], [], [], ()
    return (*cilium_matches(snap, ep, other, proto, port, direction),
            _cilium_requirements(snap, ep, direction)["allow"])


def calico_default_allows(snap, ep, other, proto, port, direction, ipblocks_match_pods):
    """``(policy, rule index)`` of the default tier's rules that allow the connection, in the
    tier's order, up to its first matching Deny or Pass: Cilium's allows (none after its deny),
    every allowing rule of a NetworkPolicy (they add up), and the Allow rules of the tier's
    Calico policies."""
    denies, allows, _closing, required = _cilium_in_default_tier(snap, ep, other, proto, port, direction)
    if denies:
        return []
    inf = float("inf")
    ptype = "Egress" if direction == "egress" else "Ingress"
    members = [((p.order if p.order is not None else inf), p.name, p.namespace or "", "calico", p)
               for p in snap.calico_policies if not p.unsupported and not p.host_only and p.tier == "default"]
    members += [(1000.0, f"knp.default.{p.name}", p.namespace, "k8s", p) for p in snap.network_policies
                if not p.unsupported]
    out = list(allows)
    for *_, kind, pol in sorted(members, key=lambda m: m[:3]):
        if kind == "k8s":
            if ptype in pol.policy_types and _selects(snap, pol, ep):
                out += [(pol.key, i) for i in np_allowing_rules(snap, pol, ep, other, proto, port, direction,
                                                                ipblocks_match_pods, required)]
            continue
        if ptype not in pol.types or not _calico_selects(snap, pol, ep):
            continue
        for i, rule in enumerate(pol.egress if direction == "egress" else pol.ingress):
            if rule.action == "log" or not calico_rule_ok(snap, pol, rule, ep, other, proto, port, direction):
                continue
            if rule.action != "allow":
                return out
            out.append((pol.ref, i))
    return out


def calico_steps(snap, ep, other, proto, port, direction, ipblocks_match_pods, local=False):
    """Calico's pipeline: tiers by order, policies by order, rules in order; first match decides.

    The AdminNetworkPolicy tier stands at order 1000 and the baseline tier at 10,000,000 (where
    Calico puts them), the default tier (1,000,000) holds Kubernetes NetworkPolicies as
    ``knp.default.<name>`` with order 1000.  A tier that selected the endpoint and decided
    nothing applies its default action (Deny, or Pass); the end of all tiers allows.

    Returns each tier's first matching rule, in order, up to the one that decides, as
    ``(tier, policy, rule index, action)``: a NetworkPolicy by ``ns/name`` (its first allowing
    rule: the first to match in its tier), a Calico policy by its ref, an admin one by
    ``kind/name``; the end of a tier as ``("Tier/<name>", -1)`` (of the default tier, where a
    NetworkPolicy selects the endpoint, as that policy's isolation ``(ns/name, -1)``); the
    node-local exception as
    ``("node/<node>", -1)``.
    """
    inf = float("inf")
    tiers, defaults = calico_tiers(snap)
    evaluated = [p for p in snap.calico_policies if not p.unsupported and not p.host_only]
    order = lambda p: (p.priority or 0, p.kind, p.name)  # noqa: E731
    ptype = "Egress" if direction == "egress" else "Ingress"
    steps = []
    for tier in tiers:
        label = CALICO_TIER_NAMES.get(tier, f"Calico tier {tier}")
        if tier in ("adminnetworkpolicy", "baselineadminnetworkpolicy"):
            group = sorted((p for p in snap.admin_policies if p.baseline == (tier != "adminnetworkpolicy")),
                           key=order)
            found = admin_match(snap, group, ep, other, proto, port, direction)
            if found is not None:
                steps.append((label, *found))
                if found[2] != "pass":
                    return steps
            continue
        denies, allows, closing, required = [], [], [], ()
        if tier == "default":
            denies, allows, closing, required = _cilium_in_default_tier(snap, ep, other, proto, port,
                                                                        direction)
        if denies:
            return [*steps, (label, *denies[0], "deny")]
        if tier == "default" and local:
            # the node-local exception: first in the tier of NetworkPolicies (after Cilium's denies)
            return [*steps, (label, f"node/{ep.node}", -1, "allow")]
        members = [((p.order if p.order is not None else inf), p.name, p.namespace or "", "calico", p)
                   for p in evaluated if p.tier == tier]
        if tier == "default":
            members += [(1000.0, f"knp.default.{p.name}", p.namespace, "k8s", p) for p in snap.network_policies
                        if not p.unsupported]
        ranked = any(kind == "calico" for *_, kind, _p in members) or defaults.get(tier, "deny") != "deny"
        if allows and ranked:
            # Calico's policies rank the tier, and Cilium's allows stand before them.
            return [*steps, (label, *allows[0], "allow")]
        selected, passed = bool(closing), False
        for *_, kind, pol in sorted(members, key=lambda m: m[:3]):
            if kind == "k8s":
                if ptype not in pol.policy_types or not _selects(snap, pol, ep):
                    continue
                selected = True
                allowing = np_allowing_rules(snap, pol, ep, other, proto, port, direction,
                                             ipblocks_match_pods, required)
                if allowing:
                    return [*steps, (label, pol.key, allowing[0], "allow")]
                continue
            if ptype not in pol.types or not _calico_selects(snap, pol, ep):
                continue
            selected = True
            for i, rule in enumerate(pol.egress if direction == "egress" else pol.ingress):
                if rule.action == "log" or not calico_rule_ok(snap, pol, rule, ep, other, proto, port, direction):
                    continue
                steps.append((label, pol.ref, i, rule.action))
                if rule.action == "pass":
                    passed = True
                    break
                return steps
            if passed:
                break
        if allows and not passed:
            # Only NetworkPolicies in the tier: Cilium's allows add up with theirs (named after them).
            return [*steps, (label, *allows[0], "allow")]
        if selected and not passed:
            action = defaults.get(tier, "deny")
            # In the default tier this end is NetworkPolicy's isolation: named, as without
            # Calico, by the first NetworkPolicy that selects the endpoint, if one does.
            isolating = [*np_selecting(snap, ep, direction), *closing] if tier == "default" else []
            steps.append((label, isolating[0] if isolating else f"Tier/{tier}", -1, action))
            if action == "deny":
                return steps
    return steps


# ------------------------------------------------------------------------------ Cilium


def _cilium_view(snap, pod):
    # The agent drops a pod's own labels under its prefix, then adds its own.
    view = {k: v for k, v in pod.labels.items() if not k.startswith("io.cilium.k8s")}
    view["io.kubernetes.pod.namespace"] = pod.namespace
    view.update({f"io.cilium.k8s.namespace.labels.{k}": v for k, v in _ns_labels(snap, pod.namespace).items()})
    view["io.cilium.k8s.policy.serviceaccount"] = _sa(pod)
    view["io.cilium.k8s.policy.cluster"] = "<cluster name unknown>"  # on every pod identity
    return view


def _node_ip(snap, ip):
    a = ipaddress.ip_address(ip)
    return any(ipaddress.ip_address(x) == a for n in snap.nodes for x in n.internal_ips + n.external_ips)


def _cilium_release(snap):
    """(major, minor) from the tag of the cilium-agent containers' image, if they agree."""
    found = set()
    for p in snap.pods:
        if p.terminated:
            continue
        for c in p.containers:
            if c.name != "cilium-agent" or c.init:
                continue
            last = c.image.split("@")[0].split("/")[-1]
            try:
                major, minor = last.split(":")[1].lstrip("v").split(".")[:2]
                found.add((int(major), int(minor.split("-")[0])))
            except (IndexError, ValueError):
                found.add(None)
    return found.pop() if len(found) == 1 else None


def _node_name(snap, ep):
    """The node ``ep`` is: a hostNetwork pod's node, or the Node holding the address."""
    if _is_pod(ep):
        return ep.node if ep.host_network else None
    a = ipaddress.ip_address(ep)
    return next((n.name for n in snap.nodes for x in n.internal_ips + n.external_ips if ipaddress.ip_address(x) == a), None)


def _apiserver_ips(snap):
    """The addresses of the ready endpoints of the default/kubernetes EndpointSlices."""
    return {ipaddress.ip_address(a) for es in snap.endpoint_slices if (es.namespace, es.service) == ("default", "kubernetes")
            for a in es.addresses if a not in es.not_ready}


def _ep_ips(ep):
    """An outside endpoint's address; a hostNetwork pod's (its node's); none for other pods."""
    if not _is_pod(ep):
        return {ipaddress.ip_address(ep)}
    return {ipaddress.ip_address(a) for a in (*ep.ips, *([ep.host_ip] if ep.host_ip else []))} if ep.host_network else set()


def _is_apiserver(snap, ep, subject, outside, is_node):
    """The kube-apiserver entity: the API server's addresses, outside the cluster or on a node
    other than the subject's; on the subject's own node, if the API server has an address
    there, the whole node (its host identity carries the label)."""
    api = _apiserver_ips(snap)
    if outside:
        return bool(_ep_ips(ep) & api)
    if not is_node:
        return False
    if subject.node is not None and _node_name(snap, ep) == subject.node:
        mine = {ipaddress.ip_address(x) for n in snap.nodes if n.name == subject.node for x in n.internal_ips + n.external_ips}
        mine |= {a for p in snap.pods if p.host_network and p.node == subject.node for a in _ep_ips(p)}
        return bool(mine & api)
    return bool(_ep_ips(ep) & api)


def _cilium_peer_ok(snap, peer, ep, subject):
    """Cilium's peers: pods by identity labels; CIDRs and "world" only outside the cluster (never
    a pod or a node address); "host" the subject pod's own node (its addresses and hostNetwork
    pods), "remote-node" any other node; "kube-apiserver" (also in "cluster") as
    :func:`_is_apiserver` says."""
    outside = not _is_pod(ep) and not _node_ip(snap, ep)
    is_node = (_is_pod(ep) and ep.host_network) or (not _is_pod(ep) and _node_ip(snap, ep))

    def on_node(ent):
        if ent == "kube-apiserver":
            return _is_apiserver(snap, ep, subject, outside, is_node)
        own = subject.node is not None and _node_name(snap, ep) == subject.node
        return is_node and ent in ("host", "remote-node") and own == (ent == "host")

    def world_label(name):
        # Judged only where the agents run both families: each outside address carries its
        # family's label, none reserved:world.
        return outside and name == f"world-ipv{ipaddress.ip_address(ep).version}"

    if peer.endpoints is not None:
        # A lone reserved label among the selectors: the entity of that name (reserved:world:
        # the label alone).
        return any(on_node(e) or world_label(e) for e in peer.reserved) or (
            _is_pod(ep) and not ep.host_network and any(selector_ok(s, _cilium_view(snap, ep)) for s in peer.endpoints))
    if peer.cidrs is not None:
        return outside and any(_in_block(b, ep) for b in peer.cidrs)
    if peer.fqdns is not None:
        return False  # what DNS answers at run time: no address a snapshot can name
    if peer.services is not None:
        # toServices: CIDR rules for the endpoint addresses of the named Services that have no
        # selector (a reference without a namespace: any namespace).
        def named(ref, svc):
            if ref.namespace and ref.namespace != svc.namespace:
                return False
            if ref.selector is not None:
                return selector_ok(ref.selector, svc.labels)
            return ref.name == svc.name

        addresses = [ipaddress.ip_address(a) for svc in snap.services if not svc.selector
                     and any(named(r, svc) for r in peer.services)
                     for es in snap.endpoint_slices if (es.namespace, es.service) == (svc.namespace, svc.name)
                     for a in es.addresses if a not in es.not_ready]
        if not _is_pod(ep):
            return outside and ipaddress.ip_address(ep) in addresses
        # Cilium 1.17 and later: the pods a named Service with a selector selects, in its namespace.
        release = _cilium_release(snap)
        return (release is not None and release >= (1, 17) and not ep.host_network and any(
            svc.selector and any(named(r, svc) for r in peer.services) and ep.namespace == svc.namespace
            and all(ep.labels.get(k) == v for k, v in svc.selector.items())
            for svc in snap.services
        ))
    if peer.entities is not None:
        for ent in peer.entities:
            if ent == "all":
                return True
            if ent == "world" and outside:
                return True
            if ent == "cluster" and (_is_pod(ep) or is_node or _is_apiserver(snap, ep, subject, outside, is_node)):
                return True
            if on_node(ent):
                return True
        return False
    return peer.ports is not None  # no peer: every peer if it names ports, else nothing


def _cilium_port_ok(snap, peer, dst, proto, port, direction="ingress"):
    if peer.ports is None:
        return True
    for pp in peer.ports:
        if proto not in pp.protocols:
            continue
        if isinstance(pp.port, str):
            if _named_port_ok(snap, dst, pp.port, proto, port, direction):
                return True
        elif pp.port == 0 and not pp.end or pp.port <= port <= (pp.end or pp.port):
            return True
    return False


def _cilium_requirements(snap, pod, direction):
    """The ``fromRequires`` (``toRequires``) of every rule selecting ``pod``, as Cilium up to
    1.18 gathers them: ``{"allow": [...], "deny": [...]}`` from the allow and the deny entries."""
    out = {"allow": [], "deny": []}
    for _pol, rule in _cilium_rules_of(snap, pod):
        allows, denies = ((rule.ingress, rule.ingress_deny) if direction == "ingress"
                          else (rule.egress, rule.egress_deny))
        out["allow"] += [s for e in allows for s in e.requires]
        out["deny"] += [s for e in denies for s in e.requires]
    return out


def _cilium_rules_of(snap, pod):
    """``(policy, rule)`` of every evaluated Cilium rule whose endpoint selector selects ``pod``."""
    for pol in snap.cilium_policies:
        if pol.unsupported:
            continue
        for rule in pol.rules:
            if _cilium_selects(pol, rule, pod) and selector_ok(rule.endpoint_selector, _cilium_view(snap, pod)):
                yield pol, rule


def _cilium_required(snap, peer, ep, subject, requirements):
    """An entry's peer with the requirements ANDed into each of its endpoint selectors (lone
    reserved labels included, which carry no pod label: a requirement, which always asks for a
    namespace, fails on them); other peers as they are."""
    if not requirements or peer.endpoints is None or not (peer.endpoints or peer.reserved):
        return _cilium_peer_ok(snap, peer, ep, subject)
    if not _is_pod(ep) or ep.host_network:
        return all(selector_ok(r, {}) for r in requirements) and _cilium_peer_ok(snap, peer, ep, subject)
    view = _cilium_view(snap, ep)
    return (any(selector_ok(s, view) for s in peer.endpoints)
            and all(selector_ok(r, view) for r in requirements))


def _cilium_selects(pol, rule, pod):
    if pod.host_network:
        return False
    return (pol.namespace is None or pod.namespace == pol.namespace)


def cilium_side(snap, ep, other, proto, port, direction, ipblocks_match_pods, local=False):
    """One repository of rules (Cilium's and the NetworkPolicies): a matching deny wins, then
    the node-local exception (``local``), then any matching allow; else default deny if a rule
    put the pod in it; None if nothing applies."""
    dst = other if direction == "egress" else ep
    default_deny = allow = False
    required = _cilium_requirements(snap, ep, direction)
    for _pol, rule in _cilium_rules_of(snap, ep):
        allows, denies, closes = (
            (rule.ingress, rule.ingress_deny, rule.default_deny_ingress) if direction == "ingress"
            else (rule.egress, rule.egress_deny, rule.default_deny_egress)
        )
        default_deny |= closes
        for peer in denies:
            if (_cilium_required(snap, peer, other, ep, required["deny"])
                    and _cilium_port_ok(snap, peer, dst, proto, port, direction)):
                return False
        allow |= any(_cilium_required(snap, p, other, ep, required["allow"])
                     and _cilium_port_ok(snap, p, dst, proto, port, direction) for p in allows)
    if local:
        return True
    verdict = np_side(snap, ep, other, proto, port, direction, ipblocks_match_pods, required["allow"])
    if allow or verdict is True:
        return True
    if default_deny or verdict is False:
        return False
    return None


# ------------------------------------------------------------------------------ Cilium L7 parsers


def _promotes(frm, to):
    """``L7ParserType.canPromoteTo`` (pkg/policy/l4.go): the TLS-only proxy gives way to any
    parser but DNS and a listener (``crd``); no other parser gives way."""
    return frm == "tls" and to not in ("dns", "crd")


def parsers_merge(a, b):
    """``L7ParserType.Merge``: equal parsers, or one promoted to the other."""
    return a == b or _promotes(a, b) or _promotes(b, a)


#: The reserved labels an entity selects (``EntitySelectorMapping``, pkg/policy/api/entity.go):
#: two entries share a peer where their selectors share one of these.
_ENTITY_LABELS = {
    "world": {"world", "world-ipv4", "world-ipv6"},
    "cluster": {"host", "remote-node", "init", "ingress", "health", "unmanaged", "kube-apiserver", "cluster-name"},
}


def _peer_selectors(peer):
    """The peer selectors an allow entry's L7 rules belong to, as comparable values."""
    if peer.endpoints is not None:
        return ({("labels", frozenset(s.match_labels), frozenset(str(r) for r in s.match_expressions))
                 for s in peer.endpoints} | {("reserved", e) for e in peer.reserved})
    if peer.entities is not None:
        return {("any",) if e == "all" else ("reserved", x) for e in peer.entities
                for x in ([e] if e == "all" else _ENTITY_LABELS.get(e, {e}))}
    if peer.cidrs is not None:
        return {("cidr", b.cidr, tuple(b.except_)) for b in peer.cidrs}
    if peer.fqdns is not None:
        return {("fqdn", n) for n in peer.fqdns}
    if peer.services is not None:
        return {("service", str(r)) for r in peer.services}
    return {("any",)}


def l7_clash_sites(snap):
    """Where Cilium's agent cannot merge the L7 parsers the allow entries give a running pod:
    ``{(pod key, direction): shared}``, ``shared`` telling whether two clashing entries have a
    peer selector in common.  Pairwise over every two entries (one entry with itself too) of the
    rules selecting the pod, in policies the agent does not refuse, on one protocol and port.
    The TLS-only parser exists from Cilium 1.13; from 1.18 only entries sharing a peer clash
    (each peer selector has its own parser), before it any two on the port; with no release
    known both readings count, as they do for the engine."""
    release = _cilium_release(snap)
    tls = release is None or release >= (1, 13)
    per_selector = release is not None and release >= (1, 18)
    sites = {}
    for pod in snap.pods:
        if pod.host_network or pod.terminated:
            continue
        view = _cilium_view(snap, pod)
        for direction in ("ingress", "egress"):
            entries = [e for pol in snap.cilium_policies if not pol.rejected for rule in pol.rules
                       if _cilium_selects(pol, rule, pod) and selector_ok(rule.endpoint_selector, view)
                       for e in (rule.ingress if direction == "ingress" else rule.egress)]
            for i, a in enumerate(entries):
                for b in entries[i:]:
                    clash = any(pa[1:] == pb[1:] and not parsers_merge(pa[0], pb[0])
                                for pa in a.parsers for pb in b.parsers
                                if tls or "tls" not in (pa[0], pb[0]))
                    if not clash:
                        continue
                    shared = bool(_peer_selectors(a) & _peer_selectors(b))
                    if shared or not per_selector:
                        sites[(pod.key, direction)] = sites.get((pod.key, direction), False) or shared
    return sites
