"""The patients behind a place's expected discharges: each with the probability they add to
the figure, labelled as every list is (a patient outside the viewer's organisations by
initials) and audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select

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


@dataclass(frozen=True, slots=True)
class Likely:
    spell_key: str
    patient: PatientLabel
    ward_code: str
    expected_discharge_date: date | None
    chance: float  # what this patient adds to the expected figure


def likely_people(
    engine: Engine,
    viewer: Viewer,
    title: str,
    chances: Sequence[tuple[str, str, date | None, float]],
    today: date,
) -> list[Likely]:
    """(spell, ward, EDD, probability) as rows, most likely first."""
    keys = [key for key, _, _, _ in chances]
    s = t.spells
    with db.reading(engine) as conn:
        found = {
            r.spell_key: r
            for r in conn.execute(
                select(s.c.spell_key, *PATIENT_COLUMNS, t.sites.c.org_code)
                .outerjoin(t.sites, t.sites.c.code == s.c.site_code)
                .outerjoin(t.patients, t.patients.c.patient_id == s.c.patient_id)
                .where(s.c.spell_key.in_(keys))
            )
        }
        _waiting, involved = referrals_of(
            conn, select(s.c.spell_key).where(s.c.spell_key.in_(keys))
        )
    rows = []
    for key, ward, edd, chance in chances:
        r = found.get(key)
        identified = r is not None and may_identify(
            viewer.org_code, r.org_code, involved.get(key, ())
        )
        rows.append(Likely(key, patient_label(viewer, r, identified, today), ward, edd, chance))
    rows.sort(key=lambda row: (-row.chance, row.spell_key))
    if any(row.patient.identified for row in rows):
        audit_view(engine, viewer, f"patients behind {title}")
    return rows
