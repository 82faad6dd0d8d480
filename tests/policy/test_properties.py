"""Property tests: the engine agrees with the plain reference evaluator on random small clusters."""

from __future__ import annotations

import copy
import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import k8sviz

from . import reference
from .helpers import anp, kubernetes_slice, netpol, node, ns, pod, snapshot

KEYS = ["app", "tier", "env"]
VALUES = ["a", "b", "c"]
PORTS = [53, 80, 81, 443, 8080]
NAMES = ["http", "dns"]
PROTOS = ["TCP", "UDP", "SCTP"]
#: Cilium agent images: before the TLS-only parser (1.12) and with it (1.13), one L7 parser per port (up to 1.17),
#: one per peer selector (1.18), and Services with a selector resolved to pods (from 1.17); requirements
#: no longer judged (from 1.19), egress named ports resolved on the destination (from 1.20).
RELEASES = ["v1.12.9", "v1.13.4", "v1.16.7", "v1.17.2", "v1.18.1", "v1.19.2", "v1.20.0"]
EXTERNAL = ["10.0.0.77", "192.168.1.1", "192.168.2.1", "8.8.8.8", "2001:db8::1", "10.0.1.1"]
NODES = [("n-a", "10.0.1.1", None), ("n-b", "10.0.1.2", "192.168.2.1")]
CIDRS = [("10.0.0.0/24", ["10.0.0.0/30"]), ("192.168.0.0/16", ["192.168.1.0/24"]), ("0.0.0.0/0", ["10.0.0.0/8"]), ("10.0.0.2/32", []), ("2001:db8::/32", [])]

labels = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=2)


@st.composite
def selectors(draw):
    sel = {}
    ml = draw(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=1))
    if ml:
        sel["matchLabels"] = ml
    exprs = []
    for _ in range(draw(st.integers(0, 2))):
        op = draw(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]))
        e = {"key": draw(st.sampled_from(KEYS)), "operator": op}
        if op in ("In", "NotIn"):
            e["values"] = draw(st.lists(st.sampled_from(VALUES), min_size=1, max_size=2, unique=True))
        exprs.append(e)
    if exprs:
        sel["matchExpressions"] = exprs
    return sel


@st.composite
def identity_terms(draw, namespaces):
    """One term on a label Cilium puts on pod identities (the pod's namespace, account,
    namespace labels, cluster), or one it leaves out of them, or on the cluster's name (the
    last two leave a NetworkPolicy unevaluated where Cilium enforces it)."""
    kind = draw(st.sampled_from(["ns", "ns-expr", "sa", "ns-label", "cluster", "cluster-name", "hidden"]))
    if kind == "ns":
        return {"matchLabels": {"io.kubernetes.pod.namespace": draw(st.sampled_from(namespaces))}}
    if kind == "ns-expr":
        return {"matchExpressions": [{"key": "io.kubernetes.pod.namespace", "operator": draw(st.sampled_from(
            ["In", "NotIn"])), "values": [draw(st.sampled_from(namespaces))]}]}
    if kind == "sa":
        return {"matchLabels": {"io.cilium.k8s.policy.serviceaccount": draw(st.sampled_from(["api", "default"]))}}
    if kind == "ns-label":
        return {"matchLabels": {f"io.cilium.k8s.namespace.labels.{draw(st.sampled_from(KEYS))}": draw(
            st.sampled_from(VALUES))}}
    if kind == "cluster":
        return {"matchExpressions": [{"key": "io.cilium.k8s.policy.cluster",
                                      "operator": draw(st.sampled_from(["Exists", "DoesNotExist"]))}]}
    if kind == "cluster-name":
        return {"matchExpressions": [{"key": "io.cilium.k8s.policy.cluster", "operator": "In", "values": ["default"]}]}
    return {"matchLabels": {"pod-template-hash": "x"}}


@st.composite
def knp_selectors(draw, namespaces=None):
    """A NetworkPolicy pod selector; given ``namespaces`` (clusters that may run Cilium),
    sometimes with a term on identity labels."""
    sel = draw(selectors())
    if namespaces and draw(st.integers(0, 2)) == 0:
        term = draw(identity_terms(namespaces))
        sel.setdefault("matchLabels", {}).update(term.get("matchLabels", {}))
        sel["matchExpressions"] = sel.get("matchExpressions", []) + term.get("matchExpressions", [])
        if not sel["matchExpressions"]:
            del sel["matchExpressions"]
    return sel


@st.composite
def peers(draw, namespaces=None):
    kind = draw(st.sampled_from(["pod", "ns", "both", "ip"]))
    if kind == "ip":
        cidr, exc = draw(st.sampled_from(CIDRS))
        block = {"cidr": cidr}
        if exc and draw(st.booleans()):
            block["except"] = exc
        return {"ipBlock": block}
    p = {}
    if kind in ("pod", "both"):
        p["podSelector"] = draw(knp_selectors(namespaces))
    if kind in ("ns", "both"):
        p["namespaceSelector"] = draw(selectors())
    return p


@st.composite
def port_entries(draw):
    out = []
    for _ in range(draw(st.integers(1, 2))):
        e = {}
        proto = draw(st.sampled_from([None, *PROTOS]))
        if proto:
            e["protocol"] = proto
        kind = draw(st.sampled_from(["num", "range", "named", "none"]))
        if kind == "num":
            e["port"] = draw(st.sampled_from(PORTS))
        elif kind == "range":
            lo = draw(st.sampled_from(PORTS))
            e["port"] = lo
            e["endPort"] = draw(st.sampled_from([p for p in PORTS if p >= lo]))
        elif kind == "named":
            e["port"] = draw(st.sampled_from(NAMES))
        out.append(e)
    return out


@st.composite
def rules(draw, namespaces=None):
    r = {}
    choice = draw(st.sampled_from(["missing", "empty", "list"]))
    if choice == "empty":
        r["peers"] = []
    elif choice == "list":
        r["peers"] = draw(st.lists(peers(namespaces), min_size=1, max_size=2))
    pc = draw(st.sampled_from(["missing", "empty", "list"]))
    if pc == "empty":
        r["ports"] = []
    elif pc == "list":
        r["ports"] = draw(port_entries())
    return r


def _rule(r, key):
    out = {}
    if "peers" in r:
        out[key] = r["peers"]
    if "ports" in r:
        out["ports"] = r["ports"]
    return out


def wide():
    """Selectors for admin policies: often empty, so that rules meet traffic often enough."""
    return st.one_of(st.just({}), st.just({}), selectors())


@st.composite
def admin_peers(draw, egress, baseline=False):
    # BaselineAdminNetworkPolicy's egress peers have no domainNames.
    outside = ["networks", "nodes"] if baseline else ["networks", "nodes", "domainNames"]
    kinds = ["namespaces", "pods", "unknown"] + (outside if egress else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "namespaces":
        return {"namespaces": draw(wide())}
    if kind == "pods":
        return {"pods": {"namespaceSelector": draw(wide()), "podSelector": draw(wide())}}
    if kind == "networks":
        return {"networks": draw(st.lists(st.sampled_from([c for c, _ in CIDRS] + ["10.0.0.0/30"]), min_size=1, max_size=2, unique=True))}
    if kind == "nodes":
        return {"nodes": draw(wide())}
    if kind == "domainNames":
        return {"domainNames": ["example.com"]}
    return {}  # a peer this version does not know: fail closed


@st.composite
def admin_ports(draw):
    out = []
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(["number", "range", "named"]))
        proto = draw(st.sampled_from(PROTOS))
        if kind == "number":
            out.append({"portNumber": {"protocol": proto, "port": draw(st.sampled_from(PORTS))}})
        elif kind == "range":
            # The admin APIs want start < end (NetworkPolicy's endPort may equal port).
            lo = draw(st.sampled_from(PORTS[:-1]))
            out.append({"portRange": {"protocol": proto, "start": lo, "end": draw(st.sampled_from([p for p in PORTS if p > lo]))}})
        else:
            out.append({"namedPort": draw(st.sampled_from(NAMES))})
    return out


@st.composite
def cnp_protocols(draw):
    out = []
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(["number", "range", "named"]))
        proto = draw(st.sampled_from(["tcp", "udp", "sctp"]))
        if kind == "number":
            out.append({proto: {"destinationPort": {"number": draw(st.sampled_from(PORTS))}}})
        elif kind == "range":
            lo = draw(st.sampled_from(PORTS[:-1]))
            out.append({proto: {"destinationPort": {"range": {"start": lo, "end": draw(st.sampled_from([p for p in PORTS if p > lo]))}}}})
        else:
            out.append({"destinationNamedPort": draw(st.sampled_from(NAMES))})
    return out


def _api_valid(peers, ports, named):
    """``ports`` without named ones when a peer is networks, nodes or domainNames: the API's CEL
    refuses named ports there (those addresses have no container ports)."""
    if any(k in p for p in peers for k in ("networks", "nodes", "domainNames")):
        return [p for p in ports if named not in p] or [{"portNumber": {"protocol": "TCP", "port": 80}}
                                                        if named == "namedPort" else {"tcp": {"destinationPort": {"number": 80}}}]
    return ports


@st.composite
def cluster_network_policies(draw):
    """A ClusterNetworkPolicy (v1alpha2 or v1beta1) of either tier."""
    spec = {"tier": draw(st.sampled_from(["Admin", "Baseline"])), "priority": draw(st.sampled_from([1, 5, 5, 20]))}
    if draw(st.booleans()):
        spec["subject"] = {"namespaces": draw(wide())}
    else:
        spec["subject"] = {"pods": {"namespaceSelector": draw(wide()), "podSelector": draw(wide())}}
    for direction, key in (("ingress", "from"), ("egress", "to")):
        rules = []
        for _ in range(draw(st.integers(0, 3))):
            r = {"action": draw(st.sampled_from(["Accept", "Deny", "Pass"])),
                 key: draw(st.lists(admin_peers(direction == "egress"), min_size=1, max_size=2))}
            if draw(st.booleans()):
                r["protocols"] = _api_valid(r[key], draw(cnp_protocols()), "destinationNamedPort")
            rules.append(r)
        if rules:
            spec[direction] = rules
    return draw(st.sampled_from(["v1alpha2", "v1beta1"])), spec


