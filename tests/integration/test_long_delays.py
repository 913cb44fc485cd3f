"""The longest delays and internal delays over 48 hours on the daily call (docs/daily-call.md):
each count opens to a list as long, another trust's user sees none of RX1's patients by name
or NHS number, and the CSV has the columns the documentation names."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from homeflow.domain.clock import local_date
from homeflow.domain.privacy import format_nhs_number
from homeflow.store import schema as t
from homeflow.store.access.long_delays import CSV_COLUMNS
from tests.web_site import Site, rows_of, signed_in

DOCS = Path(__file__).parents[2] / "docs" / "daily-call.md"


@pytest.fixture(scope="module")
def site(shared_site: Site) -> Site:
    return shared_site


def _listed(page: str) -> int:
    body = page.split('<tbody class="nhsuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    return body.count('<tr class="nhsuk-table__row" id="delay-')


def test_the_daily_calls_counts_open_to_lists_as_long(site: Site) -> None:
    client = signed_in(site, "flow@rx1.test")
    page = client.get("/daily-call").text
    section = page.split('id="longest-delays"', 1)[1].split("</table>", 1)[0]
    figures = re.findall(r'href="(/daily-call/delays\?[^"]+)">(\d+)<', section)
    assert len(figures) >= 4  # two lists, for a site or more and the whole system
    assert any(int(n) for _, n in figures), "the demo has no long or internal delay"
    for link, figure in figures:
        answer = client.get(unescape(link))
        assert answer.status_code == 200, link
        assert _listed(answer.text) == int(figure), link


def _nhs_numbers_of_rx1_patients_not_in_rw1s_care(site: Site) -> set[str]:
    s, r = t.spells, t.referrals
    referred = select(r.c.spell_key).where(r.c.provider_org == "RW1")
    found = rows_of(
        site,
        select(t.patients.c.nhs_number)
        .join(s, s.c.patient_id == t.patients.c.patient_id)
        .where(s.c.site_code.like("RX1%"), s.c.spell_key.not_in(referred)),
    )
    numbers = [str(row[0]) for row in found if row[0]]  # type: ignore[index]
    return {format_nhs_number(n) for n in numbers}


def test_another_trusts_user_sees_no_identifiable_row_of_rx1s_patients(site: Site) -> None:
    hidden = _nhs_numbers_of_rx1_patients_not_in_rw1s_care(site)
    assert hidden
    other = signed_in(site, "cmht@rw1.test")
    yesterday = local_date(datetime.now(UTC)) - timedelta(days=1)
    shown = 0
    for kind in ("longest", "internal"):
        for day in ("", f"&day={yesterday:%d/%m/%Y}"):
            query = f"kind={kind}&level=trust&place=RX1{day}"
            page = other.get(f"/daily-call/delays?{query}").text
            shown += _listed(page)
            assert not any(n in page for n in hidden), query
            assert "/spells/RX1" not in page, query  # no patient of RX1 opens for RW1
            export = other.get(f"/daily-call/delays.csv?{query}")
            assert export.status_code == 200
            rows = list(csv.DictReader(io.StringIO(export.text)))
            assert all(r["organisation"] == "RX1" and not r["nhs_number"] for r in rows)
            assert all(re.fullmatch(r"[A-Z?]{1,2}", r["patient"]) for r in rows), query
    assert shown, "RX1 has no long or internal delay to hide"
    # RX1's own discharge team sees its patients by name and NHS number.
    own = signed_in(site, "flow@rx1.test").get(
        "/daily-call/delays.csv?kind=longest&level=trust&place=RX1"
    )
    assert any(r["nhs_number"] for r in csv.DictReader(io.StringIO(own.text)))


def test_the_csvs_columns_are_documented(site: Site) -> None:
    export = signed_in(site, "flow@rx1.test").get("/daily-call/delays.csv?kind=internal")
    assert next(csv.reader(io.StringIO(export.text))) == list(CSV_COLUMNS)
    documented = DOCS.read_text("utf-8")
    assert all(f"`{column}`" in documented for column in CSV_COLUMNS)


def test_a_list_names_what_it_cannot_show(site: Site) -> None:
    client = signed_in(site, "flow@rx1.test")
    for query, field in (
        ("kind=shortest", "kind"),
        ("kind=longest&level=ward&place=NOWHERE", "place"),
        ("kind=longest&level=county", "level"),
    ):
        answer = client.get(f"/daily-call/delays?{query}")
        assert answer.status_code == 400, query
        assert field in answer.text, query


def test_the_measures_chart_each_list_by_pathway_and_a_days_point_opens_to_its_patients(
    site: Site,
) -> None:
    client = signed_in(site, "flow@rx1.test")
    page = client.get("/measures?level=site&place=RX101&period=daily").text
    specs = [
        json.loads(unescape(found))
        for found in re.findall(
            r'<script type="application/json" id="spec-\d+">(.*?)</script>', page
        )
    ]
    charted = [s for s in specs if "discharge ready date at midnight: P" in json.dumps(s["title"])]
    assert charted, "no chart of the longest delays by pathway"
    points = [p for s in charted for p in s["data"]["values"] if p["value"]][-3:]
    assert points
    for point in points:
        listed = client.get(point["people"])
        assert listed.status_code == 200
        assert _listed(listed.text) == point["value"], point["people"]
