"""Journey 4, the care transfer hub's morning (JOURNEYS.md), walked in Chromium at 1024x768 as
the community trust's hub (hub@ry1.test): open referrals by pathway, each count opening to as
many referrals; a reablement referral accepted on a trusted assessment; NHS Continuing
Healthcare checklists followed to the decision within 28 days, the breaches listed; housing and
personal health budgets with their time to decision."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from tests.browser.pages import browser_errors, browser_sign_in, fits_the_width, follow, submit
from tests.support import homeflow
from tests.web_site import Site


def _event(key: str, kind: str, days_ago: float, spell: str, payload: dict[str, object]) -> str:
    at = datetime.now(UTC) - timedelta(days=days_ago)
    return json.dumps(
        {
            "key": f"hub-journey:{key}",
            "type": kind,
            "source": "cli",
            "occurred_at": at.isoformat(timespec="seconds"),
            "spell_key": spell,
            "payload": payload,
        }
    )


def _two_late_chc_cases(site: Site) -> None:
    """Two stays the hub follows past the standard: one decided on day 33 after leaving
    hospital, one still waiting on day 35 on the ward. Each referred to RY1's reablement, so
    the hub sees their names."""
    lines = []
    for n, (family, admitted, checklist) in enumerate(
        (("Latedecided", 50, 45), ("Stillwaiting", 40, 35))
    ):
        spell = f"RX1:VHUBJ{n}"
        lines += [
            _event(
                f"{n}a",
                "admitted",
                admitted,
                spell,
                {
                    "patient_id": f"RX1:HUBJ{n}",
                    "site_code": "RX101",
                    "ward_code": "RX101-M01",
                    "family_name": family,
                    "given_name": "Hub",
                    "birth_date": "1940-02-03",
                },
            ),
            _event(
                f"{n}r",
                "referral-made",
                admitted - 1,
                spell,
                {
                    "referral_id": f"{spell}-R1",
                    "service": "reablement",
                    "provider_org": "RY1",
                },
            ),
            _event(f"{n}c", "chc-checklist-completed", checklist, spell, {"outcome": "positive"}),
        ]
    today = datetime.now(UTC).date()
    lines += [
        _event("0d", "discharged", 30, "RX1:VHUBJ0", {"destination": "usual residence"}),
        _event(
            "0t",
            "chc-assessment-recorded",
            12,
            "RX1:VHUBJ0",
            {
                "assessment_date": (today - timedelta(days=20)).isoformat(),
                "setting": "community",
                "decision_date": (today - timedelta(days=12)).isoformat(),
                "eligible": True,
            },
        ),
    ]
    done = homeflow(site.url, "append", "-", stdin="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr + done.stdout


def _figure(page: object, href: str) -> int:
    text = page.locator(f'a.hf-figure[href="{href}"]').first.inner_text()  # type: ignore[attr-defined]
    return int(re.match(r"[\d,]+", text).group(0).replace(",", ""))  # type: ignore[union-attr]


def _check(page: object) -> None:
    assert fits_the_width(page), page.url  # type: ignore[attr-defined]


def test_the_hubs_morning(journey_site: Site, browser: object) -> None:
    _two_late_chc_cases(journey_site)
    page = browser_sign_in(browser, journey_site, "hub@ry1.test", viewport=(1024, 768))
    errors = browser_errors(page)

    # Open referrals by pathway: each count opens to that many, in that pathway's table only.
    page.goto(journey_site.base + "/referrals")  # type: ignore[attr-defined]
    _check(page)
    assert page.locator("h1").inner_text() == "Care transfer hub"  # type: ignore[attr-defined]
    p1 = _figure(page, "/referrals?service=&org=&pathway=P1#referrals")
    assert p1 > 0
    follow(
        page,
        page.locator('a.hf-figure[href="/referrals?service=&org=&pathway=P1#referrals"]').first,
    )  # type: ignore[attr-defined]
    _check(page)
    assert (
        f"Pathway 1: home with support: {p1:,} open referral"
        in page.locator("h2#referrals").inner_text()
    )  # type: ignore[attr-defined]
    assert page.locator("table[id^=pathway-]").evaluate_all("ts => ts.map(t => t.id)") == [
        "pathway-P1"
    ]  # type: ignore[attr-defined]

    # A reablement referral accepted on the ward's trusted assessment, without a second visit.
    page.select_option("#service", "reablement")  # type: ignore[attr-defined]
    submit(page, page.locator("form.hf-filters button"))  # type: ignore[attr-defined]
    answerable = page.locator("option[value=accept]")  # type: ignore[attr-defined]
    row = page.locator("tr[data-referral]").filter(has=answerable).first  # type: ignore[attr-defined]
    form = row.locator("form")
    patient = row.locator("td").first.inner_text().splitlines()[0]
    form.locator("select").select_option("accept")
    form.locator("input[type=checkbox]").check()
    form.locator("button").click()
    page.wait_for_url("**/referrals")  # type: ignore[attr-defined]
    page.goto(journey_site.base + "/referrals?service=reablement")  # type: ignore[attr-defined]
    answered = page.locator("tr[data-referral]", has_text=patient).first  # type: ignore[attr-defined]
    assert "trusted assessment" in answered.inner_text() and "accepted" in answered.inner_text()

    # CHC: the positive checklists followed to the decision; the breaches listed by name.
    page.goto(journey_site.base + "/referrals#chc")  # type: ignore[attr-defined]
    breached = _figure(page, "/referrals/chc?show=breached")
    assert breached >= 2
    assert _figure(page, "/referrals/chc?show=breached-waiting") >= 1
    assert _figure(page, "/referrals/chc?show=breached-decided") >= 1
    follow(page, page.locator('a.hf-figure[href="/referrals/chc?show=breached"]').first)  # type: ignore[attr-defined]
    _check(page)
    rows = page.locator("tr[data-case]")  # type: ignore[attr-defined]
    assert rows.count() == breached
    late = rows.filter(has_text="LATEDECIDED, Hub").inner_text()
    assert "eligible" in late and "breached" in late and "outside hospital" in late
    assert "Left Riverside General Hospital on" in late
    waiting = rows.filter(has_text="STILLWAITING, Hub").inner_text()
    assert "overdue" in waiting and "Waiting" in waiting and "35" in waiting
    assert not re.search(r"\d{4}-\d{2}-\d{2}", page.locator("main").inner_text())  # type: ignore[attr-defined]

    # Housing and personal health budgets: requests with their time to decision.
    for service in ("housing", "personal-health-budget"):
        page.goto(journey_site.base + "/referrals#decisions")  # type: ignore[attr-defined]
        href = f"/referrals/requests?service={service}&show=all"
        made = _figure(page, href)
        follow(page, page.locator(f'a.hf-figure[href="{href}"]').first)  # type: ignore[attr-defined]
        _check(page)
        assert page.locator("tr[data-request]").count() == made  # type: ignore[attr-defined]
        assert f"{made:,} request" in page.locator("#count").inner_text()  # type: ignore[attr-defined]
    assert errors == []
