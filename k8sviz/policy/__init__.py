"""The policy engine: dialect translators into one tiered evaluation core.

Layers (each module small, lower ones know nothing of higher ones):

- ``ports.py``: port atoms per protocol; port sets are bitsets (uint64 words).
- ``ipblocks.py``: the external IP space as CIDR atoms induced by the ipBlocks.
- ``endpoints.py``: pods (label classes, vectorized selector evaluation) and IP atoms.
- ``engine.py``: :class:`~k8sviz.policy.engine.CoreRule` (tier, priority, Allow/Deny/Pass,
  direction, subject and peer selections, ports) and the evaluator over behaviour classes.
- ``k8s.py``: NetworkPolicy -> core rules (tier 100: additive allows + closing denies).
- ``admin.py``: AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy -> the
  admin tier (10) and the baseline tier (200).
- ``calico_selector.py``, ``calico.py``: Calico's selector language; Calico NetworkPolicy and
  GlobalNetworkPolicy -> their tiers, placed by order around the fixed ones (the ``default``
  tier is tier 100, where the NetworkPolicy rules are re-ranked among Calico's).
- ``reachability.py``: :func:`reachability`, :class:`Reachability` queries and tables.
- ``posture.py``: per pod and direction, what the rules of every dialect leave open
  (``reach.posture``, ``reach.isolation``; the isolation findings read it too).

Adding a dialect (Cilium next) is adding a translator that emits ``CoreRule`` objects in its
own tiers, then passing them to the engine with the others; the general first-match
evaluator handles Deny and Pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .reachability import Reachability, RuleMatch, Side, Verdict, reachability

__all__ = ["Reachability", "RuleMatch", "Side", "Verdict", "reachability"]


def __getattr__(name: str) -> Any:
    # Lazy: the model imports ``policy.calico_selector`` without pulling numpy and the engine.
    if name in __all__:
        from . import reachability as module

        return getattr(module, name)
    raise AttributeError(name)
