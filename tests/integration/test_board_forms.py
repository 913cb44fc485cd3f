"""The whiteboard's in-cell forms and the self-assessment's entries over HTTP (issue 29,
finding 3 and part of 15): a refused change keeps what was typed in the cell tapped, with
every problem beside its field; a conflict shows the other user's value and keeps the user's
own; a red day shows its reason; the EDD filter catches a passed EDD."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import func, select

from homeflow.domain.clock import local_date
from homeflow.store import schema as t
from tests.web_site import Site, csrf_of, rows_of, signed_in

HTMX = {"HX-Request": "true"}


@pytest.fixture
def site(shared_site: Site) -> Site:
    return shared_site


def _ward(site: Site) -> str:
    """RX1's second fullest medical ward (the fullest is other tests' to change)."""
    s = t.spells
    found = rows_of(
        site,
        select(s.c.ward_code)
        .where(s.c.status == "admitted", s.c.ward_code.like("RX101-M%"))
        .group_by(s.c.ward_code)
        .order_by(func.count().desc(), s.c.ward_code),
    )
    return str(found[1][0])  # type: ignore[index]


def _rows(page: str) -> dict[str, str]:
    """Each patient's row of a board by its spell key."""
    return {
        html.unescape(key): row
        for row in re.findall(r'<tr class="nhsuk-table__row[^"]*" id="row-.*?</tr>', page, re.S)
        for key in re.findall(r'action="/spells/([^"/]+)/record/edd"', row)[:1]
    }


def _post(client: httpx.Client, ward: str, nth: int, form: str, fields: dict[str, str], **kw):  # type: ignore[no-untyped-def]
    """Post a cell's form of the nth patient on the board as the board shows it."""
    page = client.get(f"/wards/{ward}").text
    key, row = list(_rows(page).items())[nth]
    form_html = re.search(rf'action="/spells/[^"]+/record/{form}".*?</form>', row, re.S)
    assert form_html, f"no {form} form"
    hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form_html.group(0)))
    data = {k: html.unescape(v) for k, v in hidden.items()} | fields
    return key, client.post(f"/spells/{key}/record/{form}", data=data, **kw)


def _open_cell(answer: str) -> str:
    opened = re.findall(r"<details[^>]*\bopen\b.*?</details>", answer, re.S)
    assert len(opened) == 1, opened
    return opened[0]


def test_a_refused_cell_stays_open_with_what_was_typed_and_every_problem(site: Site) -> None:
    client, ward = signed_in(site, "nurse@rx1.test"), _ward(site)
    typed = {"expected_discharge_date": "31/02/2026", "clinical_criteria": "x" * 10_000}
    for headers in (HTMX, {}):  # in place with HTMX, the whole board without JavaScript
        key, answer = _post(client, ward, 0, "edd", typed, headers=headers)
        assert answer.status_code == 400
        cell = _open_cell(answer.text)
        assert 'action="/spells/' in cell and "/record/edd" in cell
        assert 'value="31/02/2026"' in cell and 'value="' + "x" * 10_000 + '"' in cell
        assert "is not a date (dd/mm/yyyy)" in cell and "10,000 characters; at most 2,000" in cell
        assert cell.count('class="nhsuk-error-message"') == 2  # each beside its field
        bed = re.search(r'<th scope="row".*?</th>', answer.text, re.S)
        assert bed and "Not saved" not in bed.group(0)  # not in the narrow bed column
    assert headers == {} and "<h1" in answer.text  # the page, not only the row
    # A red day without its reason keeps the colour chosen and says what is missing.
    _, answer = _post(client, ward, 0, "day", {"colour": "red", "red_reason": " "}, headers=HTMX)
    cell = _open_cell(answer.text)
    assert answer.status_code == 400 and "/record/day" in cell
    assert '<option value="red" selected>' in cell and "a red day needs the reason" in cell
    stored = rows_of(site, select(func.count()).select_from(t.events).where(
        t.events.c.spell_key == unquote(key), t.events.c.recorded_by == "nurse@rx1.test"))  # fmt: skip
    assert stored[0][0] == 0  # type: ignore[index]


