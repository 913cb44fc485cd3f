"""The demo's decisions to admit: each emergency admission to an acute site came from a bed
request made in the emergency department some hours before, most given a bed by the site team
(allocated, so reserved) shortly before the patient went up; and, at the end of the history,
patients in the department still waiting for a bed.

The waits are drawn to look like England's in 2025: about a third of emergency admissions
wait over 4 hours from the decision to admit (NHS England, A&E Attendances and Emergency
Admissions, "4-12 hour waits from decision to admit to admission"), and a few per cent over 12.
Each request has its own random numbers (from the seed and the spell), so adding requests
changes nothing else of the demo."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from homeflow.demo import system
from homeflow.demo.people import FAMILY_NAMES, GIVEN_NAMES, SOURCE
from homeflow.domain import bed_requests as br
from homeflow.domain import events as ev
from homeflow.domain.organisations import patient_key

ACUTE = {s.code for s in system.ACUTE_SITES}
ORG_OF_SITE = {s.code: s.org_code for s in system.SITES}
BEDS = {w.code: w.bed_labels() for w in system.WARDS}
# Hours from decision to admit to bed: (share, shortest, longest).
WAITS = ((0.64, 0.3, 4.0), (0.30, 4.0, 12.0), (0.06, 12.0, 22.0))
ALLOCATED = 0.8  # requests the site team gives a bed before the patient goes up
OTHER_BED = 0.1  # of those, the patient went to another bed than the one given
STILL_WAITING = (3, 8)  # patients waiting in each department when the history ends


def _wait(rng: random.Random) -> timedelta:
    pick = rng.random()
    for share, shortest, longest in WAITS:
        if pick < share:
            return timedelta(hours=rng.uniform(shortest, longest))
        pick -= share
    return timedelta(hours=WAITS[-1][2])


def _event(key: str, at: datetime, payload: ev.Payload) -> ev.Event:
    return ev.Event(key, SOURCE, at, at + timedelta(seconds=30), None, payload, recorded_by="demo")


def bed_requests(events: Iterable[ev.Event], seed: int, horizon: datetime) -> list[ev.Event]:
    """The requests behind the emergency admissions among `events`, and those still waiting
    at `horizon` (the end of the simulation)."""
    found: list[ev.Event] = []
    events = list(events)
    # An admission the patient administration system cancelled (A11) leaves its request to be
    # cancelled too (A27), at the same moment.
    cancelled = {
        e.spell_key: e.occurred_at
        for e in events
        if isinstance(e.payload, ev.AdmissionCancelled) and e.spell_key is not None
    }
    for event in events:
        payload = event.payload
        if isinstance(payload, ev.Admitted) and event.spell_key in cancelled:
            key = event.spell_key
            assert key is not None
            found.append(
                _event(
                    f"{SOURCE}:request-cancelled:{key}",
                    cancelled[key],
                    br.BedRequestCancelled(key, ORG_OF_SITE[payload.site_code]),
                )
            )
        if (
            isinstance(payload, ev.Admitted)
            and payload.admission_method is ev.AdmissionMethod.EMERGENCY
            and payload.site_code in ACUTE
            and event.spell_key is not None
        ):
            found.extend(_placed(event, payload, event.spell_key, seed))
    for site in sorted(ACUTE):
        found.extend(_waiting(site, seed, horizon))
    return found


def _placed(event: ev.Event, admitted: ev.Admitted, spell: str, seed: int) -> Iterator[ev.Event]:
    rng = random.Random(f"{seed}:{spell}")
    waited = _wait(rng)
    decided = event.occurred_at - waited
    org = ORG_OF_SITE[admitted.site_code]
    yield _event(
        f"{SOURCE}:request:{spell}",
        decided,
        br.BedRequested(
            spell,
            org,
            admitted.site_code,
            admitted.patient_id,
            admitted.specialty or "General Medicine",
            side_room=rng.random() < 0.08,
            isolation=rng.random() < 0.04,
            sex=admitted.sex,
            nhs_number=admitted.nhs_number,
            local_id=admitted.local_id,
            family_name=admitted.family_name,
            given_name=admitted.given_name,
        ),
    )
    if admitted.bed and rng.random() < ALLOCATED:
        lead = min(timedelta(hours=rng.uniform(0.2, 1.5)), waited / 2)
        bed = admitted.bed
        if rng.random() < OTHER_BED:
            # Given a bed that was then needed for someone else.
            bed = rng.choice([b for b in BEDS[admitted.ward_code] if b != bed] or [bed])
        yield _event(
            f"{SOURCE}:allocation:{spell}",
            event.occurred_at - lead,
            br.BedAllocated(spell, org, admitted.ward_code, bed),
        )


def _waiting(site: str, seed: int, horizon: datetime) -> Iterator[ev.Event]:
    rng = random.Random(f"{seed}:waiting:{site}")
    org = ORG_OF_SITE[site]
    for n in range(rng.randint(*STILL_WAITING)):
        local_id = f"{site}ED{n:04d}"
        request = f"{org}:DTA-{site}-{n:04d}"
        yield _event(
            f"{SOURCE}:request:{request}",
            horizon - _wait(rng) - timedelta(minutes=rng.uniform(1, 30)),
            br.BedRequested(
                request,
                org,
                site,
                patient_key(org, None, site, local_id, "local_id"),
                rng.choice(
                    ("General Medicine", "General Medicine", "Elderly Care", "General Surgery")
                ),
                sex=rng.choice(("female", "male")),
                local_id=local_id,
                family_name=rng.choice(FAMILY_NAMES),
                given_name=rng.choice(GIVEN_NAMES),
            ),
        )
