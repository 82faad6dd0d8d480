"""Parsing raw objects (k8sviz.model): values of a type the API server never stores are named errors."""

from __future__ import annotations

import copy

import pytest
from tests.objects import deployment, netpol

import k8sviz
from k8sviz.errors import InputError, PolicyError


def _pod(**spec):
    """The fuzz review's base: a Pod in shop with one container port 80 named http."""
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop", "labels": {"app": "t"}},
           "spec": {"nodeName": "n1",
                    "containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 80, "name": "http"}]}]},
           "status": {"phase": "Running", "podIP": "10.244.9.1"}}
    obj["spec"].update(spec)
    return obj


def _set(obj, path, value):
    node = obj
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return obj


_PORT = ("spec", "containers", 0, "ports", 0)

BAD_POD_FIELDS = [
    (("spec", "nodeName"), ["a", "b"], r"spec\.nodeName is a list .*not a string"),
    (("spec", "nodeName"), {"a": 1}, r"spec\.nodeName is a mapping"),
    (("spec", "nodeName"), 5, r"spec\.nodeName is a number"),
    (("spec", "serviceAccountName"), ["a"], r"spec\.serviceAccountName is a list"),
    (("spec", "serviceAccount"), {"a": 1}, r"spec\.serviceAccount is a mapping"),
    (("status", "phase"), ["Running"], r"status\.phase is a list"),
    ((*_PORT, "containerPort"), 2**70, r"ports\[0\]\.containerPort is 1180591620717411303424, not a port number"),
    ((*_PORT, "containerPort"), 70000, r"containerPort is 70000, not a port number \(an integer 1-65535\)"),
    ((*_PORT, "containerPort"), -1, r"containerPort is -1, not a port number"),
    ((*_PORT, "containerPort"), 0, r"containerPort is 0, not a port number"),
    ((*_PORT, "containerPort"), "80", r"containerPort is '80', not a port number"),
    ((*_PORT, "containerPort"), 80.9, r"containerPort is 80.9, not a port number"),
    ((*_PORT, "containerPort"), True, r"containerPort is true, not a port number"),
    ((*_PORT, "containerPort"), None, r"ports\[0\] has no containerPort"),
    ((*_PORT, "hostPort"), 70000, r"hostPort is 70000, not a port number \(an integer 0-65535\)"),
    ((*_PORT, "hostPort"), -1, r"hostPort is -1"),
    ((*_PORT, "hostPort"), "8080", r"hostPort is '8080'"),
    (("spec", "containers", 0, "ports"), "80", r"container 'c' ports is a string, not a list"),
    (("spec", "containers", 0, "ports", 0), 80, r"container 'c' ports\[0\] is a number, not a mapping"),
    (("spec", "containers", 0), "c", r"an entry of spec\.containers is a string, not a mapping"),
    (("spec", "hostNetwork"), "false", r"spec\.hostNetwork is 'false' \(a string\), not true or false"),
    (("spec", "hostNetwork"), "yes", r"spec\.hostNetwork is 'yes'"),
    (("spec", "hostNetwork"), 1, r"spec\.hostNetwork is 1 \(a number\)"),
    (("spec", "containers", 0, "securityContext"), {"privileged": "false"},
     r"container 'c' securityContext\.privileged is 'false' \(a string\), not true or false"),
    (("spec", "containers", 0, "securityContext"), "privileged", r"securityContext is a string, not a mapping"),
    ((*_PORT, "name"), True, r"container port name true is not a string"),
]


@pytest.mark.parametrize(("path", "value", "match"), BAD_POD_FIELDS)
def test_pod_fields_of_a_type_the_api_refuses_are_malformed_objects(write, path, value, match):
    f = write("pod.yaml", _set(_pod(), path, value))
    with pytest.raises(InputError, match=match) as e:
        k8sviz.load(f)
    assert str(e.value).startswith(f"{f}, Pod/shop/p: malformed object: "), str(e.value)


@pytest.mark.parametrize(("path", "value", "match"),
                         [c for c in BAD_POD_FIELDS if c[0][0] == "spec" and c[0][-1] != "nodeName"])
