"""The community pages' forms, posted fields to records. Every field is read by the record's
own type: days as YYYY-MM-DD, choices from their lists, lists one item a line, ticks as
booleans; a problem names its field."""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any, Union, get_args, get_origin, get_type_hints

from homeflow.domain.clock import parse_date
from homeflow.domain.community.kinds import (
    COMMUNITY_KINDS,
)
from homeflow.domain.community.records import (
    CommunityRecord,
)
from homeflow.domain.errors import InvalidInput

# The record each form on the episode page makes, by the form's name in its address.
FORMS: dict[str, type[CommunityRecord]] = {
    cls.TYPE.removeprefix("community-").removesuffix("-recorded"): cls
    for cls in COMMUNITY_KINDS
    if issubclass(cls, CommunityRecord)
}


def record_from_form(
    kind: str, fields: Mapping[str, str], fixed: Mapping[str, Any]
) -> CommunityRecord:
    """The record a form describes; `fixed` holds what the page decides (the episode, ids)."""
    cls = FORMS.get(kind)
    if cls is None:
        raise InvalidInput("form", f"{kind!r} is not a form of this page")
    hints = get_type_hints(cls)
    values: dict[str, Any] = dict(fixed)
    for f in dataclasses.fields(cls):
        if f.name in values:
            continue
        has_default = f.default is not dataclasses.MISSING
        text = fields.get(f.name, "").strip()
        if not text and hints[f.name] is not bool:
            if has_default:
                continue
            raise InvalidInput(f.name, "is required")
        values[f.name] = _read(f.name, hints[f.name], text, f.name in fields)
    result = cls(**values)
    return result


def _read(name: str, hint: Any, text: str, present: bool) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        (inner,) = [a for a in get_args(hint) if a is not type(None)]
        return _read(name, inner, text, present)
    if origin is tuple:
        item = get_args(hint)[0]
        parts = [p.strip() for p in text.replace(",", "\n").splitlines() if p.strip()]
        if item is str:
            parts = [p.strip() for p in text.splitlines() if p.strip()]
        return tuple(_read(name, item, p, True) for p in parts)
    if hint is bool:
        return present and text.lower() not in ("", "false", "no", "off")
    if hint is int:
        try:
            return int(text)
        except ValueError:
            raise InvalidInput(name, f"{text!r} is not a whole number") from None
    if hint is date:
        return parse_date(name, text)
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        try:
            return hint(text)
        except ValueError:
            allowed = ", ".join(v.value for v in hint)
            raise InvalidInput(name, f"{text!r} is not one of {allowed}") from None
    return text
