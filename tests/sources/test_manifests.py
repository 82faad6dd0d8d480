"""Offline loading: every input shape users have, and every class of bad input."""

from __future__ import annotations

import gzip
import json
import os
import re

import pytest
from tests.objects import deployment, netpol, pod

import k8sviz
from k8sviz.errors import InputError, PolicyError


def codes(snap):
    return [w.code for w in snap.warnings]


class TestShapes:
    def test_kubectl_yaml_list(self, write):
        path = write("dump.yaml", {"apiVersion": "v1", "kind": "List", "items": [
            pod("shop", "a", {"app": "a"}), pod("shop", "b", {"app": "b"})]})
        snap = k8sviz.load(path)
        assert [p.key for p in snap.pods] == ["shop/a", "shop/b"]
        assert snap.coverage["pods"] == "ok"
        assert snap.coverage["services"] == "not-in-input"

    def test_typed_json_list_items_without_kind(self, write):
        items = [pod("shop", "a"), pod("shop", "b")]
        for i in items:
            del i["kind"], i["apiVersion"]
        path = write("pods.json", {"apiVersion": "v1", "kind": "PodList", "items": items})
        snap = k8sviz.load(path)
        assert len(snap.pods) == 2

    def test_typed_apps_list_keeps_group(self, write):
        d = deployment("shop", "api", {"app": "api"})
        del d["kind"], d["apiVersion"]
        snap = k8sviz.load(write("d.json", {"apiVersion": "apps/v1", "kind": "DeploymentList", "items": [d]}))
        assert [(w.kind, w.name) for w in snap.workloads] == [("Deployment", "api")]

    def test_empty_typed_list_counts_as_covered(self, write):
        snap = k8sviz.load(write("np.json", {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicyList", "items": []}))
        assert snap.coverage["networkpolicies"] == "ok"
        assert snap.network_policies == ()

    @pytest.mark.parametrize(("items", "what"), [("garbage", "a string"), ({"a": 1}, "a mapping"), (5, "a number"),
                                                 (True, "a boolean")])
    @pytest.mark.parametrize("kind", ["NetworkPolicyList", "List"])
    def test_a_list_whose_items_are_not_a_list_is_an_error(self, write, kind, items, what):
        """Before: a successful empty read (coverage ok, then every pod "unprotected")."""
        f = write("np.yaml", [pod("a", "p"), {"apiVersion": "networking.k8s.io/v1", "kind": kind, "items": items}])
        with pytest.raises(InputError) as e:
            k8sviz.load(f)
        assert str(e.value) == f"{f}#2: malformed {kind}: items is {what}, not a list"

    def test_a_typed_list_inside_a_list_is_named_by_its_position(self, write):
        f = write("l.json", {"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "PodList", "items": "x"}]})
        with pytest.raises(InputError, match=r"l\.json\.items\[0\]: malformed PodList: items is a string"):
            k8sviz.load(f)

    def test_null_items_are_an_empty_list_and_missing_items_no_list(self, write):
        np_list = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicyList", "metadata": {}}
        snap = k8sviz.load(write("null.json", {**np_list, "items": None}))  # Go writes an empty list so
        assert snap.coverage["networkpolicies"] == "ok" and snap.warnings == ()
        snap = k8sviz.load(write("none.json", np_list))
        assert snap.coverage["networkpolicies"] == "not-in-input"
        assert [w.code for w in snap.warnings] == ["no-name"]

    def test_multi_document_yaml_and_single_object(self, write):
        a = write("multi.yaml", [pod("a", "p1"), pod("a", "p2")])
        b = write("single.yaml", pod("b", "p3"))
        snap = k8sviz.load(a, b)
        assert {p.key for p in snap.pods} == {"a/p1", "a/p2", "b/p3"}

    def test_directory_is_recursive_and_sorted(self, write, tmp_path):
        write("x/one.yaml", pod("a", "p1"))
        write("x/deeper/two.json", pod("a", "p2"))
        write("x/.hidden/three.yaml", pod("a", "p3"))
        (tmp_path / "x" / "notes.md").write_text("hello")
        (tmp_path / "x" / "values.toml").write_text("a=1")
        snap = k8sviz.load(tmp_path / "x")
        assert [p.name for p in snap.pods] == ["p1", "p2"]
        skipped = [w for w in snap.warnings if w.code == "skipped-file"]
        assert len(skipped) == 1 and skipped[0].source.endswith("values.toml")

    def test_a_directory_with_no_manifest_is_a_warning_not_an_empty_cluster_said_nowhere(self, write, tmp_path):
        (tmp_path / "empty").mkdir()
        (tmp_path / "docs" / "deeper").mkdir(parents=True)
        (tmp_path / "docs" / "README.md").write_text("hello")
        (tmp_path / "docs" / "deeper" / "values.toml").write_text("a=1")
        snap = k8sviz.load(tmp_path / "empty", tmp_path / "docs")
        assert [(w.code, w.source) for w in snap.warnings] == [
            ("no-input", str(tmp_path / "empty")),
            ("skipped-file", str(tmp_path / "docs" / "deeper" / "values.toml")),
            ("no-input", str(tmp_path / "docs")),
        ]
        # a directory with one manifest anywhere below it is no such case
        write("some/deeper/p.yaml", pod("a", "p1"))
        assert [w.code for w in k8sviz.load(tmp_path / "some").warnings] == []

    def test_symlinked_directories_are_followed_and_loops_skipped_with_a_warning(self, write, tmp_path):
        write("ext/np.yaml", netpol("a", "deny", {"podSelector": {}}))
        write("root/a/p1.yaml", pod("a", "p1"))
        write("root/b/p2.yaml", pod("a", "p2"))
        root = tmp_path / "root"
        (root / "linked").symlink_to(tmp_path / "ext")  # outside the root
        (root / "linked-again").symlink_to(tmp_path / "ext")  # the same directory twice: read once
        (root / "a" / "self").symlink_to(".")  # a loop
        (root / "a" / "up").symlink_to(tmp_path)  # an ancestor (of the root, too)
        (root / "a" / "to-b").symlink_to(root / "b")  # a -> b -> a: a loop through two links
        (root / "b" / "to-a").symlink_to(root / "a")
        snap = k8sviz.load(root)
        assert [p.key for p in snap.pods] == ["a/p1", "a/p2"]
        assert [p.key for p in snap.network_policies] == ["a/deny"] and snap.coverage["networkpolicies"] == "ok"
        assert [(w.code, w.source) for w in snap.warnings] == [
            ("symlink-loop", str(root / "a" / "self")),
            ("symlink-loop", str(root / "a" / "to-b" / "to-a")),
            ("symlink-loop", str(root / "a" / "up")),
        ]
        assert snap.warnings[0].message == f"a link to {root / 'a'}, a directory that holds it: not followed (it would loop)"
        assert [i["path"] for i in snap.meta["inputs"]] == [
            str(root / "a" / "p1.yaml"), str(root / "a" / "to-b" / "p2.yaml"), str(root / "linked" / "np.yaml")]

    def test_a_directory_that_cannot_be_read_is_an_error(self, write, tmp_path, monkeypatch):
        write("root/a.yaml", pod("a", "p1"))
        (tmp_path / "root" / "sub").mkdir()
        real_scandir = os.scandir

        def scandir(path):
            if str(path).endswith("sub"):
                raise PermissionError(13, "Permission denied")
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)
        with pytest.raises(InputError) as e:
            k8sviz.load(tmp_path / "root")
        assert str(e.value) == f"{tmp_path / 'root' / 'sub'}: cannot read directory: Permission denied"

    def test_a_file_with_no_object_is_a_warning(self, write, tmp_path):
        # Found by fuzzing the CLI: an empty dump file (what a failed `kubectl get pods -A -o yaml
        # > pods.yaml` leaves) was read as nothing, said nowhere.
        for name, text in (("pods.yaml", ""), ("svc.json", " \n"), ("np.yaml", "# none\n---\n---\nnull\n")):
            (tmp_path / name).write_text(text)
        ok = write("ok.yaml", [pod("a", "p")])
        snap = k8sviz.load(ok, tmp_path / "pods.yaml", tmp_path / "svc.json", tmp_path / "np.yaml")
        assert [(w.code, w.source) for w in snap.warnings] == [
            ("empty-file", str(tmp_path / name)) for name in ("pods.yaml", "svc.json", "np.yaml")]
        assert [p.key for p in snap.pods] == ["a/p"]

    def test_helm_rendered_output(self, tmp_path):
        text = (
            "---\n# Source: shop/templates/np.yaml\n"
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            "metadata:\n  name: deny\n  namespace: shop\nspec:\n  podSelector: {}\n"
            "---\n# Source: shop/templates/empty.yaml\n"
            "---\n# Source: shop/templates/deploy.yaml\n"
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n"
            "spec:\n  template:\n    metadata:\n      labels: {app: web}\n"
            "    spec:\n      containers: [{name: c, image: nginx}]\n"
        )
        path = tmp_path / "rendered.yaml"
        path.write_text(text)
        snap = k8sviz.load(path)
        assert [p.key for p in snap.network_policies] == ["shop/deny"]
        assert [(p.name, p.synthesized) for p in snap.pods] == [("web-synthesized", True)]
        assert snap.warnings == ()

    def test_namespace_less_objects_go_to_default_with_one_warning_per_file(self, write, tmp_path):
        # `helm template` without --namespace leaves metadata.namespace out of every object.
        def bare(obj):
            del obj["metadata"]["namespace"]
            return obj

        chart = write("chart.yaml", [
            bare(netpol("x", "deny", {"podSelector": {}})),
            bare(deployment("x", "web", {"app": "web"})),
            bare({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "x"},
                  "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}),
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},  # cluster-scoped
        ])
        crds = write("crds.yaml", [
            {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy", "metadata": {"name": "cal"},
             "spec": {"selector": "all()", "types": ["Ingress"]}},
        ])
        cilium = write("cilium.json", {"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "cil"},
             "spec": {"endpointSelector": {}, "ingress": [{}]}},
            {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "ccnp"},
             "spec": {"endpointSelector": {}}}]})
        snap = k8sviz.load(chart, crds, cilium)
        assert [p.key for p in snap.network_policies] == ["default/deny"]
        assert [w.key for w in snap.workloads] == ["default/web"]
        assert [s.namespace for s in snap.services] == ["default"]
        assert [(p.namespace, p.name) for p in snap.calico_policies] == [("default", "cal")]
        assert [(p.namespace, p.name) for p in snap.cilium_policies] == [(None, "ccnp"), ("default", "cil")]
        warned = {w.source: w for w in snap.warnings if w.code == "namespace-defaulted"}
        assert len(snap.warnings) == len(warned) == 3
        listing = warned[str(chart)]
        assert not listing.obj
        assert listing.message.startswith("3 objects without metadata.namespace (NetworkPolicy/deny, "
                                          "Deployment/web, Service/web) taken as namespace default")
        assert "`helm template --namespace`, `kubectl -n`" in listing.message
        assert warned[str(crds)].obj == "NetworkPolicy/cal"
        assert warned[str(crds)].message.startswith("no metadata.namespace; taken as namespace default")
        assert warned[str(cilium)].obj == "CiliumNetworkPolicy/cil"
        # Stored as placed: read again, the snapshot holds the same and warns once.
        again = k8sviz.load(snap.save(tmp_path / "s.json"))
        assert again.warnings == snap.warnings and again.to_json() == snap.to_json()

    def test_namespace_less_copy_of_an_object_in_default_is_one_object(self, write):
        explicit = netpol("default", "deny", {"podSelector": {}})
        bare = netpol("default", "deny", {"podSelector": {}})
        del bare["metadata"]["namespace"]
        snap = k8sviz.load(write("a.yaml", explicit), write("b.yaml", bare))
        assert [p.key for p in snap.network_policies] == ["default/deny"]
        assert sorted(w.code for w in snap.warnings) == ["duplicate-object", "namespace-defaulted"]

    def test_many_namespace_less_objects_are_listed_in_short(self, write):
        pols = [netpol("x", f"p{i:02}", {"podSelector": {}}) for i in range(12)]
        for p in pols:
            del p["metadata"]["namespace"]
        (w,) = k8sviz.load(write("many.yaml", pols)).warnings
        assert "NetworkPolicy/p09) taken" not in w.message
        assert "NetworkPolicy/p09 and 2 more) taken as namespace default" in w.message

    def test_gzip(self, tmp_path):
        path = tmp_path / "dump.json.gz"
        path.write_bytes(gzip.compress(json.dumps(pod("a", "p")).encode()))
        assert [p.key for p in k8sviz.load(path).pods] == ["a/p"]

    def test_a_damaged_dump_is_said_in_a_line(self, tmp_path, capsys):
        """A dump cut short, or a damaged .gz, is one line saying so: a damaged deflate stream was a
        traceback (zlib.error), a file named .gz that is none read "Not a gzipped file (b'no')",
        and a JSON dump cut short "unexpected end of data: line 1 column 61 (char 60)"."""
        from k8sviz.cli import main

        items = [pod("a", f"p{i}") for i in range(40)]
        whole = json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=1).encode()
        packed = gzip.compress(whole)
        damaged = bytearray(packed)
        for i in range(200, 260):
            damaged[i] ^= 0x5A  # inside the deflate stream
        cases = {
            "cut.json": (whole[:3000], "malformed JSON: the file ends before its document does (at line "),
            "cut.json.gz": (packed[:len(packed) // 2],
                            "the gzip stream ends early: the file was cut short (a copy or download that "
                            "stopped?)"),
            "plain.json.gz": (whole, "not a gzip file, though named .gz (it does not start with gzip's bytes "
                                     "1f 8b)"),
            "damaged.json.gz": (bytes(damaged), "damaged gzip file ("),
        }
        for name, (data, said) in cases.items():
            path = tmp_path / name
            path.write_bytes(data)
            with pytest.raises(InputError) as e:
                k8sviz.load(path)
            assert str(e.value).startswith(f"{path}: {said}"), str(e.value)
            assert main(["info", str(path)]) == 2
            err = capsys.readouterr().err
            assert err.startswith(f"k8sviz: error: {path}: {said}") and err.count("\n") == 1, err

    def test_unquoted_timestamps_stay_strings(self, tmp_path):
        path = tmp_path / "p.yaml"
        path.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n"
                        "  creationTimestamp: 2024-05-01T10:00:00Z\n")
        snap = k8sviz.load(path)
        assert snap.meta["collected_at"] == "2024-05-01T10:00:00Z"
        json.loads(snap.to_json())  # serialisable

    def test_missing_path(self, tmp_path):
        with pytest.raises(InputError, match="no such file"):
            k8sviz.load(tmp_path / "nope")

    def test_no_paths(self):
        with pytest.raises(InputError):
            k8sviz.load()


