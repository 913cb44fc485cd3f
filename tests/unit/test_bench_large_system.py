"""bench/large_system.py writes each copy of the demo as the first copy's stored rows renamed:
a copied row must be the row the log stores for the copy's own event, places renamed to the
copy's and identities (issued by the copy's trust where they name one) made its own."""

from __future__ import annotations

from datetime import UTC, datetime

from bench.large_system import clone, copied_row, place_codes

from homeflow.domain import events as ev
from homeflow.domain.bed_requests import BedRequested
from homeflow.store.codec import event_to_row

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
ADMITTED = ev.Event(
    "demo:RX1:V00000042:admitted",
    "demo",
    AT,
    AT,
    "RX1:V00000042",
    ev.Admitted(
        "RX1:nhs:9434765919",
        "RX101",
        "RX101-M03",
        "07",
        nhs_number="9434765919",
        local_id="RX1010000042",
        family_name="Patel",
        local_authority="LAR01",
    ),
)
REQUESTED = ev.Event(
    "demo:RX2:V00000043:bed-requested",
    "demo",
    AT,
    AT,
    None,
    BedRequested("RX2:V00000043", "RX2", "RX201", "RX2:nhs:9434765870", "Cardiology"),
)


def test_the_second_copy_of_an_admission_is_on_its_own_ward_under_its_own_trust() -> None:
    copied = clone(ADMITTED, "K1", place_codes(1))
    assert copied.key == "demo:RX1:V00000042:admitted#K1"
    assert copied.spell_key == "RX1K1:V00000042K1"
    payload = copied.payload
    assert isinstance(payload, ev.Admitted)
    assert (payload.patient_id, payload.site_code, payload.ward_code, payload.bed) == (
        "RX1K1:nhs:9434765919K1",
        "RX101K1",
        "RX101K1-M03",
        "07",
    )
    # Not places nor identities of the copy: kept as they are.
    assert (payload.nhs_number, payload.family_name) == ("9434765919", "Patel")
    assert payload.local_authority == "LAR01K1"


def test_a_copied_log_row_is_the_row_of_the_copied_event() -> None:
    for event in (ADMITTED, REQUESTED):
        for copy in (1, 3):
            suffix, codes = f"K{copy}", place_codes(copy)
            assert copied_row("events", event_to_row(event), suffix, codes) == event_to_row(
                clone(event, suffix, codes)
            )


def test_a_bed_requests_record_is_renamed_inside_its_json() -> None:
    stored = {
        "request_id": "RX2:V00000043",
        "site_code": "RX201",
        "request": '{"org_code": "RX2", "request_id": "RX2:V00000043", "site_code": "RX201"}',
    }
    assert copied_row("bed_requests", stored, "K2", place_codes(2)) == {
        "request_id": "RX2K2:V00000043K2",
        "site_code": "RX201K2",
        "request": '{"org_code": "RX2K2", "request_id": "RX2K2:V00000043K2", '
        '"site_code": "RX201K2"}',
    }
