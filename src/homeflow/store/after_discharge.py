"""Support after discharge in the event log, and the discharges its outcomes are measured on.
Episodes are few beside the bed feeds (a system's year is thousands), so they are folded from
the log when read, like the community teams' records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import Connection, Engine, select

from homeflow.domain import events as ev
from homeflow.domain.after_discharge.capacity import ProviderCapacityRecorded
from homeflow.domain.after_discharge.outcomes import Discharge
from homeflow.domain.after_discharge.records import SupportEpisodeRecorded
from homeflow.domain.clock import midnight_after, start_of_day
from homeflow.domain.errors import InvalidInput
from homeflow.domain.events import AdmissionMethod
from homeflow.domain.privacy import age_on
from homeflow.store import schema as t
from homeflow.store.codec import stored_local_date, to_db_time
from homeflow.store.improvement import append_records, programme_event, programme_events


class EpisodeProblems(InvalidInput):
    """Episodes that cannot follow their stays: each (line, field, reason)."""

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        super().__init__("episodes", "; ".join(f"line {n}, {f}: {r}" for n, f, r in problems))
        self.problems = problems


def support_records(conn: Connection) -> list[SupportEpisodeRecorded]:
    """Every version of every episode, in the order stored."""
    found = []
    for event in programme_events(conn, (SupportEpisodeRecorded.TYPE,)):
        assert isinstance(event.payload, SupportEpisodeRecorded)
        found.append(event.payload)
    return found


def save_support(
    engine: Engine,
    items: Sequence[tuple[int, SupportEpisodeRecorded]],
    recorded_by: str | None,
    source: str,
    replay: bool = False,
) -> int:
    """Store each (line, episode) that differs from its latest version, all or none. An
    episode must follow a discharged spell and start no earlier than the day it ended. In a
    `replay` (the demo built again) no earlier version is written again. Returns how many
    were stored."""
    with engine.connect() as conn:
        history: dict[str, list[SupportEpisodeRecorded]] = {}
        for record in support_records(conn):
            history.setdefault(record.episode_id, []).append(record)
        keys = {item.spell_key for _, item in items}
        discharged = _discharge_days(conn, keys)
    now = datetime.now(UTC)
    new: list[ev.Event] = []
    problems: list[tuple[int, str, str]] = []
    for line, item in items:
        versions = history.setdefault(item.episode_id, [])
        if (versions and versions[-1] == item) or (replay and item in versions):
            continue
        day = discharged.get(item.spell_key)
        if item.spell_key not in discharged:
            problems.append((line, "spell_key", f"{item.spell_key!r} is not a known spell"))
            continue
        if day is None:
            problems.append((line, "spell_key", f"{item.spell_key!r} has not been discharged"))
            continue
        if item.start < day:
            problems.append((line, "start", f"{item.start} is before the discharge ({day})"))
            continue
        new.append(programme_event(item, len(versions), recorded_by, source, now))
        versions.append(item)
    if problems:
        raise EpisodeProblems(problems)
    append_records(engine, new)
    return len(new)


def _discharge_days(conn: Connection, spell_keys: set[str]) -> dict[str, date | None]:
    s = t.spells
    found: dict[str, date | None] = {}
    keys = sorted(spell_keys)
    for start in range(0, len(keys), 500):
        rows = conn.execute(
            select(s.c.spell_key, s.c.discharged_at).where(
                s.c.spell_key.in_(keys[start : start + 500])
            )
        )
        for row in rows:
            found[row.spell_key] = (
                stored_local_date(row.discharged_at) if row.discharged_at else None
            )
    return found


def discharges(conn: Connection, start: date, end: date) -> list[Discharge]:
    """The discharges from `start` to `end` (local days), each with the days to the person's
    next emergency admission, if any (a planned admission or a transfer to a community bed is
    not a readmission)."""
    s, p, sites = t.spells, t.patients, t.sites
    first, last = to_db_time(start_of_day(start)), to_db_time(midnight_after(end))
    rows = conn.execute(
        select(
            s.c.spell_key,
            s.c.patient_id,
            s.c.discharged_at,
            s.c.pathway,
            s.c.died,
            s.c.site_code,
            sites.c.org_code,
            p.c.birth_date,
        )
        .join(sites, sites.c.code == s.c.site_code)
        .outerjoin(p, p.c.patient_id == s.c.patient_id)
        .where(s.c.discharged_at >= first, s.c.discharged_at < last)
    ).all()
    admissions = _admissions_since(conn, first)
    found = []
    for row in rows:
        day = stored_local_date(row.discharged_at)
        later = [a for a in admissions.get(row.patient_id, ()) if a > row.discharged_at]
        again = (stored_local_date(min(later)) - day).days if later else None
        found.append(
            Discharge(
                row.spell_key,
                day,
                row.pathway,
                age_on(row.birth_date, day),
                row.site_code,
                row.org_code,
                bool(row.died),
                again,
            )
        )
    return found


def _admissions_since(conn: Connection, since: datetime | None) -> dict[str, list[datetime]]:
    s = t.spells
    found: dict[str, list[datetime]] = {}
    rows = conn.execute(
        select(s.c.patient_id, s.c.admitted_at).where(
            s.c.admitted_at >= since,
            s.c.patient_id.is_not(None),
            s.c.admission_method == AdmissionMethod.EMERGENCY.value,
        )
    )
    for patient_id, admitted_at in rows:
        found.setdefault(patient_id, []).append(admitted_at)
    return found


def system_of_organisations(conn: Connection) -> dict[str, str]:
    """Each organisation's system (its parent in the registry), or itself when it has none."""
    o = t.organisations
    return {
        code: parent or code for code, parent in conn.execute(select(o.c.code, o.c.parent_code))
    }