@st.composite
def admin_policies(draw, baseline):
    spec = {}
    if not baseline:
        spec["priority"] = draw(st.sampled_from([1, 5, 5, 20]))
    if draw(st.booleans()):
        spec["subject"] = {"namespaces": draw(wide())}
    else:
        spec["subject"] = {"pods": {"namespaceSelector": draw(wide()), "podSelector": draw(wide())}}
    actions = ["Allow", "Deny"] if baseline else ["Allow", "Deny", "Pass"]
    for direction, key in (("ingress", "from"), ("egress", "to")):
        rules = []
        for _ in range(draw(st.integers(0, 3))):
            r = {"action": draw(st.sampled_from(actions)),
                 key: draw(st.lists(admin_peers(direction == "egress", baseline), min_size=1, max_size=2))}
            if draw(st.booleans()):
                r["ports"] = _api_valid(r[key], draw(admin_ports()), "namedPort")
            rules.append(r)
        if rules:
            spec[direction] = rules
    return spec


CALICO_TIERS = ["default", "security", "platform"]
CALICO_NETS = ["192.168.0.0/16", "8.8.8.0/24", "10.0.0.0/30", "10.0.0.2/32", "0.0.0.0/0"]


@st.composite
def calico_selectors(draw, depth=0):
    """Calico selector text over the test labels (and the labels Calico adds)."""
    k, v = draw(st.sampled_from(KEYS)), draw(st.sampled_from(VALUES))
    atoms = [
        "all()", "all()", f"{k} == '{v}'", f"{k} == '{v}'", f'{k} != "{v}"', f"has({k})", f"!has({k})", f"{k} in {{'{v}', 'b'}}",
        f"{k} not in {{'{v}'}}", f"{k} starts with '{v}'", "projectcalico.org/namespace == 'n1'",
        f"pcns.{k} == '{v}'", f"pcsa.{k} == '{v}'",
    ]
    text = draw(st.sampled_from(atoms))
    if depth < 1 and draw(st.integers(0, 3)) == 0:
        op = draw(st.sampled_from(["&&", "||"]))
        text = f"({text}) {op} {draw(calico_selectors(depth + 1))}"
    return text


@st.composite
def calico_ns_selectors(draw):
    k, v = draw(st.sampled_from(KEYS)), draw(st.sampled_from(VALUES))
    return draw(st.sampled_from(
        ["all()", "global()", f"{k} == '{v}'", f"!has({k})", "projectcalico.org/name == 'n0'", f"{k} != '{v}'",
         "all( )", "global( )", "!all( )"]  # Calico rewrites all() and global() with the spaces gone
    ))


@st.composite
def calico_entity(draw, with_ports, named_only=False):
    """``named_only``: a rule without a protocol, which may name ports but give no numbers."""
    e = {}
    if draw(st.integers(0, 2)) == 0:
        e["selector"] = draw(calico_selectors())
    if draw(st.integers(0, 4)) == 0:
        e["notSelector"] = draw(calico_selectors())
    if draw(st.integers(0, 4)) == 0:
        e["namespaceSelector"] = draw(calico_ns_selectors())
    if draw(st.integers(0, 3)) == 0:
        e["nets"] = draw(st.lists(st.sampled_from(CALICO_NETS), min_size=1, max_size=2, unique=True))
    if draw(st.integers(0, 5)) == 0:
        e["notNets"] = draw(st.lists(st.sampled_from(CALICO_NETS), min_size=1, max_size=1))
    if draw(st.integers(0, 3)) == 0:
        k, v = draw(st.sampled_from(KEYS)), draw(st.sampled_from(VALUES))
        e["serviceAccounts"] = draw(st.sampled_from([
            {"names": ["api"]}, {"names": ["default", "api"]}, {"selector": "projectcalico.org/name == 'api'"},
            {"names": ["api"], "selector": "all()"}, {"selector": f"{k} == '{v}'"}, {"selector": f"has({k})"},
            {"selector": f"!has({k})"}, {"names": ["default"], "selector": f"!has({k})"}]))
    if with_ports and draw(st.booleans()):
        e["ports"] = draw(st.lists(st.sampled_from(NAMES if named_only else [80, 443, "80:443", "8000:8080", "http", "dns", "53"]),
                                   min_size=1, max_size=2))
    if with_ports and draw(st.integers(0, 4)) == 0:
        e["notPorts"] = [draw(st.sampled_from(NAMES if named_only else [81, "440:450", "http", "dns"]))]
    return e


@st.composite
def calico_rules(draw, direction="ingress"):
    r = {"action": draw(st.sampled_from(["Allow", "Allow", "Deny", "Pass", "Log"]))}
    if draw(st.integers(0, 6)) == 0:
        # A Service's endpoints: an ingress source, or an egress destination (ports from
        # its EndpointSlices); nothing else may select that side.
        side = "source" if direction == "ingress" else "destination"
        r[side] = {"services": {"name": draw(st.sampled_from(["svc0", "svc1", "none"])),
                                "namespace": draw(st.sampled_from(["n0", "n1"]))}}
        if draw(st.booleans()):
            r["protocol"] = draw(st.sampled_from(["TCP", "UDP"]))
        return r
    # Numbers too: 6 is TCP to Felix; 1 is ICMP, which Calico ties to no IP family by number.
    proto = draw(st.sampled_from([None, None, "TCP", "UDP", "SCTP", "ICMP", 17, 6, 1]))
    if proto is not None:
        r["protocol"] = proto
    elif draw(st.integers(0, 4)) == 0:
        r["notProtocol"] = draw(st.sampled_from(["TCP", "UDP"]))
    if proto == "ICMP" and draw(st.booleans()):
        r[draw(st.sampled_from(["icmp", "notICMP"]))] = {"type": 8}
    ported = proto in ("TCP", "UDP", "SCTP", 17, 6)
    for side in ("source", "destination"):
        e = draw(calico_entity((ported or proto is None) and side == "destination", named_only=proto is None))
        if e:
            r[side] = e
    if (direction == "ingress" and r["action"] == "Allow" and proto in (None, "TCP")
            and draw(st.integers(0, 15)) == 0):
        # Not judged from a snapshot: the policy is not evaluated.  (Calico takes HTTP matches
        # in ingress Allow rules over TCP only.)
        r["http"] = {"methods": ["GET"]}
    if draw(st.integers(0, 5)) == 0:
        # An IP family; Calico rejects CIDRs of the other one in the same rule, and ICMP on IPv6.
        nets = [n for side in ("source", "destination") for k in ("nets", "notNets") for n in r.get(side, {}).get(k, ())]
        families = {6 if ":" in n else 4 for n in nets} | ({4} if proto == "ICMP" else set())
        if len(families) <= 1:
            r["ipVersion"] = families.pop() if families else draw(st.sampled_from([4, 6]))
    return r


@st.composite
def calico_objects(draw, namespaces):
    objs = []
    for name in draw(st.lists(st.sampled_from(["security", "platform"]), max_size=2, unique=True)):
        spec = {"order": draw(st.sampled_from([None, 50, 100, 5000, 2_000_000, 20_000_000]))}
        if draw(st.booleans()):
            spec["defaultAction"] = draw(st.sampled_from(["Deny", "Pass"]))
        objs.append({"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": name},
                     "spec": {k: v for k, v in spec.items() if v is not None}})
    for j in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["NetworkPolicy", "GlobalNetworkPolicy"]))
        meta = {"name": f"c{j}"}
        spec = {"tier": draw(st.sampled_from(CALICO_TIERS))}
        if kind == "NetworkPolicy":
            meta["namespace"] = draw(st.sampled_from(namespaces))
        elif draw(st.integers(0, 2)) == 0:
            spec["namespaceSelector"] = draw(st.sampled_from(["all()", "projectcalico.org/name == 'n0'", "app == 'a'"]))
        order = draw(st.sampled_from([None, 10, 500, 1000, 1000, 2000]))
        if order is not None:
            spec["order"] = order
        if draw(st.booleans()):
            spec["selector"] = draw(calico_selectors())
        if draw(st.integers(0, 4)) == 0:
            k, v = draw(st.sampled_from(KEYS)), draw(st.sampled_from(VALUES))
            spec["serviceAccountSelector"] = draw(st.sampled_from(
                ["projectcalico.org/name == 'api'", "projectcalico.org/name != 'api'", "all()", f"{k} == '{v}'",
                 f"has({k})"]))
        types = draw(st.sampled_from([None, None, ["Ingress"], ["Egress"], ["Ingress", "Egress"]]))
        if types:
            spec["types"] = types
        for direction in ("ingress", "egress"):
            if draw(st.booleans()):
                spec[direction] = draw(st.lists(calico_rules(direction), max_size=3))
        objs.append({"apiVersion": draw(st.sampled_from(["projectcalico.org/v3", "crd.projectcalico.org/v1"])),
                     "kind": kind, "metadata": meta, "spec": spec})
    for j in range(draw(st.integers(0, 2))):
        meta = {"name": f"set{j}", "labels": draw(labels)}
        kind = "GlobalNetworkSet"
        if draw(st.booleans()):
            kind, meta["namespace"] = "NetworkSet", draw(st.sampled_from(namespaces))
        version = "projectcalico.org/v3"
        if draw(st.integers(0, 2)) == 0:
            # Past Calico's validator, which refuses its namespace label on network sets: a
            # GlobalNetworkSet keeps it, and Felix scopes the set by it as if it lived in
            # that namespace (one that may not exist); a NetworkSet's own namespace is written
            # over it (so it gets another's).  pcns. labels are what rules' namespaceSelectors
            # read of a set.
            version = "crd.projectcalico.org/v1"
            if draw(st.integers(0, 3)):
                homes = [n for n in ["n0", "n1", "n9"] if n != meta.get("namespace")]
                meta["labels"]["projectcalico.org/namespace"] = draw(st.sampled_from(homes))
            if draw(st.booleans()):
                k = draw(st.sampled_from([*KEYS, "projectcalico.org/name"]))
                meta["labels"][f"pcns.{k}"] = draw(st.sampled_from([*VALUES, "n0"]))
        objs.append({"apiVersion": version, "kind": kind, "metadata": meta,
                     "spec": {"nets": draw(st.lists(st.sampled_from(CALICO_NETS[:3]), min_size=1, max_size=2, unique=True))}})
    return objs


