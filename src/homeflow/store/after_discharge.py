"""Support after discharge in the event log, and the discharges its outcomes are measured on.
Episodes are few beside the bed feeds (a system's year is thousands), so they are folded from
the log when read, like the community teams' records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Connection, Engine, select

from homeflow.domain import clock
from homeflow.domain import events as ev
from homeflow.domain.after_discharge.capacity import ProviderCapacityRecorded
from homeflow.domain.after_discharge.outcomes import Discharge
from homeflow.domain.after_discharge.permissions import episode_holders, support_refusal
from homeflow.domain.after_discharge.records import SupportEpisodeRecorded
from homeflow.domain.clock import midnight_after, start_of_day
from homeflow.domain.errors import InvalidInput
from homeflow.domain.events import AdmissionMethod
from homeflow.domain.organisations import person_of
from homeflow.domain.privacy import age_on
from homeflow.store import schema as t
from homeflow.store.access.audit import audit
from homeflow.store.access.scope import Forbidden, NotFound, Viewer, fold_scoped
from homeflow.store.codec import stored_local_date, to_db_time
from homeflow.store.eventlog import lock_writers
from homeflow.store.improvement import append_events, programme_event, programme_events
from homeflow.store.users import user_org


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
    """Store each (line, episode) of a council's or provider's file that differs from its
    latest version, all or none, in one transaction. An episode must follow a discharged
    spell, start no earlier than the day it ended, and stay with the spell it first followed.
    In a `replay` (the demo built again) no earlier version is written again. Returns how
    many were stored."""
    now = clock.now()
    with engine.begin() as conn:
        lock_writers(conn)
        history = _episodes(conn)
        discharged = _discharge_days(conn, {item.spell_key for _, item in items})
        new: list[ev.Event] = []
        problems: list[tuple[int, str, str]] = []
        for line, item in items:
            versions = [e.payload for e in history.setdefault(item.episode_id, [])]
            if (versions and versions[-1] == item) or (replay and item in versions):
                continue
            problem = _follows(item, versions, discharged)
            if problem is not None:
                problems.append((line, *problem))
                continue
            event = programme_event(item, len(versions), recorded_by, source, now)
            new.append(event)
            history[item.episode_id].append(event)
        if problems:
            raise EpisodeProblems(problems)
        append_events(conn, new)
    return len(new)


def record_episode(
    engine: Engine, viewer: Viewer, spell_key: str, episode: SupportEpisodeRecorded
) -> bool:
    """Store an episode a signed-in user recorded after `spell_key`, if their organisation
    is involved in that stay and holds the episode (or it is new), and audit it, all in one
    transaction. An id that names another stay's episode is not found here. Returns whether
    anything was stored (an unchanged episode is not)."""
    with engine.begin() as conn:
        lock_writers(conn)
        _, treating_org = fold_scoped(conn, viewer, spell_key)
        stored = _episodes(conn).get(episode.episode_id, [])
        holders = None
        if stored:
            first = stored[0]
            assert isinstance(first.payload, SupportEpisodeRecorded)
            if first.payload.spell_key != spell_key:
                raise NotFound(f"no episode {episode.episode_id} after this stay")
            latest = stored[-1].payload
            assert isinstance(latest, SupportEpisodeRecorded)
            recorder = user_org(conn, first.recorded_by) if first.recorded_by else None
            organisations = _organisations(conn)
            holders = episode_holders(recorder, treating_org, latest.provider, organisations)
        why = support_refusal(viewer.role, viewer.org_code, episode.episode_id, holders)
        if why is not None:
            raise Forbidden(why)
        versions = [e.payload for e in stored]
        if versions and versions[-1] == episode:
            return False
        problem = _follows(episode, versions, _discharge_days(conn, {spell_key}))
        if problem is not None:
            raise InvalidInput(*problem)
        now = clock.now()
        append_events(conn, [programme_event(episode, len(versions), viewer.email, "web", now)])
        audit(conn, viewer, "change", f"support episode {episode.episode_id}", spell_key)
    return True


def _episodes(conn: Connection) -> dict[str, list[ev.Event]]:
    """Every version of every episode, by episode id, in the order stored."""
    found: dict[str, list[ev.Event]] = {}
    for event in programme_events(conn, (SupportEpisodeRecorded.TYPE,)):
        assert isinstance(event.payload, SupportEpisodeRecorded)
        found.setdefault(event.payload.episode_id, []).append(event)
    return found


def _follows(
    item: SupportEpisodeRecorded,
    versions: Sequence[ev.Payload],
    discharged: dict[str, date | None],
) -> tuple[str, str] | None:
    """Why the episode cannot follow its stay, as (field, reason); None when it can."""
    first = versions[0] if versions else item
    if isinstance(first, SupportEpisodeRecorded) and first.spell_key != item.spell_key:
        return "episode_id", f"{item.episode_id!r} already follows another stay"
    if item.spell_key not in discharged:
        return "spell_key", f"{item.spell_key!r} is not a known spell"
    day = discharged[item.spell_key]
    if day is None:
        return "spell_key", f"{item.spell_key!r} has not been discharged"
    if item.start < day:
        return "start", f"{item.start} is before the discharge ({day})"
    return None


def _organisations(conn: Connection) -> set[str]:
    return set(conn.execute(select(t.organisations.c.code)).scalars())


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
        # The person, not the record: a readmission to another trust counts (by NHS number).
        person = person_of(row.patient_id)
        later = [a for a in admissions.get(person or "", ()) if a > row.discharged_at]
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
        found.setdefault(person_of(patient_id) or "", []).append(admitted_at)
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
    now = clock.now()
    with engine.begin() as conn:
        lock_writers(conn)
        history: dict[tuple[object, ...], list[ProviderCapacityRecorded]] = {}
        for record in capacity_records(conn):
            history.setdefault(record.identity(), []).append(record)
        new = []
        for item in items:
            versions = history.setdefault(item.identity(), [])
            if (versions and versions[-1] == item) or (replay and item in versions):
                continue
            new.append(programme_event(item, len(versions), None, source, now))
            versions.append(item)
        append_events(conn, new)
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
