"""Hypothesis strategies for valid spell event streams, shared by the fold and store tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import strategies as st

from homeflow.domain import events as ev

T0 = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)  # spans the clocks going forward
WARDS = ("W-A", "W-B", "W-C")


@st.composite
def spell_stream(draw: st.DrawFn, spell_key: str = "S1") -> list[ev.Event]:
    """A valid stream for one spell: admission, moves, flow records, maybe a discharge."""
    made: list[ev.Event] = []
    clock = T0 + timedelta(hours=draw(st.integers(0, 72)))

    def add(payload: ev.Payload, step_hours: int) -> None:
        nonlocal clock
        clock += timedelta(hours=step_hours, minutes=draw(st.integers(0, 59)))
        made.append(ev.Event(f"{spell_key}-{len(made)}", "test", clock, clock, spell_key, payload))

    add(ev.Admitted("P-" + spell_key, "SITE", draw(st.sampled_from(WARDS)), "01"), 0)
    for _ in range(draw(st.integers(0, 12))):
        step = draw(st.integers(1, 60))
        kind = draw(
            st.sampled_from(
                [
                    "transfer",
                    "cancel-transfer",
                    "edd",
                    "nctr",
                    "meets",
                    "reason",
                    "pathway",
                    "leave",
                    "referral",
                    "red",
                    "review",
                    "mh-delay",
                ]
            )
        )
        if kind == "transfer":
            add(ev.Transferred(draw(st.sampled_from(WARDS)), "02"), step)
        elif kind == "cancel-transfer":
            add(ev.TransferCancelled(), step)
        elif kind == "edd":
            add(
                ev.ExpectedDischargeDateSet(T0.date() + timedelta(days=draw(st.integers(0, 20)))),
                step,
            )
        elif kind == "nctr":
            ready = (clock + timedelta(hours=step)).date() - timedelta(days=draw(st.integers(0, 2)))
            add(ev.CriteriaToResideAssessed(False, discharge_ready_date=ready), step)
        elif kind == "meets":
            add(ev.CriteriaToResideAssessed(True, ("04",)), step)
        elif kind == "reason":
            add(ev.DelayReasonSet(reason=draw(st.sampled_from(["HP06", "CAP05", "IP11"]))), step)
        elif kind == "pathway":
            add(ev.PathwayAssigned(draw(st.sampled_from(["P0", "P1", "P2", "P3"]))), step)
        elif kind == "leave":
            add(ev.LeaveOfAbsenceStarted(), step)
            add(ev.LeaveOfAbsenceEnded(), draw(st.integers(1, 10)))
        elif kind == "referral":
            ref = f"R{len(made)}"
            add(ev.ReferralMade(ref, ev.ReferralService.REABLEMENT, "RY1"), step)
            add(ev.ReferralAccepted(ref), draw(st.integers(1, 30)))
        elif kind == "red":
            add(ev.RedGreenDayRecorded(clock.date(), ev.DayColour.RED, "Scan cancelled"), step)
        elif kind == "mh-delay":
            _mh_delay(draw, add, made, clock.date(), step)
        else:
            add(ev.SeniorReviewRecorded("Dr Ahmed"), step)
    ending = draw(st.sampled_from(["open", "discharged", "discharge-cancelled", "cancelled"]))
    if ending in ("discharged", "discharge-cancelled"):
        add(ev.Discharged(destination="usual residence"), draw(st.integers(1, 48)))
    if ending == "discharge-cancelled":
        add(ev.DischargeCancelled(), draw(st.integers(1, 5)))
    if ending == "cancelled":
        add(ev.AdmissionCancelled(), draw(st.integers(1, 5)))
    return made


def _mh_delay(
    draw: st.DrawFn,
    add: Callable[[ev.Payload, int], None],
    made: list[ev.Event],
    today: date,
    step: int,
) -> None:
    """A mental health delayed discharge period after the spell's others, each ended (by a
    second record of its id) before the next starts, so that no two share a day."""
    periods = [e.payload for e in made if isinstance(e.payload, ev.MhDelayRecorded)]
    latest = periods[-1] if periods else None
    start = today
    if latest is not None:
        if latest.end_date is None:
            end = max(latest.start_date, today)
            add(replace(latest, end_date=end), step)
            return
        start = max(start, latest.end_date)
    reason = draw(st.sampled_from(["07", "18", "98"]))
    period = ev.MhDelayRecorded(f"MH{len(periods)}", start, reason, "05")
    add(period, step)


def arrival_order(draw: st.DrawFn, stream: list[ev.Event]) -> list[ev.Event]:
    """The same events in any order, some delivered more than once."""
    delivered = draw(st.permutations(stream))
    repeats = draw(st.lists(st.sampled_from(stream), max_size=4)) if stream else []
    mixed = list(delivered) + repeats
    return draw(st.permutations(mixed))


LAST_DAY = date(2026, 4, 30)