def test_a_conflict_shows_their_value_and_keeps_mine(site: Site) -> None:
    nurse, flow, ward = (
        signed_in(site, "nurse@rx1.test"),
        signed_in(site, "flow@rx1.test"),
        _ward(site),
    )
    page = nurse.get(f"/wards/{ward}").text  # the nurse opens the board...
    key, row = list(_rows(page).items())[1]
    form_html = re.search(r'action="/spells/[^"]+/record/edd".*?</form>', row, re.S).group(0)  # type: ignore[union-attr]
    hidden = {
        k: html.unescape(v)
        for k, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form_html)
    }
    # ...the flow lead saves an EDD first...
    _, saved = _post(flow, ward, 1, "edd", {"expected_discharge_date": "03/02/2031", "clinical_criteria": "Walking with a frame"}, headers=HTMX)  # fmt: skip
    assert saved.status_code == 200
    # ...and the nurse's save, from what she saw, is refused in the cell she tapped.
    mine = {"expected_discharge_date": "10/02/2031", "clinical_criteria": "Second opinion"}
    answer = nurse.post(f"/spells/{key}/record/edd", data=hidden | mine, headers=HTMX)
    assert answer.status_code == 409
    cell = _open_cell(answer.text)
    theirs = re.search(r"They saved:(.*?)</p>", cell, re.S)
    assert theirs and "03/02/2031" in theirs.group(1) and "Walking with a frame" in theirs.group(1)
    assert "flow@rx1.test" in cell
    assert 'value="10/02/2031"' in cell and 'value="Second opinion"' in cell


def test_the_board_shows_why_a_day_is_red_and_catches_a_passed_edd(site: Site) -> None:
    client, ward = signed_in(site, "nurse@rx1.test"), _ward(site)
    today = local_date(datetime.now(UTC))
    _, red = _post(client, ward, 2, "day", {"colour": "red", "red_reason": "Planned scan cancelled"}, headers=HTMX)  # fmt: skip
    shown = 'hf-red-reason">Planned scan cancelled</span>'  # in the Today cell, not only a form
    assert red.status_code == 200 and shown in red.text
    passed = f"{today - timedelta(days=3):%d/%m/%Y}"
    spell, edd = _post(client, ward, 2, "edd", {"expected_discharge_date": passed, "clinical_criteria": ""}, headers=HTMX)  # fmt: skip
    assert edd.status_code == 200
    board = client.get(f"/wards/{ward}")
    assert shown in _rows(board.text)[spell]
    due = client.get(f"/wards/{ward}", params={"only": "edd-due"})
    assert due.status_code == 200 and "EDD passed, today or tomorrow" in due.text
    assert spell in _rows(due.text)  # an overdue EDD is on the list
    for row in _rows(due.text).values():
        shown = re.search(r'name="expected_discharge_date" value="(\d\d)/(\d\d)/(\d{4})"', row)
        assert shown, "a patient without an EDD on the EDD list"
        day = datetime(int(shown.group(3)), int(shown.group(2)), int(shown.group(1))).date()
        assert day <= today + timedelta(days=1)