def test_a_workload_template_is_typed_as_a_pod(write, path, value, match):
    dep = deployment("shop", "web", {"app": "web"})
    dep["spec"]["template"]["spec"] = copy.deepcopy(_pod()["spec"])
    _set(dep["spec"]["template"], path, value)
    f = write("dep.yaml", dep)
    with pytest.raises(InputError, match=match) as e:
        k8sviz.load(f)
    assert str(e.value).startswith(f"{f}, Deployment/shop/web: malformed object"), str(e.value)


def test_the_same_values_of_the_right_type_load(write):
    """null/absent stay fine; 0 or no hostPort is none; an integral float is its integer (kubectl
    sends YAML's 80.0 as 80); real booleans are read as they are."""
    a = _pod(hostNetwork=None, serviceAccountName=None, nodeName=None)
    a["status"]["phase"] = None
    a["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "name": "http", "hostPort": 0},
                                           {"containerPort": 9090.0, "hostPort": None}]
    b = _pod(hostNetwork=False, serviceAccountName="api")
    b["metadata"]["name"] = "q"
    b["status"]["podIP"] = "10.244.9.2"
    b["spec"]["containers"][0]["securityContext"] = {"privileged": False}
    b["spec"]["containers"][0]["ports"][0]["hostPort"] = 8080
    c = _pod(hostNetwork=True, serviceAccount="old")
    c["metadata"]["name"] = "r"
    c["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    c["spec"]["containers"][0]["ports"] = [{"containerPort": 65535, "hostPort": 65535}]
    snap = k8sviz.load(write("pods.yaml", [a, b, c]))
    p, q, r = snap.pods
    assert (p.node, p.phase, p.service_account, p.host_network, p.privileged) == (None, None, None, False, False)
    assert [(cp.container_port, cp.host_port) for cp in p.containers[0].ports] == [(80, None), (9090, None)]
    assert type(p.containers[0].ports[1].container_port) is int
    assert (q.node, q.service_account, q.host_network, q.privileged, q.host_ports) == ("n1", "api", False, False, (8080,))
    assert (r.service_account, r.host_network, r.privileged, r.host_ports) == ("old", True, True, (65535,))


def test_wrong_typed_node_name_no_longer_reaches_the_engine(write):
    """Before: accepted, then `connectivity` failed with TypeError: unhashable type: 'list'."""
    f = write("pod.yaml", _pod(nodeName=["a", "b"]))
    with pytest.raises(InputError, match="Pod/shop/p"):
        k8sviz.load(f)


@pytest.mark.parametrize(("key", "label"), [(1, "1"), (True, "true"), (False, "false")])
def test_a_label_key_yaml_reads_as_a_number_or_boolean_is_its_text_as_kubectl_sends_it(write, key, label):
    """kubectl's YAML-to-JSON step writes an integer or boolean map key as text (``1: a`` is the
    label "1", ``true: a`` the label "true"), in a pod's labels and a selector's matchLabels alike.
    Before: the selector's key was refused and a pod's ``true`` key read as Python's "True"."""
    pod = _pod()
    pod["metadata"]["labels"] = {key: "a"}
    pol = netpol("shop", "p", {"podSelector": {"matchLabels": {key: "a"}}, "ingress": []})
    snap = k8sviz.load(write("objs.yaml", [pod, pol]))
    assert snap.pods[0].labels == {label: "a"}
    assert not [w for w in snap.warnings if "label" in w.code], snap.warnings
    reach = k8sviz.reachability(snap)
    (row,) = reach.isolation(level="pod").query("direction == 'ingress'").to_dict("records")
    assert row["deny_by"] == ["shop/p"], row  # the selector selects the pod: isolated by p


def test_a_match_labels_value_that_is_no_scalar_is_named_as_written(write):
    pol = netpol("shop", "p", {"podSelector": {"matchLabels": {"app": [1]}}, "ingress": []})
    f = write("np.yaml", pol)
    with pytest.raises(PolicyError) as e:
        k8sviz.load(f)
    assert str(e.value) == f"{f}, NetworkPolicy/shop/p: spec.podSelector.matchLabels['app'] is [1], not a string"


@pytest.mark.parametrize(("port", "said"), [(True, "invalid port true"), (False, "invalid port false"),
                                           ([80], "invalid port [80]")])
def test_a_networkpolicy_port_of_another_kind_is_shown_as_written(write, port, said):
    """YAML's true, not Python's True: the user wrote `port: true`."""
    f = write("np.yaml", netpol("shop", "p", {"podSelector": {}, "ingress": [{"ports": [{"port": port}]}]}))
    with pytest.raises(PolicyError) as e:
        k8sviz.load(f)
    assert str(e.value) == f"{f}, NetworkPolicy/shop/p: spec.ingress[0].ports[0]: {said}"


class TestNetworkPolicyLists:
    def test_policy_types_as_a_string_says_it_must_be_a_list(self, write):
        f = write("np.yaml", netpol("shop", "pt", {"podSelector": {}, "policyTypes": "Ingress"}))
        with pytest.raises(PolicyError) as e:
            k8sviz.load(f)
        assert str(e.value) == f"{f}, NetworkPolicy/shop/pt: spec.policyTypes must be a list (got a string: 'Ingress')"

    def test_policy_types_bad_entries_and_empty_list_as_before(self, write):
        with pytest.raises(PolicyError, match=r"spec\.policyTypes: invalid value 'Sideways' \(expected Ingress, Egress\)"):
            k8sviz.load(write("a.yaml", netpol("shop", "pt", {"podSelector": {}, "policyTypes": ["Ingress", "Sideways"]})))
        for types in ([], None):
            snap = k8sviz.load(write("b.yaml", netpol("shop", "pt", {"podSelector": {}, "policyTypes": types})))
            assert snap.network_policies[0].policy_types == ("Ingress",)

    def test_except_as_a_string_says_it_must_be_a_list(self, write):
        f = write("np.yaml", netpol("shop", "ex", {"podSelector": {}, "ingress": [
            {"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": "10.1.0.0/16"}}]}]}))
        with pytest.raises(PolicyError) as e:
            k8sviz.load(f)
        assert str(e.value) == (f"{f}, NetworkPolicy/shop/ex: spec.ingress[0].from[0].ipBlock.except must be a "
                                "list (got a string: '10.1.0.0/16')")

    def test_except_list_as_before(self, write):
        snap = k8sviz.load(write("np.yaml", netpol("shop", "ex", {"podSelector": {}, "egress": [
            {"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                    {"ipBlock": {"cidr": "10.0.0.0/8", "except": None}}]}]})))
        blocks = [peer.ip_block for peer in snap.network_policies[0].egress[0].peers]
        assert [(b.cidr, b.except_) for b in blocks] == [("10.0.0.0/8", ("10.1.0.0/16",)), ("10.0.0.0/8", ())]


def test_fields_networkpolicy_does_not_have_are_warned_and_read_as_absent():
    from tests.analysis.helpers import ns, pod, policy, snapshot

    typo = policy("a", "typo", {"app": "db"})
    typo["spec"]["ingres"] = [{"from": [{"podSelector": {}}]}]  # the allow never applies
    wide = policy("a", "wide", ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "web"}},
                                                    "namespaceSelektor": {}}],
                                         "ports": [{"port": 80, "protocl": "UDP"}]}])
    wide["spec"]["podSelector"] = {"matchLabel": {"app": "web"}}  # read as {}: every pod of a
    snap = snapshot(ns("a"), pod("a", "web", ip="10.0.0.1", app="web"), pod("a", "db", ip="10.0.0.2", app="db"),
                    pod("a", "x", ip="10.0.0.3", app="x"), typo, wide)
    found = {w.obj: w.message for w in snap.warnings if w.code == "unknown-field"}
    assert set(found) == {"NetworkPolicy/a/typo", "NetworkPolicy/a/wide"}
    assert found["NetworkPolicy/a/typo"].startswith("spec.ingres: ")
    assert found["NetworkPolicy/a/wide"].startswith(
        "spec.podSelector.matchLabel, spec.ingress[0].from[0].namespaceSelektor, spec.ingress[0].ports[0].protocl: ")
    # each named with the field it likely is: "(a typo?)" left the reader to find it
    assert found["NetworkPolicy/a/typo"].endswith("; did you mean spec.ingress?")
    assert found["NetworkPolicy/a/wide"].endswith(
        "; did you mean spec.podSelector.matchLabels, spec.ingress[0].from[0].namespaceSelector, "
        "spec.ingress[0].ports[0].protocol?")
    reach = k8sviz.reachability(snap)
    assert not reach.can_reach("a/web", "a/db", 5432)  # db isolated, its allow misspelt
    assert reach.isolated("a/x", "ingress")  # the misspelt selector selects every pod of a
    assert reach.can_reach("a/web", "a/x", 80) and not reach.can_reach("a/web", "a/x", 80, "UDP")


