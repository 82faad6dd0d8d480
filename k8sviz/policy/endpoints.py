"""Endpoints the engine judges: pods, then atoms of the external IP space.

Selectors are evaluated once per *label class* (non-hostNetwork pods with the same namespace
and labels), column-wise with numpy, so thousands of selectors over tens of thousands of pods
stay cheap.  hostNetwork pods have no label class: pod and namespace selectors never match
them; ipBlocks match them by their host address.

Where Cilium is the CNI (``cilium_identities``), a class also shares the pod's ServiceAccount,
so that it holds one Cilium identity: :meth:`Endpoints.identity_selector` matches selectors
against the labels that identity carries (``k8sviz.cilium_objects.pod_view``), as Cilium
matches its own policies' selectors and those of the NetworkPolicies it enforces.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

import numpy as np

from ..cilium_objects import pod_view
from ..model import IPBlock, LabelSelector, Namespace, Pod
from .ipblocks import IPSpace, ints_in_block

__all__ = ["Endpoints"]


class Endpoints:
    def __init__(
        self,
        pods: Iterable[Pod],
        namespaces: Iterable[Namespace],
        blocks: Iterable[IPBlock],
        *,
        ipblocks_match_pods: bool = False,
        cilium_identities: bool = False,
    ):
        self.pods: tuple[Pod, ...] = tuple(pods)
        self.cilium_identities = cilium_identities
        self.n_pods = len(self.pods)
        self.ips = IPSpace(blocks)
        self.n = self.n_pods + self.ips.n
        self.ipblocks_match_pods = ipblocks_match_pods

        # Namespaces: every namespace a pod lives in has labels (the loader adds the name label).
        self.ns_index: dict[str, int] = {}
        self.ns_labels: list[dict[str, str]] = []
        for ns in namespaces:
            self.ns_index[ns.name] = len(self.ns_labels)
            self.ns_labels.append(ns.labels)
        for p in self.pods:
            if p.namespace not in self.ns_index:
                self.ns_index[p.namespace] = len(self.ns_labels)
                self.ns_labels.append({"kubernetes.io/metadata.name": p.namespace})

        # Label classes (with Cilium, one per identity: the ServiceAccount is among its labels).
        lc_of: dict[tuple[str, tuple[tuple[str, str], ...], str], int] = {}
        lc_ns: list[int] = []
        lc_labels: list[dict[str, str]] = []
        self._lc_pod: list[int] = []  # a pod of each class
        ent_lc = np.full(self.n, -1, dtype=np.int64)
        for i, p in enumerate(self.pods):
            if p.host_network:
                continue
            key = (p.namespace, tuple(sorted(p.labels.items())),
                   (p.service_account or "default") if cilium_identities else "")
            c = lc_of.get(key)
            if c is None:
                c = lc_of[key] = len(lc_ns)
                lc_ns.append(self.ns_index[p.namespace])
                lc_labels.append(p.labels)
                self._lc_pod.append(i)
            ent_lc[i] = c
        self.ent_lc = ent_lc
        self.n_lc = len(lc_ns)
        self.lc_ns = np.asarray(lc_ns, dtype=np.int64)
        # Column-coded labels: per key, value codes per class (-1: key absent).
        self._vocab: dict[str, dict[str, int]] = {}
        self._cols: dict[str, np.ndarray] = {}
        for c, labels in enumerate(lc_labels):
            for k, v in labels.items():
                col = self._cols.get(k)
                if col is None:
                    col = self._cols[k] = np.full(self.n_lc, -1, dtype=np.int64)
                    self._vocab[k] = {}
                col[c] = self._vocab[k].setdefault(v, len(self._vocab[k]))
        self._sel_cache: dict[LabelSelector, np.ndarray] = {}
        self._ns_cache: dict[LabelSelector, np.ndarray] = {}
        self._id_cache: dict[LabelSelector, np.ndarray] = {}
        self._views: list[dict[str, str]] | None = None

        # Addresses ipBlocks can match: host pods always (by host IP), other pods on request.
        self._addr_ents: list[int] = []
        self._addrs: list[str] = []
        for i, p in enumerate(self.pods):
            if p.host_network:
                addrs = [p.host_ip] if p.host_ip else list(p.ips[:1])
            elif ipblocks_match_pods:
                addrs = list(p.ips)
            else:
                continue
            for a in addrs:
                self._addr_ents.append(i)
                self._addrs.append(a)
        self._v4 = [k for k, a in enumerate(self._addrs) if ipaddress.ip_address(a).version == 4]
        self._v4_ints = np.asarray([int(ipaddress.ip_address(self._addrs[k])) for k in self._v4],
                                   dtype=np.uint64)
        self._block_cache: dict[IPBlock, np.ndarray] = {}

    # ------------------------------------------------------------------ names

    def name(self, e: int) -> str:
        return self.pods[e].key if e < self.n_pods else self.ips.cidrs[e - self.n_pods]

    # ------------------------------------------------------------------ selectors

    def pod_selector(self, sel: LabelSelector) -> np.ndarray:
        """Label classes whose pod labels match ``sel`` (any namespace)."""
        hit = self._sel_cache.get(sel)
        if hit is not None:
            return hit
        m = np.ones(self.n_lc, dtype=bool)
        for k, v in sel.match_labels:
            code = self._vocab.get(k, {}).get(v)
            if code is None:
                m[:] = False
                break
            m &= self._cols[k] == code
        for r in sel.match_expressions:
            col = self._cols.get(r.key)
            if col is None:
                col = np.full(self.n_lc, -1, dtype=np.int64)
            codes = [self._vocab.get(r.key, {}).get(v) for v in r.values]
            codes_arr = np.asarray([c for c in codes if c is not None], dtype=np.int64)
            if r.operator == "In":
                m &= np.isin(col, codes_arr)
            elif r.operator == "NotIn":
                m &= ~np.isin(col, codes_arr)  # an absent key (-1) satisfies NotIn
            elif r.operator == "Exists":
                m &= col >= 0
            else:
                m &= col < 0
        self._sel_cache[sel] = m
        return m

    def identity_selector(self, sel: LabelSelector) -> np.ndarray:
        """Label classes whose Cilium identity labels match ``sel`` (any namespace); needs
        ``cilium_identities``, without which a class may mix ServiceAccounts."""
        if not self.cilium_identities:
            msg = "identity_selector needs Endpoints(..., cilium_identities=True)"
            raise ValueError(msg)
        hit = self._id_cache.get(sel)
        if hit is None:
            if self._views is None:
                self._views = [pod_view(self.pods[i], self.ns_labels[ns])
                               for i, ns in zip(self._lc_pod, self.lc_ns.tolist(), strict=True)]
            hit = self._id_cache[sel] = np.asarray([sel.matches(v) for v in self._views], dtype=bool)
        return hit

    def namespace_selector(self, sel: LabelSelector) -> np.ndarray:
        """Label classes whose namespace's labels match ``sel``."""
        hit = self._ns_cache.get(sel)
        if hit is None:
            ns_ok = np.asarray([sel.matches(lbl) for lbl in self.ns_labels], dtype=bool)
            hit = self._ns_cache[sel] = ns_ok[self.lc_ns] if self.n_lc else np.zeros(0, dtype=bool)
        return hit

    def in_namespace(self, ns: str) -> np.ndarray:
        i = self.ns_index.get(ns, -1)
        return self.lc_ns == i

    # ------------------------------------------------------------------ ipBlocks

    def block_entities(self, block: IPBlock) -> np.ndarray:
        """Sorted entities inside ``block``: external atoms, host pods, pods if enabled."""
        hit = self._block_cache.get(block)
        if hit is not None:
            return hit
        ents = [self.ips.block_atoms(block) + self.n_pods]
        if self._addrs:
            m4 = ints_in_block(block, 4, self._v4_ints)
            ents.append(np.asarray([self._addr_ents[self._v4[k]] for k in np.flatnonzero(m4)],
                                   dtype=np.int64))
            net, excepts = block.networks()
            if net.version == 6:
                six = [
                    self._addr_ents[k]
                    for k, a in enumerate(self._addrs)
                    if (ad := ipaddress.ip_address(a)).version == 6
                    and ad in net
                    and not any(ad in e for e in excepts)
                ]
                ents.append(np.asarray(six, dtype=np.int64))
        hit = self._block_cache[block] = np.unique(np.concatenate(ents)).astype(np.int64)
        return hit

    def keep_ipblocks_off(self, nodes: Iterable[IPBlock]) -> None:
        """Make :meth:`ipblock_entities` leave out the atoms of ``nodes`` (the nodes' own
        addresses) and every hostNetwork pod: a CNI whose CIDR rules match only what is
        outside the cluster (Cilium) enforces ipBlocks so."""
        atoms = [self.ips.block_atoms(b) + self.n_pods for b in nodes]
        hosts = np.asarray([i for i, p in enumerate(self.pods) if p.host_network], dtype=np.int64)
        self._ipblock_off = np.unique(np.concatenate([hosts, *atoms])).astype(np.int64)
        self._ipblock_cache: dict[IPBlock, np.ndarray] = {}

    def ipblock_entities(self, block: IPBlock) -> np.ndarray:
        """Sorted entities a NetworkPolicy ``ipBlock`` matches: :meth:`block_entities`, less
        what :meth:`keep_ipblocks_off` set aside."""
        off = getattr(self, "_ipblock_off", None)
        if off is None:
            return self.block_entities(block)
        hit = self._ipblock_cache.get(block)
        if hit is None:
            hit = self._ipblock_cache[block] = np.setdiff1d(self.block_entities(block), off).astype(np.int64)
        return hit

    def network_entities(self, block: IPBlock) -> np.ndarray:
        """Everything with an address in ``block``, pods included whatever ``ipblocks_match_pods``
        says: an admin policy's ``networks`` peer matches cluster-internal traffic too."""
        return np.union1d(self.block_entities(block), self.pods_in_block(block)).astype(np.int64)

    def pods_in_block(self, block: IPBlock) -> np.ndarray:
        """Non-hostNetwork pods with an address in ``block`` (whether or not it matches them)."""
        if not hasattr(self, "_pod_v4"):
            pairs4: list[tuple[int, int]] = []
            self._pod_v6: list[tuple[int, int]] = []
            for i, p in enumerate(self.pods):
                if p.host_network:
                    continue
                for ip in p.ips:
                    a = ipaddress.ip_address(ip)
                    (pairs4 if a.version == 4 else self._pod_v6).append((i, int(a)))
            self._pod_v4 = np.asarray([i for i, _ in pairs4], dtype=np.int64)
            self._pod_v4_ints = np.asarray([a for _, a in pairs4], dtype=np.uint64)
        cache = self.__dict__.setdefault("_covering_cache", {})
        if block in cache:
            return cache[block]
        net, excepts = block.networks()
        if net.version == 4:
            hit = self._pod_v4[ints_in_block(block, 4, self._pod_v4_ints)]  # ascending pod order
            hit = hit[np.r_[True, hit[1:] != hit[:-1]]] if len(hit) else hit
        else:
            six = [
                i for i, a in self._pod_v6
                if (ad := ipaddress.IPv6Address(a)) in net and not any(ad in e for e in excepts)
            ]
            hit = np.unique(np.asarray(six, dtype=np.int64))
        cache[block] = hit
        return hit
