"""Every route that writes is held by a test of who may write through it: a user or token of
another organisation (or system) is refused and stores nothing, and the owner's own write is
kept with its audit row, or not at all. A new write route fails here until it has both."""

from __future__ import annotations

import importlib

from fastapi import APIRouter

from homeflow.web import api, fhir, pages

SECURITY = "tests.integration.test_security"
OWNERSHIP = "tests.integration.test_record_ownership"
COMMUNITY = "tests.integration.test_community_ownership"
FEEDS = "tests.integration.test_feed_owners"
SCENARIOS = "tests.integration.test_scenario_access::test_a_scenario_route_answers_as_the_rule_says"
ACCOUNTS = "tests.integration.test_accounts"
IMPROVEMENT = (
    f"{OWNERSHIP}::test_improvement_records_are_changed_only_by_their_systems_keepers",
    f"{OWNERSHIP}::test_an_improvement_write_whose_audit_row_fails_stores_nothing",
)
SESSIONS = (
    # A person's own session: nobody else's record is written; cross-site posts are refused.
    f"{SECURITY}::test_a_cross_site_sign_in_or_post_is_refused",
    "tests.integration.test_sign_in_throttle::test_failures_from_one_address_never_refuse_a_right_password",
)

# (method, path): (the test refusing other organisations, the test failing the audit log).
WRITES: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/fhir/Encounter"): (
        "tests.integration.test_feed_organisations::test_fhir_an_encounter_naming_another_organisation_is_refused",
        "tests.integration.test_fhir::test_an_encounter_is_not_stored_without_its_audit_row",
    ),
    ("PUT", "/fhir/Encounter/{resource_id}"): (
        "tests.integration.test_fhir::test_an_encounter_is_changed_only_by_its_own_organisation",
        "tests.integration.test_fhir::test_an_encounter_is_not_stored_without_its_audit_row",
    ),
    ("POST", "/sign-in"): SESSIONS,
    ("POST", "/sign-out"): SESSIONS,
    ("POST", "/sign-out-everywhere"): (
        f"{SECURITY}::test_a_cross_site_sign_in_or_post_is_refused",
        "tests.integration.test_sessions::test_sign_out_everywhere_and_an_admin_ending_sessions",
    ),
    ("POST", "/spells/{spell_key}/record/{form_name}"): (
        f"{SECURITY}::test_no_organisation_writes_to_another_organisations_patients",
        f"{SECURITY}::test_no_change_is_stored_without_its_audit_row",
    ),
    ("POST", "/spells/{spell_key}/support"): (
        f"{OWNERSHIP}::test_support_episodes_are_changed_only_by_the_organisation_holding_them",
        f"{OWNERSHIP}::test_a_support_episode_whose_audit_row_fails_stores_nothing",
    ),
    ("POST", "/stranded/{spell_key}/review"): (
        "tests.integration.test_stranded_review::test_another_organisations_team_cannot_review_a_trusts_patient",
        "tests.integration.test_stranded_review::test_a_review_whose_audit_row_fails_stores_nothing",
    ),
    ("POST", "/home-care/runs"): (
        SCENARIOS,
        "tests.integration.test_scenario_access::test_a_scenario_write_is_not_kept_without_its_audit_row",
    ),
    ("POST", "/improvement/assessments"): IMPROVEMENT,
    ("POST", "/improvement/assessments/{system}/{framework}/{day}/entries/{entry_id}"): IMPROVEMENT,
    ("POST", "/improvement/assessments/{system}/{framework}/{day}/entries"): IMPROVEMENT,
    ("POST", "/improvement/projects"): IMPROVEMENT,
    ("POST", "/improvement/projects/{system}/{project_id}/pdsas"): IMPROVEMENT,
    ("POST", "/improvement/projects/{system}/{project_id}/pdsas/{pdsa_id}"): IMPROVEMENT,
    ("POST", "/improvement/actions"): IMPROVEMENT,
    ("POST", "/improvement/actions/{system}/{action_id}"): IMPROVEMENT,
    ("POST", "/improvement/smart-list/{level}/{place}"): IMPROVEMENT,
    ("POST", "/improvement/collaborative/{what}"): IMPROVEMENT,
    ("POST", "/community/episodes"): (
        f"{COMMUNITY}::test_only_the_teams_organisation_takes_someone_onto_its_caseload",
        f"{COMMUNITY}::test_a_write_whose_audit_row_fails_stores_nothing",
    ),
    ("POST", "/community/episodes/{episode_id}/{form}"): (
        f"{COMMUNITY}::test_every_form_is_recorded_only_by_the_organisation_holding_the_episode",
        f"{COMMUNITY}::test_a_write_whose_audit_row_fails_stores_nothing",
    ),
    ("POST", "/community/directory/{service_id}/review"): (
        f"{COMMUNITY}::test_the_directory_is_assured_by_its_own_systems_coordinators_and_admins_only",
        f"{COMMUNITY}::test_a_write_whose_audit_row_fails_stores_nothing",
    ),
    ("POST", "/admin/users"): (
        f"{ACCOUNTS}::test_only_an_admin_of_the_organisation_or_its_system_runs_its_accounts",
        f"{ACCOUNTS}::test_no_account_changes_without_its_audit_row",
    ),
    ("POST", "/admin/users/change"): (
        f"{ACCOUNTS}::test_changing_an_account_elsewhere_is_answered_as_an_address_nobody_has",
        f"{ACCOUNTS}::test_no_account_changes_without_its_audit_row",
    ),
    ("POST", "/feeds/{source}/mapping"): (
        f"{FEEDS}::test_a_feed_is_changed_and_replayed_by_nobody_else",
        f"{FEEDS}::test_with_the_audit_log_failing_a_mapping_or_replay_stores_nothing",
    ),
    ("POST", "/feeds/{source}/replay"): (
        f"{FEEDS}::test_a_feed_is_changed_and_replayed_by_nobody_else",
        f"{FEEDS}::test_with_the_audit_log_failing_a_mapping_or_replay_stores_nothing",
    ),
    ("POST", "/opel"): (
        "tests.integration.test_opel::test_a_provider_enters_only_its_own_opel_parameters",
        "tests.integration.test_opel::test_an_opel_entry_whose_audit_row_fails_stores_nothing",
    ),
    ("POST", "/coordination/allocate"): (
        "tests.integration.test_coordination::test_only_the_sites_own_team_gives_beds_and_records_decisions_to_admit",
        "tests.integration.test_coordination::test_a_bed_request_write_whose_audit_row_fails_stores_nothing",
    ),
    ("POST", "/coordination/requests"): (
        "tests.integration.test_coordination::test_only_the_sites_own_team_gives_beds_and_records_decisions_to_admit",
        "tests.integration.test_coordination::test_a_bed_request_write_whose_audit_row_fails_stores_nothing",
    ),
    ("POST", "/beds"): (
        "tests.integration.test_bed_state_page::test_only_the_wards_trust_sets_its_beds",
        "tests.integration.test_bed_state_page::test_a_bed_status_is_not_stored_without_its_audit_row",
    ),
    ("POST", "/admin/wards"): (
        "tests.integration.test_wards::test_only_an_admin_of_the_ward_or_its_system_changes_its_beds",
        "tests.integration.test_wards::test_a_change_to_beds_is_not_stored_without_its_audit_row",
    ),
}


def _scenario_writes() -> dict[tuple[str, str], tuple[str, str]]:
    audit = "tests.integration.test_scenario_access::test_a_scenario_write_is_not_kept_without_its_audit_row"
    return {route: (SCENARIOS, audit) for route in _routes() if route[1].startswith("/scenarios")}


def _routes() -> set[tuple[str, str]]:
    routers: tuple[APIRouter, ...] = (fhir.router, api.router, *pages.ROUTERS)
    return {
        (method, route.path)  # type: ignore[attr-defined]
        for router in routers
        for route in router.routes
        for method in route.methods  # type: ignore[attr-defined]
        if method not in ("GET", "HEAD")
    }


def test_every_write_route_is_held_by_its_tests() -> None:
    held = {**WRITES, **_scenario_writes()}
    assert _routes() == set(held)
    for refused, audited in held.values():
        for named in (refused, audited):
            module, _, test = named.partition("::")
            assert hasattr(importlib.import_module(module), test), named