@st.composite
def cilium_selectors(draw, namespaces):
    """Label selectors as Cilium writes them: source prefixes, namespace keys."""
    sel = draw(selectors())
    if sel.get("matchLabels") and draw(st.booleans()):
        sel["matchLabels"] = {f"{draw(st.sampled_from(['k8s:', 'any:']))}{k}": v for k, v in sel["matchLabels"].items()}
    if draw(st.integers(0, 3)) == 0:
        key = draw(st.sampled_from(["io.kubernetes.pod.namespace", "k8s:io.kubernetes.pod.namespace"]))
        sel.setdefault("matchLabels", {})[key] = draw(st.sampled_from(namespaces))
    if draw(st.integers(0, 4)) == 0:
        sel.setdefault("matchLabels", {})[f"io.cilium.k8s.namespace.labels.{draw(st.sampled_from(KEYS))}"] = draw(
            st.sampled_from(VALUES))
    if draw(st.integers(0, 6)) == 0:
        sel.setdefault("matchLabels", {})["k8s:io.cilium.k8s.policy.serviceaccount"] = draw(
            st.sampled_from(["api", "default"]))
    return sel


@st.composite
def cilium_entries(draw, namespaces, ingress, deny):
    e = {}
    kinds = ["endpoints", "cidr", "cidrset", "entities", "none"] + ([] if ingress or deny else ["fqdns", "services"])
    kind = draw(st.sampled_from(kinds))
    pre = "from" if ingress else "to"
    if kind == "endpoints":
        e[f"{pre}Endpoints"] = draw(st.lists(cilium_selectors(namespaces), min_size=0, max_size=2))
        if draw(st.integers(0, 4)) == 0:  # a lone reserved label: that entity
            e[f"{pre}Endpoints"].append({"matchLabels": {
                f"reserved:{draw(st.sampled_from(['host', 'remote-node', 'kube-apiserver', 'world', 'world-ipv4', 'world-ipv6']))}": ""}})
    elif kind == "cidr":
        e[f"{pre}CIDR"] = draw(st.lists(st.sampled_from([c for c, _ in CIDRS]), min_size=1, max_size=2))
    elif kind == "cidrset":
        cidr, exc = draw(st.sampled_from(CIDRS))
        e[f"{pre}CIDRSet"] = [{"cidr": cidr, **({"except": exc} if exc and draw(st.booleans()) else {})}]
    elif kind == "services":
        e["toServices"] = [
            {"k8sService": {"serviceName": draw(st.sampled_from(["svc0", "svc1", "nope"])),
                            **({"namespace": draw(st.sampled_from(namespaces))} if draw(st.booleans()) else {})}}
            if draw(st.booleans()) else
            {"k8sServiceSelector": {"selector": draw(selectors()),
                                    **({"namespace": draw(st.sampled_from(namespaces))} if draw(st.booleans()) else {})}}
            for _ in range(draw(st.integers(1, 2)))
        ]
    elif kind == "fqdns":
        e["toFQDNs"] = draw(st.lists(st.sampled_from(
            [{"matchName": "api.example.com"}, {"matchPattern": "*.example.org"}, {"matchPattern": "*"}]),
            min_size=1, max_size=2))
    elif kind == "entities":
        e[f"{pre}Entities"] = draw(st.lists(st.sampled_from(
            # (world-ipv4 / world-ipv6 are no entities the CRD admits: lone reserved labels above.)
            ["all", "world", "cluster", "host", "remote-node", "none", "kube-apiserver"]),
            min_size=1, max_size=2))
    if draw(st.integers(0, 3)) == 0:
        # Requirements, ANDed (up to Cilium 1.18) into the endpoint selectors of every rule
        # selecting the same pods; an entry may give them alone.
        e[f"{pre}Requires"] = draw(st.lists(cilium_selectors(namespaces), min_size=1, max_size=2))
    if kind == "none" or draw(st.booleans()):
        ports = []
        for _ in range(draw(st.integers(1, 2))):
            # "0120" is octal 80 to the agent (Go's ParseUint with base 0).
            p = {"port": draw(st.sampled_from([0, *PORTS, "80", "0120", *NAMES]))}
            proto = draw(st.sampled_from([None, "ANY", *PROTOS]))
            if proto:
                p["protocol"] = proto
            if isinstance(p["port"], int) and draw(st.integers(0, 3)) == 0:
                # Above the port a range; at or below it the port alone; on port 0 the ports up to it.
                p["endPort"] = draw(st.sampled_from(PORTS))
            ports.append(p)
        rule = {"ports": ports}
        if not deny and draw(st.integers(0, 4)) == 0:
            rule.update(draw(l7_parts(ingress)))
        e["toPorts"] = [rule]
        if not deny and draw(st.integers(0, 2)) == 0:
            # An L7 part on TCP 80, which other entries of the pod's rules may name too: the
            # agent must then merge their parsers, or fail (cilium-l7-parser-clash).
            e["toPorts"].append({"ports": [{"port": draw(st.sampled_from(["80", 80])), "protocol": "TCP"}],
                                 **draw(l7_parts(ingress))})
    return e


#: L7 parts of a ``toPorts`` item, each giving it a parser: HTTP, Kafka, DNS (egress only: the
#: agent refuses it on ingress), a listener (egress only, likewise), and TLS-only items (a TLS
#: context or server names without rules: the ``tls`` parser, from Cilium 1.13).
_L7_PARTS = [
    {"rules": {"http": [{"method": "GET"}]}},
    {"rules": {"kafka": [{"topic": "t"}]}},
    {"terminatingTLS": {"secret": {"name": "s"}}},
    {"originatingTLS": {"secret": {"name": "s"}}},
    {"serverNames": ["api.example.com"]},
    {"terminatingTLS": {"secret": {"name": "s"}}, "rules": {"http": [{"path": "/"}]}},
]
_L7_EGRESS = [{"rules": {"dns": [{"matchPattern": "*"}]}},
              {"listener": {"envoyConfig": {"kind": "CiliumEnvoyConfig", "name": "cec"}, "name": "l1"}}]


@st.composite
def l7_parts(draw, ingress):
    return dict(draw(st.sampled_from(_L7_PARTS if ingress else _L7_PARTS + _L7_EGRESS)))


@st.composite
def cilium_objects(draw, namespaces):
    objs = []
    for j in range(draw(st.integers(1, 3))):
        clusterwide = draw(st.booleans())
        meta = {"name": f"cil{j}"}
        if not clusterwide:
            meta["namespace"] = draw(st.sampled_from(namespaces))
        rule = {"endpointSelector": draw(cilium_selectors(namespaces))}
        for key, ingress, deny in (("ingress", True, False), ("ingressDeny", True, True),
                                   ("egress", False, False), ("egressDeny", False, True)):
            if draw(st.integers(0, 2 if not deny else 4)) == 0:
                rule[key] = draw(st.lists(cilium_entries(namespaces, ingress, deny), min_size=0, max_size=2))
        if draw(st.integers(0, 4)) == 0:
            rule["enableDefaultDeny"] = {d: draw(st.booleans()) for d in ("ingress", "egress") if draw(st.booleans())}
        body = {"spec": rule} if draw(st.integers(0, 3)) else {"specs": [rule, {"endpointSelector": {}}]}
        objs.append({"apiVersion": "cilium.io/v2",
                     "kind": "CiliumClusterwideNetworkPolicy" if clusterwide else "CiliumNetworkPolicy",
                     "metadata": meta, **body})
    return objs


