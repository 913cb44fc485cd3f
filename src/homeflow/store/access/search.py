"""The header's patient search: the stays and community episodes a query names, only those the
viewer's organisation may identify (the domain's rules, as the spell and episode pages ask
them), each search audited without what was typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Connection, Engine, and_, func, or_, select

from homeflow.domain.community.caseload import Episode
from homeflow.domain.community.permissions import Part, shared_with
from homeflow.domain.organisations import SPELL_KEY_SEPARATOR
from homeflow.domain.patient_search import Kind, Query
from homeflow.domain.privacy import may_identify
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.access.audit import audit_view
from homeflow.store.access.scope import (
    PATIENT_COLUMNS,
    PatientLabel,
    Viewer,
    patient_label,
    referrals_of,
)
from homeflow.store.codec import from_db_time
from homeflow.store.community import caseloads

# A search answers with the most recent stays first; more than this asks for a closer search.
MOST = 50
# Where a part of a name begins: at its start, or after a space, hyphen or apostrophe.
NAME_PARTS = ("", " ", "-", "'")


@dataclass(frozen=True, slots=True)
class FoundStay:
    spell_key: str
    visit_number: str
    patient: PatientLabel
    org_code: str
    site_name: str
    ward_name: str | None
    in_hospital: bool
    admitted_at: datetime | None
    discharged_at: datetime | None


@dataclass(frozen=True, slots=True)
class FoundEpisode:
    episode_id: str
    patient: PatientLabel
    team_name: str
    status: str
    opened_on: date


@dataclass(frozen=True, slots=True)
class Found:
    stays: list[FoundStay]
    episodes: list[FoundEpisode]
    more: bool  # more were found than are shown


def find_patients(engine: Engine, viewer: Viewer, query: Query, today: date) -> Found:
    with db.reading(engine) as conn:
        stays = _stays(conn, viewer, query, today)
        episodes = _episodes(conn, viewer, query, today)
    found = Found(stays[:MOST], episodes[:MOST], len(stays) > MOST or len(episodes) > MOST)
    shown = len(found.stays) + len(found.episodes)
    audit_view(engine, viewer, f"patient search by {query.kind}: {shown} shown")
    return found


def _matches(query: Query) -> ColumnElement[bool]:
    p, s = t.patients, t.spells
    if query.kind is Kind.NHS_NUMBER:
        return p.c.nhs_number == query.terms[0]
    if query.kind is Kind.VISIT:
        visit = query.terms[0]
        return or_(
            func.upper(s.c.spell_key) == visit,
            func.upper(s.c.spell_key).endswith(SPELL_KEY_SEPARATOR + visit, autoescape=True),
        )
    return and_(*(_starts_a_name(word, (p.c.family_name, p.c.given_name)) for word in query.terms))


def _starts_a_name(word: str, names: tuple[ColumnElement[str], ...]) -> ColumnElement[bool]:
    """`word` begins one of the names or one of their parts ("jones" finds SMITH-JONES; "hill"
    does not find PHILLIPS)."""
    return or_(
        *(
            func.lower(name).startswith(before + word, autoescape=True)
            if before == ""
            else func.lower(name).contains(before + word, autoescape=True)
            for name in names
            for before in NAME_PARTS
        )
    )


def _stays(conn: Connection, viewer: Viewer, query: Query, today: date) -> list[FoundStay]:
    s = t.spells
    matching = (
        select(
            s.c.spell_key,
            s.c.status,
            s.c.admitted_at,
            s.c.discharged_at,
            *PATIENT_COLUMNS,
            t.sites.c.org_code,
            t.sites.c.name.label("site_name"),
            t.wards.c.name.label("ward_name"),
        )
        .join(t.patients, t.patients.c.patient_id == s.c.patient_id)
        .outerjoin(t.sites, t.sites.c.code == s.c.site_code)
        .outerjoin(t.wards, t.wards.c.code == s.c.ward_code)
        .where(_matches(query))
    )
    rows = conn.execute(matching).all()
    _, involved = referrals_of(conn, select(matching.subquery().c.spell_key))
    found = []
    for r in rows:
        if not may_identify(viewer.org_code, r.org_code, involved.get(r.spell_key, set())):
            continue
        _, _, visit = r.spell_key.rpartition(SPELL_KEY_SEPARATOR)
        found.append(
            FoundStay(
                r.spell_key,
                visit,
                patient_label(viewer, r, True, today),
                r.org_code or "",
                r.site_name or "",
                r.ward_name if r.status == "admitted" else None,
                r.status == "admitted",
                from_db_time(r.admitted_at),
                from_db_time(r.discharged_at),
            )
        )
    found.sort(key=lambda f: (not f.in_hospital, -(f.admitted_at or datetime.min).timestamp()))
    return found


def _episode_matches(episode: Episode, query: Query) -> bool:
    person = episode.opened
    if query.kind is Kind.NHS_NUMBER:
        return person.nhs_number == query.terms[0]
    if query.kind is Kind.VISIT:
        return person.episode_id.upper() == query.terms[0]
    names = (person.family_name.lower(), person.given_name.lower())
    return all(
        any(
            name.startswith(word) or before + word in name
            for name in names
            for before in NAME_PARTS[1:]
        )
        for word in query.terms
    )


def _episodes(conn: Connection, viewer: Viewer, query: Query, today: date) -> list[FoundEpisode]:
    """Episodes whose person the viewer's organisation may see: its own, or one whose consent
    shares the person with it."""
    held = caseloads(conn)
    found = []
    for e in held.episodes.values():
        if Part.PERSON not in shared_with(viewer.org_code, e) or not _episode_matches(e, query):
            continue
        person = e.opened
        team = held.teams.get(person.team_code)
        found.append(
            FoundEpisode(
                person.episode_id,
                patient_label(viewer, person, True, today),
                team.name if team else person.team_code,
                e.status(today),
                person.opened_on,
            )
        )
    found.sort(key=lambda f: (f.status == "closed", -f.opened_on.toordinal()))
    return found
