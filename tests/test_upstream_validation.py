"""NetworkPolicy validation, held against what Kubernetes' API server accepts and refuses.

The README's rule: an object the API server accepts never fails a snapshot (its oddities become
warnings); one it refuses is an error naming the file, the object and the field, or a warning
where k8sviz can still read it sensibly.

Facts ported from kubernetes/kubernetes (read through the stored index; the code is not copied):

- ``pkg/apis/networking/validation/validation_test.go``: ``TestValidateNetworkPolicy`` and
  ``TestValidateNetworkPolicyUpdate`` in the revision built on ``makeNetworkPolicyCustom`` with
  the endPort cases (index id 123540633, ``NetworkPolicyValidationOptions``); also read at
  9556096b (the named-struct form of the same cases, where ``{from: [], ports: []}`` is its
  own success case) and 01336206 (2017, where a peer of both selectors was an error case).
- ``pkg/apis/networking/validation/validation.go`` at 019c5dc5: ``ValidateIPBlock`` (cidr
  required, ``IsValidCIDRForLegacyField``, except a strict subset), ``ValidateNetworkPolicyPeer``,
  ``ValidateNetworkPolicyPort``, policyTypes (at most two, each Ingress or Egress), and the
  update ratchet (``AllowCIDRsEvenIfInvalid``: CIDRs the old object had stay allowed).
- ``pkg/registry/networking/networkpolicy/declarative_validation_test.go``: the empty-cidr cases.
- apimachinery ``pkg/api/validation/ip.go`` and k8s.io/utils ``net/parse.go``: the sloppy
  parser strips any run of leading zeros (also before the prefix length, also in the IPv4 part
  of ``::ffff:a.b.c.d``); strict validation (``StrictIPCIDRValidation``, alpha in 1.33) refuses
  leading zeros, IPv4-mapped addresses and host bits in new objects only.

Left out, and why:

- metadata (name, namespace, labels, annotations) validation, and the update error case
  ``change name``: k8sviz validates no object names, and a snapshot holds objects, not updates
  (the update success cases are ported as the object each leaves stored).
- ``AllowInvalidLabelValueInSelector`` (an invalid label *value* in a selector ratcheted from an
  older object): every upstream selector case has an invalid *key*, refused with or without it;
  k8sviz warns on both alike (``invalid-selector-label``).
- The update ratchet itself: k8sviz sees only the stored object, so every legacy CIDR form is
  read as the sloppy parser reads it, with a warning, whether or not a current server would
  take it new (tests above, under "Legacy CIDR forms").
- Ingress, IngressClass, IPAddress and ServiceCIDR validation in the same file: not NetworkPolicy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import k8sviz
from k8sviz.errors import PolicyError
from k8sviz.model import LabelSelector, LoadWarning, NetworkPolicy, Peer

SOURCE = "np.json"
REF = "NetworkPolicy/bar/foo"


def _load(tmp_path: Path, spec: dict[str, Any]) -> k8sviz.Snapshot:
    """A snapshot of one NetworkPolicy ``bar/foo`` with ``spec``, read from a file as a user
    gives one (so an error has a file to name)."""
    obj = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "foo", "namespace": "bar"},
        "spec": spec,
    }
    path = tmp_path / SOURCE
    path.write_text(json.dumps(obj))
    return k8sviz.load(path)


def _policy(tmp_path: Path, spec: dict[str, Any]) -> tuple[NetworkPolicy, list[LoadWarning]]:
    snap = _load(tmp_path, spec)
    (pol,) = snap.network_policies
    return pol, list(snap.warnings)


def _refused(tmp_path: Path, spec: dict[str, Any], field: str) -> str:
    """The error's text, which must name the file, the object and ``field``."""
    with pytest.raises(PolicyError) as e:
        _load(tmp_path, spec)
    text = str(e.value)
    assert SOURCE in text and REF in text and field in text, text
    return text


# --------------------------------------------------------------------------------------------
# Fields given as null: the API server decodes them to no field at all