def test_a_networkpolicy_of_every_field_has_no_unknown_field_warning():
    from tests.analysis.helpers import ns, policy, snapshot

    peers = [{"podSelector": {"matchLabels": {"a": "b"}, "matchExpressions": [{"key": "c", "operator": "In", "values": ["d"]}]},
              "namespaceSelector": {}}, {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]
    ports = [{"protocol": "TCP", "port": 80, "endPort": 90}]
    snap = snapshot(ns("a"), policy("a", "all", {"x": "y"}, ["Ingress", "Egress"],
                                    ingress=[{"from": peers, "ports": ports}], egress=[{"to": peers, "ports": ports}]))
    assert [w for w in snap.warnings if w.code == "unknown-field"] == []


def test_unknown_fields_are_named_ten_at_most():
    from tests.analysis.helpers import ns, policy, snapshot

    p = policy("a", "junk")
    p["spec"].update({f"junk{i:02}": 1 for i in range(12)})
    (w,) = [w for w in snapshot(ns("a"), p).warnings if w.code == "unknown-field"]
    assert "spec.junk09, ..." in w.message and "junk10" not in w.message
    assert "did you mean" not in w.message  # nothing NetworkPolicy has is spelt like them


@pytest.mark.parametrize(("peer", "text"), [
    ({"podSelector": {}}, "every pod in the policy's namespace"),
    ({"podSelector": {"matchLabels": {"app": "web"}}}, "pods [app=web] in the policy's namespace"),
    ({"namespaceSelector": {}}, "every pod in every namespace"),
    ({"namespaceSelector": {"matchLabels": {"env": "prod"}}}, "every pod in namespaces [env=prod]"),
    ({"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "web"}}}, "pods [app=web] in every namespace"),
    ({"ipBlock": {"cidr": "10.0.0.0/8"}}, "ipBlock 10.0.0.0/8"),
])
def test_peers_read_as_what_they_select(peer, text):
    from k8sviz.model import _peer

    assert str(_peer(peer, "spec.ingress[0].from[0]", "test", "NetworkPolicy/a/p")) == text


def test_admin_peers_read_as_what_they_select():
    from k8sviz.model import AdminPeer, LabelSelector

    env = LabelSelector.parse({"matchLabels": {"env": "prod"}})
    assert str(AdminPeer(namespaces=LabelSelector())) == "every pod in every namespace"
    assert str(AdminPeer(pods=(env, LabelSelector()))) == "every pod in namespaces [env=prod]"
    assert str(AdminPeer(pods=(LabelSelector(), env))) == "pods [env=prod] in every namespace"


def test_an_error_names_only_the_dropped_fields_beside_what_it_is_about():
    """A field dropped elsewhere in the object did not cause the error: it is not named."""
    from k8sviz.errors import PolicyError
    from tests.analysis.helpers import ns, policy, snapshot

    p = policy("a", "p", ingress=[{"ports": [80, {"port": 80, "protocl": "UDP"}]}])
    with pytest.raises(PolicyError) as e:
        snapshot(ns("a"), p)
    assert str(e.value).endswith("spec.ingress[0].ports[0] must be an object"), str(e.value)
    # Beside it, the dropped field is named.
    p = policy("a", "p", ingress=[{"ports": [{"port": 80, "protocl": "UDP", "endPort": 70}]}])
    with pytest.raises(PolicyError, match=r"\(read without spec\.ingress\[0\]\.ports\[0\]\.protocl, "):
        snapshot(ns("a"), p)


def test_the_quick_clean_check_agrees_with_the_walk_that_names_fields():
    """known_fields skips the path-naming walk when a quick check finds nothing to change: on
    random NetworkPolicy specs with and without stray keys and nulls, the two agree, as the
    built-in type and as a custom resource's would (which differ on nulls in lists and maps)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from k8sviz.model import _NP_SPEC, _clean, _walk, unknown_fields

    keys = st.sampled_from(["podSelector", "matchLabels", "matchExpressions", "key", "ingress", "from", "to",
                            "ports", "port", "ipBlock", "cidr", "except", "policyTypes", "typo", "a"])
    values = st.recursive(st.none() | st.integers() | st.text(max_size=3),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
                          max_leaves=12)

    @settings(max_examples=300, deadline=None)
    @given(st.dictionaries(keys, values, max_size=5))
    def check(spec):
        for builtin in (True, False):
            found: list[str] = []
            kept = _walk(spec, _NP_SPEC, "spec", found, builtin)
            assert _clean(spec, _NP_SPEC, builtin) == (not found and kept is spec)
            assert found == unknown_fields(spec, _NP_SPEC, "spec")

    check()
    for deep in ({"podSelector": {"typo": 1}}, {"ingress": [{"from": [{"ipBlock": {"cidr": "x", "typo": 1}}]}]},
                 {"egress": [{"ports": [{"port": 1}, {"typo": 2}]}]}):
        assert not _clean(deep, _NP_SPEC) and unknown_fields(deep, _NP_SPEC, "spec")
    assert _clean({"ingress": [{"from": [{"ipBlock": {"cidr": "x"}}]}], "policyTypes": ["typo"]}, _NP_SPEC)
    # Nulls: a field, a list item, a label value.
    for spec, builtin in (({"podSelector": None}, True), ({"ingress": [None]}, True),
                          ({"podSelector": {"matchLabels": {"a": None}}}, False)):
        assert not _clean(spec, _NP_SPEC, builtin) and unknown_fields(spec, _NP_SPEC, "spec") == []
    assert _clean({"ingress": [None]}, _NP_SPEC) and _clean({"podSelector": {"matchLabels": {"a": None}}}, _NP_SPEC, True)


def _outcome(fn, *args):
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 - the error itself is what is compared
        return type(e).__name__, str(e)


def test_the_quick_container_reading_agrees_with_the_checked_one():
    """_container_fields reads a well-formed container with type tests alone and hands
    anything else to the reading that names each problem: on random containers (values of
    every JSON type where the API has ints, strings, booleans and lists) the two agree, result
    or error."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from k8sviz.model import _container_fields, _container_fields_checked

    odd = st.sampled_from([None, 0, 1, -1, 80, 80.0, 80.5, 65535, 65536, True, False, "", "80", "http", "TCP",
                           "UDP", "SCTP", "tcp", [], {}, ["TCP"], 2**70])
    port = st.dictionaries(st.sampled_from(["containerPort", "protocol", "hostPort", "name", "hostIP"]),
                           odd, max_size=5)
    container = st.fixed_dictionaries({}, optional={
        "name": odd, "image": odd, "ports": st.lists(port | odd, max_size=3) | odd,
        "securityContext": st.dictionaries(st.just("privileged"), odd) | odd})

    @settings(max_examples=500, deadline=None)
    @given(container | odd, st.booleans())
    def check(raw, init):
        assert _outcome(_container_fields, raw, init, "Pod/a/p", "f") == \
            _outcome(_container_fields_checked, raw, init, "Pod/a/p", "f")

    check()
    ok = {"name": "c", "image": "i",
          "ports": [{"containerPort": 80, "protocol": "UDP", "name": "dns", "hostPort": 0}],
          "securityContext": {"privileged": True}}
    assert _container_fields(ok, False, "", "") == ("c", "i", ((80, "UDP", "dns", None),), True, False)
    # Every field of a well-formed container, one at a time, set to each odd value.
    values = [None, 0, 1, -1, 80.0, 80.5, 65535, 65536, True, False, "", "80", "tcp", "TCP", [], {}, 2**70]
    for path in (("name",), ("image",), ("ports",), ("ports", 0), ("securityContext",),
                 ("securityContext", "privileged"), *(("ports", 0, k) for k in ok["ports"][0])):
        for value in values:
            raw = _set(copy.deepcopy(ok), path, value)
            assert _outcome(_container_fields, raw, False, "", "") == \
                _outcome(_container_fields_checked, raw, False, "", ""), (path, value)


def test_a_port_name_with_a_trailing_newline_is_no_port_name(write):
    # IANA_SVC_NAME is the whole string: a pattern ending in "$" would let "http\n" through.
    spec = {"podSelector": {}, "ingress": [{"ports": [{"protocol": "TCP", "port": "http\n"}]}]}
    with pytest.raises(PolicyError, match="is not a valid port name"):
        k8sviz.load(write("np.yaml", netpol("shop", "nl", spec)))


def _service(**port):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "shop"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}, port]}}