def capacity_records(conn: Connection) -> list[ProviderCapacityRecorded]:
    """Every provider's capacity return, in the order stored."""
    found = []
    for event in programme_events(conn, (ProviderCapacityRecorded.TYPE,)):
        assert isinstance(event.payload, ProviderCapacityRecorded)
        found.append(event.payload)
    return found


def save_capacity(
    engine: Engine,
    items: Sequence[ProviderCapacityRecorded],
    source: str,
    replay: bool = False,
) -> int:
    """Store the returns that differ from what is stored for the same provider, kind and day
    (a corrected return is a new version); all at once. How many were stored."""
    with engine.connect() as conn:
        history: dict[tuple[object, ...], list[ProviderCapacityRecorded]] = {}
        for record in capacity_records(conn):
            history.setdefault(record.identity(), []).append(record)
    now = datetime.now(UTC)
    new = []
    for item in items:
        versions = history.setdefault(item.identity(), [])
        if (versions and versions[-1] == item) or (replay and item in versions):
            continue
        new.append(programme_event(item, len(versions), None, source, now))
        versions.append(item)
    append_records(engine, new)
    return len(new)


def waiting_for_support(conn: Connection) -> dict[str, list[str]]:
    """The spells in hospital now with no criteria to reside, by the pathway they wait for."""
    s = t.spells
    rows = conn.execute(
        select(s.c.pathway, s.c.spell_key)
        .where(s.c.status == "admitted", s.c.meets_criteria.is_(False), s.c.pathway.is_not(None))
        .order_by(s.c.spell_key)
    )
    found: dict[str, list[str]] = {}
    for pathway, spell_key in rows:
        found.setdefault(pathway, []).append(spell_key)
    return found


def referred_to_home_care(conn: Connection, start: date, end: date) -> list[str]:
    """The stays the hospital referred to home care from `start` to `end` (local days) that
    had been discharged by the end of `end`."""
    s, r = t.spells, t.referrals
    first, last = to_db_time(start_of_day(start)), to_db_time(midnight_after(end))
    rows = conn.execute(
        select(r.c.spell_key)
        .distinct()
        .join(s, s.c.spell_key == r.c.spell_key)
        .where(
            r.c.service == ev.ReferralService.HOME_CARE.value,
            r.c.made_at >= first,
            r.c.made_at < last,
            s.c.discharged_at < last,
        )
        .order_by(r.c.spell_key)
    )
    return [key for (key,) in rows]
