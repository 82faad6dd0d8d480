"""The IP space outside the pod network as atoms: CIDRs that no ipBlock (or except) splits.

External peers are judged per atom: every atom lies wholly inside or outside every ipBlock,
so one representative address decides for the whole atom.  IPv4 atoms come first, then IPv6,
each in address order (the order ``to_frame`` uses).
"""

from __future__ import annotations

import ipaddress
import itertools
from bisect import bisect_right
from collections.abc import Iterable

import numpy as np

from ..model import IPBlock

__all__ = ["IPSpace"]

_BITS = {4: 32, 6: 128}


class IPSpace:
    def __init__(self, blocks: Iterable[IPBlock]):
        cuts: dict[int, set[int]] = {4: {0, 1 << 32}, 6: {0, 1 << 128}}
        for b in blocks:
            for c in (b.cidr, *b.except_):
                net = ipaddress.ip_network(c, strict=False)
                cuts[net.version].update((int(net.network_address), int(net.broadcast_address) + 1))
        self.cidrs: list[str] = []
        self.version: list[int] = []
        self.start: dict[int, list[int]] = {4: [], 6: []}
        self.base: dict[int, int] = {}
        for v in (4, 6):
            self.base[v] = len(self.cidrs)
            edges = sorted(cuts[v])
            cls = ipaddress.IPv4Address if v == 4 else ipaddress.IPv6Address
            for lo, hi in itertools.pairwise(edges):
                for net in ipaddress.summarize_address_range(cls(lo), cls(hi - 1)):
                    self.cidrs.append(str(net))
                    self.version.append(v)
                    self.start[v].append(int(net.network_address))
        self.n = len(self.cidrs)

    def atom_of(self, ip: str) -> int:
        addr = ipaddress.ip_address(ip)
        return self.base[addr.version] + bisect_right(self.start[addr.version], int(addr)) - 1

    def _span(self, cidr: str) -> tuple[int, int]:
        net = ipaddress.ip_network(cidr, strict=False)
        starts = self.start[net.version]
        lo = bisect_right(starts, int(net.network_address)) - 1
        hi = bisect_right(starts, int(net.broadcast_address))
        return self.base[net.version] + lo, self.base[net.version] + hi

    def block_atoms(self, block: IPBlock) -> np.ndarray:
        """Sorted indices of the atoms inside ``block`` (cidr minus its excepts)."""
        keep = np.zeros(self.n, dtype=bool)
        lo, hi = self._span(block.cidr)
        keep[lo:hi] = True
        for e in block.except_:
            elo, ehi = self._span(e)
            keep[elo:ehi] = False
        return np.flatnonzero(keep)


def ints_in_block(block: IPBlock, version: int, addrs: np.ndarray) -> np.ndarray:
    """Boolean mask of the IPv4 addresses (as uint64) in ``block``; False for other families."""
    net, excepts = block.networks()
    if net.version != version:
        return np.zeros(len(addrs), dtype=bool)
    m = (addrs >= int(net.network_address)) & (addrs <= int(net.broadcast_address))
    for e in excepts:
        m &= ~((addrs >= int(e.network_address)) & (addrs <= int(e.broadcast_address)))
    return m
