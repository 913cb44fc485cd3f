"""Journey 9, leaving mental-health services well (JOURNEYS.md), walked in Debian's Chromium
at 1024x768 by a community mental-health team (cmht@rw1.test): from the first appointment a
recovery plan in the person's words with success criteria and target dates, a carer offered an
assessment, peer reviews at the milestones; once the goals are met, the discharge decision tool,
shared with the person and their carer as a summary with the team's telephone number and a
letter to their GP practice signed by their care coordinator; a check-in period with direct
re-access; and, when the person disagrees, the arbitration panel. No console errors and no
sideways scrolling on any page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from homeflow.domain.clock import local_date
from tests.browser.pages import browser_errors, browser_sign_in, follow, page_width
from tests.browser.test_community_pages import save
from tests.web_site import Site

TEAM = "Riverside Community Mental Health Team"
COORDINATOR = "Priya Shah, OT"
PRACTICE = "Northgate Surgery"


def ago(days: int) -> str:
    """A day as typed on a tablet, dd/mm/yyyy."""
    return f"{local_date(datetime.now(UTC)) - timedelta(days=days):%d/%m/%Y}"


def _fits(page: object) -> None:
    width = page_width(page)
    assert width <= page.evaluate("window.innerWidth"), page.url  # type: ignore[attr-defined]


def test_a_person_leaves_the_team_well_and_can_come_back(
    journey_site: Site, browser: object
) -> None:
    site = journey_site
    page = browser_sign_in(browser, site, "cmht@rw1.test", viewport=(1024, 768))
    errors = browser_errors(page)
    page.goto(site.base + "/community")  # type: ignore[attr-defined]
    follow(page, page.get_by_role("link", name=f"{TEAM} (RW1)"))  # type: ignore[attr-defined]
    page.wait_for_url("**/community?team=*")  # type: ignore[attr-defined]
    _fits(page)
    page.locator("summary", has_text="Take someone onto the caseload").click()  # type: ignore[attr-defined]
    for name, value in {
        "nhs_number": "943 476 5919", "given_name": "Grace", "family_name": "Hopper",
        "birth_date": "09/12/1976", "referral_received": ago(200), "opened_on": ago(190),
        "lead_professional": COORDINATOR, "referred_by": "GP", "gp_practice": PRACTICE,
    }.items():  # fmt: skip
        page.fill(f"#{name}", value)  # type: ignore[attr-defined]
    page.click("text=Open the episode")  # type: ignore[attr-defined]
    page.wait_for_url("**/community/episodes/*")  # type: ignore[attr-defined]
    episode = page.url  # type: ignore[attr-defined]
    assert page.locator("dt:has-text('GP practice') + dd").inner_text() == PRACTICE  # type: ignore[attr-defined]

    # From the first appointment: a goal in Grace's words, the plan agreed, a carer offered an
    # assessment, a contact; peer reviews at twelve weeks and before the decision.
    save(page, "goal", {
        "description": "Get back to my allotment", "life_area": "physical-health",
        "success_criteria": "There twice a week for a month", "target_date": ago(60),
        "recorded_on": ago(185), "who_helps": "Peer support worker",
    })  # fmt: skip
    save(page, "plan-agreed", {"agreed_on": ago(185), "agreed_by": "Grace with Priya", "crisis_plan": "Call the crisis line"})  # fmt: skip
    save(page, "carer", {"name": "Alan Hopper", "relationship": "Husband", "assessment": "offered", "recorded_on": ago(180), "local_authority": "Riverside City Council"})  # fmt: skip
    save(page, "contact", {"on": ago(170), "kind": "appointment", "colour": "green"})
    save(page, "peer-review", {"milestone": "week-12", "held_on": ago(106), "challenge": "Is the plan still Grace's own?", "outcome": "Continue", "participants": "Priya Shah\nPeer reviewer"})  # fmt: skip
    page.locator("#plan + p + div tbody tr").first.get_by_role("link", name="Note progress").click()  # type: ignore[attr-defined]
    page.wait_for_url("**?goal=*")  # type: ignore[attr-defined]
    save(page, "goal", {"recorded_on": ago(58), "achievement": "achieved", "progress_note": "Goes Tuesdays and Fridays"})  # fmt: skip
    save(page, "peer-review", {"milestone": "before-discharge", "held_on": ago(12), "challenge": "Are the risks held outside services?", "outcome": "Agreed", "participants": "Priya Shah\nCrisis team"})  # fmt: skip
    _fits(page)

    # The decision tool starts from the plan, and from the care coordinator who decides.
    tool = page.locator("#discharge-decision-form")  # type: ignore[attr-defined]
    assert "1 of 1 goals achieved" in tool.locator("#goals_met").input_value()
    assert tool.locator("#decided_by").input_value() == COORDINATOR
    save(page, "discharge-decision", {
        "risks": "Early signs known to Grace and Alan", "gp_arrangements": "Continue sertraline",
        "support_outside": "Allotment society; recovery college course",
        "crisis_and_reaccess": "Crisis line; straight back to the team during check-in",
        "person_view": "Ready, a bit nervous", "carer_view": "Glad there is a way back",
        "choice": "check-in", "decided_on": ago(10),
    })  # fmt: skip

    # Shared with Grace and Alan: the team's number and how to get back in touch.
    follow(page, page.get_by_role("link", name="Summary for Grace and carer"))  # type: ignore[attr-defined]
    page.wait_for_url("**/letters/summary")  # type: ignore[attr-defined]
    summary = " ".join(page.inner_text("body").split())  # type: ignore[attr-defined]
    assert f"Call {TEAM} on 01632 960301." in summary
    assert (
        "During your check-in period you can contact the team directly, without a new referral;"
        f" after it, ask your GP at {PRACTICE} to refer you back to us." in summary
    )
    assert "call NHS 111 and choose the option for mental health" in summary
    _fits(page)
    # The GP letter: to the practice, about Grace, signed by her care coordinator.
    page.goto(episode)  # type: ignore[attr-defined]
    follow(page, page.get_by_role("link", name="Letter for the GP"))  # type: ignore[attr-defined]
    page.wait_for_url("**/letters/gp-letter")  # type: ignore[attr-defined]
    letter = page.inner_text("body")  # type: ignore[attr-defined]
    assert f"To: {PRACTICE}" in letter and f"Dear colleagues at {PRACTICE}," in letter
    assert "Grace Hopper has moved to a check-in period with the team" in letter
    assert not re.search(r"\b(you|your)\b", letter, re.IGNORECASE)
    signed = letter[letter.index("Yours sincerely") :].split("\n")
    assert [line for line in signed if line.strip()][1:4] == [
        COORDINATOR,
        f"Care coordinator, {TEAM}",
        "Demo Mental Health NHS Foundation Trust",
    ]
    _fits(page)

    # Check-in from the last routine appointment; Grace comes back during it, directly.
    page.goto(episode)  # type: ignore[attr-defined]
    save(page, "check-in-started", {"last_routine_on": ago(9), "ends_on": ago(-33)})
    status = page.locator("dt:has-text('Status') + dd").inner_text()  # type: ignore[attr-defined]
    assert status.startswith("Check in until ")
    save(page, "episode-reopened", {"reopened_on": ago(2), "reason": "Lost her job; low mood"})
    assert page.locator("dt:has-text('Status') + dd").inner_text() == "Open"  # type: ignore[attr-defined]

    # Later Grace does not agree that her care should end: the arbitration panel reviews it.
    save(page, "discharge-decision", {
        "risks": "Housing unsettled; low mood", "gp_arrangements": "Continue sertraline",
        "support_outside": "Allotment society", "crisis_and_reaccess": "Crisis line",
        "person_view": "Not ready while housing is unsettled", "choice": "disputed",
        "decided_on": ago(1),
    })  # fmt: skip
    save(page, "arbitration", {
        "referred_on": ago(1), "question": "Is discharge safe while housing is unsettled?",
        "members": "Clinical: consultant psychiatrist\nWider agency: council housing lead\nLegal: trust solicitor\nAdvocate: independent advocate",
        "hearing_due": ago(-13),
    })  # fmt: skip
    panel = page.locator("#arbitration + dl").inner_text()  # type: ignore[attr-defined]
    assert "Is discharge safe while housing is unsettled?" in panel
    assert "Advocate: independent advocate" in panel
    _fits(page)
    assert not errors, errors
    page.close()  # type: ignore[attr-defined]
