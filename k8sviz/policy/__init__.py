"""The policy engine: dialect translators into one tiered evaluation core (see engine.py)."""

from .reachability import Reachability, RuleMatch, Side, Verdict, reachability

__all__ = ["Reachability", "RuleMatch", "Side", "Verdict", "reachability"]