def test_a_null_namespace_selector_beside_a_pod_selector_keeps_the_peer_in_the_own_namespace(tmp_path):
    # The API stores {podSelector: {a: b}}: pods of bar.  Read as an empty namespaceSelector it
    # would be pods labelled a=b in every namespace.
    spec = {
        "podSelector": {},
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"a": "b"}}, "namespaceSelector": None}]}],
    }
    pol, warnings = _policy(tmp_path, spec)
    assert pol.ingress[0].peers == (Peer(pod_selector=LabelSelector((("a", "b"),))),)
    assert warnings == []
    assert "in the policy's namespace" in str(pol.ingress[0].peers[0])


def test_a_null_ip_block_beside_a_selector_is_no_ip_block(tmp_path):
    spec = {
        "podSelector": {},
        "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"c": "d"}}, "ipBlock": None}]}],
    }
    pol, _ = _policy(tmp_path, spec)
    assert pol.egress[0].peers == (Peer(namespace_selector=LabelSelector((("c", "d"),))),)


def test_a_peer_of_null_selectors_only_is_refused_as_the_api_refuses_it(tmp_path):
    # ValidateNetworkPolicyPeer: no selector and no ipBlock is "must specify a peer"; read as
    # an empty podSelector it would allow every pod of the namespace.
    spec = {"podSelector": {}, "ingress": [{"from": [{"podSelector": None}]}]}
    text = _refused(tmp_path, spec, "spec.ingress[0].from[0]")
    assert "a peer needs podSelector, namespaceSelector or ipBlock" in text


# --------------------------------------------------------------------------------------------
# Legacy CIDR forms: k8s.io/utils/net ParseCIDRSloppy (what validation has always used) accepts
# them; StrictIPCIDRValidation (alpha 1.33, on by default later) refuses them in new objects,
# but objects stored before keep them (an update may repeat a CIDR the old object had).


def _cidr_peer(tmp_path: Path, cidr: str, *excepts: str) -> tuple[str, tuple[str, ...], list[LoadWarning]]:
    block: dict[str, Any] = {"cidr": cidr}
    if excepts:
        block["except"] = list(excepts)
    pol, warnings = _policy(tmp_path, {"podSelector": {}, "ingress": [{"from": [{"ipBlock": block}]}]})
    ip_block = pol.ingress[0].peers[0].ip_block
    return ip_block.cidr, ip_block.except_, warnings


@pytest.mark.parametrize(
    ("cidr", "read_as"),
    [
        ("0010.0.0.0/8", "10.0.0.0/8"),  # the sloppy parser strips any run of zeros, not only one
        ("10.0.0.0/016", "10.0.0.0/16"),  # and zeros before the prefix length
        ("fd00::/048", "fd00::/48"),
        pytest.param("0" * 5000 + "1.2.3.0/24", "1.2.3.0/24", id="5000 zeros"),  # int() refuses 4,300 digits
    ],
)
def test_leading_zeros_the_sloppy_parser_strips_are_read_as_decimal_with_a_warning(tmp_path, cidr, read_as):
    got, _, warnings = _cidr_peer(tmp_path, cidr)
    assert got == read_as
    (w,) = warnings
    assert w.code == "cidr-notation" and "spec.ingress[0].from[0].ipBlock.cidr" in w.message
    assert "leading zeros" in w.message


@pytest.mark.parametrize(
    ("cidr", "read_as"),
    [
        ("::ffff:192.168.0.0/120", "192.168.0.0/24"),
        ("::ffff:c0a8:0/112", "192.168.0.0/16"),  # the same address in hex
        ("::ffff:0.0.0.0/96", "0.0.0.0/0"),
        ("::ffff:010.1.0.0/112", "10.1.0.0/16"),  # leading zeros in its IPv4 part too
    ],
)
def test_an_ipv4_mapped_cidr_is_read_as_the_ipv4_block_go_matches(tmp_path, cidr, read_as):
    # Go's net.IPNet.Contains compares an IPv4 address with the last 32 bits of a mapped
    # network of prefix >= 96; Python's IPv6 network would hold no IPv4 pod at all.
    got, _, warnings = _cidr_peer(tmp_path, cidr)
    assert got == read_as
    (w,) = warnings
    assert w.code == "cidr-notation" and "IPv4-mapped" in w.message and read_as in w.message


def test_an_ipv4_mapped_address_under_slash_96_stays_an_ipv6_block(tmp_path):
    # The mask clears the ffff, so Go's To4 fails and the network is plain IPv6 there too.
    got, _, warnings = _cidr_peer(tmp_path, "::ffff:1.2.3.0/80")
    assert got == "::/80"
    assert "prefix under /96" in warnings[0].message


