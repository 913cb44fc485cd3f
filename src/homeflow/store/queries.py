"""Read models the CLI and web pages share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, or_, select

from homeflow.domain import clock
from homeflow.domain.activity import Admission, ChcCase, DayRating, Discharge, KpiData, Place
from homeflow.domain.clock import start_of_day
from homeflow.domain.flow import (
    CENSUS_MEASURES,
    WardDay,
    discharge_ready_date_at,
    snapshot_at,
    ward_stay_at,
)
from homeflow.domain.spell import SpellFold, SpellState, SpellStatus
from homeflow.store import db
from homeflow.store import projections as proj
from homeflow.store import schema as t
from homeflow.store.beds import dated_beds
from homeflow.store.codec import from_db_time, stored_local_date, to_db_time
from homeflow.store.eventlog import catch_up, lock_writers
from homeflow.store.spell_parts import spells_in_hospital_on

CENSUS_COLUMNS = ("org_code", "site_code", "ward_code", "beds", *CENSUS_MEASURES)


@dataclass(frozen=True, slots=True)
class CensusRow:
    org_code: str
    site_code: str
    ward_code: str
    ward_name: str
    beds: int
    occupied: int
    nctr: int
    stranded: int
    super_stranded: int
    admissions: int
    discharges: int
    discharges_before_noon: int

    def as_dict(self) -> dict[str, str | int]:
        return {name: getattr(self, name) for name in CENSUS_COLUMNS}


# The daily census is kept up to tomorrow; a later day is a projection of today's patients,
# folded on demand and never stored, so asking about 2099 costs one fold, not 70 years.
MATERIALISED_AHEAD = timedelta(days=1)


def census(
    engine: Engine, day: date, org_code: str | None = None, today: date | None = None
) -> list[CensusRow]:
    """One row per ward: the midnight snapshot ending `day`, and that day's flows."""
    beyond = day > (today or clock.today()) + MATERIALISED_AHEAD
    if not beyond:
        with db.reading(engine) as conn:
            held = proj.census_through(conn)
        if held is None or held < day:
            with engine.begin() as conn:
                lock_writers(conn)
                # New days are folded from the whole log: the older days must include it too.
                catch_up(conn)
                proj.extend_census(conn, day)
    with db.reading(engine) as conn:
        if beyond:
            counts = proj.census_for_day(conn, day)
        else:
            c = t.daily_census
            counts = {
                r.ward_code: {name: getattr(r, name) for name in CENSUS_MEASURES}
                for r in conn.execute(select(c).where(c.c.day == day))
            }
        query = (
            select(
                t.sites.c.org_code,
                t.wards.c.site_code,
                t.wards.c.code,
                t.wards.c.name,
                t.wards.c.beds,
            )
            .join(t.sites, t.sites.c.code == t.wards.c.site_code)
            .order_by(t.sites.c.org_code, t.wards.c.site_code, t.wards.c.code)
        )
        if org_code:
            query = query.where(t.sites.c.org_code == org_code)
        wards = conn.execute(query).all()
        beds = dated_beds(conn)
    empty = dict.fromkeys(CENSUS_MEASURES, 0)
    return [
        CensusRow(
            w.org_code,
            w.site_code,
            w.code,
            w.name,
            beds.beds_on(w.code, day, w.beds),
            *(counts.get(w.code, empty)[name] for name in CENSUS_MEASURES),
        )
        for w in wards
    ]


def _organisations(
    conn: Connection, types: tuple[str, ...], org_code: str | None
) -> dict[str, str]:
    query = select(t.organisations).where(t.organisations.c.type.in_(types))
    return {r.code: r.name for r in conn.execute(query) if not org_code or r.code == org_code}


@dataclass(frozen=True, slots=True)
class ReturnData:
    """What a return is made from: the organisations reporting (code to name), each site's
    organisation, and the spells in hospital on any day of the period."""

    organisations: dict[str, str]
    org_of_site: dict[str, str]
    spells: list[SpellState]


def return_data(
    engine: Engine, types: tuple[str, ...], first: date, last: date, org_code: str | None = None
) -> ReturnData:
    """The data of a return for organisations of these types (or one), `first` to `last`."""
    with db.reading(engine) as conn:
        orgs = _organisations(conn, types, org_code)
        org_of_site = dict(conn.execute(select(t.sites.c.code, t.sites.c.org_code)).all())
        spells = spells_in_hospital_on(conn, first, last)
    return ReturnData(orgs, org_of_site, spells)


