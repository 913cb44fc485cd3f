"""Corrections on the spell page, an action's organisation and due date, and a ward's beds,
through the real server on each engine (issue 29, findings 1, 2 and the ward beds of 15).

- A discharge ready date lies between the admission and today: outside, it is refused naming
  the field and the bound; a correction is a new version that takes effect (the spell page,
  the projection the board and daily call read, and the capacity model's stay history); the
  same date again says "Nothing changed" and stores nothing.
- An action's owning organisation is chosen from the registry by name; a code that is not one
  is refused, as is a due date before today or more than a year ahead; every problem at once,
  beside its field, what was typed kept. The actions tracker's own form the same.
- A ward's beds are never cut below the patients in it now.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, select

from homeflow.domain.clock import today
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.codec import stored_local_date
from homeflow.store.queries import stay_history
from tests.web_site import Site, csrf_of, rows_of, signed_in


@pytest.fixture
def site(shared_site: Site) -> Site:
    return shared_site


def _events(site: Site) -> int:
    return int(rows_of(site, select(func.count()).select_from(t.events))[0][0])  # type: ignore[index]


def _day(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _a_stay_in_rx1(site: Site, taken: set[str]) -> tuple[str, date]:
    """An RX1 patient in hospital for three days or more, meeting the criteria to reside (or
    not assessed), with no actions yet: their key and admission day."""
    s = t.spells
    rows = rows_of(
        site,
        select(s.c.spell_key, s.c.admitted_at)
        .where(
            s.c.status == "admitted",
            s.c.site_code.like("RX1%"),
            s.c.discharge_ready_date.is_(None),
            s.c.spell_key.not_in(select(t.actions.c.spell_key)),
        )
        .order_by(s.c.spell_key),
    )
    for key, admitted in rows:  # type: ignore[misc]
        admitted_on = stored_local_date(admitted)
        if key not in taken and admitted_on <= today() - timedelta(days=3):
            taken.add(key)
            return str(key), admitted_on
    raise AssertionError("no RX1 patient in hospital three days or more")


_taken: set[str] = set()


def _form(page: str, form: str) -> dict[str, str]:
    """The hidden fields of one of the page's forms (its CSRF token and what it showed)."""
    found = re.search(rf'id="form-{form}".*?name="seen" value="([^"]*)"', page, re.S)
    assert found, f"no {form} form on the page"
    return {"csrf_token": csrf_of(page), "seen": found.group(1), "view": "page"}


def _post(client: httpx.Client, key: str, form: str, **fields: str) -> httpx.Response:
    page = client.get(f"/spells/{quote(key, safe='')}").text
    data = {**_form(page, form), "next": f"/spells/{quote(key, safe='')}", **fields}
    return client.post(f"/spells/{quote(key, safe='')}/record/{form}", data=data)


def _ready_in_projection(site: Site, key: str) -> date | None:
    s = t.spells
    found = rows_of(site, select(s.c.discharge_ready_date).where(s.c.spell_key == key))
    return found[0][0]  # type: ignore[index,no-any-return]


def test_a_ready_date_is_bounded_and_a_correction_takes_effect(site: Site) -> None:
    key, admitted_on = _a_stay_in_rx1(site, _taken)
    nurse = signed_in(site, "flow@rx1.test")
    before = _events(site)

    future = today() + timedelta(days=20)
    answer = _post(nurse, key, "criteria", meets="no", discharge_ready_date=_day(future))
    assert answer.status_code == 400, answer.text[-800:]
    assert f"is {_day(future)}, after today" in answer.text
    assert 'id="discharge_ready_date-error"' in answer.text  # beside the field
    assert f'value="{_day(future)}"' in answer.text  # as typed
    early = admitted_on - timedelta(days=1)
    answer = _post(nurse, key, "criteria", meets="no", discharge_ready_date=_day(early))
    assert answer.status_code == 400
    assert f"is {_day(early)}, before the admission ({_day(admitted_on)})" in answer.text
    assert _events(site) == before

    saved = _post(nurse, key, "criteria", meets="no", discharge_ready_date=_day(today()))
    assert saved.status_code == 303 and "saved=criteria" in saved.headers["location"]
    assert _ready_in_projection(site, key) == today()
    corrected = admitted_on + timedelta(days=1)
    saved = _post(nurse, key, "criteria", meets="no", discharge_ready_date=_day(corrected))
    assert saved.status_code == 303 and "saved=criteria" in saved.headers["location"]
    assert _ready_in_projection(site, key) == corrected  # the board and the call read this
    page = nurse.get(saved.headers["location"]).text
    assert f"ready for discharge from {_day(corrected)}" in page
    assert _events(site) == before + 2

    again = _post(nurse, key, "criteria", meets="no", discharge_ready_date=_day(corrected))
    assert again.status_code == 303 and "unchanged=criteria" in again.headers["location"]
    assert "Nothing changed" in nurse.get(again.headers["location"]).text
    assert _events(site) == before + 2

    # Met again, then ready again today: the stay's ready date is the last period's.
    assert _post(nurse, key, "criteria", meets="yes", criteria="02").status_code == 303
    assert _post(nurse, key, "criteria", meets="no", discharge_ready_date=_day(today())).status_code == 303  # fmt: skip
    engine = db.connect(site.url)
    try:
        history = stay_history(engine, admitted_on, today())
    finally:
        engine.dispose()
    admitted_at = rows_of(site, select(t.spells.c.admitted_at).where(t.spells.c.spell_key == key))
    ours = [r for r in history if _same_instant(r["admitted_at"], admitted_at[0][0])]  # type: ignore[index]
    assert [r["ready_at"].date() for r in ours] == [today()]


