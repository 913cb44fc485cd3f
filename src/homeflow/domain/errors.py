"""Errors that name the field at fault and the reason, for every input path."""

from __future__ import annotations


class InvalidInput(ValueError):
    """Bad input: `field` names what is wrong, `reason` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
