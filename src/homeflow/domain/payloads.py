"""Payloads as plain JSON-ready dicts and back: how events are stored and sent. Reading a dict
checks every field against the payload's type hints, naming the field that is wrong."""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Union, get_args, get_origin, get_type_hints

from homeflow.domain.after_discharge.capacity import ProviderCapacityRecorded
from homeflow.domain.after_discharge.records import SupportEpisodeRecorded
from homeflow.domain.bed_requests import BED_REQUEST_PAYLOADS
from homeflow.domain.bed_state import BedAttributesSet, BedStatusSet
from homeflow.domain.beds import WardBedsChanged
from homeflow.domain.clock import parse_date
from homeflow.domain.community.kinds import (
    COMMUNITY_PAYLOADS,
)
from homeflow.domain.errors import InvalidInput
from homeflow.domain.events import PAYLOAD_TYPES, Payload
from homeflow.domain.improvement.kinds import PROGRAMME_PAYLOADS
from homeflow.domain.opel import OpelParameterEntered

# Every stored kind of event: a stay's and a patient's, a ward's beds, the improvement
# programme's, the community teams' and support after discharge.
EVENT_TYPES: dict[str, type[Payload]] = {
    **PAYLOAD_TYPES,
    WardBedsChanged.TYPE: WardBedsChanged,
    BedStatusSet.TYPE: BedStatusSet,
    BedAttributesSet.TYPE: BedAttributesSet,
    **BED_REQUEST_PAYLOADS,
    SupportEpisodeRecorded.TYPE: SupportEpisodeRecorded,
    ProviderCapacityRecorded.TYPE: ProviderCapacityRecorded,
    OpelParameterEntered.TYPE: OpelParameterEntered,
    **PROGRAMME_PAYLOADS,
    **COMMUNITY_PAYLOADS,
}


def payload_to_dict(payload: Payload) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, default in _defaults(type(payload)):
        value = getattr(payload, name)
        if value is None or value == default:
            continue
        if isinstance(value, date):  # datetimes too
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


_DEFAULTS: dict[type[Payload], tuple[tuple[str, Any], ...]] = {}


def _defaults(cls: type[Payload]) -> tuple[tuple[str, Any], ...]:
    """Each field's name and default, worked out once per payload type (as `_readers`)."""
    if cls not in _DEFAULTS:
        _DEFAULTS[cls] = tuple((f.name, f.default) for f in dataclasses.fields(cls))
    return _DEFAULTS[cls]


def payload_from_dict(event_type: str, data: dict[str, Any]) -> Payload:
    """Build and validate a payload; every problem names its field."""
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        raise InvalidInput("type", f"{event_type!r} is not a known event type")
    if not isinstance(data, dict):
        raise InvalidInput("payload", "must be an object of named fields")
    readers, known = _readers(cls)
    if not known.issuperset(data):
        unknown = sorted(set(data) - known)
        raise InvalidInput(unknown[0], f"is not a field of {event_type}")
    values: dict[str, Any] = {}
    for name, read, required in readers:
        if name in data:
            values[name] = read(name, data[name])
        elif required:
            raise InvalidInput(name, f"is required for {event_type}")
    return cls(**values)


Reader = Callable[[str, Any], Any]
_READERS: dict[type[Payload], tuple[list[tuple[str, Reader, bool]], frozenset[str]]] = {}


def _readers(cls: type[Payload]) -> tuple[list[tuple[str, Reader, bool]], frozenset[str]]:
    """Each field's reader, worked out once per payload type: every stored event is read
    through these, so the type hints are not re-inspected for each one."""
    if cls not in _READERS:
        hints = get_type_hints(cls)
        fields = dataclasses.fields(cls)
        _READERS[cls] = (
            [(f.name, _reader(hints[f.name]), f.default is dataclasses.MISSING) for f in fields],
            frozenset(f.name for f in fields),
        )
    return _READERS[cls]


def _reader(hint: Any) -> Reader:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        (inner_hint,) = [a for a in get_args(hint) if a is not type(None)]
        inner = _reader(inner_hint)
        return lambda field, value: None if value is None else inner(field, value)
    if origin is tuple:
        item = _reader(get_args(hint)[0])

        def read_tuple(field: str, value: Any) -> tuple[Any, ...]:
            if not isinstance(value, list | tuple):
                raise InvalidInput(field, "must be a list")
            return tuple(item(field, v) for v in value)

        return read_tuple
    if hint is bool:
        return _read_bool
    if hint is int:
        return _read_int
    if hint is float:
        return _read_number
    if hint is str:
        return _read_text
    if hint is date:
        return _read_date
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return _enum_reader(hint)
    raise TypeError(f"no reader for a payload field of type {hint!r}")


def _read_bool(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(field, f"{value!r} is not true or false")
    return value


def _read_int(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, f"{value!r} is not a whole number")
    return value


def _read_number(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(field, f"{value!r} is not a number")
    return float(value)


def _read_text(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(field, f"{value!r} is not text")
    return value


def _read_date(field: str, value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return parse_date(field, str(value))


def _enum_reader(kind: type[StrEnum]) -> Reader:
    def read_enum(field: str, value: Any) -> StrEnum:
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(m.value for m in kind)
            raise InvalidInput(field, f"{value!r} is not one of: {allowed}") from None

    return read_enum
