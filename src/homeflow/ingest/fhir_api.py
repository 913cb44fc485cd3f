"""The FHIR Encounter service: create, update, read and search, scoped to an organisation.

Each accepted version is stored as sent (latest version kept for reads) and its facts are
appended to the event log in the same transaction, with the request kept in feed_messages.
A refused request (a body that is no Encounter, one homeflow cannot take, or another
organisation's) is kept there too, as sent, with the field and the reason: the feeds page shows
it as it shows a refused HL7 message.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine

from homeflow.domain import clock
from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import SPELL_KEY_SEPARATOR, check_identifier, patient_key
from homeflow.domain.privacy import Role
from homeflow.ingest.feeds import APPLIED, REJECTED, Interpreted, Outcome, apply_interpreted
from homeflow.ingest.fhir import (
    encounter_events,
    instant,
    patient_id_of,
    read_encounter,
    spell_key_of,
    ward_code_of,
)
from homeflow.store.access.audit import audit
from homeflow.store.access.scope import Viewer
from homeflow.store.api_tokens import Caller
from homeflow.store.eventlog import lock_writers
from homeflow.store.feed_messages import MessageRecord, record_messages
from homeflow.store.fhir_encounters import (
    find_by_identifier,
    organisation_encounters,
    read_stored,
    save_version,
    stored_encounter,
)
from homeflow.store.registry import ward_places

SOURCE = "fhir"


class Forbidden(Exception):
    """The caller's organisation is not involved in this care."""


class NotFound(Exception):
    pass


def save_encounter(
    engine: Engine,
    caller: Caller,
    body: Any,
    resource_id: str | None,
    if_none_exist: str | None = None,
    client: str = "-",
) -> tuple[int, dict[str, Any]]:
    """Create (resource_id None) or update an Encounter; returns (HTTP status, resource). The
    audit row goes in the transaction that stores it, so neither is kept without the other."""
    encounter = read_encounter(body)
    now = clock.now()
    with engine.begin() as conn:
        lock_writers(conn)
        if resource_id is None and if_none_exist:
            existing = _find_by_identifier(conn, caller, if_none_exist)
            if existing is not None:
                _audit_write(conn, caller, client, existing.id)
                return 200, json.loads(existing.body)
        new_id = (
            check_identifier("Encounter.id", resource_id, 64) if resource_id else uuid.uuid4().hex
        )
        site_of_ward, org_of_ward = ward_places(conn)
        orgs = {
            org_of_ward.get(ward_code_of(loc, i)) for i, loc in enumerate(encounter.location or [])
        }
        if not orgs or orgs - {caller.org_code}:
            raise Forbidden("every ward in Encounter.location must belong to your organisation")
        _check_service_provider(encounter, caller.org_code)
        prior = stored_encounter(conn, new_id)
        if prior is not None and prior.org_code != caller.org_code:
            raise Forbidden("this Encounter belongs to another organisation")
        version = (prior.version + 1) if prior else 1
        document = json.loads(encounter.model_dump_json())
        document["id"] = new_id
        document["meta"] = {"versionId": str(version), "lastUpdated": now.isoformat()}
        raw = json.dumps(document, separators=(",", ":"))
        facts = encounter_events(encounter, new_id, site_of_ward, SOURCE, now, raw, caller.org_code)
        items = [
            Interpreted(raw, e, Outcome(APPLIED, new_id, event_key=e.key), "Encounter")
            for e in facts
        ]
        outcomes = apply_interpreted(conn, items, SOURCE, "fhir", now)
        refused = [o for o in outcomes if o.outcome == REJECTED]
        if refused:
            raise InvalidInput(refused[0].field or "Encounter", refused[0].reason or "refused")
        period = encounter.period
        row = {
            "version": version,
            "org_code": caller.org_code,
            "spell_key": spell_key_of(encounter, new_id, caller.org_code),
            "patient_id": patient_id_of(encounter, caller.org_code),
            "identifier": _identifier_text(encounter),
            "status": encounter.status,
            "ward_codes": ",".join(
                ward_code_of(loc, i) for i, loc in enumerate(encounter.location or [])
            ),
            "period_start": instant(period.start, "Encounter.period.start")
            if period and period.start
            else None,
            "period_end": instant(period.end, "Encounter.period.end")
            if period and period.end
            else None,
            "body": raw,
            "updated_at": now,
        }
        save_version(conn, new_id, prior is None, row)
        _audit_write(conn, caller, client, new_id)
        return (201 if prior is None else 200), document


