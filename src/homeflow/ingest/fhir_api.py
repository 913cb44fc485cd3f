"""The FHIR Encounter service: create, update, read and search, scoped to an organisation.

Each accepted version is stored as sent (latest version kept for reads) and its facts are
appended to the event log in the same transaction, with the request kept in feed_messages.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from homeflow.domain.errors import InvalidInput
from homeflow.domain.organisations import patient_key
from homeflow.ingest.feeds import APPLIED, REJECTED, Interpreted, Outcome, apply_interpreted
from homeflow.ingest.fhir import (
    encounter_events,
    instant,
    patient_id_of,
    read_encounter,
    spell_key_of,
    ward_code_of,
)
from homeflow.store import schema as t
from homeflow.store.codec import from_db_time, to_db_time
from homeflow.store.eventlog import lock_writers
from homeflow.store.registry import require_organisation

SOURCE = "fhir"


class Forbidden(Exception):
    """The caller's organisation is not involved in this care."""


class NotFound(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Caller:
    org_code: str
    scope: str


def create_token(engine: Engine, org_code: str, scope: str) -> str:
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        require_organisation(conn, org_code)
        conn.execute(
            insert(t.api_tokens).values(
                token_hash=_hash(token),
                org_code=org_code,
                scope=scope,
                created_at=to_db_time(datetime.now(UTC)),
            )
        )
    return token


def caller_for(engine: Engine, token: str) -> Caller | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(t.api_tokens).where(t.api_tokens.c.token_hash == _hash(token))
        ).first()
    return Caller(row.org_code, row.scope) if row else None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _ward_sites(conn: Connection) -> tuple[dict[str, str], dict[str, str]]:
    rows = conn.execute(
        select(t.wards.c.code, t.wards.c.site_code, t.sites.c.org_code).join(
            t.sites, t.sites.c.code == t.wards.c.site_code
        )
    ).all()
    return {r.code: r.site_code for r in rows}, {r.code: r.org_code for r in rows}


def save_encounter(
    engine: Engine,
    caller: Caller,
    body: Any,
    resource_id: str | None,
    if_none_exist: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """Create (resource_id None) or update an Encounter; returns (HTTP status, resource)."""
    encounter = read_encounter(body)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        lock_writers(conn)
        if resource_id is None and if_none_exist:
            existing = _find_by_identifier(conn, caller, if_none_exist)
            if existing is not None:
                return 200, json.loads(existing.body)
        new_id = resource_id or uuid.uuid4().hex
        site_of_ward, org_of_ward = _ward_sites(conn)
        orgs = {
            org_of_ward.get(ward_code_of(loc, i)) for i, loc in enumerate(encounter.location or [])
        }
        if not orgs or orgs - {caller.org_code}:
            raise Forbidden("every ward in Encounter.location must belong to your organisation")
        prior = conn.execute(
            select(t.fhir_encounters).where(t.fhir_encounters.c.id == new_id)
        ).first()
        if prior is not None and prior.org_code != caller.org_code:
            raise Forbidden("this Encounter belongs to another organisation")
        version = (prior.version + 1) if prior else 1
        document = json.loads(encounter.model_dump_json())
        document["id"] = new_id
        document["meta"] = {"versionId": str(version), "lastUpdated": now.isoformat()}
        raw = json.dumps(document, separators=(",", ":"))
        facts = encounter_events(encounter, new_id, site_of_ward, SOURCE, now, raw)
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
            "spell_key": spell_key_of(encounter, new_id),
            "patient_id": patient_id_of(encounter),
            "identifier": _identifier_text(encounter),
            "status": encounter.status,
            "ward_codes": ",".join(
                ward_code_of(loc, i) for i, loc in enumerate(encounter.location or [])
            ),
            "period_start": to_db_time(instant(period.start, "Encounter.period.start"))
            if period and period.start
            else None,
            "period_end": to_db_time(instant(period.end, "Encounter.period.end"))
            if period and period.end
            else None,
            "body": raw,
            "updated_at": to_db_time(now),
        }
        if prior is None:
            conn.execute(insert(t.fhir_encounters).values(id=new_id, **row))
        else:
            conn.execute(
                update(t.fhir_encounters).where(t.fhir_encounters.c.id == new_id).values(**row)
            )
        return (201 if prior is None else 200), document


def _identifier_text(encounter: Any) -> str | None:
    for identifier in encounter.identifier or []:
        if identifier.value:
            return f"{identifier.system or ''}|{identifier.value}"
    return None


def _find_by_identifier(conn: Connection, caller: Caller, condition: str) -> Any:
    name, _, value = condition.partition("=")
    if name.strip() != "identifier" or not value:
        raise InvalidInput("If-None-Exist", "only identifier=[system|]value is supported")
    query = select(t.fhir_encounters).where(t.fhir_encounters.c.org_code == caller.org_code)
    if "|" in value:
        query = query.where(t.fhir_encounters.c.identifier == value)
    else:
        query = query.where(t.fhir_encounters.c.identifier.like(f"%|{value}"))
    return conn.execute(query).first()


def read_encounter_by_id(engine: Engine, caller: Caller, resource_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(
            select(t.fhir_encounters).where(t.fhir_encounters.c.id == resource_id)
        ).first()
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
    query = select(t.fhir_encounters).where(t.fhir_encounters.c.org_code == caller.org_code)
    if status:
        query = query.where(t.fhir_encounters.c.status == status)
    if patient:
        nhs = patient.split("|", 1)[1] if "|" in patient else None
        reference = None if nhs else (patient if "/" in patient else f"Patient/{patient}")
        try:
            query = query.where(
                t.fhir_encounters.c.patient_id == patient_key(nhs, "fhir", reference, "patient")
            )
        except InvalidInput:
            return []
    day = _search_date(on) if on else None
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(t.fhir_encounters.c.updated_at)).all()
    found = []
    for row in rows:
        if location and location.removeprefix("Location/") not in row.ward_codes.split(","):
            continue
        if day is not None:
            prefix, target = day
            start = from_db_time(row.period_start)
            end = from_db_time(row.period_end)
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
