"""The patient fold: who a patient is, from admissions, detail updates and merges."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from homeflow.domain import events as ev
from homeflow.domain.organisations import Patient


def fold_patients(patient_events: Iterable[ev.Event]) -> dict[str, Patient]:
    """Every patient's latest details, keyed by patient id, in occurred order."""
    patients: dict[str, Patient] = {}
    for event in sorted(patient_events, key=lambda e: e.fold_order):
        p = event.payload
        if isinstance(p, ev.Admitted):
            known = patients.get(p.patient_id)
            patients[p.patient_id] = Patient(
                p.patient_id,
                p.nhs_number or (known.nhs_number if known else None),
                p.local_id or (known.local_id if known else None),
                p.family_name or (known.family_name if known else ""),
                p.given_name or (known.given_name if known else ""),
                p.birth_date or (known.birth_date if known else None),
                p.sex or (known.sex if known else None),
                p.local_authority or (known.local_authority if known else None),
            )
        elif isinstance(p, ev.PatientDetailsUpdated):
            base = patients.get(p.patient_id) or Patient(
                p.patient_id, None, None, "", "", None, None
            )
            changes = {
                name: value
                for name in (
                    "nhs_number",
                    "local_id",
                    "family_name",
                    "given_name",
                    "birth_date",
                    "sex",
                    "local_authority",
                )
                if (value := getattr(p, name)) is not None
            }
            patients[p.patient_id] = replace(base, **changes)
    return patients


def merged_into(patient_events: Iterable[ev.Event]) -> dict[str, str]:
    """Retired patient id → surviving id, following chains of merges."""
    links: dict[str, str] = {}
    for event in sorted(patient_events, key=lambda e: e.fold_order):
        if isinstance(event.payload, ev.PatientsMerged):
            links[event.payload.merged_patient_id] = event.payload.patient_id
    return {retired: surviving_id(links, retired) for retired in links}


def surviving_id(links: Mapping[str, str], patient_id: str) -> str:
    seen = {patient_id}
    while patient_id in links:
        patient_id = links[patient_id]
        if patient_id in seen:  # a merge loop: stop where it closes
            break
        seen.add(patient_id)
    return patient_id