MAX_KEPT_CHARS = 100_000


def record_refusal(
    engine: Engine, body: Any, resource_id: str | None, field: str, reason: str
) -> None:
    """Keep a refused Encounter as sent (cut at MAX_KEPT_CHARS), with the field and reason."""
    raw = json.dumps(body, separators=(",", ":"), default=str, ensure_ascii=False)
    if resource_id is None and isinstance(body, dict) and isinstance(body.get("id"), str):
        resource_id = body["id"]
    control_id = resource_id[:64] if resource_id else None
    refused = MessageRecord(
        control_id, "Encounter", None, raw[:MAX_KEPT_CHARS], REJECTED, field[:200], reason[:2000]
    )
    with engine.begin() as conn:
        record_messages(conn, SOURCE, "fhir", clock.now(), [refused])


def _audit_write(conn: Connection, caller: Caller, client: str, resource_id: str) -> None:
    viewer = Viewer(f"token {caller.token_id}", caller.org_code, Role.ANALYST, client)
    audit(conn, viewer, "fhir-write", f"Encounter/{resource_id}")


def _check_service_provider(encounter: Any, org_code: str) -> None:
    """Encounter.serviceProvider, when it names an organisation, must name the caller's."""
    provider = encounter.serviceProvider
    if provider is None:
        return
    named = provider.identifier.value if provider.identifier is not None else None
    if not named and provider.reference and provider.reference.startswith("Organization/"):
        named = provider.reference.removeprefix("Organization/")
    if named and named != org_code:
        raise Forbidden("Encounter.serviceProvider must be your organisation")


def _identifier_text(encounter: Any) -> str | None:
    for identifier in encounter.identifier or []:
        if identifier.value:
            return f"{identifier.system or ''}|{identifier.value}"
    return None


def _find_by_identifier(conn: Connection, caller: Caller, condition: str) -> Any:
    name, _, value = condition.partition("=")
    if name.strip() != "identifier" or not value:
        raise InvalidInput("If-None-Exist", "only identifier=[system|]value is supported")
    return find_by_identifier(conn, caller.org_code, value)


def read_encounter_by_id(engine: Engine, caller: Caller, resource_id: str) -> dict[str, Any]:
    row = read_stored(engine, resource_id)
    if row is None or row.org_code != caller.org_code:
        raise NotFound(resource_id)
    return dict(json.loads(row.body))


def search_encounters(
    engine: Engine,
    caller: Caller,
    patient: str | None,
    status: str | None,
    location: str | None,
    on: str | None,
) -> list[dict[str, Any]]:
    patient_ids: tuple[str, ...] = ()
    if patient:
        nhs = patient.split("|", 1)[1] if "|" in patient else None
        reference = None if nhs else (patient if "/" in patient else f"Patient/{patient}")
        try:
            key = patient_key(caller.org_code, nhs, "fhir", reference, "patient")
        except InvalidInput:
            return []
        # Encounters stored before each organisation kept its own record carry the key
        # without the organisation (docs/decisions.md); the rows are the caller's either way.
        patient_ids = (key, key.partition(SPELL_KEY_SEPARATOR)[2])
    day = _search_date(on) if on else None
    found = []
    for row, start, end in organisation_encounters(engine, caller.org_code, status, patient_ids):
        if location and location.removeprefix("Location/") not in row.ward_codes.split(","):
            continue
        if day is not None:
            prefix, target = day
            starts = start.date() if start else None
            ends = end.date() if end else None
            if not _date_matches(prefix, target, starts, ends):
                continue
        found.append(json.loads(row.body))
    return found


def _search_date(text: str) -> tuple[str, date]:
    prefix = text[:2] if text[:2] in ("eq", "ge", "le", "gt", "lt") else "eq"
    value = text[2:] if text[:2] == prefix else text
    try:
        return prefix, date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidInput(
            "date", f"{text!r} is not a date search ([eq|ge|le|gt|lt]YYYY-MM-DD)"
        ) from None


def _date_matches(prefix: str, target: date, start: date | None, end: date | None) -> bool:
    """Whether the encounter's period satisfies the date search (FHIR period semantics)."""
    if start is None:
        return False
    last = end or date.max
    if prefix == "eq":
        return start <= target <= last
    if prefix == "ge":
        return last >= target
    if prefix == "gt":
        return last > target
    if prefix == "le":
        return start <= target
    return start < target