# The focused Calico property tests: small clusters around one feature, 100 examples each.
_FOCUSED = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _gnp(name, spec):
    return {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": name}, "spec": spec}


def _with_rules(draw, spec, rule):
    """``spec`` with 0-2 rules in each direction, each drawn by ``rule(direction)``."""
    for direction in ("ingress", "egress"):
        rules = [rule(direction) for _ in range(draw(st.integers(0, 2)))]
        if rules:
            spec[direction] = rules
    return spec


@st.composite
def endpoint_slices(draw, k, namespaces, addresses, min_ports):
    """An EndpointSlice of Service svc0 or svc1: 1-2 of ``addresses``, TCP/UDP ports (None: every port)."""
    svc = draw(st.sampled_from(["svc0", "svc1"]))
    return {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
        "metadata": {"namespace": draw(st.sampled_from(namespaces)), "name": f"{svc}-{k}",
                     "labels": {"kubernetes.io/service-name": svc}},
        "endpoints": [{"addresses": [a]}
                      for a in draw(st.lists(st.sampled_from(addresses), min_size=1, max_size=2, unique=True))],
        "ports": [{"protocol": draw(st.sampled_from(["TCP", "UDP"])), **({"port": p} if p else {})}
                  for p in draw(st.lists(st.sampled_from([None, 53, 80, 443]), min_size=min_ports, max_size=2,
                                         unique=True))],
    }


@st.composite
def clusters(draw, admin=False, calico=False, cilium=False):
    namespaces = ["n0", "n1", "n2"][: draw(st.integers(1, 3))]
    objs = [ns(n, **draw(labels)) for n in namespaces]
    n_pods = draw(st.integers(2, 5))
    for i in range(n_pods):
        named = draw(st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(PORTS), st.sampled_from(PROTOS)), max_size=2, unique_by=lambda t: (t[0], t[2])))
        host = draw(st.integers(0, 9)) == 0
        ip = f"10.0.0.{i + 1}"
        host_ip = draw(st.sampled_from(["10.0.0.2", *(n_ip for _, n_ip, _ in NODES)])) if host else None
        objs.append(pod(draw(st.sampled_from(namespaces)), f"p{i}", draw(labels), host_ip if host else ip, tuple(named), host=host, host_ip=host_ip))
        if draw(st.integers(0, 3)) == 0:  # a sidecar, which may give a port name another number
            if named and draw(st.booleans()):  # the main container's name, likely another number
                side = [(named[0][0], draw(st.sampled_from(PORTS)), named[0][2])]
            else:
                side = draw(st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(PORTS), st.sampled_from(PROTOS)), min_size=1, max_size=2, unique_by=lambda t: (t[0], t[2])))
            objs[-1]["spec"]["containers"].append({"name": "side", "image": "img", "ports": [
                {"containerPort": p, "name": n, "protocol": pr} for n, p, pr in side]})
        # Where it runs: a hostNetwork pod on the node whose address it has, others anywhere
        # (traffic from a pod's own node is let in whatever its policies).
        on = {n_ip: name for name, n_ip, _ in NODES}.get(host_ip or "") or draw(st.sampled_from([None, "n-a", "n-b"]))
        if on:
            objs[-1]["spec"]["nodeName"] = on
        if (calico or cilium) and draw(st.booleans()):
            objs[-1]["spec"]["serviceAccountName"] = draw(st.sampled_from(["api", "default", "batch"]))
        if cilium and not host and draw(st.integers(0, 2)) == 0:
            # Both families: the agents run dual-stack, so reserved:world-ipv4 / -ipv6 are judged.
            objs[-1]["status"]["podIPs"] = [{"ip": ip}, {"ip": f"fd00::{i + 1}"}]
    # Where Cilium may run, NetworkPolicy selectors sometimes test identity labels.
    scope = namespaces if cilium else None
    for j in range(draw(st.integers(0, 3))):
        spec = {"podSelector": draw(knp_selectors(scope))}
        types = draw(st.sampled_from([None, ["Ingress"], ["Egress"], ["Ingress", "Egress"]]))
        if types:
            spec["policyTypes"] = types
        if draw(st.booleans()):
            spec["ingress"] = [_rule(r, "from") for r in draw(st.lists(rules(scope), max_size=2))]
        if draw(st.booleans()):
            spec["egress"] = [_rule(r, "to") for r in draw(st.lists(rules(scope), max_size=2))]
        objs.append(netpol(draw(st.sampled_from(namespaces)), f"np{j}", spec))
    if calico:
        objs += draw(calico_objects(namespaces))
        pod_ips = [o["status"]["podIP"] for o in objs if o["kind"] == "Pod" and o["status"].get("podIP")]
        objs += [draw(endpoint_slices(k, ["n0", "n1"], [*pod_ips, "192.168.1.1", "8.8.8.8"], min_ports=0))
                 for k in range(draw(st.integers(0, 3)))]
        if draw(st.integers(0, 2)):
            # The pods' ServiceAccounts, with labels: all of them, or all but one (whose
            # labels are then unknown, so policies selecting by them go unevaluated).
            used = sorted({(o["metadata"]["namespace"], o["spec"].get("serviceAccountName") or "default")
                           for o in objs if o["kind"] == "Pod"})
            if draw(st.integers(0, 3)) == 0:
                used = used[1:]
            objs += [{"apiVersion": "v1", "kind": "ServiceAccount",
                      "metadata": {"namespace": n, "name": a, "labels": draw(labels)}} for n, a in used]
    if cilium:
        objs += draw(cilium_objects(namespaces))
        if draw(st.integers(0, 3)):
            # The API server's endpoints: node addresses (n-a's, n-b's external one), outside
            # ones, sometimes a pod's or one not ready (its policies then go unevaluated).
            apis = draw(st.lists(st.sampled_from(["10.0.1.1", "192.168.2.1", "8.8.8.8", "10.0.0.77"]),
                                 min_size=1, max_size=2, unique=True))
            waiting = tuple(draw(st.lists(st.sampled_from(["10.0.0.1", "192.168.1.1"]), max_size=1)))
            objs.append(kubernetes_slice(*apis, *(["10.0.0.2"] if draw(st.integers(0, 5)) == 0 else []),
                                         not_ready=waiting if draw(st.integers(0, 5)) == 0 else ()))
        if draw(st.booleans()):
            # An agent: Cilium then resolves a name two containers number differently to the
            # last container's number, for NetworkPolicies too.
            name, n_ip, _ = NODES[0]
            objs.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": "kube-system", "name": "cilium-x"},
                         "spec": {"hostNetwork": True, "nodeName": name, "containers": [
                             {"name": "cilium-agent", "image": f"cilium:{draw(st.sampled_from(RELEASES))}"}]},
                         "status": {"podIP": n_ip, "hostIP": n_ip}})
        if draw(st.booleans()):
            # Services for toServices: with or without a selector, and their endpoints (outside
            # addresses, and pod addresses, which generated CIDR rules never match).
            pod_ips = [o["status"]["podIP"] for o in objs if o["kind"] == "Pod" and o["status"].get("podIP")]
            for name in ("svc0", "svc1"):
                spec = {"ports": [{"port": 80}]}
                if draw(st.integers(0, 3)) == 0:
                    spec["selector"] = {"app": "x"}
                objs.append({"apiVersion": "v1", "kind": "Service", "spec": spec, "metadata": {
                    "namespace": draw(st.sampled_from(namespaces)), "name": name, "labels": draw(labels)}})
            objs += [draw(endpoint_slices(k, namespaces, [*pod_ips, "192.168.1.1", "8.8.8.8", "10.0.0.77"],
                                          min_ports=0)) for k in range(draw(st.integers(1, 3)))]
    if admin:
        objs += [node(name, ip, ext, **draw(labels)) for name, ip, ext in NODES]
        objs += [anp(f"anp{k}", draw(admin_policies(False))) for k in range(draw(st.integers(0, 2)))]
        if draw(st.booleans()):
            objs.append(anp("default", draw(admin_policies(True)), baseline=True))
        for k in range(draw(st.integers(0, 2))):
            version, spec = draw(cluster_network_policies())
            objs.append({"apiVersion": f"policy.networking.k8s.io/{version}", "kind": "ClusterNetworkPolicy",
                         "metadata": {"name": f"cnp{k}"}, "spec": spec})
    return objs, draw(st.booleans())


#: K8SVIZ_NP_EXAMPLES runs the NetworkPolicy-only property tests below with that many examples.
_NP_EXAMPLES = int(os.environ.get("K8SVIZ_NP_EXAMPLES", "0")) or None


