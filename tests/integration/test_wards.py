"""Wards' beds changed from a date in the browser (winter escalation beds), read by the census
and the capacity model; only an admin of the ward's trust or its system may."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from homeflow.domain.clock import local_date
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.beds import dated_beds
from homeflow.store.users import add_user
from tests.audit_faults import audit_log_down
from tests.support import homeflow
from tests.web_site import PASSWORD, Site, csrf_of, rows_of, signed_in


@pytest.fixture
def site(shared_site: Site) -> Site:
    return shared_site


def beds_on(site: Site, client: httpx.Client, ward: str, day: str) -> int:
    """The beds the census counts on a day: from the census itself for a day that has ended
    (it answers nothing about one that has not), else from the dated changes it reads."""
    if date.fromisoformat(day) < local_date(datetime.now(UTC)):
        rows = client.get(f"/api/census?date={day}").json()
        return int(next(r["beds"] for r in rows if r["ward_code"] == ward))
    registered = rows_of(site, select(t.wards.c.beds).where(t.wards.c.code == ward))[0][0]  # type: ignore[index]
    engine = db.connect(site.url)
    try:
        with engine.connect() as conn:
            return dated_beds(conn).beds_on(ward, date.fromisoformat(day), int(registered))
    finally:
        engine.dispose()


def test_escalation_beds_open_from_a_day_for_the_census_and_the_model(
    site: Site, tmp_path: Path
) -> None:
    today = local_date(datetime.now(UTC))
    opens = today + timedelta(days=40)
    admin = signed_in(site, "admin@qde.test")
    page = admin.get("/admin/wards").text

    def change(**fields: str) -> tuple[int, str]:
        data = {"csrf_token": csrf_of(page), "ward_code": "RX102-M01", **fields}
        answer = admin.post("/admin/wards", data=data)
        return answer.status_code, answer.text

    for fields, problem in (
        ({"from_day": "31/02/2027", "beds": "28"}, "from_day"),
        (
            {"from_day": f"{opens:%d/%m/%Y}", "beds": "28", "escalation_beds": "six"},
            "escalation_beds",
        ),
        ({"from_day": f"{opens:%d/%m/%Y}", "beds": "-1"}, "beds"),
    ):
        status, text = change(**fields)
        assert status == 400 and f'id="{problem}-error"' in text, (fields, text[-1500:])
    status, text = change(
        from_day=f"{opens:%d/%m/%Y}", beds="28", escalation_beds="6", reason="Winter <escalation>"
    )
    assert status == 200 and "6 escalation beds open" in text
    assert "Winter &lt;escalation&gt;" in text  # as typed, not markup
    assert beds_on(site, admin, "RX102-M01", (today - timedelta(days=1)).isoformat()) == 28
    assert beds_on(site, admin, "RX102-M01", today.isoformat()) == 28
    assert beds_on(site, admin, "RX102-M01", opens.isoformat()) == 34
    assert beds_on(site, admin, "RX102-M01", (opens + timedelta(days=3)).isoformat()) == 34

    # The capacity model starting before the change opens the beds on the day.
    out = tmp_path / "model.toml"
    first = (today - timedelta(days=9)).isoformat()
    last = (today - timedelta(days=1)).isoformat()
    made = homeflow(site.url, "calibrate", "--from", first, "--to", last, "--out", str(out))
    assert made.returncode == 0, made.stderr
    northgate = next(
        s for s in tomllib.loads(out.read_text())["service"] if s["name"].startswith("RX102")
    )
    assert northgate["capacity"] == 340
    assert {"from": opens, "set": 346.0} in [
        {k: v for k, v in c.items() if k in ("from", "set")} for c in northgate["capacity_change"]
    ]


def test_only_an_admin_of_the_ward_or_its_system_changes_its_beds(site: Site) -> None:
    engine = db.connect(site.url)
    add_user(engine, "admin@rx2.test", "RX2", "admin", PASSWORD)
    engine.dispose()
    other = signed_in(site, "admin@rx2.test")
    events_before = rows_of(site, select(func.count()).select_from(t.events))
    page = other.get("/admin/wards").text
    assert "RX201-M01" in page and "RX102-M01" not in page
    refused = other.post(
        "/admin/wards",
        data={"csrf_token": csrf_of(page), "ward_code": "RX102-M01", "from_day": "01/01/2030", "beds": "1"},
    )  # fmt: skip
    assert refused.status_code == 403
    assert rows_of(site, select(func.count()).select_from(t.events)) == events_before
    assert signed_in(site, "nurse@rx1.test").get("/admin/wards").status_code == 403


def test_a_change_to_beds_is_not_stored_without_its_audit_row(site: Site) -> None:
    admin = signed_in(site, "admin@qde.test")
    page = admin.get("/admin/wards").text
    data = {"csrf_token": csrf_of(page), "ward_code": "RX101-M01", "from_day": "01/01/2031", "beds": "3"}  # fmt: skip
    events = select(func.count()).select_from(t.events)
    before = rows_of(site, events)
    with audit_log_down(site.url):
        answer = admin.post("/admin/wards", data=data)
        assert answer.status_code == 503 and "nothing was changed" in answer.text
    assert rows_of(site, events) == before
    assert admin.post("/admin/wards", data=data).status_code == 200
    assert rows_of(site, events)[0][0] == before[0][0] + 1  # type: ignore[index]
