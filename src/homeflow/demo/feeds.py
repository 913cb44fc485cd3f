"""The demo's feeds: each trust's patient administration system (PAS) sends its ADT as HL7 v2,
and the feeds page shows what a day of it looks like. Pure: which of the demo's events the
feeds carry (the last day's), how late each message arrives, and the few a real feed gets
wrong: RX1 has renamed a ward of Riverside General Hospital in its PAS and the feed's mapping does not know the new
name yet (those admissions are held until it does), and now and then a message comes with a
date that is not one. `services/demo_feeds` writes them as messages received
(`homeflow demo`)."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from homeflow.demo import system
from homeflow.domain import events as ev
from homeflow.domain.organisations import issuer_of

WINDOW = timedelta(hours=24)
RENAMED_WARD = "ACORN"  # the name RX1's PAS now sends for one of its medical wards
RENAMED_BY = "RX1"
RENAMED_AT = "RX101"  # at Riverside General Hospital
HELD_ADMISSIONS = 3
MEDIAN_LAG_SECONDS = 25.0
MAX_LAG_SECONDS = 900.0


def source_of(org_code: str) -> str:
    """The feed of an organisation's PAS, as the feeds page names it."""
    return f"{org_code.lower()}-pas"


def feed_owners() -> list[str]:
    """Every organisation with wards: each has a PAS that sends a feed."""
    return sorted({site.org_code for site in system.SITES})


def mapping_text(org_code: str) -> str:
    """The feed's mapping as its integration engineer first wrote it: the feed is the trust's,
    and the PAS sends homeflow's own site and ward codes, so no ward needs an entry."""
    return f'[feed]\nsource = "{source_of(org_code)}"\norganisation = "{org_code}"\n\n[wards]\n'


def recent(events: Sequence[ev.Event], end: datetime) -> list[ev.Event]:
    """The events of every spell with an event in the day before `end`, in the order they
    happened (earlier ones too: a message names the patient and the admission)."""
    start = end - WINDOW
    spells = {e.spell_key for e in events if start <= e.occurred_at <= end and e.spell_key}
    chosen = [e for e in events if e.spell_key in spells and e.occurred_at <= end]
    return sorted(chosen, key=lambda e: e.fold_order)


def lag(rng: random.Random) -> timedelta:
    """How long after the event the PAS's message arrives: most within a minute, a few late."""
    seconds = MEDIAN_LAG_SECONDS * math.exp(rng.gauss(0.0, 0.9))
    return timedelta(seconds=min(MAX_LAG_SECONDS, max(1.0, seconds)))


def held_admissions(events: Sequence[ev.Event], end: datetime) -> tuple[str, list[ev.Event]]:
    """The ward RX1 renamed and the admissions to it the PAS sent under the new name in the
    last hours: new patients, whose spells homeflow does not hold until they are replayed."""
    admitted = [
        e
        for e in events
        if isinstance(e.payload, ev.Admitted)
        and e.spell_key
        and issuer_of(e.spell_key) == RENAMED_BY
        and e.payload.site_code == RENAMED_AT
        and e.payload.admission_method == ev.AdmissionMethod.EMERGENCY
        and end - WINDOW <= e.occurred_at <= end
    ]
    if not admitted:
        return "", []
    ward = admitted[-1].payload.ward_code  # type: ignore[attr-defined]
    to_ward = [e for e in admitted if e.payload.ward_code == ward][-HELD_ADMISSIONS:]  # type: ignore[attr-defined]
    held = []
    for n, e in enumerate(to_ward, start=1):
        payload = e.payload
        assert isinstance(payload, ev.Admitted)
        new = replace(
            payload,
            patient_id=f"{payload.patient_id}-R{n}",
            bed=None,
            nhs_number=None,
            local_id=f"{payload.local_id or payload.patient_id}R{n}",
        )
        later = e.occurred_at + timedelta(minutes=7 * n)
        held.append(
            replace(
                e,
                key=f"{e.key}-R{n}",
                spell_key=f"{e.spell_key}R{n}",
                payload=new,
                occurred_at=min(later, end),
                received_at=min(later, end),
            )
        )
    return ward, held


def renamed(message: str, ward: str) -> str:
    """The message as the PAS sends it after the rename: the ward under its new name."""
    return message.replace(f"PV1|1|I|{ward}^", f"PV1|1|I|{RENAMED_WARD}^", 1)


def misdated(message: str) -> str:
    """The message with the event's date sent as the 31st of a thirteenth month."""
    segments = message.split("\r")
    for i, segment in enumerate(segments):
        if segment.startswith("EVN|"):
            fields = segment.split("|")
            if len(fields) > 6 and len(fields[6]) >= 8:
                fields[6] = fields[6][:4] + "1331" + fields[6][8:]
            segments[i] = "|".join(fields)
    return "\r".join(segments)
