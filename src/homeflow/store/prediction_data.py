"""What the discharge predictions read: the events of the stays open in a stretch of time, the
wards they were on, patients' dates of birth and when each stay in the end closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, or_, select

from homeflow.domain import events as ev
from homeflow.domain.discharge_features import Ward
from homeflow.store import schema as t
from homeflow.store.codec import event_from_row, from_db_time, to_db_time
from homeflow.store.eventlog import catch_up, lock_writers


@dataclass(frozen=True, slots=True)
class Stay:
    """A stay as the whole record now tells it: its events, and when it closed (the answer a
    model learns from, never a feature)."""

    spell_key: str
    patient_id: str | None
    events: tuple[ev.Event, ...]
    admitted_at: datetime
    discharged_at: datetime | None


@dataclass(frozen=True, slots=True)
class PredictionData:
    stays: tuple[Stay, ...]
    wards: dict[str, Ward]
    birth_dates: dict[str, date]


def prediction_data(
    engine: Engine, first: datetime, last: datetime, ward_code: str | None = None
) -> PredictionData:
    """The stays admitted by `last` and not discharged before `first`, with their events; with
    `ward_code`, only the stays whose latest ward it is (a ward's board reads only its own)."""
    with engine.begin() as conn:
        lock_writers(conn)
        catch_up(conn)
    with engine.connect() as conn:
        spells = conn.execute(
            select(
                t.spells.c.spell_key,
                t.spells.c.patient_id,
                t.spells.c.admitted_at,
                t.spells.c.discharged_at,
            ).where(
                t.spells.c.admitted_at <= to_db_time(last),
                or_(
                    t.spells.c.discharged_at.is_(None),
                    t.spells.c.discharged_at >= to_db_time(first),
                ),
                *([t.spells.c.ward_code == ward_code] if ward_code is not None else []),
            )
        ).all()
        keys = [s.spell_key for s in spells]
        by_spell: dict[str, list[ev.Event]] = {key: [] for key in keys}
        for chunk in range(0, len(keys), 500):
            rows = conn.execute(
                select(t.events)
                .where(t.events.c.spell_key.in_(keys[chunk : chunk + 500]))
                .order_by(t.events.c.seq)
            )
            for row in rows:
                by_spell[row.spell_key].append(event_from_row(row))
        wards = {
            row.code: Ward(row.code, row.site_code, row.org_code, row.specialty, row.type)
            for row in conn.execute(
                select(t.wards, t.sites.c.org_code).join(
                    t.sites, t.sites.c.code == t.wards.c.site_code
                )
            )
        }
        patients = {s.patient_id for s in spells if s.patient_id}
        births = {
            row.patient_id: row.birth_date
            for row in conn.execute(
                select(t.patients.c.patient_id, t.patients.c.birth_date).where(
                    t.patients.c.birth_date.is_not(None)
                )
            )
            if row.patient_id in patients
        }
    stays = tuple(
        Stay(
            s.spell_key,
            s.patient_id,
            tuple(by_spell[s.spell_key]),
            from_db_time(s.admitted_at) or first,
            from_db_time(s.discharged_at),
        )
        for s in spells
    )
    return PredictionData(stays, wards, births)