def ward_days(engine: Engine, first: date, last: date) -> list[WardDay]:
    """Each ward's census rows `first` to `last` (a ward-day with nothing has no row)."""
    census(engine, last)  # materialises the daily census that far
    with db.reading(engine) as conn:
        c = t.daily_census
        return [
            WardDay(r.day, r.ward_code, *(getattr(r, name) for name in CENSUS_MEASURES))
            for r in conn.execute(select(c).where(c.c.day.between(first, last)))
        ]


def kpi_data(engine: Engine, first: date, last: date, ratings: bool = True) -> KpiData:
    """The census, discharges, admissions, CHC cases and red/green days (unless not asked
    for) the KPIs need for `first` to `last` (admissions run 30 days on, for readmissions)."""
    rows = ward_days(engine, first, last)
    with db.reading(engine) as conn:
        return KpiData(
            _places(conn),
            rows,
            _discharges(conn, first, last),
            _admissions(conn, first, last + timedelta(days=30)),
            _chc_cases(conn, first, last),
            _ratings(conn, first, last) if ratings else [],
        )


def _places(conn: Connection) -> dict[str, Place]:
    query = select(t.wards.c.code, t.wards.c.site_code, t.sites.c.org_code, t.wards.c.beds).join(
        t.sites, t.sites.c.code == t.wards.c.site_code
    )
    return {r.code: Place(r.code, r.site_code, r.org_code, r.beds) for r in conn.execute(query)}


def _between(first: date, last: date) -> tuple[datetime | None, datetime | None]:
    """The stored instants a range of local days starts and ends at."""
    return to_db_time(start_of_day(first)), to_db_time(start_of_day(last + timedelta(days=1)))


def _discharges(conn: Connection, first: date, last: date) -> list[Discharge]:
    s = t.spells
    start, end = _between(first, last)
    ready = {
        r.spell_key: r.discharge_ready_date
        for r in conn.execute(
            select(t.delay_episodes.c.spell_key, t.delay_episodes.c.discharge_ready_date)
            .where(t.delay_episodes.c.ended_by == "discharged")
            .order_by(t.delay_episodes.c.seq)
        )
    }
    discharged = select(s).where(
        s.c.status == SpellStatus.DISCHARGED.value,
        s.c.discharged_at >= start,
        s.c.discharged_at < end,
    )
    return [
        Discharge(
            r.patient_id,
            r.ward_code,
            _instant(r.admitted_at),
            _instant(r.discharged_at),
            r.died,
            r.pathway,
            ready.get(r.spell_key),
            r.spell_key,
        )
        for r in conn.execute(discharged)
    ]


def _admissions(conn: Connection, first: date, last: date) -> list[Admission]:
    s = t.spells
    start, end = _between(first, last)
    query = select(s.c.patient_id, s.c.admitted_at, s.c.admission_method).where(
        s.c.admitted_at >= start, s.c.admitted_at < end
    )
    return [
        Admission(r.patient_id, _instant(r.admitted_at), r.admission_method == "emergency")
        for r in conn.execute(query)
    ]


def _chc_cases(conn: Connection, first: date, last: date) -> list[ChcCase]:
    s = t.spells
    query = select(s).where(
        s.c.ward_code.is_not(None),
        or_(
            s.c.chc_assessment_date.between(first, last),
            s.c.chc_decision_date.between(first, last),
        ),
    )
    return [
        ChcCase(
            r.ward_code,
            stored_local_date(r.chc_checklist_at) if r.chc_checklist == "positive" else None,
            r.chc_assessment_date,
            r.chc_assessment_setting == "acute",
            r.chc_decision_date,
        )
        for r in conn.execute(query)
    ]