class TestModel:
    def test_owner_chain_replicaset_to_deployment(self, write):
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
              "metadata": {"name": "web-7d9f8b6c4", "namespace": "shop",
                           "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": True}]},
              "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": []}}}}
        dep = deployment("shop", "web", {"app": "web"})
        p = pod("shop", "web-7d9f8b6c4-x2kqp", {"app": "web"}, owner=("ReplicaSet", "web-7d9f8b6c4"))
        snap = k8sviz.load(write("all.yaml", [rs, dep, p]))
        assert [(q.workload_kind, q.workload) for q in snap.pods] == [("Deployment", "web")]
        assert [(w.kind, w.name) for w in snap.workloads] == [("Deployment", "web")]
        assert not any(q.synthesized for q in snap.pods)

    def test_owner_inferred_from_pod_template_hash_when_replicaset_missing(self, write):
        p = pod("shop", "web-7d9f8b6c4-x2kqp", {"app": "web", "pod-template-hash": "7d9f8b6c4"},
                owner=("ReplicaSet", "web-7d9f8b6c4"))
        snap = k8sviz.load(write("p.yaml", p))
        assert snap.pods[0].workload_key == "shop/web"
        assert snap.workloads[0].kind == "Deployment"
        assert snap.workloads[0].template_labels == {"app": "web"}

    def test_job_to_cronjob_and_bare_pod(self, write):
        cj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "backup", "namespace": "ops"},
              "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"job": "backup"}},
                                                             "spec": {"containers": []}}}}}}
        job = {"apiVersion": "batch/v1", "kind": "Job",
               "metadata": {"name": "backup-2891", "namespace": "ops",
                            "ownerReferences": [{"kind": "CronJob", "name": "backup", "controller": True}]},
               "spec": {"template": {"spec": {"containers": []}}}}
        p = pod("ops", "backup-2891-abcde", owner=("Job", "backup-2891"))
        bare = pod("ops", "debug")
        snap = k8sviz.load(write("ops.yaml", [cj, job, p, bare]))
        by = {q.name: (q.workload_kind, q.workload) for q in snap.pods}
        assert by == {"backup-2891-abcde": ("CronJob", "backup"), "debug": ("Pod", "debug")}

    def test_synthesized_pods_from_templates(self, write):
        sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "d"},
               "spec": {"template": {"metadata": {"labels": {"app": "db"}},
                                     "spec": {"hostNetwork": True, "containers": [
                                         {"name": "pg", "image": "postgres",
                                          "ports": [{"name": "pg", "containerPort": 5432}]}]}}}}
        cj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cron", "namespace": "d"},
              "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"app": "cron"}},
                                                             "spec": {"containers": []}}}}}}
        snap = k8sviz.load(write("w.yaml", [sts, cj]))
        pods = {p.workload: p for p in snap.pods}
        assert pods["db"].synthesized and pods["db"].host_network
        assert pods["db"].named_ports == {("pg", "TCP"): 5432}
        assert pods["cron"].labels == {"app": "cron"} and pods["cron"].workload_kind == "CronJob"

    def test_pod_fields(self, write):
        p = pod("a", "p", {"app": "x"}, ip="10.0.0.1", host_network=True,
                ports=[{"name": "http", "containerPort": 80, "hostPort": 8080},
                       {"name": "dns", "containerPort": 53, "protocol": "UDP"}],
                nodeName="n1", serviceAccountName="sa")
        p["spec"]["containers"][0]["securityContext"] = {"privileged": True}
        q = k8sviz.load(write("p.yaml", p)).pods[0]
        assert q.ips == ("10.0.0.1",) and q.node == "n1" and q.service_account == "sa"
        assert q.host_network and q.privileged and q.host_ports == (8080,)
        assert q.named_ports == {("http", "TCP"): 80, ("dns", "UDP"): 53}
        assert q.phase == "Running"

    def test_namespace_label_set_and_referenced_namespaces(self, write):
        ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"team": "web"}}}
        snap = k8sviz.load(write("x.yaml", [ns, pod("other", "p")]))
        got = {n.name: (n.labels, n.referenced_only) for n in snap.namespaces}
        assert got == {
            "shop": ({"team": "web", "kubernetes.io/metadata.name": "shop"}, False),
            "other": ({"kubernetes.io/metadata.name": "other"}, True),
        }

    def test_services_ingresses_nodes(self, write):
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb", "namespace": "a"},
               "spec": {"type": "LoadBalancer", "selector": {"app": "x"}, "clusterIP": "10.96.0.5",
                        "ports": [{"port": 443, "targetPort": "https", "nodePort": 31000}]},
               "status": {"loadBalancer": {"ingress": [{"ip": "34.1.2.3"}]}}}
        ing = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i", "namespace": "a"},
               "spec": {"ingressClassName": "nginx", "rules": [{"host": "x.example.com", "http": {"paths": [
                   {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "labels": {"zone": "a"}},
                "spec": {"podCIDR": "10.244.1.0/24"},
                "status": {"addresses": [{"type": "InternalIP", "address": "10.128.0.2"},
                                         {"type": "Hostname", "address": "n1"}]}}
        snap = k8sviz.load(write("x.yaml", [svc, ing, node]))
        s = snap.services[0]
        assert s.exposed and s.load_balancer_ingress == ("34.1.2.3",) and s.ports[0].target_port == "https"
        assert snap.ingresses[0].backends == ("web",) and snap.ingresses[0].ingress_class == "nginx"
        assert snap.nodes[0].internal_ips == ("10.128.0.2",) and snap.nodes[0].pod_cidrs == ("10.244.1.0/24",)

    def test_network_policy_parse(self, write):
        np = netpol("a", "p", {
            "podSelector": {"matchLabels": {"app": "db"}, "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["x", "y"]}]},
            "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"a": "b"}}},
                                  {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}],
                         "ports": [{"port": 80}, {"protocol": "UDP"}, {"port": 8000, "endPort": 8080},
                                   {"port": "http"}]},
                        {}],
            "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}],
        })
        p = k8sviz.load(write("np.yaml", np)).network_policies[0]
        assert p.policy_types == ("Ingress", "Egress") and p.policy_types_implied
        r0, r1 = p.ingress
        assert r0.peers[0].namespace_selector.is_empty and r0.peers[0].pod_selector.match_labels == (("a", "b"),)
        assert r0.peers[1].ip_block.except_ == ("10.1.0.0/16",)
        assert [str(x) for x in r0.ports] == ["TCP/80", "UDP/*", "TCP/8000-8080", "TCP/http"]
        assert r1.peers is None and r1.ports is None and r1.all_peers and r1.all_ports
        assert p.egress[0].peers is None

    def test_implied_policy_types(self, write):
        only_ingress = netpol("a", "i", {"podSelector": {}, "ingress": [{}]})
        empty_egress = netpol("a", "e", {"podSelector": {}, "egress": []})
        explicit = netpol("a", "x", {"podSelector": {}, "policyTypes": ["Egress"]})
        got = {p.name: (p.policy_types, p.policy_types_implied)
               for p in k8sviz.load(write("n.yaml", [only_ingress, empty_egress, explicit])).network_policies}
        assert got == {"i": (("Ingress",), True), "e": (("Ingress",), True), "x": (("Egress",), False)}


class TestBadInput:
    def test_malformed_yaml_names_file_and_line(self, tmp_path):
        path = tmp_path / "bad.yaml"
        path.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n")
        with pytest.raises(InputError, match=r"bad\.yaml.*malformed YAML at line \d+"):
            k8sviz.load(path)

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {n: !!int x}}\n",
             r"line 3, column 33: 'x' is tagged !!int but is not an integer"),
            ("apiVersion: v1\nkind: Pod\nmetadata: &m {name: p, annotations: {self: *m}}\n", r"line 3.*alias inside its own anchor"),
        ],
    )
    def test_yaml_values_that_cannot_be_built(self, tmp_path, text, message):
        path = tmp_path / "odd.yaml"
        path.write_text(text)
        with pytest.raises(InputError, match=rf"odd\.yaml.*malformed YAML.*{message}"):
            k8sviz.load(path)

    @pytest.mark.parametrize(
        ("value", "message"),
        [("[" * 3000 + "]" * 3000, "nested too deeply"), ("!!set {a, b}", "not JSON serializable")],
    )
    def test_values_json_cannot_hold_name_the_object(self, tmp_path, value, message):
        import yaml

        path = tmp_path / "odd.yaml"
        path.write_text(f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: a}}\nspec:\n  x: {value}\n")
        try:
            yaml.compose(value, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:
            # PyYAML 6.0.4's parser refuses nesting past 1,000 levels itself: a YAML error then
            message = "malformed YAML at line 5.*nesting depth"
            with pytest.raises(InputError, match=rf"odd\.yaml.*{message}"):
                k8sviz.load(path)
            return
        with pytest.raises(InputError, match=rf"odd\.yaml, Pod/a/p: object cannot be stored as JSON.*{message}"):
            k8sviz.load(path)

    def test_yaml_bomb_is_a_clear_error(self, tmp_path):
        path = tmp_path / "bomb.yaml"
        lines = ["apiVersion: v1", "kind: Pod", "metadata: {name: p, namespace: a}", "spec:", "  x:",
                 "    a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        lines += [f"    a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
        path.write_text("\n".join(lines) + "\n")
        with pytest.raises(InputError, match=r"bomb\.yaml.*malformed YAML.*billion laughs"):
            k8sviz.load(path)

    def test_unquoted_label_values_are_compared_as_text_with_a_warning(self, tmp_path):
        path = tmp_path / "v.yaml"
        path.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a, labels: {version: 1, ready: yes}}\n")
        snap = k8sviz.load(path)
        assert snap.pods[0].labels == {"version": "1", "ready": "true"}
        messages = [w.message for w in snap.warnings if w.code == "invalid-label"]
        assert any("'version' is not a string: 1 (a number)" in m for m in messages)
        assert any("'ready' is not a string: true (a boolean)" in m for m in messages)

    def test_malformed_json(self, tmp_path):
        path = tmp_path / "bad.json"
        path.write_text('{"apiVersion": "v1", "kind": ')
        with pytest.raises(InputError, match=r"bad\.json.*malformed JSON"):
            k8sviz.load(path)

    def test_json_lines_say_they_are_flow_logs_not_a_dump(self, tmp_path):
        """``k8sviz info data/demo`` reads the demo's flow logs too: the error said only
        "unexpected content after document", as if the Hubble capture were damaged."""
        import shutil

        shutil.copytree("data/demo", tmp_path / "demo")
        hint = "it holds one JSON document a line (JSON lines), as flow logs do: give flow logs as flows"
        with pytest.raises(InputError, match=r"hubble\.json\.gz: malformed JSON: .*" + re.escape(hint)):
            k8sviz.load(tmp_path / "demo")
        lines = gzip.decompress((tmp_path / "demo/flows/hubble.json.gz").read_bytes()).splitlines()[:3]
        assert len(lines) == 3 and all(line.startswith(b"{") for line in lines)
        # one document that is malformed, or cut short, gets the plain error
        for text in ('{"apiVersion": "v1",\n "kind": }\n', '{"apiVersion": "v1", "kind": "List"}\n{"kind"'):
            path = tmp_path / "bad.json"
            path.write_text(text)
            with pytest.raises(InputError, match="malformed JSON") as caught:
                k8sviz.load(path)
            first_line_whole = text.startswith('{"apiVersion": "v1", "kind": "List"}')
            assert ("JSON lines" in str(caught.value)) == first_line_whole

    def test_not_utf8(self, tmp_path):
        path = tmp_path / "bin.yaml"
        path.write_bytes(b"\xff\xfe\x00garbage")
        with pytest.raises(InputError, match="UTF-8"):
            k8sviz.load(path)

    @pytest.mark.parametrize("name", ["dump.json", "snap.k8sviz.json"])
    def test_json_with_a_byte_that_is_not_utf8_names_it_and_its_line(self, tmp_path, name):
        # Found by fuzzing the CLI (a flipped byte): orjson's "str is not valid UTF-8:
        # surrogates not allowed: line 1 column 1 (char 0)" pointed at the file's start.
        path = tmp_path / name
        path.write_bytes(b'{"apiVersion": "v1", "kind": "List",\n "items": [{"kind": "caf\xe9"}]}')
        said = f"{path}: not UTF-8 text (byte 0xe9 at line 2); save the file as UTF-8"
        with pytest.raises(InputError, match=f"^{re.escape(said)}$"):
            k8sviz.load(path)

    def test_document_that_is_no_kubernetes_object(self, write):
        snap = k8sviz.load(write("zones.yaml", [{"zones": {"pci": {}}}, ["a", "list"], pod("a", "p")]))
        assert codes(snap) == ["not-kubernetes", "not-an-object"]
        assert "zones.yaml#1" in snap.warnings[0].source
        assert len(snap.pods) == 1
        # a zones file given as a PATH is named as one, to give with --zones
        said = snap.warnings[0].message
        assert said == ("document has no kind/apiVersion; not a Kubernetes object, skipped; it reads as a "
                        "k8sviz zones file: give it with --zones (k8sviz.load_zones)")
        values = k8sviz.load(write("values.yaml", {"replicaCount": 2, "image": {"tag": "1.2"}}))
        (said,) = [w.message for w in values.warnings]
        assert said == "document has no kind/apiVersion; not a Kubernetes object, skipped"

    def test_object_without_name(self, write):
        snap = k8sviz.load(write("x.yaml", {"apiVersion": "v1", "kind": "Pod", "metadata": {}}))
        assert codes(snap) == ["no-name"]

    @pytest.mark.parametrize(("name", "what"), [(2024, "a number"), (True, "a boolean"), (["web"], "a list"),
                                                ({"a": 1}, "a mapping")])
    def test_object_whose_name_is_not_text_is_an_error(self, write, name, what):
        # Unquoted YAML such as `name: 2024` is refused by the API server; a snapshot
        # must not skip it as nameless (it has a name) nor keep a number as the name.
        obj = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": "a"}}
        with pytest.raises(InputError, match=rf"x\.yaml.*ServiceAccount/a/.*metadata\.name is {what}, not a string"):
            k8sviz.load(write("x.yaml", obj))

    def test_unknown_and_ignored_kinds_are_reported(self, write):
        docs = [{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": f"w{i}"}} for i in range(3)]
        docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "a"},
                     "data": {"password": "hunter2"}})
        snap = k8sviz.load(write("x.yaml", docs))
        msgs = {w.code: w.message for w in snap.warnings}
        assert "Widget (example.com/v1)" in msgs["unknown-kind"]
        assert "3 objects skipped" in msgs["unknown-kind"]
        assert "did you mean" not in msgs["unknown-kind"]  # nothing k8sviz reads is spelt like it
        assert "1 ConfigMap" in msgs["ignored-kind"]
        assert b"hunter2" not in snap.to_json()

    @pytest.mark.parametrize(("kind", "api_version", "hint"), [
        # a typo in a kind silently left its policy out of every verdict
        ("NetworkPolicey", "networking.k8s.io/v1", "; did you mean NetworkPolicy?"),
        ("Deploymnet", "apps/v1", "; did you mean Deployment?"),
        ("networkpolicy", "networking.k8s.io/v1", "; did you mean NetworkPolicy?"),
        ("Pods", "v1", "; did you mean Pod?"),
        ("ClusterwideNetworkPolicy", "cilium.io/v2",
         "; did you mean ClusterNetworkPolicy or CiliumClusterwideNetworkPolicy?"),
        # a kind k8sviz reads, under an apiVersion it does not
        ("Deployment", "v1", "; k8sviz reads kind Deployment of apiVersion apps/v1"),
        ("NetworkPolicy", "networking/v1",
         "; k8sviz reads kind NetworkPolicy of apiVersion networking.k8s.io/v1 "
         "and of API group projectcalico.org or crd.projectcalico.org"),
        ("CiliumNetworkPolicy", "cilium/v2",
         "; k8sviz reads kind CiliumNetworkPolicy of API group cilium.io"),
        # another project's kind is not taken for one k8sviz reads
        ("ServiceMonitor", "monitoring.coreos.com/v1", ""),
        ("CiliumEndpoint", "cilium.io/v2", ""),
        ("HostEndpoint", "projectcalico.org/v3", ""),
    ])
    def test_an_unknown_kind_names_the_kind_it_likely_meant(self, write, kind, api_version, hint):
        docs = [{"apiVersion": api_version, "kind": kind, "metadata": {"name": f"w{i}", "namespace": "a"}}
                for i in range(2)]
        snap = k8sviz.load(write("x.yaml", docs))
        (w,) = [w for w in snap.warnings if w.code == "unknown-kind"]
        assert w.message == (f"kind {kind} ({api_version}) is not understood by k8sviz; 2 objects skipped "
                             f"(first one here){hint}")
        assert w.source.endswith("x.yaml#1")

    def test_raw_policy_dialects_kept_and_listed(self, write):
        cnp = {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
               "metadata": {"name": "deny-all"}, "spec": {"tier": "Admin", "priority": 10, "subject": {"namespaces": {}}}}
        cnp9 = {**cnp, "apiVersion": "policy.networking.k8s.io/v1alpha9", "metadata": {"name": "future"}}
        cal3 = {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
                "metadata": {"name": "allow", "namespace": "a"}, "spec": {"order": 10}}
        calcrd = {"apiVersion": "crd.projectcalico.org/v1", "kind": "NetworkPolicy",
                  "metadata": {"name": "allow", "namespace": "a"}, "spec": {"order": 10, "x": 1}}
        cil = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
               "metadata": {"name": "c", "namespace": "a"}, "spec": {"endpointSelector": {}}}
        snap = k8sviz.load(write("x.yaml", [cnp, cnp9, cal3, calcrd, cil]))
        assert sorted((p.kind, p.api_version) for p in snap.other_policies) == [
            ("ClusterNetworkPolicy", "policy.networking.k8s.io/v1alpha9"),  # a version not evaluated
        ]
        assert [p.ref for p in snap.cilium_policies] == ["CiliumNetworkPolicy/a/c"]
        # Calico's policy once (v3 kept over the CRD object behind it), evaluated.
        assert [(p.kind, p.api_version) for p in snap.calico_policies] == [("NetworkPolicy", "projectcalico.org/v3")]
        assert [a.key for a in snap.admin_policies] == ["deny-all"]  # v1alpha2 is evaluated
        assert snap.network_policies == ()  # Calico's NetworkPolicy is not the Kubernetes one
        assert snap.coverage["clusternetworkpolicies"] == "ok"
        assert snap.coverage["networkpolicies.projectcalico.org"] == "ok"
        assert snap.counts()["ClusterNetworkPolicy (not evaluated)"] == 1
        assert "duplicate-object" in codes(snap)

    @pytest.mark.parametrize(("selector", "match"), [
        ({"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["b"]}]}, "invalid operator 'Equals'"),
        ({"matchExpressions": [{"key": "a", "operator": "In"}]}, "non-empty values"),
        ({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}, "takes no values"),
        ({"matchExpressions": [{"operator": "Exists"}]}, "needs key and operator"),
        ({"matchLabels": ["a"]}, "must be a map"),
        # Found by fuzzing: both were "malformed object (TypeError: 'float' object is not iterable)".
        ({"matchExpressions": 1.5}, r"spec\.podSelector\.matchExpressions must be a list"),
        # Falsy, these were read as absent: an empty selector, every pod of the namespace.
        ({"matchLabels": 0}, r"spec\.podSelector\.matchLabels must be a map"),
        ({"matchExpressions": {}}, r"spec\.podSelector\.matchExpressions must be a list"),
        ([], r"spec\.podSelector must be an object"),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": -7.25}]},
         r"spec\.podSelector\.matchExpressions\[0\]\.values must be a list"),
    ])
    def test_invalid_selector(self, write, selector, match):
        path = write("np.yaml", netpol("shop", "bad", {"podSelector": selector}))
        with pytest.raises(PolicyError, match=match) as e:
            k8sviz.load(path)
        assert "np.yaml" in str(e.value) and "NetworkPolicy/shop/bad" in str(e.value)

    @pytest.mark.parametrize(("peer", "match"), [
        ({"ipBlock": {"cidr": "10.0.0.0/33"}}, "invalid CIDR"),
        ({"ipBlock": {"cidr": "not-an-ip"}}, "invalid CIDR"),
        ({"ipBlock": {"cidr": "10.0.0.0/8", "except": ["192.168.0.0/16"]}}, "strict subset"),
        ({"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.0.0/8"]}}, "strict subset"),
        ({"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}, "cannot be combined"),
        # CIDR notation is required: a bare address is not read as /32, nor a netmask as a length.
        ({"ipBlock": {"cidr": "10.1.0.1"}}, r"cidr: CIDR '10.1.0.1' has no prefix length.*write 10.1.0.1/32"),
        ({"ipBlock": {"cidr": "fd00::1"}}, r"has no prefix length.*write fd00::1/128"),
        ({"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.1"]}}, r"except\[0\]: except CIDR '10.1.0.1' has no prefix"),
        ({"ipBlock": {"cidr": "10.0.0.0/255.0.0.0"}}, "invalid CIDR"),
        ({"ipBlock": {"cidr": 10}}, "invalid CIDR 10"),
        ({}, "needs podSelector, namespaceSelector or ipBlock"),
    ])
    def test_invalid_peer(self, write, peer, match):
        path = write("np.yaml", netpol("shop", "bad", {"podSelector": {}, "ingress": [{"from": [peer]}]}))
        with pytest.raises(PolicyError, match=match) as e:
            k8sviz.load(path)
        assert "np.yaml" in str(e.value) and "NetworkPolicy/shop/bad" in str(e.value)

    def test_ipblock_host_bits_are_masked_with_a_warning(self, write):
        # Kubernetes accepts host bits and masks them: the rule covers the whole block, which is
        # rarely what whoever wrote an address meant.
        block = {"cidr": "10.0.0.1/24", "except": ["10.0.0.17/28", "10.0.0.128/25"]}
        path = write("np.yaml", netpol("shop", "wide", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": block}]}]}))
        snap = k8sviz.load(path)
        ip_block = snap.network_policies[0].ingress[0].peers[0].ip_block
        assert (ip_block.cidr, ip_block.except_) == ("10.0.0.0/24", ("10.0.0.16/28", "10.0.0.128/25"))
        warned = [w for w in snap.warnings if w.code == "cidr-host-bits"]
        assert [(w.source, w.obj) for w in warned] == [(str(path), "NetworkPolicy/shop/wide")] * 2
        assert "'10.0.0.1/24' has host bits set" in warned[0].message and "widened to 10.0.0.0/24" in warned[0].message
        assert "except[0]" in warned[1].message and "widened to 10.0.0.16/28" in warned[1].message
        assert not [w for w in k8sviz.load(write("ok.yaml", netpol("shop", "ok", {
            "podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/24"}}]}]}))).warnings
            if w.code == "cidr-host-bits"]

    @pytest.mark.parametrize(("port", "match"), [
        ({"port": 0}, "out of range"),
        ({"port": 70000}, "out of range"),
        ({"port": "Not_A_Name"}, "not a valid port name"),
        # A string is a port name to the API server, never a number.
        ({"port": "80"}, r"port '80' is a string: .*needs a letter \(write 80 without quotes\)"),
        ({"port": "8080", "endPort": 8090}, "port '8080' is a string"),
        ({"port": "http", "endPort": 90}, "endPort needs a numeric port"),
        ({"port": 100, "endPort": 90}, "endPort 90"),
        ({"port": 80, "protocol": "ICMP"}, "invalid protocol"),
    ])
    def test_invalid_port(self, write, port, match):
        path = write("np.yaml", netpol("shop", "bad", {"podSelector": {}, "egress": [{"ports": [port]}]}))
        with pytest.raises(PolicyError, match=match) as e:
            k8sviz.load(path)
        assert "np.yaml" in str(e.value) and "NetworkPolicy/shop/bad" in str(e.value)
        assert "\n" not in str(e.value)

    def test_invalid_policy_types(self, write):
        with pytest.raises(PolicyError, match="policyTypes"):
            k8sviz.load(write("np.yaml", netpol("a", "b", {"podSelector": {}, "policyTypes": ["Sideways"]})))

    def test_malformed_object_is_a_clean_error(self, write):
        bad = pod("a", "p")
        bad["spec"]["containers"][0]["ports"] = [{"containerPort": "eighty"}]
        with pytest.raises(InputError, match="Pod/a/p"):
            k8sviz.load(write("p.yaml", bad))

    def test_duplicates(self, write):
        a = write("a.yaml", pod("a", "p", {"v": "1"}))
        b = write("b.yaml", pod("a", "p", {"v": "1"}))
        c = write("c.yaml", pod("a", "p", {"v": "2"}))
        snap = k8sviz.load(a, b)
        assert codes(snap) == ["duplicate-object"] and "identical" in snap.warnings[0].message
        snap = k8sviz.load(a, c)
        assert "differs" in snap.warnings[0].message and snap.pods[0].labels == {"v": "2"}
        assert "a.yaml" in snap.warnings[0].message and "c.yaml" in snap.warnings[0].source

    def test_selector_labels_the_api_would_reject_are_warned_about(self, write):
        np = netpol("shop", "np", {
            "podSelector": {"matchLabels": {"app": "bad value!"}},
            "ingress": [{"from": [
                {"namespaceSelector": {"matchLabels": {"team/x/y": "a"}},
                 "podSelector": {"matchExpressions": [
                     {"key": "tier", "operator": "NotIn", "values": ["ok", "no way"]},
                     {"key": "-bad", "operator": "DoesNotExist"},
                     {"key": "version", "operator": "In", "values": [1]}]}},
                {"podSelector": {"matchLabels": {"app": "fine"}}}]}]})
        snap = k8sviz.load(write("np.yaml", np))
        warned = [w for w in snap.warnings if w.code == "invalid-selector-label"]
        assert len(warned) == len(snap.warnings) == 5
        assert all(w.source.endswith("np.yaml") and w.obj == "NetworkPolicy/shop/np" for w in warned)
        first = warned[0].message
        assert first.startswith("spec.podSelector.matchLabels: invalid value for label 'app': 'bad value!': "
                                "the API server would reject it")
        assert "no valid label has it, so the selector matches nothing" in first
        text = "\n".join(w.message for w in warned)
        assert "from[0].namespaceSelector.matchLabels: invalid label key 'team/x/y'" in text
        assert "matchExpressions[0]: invalid value for label 'tier': 'no way'" in text
        assert "so that value excludes nothing" in text
        assert "matchExpressions[1]: invalid label key '-bad'" in text and "the expression always holds" in text
        assert "value 1 of label 'version' is not a string (a number), compared as '1'" in text
        # Kept as written: the policy still reads, and selects nothing a real pod could carry.
        assert str(snap.network_policies[0].pod_selector) == "app=bad value!"

    def test_a_file_given_twice_is_read_once(self, write, tmp_path):
        path = write("dir/a.yaml", [pod("a", "p", {"version": 1}), {"apiVersion": "v1", "kind": "ConfigMap",
                                                                  "metadata": {"name": "c", "namespace": "a"}}])
        once = k8sviz.load(path)
        assert sorted(codes(once)) == ["ignored-kind", "invalid-label"]
        # Each object was its own "identical copy also in" the same place, and counted twice.
        for paths in ((path, path), (path, tmp_path / "dir", tmp_path / "dir" / ".." / "dir" / "a.yaml")):
            again = k8sviz.load(*paths)
            assert again.warnings == once.warnings and again.to_json() == once.to_json()

    def test_workload_and_template_labels_the_api_would_reject_are_warned_about(self, write):
        dep = deployment("shop", "web", {"app": "web", "version": 1})
        dep["metadata"]["labels"]["bad"] = "<x>"
        cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "job", "namespace": "shop"},
                "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {
                    "metadata": {"labels": {"-key": "v"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}}}}
        f = write("w.yaml", [dep, cron])
        snap = k8sviz.load(f)
        got = [(w.code, w.source, w.obj, w.message.split(": the API server")[0]) for w in snap.warnings]
        assert got == [  # in the file's order, not the kinds'
            ("invalid-label", str(f) + "#1", "Deployment/shop/web", "metadata.labels: invalid value for label 'bad': '<x>'"),
            ("invalid-label", str(f) + "#1", "Deployment/shop/web",
             "spec.template.metadata.labels: value of label 'version' is not a string: 1 (a number), compared as '1'"),
            ("invalid-label", str(f) + "#2", "CronJob/shop/job",
             "spec.jobTemplate.spec.template.metadata.labels: invalid label key '-key'"),
        ]
        # Kept as text, as on pods: the synthesized pod carries the label a selector compares.
        assert snap.pod("shop/web-synthesized").labels == {"app": "web", "version": "1"}

    def test_workload_labels_read_a_yaml_boolean_or_null_as_its_pods_labels_do(self, write):
        dep = deployment("shop", "web", {"app": "web", "canary": True, "tier": None})
        dep["metadata"]["labels"].update({"canary": False, "tier": None})
        snap = k8sviz.load(write("w.yaml", dep))
        (wl,) = snap.workloads
        assert wl.template_labels == {"app": "web", "canary": "true", "tier": ""}
        assert wl.labels["canary"] == "false" and wl.labels["tier"] == ""
        assert snap.pod("shop/web-synthesized").labels == wl.template_labels

    def test_a_replicaset_of_a_listed_deployment_is_not_warned_about_twice(self, write):
        dep = deployment("shop", "web", {"app": "web", "version": 1})
        rs = deployment("shop", "web-5d4f", {"app": "web", "version": 1, "pod-template-hash": "5d4f"})
        rs["kind"] = "ReplicaSet"
        rs["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                              "controller": True, "uid": "u"}]
        snap = k8sviz.load(write("w.yaml", [dep, rs]))
        assert [(w.code, w.obj) for w in snap.warnings] == [("invalid-label", "Deployment/shop/web")]

    def test_hostile_label_value_is_kept_as_text_with_a_warning(self, write):
        evil = '<script>alert("x")</script>'
        snap = k8sviz.load(write("p.yaml", pod("a", "p", {"app": evil, "x": '"><img src=x onerror=alert(1)>'})))
        assert snap.pods[0].labels["app"] == evil
        bad = [w for w in snap.warnings if w.code == "invalid-label"]
        assert len(bad) == 2 and all(w.obj == "Pod/a/p" for w in bad)
        html = snap._repr_html_()
        assert "<script>" not in html and "&lt;script&gt;" in html
        assert "<img" not in html


class TestSecretsNeverStored:
    def test_secrets_env_last_applied_managed_fields(self, write):
        secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "a"},
                  "data": {"password": "aHVudGVyMg=="}}
        p = pod("a", "p")
        p["metadata"]["annotations"] = {
            "kubectl.kubernetes.io/last-applied-configuration": '{"secret": "TOPSECRET1"}', "keep": "me"}
        p["metadata"]["managedFields"] = [{"manager": "kubectl", "fieldsV1": {"f:TOPSECRET2": {}}}]
        p["spec"]["containers"][0]["env"] = [
            {"name": "DB_PASSWORD", "value": "TOPSECRET3"},
            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "db", "key": "TOPSECRET4"}}}]
        d = deployment("a", "web", {"app": "web"})
        d["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "K", "value": "TOPSECRET5"}]
        snap = k8sviz.load(write("x.yaml", [secret, p, d]))
        data = snap.to_json()
        for needle in (b"TOPSECRET", b"aHVudGVyMg", b"managedFields", b"last-applied"):
            assert needle not in data
        assert b"DB_PASSWORD" in data  # names are kept, values are not
        assert b'"keep"' in data
        assert [w.code for w in snap.warnings] == ["secret-skipped"]
        assert snap.warnings[0].obj == "Secret/a/db"

    def test_volumes_and_template_last_applied_annotations(self, write):
        """Volume settings can hold credentials (FlexVolume options, CSI attributes) and a pod
        template may carry a whole earlier object in last-applied-configuration."""
        p = pod("a", "p")
        p["spec"]["volumes"] = [{"name": "v", "flexVolume": {"driver": "x", "options": {"password": "TOPSECRET6"}}},
                                {"name": "c", "csi": {"driver": "y", "volumeAttributes": {"token": "TOPSECRET7"}}}]
        d = deployment("a", "web", {"app": "web"})
        d["spec"]["template"]["metadata"]["annotations"] = {
            "kubectl.kubernetes.io/last-applied-configuration": '{"env": "TOPSECRET8"}', "team": "kept"}
        d["spec"]["template"]["spec"]["volumes"] = [{"name": "s", "iscsi": {"chapAuthSession": True,
                                                                             "secretRef": {"name": "TOPSECRET9"}}}]
        cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c", "namespace": "a"},
                "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {
                    "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "TOPSECRET10"}},
                    "spec": {"containers": [{"name": "c", "image": "i"}],
                             "volumes": [{"name": "f", "flexVolume": {"options": {"k": "TOPSECRET11"}}}]}}}}}}
        snap = k8sviz.load(write("v.yaml", [p, d, cron]))
        data = snap.to_json()
        assert b"TOPSECRET" not in data and b"last-applied" not in data and b'"volumes"' not in data
        assert b'"team":"kept"' in data.replace(b" ", b"")
        assert {q.key for q in snap.pods} >= {"a/p"} and snap.workloads


