"""Discharge predictions on the pages, over real HTTP on the served demo (its model trained
once per template, tests/web_site.py): the ward board's header and each patient's chance, the
overview's expected figures opening to their patients most likely first, another trust's
patients by initials only, and one plain line where no model has been trained."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from homeflow.domain.clock import SYSTEM_ZONE
from homeflow.services.discharge_predictions import DEFAULT_AT
from tests.support import ServerProcess
from tests.web_site import Site, rx1_ward_with_patients, signed_in

LATER = "discharge predictions are made at 06:00"


@pytest.fixture
def site(shared_site: Site) -> Site:
    return shared_site


def made_yet() -> bool:
    """Whether this morning's predictions are made (after 06:00 where the trust is)."""
    return datetime.now(UTC).astimezone(SYSTEM_ZONE).time() >= DEFAULT_AT


def test_the_board_shows_the_wards_expected_discharges_and_each_patients_chance(
    site: Site,
) -> None:
    page = signed_in(site, "nurse@rx1.test").get(f"/wards/{rx1_ward_with_patients(site)}").text
    if not made_yet():
        assert LATER in page
        return
    header = re.search(r'id="expected-discharges">(.*?)</p>', page, re.DOTALL)
    assert header is not None
    assert re.search(r"today \d+\.\d</strong> \(10–90% range \d+ to \d+\)", header.group(1))
    chances = re.findall(r'class="hf-clip nhsuk-body-s hf-chance">([^<]+)<', page)
    assert chances and all(
        re.fullmatch(r"likely (today|tomorrow) \d+%|by tomorrow \d+%", c) for c in chances
    ), chances


def test_an_expected_figure_lists_its_patients_most_likely_first(site: Site) -> None:
    client = signed_in(site, "flow@rx1.test")
    page = client.get("/overview?site=RX101").text
    if not made_yet():
        assert LATER in page
        return
    links = re.findall(r'href="(/overview/discharges\?ward=[^"]+)">([0-9.]+)<', page)
    assert links
    for link, shown in links[:4]:
        found = client.get(link.replace("&amp;", "&")).text
        chances = [float(c) for c in re.findall(r'data-chance="([0-9.]+)"', found)]
        assert chances == sorted(chances, reverse=True)
        assert f"{sum(chances):.1f}" == shown, (link, shown)


def test_another_trust_sees_the_figures_but_no_identifiable_rows(site: Site) -> None:
    if not made_yet():
        pytest.skip("this morning's predictions are made at 06:00")
    own = signed_in(site, "flow@rx1.test").get("/overview/discharges?site=RX101&horizon=today")
    other = signed_in(site, "cmht@rw1.test").get("/overview/discharges?site=RX101&horizon=today")
    assert own.status_code == other.status_code == 200
    assert "/spells/" in own.text and "NHS " in own.text
    rows = re.findall(r'data-chance="([0-9.]+)"', other.text)
    assert rows == re.findall(r'data-chance="([0-9.]+)"', own.text)
    assert "/spells/" not in other.text.split('id="people"', 1)[1]
    assert "NHS " not in other.text.split('id="people"', 1)[1]


def test_without_a_model_the_pages_say_so_in_one_line(site: Site, tmp_path: Path) -> None:
    server = ServerProcess(site.url, env={"HOMEFLOW_MODELS": str(tmp_path)})
    try:
        client = signed_in(Site(site.url, server.base), "flow@rx1.test")
        for path in ("/overview", f"/wards/{rx1_ward_with_patients(site)}",
                     "/overview/discharges?site=RX101&horizon=today"):  # fmt: skip
            page = client.get(path)
            assert page.status_code == 200, (path, page.text[:300])
            text = re.sub(r"<[^>]+>", "", page.text)
            assert text.count("no model has been trained") == 1, path
            assert "To train one, run homeflow predict train." in text
    finally:
        server.stop()


def test_a_row_sent_back_after_a_change_keeps_the_patients_chance(site: Site) -> None:
    from tests.integration.test_board_forms import HTMX, _post, _ward

    if not made_yet():
        pytest.skip("this morning's predictions are made at 06:00")
    client = signed_in(site, "nurse@rx1.test")
    typed = {"expected_discharge_date": "31/02/2026"}  # refused: nothing is stored
    _, answer = _post(client, _ward(site), 0, "edd", typed, headers=HTMX)
    assert answer.status_code == 400 and "<h1" not in answer.text
    assert 'class="hf-clip nhsuk-body-s hf-chance"' in answer.text