@pytest.mark.parametrize(("port", "said"), [
    # The API requires port: a missing one was read as port 0.
    ({"targetPort": 8080}, "malformed object: spec.ports[1].port is missing or null"),
    # Each of these int() read as a port: the API server refuses them.
    ({"port": "80"}, "malformed object: spec.ports[1].port is '80', not a port number (an integer 1-65535)"),
    ({"port": 0}, "malformed object: spec.ports[1].port is 0, not a port number (an integer 1-65535)"),
    ({"port": 65536}, "malformed object: spec.ports[1].port is 65536, not a port number (an integer 1-65535)"),
    ({"port": 80.5}, "malformed object: spec.ports[1].port is 80.5, not a port number (an integer 1-65535)"),
    ({"port": True}, "malformed object: spec.ports[1].port is true, not a port number (an integer 1-65535)"),
    ({"port": 81, "targetPort": 0},
     "malformed object: spec.ports[1].targetPort is 0, not a port number (an integer 1-65535)"),
    ({"port": 81, "targetPort": 70000},
     "malformed object: spec.ports[1].targetPort is 70000, not a port number (an integer 1-65535)"),
    ({"port": 81, "targetPort": [8080]},
     "malformed object: spec.ports[1].targetPort is [8080], not a port number (an integer 1-65535)"),
    ({"port": 81, "nodePort": 70000},
     "malformed object: spec.ports[1].nodePort is 70000, not a port number (an integer 0-65535)"),
    ({"port": 81, "name": 81}, "malformed object: spec.ports[1].name is 81, not a string"),
    ({"port": 81, "protocol": "AAAA"},
     "malformed object: spec.ports[1].protocol is 'AAAA', not TCP, UDP or SCTP"),
    ({"port": 81, "protocol": "tcp"},
     "malformed object: spec.ports[1].protocol is 'tcp', not TCP, UDP or SCTP"),
])
def test_a_service_port_the_api_refuses_is_a_malformed_object(write, port, said):
    f = write("svc.yaml", _service(**port))
    with pytest.raises(InputError) as e:
        k8sviz.load(f)
    assert str(e.value) == f"{f}, Service/shop/s: {said}"


def test_service_port_numbers_the_api_takes_load(write):
    snap = k8sviz.load(write("svc.yaml", _service(port=8443.0, targetPort="https", nodePort=0, name="web")))
    p = snap.services[0].ports[1]
    assert (p.port, p.target_port, p.node_port, p.name) == (8443, "https", None, "web")
    snap = k8sviz.load(write("svc.yaml", _service(port=65535, targetPort=1, nodePort=30080)))
    p = snap.services[0].ports[1]
    assert (p.port, p.target_port, p.node_port) == (65535, 1, 30080)


def test_service_port_protocols_the_api_takes_load(write):
    snap = k8sviz.load(write("svc.yaml", _service(port=53, protocol="UDP")))
    assert [(p.port, p.protocol) for p in snap.services[0].ports] == [(80, "TCP"), (53, "UDP")]
