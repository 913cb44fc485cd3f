"""The community pages' forms, posted fields to records. Every field is read by the record's
own type, as a stored record is: days as typed (dd/mm/yyyy), choices from their lists, lists one item
a line, ticks as booleans; a problem names its field."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from typing import Any, get_args, get_origin, get_type_hints

from homeflow.domain.clock import parse_day
from homeflow.domain.community.kinds import (
    COMMUNITY_KINDS,
)
from homeflow.domain.community.records import (
    CommunityRecord,
)
from homeflow.domain.errors import InvalidInput
from homeflow.domain.payloads import payload_from_dict

# The record each form on the episode page makes, by the form's name in its address.
FORMS: dict[str, type[CommunityRecord]] = {
    cls.TYPE.removeprefix("community-").removesuffix("-recorded"): cls
    for cls in COMMUNITY_KINDS
    if issubclass(cls, CommunityRecord)
}


def record_from_form(
    kind: str, fields: Mapping[str, str], fixed: Mapping[str, Any]
) -> CommunityRecord:
    """The record a form describes; `fixed` holds what the page decides (the episode, ids).
    Posted text is shaped as the record's stored fields (numbers, ticks, lists) and then read
    as a stored record is, so days, choices and every check are read in one place."""
    cls = FORMS.get(kind)
    if cls is None:
        raise InvalidInput("form", f"{kind!r} is not a form of this page")
    hints = get_type_hints(cls)
    values: dict[str, Any] = dict(fixed)
    for f in dataclasses.fields(cls):
        if f.name in values:
            continue
        text = fields.get(f.name, "").strip()
        if hints[f.name] is bool:
            values[f.name] = f.name in fields and text.lower() not in ("", "false", "no", "off")
        elif text:
            values[f.name] = _shaped(f.name, hints[f.name], text)
        elif f.default is dataclasses.MISSING:
            raise InvalidInput(f.name, "is required")
    record = payload_from_dict(cls.TYPE, values)
    assert isinstance(record, CommunityRecord)
    return record


def _shaped(name: str, hint: Any, text: str) -> Any:
    """Posted text as the stored field holds it: a whole number, a list (one item a line, or
    numbers separated by commas), or text (days and choices are text when stored)."""
    if get_origin(hint) is tuple:
        if get_args(hint)[0] is int:
            return [
                _whole(name, part) for part in text.replace(",", "\n").splitlines() if part.strip()
            ]
        return [line.strip() for line in text.splitlines() if line.strip()]
    if hint is int:
        return _whole(name, text)
    if date in (hint, *get_args(hint)):
        return parse_day(name, text).isoformat()  # typed dd/mm/yyyy, stored ISO
    return text


def _whole(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(name, f"{text!r} is not a whole number") from None
