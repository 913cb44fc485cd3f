"""Journey 10, keeping the feeds honest (JOURNEYS.md), walked in Debian's Chromium at 1024x768
by the integration engineer (admin@qde.test, the system's admin, who runs its trusts' feeds):
the feeds page shows each trust's PAS feed from the demo with its messages, last message, lag
and what was held and refused with the field and the reason; RX1 renamed a ward in its PAS and
the admissions sent under the new name are held: the engineer opens one as sent, maps the new
name in the feed's mapping, and replays the feed; the held admissions are stored, nothing lost,
and the message with a date that is no date stays refused. No console errors and no sideways
scrolling on any page."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest

from homeflow.services.demo_feeds import write_mappings
from tests.browser.pages import browser_errors, browser_sign_in, page_width
from tests.web_site import Site


@pytest.fixture(scope="module", autouse=True)
def mappings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The journey's site keeps its feeds' mappings in a folder of its own (the demo's, as
    `homeflow demo` writes them), not in the working tree's var/mappings."""
    folder = tmp_path_factory.mktemp("mappings")
    write_mappings(folder)
    before = os.environ.get("HOMEFLOW_MAPPINGS")
    os.environ["HOMEFLOW_MAPPINGS"] = str(folder)
    yield
    if before is None:
        del os.environ["HOMEFLOW_MAPPINGS"]
    else:
        os.environ["HOMEFLOW_MAPPINGS"] = before


def _fits(page: object) -> None:
    width = page_width(page)
    assert width <= page.evaluate("window.innerWidth"), page.url  # type: ignore[attr-defined]


def _health(page: object, source: str) -> list[str]:
    """The feed's row of the health table: feed, last hour, last day, last, lag, refused, held."""
    row = page.locator("#feeds tbody tr").filter(has_text=source)  # type: ignore[attr-defined]
    return [c.strip() for c in row.locator("td").all_inner_texts()]


def test_the_integration_engineer_fixes_a_renamed_ward_and_replays_the_feed(
    journey_site: Site, browser: object
) -> None:
    page = browser_sign_in(browser, journey_site, "admin@qde.test", viewport=(1024, 768))
    errors = browser_errors(page)
    feeds = page.get_by_role("link", name="Feeds", exact=True)  # type: ignore[attr-defined]
    if not feeds.count():  # at 1024 px the header keeps the last links under "More"
        page.locator(".nhsuk-header__menu-toggle").click()  # type: ignore[attr-defined]
    feeds.first.click()
    page.wait_for_url("**/feeds")  # type: ignore[attr-defined]
    _fits(page)

    # Each trust's PAS feed, its last message, its lag and what it refused and held.
    for source in ("rx1-pas", "rx2-pas", "ry1-pas"):
        feed, _hour, _day, last, lag, refused, held = _health(page, source)
        assert feed == source
        assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", last), last
        assert lag == "–" or re.fullmatch(r"\d+ s", lag), lag
        assert int(refused) >= 1, source
    assert int(_health(page, "rx1-pas")[6]) >= 1  # held: the renamed ward

    # A held admission, opened as the PAS sent it: the ward under its new name.
    section = page.locator("h2#feed-rx1-pas + p + div table")  # type: ignore[attr-defined]
    held_row = section.locator("tbody tr").filter(has_text="is not mapped to a homeflow ward")
    held = held_row.count()
    assert held >= 1
    first = held_row.first
    assert first.locator("td").nth(3).inner_text() == "PV1-3"
    first.locator("summary").click()
    assert "ACORN^" in first.locator("pre").inner_text()
    refused_row = section.locator("tbody tr").filter(has_text="month must be in 1..12")
    assert refused_row.count() >= 1
    assert refused_row.first.locator("td").nth(3).inner_text() == "EVN-6"
    _fits(page)

    # The mapping learns the new name; the feed is replayed.
    mapping = page.locator("#mapping-rx1-pas")  # type: ignore[attr-defined]
    text = mapping.input_value()
    assert 'organisation = "RX1"' in text
    mapping.fill(text.rstrip("\n") + '\n"RX101/ACORN" = "RX101-M01"\n')
    mapping.locator("xpath=ancestor::form").get_by_role("button", name="Save the mapping").click()
    page.get_by_text("The rx1-pas mapping is saved.").wait_for()  # type: ignore[attr-defined]
    assert '"RX101/ACORN" = "RX101-M01"' in page.locator("#mapping-rx1-pas").input_value()  # type: ignore[attr-defined]
    page.get_by_role(  # type: ignore[attr-defined]
        "button", name="Replay rx1-pas's refused and held messages"
    ).click()
    done = page.get_by_text(re.compile(r"^rx1-pas replayed: "))  # type: ignore[attr-defined]
    done.wait_for()
    assert f"{held} applied" in done.inner_text()
    assert "rejected" in done.inner_text()  # the misdated message is still refused
    assert _health(page, "rx1-pas")[6] == "0"  # nothing held any more
    section = page.locator("h2#feed-rx1-pas + p + div table")  # type: ignore[attr-defined]
    assert section.locator("tbody tr").filter(has_text="not mapped").count() == 0
    assert section.locator("tbody tr").filter(has_text="month must be in 1..12").count() >= 1
    _fits(page)
    assert errors == []
