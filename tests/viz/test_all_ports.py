"""A port text meaning every port ("all ports") absorbs the ports and ranges beside it."""

from __future__ import annotations

import networkx as nx

from k8sviz.viz import network_figure
from k8sviz.viz._common import merged_labels, merged_ports


def test_all_ports_absorbs_the_ranges_beside_it():
    assert merged_ports(["all ports", "53", "8000-8080", "http"]) == {"all ports"}
    assert merged_ports(["1-65535", "all ports"]) == {"all ports"}
    assert merged_ports(["1-65535", "53"]) == {"1-65535"}  # as before
    assert merged_ports(["53", "54", "http"]) == {"53-54", "http"}
    labels = ["TCP/all ports", "TCP/53", "UDP/53", "TCP/8000-8080"]
    assert merged_labels(labels) == ["TCP/all ports", "UDP/53"]


def test_an_edge_of_all_ports_and_one_port_reads_all_ports():
    """Two allowed edges of one pair and protocol, one without ports (every port), one on 53:
    the drawn edge's hover said "TCP/53, TCP/all ports"."""
    G = nx.MultiDiGraph()
    for n in ("a/x", "b/y"):
        G.add_node(n, namespace=n.split("/")[0], zone="web", kind="workload", labels={})
    G.add_edge("a/x", "b/y", kind="allowed", protocol="TCP", ports=None)
    G.add_edge("a/x", "b/y", kind="allowed", protocol="TCP", ports=["53"])
    G.add_edge("a/x", "b/y", kind="allowed", protocol="UDP", ports=["53"])
    fig = network_figure(G)
    (hover,) = next(t for t in fig.data if t.name == "allowed by policy (hover)").text
    ports = hover.split("ports: ", 1)[1].split("<br>", 1)[0]
    assert ports == "UDP/53, TCP/all ports"  # numbered ports first
