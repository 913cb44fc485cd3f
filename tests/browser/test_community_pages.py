"""A community mental-health team takes someone from their first appointment to the end of
their check-in in Debian's Chromium, under the real Content-Security-Policy: plan, contacts,
peer review, the discharge decision tool with its summary and GP letter (printed as PDF),
check-in and the episode closing. (The accessibility check of these pages is in test_pages.py,
the one test that bypasses the policy.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from homeflow.domain.clock import local_date
from tests.browser.pages import browser_errors, browser_sign_in
from tests.web_site import Site, signed_in


def ago(days: int) -> str:
    return (local_date(datetime.now(UTC)) - timedelta(days=days)).isoformat()


def save(page: object, form: str, fields: dict[str, str]) -> None:
    """Open a form's section, fill it in, save, and come back to the page."""
    section = page.locator(f"#{form}-form")  # type: ignore[attr-defined]
    if section.get_attribute("open") is None:  # a form the page opened already stays open
        section.locator("summary").click()
    for name, value in fields.items():
        control = section.locator(f"[name={name}]")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        elif control.get_attribute("type") == "checkbox":
            control.check()
        else:
            control.fill(value)
    section.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**#{form}")  # type: ignore[attr-defined]


def test_a_service_user_from_first_appointment_to_the_end_of_check_in(
    changing_site: Site, browser: object
) -> None:
    site = changing_site
    page = browser_sign_in(browser, site, "cmht@rw1.test")
    errors = browser_errors(page)
    page.click("text=Community")  # type: ignore[attr-defined]
    page.wait_for_url("**/community")  # type: ignore[attr-defined]
    page.locator("summary", has_text="Take someone onto the caseload").click()  # type: ignore[attr-defined]
    for name, value in {
        "nhs_number": "9434765919",
        "given_name": "Grace",
        "family_name": "Hopper",
        "birth_date": "1976-12-09",
        "referral_received": ago(130),
        "opened_on": ago(120),
        "lead_professional": "Sam Okafor, CPN",
    }.items():
        page.fill(f"#{name}", value)  # type: ignore[attr-defined]
    page.click("text=Open the episode")  # type: ignore[attr-defined]
    page.wait_for_url("**/community/episodes/*")  # type: ignore[attr-defined]
    episode = page.url  # type: ignore[attr-defined]
    assert page.locator("h1").inner_text() == "Hopper, Grace"  # type: ignore[attr-defined]

    save(page, "goal", {
        "description": "Get back to <my> allotment", "life_area": "physical-health",
        "success_criteria": "There twice a week for a month", "target_date": ago(60),
        "recorded_on": ago(110), "who_helps": "Peer support worker",
    })  # fmt: skip
    save(page, "plan-agreed", {"agreed_on": ago(110), "agreed_by": "Grace with Sam", "crisis_plan": "Call the crisis line"})  # fmt: skip
    save(page, "contact", {"on": ago(100), "kind": "appointment", "colour": "red", "red_reason": "No purpose agreed beforehand"})  # fmt: skip
    save(page, "contact", {"on": ago(90), "kind": "home-visit", "colour": "green", "dialog": "3,4,2,4,3,4,5,5,4,3,4", "more_help": "3"})  # fmt: skip
    save(page, "carer", {"name": "Alan Hopper", "relationship": "Husband", "assessment": "done", "recorded_on": ago(95), "local_authority": "Riverside City Council"})  # fmt: skip
    goal_row = page.locator("#plan + p + div tbody tr").first  # type: ignore[attr-defined]
    assert "Get back to <my> allotment" in goal_row.inner_text()
    # "Note progress" opens the goal's form filled in with where it stands.
    goal_row.get_by_role("link", name="Note progress").click()
    page.wait_for_url("**?goal=*")  # type: ignore[attr-defined]
    described = page.locator("#goal-form #description").input_value()  # type: ignore[attr-defined]
    assert described == "Get back to <my> allotment"
    save(page, "goal", {"recorded_on": ago(58), "achievement": "achieved", "progress_note": "Goes Tuesdays and Fridays"})  # fmt: skip
    save(page, "peer-review", {"milestone": "week-12", "held_on": ago(36), "challenge": "What would let Grace leave us?", "outcome": "Discharge planning to start", "participants": "Sam Okafor\nPeer reviewer"})  # fmt: skip
    save(page, "signpost", {"need": "physical-activity", "on": ago(50)})
    save(page, "peer-review", {"milestone": "before-discharge", "held_on": ago(53), "challenge": "Are the risks held outside services?", "outcome": "Agreed", "participants": "Sam Okafor\nCrisis team"})  # fmt: skip

    # The decision tool starts from the plan: the goals and the signposted service.
    assert (
        "1 of 1 goals achieved" in page.locator("#discharge-decision-form #goals_met").input_value()
    )  # type: ignore[attr-defined]
    save(page, "discharge-decision", {
        "risks": "Early signs known to Grace and Alan", "gp_arrangements": "GP continues sertraline",
        "crisis_and_reaccess": "Crisis line; straight back to the team during check-in",
        "person_view": "Ready, a bit nervous", "carer_view": "Glad there is a way back",
        "choice": "check-in", "decided_on": ago(52), "decided_by": "Sam Okafor",
    })  # fmt: skip
    page.click("text=Letter for the GP")  # type: ignore[attr-defined]
    page.wait_for_url("**/letters/gp-letter")  # type: ignore[attr-defined]
    letter = page.inner_text("body")  # type: ignore[attr-defined]
    assert (
        "HOPPER, Grace" in letter
        and "943 476 5919" in letter
        and "GP continues sertraline" in letter
    )
    assert "Get back to <my> allotment: achieved" in letter
    page.goto(episode)  # type: ignore[attr-defined]
    cookies = signed_in(site, "cmht@rw1.test").cookies
    for kind in ("summary", "gp-letter"):
        printed = httpx.get(f"{episode}/letters/{kind}.pdf", cookies=cookies, timeout=120)
        assert printed.status_code == 200 and printed.headers["content-type"] == "application/pdf"
        assert printed.content.startswith(b"%PDF") and len(printed.content) > 5000

    # Check-in from the last routine appointment; it ended a week ago with no re-access.
    save(page, "check-in-started", {"last_routine_on": ago(50), "ends_on": ago(8)})
    status = page.locator("dt:has-text('Status') + dd").inner_text()  # type: ignore[attr-defined]
    assert status.startswith("Closed on ") and "check in ended" in status
    save(page, "episode-closed", {"closed_on": ago(8), "reason": "check-in-ended", "letter_issued_on": ago(6)})  # fmt: skip
    assert "Record a contact" not in page.content()  # type: ignore[attr-defined]
    assert not errors, errors

    # The council's social worker, without Grace's consent, is refused her plan in the browser.
    council = browser_sign_in(browser, site, "social-worker@lar01.test")
    refused = council.goto(episode)  # type: ignore[attr-defined]
    assert refused.status == 403
    assert "Hopper" not in council.content() and "allotment" not in council.content()  # type: ignore[attr-defined]
    council.close()  # type: ignore[attr-defined]

    page.close()  # type: ignore[attr-defined]
