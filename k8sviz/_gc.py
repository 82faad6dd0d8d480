"""Pausing Python's cyclic garbage collector around allocation-heavy work.

Loading a dump, building a graph of 700,000 edges or drawing it allocates millions of small
objects that hold no reference cycles. The allocations keep triggering collections, and the
older generations' collections walk every surviving object again, so the collector spends
time on objects it can never free; pausing it saves that without changing any result.
Reference counting still frees what goes out of scope; cycles made meanwhile wait for the next
collection.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

__all__ = ["paused", "pausing"]

P = ParamSpec("P")
R = TypeVar("R")


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Disable the cyclic GC inside the block; restore its previous state after, even on error.

    Nests: an inner block leaves the GC paused if an outer one (or the caller) paused it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def pausing(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorate a function to run with the cyclic GC :func:`paused`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with paused():
            return fn(*args, **kwargs)

    return wrapper
