"""The discharge ready date page over HTTP: bad input answered beside its field, each trust's
patients named only to those who may know them, and a list of identified patients audited."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from homeflow.domain.clock import local_date
from homeflow.reports.drd import COLUMNS, DISCHARGED
from homeflow.store import schema as t
from tests.web_site import Site, rows_of, signed_in, spell_links

# Words and refusals of a page: the same on either engine (tests/conftest.py).
pytestmark = pytest.mark.one_engine


def last_month() -> str:
    return f"{local_date(datetime.now(UTC)).replace(day=1) - timedelta(days=1):%Y-%m}"


def test_a_month_or_grouping_it_cannot_use_comes_back_beside_its_field(shared_site: Site) -> None:
    client = signed_in(shared_site, "flow@rx1.test")
    page = client.get("/returns/drd", params={"month": "October", "by": "region"})
    assert page.status_code == 400
    assert (
        'id="month-error"' in page.text
        and "&#39;October&#39; is not a month (mm/yyyy)" in page.text
    )
    assert "&#39;region&#39; is not one of trust, site, ward, icb, council" in page.text
    assert 'value="October"' in page.text and "hf-figure" not in page.text
    listed = client.get(
        "/returns/drd/people",
        params={"month": last_month(), "by": "trust", "place": "RX1", "figure": "Everyone"},
    )
    assert listed.status_code == 400 and "figure" in listed.text


def test_a_trust_names_its_own_patients_and_not_another_trusts(shared_site: Site) -> None:
    client = signed_in(shared_site, "flow@rx1.test")
    month = last_month()
    lists = {
        org: client.get(
            "/returns/drd/people",
            params={"month": month, "by": "trust", "place": org, "figure": DISCHARGED},
        )
        for org in ("RX1", "RX2")
    }
    assert all(page.status_code == 200 for page in lists.values())
    own, other = (
        re.findall(r'<tr class="nhsuk-table__row">', page.text.split("<tbody", 1)[1])
        for page in lists.values()
    )
    if not own or not other:
        pytest.skip("the served demo's days reach into the last whole month only early in a month")
    assert spell_links(lists["RX1"].text)  # RX1's own patients open to their stays
    assert not spell_links(lists["RX2"].text)  # RX2's are initials and age
    audited = rows_of(
        shared_site,
        select(t.audit_log.c.what).where(t.audit_log.c.user_email == "flow@rx1.test"),
    )
    assert any(DISCHARGED in str(row) for row in audited)


def test_the_download_holds_the_pages_figures_in_the_publications_columns(
    shared_site: Site,
) -> None:
    client = signed_in(shared_site, "flow@rx1.test")
    month = last_month()
    page = client.get("/returns/drd", params={"month": month, "by": "trust"}).text
    assert f"/returns/drd.csv?month={month}&amp;by=trust" in page
    download = client.get("/returns/drd.csv", params={"month": month, "by": "trust"})
    assert download.status_code == 200
    assert f'filename="drd-trust-{month}.csv"' in download.headers["content-disposition"]
    header, *rows = list(csv.reader(io.StringIO(download.text)))
    assert tuple(header) == COLUMNS
    # The demo's two trusts, and any trust another test added to the shared site (a trust of
    # another board, with its own rows): the figures below must add up whoever is listed.
    trusts = [row[2] for row in rows]
    assert {"RX1", "RX2"} <= set(trusts) and len(trusts) == len(set(trusts))
    shown = [
        int(v)
        for v in re.findall(
            r'href="/returns/drd/people\?[^"]*figure=Total\+%23\+of[^"]*">(\d+)<', page
        )
    ]
    assert sum(int(row[4]) for row in rows) == sum(shown)
    assert client.get("/returns/drd.csv", params={"month": "2099-01"}).status_code == 400
