"""The header's patient search: the stays and community episodes a query names, only those the
viewer's organisation may identify (the domain's rules, as the spell and episode pages ask
them), each search audited without what was typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Connection, Engine, Select, and_, case, func, or_, select

from homeflow.domain.community.caseload import Episode
from homeflow.domain.community.permissions import Part, shared_with
from homeflow.domain.organisations import SPELL_KEY_SEPARATOR, visit_number_of
from homeflow.domain.patient_search import Kind, Query, name_parts, names_found
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
# Above every character: a word's parts are those from the word to the word and this.
_LAST = "\U0010ffff"


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
        # Either way the key ends with the visit's own number: looked up, then checked whole.
        return and_(
            s.c.visit_number == visit_number_of(visit),
            or_(
                func.upper(s.c.spell_key) == visit,
                func.upper(s.c.spell_key).endswith(SPELL_KEY_SEPARATOR + visit, autoescape=True),
            ),
        )
    return and_(*(p.c.patient_id.in_(_begun_by(word)) for word in query.terms))


def _begun_by(word: str) -> Select[tuple[str]]:
    """The patients one of whose name parts (`name_parts`) begins with `word`: a range of the
    parts' primary key."""
    parts = t.patient_name_parts
    return select(parts.c.patient_id).where(parts.c.part >= word, parts.c.part < word + _LAST)


def _stays(conn: Connection, viewer: Viewer, query: Query, today: date) -> list[FoundStay]:
    """The stays the query names that the viewer may identify, most recent first: at most one
    more than are shown. The database keeps only the stays of the viewer's organisation or
    referred to it, and orders and counts them, so a common name on a region's million
    patients builds a page's rows, not every match (`tests/integration/test_patient_search.py`
    holds that this is exactly what `may_identify` allows); the rule itself then decides."""
    s, r = t.spells, t.referrals
    referred_to_viewer = (
        select(r.c.spell_key)
        .where(r.c.spell_key == s.c.spell_key, r.c.provider_org == viewer.org_code)
        .exists()
    )
    in_hospital = s.c.status == "admitted"
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
        .where(_matches(query), or_(t.sites.c.org_code == viewer.org_code, referred_to_viewer))
        .order_by(
            case((in_hospital, 0), else_=1),
            s.c.admitted_at.desc().nulls_last(),
            s.c.spell_key,
        )
        .limit(MOST + 1)
    )
    rows = conn.execute(matching).all()
    keys = select(s.c.spell_key).where(s.c.spell_key.in_([row.spell_key for row in rows]))
    _, involved = referrals_of(conn, keys)
    found = []
    for row in rows:
        if not may_identify(viewer.org_code, row.org_code, involved.get(row.spell_key, set())):
            continue
        _, _, visit = row.spell_key.rpartition(SPELL_KEY_SEPARATOR)
        found.append(
            FoundStay(
                row.spell_key,
                visit,
                patient_label(viewer, row, True, today),
                row.org_code or "",
                row.site_name or "",
                row.ward_name if row.status == "admitted" else None,
                row.status == "admitted",
                from_db_time(row.admitted_at),
                from_db_time(row.discharged_at),
            )
        )
    return found


def _episode_matches(episode: Episode, query: Query) -> bool:
    person = episode.opened
    if query.kind is Kind.NHS_NUMBER:
        return person.nhs_number == query.terms[0]
    if query.kind is Kind.VISIT:
        return person.episode_id.upper() == query.terms[0]
    return names_found(query, name_parts(person.family_name, person.given_name))


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
