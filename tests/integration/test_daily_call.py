"""The daily system call chaired (issue 29, finding 7): the system's coordinator adds actions and
escalations on any patient of the system, with the owning organisation chosen from the
registry; each partner does for their own patients; a refused action comes back on its row."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from homeflow.domain.clock import local_date
from homeflow.store import schema as t
from tests.web_site import Site, csrf_of, rows_of, signed_in

TODAY = local_date(datetime.now(UTC))
HTMX = {"HX-Request": "true"}


@pytest.fixture(scope="module")
def site(shared_site: Site) -> Site:
    return shared_site


def _delayed(site: Site, provider: str | None) -> str:
    """A delayed patient of RX1 referred to `provider` (None: referred to nobody)."""
    s, r = t.spells, t.referrals
    referred = select(r.c.spell_key).where(r.c.provider_org == provider)
    query = (
        select(s.c.spell_key)
        .where(
            s.c.status == "admitted",
            s.c.discharge_ready_date <= TODAY,
            s.c.site_code.like("RX1%"),
            s.c.spell_key.in_(referred)
            if provider
            else s.c.spell_key.not_in(select(r.c.spell_key)),
        )
        .order_by(s.c.spell_key)
    )
    return str(rows_of(site, query)[0][0])  # type: ignore[index]


def _action(description: str, **fields: str) -> dict[str, str]:
    due = (TODAY + timedelta(days=2)).strftime("%d/%m/%Y")
    return {"seen": "", "view": "call-row", "next": "/daily-call", "description": description,
            "owner": "Hub lead", "owner_org": "LAR01", "due_date": due, **fields}  # fmt: skip


def test_the_coordinator_chairing_the_call_adds_actions_and_escalations(site: Site) -> None:
    chair = signed_in(site, "coordinator@qde.test")
    page = chair.get("/daily-call").text
    rows = re.findall(r'<tr class="nhsuk-table__row" id="call-', page)
    # Every patient of the system has the form, its organisation chosen by name.
    assert rows and page.count('name="description"') == len(rows)
    assert '<select class="nhsuk-select" id="owner_org-' in page
    assert '<option value="LAR01">' in page and 'name="owner_org" placeholder' not in page
    spell_key = _delayed(site, None)  # the coordinator's organisation is not in the care
    token = csrf_of(page)
    answer = chair.post(
        f"/spells/{spell_key}/record/action",
        data={"csrf_token": token, **_action("Escalate the reablement wait", escalation="yes")},
        headers=HTMX,
    )
    assert answer.status_code == 200, answer.text
    assert "Escalation</strong> Escalate the reablement wait" in answer.text
    assert "LAR01)" not in answer.text  # the organisation by its name
    stored = rows_of(
        site,
        select(t.actions.c.owner_org, t.actions.c.escalation, t.actions.c.recorded_by).where(
            t.actions.c.spell_key == spell_key,
            t.actions.c.description == "Escalate the reablement wait",
        ),
    )
    assert [tuple(r) for r in stored] == [("LAR01", True, "coordinator@qde.test")]  # type: ignore[arg-type]
    audited = rows_of(
        site,
        select(func.count()).where(
            t.audit_log.c.user_email == "coordinator@qde.test",
            t.audit_log.c.action == "change",
            t.audit_log.c.spell_key == spell_key,
        ),
    )
    assert audited[0][0] == 1  # type: ignore[index]
    # An analyst of the same system has no form and is refused.
    analyst = signed_in(site, "analyst@qde.test")
    assert 'name="description"' not in analyst.get("/daily-call").text
    refused = analyst.post(
        f"/spells/{spell_key}/record/action",
        data={"csrf_token": csrf_of(analyst.get("/overview").text), **_action("Not mine")},
    )
    assert refused.status_code == 403


def test_a_partner_acts_for_their_own_patients_only(site: Site) -> None:
    council = signed_in(site, "social-worker@lar01.test")
    token = csrf_of(council.get("/daily-call").text)
    own = _delayed(site, "LAR01")
    answer = council.post(
        f"/spells/{own}/record/action",
        data={"csrf_token": token, **_action("Assess for home care", owner_org="LAR01")},
        headers=HTMX,
    )
    assert answer.status_code == 200 and "Assess for home care" in answer.text
    other = _delayed(site, None)
    refused = council.post(
        f"/spells/{other}/record/action",
        data={"csrf_token": token, **_action("Not our patient")},
        headers=HTMX,
    )
    assert refused.status_code == 403


def test_a_refused_action_comes_back_open_on_its_row_with_what_was_typed(site: Site) -> None:
    chair = signed_in(site, "coordinator@qde.test")
    token = csrf_of(chair.get("/daily-call").text)
    spell_key = _delayed(site, None)
    answer = chair.post(
        f"/spells/{spell_key}/record/action",
        data={"csrf_token": token, **_action("", owner="Hub lead <b>", due_date="31/02/2026")},
        headers=HTMX,
    )
    assert answer.status_code == 400
    row = answer.text.strip()
    assert row.startswith('<tbody class="nhsuk-table__body hf-call"')
    assert "<details" in row and " open>" in row
    # The problem beside its field, what was typed kept (as text), the organisation chosen.
    assert re.search(r'id="description-[^"]+-error".*?is required', row, re.DOTALL)
    assert 'value="Hub lead &lt;b&gt;"' in row and 'value="31/02/2026"' in row
    assert '<option value="LAR01" selected>' in row
    # A due date is from today to a year ahead.
    for due in ("01/01/2099", (TODAY - timedelta(days=1)).strftime("%d/%m/%Y")):
        answer = chair.post(
            f"/spells/{spell_key}/record/action",
            data={"csrf_token": token, **_action("Chase", due_date=due)},
            headers=HTMX,
        )
        assert answer.status_code == 400 and f'value="{due}"' in answer.text
