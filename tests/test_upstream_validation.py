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