def _ratings(conn: Connection, first: date, last: date) -> list[DayRating]:
    """Each red/green day, on the ward the patient was on at midday that day."""
    r = t.day_ratings.c
    rated = list(
        conn.execute(select(r.spell_key, r.day, r.colour).where(r.day.between(first, last)))
    )
    stays: dict[str, list[tuple[str, datetime, datetime | None]]] = {}
    w = t.ward_stays.c
    stays_of = select(w.spell_key, w.ward_code, w.start_at, w.end_at).where(
        proj.one_of(conn.dialect.name, w.spell_key)
    )
    for part in proj.chunks(sorted({row.spell_key for row in rated})):
        for key, ward_code, start_at, end_at in conn.execute(stays_of, {"keys": list(part)}):
            stays.setdefault(key, []).append((ward_code, start_at, end_at))
    # A day's midday as stored, once a day: a month's ratings are thousands of patient-days.
    noons = {
        day: to_db_time(start_of_day(day) + timedelta(hours=12)) for day in {x.day for x in rated}
    }
    ratings = []
    for spell_key, day, colour in rated:
        noon = noons[day]
        ward = next(
            (
                ward_code
                for ward_code, start_at, end_at in stays.get(spell_key, [])
                if noon is not None and start_at <= noon and (end_at is None or noon < end_at)
            ),
            None,
        )
        if ward is not None:
            ratings.append(DayRating(ward, day, colour == "red"))
    return ratings


def _instant(stored: datetime) -> datetime:
    instant = from_db_time(stored)
    assert instant is not None
    return instant


def stay_history(engine: Engine, first: date, last: date) -> list[dict[str, Any]]:
    """Every stay admitted or discharged from `first` to `last` (local days), with what
    calibrating the capacity model needs: where, when, when ready (its last delay's ready
    date), pathway, first referral, last acceptance by a service."""
    since, until = start_of_day(first), start_of_day(last + timedelta(days=1))
    s, w, d = t.spells, t.wards, t.delay_episodes
    # The ready date of the stay's last period without criteria to reside: a patient who met
    # them again was ready only from the last period's date (docs/returns.md).
    final = select(d.c.spell_key, func.max(d.c.seq).label("seq")).group_by(d.c.spell_key)
    latest = final.subquery()
    ready = (
        select(d.c.spell_key, d.c.discharge_ready_date.label("ready_date"))
        .join(latest, (latest.c.spell_key == d.c.spell_key) & (latest.c.seq == d.c.seq))
        .subquery()
    )
    r = t.referrals.c
    referred = (
        select(
            r.spell_key,
            func.min(r.made_at).label("referred_at"),
            func.max(r.accepted_at).label("accepted_at"),
        )
        .group_by(r.spell_key)
        .subquery()
    )
    query = (
        select(
            s.c.site_code,
            w.c.type.label("ward_type"),
            s.c.admitted_at,
            s.c.discharged_at,
            ready.c.ready_date,
            s.c.pathway,
            referred.c.referred_at,
            referred.c.accepted_at,
        )
        .join(w, w.c.code == s.c.ward_code)
        .outerjoin(ready, ready.c.spell_key == s.c.spell_key)
        .outerjoin(referred, referred.c.spell_key == s.c.spell_key)
        .where(s.c.status.in_((SpellStatus.ADMITTED, SpellStatus.DISCHARGED)))
        .where(
            or_(
                s.c.admitted_at.between(to_db_time(since), to_db_time(until)),
                s.c.discharged_at.between(to_db_time(since), to_db_time(until)),
            )
        )
    )
    return _stay_rows(engine, query)


def open_stays(engine: Engine) -> list[dict[str, Any]]:
    """Everyone in a bed now: where, since when, and since when ready to leave (if NCTR)."""
    s, w = t.spells, t.wards
    query = (
        select(
            s.c.site_code,
            w.c.type.label("ward_type"),
            s.c.admitted_at,
            s.c.discharge_ready_date.label("ready_date"),
            s.c.pathway,
        )
        .join(w, w.c.code == s.c.ward_code)
        .where(s.c.status == SpellStatus.ADMITTED)
    )
    return _stay_rows(engine, query)


def ward_places(engine: Engine) -> dict[str, Any]:
    """Each ward's site and type, by its code."""
    query = select(t.wards.c.code, t.wards.c.site_code, t.wards.c.type)
    with db.reading(engine) as conn:
        return {r.code: r for r in conn.execute(query)}


