"""Tables. `events` is the source of truth; every other table but the organisation
registry is a projection that `homeflow rebuild` can drop and refold from the log. A module a
concern: the registry, the log and what arrives with it, the people who sign in, the
projections."""

from __future__ import annotations

from homeflow.store.schema.base import metadata
from homeflow.store.schema.log import (
    api_tokens,
    archived_spells,
    event_keys,
    events,
    feed_messages,
    fhir_encounters,
)
from homeflow.store.schema.people import (
    audit_log,
    login_failures,
    sign_in_flows,
    simulation_runs,
    users,
    web_sessions,
)
from homeflow.store.schema.projections import (
    PROJECTIONS,
    actions,
    bed_events,
    bed_occupancy,
    bed_request_records,
    bed_requests,
    bed_states,
    daily_census,
    day_ratings,
    delay_episodes,
    delay_reason_periods,
    patient_name_parts,
    patients,
    projection_marks,
    referrals,
    spells,
    stranded_reviews,
    ward_stays,
)
from homeflow.store.schema.registry import (
    organisations,
    sites,
    wards,
)

__all__ = [
    "PROJECTIONS",
    "actions",
    "api_tokens",
    "archived_spells",
    "audit_log",
    "bed_events",
    "bed_occupancy",
    "bed_request_records",
    "bed_requests",
    "bed_states",
    "daily_census",
    "day_ratings",
    "delay_episodes",
    "delay_reason_periods",
    "event_keys",
    "events",
    "feed_messages",
    "fhir_encounters",
    "login_failures",
    "metadata",
    "organisations",
    "patient_name_parts",
    "patients",
    "projection_marks",
    "referrals",
    "sign_in_flows",
    "simulation_runs",
    "sites",
    "spells",
    "stranded_reviews",
    "users",
    "ward_stays",
    "wards",
    "web_sessions",
]
