"""NetworkPolicy validation, held against what Kubernetes' API server accepts and refuses.

The README's rule: an object the API server accepts never fails a snapshot (its oddities become
warnings); one it refuses is an error naming the file, the object and the field, or a warning
where k8sviz can still read it sensibly.
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
    obj = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": {"name": "foo", "namespace": "bar"}, "spec": spec}
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
    spec = {"podSelector": {}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"a": "b"}},
                                                      "namespaceSelector": None}]}]}
    pol, warnings = _policy(tmp_path, spec)
    assert pol.ingress[0].peers == (Peer(pod_selector=LabelSelector((("a", "b"),))),)
    assert warnings == []
    assert "in the policy's namespace" in str(pol.ingress[0].peers[0])


def test_a_null_ip_block_beside_a_selector_is_no_ip_block(tmp_path):
    spec = {"podSelector": {}, "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"c": "d"}},
                                                   "ipBlock": None}]}]}
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


@pytest.mark.parametrize(("cidr", "read_as"), [
    ("0010.0.0.0/8", "10.0.0.0/8"),   # the sloppy parser strips any run of zeros, not only one
    ("10.0.0.0/016", "10.0.0.0/16"),  # and zeros before the prefix length
    ("fd00::/048", "fd00::/48"),
    pytest.param("0" * 5000 + "1.2.3.0/24", "1.2.3.0/24", id="5000 zeros"),  # int() refuses 4,300 digits
])
def test_leading_zeros_the_sloppy_parser_strips_are_read_as_decimal_with_a_warning(tmp_path, cidr, read_as):
    got, _, warnings = _cidr_peer(tmp_path, cidr)
    assert got == read_as
    (w,) = warnings
    assert w.code == "cidr-notation" and "spec.ingress[0].from[0].ipBlock.cidr" in w.message
    assert "leading zeros" in w.message


@pytest.mark.parametrize(("cidr", "read_as"), [
    ("::ffff:192.168.0.0/120", "192.168.0.0/24"),
    ("::ffff:c0a8:0/112", "192.168.0.0/16"),      # the same address in hex
    ("::ffff:0.0.0.0/96", "0.0.0.0/0"),
    ("::ffff:010.1.0.0/112", "10.1.0.0/16"),      # leading zeros in its IPv4 part too
])
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

    allow = netpol("bar", "foo", {"podSelector": {}, "policyTypes": ["Egress"],
                                  "egress": [{"to": [{"ipBlock": {"cidr": "::ffff:10.0.1.0/120"}}]}]})
    reach = k8sviz.reachability(snapshot(ns("bar"), pod("bar", "a", {"app": "a"}, ip="10.0.0.5"), allow))
    assert reach.can_reach("bar/a", "10.0.1.9", 80)
    assert not reach.can_reach("bar/a", "10.0.2.9", 80)


def test_an_except_in_mapped_form_is_read_in_the_family_of_its_cidr(tmp_path):
    # Go accepts it (cidr.Contains(except.IP) holds, /8 < /112): one IPv4 block with a hole.
    cidr, excepts, _ = _cidr_peer(tmp_path, "10.0.0.0/8", "::ffff:10.1.0.0/112")
    assert (cidr, excepts) == ("10.0.0.0/8", ("10.1.0.0/16",))