def stays_at(engine: Engine, day: date) -> list[dict[str, Any]]:
    """Everyone in a bed at the midnight ending `day`, as the stored census counts them: their
    ward's site and type, since when, since when ready to leave (if NCTR then: a ready date
    recorded the next morning but dated the day counts, as the census counts it) and their
    pathway as known by that midnight; the rows `open_stays` gives for now."""
    instant = snapshot_at(day)
    with db.reading(engine) as conn:
        found = proj.load_spell_events(conn, proj.keys_in_hospital_on(conn, day))
    wards = ward_places(engine)
    rows = []
    for key, spell_events in found.items():
        # Folded to the midnight, then on with the events after it (which all sort after
        # those before): the spell as known then and as known now, the first events once.
        by_then = SpellFold(key).extended([e for e in spell_events if e.occurred_at <= instant])
        assert by_then is not None  # an empty fold takes events in any order
        now = by_then.extended([e for e in spell_events if e.occurred_at > instant])
        assert now is not None  # every later event sorts after those folded
        spell = now.state()
        stay = ward_stay_at(spell, instant)
        if stay is None or stay.ward_code not in wards:
            continue
        ready = discharge_ready_date_at(spell, instant)
        then = by_then.state()
        ward = wards[stay.ward_code]
        rows.append(
            {
                "site_code": ward.site_code,
                "ward_type": ward.type,
                "admitted_at": spell.admitted_at,
                "ready_at": None if ready is None else start_of_day(ready),
                "pathway": then.pathway,
            }
        )
    return rows


def _stay_rows(engine: Engine, query: Any) -> list[dict[str, Any]]:
    """Rows as plain values: stored instants made aware, a ready date as its day's start."""
    rows = []
    with db.reading(engine) as conn:
        for r in conn.execute(query):
            row = dict(r._mapping)
            ready = row.pop("ready_date")
            row["ready_at"] = None if ready is None else start_of_day(ready)
            for name in ("admitted_at", "discharged_at", "referred_at", "accepted_at"):
                if name in row:
                    row[name] = from_db_time(row[name])
            rows.append(row)
    return rows


def bed_base(engine: Engine, on: date) -> list[dict[str, Any]]:
    """Beds per site and ward type on `on`, with the site's name, and `changes`: each later day
    a dated change alters the total, with the new total (for the capacity model)."""
    w = t.wards
    query = select(w.c.code, w.c.site_code, t.sites.c.name, w.c.type, w.c.beds).join(
        t.sites, t.sites.c.code == w.c.site_code
    )
    with db.reading(engine) as conn:
        wards = conn.execute(query.order_by(w.c.site_code, w.c.code)).all()
        dated = dated_beds(conn)
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for r in wards:
        groups.setdefault((r.site_code, r.name, r.type), []).append(r)
    found = []
    for (site_code, name, ward_type), members in groups.items():
        later = sorted({c.from_day for r in members for c in dated.changes_after(r.code, on)})
        found.append(
            {
                "site_code": site_code,
                "site_name": name,
                "ward_type": ward_type,
                "beds": sum(dated.beds_on(r.code, on, r.beds) for r in members),
                "changes": [
                    (day, sum(dated.beds_on(r.code, day, r.beds) for r in members)) for day in later
                ],
            }
        )
    return found


def place_codes(engine: Engine, kind: str) -> list[str]:
    """Every ward, site or org code with wards, sorted."""
    column = {"ward": t.wards.c.code, "site": t.sites.c.code, "org": t.sites.c.org_code}[kind]
    query = select(column).select_from(t.wards.join(t.sites)).distinct().order_by(column)
    with db.reading(engine) as conn:
        return list(conn.execute(query).scalars())


def first_discharge_day(engine: Engine) -> date | None:
    """The local day of the earliest discharge on record: where a measure's history starts
    (before it, a feed had not begun, and counts of nothing read as zeros)."""
    s = t.spells
    with db.reading(engine) as conn:
        first = conn.execute(select(func.min(s.c.discharged_at))).scalar_one_or_none()
    return None if first is None else stored_local_date(first)


def local_authorities(conn: Connection) -> dict[str, str]:
    """Each spell's patient's local authority of residence, by spell key, for the spells
    whose patient has one on record: the latest the feeds gave. A patient merged into
    another is the survivor's residence, else what the merged record held."""
    s, own = t.spells, t.patients
    survivor = own.alias("survivor")
    rows = conn.execute(
        select(
            s.c.spell_key,
            func.coalesce(survivor.c.local_authority, own.c.local_authority),
        )
        .join(own, own.c.patient_id == s.c.patient_id)
        .outerjoin(survivor, survivor.c.patient_id == own.c.merged_into)
    ).all()
    return {key: council for key, council in rows if council is not None}
