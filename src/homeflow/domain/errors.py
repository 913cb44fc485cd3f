"""Errors that name the field at fault and the reason, for every input path."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


class InvalidInput(ValueError):
    """Bad input: `field` names what is wrong, `reason` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class InvalidInputs(InvalidInput):
    """Every problem with one form at once, each naming its field. It is an InvalidInput too
    (the first problem's field, every reason), so a path that shows one problem still works."""

    def __init__(self, problems: Sequence[InvalidInput]) -> None:
        flat = tuple(one for problem in problems for one in problems_of(problem))
        super().__init__(flat[0].field, "; ".join(f"{p.field} {p.reason}" for p in flat))
        self.problems = flat


def problems_of(error: InvalidInput) -> tuple[InvalidInput, ...]:
    """The problems an error carries, one a field."""
    return error.problems if isinstance(error, InvalidInputs) else (error,)


class Problems:
    """Checks run one after another with every problem kept: `check` gives a value or None,
    `done` raises them all together (one problem as itself)."""

    def __init__(self) -> None:
        self.found: list[InvalidInput] = []

    def check(self, read: Callable[..., T], *args: object) -> T | None:
        try:
            return read(*args)
        except InvalidInput as problem:
            self.found.extend(problems_of(problem))
            return None

    def add(self, field: str, reason: str) -> None:
        self.found.append(InvalidInput(field, reason))

    def done(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise InvalidInputs(self.found)
