"""The demo's beds: which are free on each ward, and who waits at each site for one.

A ward never holds more patients than beds. When the wards a patient belongs on are full they
outlie on another ward of the site; when the whole site is full they wait (in the emergency
department, not yet admitted) and take the next bed that frees, as hospitals do.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterable

from homeflow.domain.organisations import Ward

Admit = Callable[[str, str], None]  # called with the ward and bed a waiting patient takes
Fits = Callable[[str], bool]  # whether a ward suits a waiting patient
# How far down the queue a freed bed looks for a patient it suits before giving it to the first.
LOOK_AHEAD = 12


class Beds:
    def __init__(self, wards: Iterable[Ward]) -> None:
        self.site_of: dict[str, str] = {}
        self.free: dict[str, list[str]] = {}
        for w in wards:
            self.site_of[w.code] = w.site_code
            self.free[w.code] = list(reversed(w.bed_labels()))
        self.waiting: dict[str, deque[tuple[Admit, Fits]]] = {}
        # Beds closed (an infection-control bay): none is given out; those empty are held.
        self.closed: set[tuple[str, str]] = set()
        self.held: list[tuple[str, str]] = []

    def take(self, rng: random.Random, ward_codes: list[str]) -> tuple[str, str] | None:
        """A free bed on one of the wards (the emptier a ward, the likelier), or None."""
        with_space = [w for w in ward_codes if self.free[w]]
        if not with_space:
            return None
        ward = rng.choices(with_space, weights=[len(self.free[w]) for w in with_space])[0]
        return ward, self.free[ward].pop()

    def wait(self, site: str, admit: Admit, fits: Fits = lambda ward: True) -> None:
        """The site is full: `admit` is called with the next bed that frees there (one on a
        ward it `fits` sooner, when one frees before a patient further up the queue)."""
        self.waiting.setdefault(site, deque()).append((admit, fits))

    def release(self, ward: str, bed: str) -> None:
        """The bed is free: the first patient waiting at the site whom the ward suits, among
        the first few waiting, takes it; else the first."""
        if (ward, bed) in self.closed:
            self.held.append((ward, bed))
            return
        queue = self.waiting.get(self.site_of[ward])
        if not queue:
            self.free[ward].append(bed)
            return
        for n, (_, fits) in enumerate(queue):
            if n == LOOK_AHEAD:
                break
            if fits(ward):
                admit = queue[n][0]
                del queue[n]
                admit(ward, bed)
                return
        queue.popleft()[0](ward, bed)

    def someone_waits(self, site: str) -> bool:
        return bool(self.waiting.get(site))

    def close(self, ward: str, beds: Iterable[str]) -> None:
        """The beds take no more patients: those empty now are held, the others as they free."""
        closing = {(ward, b) for b in beds}
        self.closed |= closing
        self.held += [(ward, b) for b in self.free[ward] if (ward, b) in closing]
        self.free[ward] = [b for b in self.free[ward] if (ward, b) not in closing]

    def reopen(self) -> None:
        """The closed beds open again: each empty one is free (or taken by someone waiting)."""
        self.closed.clear()
        held, self.held = self.held, []
        for ward, bed in held:
            self.release(ward, bed)