@settings(max_examples=_NP_EXAMPLES or 300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(clusters())
def test_engine_agrees_with_reference(case):
    _np_agrees(case, (1, *PORTS, 444, 65535))


def _np_agrees(case, ports, probes=()):
    """can_reach and to_frame equal the reference on every judged pair, protocol and port
    (and each ``(protocol, port)`` of ``probes``)."""
    objs, match_pods = case
    snap = snapshot(*objs)
    r = k8sviz.reachability(snap, ipblocks_match_pods=match_pods)
    frame = r.to_frame()
    rows = {(s, d, p): ports for s, d, p, ports in zip(frame.src, frame.dst, frame.protocol, frame.ports, strict=True)}
    for s, d, sk, dk in judged_pairs(snap):
        for proto, port in [*((proto, port) for proto in PROTOS for port in ports), *probes]:
            want = reference.allowed(snap, s, d, proto, port, ipblocks_match_pods=match_pods)
            assert r.can_reach(sk, dk, port, proto) == want, (sk, dk, proto, port)
            if not isinstance(s, str) and not isinstance(d, str):
                assert _in_ranges(rows.get((sk, dk, proto)), port) == want, (sk, dk, proto, port)
    return r


NS_NAME = "kubernetes.io/metadata.name"


def _np_selectors(spec):
    """Every peer selector of a NetworkPolicy spec, as ``(selector, is a namespaceSelector)``."""
    for key, peers in (("ingress", "from"), ("egress", "to")):
        for r in spec.get(key) or ():
            for p in r.get(peers) or ():
                for name in ("namespaceSelector", "podSelector"):
                    if name in p:
                        yield p[name], name == "namespaceSelector"


@st.composite
def rarer_clusters(draw):
    """:func:`clusters` (NetworkPolicy only) with shapes it does not draw: a namespace with no
    Namespace object (its only label the name), namespaceSelectors on kubernetes.io/metadata.name
    (also of a namespace that does not exist), label values "", pods pending without an address
    or ended, port entries 1-65535, 65535 or protocol-only; and sometimes a policy naming 100 or
    more ports, past the first 64-bit word of port atoms."""
    objs, match_pods = draw(clusters())
    objs = copy.deepcopy(objs)
    names = [o["metadata"]["name"] for o in objs if o["kind"] == "Namespace"]
    if len(names) > 1 and draw(st.integers(0, 3)) == 0:
        gone = draw(st.sampled_from(names))
        objs = [o for o in objs if not (o["kind"] == "Namespace" and o["metadata"]["name"] == gone)]
    for o in objs:
        if o["kind"] == "NetworkPolicy":
            for sel, of_namespaces in _np_selectors(o["spec"]):
                if of_namespaces and draw(st.integers(0, 2)) == 0:
                    values = draw(st.lists(st.sampled_from(["n0", "n1", "n2", "n9"]), min_size=1, max_size=2,
                                           unique=True))
                    if draw(st.booleans()):
                        sel.setdefault("matchLabels", {})[NS_NAME] = values[0]
                    else:
                        sel.setdefault("matchExpressions", []).append(
                            {"key": NS_NAME, "operator": draw(st.sampled_from(["In", "NotIn"])),
                             "values": values})
                if draw(st.integers(0, 5)) == 0:
                    sel.setdefault("matchLabels", {})[draw(st.sampled_from(KEYS))] = ""
            for key in ("ingress", "egress"):
                for r in o["spec"].get(key) or ():
                    for entry in r.get("ports") or ():
                        if draw(st.integers(0, 6)) == 0:
                            entry.clear()
                            entry.update(draw(st.sampled_from([
                                {"port": 1, "endPort": 65535}, {"protocol": "UDP", "port": 444,
                                                                "endPort": 444},
                                {"port": 65535}, {"protocol": "SCTP"}, {}])))
        elif o["kind"] == "Pod" and not o["spec"].get("hostNetwork"):
            change = draw(st.integers(0, 7))
            if change == 0:
                o["status"]["phase"] = draw(st.sampled_from(["Succeeded", "Failed"]))
            elif change == 1:
                o["status"]["phase"] = "Pending"
                o["status"].pop("podIP", None)
            elif change == 2:
                o["metadata"]["labels"][draw(st.sampled_from(KEYS))] = ""
    if draw(st.booleans()):
        objs.append(pod(draw(st.sampled_from(names)), "late", draw(labels), None, (("http", 80, "TCP"),)))
    if draw(st.integers(0, 2)) == 0:
        homes = sorted({o["metadata"]["namespace"] for o in objs if o["kind"] == "Pod"})
        step, count = draw(st.sampled_from([1, 3])), draw(st.sampled_from([70, 100]))
        tcp = [{"port": 1000 + step * k} for k in range(count)]
        udp = [{"protocol": "UDP", "port": 2000 + 2 * k, "endPort": 2000 + 2 * k}
               for k in range(draw(st.integers(0, 40)))]
        objs.append(netpol(draw(st.sampled_from(homes)), "many-ports", {
            "podSelector": draw(selectors()),
            "policyTypes": draw(st.sampled_from([["Ingress"], ["Egress"], ["Ingress", "Egress"]])),
            "ingress": [{"from": [{"podSelector": draw(selectors())}], "ports": [*tcp, *udp]}],
            "egress": [{"ports": [*tcp, *udp][::2]}]}))
    return objs, match_pods


#: Ports in the later words of :func:`rarer_clusters`' many-port policy.
_WIDE_PROBES = (("TCP", 1003), ("TCP", 1099), ("TCP", 1198), ("TCP", 1297), ("UDP", 2000), ("UDP", 2001),
                ("UDP", 2078), ("SCTP", 80))


@settings(max_examples=_NP_EXAMPLES or 100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rarer_clusters())
def test_engine_agrees_with_reference_on_rarer_shapes(case):
    _np_agrees(case, (1, *PORTS, 444, 65535), _WIDE_PROBES)


def judged_pairs(snap):
    """Every ordered pair of endpoints the engine judges: pods, and pods with outside
    addresses (an address a pod holds stands for that pod), as ``(src, dst, src_key, dst_key)``."""
    pod_ips = {ip for q in snap.pods for ip in q.ips if not q.host_network}
    ends = [*snap.pods, *(e for e in EXTERNAL if e not in pod_ips)]
    for s in ends:
        for d in ends:
            if s is d or (isinstance(s, str) and isinstance(d, str)):
                continue
            yield s, d, (s if isinstance(s, str) else s.key), (d if isinstance(d, str) else d.key)


def _in_ranges(ranges, port):
    for rg in ranges or ():
        lo, _, hi = rg.partition("-")
        if int(lo) <= port <= int(hi or lo):
            return True
    return False


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(clusters(admin=True))
def test_engine_with_admin_tiers_agrees_with_reference(case):
    """AdminNetworkPolicy, NetworkPolicy and the baseline together; explain() agrees too."""
    _agree_with_reference(case, (1, *PORTS, 444))


def _agree_with_reference(case, ports, explained=((80, "TCP"),)):
    """can_reach equals the reference on every judged pair, protocol and port; explain() gives
    the same verdict, and it is the AND of its two sides."""
    objs, match_pods = case
    snap = snapshot(*objs)
    r = k8sviz.reachability(snap, ipblocks_match_pods=match_pods)
    for s, d, sk, dk in judged_pairs(snap):
        for proto in PROTOS:
            for port in ports:
                want = reference.allowed(snap, s, d, proto, port, ipblocks_match_pods=match_pods)
                assert r.can_reach(sk, dk, port, proto) == want, (sk, dk, proto, port)
        for port, proto in explained:
            v = r.explain(sk, dk, port, proto)
            assert v.allowed == (v.egress.allowed and v.ingress.allowed) == r.can_reach(sk, dk, port, proto), str(v)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(clusters())
def test_general_tiered_core_agrees_with_additive_fast_path(case):
    """The generic first-match evaluator (used once dialects add Deny/Pass tiers) gives the same matrix."""
    from k8sviz.policy.engine import Engine

    objs, match_pods = case
    snap = snapshot(*objs)
    fast = k8sviz.reachability(snap, ipblocks_match_pods=match_pods)
    original = Engine._closing_denies
    try:
        Engine._closing_denies = lambda self, direction: None  # type: ignore[method-assign]
        slow = k8sviz.reachability(snap, ipblocks_match_pods=match_pods)
    finally:
        Engine._closing_denies = original  # type: ignore[method-assign]
    fe, se = fast._engine, slow._engine
    assert (fe.matrix[np.ix_(fe.bmap, fe.bmap)] == se.matrix[np.ix_(se.bmap, se.bmap)]).all()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(clusters(admin=True))
def test_column_blocks_give_the_same_matrix(case):
    """Both paths build their matrix in blocks of destination columns; tiny blocks change nothing."""
    import k8sviz.policy.engine as E

    objs, match_pods = case
    snap = snapshot(*objs)
    whole = k8sviz.reachability(snap, ipblocks_match_pods=match_pods)._engine
    original = E._CHUNK_WORDS
    try:
        E._CHUNK_WORDS = 3
        parts = k8sviz.reachability(snap, ipblocks_match_pods=match_pods)._engine
    finally:
        E._CHUNK_WORDS = original
    assert (whole.matrix[np.ix_(whole.bmap, whole.bmap)] == parts.matrix[np.ix_(parts.bmap, parts.bmap)]).all()
    # Row by row (what-ifs such as the node-local exception) gives the same matrix.
    assert np.array_equal(whole.rows(np.arange(whole.n_b)), whole.matrix)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(clusters(calico=True))
def test_rows_give_the_matrix_with_calico_tiers(case):
    objs, match_pods = case
    engine = k8sviz.reachability(snapshot(*objs), ipblocks_match_pods=match_pods)._engine
    assert np.array_equal(engine.rows(np.arange(engine.n_b)), engine.matrix)


@settings(max_examples=int(os.environ.get("K8SVIZ_CALICO_EXAMPLES", "200")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(clusters(admin=True, calico=True))
def test_engine_with_calico_tiers_agrees_with_reference(case):
    """Calico tiers, NetworkPolicy in the default tier and the admin tiers together; explain() agrees."""
    _agree_with_reference(case, (1, *PORTS, 444, 8000), ((53, "UDP"), (80, "TCP")))


@settings(max_examples=int(os.environ.get("K8SVIZ_CILIUM_EXAMPLES", "200")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(clusters(admin=True, cilium=True))
def test_engine_with_cilium_agrees_with_reference(case):
    """Cilium's rules with the NetworkPolicies in one repository, inside the admin tiers; the
    pods whose L7 parsers the agent cannot merge are those the reference finds, pairwise."""
    _agree_with_reference(case, (1, *PORTS, 444))
    snap = snapshot(*case[0])
    want = reference.l7_clash_sites(snap)
    assert _engine_clash_sites(snap) == want
    # The snapshot leaves a policy unevaluated for a clash exactly where one is found.
    marked = {p.ref for p in snap.cilium_policies if any("cannot merge conflicting L7 parsers" in u for u in p.unsupported)}
    assert bool(marked) == bool(want), (marked, want)


@settings(max_examples=int(os.environ.get("K8SVIZ_CALICO_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(clusters(admin=True, calico=True, cilium=True))
def test_engine_with_calico_and_cilium_agrees_with_reference(case):
    """Calico's tiers and Cilium's rules both evaluated (cni-policies-mixed): Cilium's in the
    default tier, its denies and allows first, its default deny at the tier's end."""
    _agree_with_reference(case, (1, 53, 80, 444), ((53, "UDP"), (80, "TCP")))

def _engine_clash_sites(snap):
    """``{(pod key, direction): shared}`` from the engine's clashes, as the reference gives it."""
    from k8sviz.cilium_objects import l7_parser_clashes

    ns_labels = {**{p.namespace: {"kubernetes.io/metadata.name": p.namespace} for p in snap.pods},
                 **{n.name: n.labels for n in snap.namespaces}}
    sites = {}
    for c in l7_parser_clashes(snap.cilium_policies, snap.pods, ns_labels, snap.cilium_release):
        direction = "ingress" if ".ingress[" in c.first[1] else "egress"
        for key in c.pods:
            sites[(key, direction)] = sites.get((key, direction), False) or c.one_peer
    return sites


#: A ServiceAccount name too long for the projectcalico.org/serviceaccount label (63 or more).
LONG_SA = "sa-" + "x" * 60


@st.composite
def calico_service_account_clusters(draw):
    """Pods under a few ServiceAccounts whose labels the snapshot holds, and Calico policies
    that select by those labels (subject, rules, and ``pcsa.`` endpoint labels)."""
    namespaces = ["n0", "n1"][: draw(st.integers(1, 2))]
    objs = [ns(n, **draw(labels)) for n in namespaces]
    accounts = set()
    for i in range(draw(st.integers(2, 5))):
        n = draw(st.sampled_from(namespaces))
        own = draw(labels)
        if draw(st.integers(0, 3)) == 0:
            # Its own pcsa. label, which Felix reads before its account's.
            k = draw(st.sampled_from([*KEYS, "projectcalico.org/name"]))
            own[f"pcsa.{k}"] = draw(st.sampled_from([*VALUES, "api"]))
        if draw(st.integers(0, 4)) == 0:
            # Its own projectcalico.org/serviceaccount label: the conversion writes over it,
            # unless the account's name is too long for it (LONG_SA).
            own["projectcalico.org/serviceaccount"] = draw(st.sampled_from(["api", "batch"]))
        objs.append(pod(n, f"p{i}", own, f"10.0.0.{i + 1}"))
        name = draw(st.sampled_from(["default", "api", "batch", LONG_SA]))
        if name != "default" or draw(st.booleans()):
            objs[-1]["spec"]["serviceAccountName"] = name
        accounts.add((n, name))
    objs += [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"namespace": n, "name": a, "labels": draw(labels)}}
             for n, a in sorted(accounts)]

    def account_selector():
        k, v = draw(st.sampled_from(KEYS)), draw(st.sampled_from(VALUES))
        return draw(st.sampled_from([f"{k} == '{v}'", f"has({k})", f"!has({k})", f"{k} != '{v}'",
                                     f"has({k}) && projectcalico.org/name == 'api'", "all()",
                                     f"all( ) && !has({k})", f"projectcalico.org/name == '{LONG_SA}'"]))

    for j in range(draw(st.integers(1, 3))):
        spec = {"order": draw(st.sampled_from([10, 20]))}
        # The selector as written matters: a GlobalNetworkPolicy's all() (not an absent one,
        # nor "all( )") needs projectcalico.org/serviceaccount once a serviceAccountSelector
        # is ANDed in.
        selector = draw(st.sampled_from(
            [None, "all()", "all( )", f"pcsa.{draw(st.sampled_from(KEYS))} == '{draw(st.sampled_from(VALUES))}'",
             f"has(pcsa.{draw(st.sampled_from(KEYS))})", f"all() && !has({draw(st.sampled_from(KEYS))})"]))
        if selector is not None:
            spec["selector"] = selector
        if draw(st.booleans()):
            spec["serviceAccountSelector"] = account_selector()

        def rule(direction):
            side = "source" if direction == "ingress" else "destination"
            match = {"selector": account_selector()}
            if draw(st.booleans()):
                match["names"] = [draw(st.sampled_from(["default", "api", "batch", LONG_SA]))]
            return {"action": draw(st.sampled_from(["Allow", "Deny", "Pass"])), side: {"serviceAccounts": match}}

        objs.append(_gnp(f"g{j}", _with_rules(draw, spec, rule)))
    return objs, False


@_FOCUSED
@given(calico_service_account_clusters())
def test_calico_service_account_labels_agree_with_reference(case):
    assert not snapshot(*case[0]).unevaluated_policies  # every account is there: all judged
    _agree_with_reference(case, (80,))


@st.composite
def calico_service_clusters(draw):
    """Pods, EndpointSlices of two Services (pod and outside addresses, several ports), and
    Calico policies whose rules match those Services, in and out."""
    objs = [ns("n0", **draw(labels)), ns("n1", **draw(labels))]
    ips = []
    for i in range(draw(st.integers(2, 4))):
        objs.append(pod(draw(st.sampled_from(["n0", "n1"])), f"p{i}", draw(labels), f"10.0.0.{i + 1}"))
        ips.append(f"10.0.0.{i + 1}")
    objs += [draw(endpoint_slices(k, ["n0"], [*ips, "8.8.8.8"], min_ports=1)) for k in range(draw(st.integers(1, 4)))]
    for j in range(draw(st.integers(1, 3))):
        spec = {"order": draw(st.sampled_from([10, 20])), "selector": draw(st.sampled_from(["all()", "app == 'a'"]))}

        def rule(direction):
            side = "source" if direction == "ingress" else "destination"
            r = {"action": draw(st.sampled_from(["Allow", "Deny", "Pass"])),
                 side: {"services": {"name": draw(st.sampled_from(["svc0", "svc1"])), "namespace": "n0"}}}
            if draw(st.booleans()):
                r["protocol"] = draw(st.sampled_from(["TCP", "UDP"]))
            return r

        objs.append(_gnp(f"g{j}", _with_rules(draw, spec, rule)))
    return objs, False


@_FOCUSED
@given(calico_service_clusters())
def test_calico_services_agree_with_reference(case):
    assert not snapshot(*case[0]).unevaluated_policies
    _agree_with_reference(case, (1, 53, 80, 443))


@st.composite
def calico_ip_family_clusters(draw):
    """Single-stack pods of either family, and Calico rules restricted to one IP family."""
    objs = [ns("n0", **draw(labels))]
    for i in range(draw(st.integers(2, 4))):
        ip = f"fd00::{i + 1}" if draw(st.integers(0, 2)) == 0 else f"10.0.0.{i + 1}"
        objs.append(pod("n0", f"p{i}", draw(labels), ip))
    for j in range(draw(st.integers(1, 2))):
        spec = {"order": 10 + j, "selector": draw(st.sampled_from(["all()", "app == 'a'"]))}

        def rule(_direction):
            return {"action": draw(st.sampled_from(["Allow", "Deny", "Pass"])),
                    **({"ipVersion": v} if (v := draw(st.sampled_from([None, 4, 6]))) else {}),
                    **({"protocol": "TCP"} if draw(st.booleans()) else {})}

        objs.append(_gnp(f"g{j}", _with_rules(draw, spec, rule)))
    return objs, False


@_FOCUSED
@given(calico_ip_family_clusters())
def test_calico_ip_versions_agree_with_reference(case):
    assert not snapshot(*case[0]).unevaluated_policies
    _agree_with_reference(case, (80,))


@st.composite
def network_set_objects(draw, namespaces, j, crd_kind=None):
    """A NetworkSet or GlobalNetworkSet over pod and outside addresses.  A
    crd.projectcalico.org/v1 one, which skips Calico's validator, may carry
    projectcalico.org/namespace (a GlobalNetworkSet keeps it and Felix scopes the set by it,
    even to a namespace that does not exist; a NetworkSet has its own namespace written over
    it) and pcns. labels, which are what rules' namespaceSelectors read of a set.
    ``crd_kind``: a crd.projectcalico.org/v1 object of that kind carrying the label."""
    meta = {"name": f"set{j}", "labels": draw(labels)}
    kind = crd_kind or draw(st.sampled_from(["GlobalNetworkSet", "GlobalNetworkSet", "NetworkSet"]))
    if kind == "NetworkSet":
        meta["namespace"] = draw(st.sampled_from(namespaces))
    version = "projectcalico.org/v3"
    if crd_kind or draw(st.integers(0, 2)):
        version = "crd.projectcalico.org/v1"
        if crd_kind or draw(st.integers(0, 3)):
            # On a NetworkSet, one the syncer overwrites: another namespace's.
            homes = [n for n in [*namespaces, *namespaces, "n9"] if n != meta.get("namespace")]
            meta["labels"]["projectcalico.org/namespace"] = draw(st.sampled_from(homes))
        if draw(st.booleans()):
            k = draw(st.sampled_from([*KEYS, "projectcalico.org/name"]))
            meta["labels"][f"pcns.{k}"] = draw(st.sampled_from([*VALUES, "n0"]))
    if draw(st.integers(0, 2)) == 0:
        # The labels a rule's serviceAccounts compiles to, which Calico's validator lets a
        # network set carry: Felix then matches the set by them.
        key = draw(st.sampled_from(["projectcalico.org/serviceaccount", "pcsa.projectcalico.org/name"]))
        meta["labels"][key] = draw(st.sampled_from(["api", "default"]))
    nets = draw(st.lists(st.sampled_from(["10.0.0.0/30", "10.0.0.4/32", "8.8.8.0/24", "192.168.0.0/16"]),
                         min_size=1, max_size=2, unique=True))
    return {"apiVersion": version, "kind": kind, "metadata": meta, "spec": {"nets": nets}}


@st.composite
def calico_network_set_clusters(draw):
    """Pods, network sets (some carrying Calico's namespace label), and namespaced and global
    Calico policies whose rules select by the labels network sets show Felix."""
    namespaces = ["n0", "n1"]
    objs = [ns(n, **draw(labels)) for n in namespaces]
    for i in range(draw(st.integers(2, 4))):
        own = draw(labels)
        if draw(st.integers(0, 3)) == 0:
            # Its own pcns. label, which Felix reads before its namespace's.
            k = draw(st.sampled_from([*KEYS, "projectcalico.org/name"]))
            own[f"pcns.{k}"] = draw(st.sampled_from([*VALUES, "n0", "n1"]))
        objs.append(pod(draw(st.sampled_from(namespaces)), f"p{i}", own, f"10.0.0.{i + 1}"))
        if draw(st.booleans()):
            objs[-1]["spec"]["serviceAccountName"] = "api"
    objs += [draw(network_set_objects(namespaces, j)) for j in range(draw(st.integers(0, 2)))]
    kind = draw(st.sampled_from(["GlobalNetworkSet", "GlobalNetworkSet", "GlobalNetworkSet", "NetworkSet"]))
    objs.append(draw(network_set_objects(namespaces, 9, kind)))

    def selector():
        k, v = draw(st.sampled_from(KEYS)), draw(st.sampled_from(VALUES))
        return draw(st.sampled_from(["all()", "all()", "all()", f"{k} == '{v}'", f"has({k})", f"!has({k})",
                                     "projectcalico.org/namespace == 'n1'", "has(projectcalico.org/namespace)",
                                     f"pcns.{k} == '{v}'", "pcns.projectcalico.org/name == 'n0'",
                                     "pcns.projectcalico.org/name == 'n1'"]))

    def rule(direction):
        e = {}
        if draw(st.integers(0, 2)):
            e["selector"] = selector()
        if draw(st.integers(0, 3)) == 0:
            e["notSelector"] = selector()
        if draw(st.booleans()):
            k, v = draw(st.sampled_from(KEYS)), draw(st.sampled_from(VALUES))
            e["namespaceSelector"] = draw(st.sampled_from(
                ["all()", "global()", f"{k} == '{v}'", f"!has({k})", "projectcalico.org/name == 'n0'",
                 "projectcalico.org/name == 'n1'", "projectcalico.org/name != 'n1'"]))
        if draw(st.integers(0, 3)) == 0:
            # By ServiceAccount name only (labels would need the accounts in the snapshot).
            e["serviceAccounts"] = draw(st.sampled_from([
                {"names": ["api"]}, {"names": ["default", "x"]}, {"selector": "projectcalico.org/name == 'api'"},
                {"selector": "projectcalico.org/name != 'api'"}, {"selector": "all()"}]))
        side = "source" if direction == "ingress" else "destination"
        return {"action": draw(st.sampled_from(["Allow", "Deny", "Pass"])), **({side: e} if e else {})}

    for j in range(draw(st.integers(1, 3))):
        spec = _with_rules(draw, {"order": 10 + j, "selector": draw(st.sampled_from(["all()", "all()", "app == 'a'"]))}, rule)
        if "ingress" not in spec and "egress" not in spec:
            spec["ingress"] = [rule("ingress")]  # a policy without rules reads no set
        for direction in ("ingress", "egress"):
            if direction in spec and spec[direction][-1]["action"] == "Deny" and draw(st.booleans()):
                spec[direction].append({"action": "Allow"})  # so that the Deny shows
        if draw(st.integers(0, 2)):
            objs.append({"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
                         "metadata": {"namespace": draw(st.sampled_from(namespaces)), "name": f"c{j}"}, "spec": spec})
        else:
            if draw(st.integers(0, 2)) == 0:
                # The policy's own namespace selector, which Felix tests on pcns. labels too.
                k, v = draw(st.sampled_from(KEYS)), draw(st.sampled_from(VALUES))
                spec["namespaceSelector"] = draw(st.sampled_from(
                    [f"{k} == '{v}'", f"!has({k})", "projectcalico.org/name == 'n0'"]))
            objs.append(_gnp(f"g{j}", spec))
    return objs, False


# 200 examples: what tells a set's readings apart (a set, a rule on its labels, an address
# only it holds, and a verdict that rule decides) comes together in few of them.
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(calico_network_set_clusters())
def test_calico_network_sets_agree_with_reference(case):
    assert not snapshot(*case[0]).unevaluated_policies
    _agree_with_reference(case, (80,))


@st.composite
def cilium_service_clusters(draw):
    """Pods, two Services (mostly without a selector) in random namespaces, a Cilium agent of
    1.16 or 1.17, the Services' EndpointSlices (pod, node and outside addresses), and Cilium policies whose egress names them (by name or by labels,
    in a namespace or any)."""
    namespaces = ["n0", "n1"]
    objs = [ns(n, **draw(labels)) for n in namespaces]
    ips = []
    for i in range(draw(st.integers(2, 4))):
        objs.append(pod(draw(st.sampled_from(namespaces)), f"p{i}", draw(labels), f"10.0.0.{i + 1}"))
        ips.append(f"10.0.0.{i + 1}")
    homes = {}
    # The agents' release decides what a Service with a selector gives (its pods from 1.17).
    release = draw(st.sampled_from(["v1.16.7", "v1.17.2"]))
    objs.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": "kube-system", "name": "cilium-x"},
                 "spec": {"hostNetwork": True, "containers": [{"name": "cilium-agent", "image": f"cilium:{release}"}]},
                 "status": {"podIP": "10.0.1.1", "hostIP": "10.0.1.1"}})
    for name in ("svc0", "svc1"):
        homes[name] = draw(st.sampled_from(namespaces))
        spec = {"ports": [{"port": 80}]}
        if draw(st.booleans()):
            spec["selector"] = draw(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), min_size=1, max_size=1))
        objs.append({"apiVersion": "v1", "kind": "Service", "spec": spec,
                     "metadata": {"namespace": homes[name], "name": name, "labels": draw(labels)}})
    for k in range(draw(st.integers(1, 4))):
        es = draw(endpoint_slices(k, namespaces, [*ips, "8.8.8.8", "192.168.1.1", "10.0.0.77", "10.0.1.1"],
                                  min_ports=0))
        if draw(st.integers(0, 3)):  # else a slice of a same-named Service of another namespace
            es["metadata"]["namespace"] = homes[es["metadata"]["labels"]["kubernetes.io/service-name"]]
        if draw(st.integers(0, 3)) == 0:
            es["endpoints"][0]["conditions"] = {"ready": False}  # not ready: left out
        objs.append(es)
    for j in range(draw(st.integers(1, 2))):
        clusterwide = draw(st.booleans())
        meta = {"name": f"cil{j}", **({} if clusterwide else {"namespace": draw(st.sampled_from(namespaces))})}
        where = {"namespace": draw(st.sampled_from(namespaces))} if draw(st.booleans()) else {}
        item = ({"k8sService": {"serviceName": draw(st.sampled_from(["svc0", "svc1", "nope"])), **where}}
                if draw(st.booleans()) else {"k8sServiceSelector": {"selector": draw(selectors()), **where}})
        entry = {"toServices": [item]}
        if draw(st.booleans()):
            entry["toPorts"] = [{"ports": [{"port": draw(st.sampled_from(["80", "443"]))}]}]
        egress = [entry] + ([{"toEndpoints": [{}]}] if draw(st.booleans()) else [])
        objs.append({"apiVersion": "cilium.io/v2",
                     "kind": "CiliumClusterwideNetworkPolicy" if clusterwide else "CiliumNetworkPolicy",
                     "metadata": meta, "spec": {"endpointSelector": draw(st.one_of(st.just({}), cilium_selectors(namespaces))),
                                                "egress": egress}})
    objs.append(node("n-a", "10.0.1.1"))  # a node's address among the endpoints: never matched either
    return objs, False


@_FOCUSED
@given(cilium_service_clusters())
def test_cilium_to_services_agree_with_reference(case):
    assert not snapshot(*case[0]).unevaluated_policies  # the release is known: all judged
    _agree_with_reference(case, (80, 443))


@st.composite
def cilium_apiserver_clusters(draw):
    """Pods on two nodes (hostNetwork ones among them, one whose node is not said), the
    default/kubernetes endpoints on nodes and outside, and Cilium policies naming the
    kube-apiserver entity (or its lone reserved label) and cluster, to allow and to deny."""
    objs = [ns("n0"), *(node(name, ip, ext) for name, ip, ext in NODES)]
    for i in range(draw(st.integers(2, 5))):
        host = draw(st.integers(0, 3)) == 0
        _, n_ip, _ = draw(st.sampled_from(NODES))
        o = pod("n0", f"p{i}", draw(labels), n_ip if host else f"10.0.0.{i + 1}", (), host=host,
                host_ip=n_ip if host else None)
        on = {ip: name for name, ip, _ in NODES}[n_ip] if host else draw(st.sampled_from(["n-a", "n-b", "n-a", None]))
        if on and (not host or draw(st.integers(0, 3))):
            o["spec"]["nodeName"] = on
        objs.append(o)
    apis = draw(st.lists(st.sampled_from(["10.0.1.1", "10.0.1.2", "192.168.2.1", "8.8.8.8"]),
                         min_size=1, max_size=2, unique=True))
    objs.append(kubernetes_slice(*apis))

    def peer(side: str) -> dict:
        ent = draw(st.sampled_from(["kube-apiserver", "cluster", "world", "remote-node", "reserved"]))
        return ({f"{side}Endpoints": [{"matchLabels": {"reserved:kube-apiserver": ""}}]} if ent == "reserved"
                else {f"{side}Entities": [ent]})

    objs += _clusterwide_policies(draw, peer)
    return objs, False


def _clusterwide_policies(draw, peer) -> list[dict]:
    """One or two CiliumClusterwideNetworkPolicies selecting every pod or a labelled few, each
    with one or two of ingress/egress/ingressDeny/egressDeny holding one entry: ``peer(side)``'s
    peers (side "from" or "to"), on TCP 443 or every port."""
    pre = {"ingress": "from", "egress": "to", "ingressDeny": "from", "egressDeny": "to"}
    out = []
    for j in range(draw(st.integers(1, 2))):
        spec: dict = {"endpointSelector": draw(st.sampled_from([{}, *({"matchLabels": {k: v}} for k in KEYS[:1]
                                                                     for v in VALUES[:2])]))}
        for field in draw(st.lists(st.sampled_from(list(pre)), min_size=1, max_size=2, unique=True)):
            entry = peer(pre[field])
            if draw(st.booleans()):
                entry["toPorts"] = [{"ports": [{"port": "443", "protocol": "TCP"}]}]
            spec[field] = [entry]
        out.append({"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
                    "metadata": {"name": f"cil{j}"}, "spec": spec})
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cilium_apiserver_clusters())
def test_cilium_kube_apiserver_agrees_with_reference(case):
    assert not snapshot(*case[0]).unevaluated_policies  # the API server's addresses are known: all judged
    _agree_with_reference(case, (80, 443))


@st.composite
def cilium_world_clusters(draw):
    """Pods, one of them with addresses of both families (so the agents run both), a
    hostNetwork pod on a node, and Cilium policies naming the ``world`` entity or a lone
    ``reserved:world*`` label (beside a pod selector or not), to allow and to deny."""
    objs = [ns("n0"), *(node(name, ip, ext) for name, ip, ext in NODES)]
    for i in range(draw(st.integers(1, 4))):
        objs.append(pod("n0", f"p{i}", draw(labels), f"10.0.0.{i + 1}"))
    objs[-1]["status"]["podIPs"] = [{"ip": objs[-1]["status"]["podIP"]}, {"ip": "fd00::9"}]
    _, n_ip, _ = NODES[0]
    objs.append(pod("n0", "h", {}, n_ip, (), host=True, host_ip=n_ip))

    def peer(side: str) -> dict:
        name = draw(st.sampled_from(["world", "world-ipv4", "world-ipv6"]))
        # The world entity, or a lone reserved label (the only valid form of the other two).
        if name == "world" and draw(st.booleans()):
            return {f"{side}Entities": [name]}
        sels = [{"matchLabels": {f"reserved:{name}": ""}}]
        if draw(st.booleans()):
            sels.append({"matchLabels": {KEYS[0]: draw(st.sampled_from(VALUES[:2]))}})
        return {f"{side}Endpoints": sels}

    objs += _clusterwide_policies(draw, peer)
    return objs, False


@_FOCUSED
@given(cilium_world_clusters())
def test_cilium_world_labels_agree_with_reference(case):
    assert not snapshot(*case[0]).unevaluated_policies  # a pod shows both families: all judged
    _agree_with_reference(case, (80, 443))


@st.composite
def cilium_l7_clusters(draw):
    """A few pods and Cilium policies whose allow entries give them L7 parsers on a few ports
    (HTTP, Kafka, DNS, a listener, TLS-only items) for peers that may coincide, under an agent
    of a release before the TLS-only parser, up to 1.17 (a parser per port), from 1.18 (a
    parser per peer selector), or none: where the agent cannot merge two parsers the engine
    and the reference must find the same pods, and agree on every verdict."""
    namespaces = ["n0", "n1"][: draw(st.integers(1, 2))]
    objs = [ns(n, **draw(labels)) for n in namespaces]
    for i in range(draw(st.integers(1, 4))):
        objs.append(pod(draw(st.sampled_from(namespaces)), f"p{i}", draw(labels), f"10.0.0.{i + 1}"))
    release = draw(st.sampled_from([None, "v1.12.9", "v1.13.4", "v1.17.2", "v1.18.1"]))
    if release:
        name, n_ip, _ = NODES[0]
        objs.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": "kube-system", "name": "cilium-x"},
                     "spec": {"hostNetwork": True, "nodeName": name, "containers": [
                         {"name": "cilium-agent", "image": f"cilium:{release}"}]},
                     "status": {"podIP": n_ip, "hostIP": n_ip}})
    peers = {"from": [{}, {"fromEndpoints": [{}]}, {"fromEndpoints": [{"matchLabels": {KEYS[0]: VALUES[0]}}]},
                      {"fromEntities": ["all"]}, {"fromEntities": ["cluster"]}, {"fromCIDR": ["192.168.0.0/16"]}],
             "to": [{}, {"toEndpoints": [{}]}, {"toEndpoints": [{"matchLabels": {KEYS[0]: VALUES[0]}}]},
                    {"toEntities": ["world"]}, {"toEntities": ["cluster"]}, {"toCIDR": ["8.8.8.8/32"]}]}
    for j in range(draw(st.integers(1, 3))):
        clusterwide = draw(st.booleans())
        meta = {"name": f"l7-{j}", **({} if clusterwide else {"namespace": draw(st.sampled_from(namespaces))})}
        spec: dict = {"endpointSelector": draw(st.sampled_from([{}, {}, {"matchLabels": {KEYS[0]: VALUES[0]}}]))}
        for direction, pre in (("ingress", "from"), ("egress", "to")):
            entries = []
            for _ in range(draw(st.integers(0, 3))):
                entry = dict(draw(st.sampled_from(peers[pre])))
                entry["toPorts"] = []
                for _ in range(draw(st.integers(1, 2))):
                    # (Egress: DNS rules and listeners as often as the rest together, so that
                    # the TLS-only parser meets the two it cannot merge into.)
                    egress = direction == "egress" and draw(st.booleans())
                    part = dict(draw(st.sampled_from(_L7_EGRESS))) if egress else draw(l7_parts(direction == "ingress"))
                    # Two ports, so that parsers meet often; HTTP and Kafka rules only on TCP
                    # (elsewhere the agent refuses the policy), DNS rules on UDP too.
                    port = draw(st.sampled_from(["80", "53"]))
                    proto = draw(st.sampled_from(["UDP", "TCP"])) if "dns" in part.get("rules", {}) else "TCP"
                    entry["toPorts"].append({"ports": [{"port": port, "protocol": proto}], **part})
                entries.append(entry)
            if entries:
                spec[direction] = entries
        objs.append({"apiVersion": "cilium.io/v2",
                     "kind": "CiliumClusterwideNetworkPolicy" if clusterwide else "CiliumNetworkPolicy",
                     "metadata": meta, "spec": spec})
    return objs, False