def _same_instant(aware: datetime, stored: datetime) -> bool:
    return aware.replace(tzinfo=None) == stored


def test_an_actions_organisation_comes_from_the_registry_and_its_due_date_is_bounded(
    site: Site,
) -> None:
    key, _ = _a_stay_in_rx1(site, _taken)
    flow = signed_in(site, "flow@rx1.test")
    page = flow.get(f"/spells/{quote(key, safe='')}").text
    assert '<option value="RX1">North Riverside Hospitals NHS Trust</option>' in page
    before = _events(site)

    answer = _post(flow, key, "action", description="", owner="", owner_org="ZZZ99", due_date="01/01/2099")  # fmt: skip
    assert answer.status_code == 400, answer.text[-800:]
    for name in ("description", "owner", "owner_org", "due_date"):
        assert f'id="{name}-error"' in answer.text, name  # every problem, beside its field
    assert "&#39;ZZZ99&#39; is not an organisation of the registry" in answer.text
    assert "is 01/01/2099, after a year from today" in answer.text
    answer = _post(flow, key, "action", description="Chase the <care> package", owner="Sam", owner_org="RX1", due_date="01/01/2020")  # fmt: skip
    assert answer.status_code == 400
    assert f"is 01/01/2020, before today ({_day(today())})" in answer.text
    assert 'value="Chase the &lt;care&gt; package"' in answer.text  # kept, as text
    assert 'id="description-error"' not in answer.text
    assert _events(site) == before

    due = today() + timedelta(days=7)
    saved = _post(flow, key, "action", description="Chase the package", owner="Sam", owner_org="RY1", due_date=_day(due))  # fmt: skip
    assert saved.status_code == 303, saved.text[-800:]
    a = t.actions
    stored = rows_of(site, select(a.c.owner_org, a.c.due_date).where(a.c.spell_key == key))
    assert [tuple(r) for r in stored] == [("RY1", due)]  # type: ignore[call-overload]


def test_the_actions_trackers_form_names_every_problem_at_once(site: Site) -> None:
    coordinator = signed_in(site, "coordinator@qde.test")
    page = coordinator.get("/improvement/actions").text
    assert '<option value="RX1">North Riverside Hospitals NHS Trust</option>' in page
    before = _events(site)
    form = {"csrf_token": csrf_of(page), "description": "", "owner": "Ann", "owner_org": "ZZZ99", "due_date": "01/01/2020"}  # fmt: skip
    answer = coordinator.post("/improvement/actions", data=form)
    assert answer.status_code == 400
    for name in ("description", "owner_org", "due_date"):
        assert f'id="{name}-error"' in answer.text, name
    assert 'value="Ann"' in answer.text
    assert _events(site) == before


def test_a_wards_beds_are_not_cut_below_the_patients_in_it(site: Site) -> None:
    s = t.spells
    counts = rows_of(
        site,
        select(s.c.ward_code, func.count())
        .where(s.c.status == "admitted", s.c.site_code.like("RX1%"))
        .group_by(s.c.ward_code)
        .order_by(func.count().desc()),
    )
    ward, patients = counts[0]  # type: ignore[misc]
    assert patients > 2
    admin = signed_in(site, "admin@qde.test")
    page = admin.get("/admin/wards").text
    before = _events(site)
    cut = {"csrf_token": csrf_of(page), "ward_code": ward, "from_day": _day(today()), "beds": str(patients - 2), "escalation_beds": "1"}  # fmt: skip
    answer = admin.post("/admin/wards", data=cut)
    assert answer.status_code == 400, answer.text[-800:]
    assert f"would leave {patients - 1} beds open (with escalation beds) for the {patients} patients in the ward now" in answer.text  # fmt: skip
    assert 'id="beds-error"' in answer.text
    assert _events(site) == before

    # Every problem at once, what was typed kept.
    bad = {**cut, "from_day": "31/02/2027", "beds": "ten", "escalation_beds": "-1"}
    answer = admin.post("/admin/wards", data=bad)
    assert answer.status_code == 400
    for name in ("from_day", "beds", "escalation_beds"):
        assert f'id="{name}-error"' in answer.text, name
    assert 'value="ten"' in answer.text
    assert _events(site) == before


def test_what_the_record_already_says_is_refused_to_whoever_may_not_change_it(
    site: Site,
) -> None:
    """Whether a post changes nothing is asked only once the one rule lets the viewer make the
    change: another trust's team posting an RX1 patient's action as it already reads is
    refused (403), not told "Nothing changed"."""
    key, _ = _a_stay_in_rx1(site, _taken)
    team = signed_in(site, "flow@rx1.test")
    action = {"action_id": "A-UNCHANGED", "description": "Chase the care home", "owner": "Sam",
              "owner_org": "RX1", "due_date": _day(today() + timedelta(days=2))}  # fmt: skip
    assert _post(team, key, "action", **action).status_code == 303
    again = _post(team, key, "action", **action, status="open")
    assert "unchanged=action" in again.headers["location"]  # the team may: told so
    other = signed_in(site, "cmht@rw1.test")  # not in the patient's care, owns no action
    seen = _form(team.get(f"/spells/{quote(key, safe='')}").text, "action")["seen"]
    before = _events(site)
    answer = other.post(
        f"/spells/{quote(key, safe='')}/record/action",
        data={"csrf_token": csrf_of(other.get("/overview").text), "seen": seen,
              "view": "page", **action, "status": "open"},
    )  # fmt: skip
    assert answer.status_code == 403, (answer.status_code, answer.headers.get("location"))
    assert _events(site) == before
