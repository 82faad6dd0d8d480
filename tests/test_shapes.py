"""A field of the wrong shape in a hand-edited object is named in the error (k8sviz._shapes)."""

from __future__ import annotations

import re

import pytest

import k8sviz
from k8sviz._shapes import shape_problem
from k8sviz.errors import InputError


def _obj(kind, api="v1", namespace="a", **fields):
    meta = {"name": "x", **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": api, "kind": kind, "metadata": meta, **fields}


# Found by fuzzing the CLI: each was "malformed object (AttributeError: 'str' object has no
# attribute 'get')" or a TypeError/ValueError of int(), naming no field.
CASES = [
    (_obj("Service", spec="tcp"), "Service/a/x", "spec is a string, not a mapping"),
    (_obj("Service", spec={"ports": ["*"]}), "Service/a/x", "spec.ports[0] is a string, not a mapping"),
    (_obj("Service", spec={"ports": [{"port": 80}, {"port": {"a": 1}}]}), "Service/a/x",
     "spec.ports[1].port is {'a': 1}, not a port number (an integer 1-65535)"),
    (_obj("Service", spec={"ports": [{"port": "10.0.0.0/33"}]}), "Service/a/x",
     "spec.ports[0].port is '10.0.0.0/33', not a port number (an integer 1-65535)"),
    (_obj("Service", spec={"ports": [{"port": None}]}), "Service/a/x",
     "spec.ports[0].port is missing or null"),
    (_obj("Deployment", "apps/v1", spec={"template": {"metadata": {"labels": ["x"]}}}), "Deployment/a/x",
     "spec.template.metadata.labels is a list, not a mapping"),
    (_obj("Deployment", "apps/v1", spec={"template": ["x"]}), "Deployment/a/x",
     "spec.template is a list, not a mapping"),
    (_obj("Ingress", "networking.k8s.io/v1", spec={"rules": [{"http": {"paths": ["${HOME}"]}}]}),
     "Ingress/a/x", "spec.rules[0].http.paths[0] is a string, not a mapping"),
    (_obj("Node", namespace=None, status={"addresses": [[{"type": "InternalIP", "address": "10.0.0.1"}]]}),
     "Node/x", "status.addresses[0] is a list, not a mapping"),
    (_obj("Pod", spec={"containers": []}, status=[[]]), "Pod/a/x", "status is a list, not a mapping"),
]


@pytest.mark.parametrize(("obj", "ref", "said"), CASES, ids=[c[2] for c in CASES])
def test_the_field_of_the_wrong_shape_is_named(write, obj, ref, said):
    path = write("x.yaml", [obj])
    with pytest.raises(InputError, match=f"^{re.escape(f'{path}, {ref}: malformed object: {said}')}$"):
        k8sviz.load(path)


def test_null_is_the_zero_value_not_a_wrong_shape():
    obj = _obj("Service", spec={"ports": None, "selector": None}, status=None)
    assert shape_problem(obj) is None
    assert shape_problem({**obj, "kind": 5}) is None  # no kind to look up: only spec and status