@_FOCUSED
@given(cilium_l7_clusters())
def test_cilium_l7_parser_clashes_agree_with_reference(case):
    _agree_with_reference(case, (53, 80, 81))
    snap = snapshot(*case[0])
    want = reference.l7_clash_sites(snap)
    assert _engine_clash_sites(snap) == want
    marked = {p.ref for p in snap.cilium_policies if any("cannot merge conflicting L7 parsers" in u for u in p.unsupported)}
    assert bool(marked) == bool(want), (marked, want)


@st.composite
def requiring_clusters(draw):
    """Cilium clusters whose agents run 1.18 (requirements judged), with one more policy
    giving ``fromRequires`` / ``toRequires`` (in allow or deny entries, alone or beside a peer)
    to the pods it selects."""
    objs, match_pods = draw(clusters(cilium=True))
    objs = [o for o in objs if not (o["kind"] == "Pod" and o["metadata"]["name"] == "cilium-x")]
    name, n_ip, _ = NODES[0]
    objs.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": "kube-system", "name": "cilium-x"},
                 "spec": {"hostNetwork": True, "nodeName": name, "containers": [
                     {"name": "cilium-agent", "image": "cilium:v1.18.1"}]},
                 "status": {"podIP": n_ip, "hostIP": n_ip}})
    namespaces = [o["metadata"]["name"] for o in objs if o["kind"] == "Namespace"]
    for j in range(draw(st.integers(1, 2))):
        clusterwide = draw(st.booleans())
        meta = {"name": f"req{j}", **({} if clusterwide else {"namespace": draw(st.sampled_from(namespaces))})}
        rule = {"endpointSelector": draw(st.sampled_from([{}, *(({"matchLabels": {k: v}}) for k in KEYS for v in VALUES)]))}
        for key, pre in draw(st.lists(st.sampled_from([("ingress", "from"), ("egress", "to"), ("ingressDeny", "from"),
                                                       ("egressDeny", "to")]), min_size=1, max_size=4, unique=True)):
            entry = {f"{pre}Requires": [draw(selectors())]}
            if draw(st.booleans()):
                entry[f"{pre}Endpoints"] = [draw(selectors())]
            # A plain entry beside it, which the requirements of its own kind restrict only.
            rule[key] = [entry, *([{f"{pre}Endpoints": [draw(selectors())]}] if draw(st.booleans()) else [])]
        objs.append({"apiVersion": "cilium.io/v2",
                     "kind": "CiliumClusterwideNetworkPolicy" if clusterwide else "CiliumNetworkPolicy",
                     "metadata": meta, "spec": rule})
    return objs, match_pods


