"""External address classes: a block is internet when it holds any globally routable address."""

import pytest

import k8sviz
from k8sviz.analysis._common import classify_block, public_part
from k8sviz.analysis.blast import internet_paths
from k8sviz.analysis.controls import controls_summary
from k8sviz.analysis.gaps import gaps

from .helpers import ns, snapshot


@pytest.mark.parametrize(
    ("block", "kind"),
    [
        # IPv6: the engine cuts "::/0 except fc00::/7" into atoms; ::/1 holds 2000::/3
        ("::/1", "internet"),
        ("::/0", "internet"),
        ("2000::/3", "internet"),
        ("2a00:1450::/32", "internet"),
        ("64:ff9b::/96", "internet"),  # NAT64: the IPv4 internet
        ("2002::/16", "internet"),  # 6to4: reachability "N/A", counted (an audit errs towards naming it)
        ("2001:3::/32", "internet"),  # AMT, globally reachable inside 2001::/23
        ("8000::/2", "private"),  # unassigned: no global unicast in it
        ("c000::/3", "private"),
        ("fc00::/7", "private"),
        ("fe80::/10", "private"),
        ("ff00::/8", "private"),
        ("::1/128", "private"),
        ("::ffff:0:0/96", "private"),
        ("2001:db8::/32", "private"),  # documentation
        ("3fff::/20", "private"),
        ("2001:2::/48", "private"),  # benchmarking
        # IPv4
        ("0.0.0.0/0", "internet"),
        ("0.0.0.0/5", "internet"),
        ("8.8.8.8/32", "internet"),
        ("100.63.255.255/32", "internet"),
        ("192.0.0.9/32", "internet"),  # PCP anycast, globally reachable inside 192.0.0.0/24
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "private"),
        ("100.64.0.0/11", "private"),
        ("169.254.0.0/16", "private"),
        ("192.0.2.0/24", "private"),
        ("198.18.0.0/15", "private"),
        ("224.0.0.0/4", "private"),
        ("240.0.0.0/4", "private"),
        ("not-a-cidr", "internet"),
    ],
)
def test_a_block_is_internet_when_it_holds_any_routable_address(block, kind):
    assert classify_block(block)[0] == kind


def test_public_part_is_the_evidence():
    assert public_part("8000::/2") == [] and public_part("10.0.0.0/8") == []
    assert public_part("11.0.0.0/8") == ["11.0.0.0/8"]
    assert public_part("0.0.0.0/5") == ["4.0.0.0/6", "2.0.0.0/7", "1.0.0.0/8"]  # less 0.0.0.0/8
    v6 = public_part("::/1", limit=100)
    assert "2800::/5" in v6 and "64:ff9b::/96" in v6
    assert not any(p.startswith(("2001:db8", "fc", "fd")) for p in v6)
    assert public_part("0.0.0.0/0", limit=2)[-1] == "..."


def test_metadata_addresses_both_families():
    assert classify_block("169.254.0.0/16") == ("private", True)
    assert classify_block("fd00:ec2::/64") == ("private", True)  # AWS IMDS over IPv6
    assert classify_block("0.0.0.0/0") == ("internet", True)
    assert classify_block("2000::/3") == ("internet", False)


def ipv6_cde():
    """A CDE pod open to "::/0 except ULA and link-local": the IPv6 internet."""
    any_but_local = {"ipBlock": {"cidr": "::/0", "except": ["fc00::/7", "fe00::/7"]}}
    return snapshot(
        ns("pay"),
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
         "status": {"addresses": [{"type": "InternalIP", "address": "fd00:1::1"}]}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "vault-1", "namespace": "pay", "labels": {"app": "vault"}},
         "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "pg:16", "ports": [{"containerPort": 5432}]}]},
         "status": {"phase": "Running", "podIP": "fd00::3", "podIPs": [{"ip": "fd00::3"}], "hostIP": "fd00:1::1"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "vault", "namespace": "pay"},
         "spec": {"type": "LoadBalancer", "selector": {"app": "vault"}, "ports": [{"port": 5432}]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny", "namespace": "pay"},
         "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "vault", "namespace": "pay"},
         "spec": {"podSelector": {"matchLabels": {"app": "vault"}}, "policyTypes": ["Ingress", "Egress"],
                  "ingress": [{"from": [any_but_local], "ports": [{"port": 5432}]}],
                  "egress": [{"to": [any_but_local]}]}},
    )


def test_an_internet_exposed_ipv6_cde_pod_is_reported():
    snap = ipv6_cde()
    zones = {"zones": {"cde": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "pay"}},
                               "sensitive": True}}}
    df = gaps(snap, zones=zones)
    ing = df[df["finding"] == "internet-ingress"]
    assert ing["name"].tolist() == ["vault-1"]
    assert ing["severity"].item() == "critical"  # exposed by a LoadBalancer, in a sensitive zone
    ev = ing["evidence"].item()
    assert "2800::/5" in ev["public_blocks"] and "::/1" in ev["blocks"]
    assert "2800::/5" in ing["detail"].item()
    eg = df[df["finding"] == "internet-egress"]
    assert eg["name"].tolist() == ["vault-1"] and "2800::/5" in eg["evidence"].item()["public_blocks"]
    status = controls_summary(df).set_index("control")["status"]
    assert status["PCI-1.4.1"] == "fail" and status["PCI-1.3.2"] == "fail"
    paths = internet_paths(k8sviz.reachability(snap), "pay/vault-1")
    assert paths["path"].tolist() == [["internet", "pay/vault-1"]]


def test_object_ids_are_the_ids_of_the_objects():
    """object_ids reads an object array's pointers at once: the same numbers as id() per item."""
    import numpy as np

    from k8sviz.analysis._common import object_ids

    shared, other = ["TCP/80"], ["TCP/80"]
    a = np.empty(7, dtype=object)
    for i in range(7):
        a[i] = shared if i % 3 else (other if i % 2 else [i])
    for values in (a, a[::2], a[::-1], a[:0], [shared, other, shared], (1, "x")):
        assert object_ids(values).tolist() == [id(v) for v in values]
        assert object_ids(values).dtype == np.int64
    assert object_ids(a)[1] == object_ids(a)[2] != object_ids(a)[3]
