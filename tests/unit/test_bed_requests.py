"""The bed request fold: the same records in any order give the same requests; a wait is
never negative, ends at the placement, and is counted over 4 or 12 hours only past the mark."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from homeflow.domain import bed_requests as br

START = datetime(2026, 3, 2, 8, tzinfo=UTC)
PATIENTS = ("P1", "P2", "P3")


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[br.Recorded], list[br.Placement]]:
    records: list[br.Recorded] = []
    for n, patient in enumerate(PATIENTS):
        decided = START + timedelta(minutes=draw(st.integers(0, 600)))
        request = br.BedRequested(f"R{n}", "RX1", "RX101", patient, "General Medicine")
        records.append(br.Recorded(decided, f"k{n}", request))
        if draw(st.booleans()):
            at = decided + timedelta(minutes=draw(st.integers(0, 900)))
            allocated = br.BedAllocated(f"R{n}", "RX1", "RX101-M01", f"{n:02d}")
            records.append(br.Recorded(at, f"a{n}", allocated))
        if draw(st.booleans()):
            at = decided + timedelta(minutes=draw(st.integers(0, 900)))
            records.append(br.Recorded(at, f"c{n}", br.BedRequestCancelled(f"R{n}", "RX1")))
    placements = [
        br.Placement(
            draw(st.sampled_from(PATIENTS)),
            draw(st.sampled_from(("RX101", "RX102"))),
            "RX101-M01",
            draw(st.sampled_from(("00", "01", None))),
            START + timedelta(minutes=draw(st.integers(0, 1800))),
        )
        for _ in range(draw(st.integers(0, 4)))
    ]
    return records, placements


@settings(max_examples=40, deadline=None)
@given(histories(), st.randoms(use_true_random=False))
def test_the_fold_does_not_depend_on_the_order_records_arrive(
    history: tuple[list[br.Recorded], list[br.Placement]], rng: random.Random
) -> None:
    records, placements = history
    shuffled = list(records)
    rng.shuffle(shuffled)
    assert br.fold_requests(shuffled, reversed(placements)) == br.fold_requests(records, placements)


@settings(max_examples=40, deadline=None)
@given(histories())
def test_a_wait_ends_at_its_placement_on_its_own_site_and_is_never_negative(
    history: tuple[list[br.Recorded], list[br.Placement]],
) -> None:
    records, placements = history
    now = START + timedelta(days=2)
    for request in br.fold_requests(records, placements).values():
        waited = request.waited(now)
        if request.status is br.RequestStatus.CANCELLED:
            assert waited is None and request.placed is None
            continue
        assert waited is not None and waited >= timedelta(0)
        if request.placed is not None:
            assert request.placed.site_code == "RX101"
            assert request.placed.patient_id == request.request.patient_id
            assert request.placed.at == request.decided_at + waited


def _placed_after(hours: float) -> br.BedRequest:
    request = br.BedRequested("R", "RX1", "RX101", "P1", "General Medicine")
    at = START + timedelta(hours=hours)
    [found] = br.fold_requests(
        [br.Recorded(START, "k", request)], [br.Placement("P1", "RX101", "W", "01", at)]
    ).values()
    return found


def test_the_marks_count_only_past_4_and_12_hours() -> None:
    counted = br.waits([_placed_after(h) for h in (4, 4 + 1 / 60, 12, 12 + 1 / 60)])
    assert [len(counted.over_four_hours), len(counted.over_twelve_hours)] == [3, 1]
    assert br.marks(timedelta(hours=4)) == "" and br.marks(timedelta(hours=12)) == "over 4 hours"


def test_the_90th_centile_is_a_wait_someone_had() -> None:
    counted = br.waits([_placed_after(h) for h in range(1, 11)])
    assert counted.ninetieth_centile_hours == 9.0 and counted.mean_hours == 5.5
    assert br.waits([]).mean_hours is None


def test_another_trust_cannot_cancel_or_allocate_a_request() -> None:
    request = br.BedRequested("R", "RX1", "RX101", "P1", "General Medicine")
    records = [
        br.Recorded(START, "k", request),
        br.Recorded(START, "a", br.BedAllocated("R", "RX2", "RX201-M01", "01")),
        br.Recorded(START, "c", br.BedRequestCancelled("R", "RX2")),
    ]
    [found] = br.fold_requests(records, []).values()
    assert found.status is br.RequestStatus.WAITING