@settings(max_examples=int(os.environ.get("K8SVIZ_CILIUM_EXAMPLES", "200")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(requiring_clusters())
def test_cilium_requirements_agree_with_reference(case):
    """fromRequires / toRequires as Cilium 1.18 applies them, against the reference's own
    gathering of every selecting rule's requirements."""
    _agree_with_reference(case, (1, 53, 80, 444))


#: What the cluster's pods give the port name ``http`` (TCP): one number, two, or none (its name
#: given on UDP only, or not at all), the numbers among those the tests probe and explain.
_HTTP_GIVEN = {"one": [[80], [444]], "several": [[80, 444], [444, 8080]], "none": [[]]}


@st.composite
def cilium_egress_named_clusters(draw):
    """Pods giving the port name ``http`` (TCP) one number, several or none (beside ``dns`` on
    UDP, a hostNetwork pod and one that ended, which the agent does not count), and Cilium
    policies and NetworkPolicies whose egress (allow and deny) and ingress entries name it, to
    pods and outside addresses, under an agent of 1.18 or 1.19 (the name resolved over the
    cluster's pods), 1.20 (on the destination) or of no known release (as up to 1.19)."""
    namespaces = ["n0", "n1"][: draw(st.integers(1, 2))]
    objs = [ns(n, **draw(labels)) for n in namespaces]
    numbers = draw(st.sampled_from(_HTTP_GIVEN[draw(st.sampled_from(list(_HTTP_GIVEN)))]))
    n_pods = draw(st.integers(2, 4))
    for i in range(n_pods):
        # The first pods give each number (so that several are several), the rest one of them or none.
        given = ([numbers[i]] if i < len(numbers) else
                 draw(st.lists(st.sampled_from(numbers), max_size=1)) if numbers else [])
        ports = [("http", port, "TCP") for port in given]
        if draw(st.integers(0, 2)) == 0:
            name = "http" if not given and draw(st.booleans()) else "dns"
            ports.append((name, draw(st.sampled_from([53, 8080])), "UDP"))
        space = draw(st.sampled_from(namespaces))
        objs.append(pod(space, f"p{i}", draw(labels), f"10.0.0.{i + 1}", tuple(ports)))
    if draw(st.integers(0, 3)) == 0:  # gives http a number the agent never counts
        _, n_ip, _ = NODES[1]
        if draw(st.booleans()):
            objs.append(pod("n0", "h", {}, n_ip, (("http", 81, "TCP"),), host=True, host_ip=n_ip))
        else:
            objs.append(pod("n0", "old", draw(labels), "10.0.0.9", (("http", 81, "TCP"),)))
            objs[-1]["status"]["phase"] = "Succeeded"
    release = draw(st.sampled_from([None, "v1.18.1", "v1.19.2", "v1.20.0"]))
    if release:
        name, n_ip, _ = NODES[0]
        objs.append({"apiVersion": "v1", "kind": "Pod",
                     "metadata": {"namespace": "kube-system", "name": "cilium-x"},
                     "spec": {"hostNetwork": True, "nodeName": name, "containers": [
                         {"name": "cilium-agent", "image": f"cilium:{release}"}]},
                     "status": {"podIP": n_ip, "hostIP": n_ip}})
    selector = st.sampled_from([{}, {}, {"matchLabels": {KEYS[0]: VALUES[0]}}])
    to = [{}, {"toEndpoints": [{}]}, {"toEndpoints": [{"matchLabels": {KEYS[0]: VALUES[0]}}]},
          {"toEntities": ["world"]}, {"toEntities": ["all"]}, {"toCIDR": ["8.8.8.8/32"]}]
    for j in range(draw(st.integers(1, 2))):
        spec: dict = {"endpointSelector": draw(selector)}
        for key, peers in (("egress", to), ("egressDeny", to), ("ingress", [{"fromEntities": ["all"]}])):
            if key != "egress" and draw(st.integers(0, 2)):
                continue
            entry = dict(draw(st.sampled_from(peers)))
            ports = [{"port": "http", **({"protocol": "TCP"} if draw(st.booleans()) else {})}]
            if draw(st.integers(0, 2)) == 0:  # a number beside the name
                ports.append({"port": str(draw(st.sampled_from([80, 444]))), "protocol": "TCP"})
            entry["toPorts"] = [{"ports": ports}]
            spec[key] = [entry]
        meta = {"name": f"c{j}", "namespace": draw(st.sampled_from(namespaces))}
        objs.append({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": meta,
                     "spec": spec})
    if draw(st.booleans()):  # a NetworkPolicy Cilium enforces, its egress on the name
        rule = {"ports": [{"port": "http"}]}
        if draw(st.booleans()):
            rule["to"] = [draw(st.sampled_from([{"podSelector": {}}, {"ipBlock": {"cidr": "0.0.0.0/0"}},
                                                {"namespaceSelector": {}}]))]
        objs.append(netpol(draw(st.sampled_from(namespaces)), "np", {
            "podSelector": draw(selector), "policyTypes": ["Egress"], "egress": [rule]}))
    return objs, False


@settings(_FOCUSED, max_examples=int(os.environ.get("K8SVIZ_CILIUM_EXAMPLES", "60")))
@given(cilium_egress_named_clusters())
def test_cilium_egress_named_ports_agree_with_reference(case):
    """An egress rule's named port, resolved over the cluster's pods up to Cilium 1.19 (the one
    number, or nothing where pods give several or none) and on the destination from 1.20."""
    _agree_with_reference(case, (53, 80, 81, 444, 8080), ((80, "TCP"), (444, "TCP")))
