"""Numbers no field can hold (thousands of digits): an input error naming the file and the object,
never a traceback.

A JSON dump cannot carry one to the model: orjson reads an integer past 64 bits as a double, and
5000 digits overflow it, which is a malformed JSON file (with the position).  Nor can YAML: it is
read as kubectl reads it (go-yaml v2), so ``0x`` and 4,200 hex digits, past 64 bits, are text,
and ``!!int`` on them an error.  Python callers can still pass such an int (the dict tests below).
"""

from __future__ import annotations

import json

import pytest

import k8sviz
from k8sviz.cli import main
from k8sviz.errors import InputError, PolicyError
from k8sviz.model import LabelSelector
from k8sviz.snapshot import SnapshotBuilder

HUGE = 10**5000
HEX = "0x" + "F" * 4200  # in YAML: an int of some 5,000 digits
NP = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
      "metadata": {"name": "p", "namespace": "default"},
      "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]}}


def _replaced(node, value):
    """``node`` with every "@" replaced by ``value``."""
    if isinstance(node, dict):
        return {k: _replaced(v, value) for k, v in node.items()}
    if isinstance(node, list):
        return [_replaced(v, value) for v in node]
    return value if node == "@" else node


def _with(obj: dict, path: str, value) -> dict:
    """A copy of ``obj`` with ``value`` at ``path`` (keys joined by '.')."""
    obj = json.loads(json.dumps(obj))
    *head, last = path.split(".")
    node = obj
    for k in head:
        node = node[int(k)] if isinstance(node, list) else node[k]
    node[last] = value
    return obj


def test_a_json_dump_with_numbers_of_5000_digits(tmp_path):
    p = tmp_path / "dump.json"
    items = [_with(NP, "spec.podSelector", {"matchLabels": {"app": "@"}})]
    p.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}).replace('"@"', "9" * 5000))
    with pytest.raises(InputError, match=r"dump\.json: malformed JSON: number is infinity .*: line 1 column"):
        k8sviz.load(p)


