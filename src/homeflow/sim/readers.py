"""Reading a model or scenario file's values: each one that is not what the field needs is
refused naming the field and why (the files are typed by hand)."""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from homeflow.domain.errors import InvalidInput


def read_number(where: str, value: Any, low: float, *, strict: bool = False) -> float:
    # Infinity would pass every bound and then overflow a count or a schedule.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(where, f"must be a number, not {value!r}")
    if value < low or (strict and value == low):
        raise InvalidInput(where, f"must be {'more than' if strict else 'at least'} {low:g}")
    return float(value)


def read_table(where: str, value: Any) -> dict[str, Any]:
    """`value` when it is a TOML table; a file is typed by hand, so anything else is refused."""
    if not isinstance(value, dict):
        raise InvalidInput(where, f"must be a table, not {value!r}")
    return value


def read_list(where: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput(where, f"must be a list, not {value!r}")
    return value


def read_date(where: str, value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(where, f"must be a date like 2026-12-01, not {value!r}") from None


def one_of(where: str, value: Any, allowed: Collection[str]) -> str:
    """`value` if it is one of `allowed`; else the field is refused, naming what is allowed."""
    if value not in allowed:
        raise InvalidInput(where, f"must be one of {', '.join(allowed)}, not {value!r}")
    return str(value)


def read_factors(where: str, value: Any, n: int) -> tuple[float, ...]:
    if not isinstance(value, list) or len(value) != n:
        raise InvalidInput(where, f"must be a list of {n} factors")
    return tuple(read_number(where, v, 0.0) for v in value)


def read_dates(where: str, table: dict[str, Any]) -> tuple[date, date | None]:
    """A change's `from` and optional `to` (inclusive)."""
    start = read_date(f"{where}.from", table["from"])
    end = read_date(f"{where}.to", table["to"]) if "to" in table else None
    if end is not None and end < start:
        raise InvalidInput(f"{where}.to", "must not be before from")
    return start, end


def read_shares(where: str, table: Any) -> tuple[tuple[str, float], ...]:
    """A table of names and the share of patients each takes, in the order written, the
    shares adding up to 1 (shares written to four places may add up to 0.9999: they are
    scaled to add up to 1 exactly)."""
    if not isinstance(table, dict):
        raise InvalidInput(where, f"must be a table of names and shares, not {table!r}")
    shares = tuple((str(name), read_number(f"{where}.{name}", v, 0.0)) for name, v in table.items())
    total = sum(share for _, share in shares)
    if abs(total - 1.0) > 1e-3:
        raise InvalidInput(where, f"shares must add up to 1, not {total:g}")
    return tuple((name, share / total) for name, share in shares)
