"""Python's cyclic garbage collector in the writers that hold the whole log's folds.

A collection of the oldest generation walks every object alive, and a bulk load, a backfill or
the listener holds hundreds of thousands (the spells it has folded, their events and rows), so
by default collections take a quarter or more of their time. Folds, events and rows make no
reference cycles: reference counting frees them regardless."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def collect_garbage_for_long_lived_writers() -> None:
    """Run the cyclic collector less often for the rest of this process (the listener's)."""
    gc.set_threshold(50_000, 20, 20)


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """The cyclic collector off while a load runs (a demo build, a bulk append, a backfill),
    on again after, as it was."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
