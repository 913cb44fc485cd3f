"""Improvement frameworks: the changes or tips a system assesses itself against, and the
maturity levels an assessment uses.

The national frameworks ship as versioned reference data; a system's own locally agreed tips
are a framework too, defined by an event (`records.FrameworkDefined`) so they are kept like
everything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from homeflow.domain.codes import reference_rows
from homeflow.domain.errors import InvalidInput

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


@dataclass(frozen=True, slots=True)
class Level:
    number: int
    name: str
    meaning: str


@dataclass(frozen=True, slots=True)
class Item:
    """One change, tip or element of a framework."""

    code: str
    title: str
    summary: str = ""


@dataclass(frozen=True, slots=True)
class Framework:
    name: str  # the short name the CLI takes, e.g. hicm-2015
    title: str
    version: str
    items: tuple[Item, ...]
    levels: tuple[Level, ...]
    local: bool = False

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def level(self, number: int) -> Level:
        for level in self.levels:
            if level.number == number:
                return level
        raise KeyError(number)


@cache
def maturity_levels() -> tuple[Level, ...]:
    return tuple(
        Level(int(r["level"]), r["name"], r["meaning"])
        for r in reference_rows("maturity_levels.csv")
    )


def _items(filename: str, code: str, title: str, summary: str | None) -> tuple[Item, ...]:
    return tuple(
        Item(r[code], r[title], r[summary] if summary else "") for r in reference_rows(filename)
    )


@cache
def built_in() -> dict[str, Framework]:
    """The national frameworks, by short name."""
    levels = maturity_levels()
    frameworks = (
        Framework(
            "hicm-2015",
            "High Impact Change Model: managing transfers of care (LGA, 2015)",
            "2015",
            _items("high_impact_changes.csv", "number", "change", "summary"),
            levels,
        ),
        Framework(
            "hicm-2020",
            "High Impact Change Model: managing transfers of care, refreshed (LGA, 2020)",
            "2020",
            _items("high_impact_changes_2020.csv", "number", "change", "summary"),
            levels,
        ),
        Framework(
            "mh-top-tips",
            "Mental health discharge top tips (London)",
            "2017",
            _items("mh_discharge_top_tips.csv", "number", "tip", None),
            levels,
        ),
        Framework(
            "safer",
            "SAFER patient flow bundle (NHS Improvement)",
            "2016",
            _items("safer_bundle.csv", "letter", "element", "measure"),
            levels,
        ),
    )
    return {f.name: f for f in frameworks}


def check_name(field: str, name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise InvalidInput(
            field, f"{name!r} is not a framework name (2-40 lower-case letters, digits and -)"
        )
    return name


def local_framework(name: str, title: str, version: str, tips: tuple[str, ...]) -> Framework:
    """A system's own framework: its tips numbered in the order given."""
    return Framework(
        name,
        title,
        version,
        tuple(Item(str(n), tip) for n, tip in enumerate(tips, start=1)),
        maturity_levels(),
        local=True,
    )


def _plain(text: str) -> str:
    """Text compared without case, punctuation or repeated spaces: "Seven Day Services" is
    the framework's "Seven-day services"."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def item_for(framework: Framework, cell: str) -> Item | None:
    """The item a change cell names: by its code ("3", "3."), its title, or both ("3. Trusted
    assessors"); None when it names none of them."""
    wanted = _plain(cell)
    if not wanted:
        return None
    for item in framework.items:
        code, title = _plain(item.code), _plain(item.title)
        if wanted in (code, title, f"{code} {title}", f"change {code} {title}"):
            return item
    return None


@dataclass(frozen=True, slots=True)
class StatusReading:
    """What a status cell says: the maturity levels it names (a cell may name several, such as
    "Established/Plans in place") and any words that are not a level, kept as written."""

    levels: tuple[int, ...]
    unknown: tuple[str, ...]

    @property
    def highest(self) -> int | None:
        return max(self.levels) if self.levels else None


def read_status(framework: Framework, cell: str) -> StatusReading:
    """Read a status cell against the framework's levels.

    Parts are split at "/", ";", "," and " or "; each is a level's name (any case), the start
    of exactly one level's name of four letters or more (a truncated "establish"), or a level
    number. A part of punctuation only says nothing. Anything else is unknown.
    """
    levels: list[int] = []
    unknown: list[str] = []
    for part in re.split(r"/|;|,|\bor\b", cell):
        plain = _plain(part)
        if not plain:
            continue
        number = _level_named(framework, plain)
        if number is None:
            unknown.append(part.strip())
        elif number not in levels:
            levels.append(number)
    return StatusReading(tuple(levels), tuple(unknown))


def _level_named(framework: Framework, plain: str) -> int | None:
    for level in framework.levels:
        if plain in (_plain(level.name), str(level.number)):
            return level.number
    if len(plain) >= 4:
        starting = [lv.number for lv in framework.levels if _plain(lv.name).startswith(plain)]
        if len(starting) == 1:
            return starting[0]
    return None