def test_load_warnings_come_in_the_order_of_the_input(write, tmp_path):
    """Files as the loader reads them (the paths as given, a directory's files by name before
    its subdirectories), documents in a file, items in a List: a warning raised once the input
    is read (an unknown kind, a label, a namespace taken as default) sits with its object, and
    one that groups several objects where the first of them was. Unknown kinds were listed by
    kind, so the first warning a command line said came from the last file here."""
    import subprocess
    import sys

    def unknown(kind, name):
        return {"apiVersion": "example.com/v1", "kind": kind, "metadata": {"name": name, "namespace": "shop"}}

    z = write("z.yaml", [unknown("Zeta", "z"), pod("shop", "p", {"app": "<x>"})])
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop"}}
    no_namespace = {**pod("shop", "nons"), "metadata": {"name": "nons"}}
    a = write("d/a.yaml", [unknown("Widget", "w1"), config, no_namespace])
    b = tmp_path / "d" / "b.csv"
    b.write_text("not a manifest\n")
    c = write("d/c.json", {"apiVersion": "v1", "kind": "List", "items": [
        unknown("Gadget", "g"), pod("shop", "q", {"tier": "-bad"}), 7]})
    sub = write("d/sub/d.yaml", [unknown("Widget", "w2"), pod("shop", "p", {"app": "<x>"})])
    d = tmp_path / "d"
    snap = k8sviz.load(z, d)
    got = [(w.code, w.source) for w in snap.warnings]
    assert got == [
        ("unknown-kind", f"{z}#1"),
        ("invalid-label", f"{z}#2"),
        ("unknown-kind", f"{a}#1"),  # both Widgets, the second in the subdirectory
        ("ignored-kind", ""),  # where its ConfigMap was
        ("namespace-defaulted", str(a)),
        ("skipped-file", str(b)),
        ("unknown-kind", f"{c}.items[0]"),
        ("invalid-label", f"{c}.items[1]"),
        ("not-an-object", f"{c}.items[2]"),
        ("duplicate-object", f"{sub}#2"),
    ]
    assert "Widget (example.com/v1) is not understood by k8sviz; 2 objects" in snap.warnings[2].message
    # a snapshot file keeps them in that order, and reading it gives them back so
    saved = snap.save(tmp_path / "s.json")
    assert k8sviz.load(saved).warnings == snap.warnings

    # The command line says the first of them, and info lists them in that order; grouped per
    # code (its default), the codes come in the order first seen.
    def run(*args):
        return subprocess.run([sys.executable, "-m", "k8sviz", *args], capture_output=True, text=True,
                              check=True)

    said = run("policies", str(z), str(d)).stderr
    assert f"10 load warnings while reading the input, the first: [unknown-kind] {z}#1: kind Zeta" in said
    listed = [line.strip() for line in run("info", str(z), str(d), "--warnings", "all").stdout.splitlines()
              if line.startswith("  [")]
    assert [w.split("]")[0][1:] for w in listed] == [code for code, _ in got]
    per_code = [line.strip() for line in run("info", str(z), str(d)).stdout.splitlines()
                if line.startswith("  [")]
    assert [w.split("]")[0][1:] for w in per_code] == [
        "unknown-kind", "unknown-kind", "unknown-kind", "invalid-label", "invalid-label", "ignored-kind",
        "namespace-defaulted", "skipped-file", "not-an-object", "duplicate-object"]