def test_the_ipv4_mapped_reading_reaches_the_engine(tmp_path):
    from tests.policy.helpers import netpol, ns, pod, snapshot

    allow = netpol(
        "bar",
        "foo",
        {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": "::ffff:10.0.1.0/120"}}]}],
        },
    )
    reach = k8sviz.reachability(snapshot(ns("bar"), pod("bar", "a", {"app": "a"}, ip="10.0.0.5"), allow))
    assert reach.can_reach("bar/a", "10.0.1.9", 80)
    assert not reach.can_reach("bar/a", "10.0.2.9", 80)


# ValidateIPBlock (validation.go at 019c5dc5) parses both with ParseCIDRSloppy and refuses an
# except unless `cidrIPNet.Contains(exceptCIDR.IP)` and the cidr's `Mask.Size()` is below the
# except's.  The sizes are the masks as parsed: an IPv4-mapped cidr keeps its 128-bit mask
# (/104), an IPv4 except has a 32-bit one (/16), so no plain IPv4 except is ever narrower than a
# mapped cidr, though Contains (Go's IPNet, which matches IPv4 inside a mapped network) holds.


@pytest.mark.parametrize(("cidr", "except_"), [
    ("::ffff:10.0.0.0/104", "10.1.0.0/16"),
    ("::ffff:10.0.0.0/104", "10.0.0.0/32"),
    ("::ffff:a00:0/104", "10.1.0.0/16"),  # the mapped address in hex
])
def test_a_mapped_cidr_with_an_ipv4_except_is_refused_as_validation_refuses_it(tmp_path, cidr, except_):
    spec = {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": cidr, "except": [except_]}}]}]}
    text = _refused(tmp_path, spec, "spec.egress[0].to[0]")
    assert f"except {except_!r} must be a strict subset of cidr {cidr!r}" in text
    assert "Kubernetes compares the prefix lengths as written: /104 is not shorter than /" in text


def test_a_mapped_cidr_with_a_mapped_except_is_read_as_its_ipv4_blocks(tmp_path):
    # /104 < /112 as written, and Contains holds: stored, and read as 10.0.0.0/8 except 10.1.0.0/16.
    cidr, excepts, warnings = _cidr_peer(tmp_path, "::ffff:10.0.0.0/104", "::ffff:10.1.0.0/112")
    assert (cidr, excepts) == ("10.0.0.0/8", ("10.1.0.0/16",))
    assert [w.code for w in warnings] == ["cidr-notation", "cidr-notation"]


def test_a_mapped_except_read_as_wide_as_its_cidr_is_stored_and_the_block_matches_nothing(tmp_path):
    # 10.0.0.0/8 except ::ffff:10.0.0.0/104: Contains(10.0.0.0) and 8 < 104, so the API server
    # stores it, though the except stands for all of 10.0.0.0/8.  Refusing it would fail a
    # snapshot of a cluster's own object.
    from tests.policy.helpers import netpol, ns, pod, snapshot

    cidr, excepts, warnings = _cidr_peer(tmp_path, "10.0.0.0/8", "::ffff:10.0.0.0/104")
    assert (cidr, excepts) == ("10.0.0.0/8", ("10.0.0.0/8",))
    assert [w.code for w in warnings] == ["cidr-notation", "ipblock-except-covers-cidr"]
    assert warnings[1].message == (
        "spec.ingress[0].from[0].ipBlock.except[0]: except '::ffff:10.0.0.0/104', read as 10.0.0.0/8, holds all "
        "of cidr '10.0.0.0/8' (10.0.0.0/8); the API accepts it, comparing the prefix lengths as written, and the "
        "block matches no address")
    allow = netpol("bar", "foo", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
        {"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["::ffff:10.0.0.0/104"]}}]}]})
    reach = k8sviz.reachability(snapshot(ns("bar"), pod("bar", "a", {"app": "a"}, ip="10.0.0.5"), allow))
    assert not reach.can_reach("bar/a", "10.0.1.9", 80) and not reach.can_reach("bar/a", "10.255.0.1", 80)


@pytest.mark.parametrize("field", ["cidr", "except"])
def test_a_cidr_with_an_ipv6_zone_is_refused(tmp_path, field):
    # ParseCIDRSloppy (Go 1.16's ParseCIDR, forked) parses the address with parseIPv6, which
    # takes no zone; Python's ipaddress would keep "%eth0" and match as if it were not there.
    block = {"cidr": "fe80::%eth0/64"} if field == "cidr" else {"cidr": "fe80::/10", "except": ["fe80::%eth0/64"]}
    text = _refused(tmp_path, {"podSelector": {}, "ingress": [{"from": [{"ipBlock": block}]}]},
                    f"spec.ingress[0].from[0].ipBlock.{field}")
    assert "invalid" in text and "'fe80::%eth0/64': a CIDR has no IPv6 zone" in text


def test_an_except_in_mapped_form_is_read_in_the_family_of_its_cidr(tmp_path):
    # Go accepts it (cidr.Contains(except.IP) holds, /8 < /112): one IPv4 block with a hole.
    cidr, excepts, _ = _cidr_peer(tmp_path, "10.0.0.0/8", "::ffff:10.1.0.0/112")
    assert (cidr, excepts) == ("10.0.0.0/8", ("10.1.0.0/16",))


# --------------------------------------------------------------------------------------------
# TestValidateNetworkPolicy, case by case.  Upstream builds each case from a valid policy (pod
# selector a=b in bar/foo) by tweak functions; its success cases have no names, so each is
# named here after the tweaks that build it.

AB = {"matchLabels": {"a": "b"}}
CD = {"matchLabels": {"c": "d"}}
EF = {"matchLabels": {"e": "f"}}
V4 = {"cidr": "192.168.0.0/16", "except": ["192.168.3.0/24", "192.168.4.0/24"]}
V6 = {"cidr": "fd00:192:168::/48", "except": ["fd00:192:168:3::/64", "fd00:192:168:4::/64"]}
#: makePort(nil, 80) ... makePort(SCTP, 7777): port 0 is upstream's "no port".
PORTS = [
    {"port": 80},
    {"protocol": "TCP"},
    {"protocol": "TCP", "port": 443},
    {"protocol": "UDP", "port": "dns"},
    {"protocol": "SCTP", "port": 7777},
]
PORTS_READ = (
    ("TCP", 80, None),
    ("TCP", None, None),
    ("TCP", 443, None),
    ("UDP", "dns", None),
    ("SCTP", 7777, None),
)
BAD_KEY = {"matchLabels": {"NoUppercaseOrSpecialCharsLike=Equals": "b"}}


def _spec(**fields: Any) -> dict[str, Any]:
    return {"podSelector": AB, **fields}


def _ports(rule) -> tuple[tuple[Any, ...], ...]:
    return tuple((p.protocol, p.port, p.end_port) for p in rule.ports)


def _sel(raw: dict[str, Any]) -> LabelSelector:
    return LabelSelector(tuple(sorted(raw["matchLabels"].items())))


SUCCESS: dict[str, tuple[dict[str, Any], Any]] = {
    "setIngressEmptyFirstElement": (
        _spec(ingress=[{}]),
        lambda p: len(p.ingress) == 1 and p.ingress[0].all_peers and p.ingress[0].all_ports,
    ),
    # setIngressEmptyPorts replaces the rule setIngressFromEmptyFirstElement made: one port
    # entry with neither field, every TCP port.
    "setIngressFromEmptyFirstElement, setIngressEmptyPorts": (
        _spec(ingress=[{"ports": [{}]}]),
        lambda p: p.ingress[0].all_peers and _ports(p.ingress[0]) == (("TCP", None, None),),
    ),
    # The older revision's form of the same case: empty from and ports lists, every peer and port.
    "empty from and ports (revision 9556096b)": (
        _spec(ingress=[{"from": [], "ports": []}]),
        lambda p: p.ingress[0].all_peers and p.ingress[0].all_ports,
    ),
    "setIngressPorts": (
        _spec(ingress=[{"ports": PORTS}]),
        lambda p: _ports(p.ingress[0]) == PORTS_READ and p.policy_types == ("Ingress",),
    ),
    "setIngressFromPodSelector(c, d)": (
        _spec(ingress=[{"from": [{"podSelector": CD}]}]),
        lambda p: p.ingress[0].peers == (Peer(pod_selector=_sel(CD)),),
    ),
    "setIngressFromNamespaceSelector": (
        _spec(ingress=[{"from": [{"namespaceSelector": CD}]}]),
        lambda p: p.ingress[0].peers == (Peer(namespace_selector=_sel(CD)),),
    ),
    # Refused before Kubernetes 1.11 ("namespaceSelector and podSelector" was an error case in
    # revision 01336206); one peer of both selectors, ANDed, since.
    "setIngressFromPodSelector(e, f), setIngressFromNamespaceSelector": (
        _spec(ingress=[{"from": [{"podSelector": EF, "namespaceSelector": CD}]}]),
        lambda p: p.ingress[0].peers == (Peer(pod_selector=_sel(EF), namespace_selector=_sel(CD)),),
    ),
    "setEgressToNamespaceSelector, setIngressFromIPBlockIPV4": (
        _spec(egress=[{"to": [{"namespaceSelector": CD}]}], ingress=[{"from": [{"ipBlock": V4}]}]),
        lambda p: (
            p.policy_types == ("Ingress", "Egress")
            and p.policy_types_implied
            and p.egress[0].peers == (Peer(namespace_selector=_sel(CD)),)
            and str(p.ingress[0].peers[0].ip_block) == "192.168.0.0/16 except 192.168.3.0/24, 192.168.4.0/24"
        ),
    ),
    "setIngressFromIPBlockIPV4": (
        _spec(ingress=[{"from": [{"ipBlock": V4}]}]),
        lambda p: p.ingress[0].peers[0].ip_block.except_ == ("192.168.3.0/24", "192.168.4.0/24"),
    ),
    "setEgressToIPBlockIPV4, setPolicyTypesEgress": (
        _spec(egress=[{"to": [{"ipBlock": V4}]}], policyTypes=["Egress"]),
        lambda p: p.policy_types == ("Egress",) and not p.policy_types_implied and not p.affects_ingress,
    ),
    "setEgressToIPBlockIPV4, setPolicyTypesIngressEgress": (
        _spec(egress=[{"to": [{"ipBlock": V4}]}], policyTypes=["Ingress", "Egress"]),
        lambda p: p.policy_types == ("Ingress", "Egress") and p.ingress == (),
    ),
    "setEgressPorts": (
        _spec(egress=[{"ports": PORTS}]),
        lambda p: _ports(p.egress[0]) == PORTS_READ and p.egress[0].all_peers,
    ),
    "setEgressToNamespaceSelector, setIngressFromIPBlockIPV6": (
        _spec(egress=[{"to": [{"namespaceSelector": CD}]}], ingress=[{"from": [{"ipBlock": V6}]}]),
        lambda p: (
            str(p.ingress[0].peers[0].ip_block)
            == "fd00:192:168::/48 except fd00:192:168:3::/64, fd00:192:168:4::/64"
        ),
    ),
    "setIngressFromIPBlockIPV6": (
        _spec(ingress=[{"from": [{"ipBlock": V6}]}]),
        lambda p: p.ingress[0].peers[0].ip_block.cidr == "fd00:192:168::/48",
    ),
    "setEgressToIPBlockIPV6, setPolicyTypesEgress": (
        _spec(egress=[{"to": [{"ipBlock": V6}]}], policyTypes=["Egress"]),
        lambda p: p.policy_types == ("Egress",) and p.egress[0].peers[0].ip_block.cidr == "fd00:192:168::/48",
    ),
    "setEgressToIPBlockIPV6, setPolicyTypesIngressEgress": (
        _spec(egress=[{"to": [{"ipBlock": V6}]}], policyTypes=["Ingress", "Egress"]),
        lambda p: p.policy_types == ("Ingress", "Egress"),
    ),
    "setEgressPorts(32000-32768, UDP dns)": (
        _spec(egress=[{"ports": [{"port": 32000, "endPort": 32768}, {"protocol": "UDP", "port": "dns"}]}]),
        lambda p: _ports(p.egress[0]) == (("TCP", 32000, 32768), ("UDP", "dns", None)),
    ),
    "setEgressToNamespaceSelector, setEgressPorts, setIngressFromPodSelector(e, f), setIngressPorts": (
        _spec(
            egress=[
                {
                    "to": [{"namespaceSelector": CD}],
                    "ports": [{"port": 30000, "endPort": 32768}, {"port": 32000, "endPort": 32768}],
                }
            ],
            ingress=[
                {
                    "from": [{"podSelector": EF}],
                    "ports": [{"protocol": "TCP", "port": 32768, "endPort": 32768}],
                }
            ],
        ),
        lambda p: (
            _ports(p.egress[0]) == (("TCP", 30000, 32768), ("TCP", 32000, 32768))
            and _ports(p.ingress[0]) == (("TCP", 32768, 32768),)
            and p.ingress[0].peers == (Peer(pod_selector=_sel(EF)),)
        ),
    ),
    # TestValidateNetworkPolicyUpdate's success cases, as the object they leave stored.
    "update: no change": (_spec(ingress=[]), lambda p: p.ingress == () and p.policy_types == ("Ingress",)),
    "update: change spec": (_spec(ingress=[]), lambda p: p.pod_selector == _sel(AB)),
    # TestDeclarativeValidateIPBlockCIDR (pkg/registry/networking/networkpolicy).
    "valid ingress rule with CIDR": (
        {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "192.168.1.0/24"}}]}]},
        lambda p: p.ingress[0].peers[0].ip_block.cidr == "192.168.1.0/24" and p.pod_selector.is_empty,
    ),
}