CASES = [
    (_with(NP, "spec.podSelector", {"matchLabels": {"app": "@"}}),
     r"NetworkPolicy/default/p: spec\.podSelector\.matchLabels\['app'\] is a number too large to read"),
    (_with(NP, "spec.podSelector", {"matchExpressions": [{"key": "app", "operator": "In", "values": ["@"]}]}),
     r"NetworkPolicy/default/p: spec\.podSelector\.matchExpressions\[0\]\.values is a number too large"),
    (_with(NP, "spec.podSelector", {"matchExpressions": [{"key": "@", "operator": "Exists"}]}),
     r"NetworkPolicy/default/p: spec\.podSelector\.matchExpressions\[0\]\.key is a number too large"),
    (_with(NP, "spec.podSelector", {"matchExpressions": [{"key": "a", "operator": "@"}]}),
     r"NetworkPolicy/default/p: spec\.podSelector\.matchExpressions\[0\]: invalid operator <a number too large"),
    (_with(NP, "spec.ingress", [{"from": [{"namespaceSelector": {"matchLabels": {"a": "@"}}}]}]),
     r"NetworkPolicy/default/p: spec\.ingress\[0\]\.from\[0\]\.namespaceSelector\.matchLabels\['a'\] is a"),
    ({"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
      "metadata": {"name": "a"},
      "spec": {"priority": 10, "subject": {"namespaces": {"matchLabels": {"a": "@"}}},
               "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}]}},
     r"AdminNetworkPolicy/a: spec\.subject\.namespaces\.matchLabels\['a'\] is a number too large"),
    ({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
      "metadata": {"name": "c", "namespace": "default"},
      "spec": {"endpointSelector": {"matchLabels": {"app": "@"}}, "ingress": [{"fromEndpoints": [{}]}]}},
     r"CiliumNetworkPolicy/default/c: spec\.endpointSelector\.matchLabels\['app'\] is a number too large"),
    ({"apiVersion": "v1", "kind": "Pod",
      "metadata": {"name": "x", "namespace": "default", "labels": {"app": "@"}},
      "spec": {"containers": [{"name": "c", "image": "i"}]},
      "status": {"phase": "Running", "podIP": "10.0.0.1"}},
     r"Pod/default/x: malformed object: a number of more than 4,300 digits, too large to read"),
]
CALICO = {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
          "metadata": {"name": "c", "namespace": "default"},
          "spec": {"order": "@", "selector": "all()", "ingress": [{"action": "Allow"}]}}


@pytest.mark.parametrize(("obj", "error", "number"), [
    *((obj, error, HEX) for obj, error in CASES),
    # Calico's order is a float64: an int past it (300 hex digits) raised OverflowError, a traceback
    (CALICO, r"NetworkPolicy/default/c: spec\.order must be a number a 64-bit float holds", "0x" + "F" * 300),
], ids=["labels", "values", "key", "operator", "peer", "admin", "cilium", "pod", "calico-order"])
def test_a_yaml_number_too_large_for_its_field_is_text_or_an_input_error(tmp_path, capsys, obj, error, number):
    # Past 64 bits kubectl's YAML reader keeps the scalar as text: the object loads with it as
    # text, or is refused for what text there means, never with a traceback or a Python setting.
    p = tmp_path / "objects.yaml"
    p.write_text(json.dumps(obj).replace('"@"', number))  # JSON's syntax is YAML's flow style
    try:
        k8sviz.load(p)
    except InputError as e:
        assert str(e).startswith(f"{p}") and "sys.set_int_max_str_digits" not in str(e)
    assert main(["info", str(p)]) in (0, 2)
    assert "Traceback" not in capsys.readouterr().err
    # Given as an int (a Python caller's objects), each field still names its object.
    with pytest.raises(InputError, match=rf"objects\.yaml, {error}") as caught:
        builder = SnapshotBuilder()
        builder.add(_replaced(obj, int(number, 16)), str(p))
        builder.build()
    assert "sys.set_int_max_str_digits" not in str(caught.value)  # no Python setting to raise
    # Tagged as an integer, it is an error naming the line, as kubectl refuses it.
    p.write_text(json.dumps(obj).replace('"@"', f"!!int {number}"))
    with pytest.raises(InputError, match=r"objects\.yaml: malformed YAML at line 1, column \d+: .* is tagged "
                                         r"!!int but is past 64 bits, which kubectl does not read"):
        k8sviz.load(p)


def test_label_selector_parse_of_dict_input():
    at = {"source": "f.json", "obj": "NetworkPolicy/default/p"}
    with pytest.raises(PolicyError, match=r"f\.json, NetworkPolicy/default/p: s\.matchLabels"):
        LabelSelector.parse({"matchLabels": {"a": HUGE}}, "s", **at)
    with pytest.raises(PolicyError, match=r"s\.matchExpressions\[0\]\.values is a number too large"):
        LabelSelector.parse({"matchExpressions": [{"key": "a", "operator": "In", "values": [HUGE]}]}, "s")
    with pytest.raises(PolicyError, match=r"s\.matchExpressions\[0\]\.key is a number too large"):
        LabelSelector.parse({"matchExpressions": [{"key": HUGE, "operator": "Exists"}]}, "s")
    with pytest.raises(PolicyError, match=r"invalid operator <a number too large to show>"):
        LabelSelector.parse({"matchExpressions": [{"key": "a", "operator": HUGE}]}, "s")
    assert str(LabelSelector.parse({"matchLabels": {"a": 10**100}})) == f"a={10**100}"  # large, not too large


def test_zones_given_as_a_dict():
    with pytest.raises(k8sviz.ZoneError, match=r"zone pci: bad selector: namespaceSelector\.matchLabels"):
        k8sviz.load_zones({"zones": {"pci": {"namespaceSelector": {"matchLabels": {"a": HUGE}}}}})