def test_a_self_assessment_entry_must_say_something_with_real_dates(site: Site) -> None:
    client = signed_in(site, "coordinator@qde.test")
    base = re.findall(
        r'href="(/improvement/assessments/QDE/[^"/]+/[^"/]+)"', client.get("/improvement").text
    )[0]
    page = client.get(base).text
    item = re.search(r'name="item_code" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    cells = ("where_now", "status", "spread", "gaps", "to_do", "when_by", "owner", "evidence")
    before = rows_of(site, select(func.count()).select_from(t.events).where(t.events.c.type == "assessment-entry-recorded"))  # fmt: skip
    blank = dict.fromkeys(cells, "") | {"owner": "Head of flow", "when_by": "by 31/02/2027"}
    added = client.post(
        f"{base}/entries", data={"csrf_token": csrf_of(page), "item_code": item, **blank}
    )
    assert added.status_code == 400
    assert "say where the change stands now" in added.text
    assert "&#39;31/02/2027&#39; is not a date (dd/mm/yyyy)" in added.text
    assert ">by 31/02/2027</textarea>" in added.text and ">Head of flow</textarea>" in added.text
    assert added.text.count('class="nhsuk-error-message"') == 2
    entry = re.findall(rf'href="({re.escape(base)}/entries/[^"]+)"', page)[0]
    form = client.get(entry).text
    seen = re.search(r'name="seen" value="([^"]*)"', form).group(1)  # type: ignore[union-attr]
    edited = client.post(entry, data={"csrf_token": csrf_of(form), "seen": seen, **dict.fromkeys(cells, ""), "when_by": "31/02/2027"})  # fmt: skip
    assert edited.status_code == 400 and edited.text.count('class="nhsuk-error-message"') == 2
    assert ">31/02/2027</textarea>" in edited.text
    after = rows_of(site, select(func.count()).select_from(t.events).where(t.events.c.type == "assessment-entry-recorded"))  # fmt: skip
    assert after == before  # nothing stored


def test_the_collaborative_forms_name_every_problem_and_keep_what_was_typed(site: Site) -> None:
    client = signed_in(site, "coordinator@qde.test")
    csrf = csrf_of(client.get("/improvement/collaborative").text)
    gathering = {"kind": "peer-visit", "gathering_id": "Bad Id", "title": "", "starts": "31/02/2027", "findings": "Board rounds at 08:30 every day"}  # fmt: skip
    refused = client.post("/improvement/collaborative/gatherings", data={"csrf_token": csrf, **gathering})  # fmt: skip
    assert refused.status_code == 400
    beside = re.findall(r'class="nhsuk-error-message" id="([a-z_]+)-error"', refused.text)
    assert beside == ["gathering_id", "title", "starts"]
    assert ">Board rounds at 08:30 every day</textarea>" in refused.text
    assert '<option value="peer-visit" selected>' in refused.text
    score = {"team": "", "month": "13/2026", "score": "1.5", "scored_by": "faculty"}
    refused = client.post("/improvement/collaborative/scores", data={"csrf_token": csrf, **score})
    assert refused.status_code == 400
    beside = re.findall(r'class="nhsuk-error-message" id="([a-z_]+)-error"', refused.text)
    assert beside == ["team", "month"]
    assert '<option value="1.5" selected>' in refused.text and 'value="13/2026"' in refused.text


def test_a_beds_status_is_set_on_the_board_in_its_row_and_without_javascript(site: Site) -> None:
    """The board's bed control posts to the site's beds page's write: a refused change opens
    the control again on why and stores nothing; a saved one comes back in its row (HTMX) or
    as the board (without JavaScript); a change from a stale board is a conflict."""
    client, ward = signed_in(site, "nurse@rx1.test"), _ward(site)

    def form_of(bed: str | None = None) -> dict[str, str]:
        page = client.get(f"/wards/{ward}").text
        forms = re.findall(r'<form method="post" action="/beds".*?</form>', page, re.S)
        found = [
            {k: html.unescape(v) for k, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', f)}
            for f in forms
        ]  # fmt: skip
        assert found, "no bed status control on the board"
        return next(f for f in reversed(found) if bed in (None, f["bed"]))

    def stored() -> int:
        e = t.events.c
        found = rows_of(site, select(func.count()).where(e.type == "bed-status-set", e.recorded_by == "nurse@rx1.test"))  # fmt: skip
        return int(found[0][0])  # type: ignore[index]

    hidden = form_of()
    bed, before = hidden["bed"], stored()
    answer = client.post("/beds", data=hidden | {"status": "closed"}, headers=HTMX)
    assert answer.status_code == 400 and "choose why the bed is closed" in _open_cell(answer.text)
    assert stored() == before
    answer = client.post(
        "/beds", data=hidden | {"status": "isolated"}, headers=HTMX, follow_redirects=True
    )
    assert answer.status_code == 200 and stored() == before + 1
    shown = form_of(bed)
    assert shown["seen"].startswith("isolated@")
    answer = client.post("/beds", data=hidden | {"status": "free"})  # from the stale board
    assert answer.status_code == 409 and "now reads Isolated" in _open_cell(answer.text)
    answer = client.post("/beds", data=shown | {"status": "free"})
    assert answer.status_code == 303 and answer.headers["location"].startswith(f"/wards/{ward}#")
    assert form_of(bed)["seen"].startswith("free@") and stored() == before + 2
