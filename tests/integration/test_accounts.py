"""Accounts administered in the browser, over real HTTP: an admin adds, disables, re-enables,
resets and changes the role of an account; each takes effect at once and is audited; nobody
else may."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.users import add_user
from tests.audit_faults import audit_log_down
from tests.web_site import PASSWORD, Site, csrf_of, rows_of, sign_in_form, signed_in


@pytest.fixture
def site(shared_site: Site) -> Site:
    return shared_site


def sign_in_as(site: Site, email: str, password: str) -> httpx.Client | None:
    client = httpx.Client(base_url=site.base, timeout=30)
    form = {"email": email, "password": password, **sign_in_form(client)}
    answer = client.post("/sign-in", data=form)
    return client if answer.status_code == 303 else None


def shown_password(page: str) -> str:
    found = re.search(r"password (?:is )?(\S+) \(shown once\)", page)
    assert found, page[:2000]
    return found.group(1)


def test_an_admin_runs_accounts_in_the_browser(site: Site) -> None:
    admin = signed_in(site, "admin@qde.test")
    page = admin.get("/admin/users").text
    added = admin.post(
        "/admin/users",
        data={"csrf_token": csrf_of(page), "email": "Porter@RX2.test", "org": "RX2", "role": "ward-staff"},
    )  # fmt: skip
    assert added.status_code == 200, added.text
    first = shown_password(added.text)
    porter = sign_in_as(site, "porter@rx2.test", first)
    assert porter is not None and porter.get("/overview").status_code == 200

    def change(what: str, **extra: str) -> httpx.Response:
        page = admin.get("/admin/users").text
        data = {"csrf_token": csrf_of(page), "email": "porter@rx2.test", "change": what, **extra}
        return admin.post("/admin/users/change", data=data)

    assert change("disable").status_code == 200
    # Signed out at once, and cannot sign in again while disabled.
    assert porter.get("/overview", follow_redirects=False).status_code in (302, 303, 401)
    assert sign_in_as(site, "porter@rx2.test", first) is None
    assert change("enable").status_code == 200
    assert sign_in_as(site, "porter@rx2.test", first) is not None
    reset = change("reset-password")
    second = shown_password(reset.text)
    assert sign_in_as(site, "porter@rx2.test", first) is None
    assert sign_in_as(site, "porter@rx2.test", second) is not None
    assert change("role", role="discharge-team").status_code == 200
    role = rows_of(site, select(t.users.c.role).where(t.users.c.email == "porter@rx2.test"))
    assert [r[0] for r in role] == ["discharge-team"]  # type: ignore[index]
    bad = change("role", role="boss")
    assert bad.status_code == 400 and "role" in bad.text
    audited = rows_of(
        site,
        select(t.audit_log.c.what)
        .where(
            t.audit_log.c.user_email == "admin@qde.test", t.audit_log.c.what.like("account porter%")
        )
        .order_by(t.audit_log.c.id),
    )
    assert [r[0] for r in audited] == [  # type: ignore[index]
        "account porter@rx2.test added (RX2, ward-staff)",
        "account porter@rx2.test: disable",
        "account porter@rx2.test: enable",
        "account porter@rx2.test: reset-password",
        "account porter@rx2.test: role discharge-team",
    ]


def test_only_an_admin_of_the_organisation_or_its_system_runs_its_accounts(site: Site) -> None:
    engine = db.connect(site.url)
    add_user(engine, "admin@rx1.test", "RX1", "admin", PASSWORD)
    engine.dispose()
    trust_admin = signed_in(site, "admin@rx1.test")
    page = trust_admin.get("/admin/users").text
    assert "flow@rx1.test" in page and "admin@qde.test" not in page and "cmht@rw1.test" not in page
    refused = trust_admin.post(
        "/admin/users/change",
        data={"csrf_token": csrf_of(page), "email": "coordinator@qde.test", "change": "disable"},
    )
    assert refused.status_code == 400 and "not the address of an account you manage" in refused.text
    own = trust_admin.post(
        "/admin/users/change",
        data={"csrf_token": csrf_of(page), "email": "admin@rx1.test", "change": "disable"},
    )
    assert own.status_code == 400 and "your own account" in own.text
    nurse = signed_in(site, "nurse@rx1.test")
    assert nurse.get("/admin/users").status_code == 403


def test_adding_an_address_does_not_tell_an_admin_it_has_an_account_elsewhere(site: Site) -> None:
    """An RX1 admin adding addresses that already have accounts: in RW1, which they cannot
    see, and in RX1, which they can. One answer for both, naming neither organisation, and
    nothing changed (the RW1 account keeps its organisation, role and sessions)."""
    engine = db.connect(site.url)
    add_user(engine, "admin2@rx1.test", "RX1", "admin", PASSWORD)
    engine.dispose()
    admin = signed_in(site, "admin2@rx1.test")
    elsewhere = signed_in(site, "cmht@rw1.test")  # has a session that must survive
    users_before = rows_of(site, select(t.users).order_by(t.users.c.email))
    sessions_before = rows_of(site, select(t.web_sessions.c.token_hash).order_by("token_hash"))

    def add(email: str) -> httpx.Response:
        page = admin.get("/admin/users").text
        data = {"csrf_token": csrf_of(page), "email": email, "org": "RX1", "role": "analyst"}
        return admin.post("/admin/users", data=data)

    def problem(answer: httpx.Response, email: str) -> str:
        found = re.search(r"Not added:[^<]*", answer.text)
        assert found, answer.text[:2000]
        return found.group(0).replace(email, "EMAIL")

    other, own = add("CMHT@rw1.test"), add("flow@rx1.test")
    assert other.status_code == own.status_code == 400
    assert problem(other, "cmht@rw1.test") == problem(own, "flow@rx1.test")
    for answer in (other, own):
        assert "RW1" not in answer.text and "already has an account" not in answer.text
        assert "change it below" not in answer.text  # not below, for an account elsewhere
    assert rows_of(site, select(t.users).order_by(t.users.c.email)) == users_before
    assert rows_of(site, select(t.web_sessions.c.token_hash).order_by("token_hash")) == (
        sessions_before
    )
    assert elsewhere.get("/overview").status_code == 200


@pytest.mark.parametrize("change", ["disable", "enable", "reset-password", "role", "end-sessions"])
def test_changing_an_account_elsewhere_is_answered_as_an_address_nobody_has(
    site: Site, change: str
) -> None:
    """Each change an RX1 admin may make, tried on an RW1 account and on an address with no
    account: one answer (it named RW1's organisation, 403, against 400 for nobody), nothing
    changed."""
    engine = db.connect(site.url)
    add_user(engine, "admin3@rx1.test", "RX1", "admin", PASSWORD)
    engine.dispose()
    admin = signed_in(site, "admin3@rx1.test")
    elsewhere = signed_in(site, "cmht@rw1.test")
    users_before = rows_of(site, select(t.users).order_by(t.users.c.email))

    def tried(email: str) -> tuple[int, str]:
        page = admin.get("/admin/users").text
        data = {"csrf_token": csrf_of(page), "email": email, "change": change, "role": "analyst"}
        answer = admin.post("/admin/users/change", data=data)
        found = re.search(r"Not changed:[^<]*", answer.text)
        return answer.status_code, found.group(0) if found else answer.text[:300]

    assert tried("cmht@rw1.test") == tried("nobody-at-all@rw1.test")
    assert tried("cmht@rw1.test")[0] == 400 and "RW1" not in tried("cmht@rw1.test")[1]
    assert rows_of(site, select(t.users).order_by(t.users.c.email)) == users_before
    assert elsewhere.get("/overview").status_code == 200


@pytest.mark.parametrize("change", ["add", "disable", "enable", "reset-password", "role", "end-sessions"])  # fmt: skip
def test_no_account_changes_without_its_audit_row(site: Site, change: str) -> None:
    """With the audit log failing at the database, an admin's change is refused whole: the
    accounts and their sessions are as they were."""
    engine = db.connect(site.url)
    add_user(engine, f"held-{change}@rx1.test", "RX1", "ward-staff", PASSWORD)
    engine.dispose()
    held = signed_in(site, f"held-{change}@rx1.test")  # a session a change would end
    admin = signed_in(site, "admin@qde.test")
    page = admin.get("/admin/users").text
    if change == "add":
        path = "/admin/users"
        data = {"email": "new-in-fault@rx1.test", "org": "RX1", "role": "ward-staff"}
    else:
        path = "/admin/users/change"
        data = {"email": f"held-{change}@rx1.test", "change": change, "role": "analyst"}
    kept = (select(t.users).order_by(t.users.c.email), select(t.web_sessions.c.email))
    before = [rows_of(site, query) for query in kept]
    with audit_log_down(site.url):
        answer = admin.post(path, data={"csrf_token": csrf_of(page), **data})
        assert answer.status_code == 503 and "nothing was changed" in answer.text
    assert [rows_of(site, query) for query in kept] == before
    assert held.get("/overview").status_code == 200