@pytest.mark.parametrize("case", list(SUCCESS))
def test_accepted_upstream(tmp_path, case):
    spec, stored = SUCCESS[case]
    pol, warnings = _policy(tmp_path, spec)
    assert warnings == []
    assert pol.pod_selector == (_sel(spec["podSelector"]) if spec["podSelector"] else LabelSelector())
    assert stored(pol)


# What k8sviz does with each case the API refuses: ("error", text the message holds) names the
# field; ("warning", code, field) keeps the object.  Upstream runs them with
# AllowInvalidLabelValueInSelector, which concerns label values; every selector case here has
# an invalid key, refused either way.
REFUSED: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "namespaceSelector and ipBlock": (
        _spec(ingress=[{"from": [{"namespaceSelector": CD, "ipBlock": V4}]}]),
        ("error", "spec.ingress[0].from[0]: ipBlock cannot be combined"),
    ),
    "podSelector and ipBlock": (
        _spec(egress=[{"to": [{"podSelector": CD, "ipBlock": V4}]}]),
        ("error", "spec.egress[0].to[0]: ipBlock cannot be combined"),
    ),
    "missing from and to type": (
        _spec(ingress=[{"from": [{}]}], egress=[{"to": [{}]}]),
        ("error", "spec.ingress[0].from[0]: a peer needs"),
    ),
    # A label key the API refuses can never match a real label: the README's documented warning.
    "invalid spec.podSelector": (
        {"podSelector": BAD_KEY},
        ("warning", "invalid-selector-label", "spec.podSelector"),
    ),
    "invalid ingress.ports.protocol": (
        {"podSelector": {}, "ingress": [{"ports": [{"protocol": "ICMP", "port": 80}]}]},
        ("error", "spec.ingress[0].ports[0]: invalid protocol 'ICMP'"),
    ),
    "invalid ingress.ports.port (int)": (
        {"podSelector": {}, "ingress": [{"ports": [{"protocol": "TCP", "port": 123456789}]}]},
        ("error", "spec.ingress[0].ports[0]: port 123456789 is out of range"),
    ),
    "invalid ingress.ports.port (str)": (
        {"podSelector": {}, "ingress": [{"ports": [{"protocol": "TCP", "port": "!@#$"}]}]},
        ("error", "spec.ingress[0].ports[0]: '!@#$' is not a valid port name"),
    ),
    "invalid ingress.from.podSelector": (
        {"podSelector": {}, "ingress": [{"from": [{"podSelector": BAD_KEY}]}]},
        ("warning", "invalid-selector-label", "spec.ingress[0].from[0].podSelector"),
    ),
    "invalid egress.to.podSelector": (
        {"podSelector": {}, "egress": [{"to": [{"podSelector": BAD_KEY}]}]},
        ("warning", "invalid-selector-label", "spec.egress[0].to[0].podSelector"),
    ),
    "invalid egress.ports.protocol": (
        {"podSelector": {}, "egress": [{"ports": [{"protocol": "ICMP", "port": 80}]}]},
        ("error", "spec.egress[0].ports[0]: invalid protocol 'ICMP'"),
    ),
    "invalid egress.ports.port (int)": (
        {"podSelector": {}, "egress": [{"ports": [{"protocol": "TCP", "port": 123456789}]}]},
        ("error", "spec.egress[0].ports[0]: port 123456789 is out of range"),
    ),
    "invalid egress.ports.port (str)": (
        {"podSelector": {}, "egress": [{"ports": [{"protocol": "TCP", "port": "!@#$"}]}]},
        ("error", "spec.egress[0].ports[0]: '!@#$' is not a valid port name"),
    ),
    "invalid ingress.from.namespaceSelector": (
        {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": BAD_KEY}]}]},
        ("warning", "invalid-selector-label", "spec.ingress[0].from[0].namespaceSelector"),
    ),
    "missing cidr field": (
        _spec(ingress=[{"from": [{"ipBlock": {**V4, "cidr": ""}}]}]),
        ("error", "spec.ingress[0].from[0]: ipBlock needs a cidr"),
    ),
    "invalid cidr format": (
        _spec(ingress=[{"from": [{"ipBlock": {**V4, "cidr": "192.168.5.6"}}]}]),
        ("error", "ipBlock.cidr: CIDR '192.168.5.6' has no prefix length"),
    ),
    "invalid ipv6 cidr format": (
        _spec(ingress=[{"from": [{"ipBlock": {**V6, "cidr": "fd00:192:168::"}}]}]),
        ("error", "ipBlock.cidr: CIDR 'fd00:192:168::' has no prefix length"),
    ),
    "except field is an empty string": (
        _spec(ingress=[{"from": [{"ipBlock": {**V4, "except": [""]}}]}]),
        ("error", "ipBlock.except[0]: invalid except CIDR ''"),
    ),
    "except field is an space string": (
        _spec(ingress=[{"from": [{"ipBlock": {**V4, "except": [" "]}}]}]),
        ("error", "ipBlock.except[0]: invalid except CIDR ' '"),
    ),
    "except field is an invalid ip": (
        _spec(ingress=[{"from": [{"ipBlock": {**V4, "except": ["300.300.300.300"]}}]}]),
        ("error", "ipBlock.except[0]: invalid except CIDR '300.300.300.300'"),
    ),
    "except IP is outside of CIDR range": (
        _spec(ingress=[{"from": [{"ipBlock": {"cidr": "192.168.8.0/24", "except": ["192.168.9.1/32"]}}]}]),
        ("error", "except '192.168.9.1/32' must be a strict subset of cidr"),
    ),
    "except IP is not strictly within CIDR range": (
        _spec(ingress=[{"from": [{"ipBlock": {"cidr": "192.168.0.0/24", "except": ["192.168.0.0/24"]}}]}]),
        ("error", "except '192.168.0.0/24' must be a strict subset of cidr"),
    ),
    "except IPv6 is outside of CIDR range": (
        _spec(
            ingress=[
                {"from": [{"ipBlock": {"cidr": "fd00:192:168:1::/64", "except": ["fd00:192:168:2::/64"]}}]}
            ]
        ),
        ("error", "except 'fd00:192:168:2::/64' must be a strict subset of cidr"),
    ),
    "invalid policyTypes": (
        _spec(egress=[{"to": [{"ipBlock": V4}]}], policyTypes=["foo", "bar"]),
        ("error", "spec.policyTypes: invalid values 'foo', 'bar' (expected Ingress, Egress)"),
    ),
    "too many policyTypes": (
        _spec(egress=[{"to": [{"ipBlock": V4}]}], policyTypes=["foo", "bar", "baz"]),
        ("error", "spec.policyTypes: invalid values 'foo', 'bar', 'baz' (expected Ingress, Egress)"),
    ),
    "multiple ports defined, one port range is invalid": (
        _spec(
            egress=[
                {
                    "to": [{"namespaceSelector": CD}],
                    "ports": [
                        {"protocol": "UDP", "port": 35000, "endPort": 32768},
                        {"port": 32000, "endPort": 32768},
                    ],
                }
            ]
        ),
        ("error", "spec.egress[0].ports[0]: endPort 32768 must be a number from port (35000)"),
    ),
    "endPort defined with named/string port": (
        _spec(
            egress=[
                {
                    "to": [{"namespaceSelector": CD}],
                    "ports": [
                        {"protocol": "UDP", "port": "dns", "endPort": 32768},
                        {"port": 32000, "endPort": 32768},
                    ],
                }
            ]
        ),
        ("error", "spec.egress[0].ports[0]: endPort needs a numeric port (got 'dns')"),
    ),
    "endPort defined without port defined": (
        _spec(egress=[{"to": [{"namespaceSelector": CD}], "ports": [{"protocol": "TCP", "endPort": 32768}]}]),
        ("error", "spec.egress[0].ports[0]: endPort needs a numeric port (got null)"),
    ),
    "port is greater than endPort": (
        _spec(
            egress=[
                {
                    "to": [{"namespaceSelector": CD}],
                    "ports": [{"protocol": "SCTP", "port": 35000, "endPort": 32768}],
                }
            ]
        ),
        ("error", "spec.egress[0].ports[0]: endPort 32768 must be a number from port (35000)"),
    ),
    "multiple invalid port ranges defined": (
        _spec(
            egress=[
                {
                    "to": [{"namespaceSelector": CD}],
                    "ports": [
                        {"protocol": "UDP", "port": 35000, "endPort": 32768},
                        {"protocol": "TCP", "endPort": 32768},
                        {"protocol": "TCP", "port": "https", "endPort": 32768},
                    ],
                }
            ]
        ),
        ("error", "spec.egress[0].ports[0]: endPort 32768"),
    ),
    "invalid endport range defined": (
        _spec(
            egress=[
                {
                    "to": [{"namespaceSelector": CD}],
                    "ports": [{"protocol": "TCP", "port": 30000, "endPort": 65537}],
                }
            ]
        ),
        ("error", "spec.egress[0].ports[0]: endPort 65537 must be a number from port (30000) to 65535"),
    ),
    # TestDeclarativeValidateIPBlockCIDR (pkg/registry/networking/networkpolicy).
    "ingress rule rejects empty CIDR in ipBlock": (
        {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": ""}}]}]},
        ("error", "spec.ingress[0].from[0]: ipBlock needs a cidr"),
    ),
    "egress rule rejects empty CIDR in ipBlock": (
        {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": ""}}]}]},
        ("error", "spec.egress[0].to[0]: ipBlock needs a cidr"),
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_upstream(tmp_path, case):
    spec, outcome = REFUSED[case]
    if outcome[0] == "error":
        _refused(tmp_path, spec, outcome[1])
    else:
        _, code, field = outcome
        pol, warnings = _policy(tmp_path, spec)
        assert [(w.code, Path(w.source).name, w.obj) for w in warnings] == [(code, SOURCE, REF)]
        assert warnings[0].message.startswith(f"{field}.matchLabels")
        # Kept as written: the term needs a label no pod can carry, so it selects nothing.
        rule = (pol.ingress or pol.egress or (None,))[0]
        sel = (
            pol.pod_selector
            if rule is None
            else (rule.peers[0].pod_selector or rule.peers[0].namespace_selector)
        )
        assert sel.match_labels == (("NoUppercaseOrSpecialCharsLike=Equals", "b"),)


# What the API refuses and k8sviz reads without a word, recorded: neither changes what the
# policy means (the validator counts entries, and "" is no protocol, so the default is all
# a reader could take).


def test_three_policy_types_of_two_values_are_read_as_the_two(tmp_path):
    # "may not specify more than two policyTypes" counts entries, duplicates included.
    pol, warnings = _policy(tmp_path, {"podSelector": {}, "policyTypes": ["Ingress", "Ingress", "Egress"]})
    assert (pol.policy_types, warnings) == (("Ingress", "Egress"), [])


def test_an_empty_protocol_is_read_as_the_default_tcp(tmp_path):
    # Defaulting fills only a missing protocol; "" then fails NotSupported(TCP, UDP, SCTP).
    pol, warnings = _policy(
        tmp_path, {"podSelector": {}, "ingress": [{"ports": [{"protocol": "", "port": 80}]}]}
    )
    assert (_ports(pol.ingress[0]), warnings) == ((("TCP", 80, None),), [])
