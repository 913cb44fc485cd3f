"""Sessions over real HTTP: one ends after its idle time or at its absolute end, whatever
else; "sign out everywhere" ends every device's; an admin ends someone's; a lockout is audited."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.users import add_user
from tests.web_site import PASSWORD, Site, csrf_of, rows_of, sign_in_form, signed_in


@pytest.fixture
def site(shared_site: Site) -> Site:
    return shared_site


def is_signed_in(client: httpx.Client) -> bool:
    return client.get("/overview", follow_redirects=False).status_code == 200


def move_back(site: Site, email: str, **columns: timedelta) -> None:
    """Move the account's sessions' times back, as if so long had passed."""
    engine = db.connect(site.url)
    w = t.web_sessions
    with engine.begin() as conn:
        for row in conn.execute(
            select(w.c.token_hash, *(w.c[n] for n in columns)).where(w.c.email == email)
        ):
            conn.execute(
                update(w)
                .where(w.c.token_hash == row.token_hash)
                .values(**{n: getattr(row, n) - back for n, back in columns.items()})
            )
    engine.dispose()


def test_a_session_ends_when_unused_too_long_or_at_its_end(site: Site) -> None:
    engine = db.connect(site.url)
    add_user(engine, "idle@rx1.test", "RX1", "ward-staff", PASSWORD)
    engine.dispose()
    client = signed_in(site, "idle@rx1.test")
    assert is_signed_in(client)
    move_back(site, "idle@rx1.test", last_seen_at=timedelta(minutes=50))
    assert is_signed_in(client)  # used within the hour: still on, and its use noted
    move_back(site, "idle@rx1.test", last_seen_at=timedelta(minutes=61))
    assert not is_signed_in(client)
    client = signed_in(site, "idle@rx1.test")
    move_back(site, "idle@rx1.test", expires_at=timedelta(hours=13))
    assert not is_signed_in(client)  # busy or not, 12 hours is the end


def test_sign_out_everywhere_and_an_admin_ending_sessions(site: Site) -> None:
    engine = db.connect(site.url)
    add_user(engine, "two@rx1.test", "RX1", "discharge-team", PASSWORD)
    engine.dispose()
    tablet, desk = signed_in(site, "two@rx1.test"), signed_in(site, "two@rx1.test")
    page = desk.get("/overview").text
    assert "Sign out everywhere" in page
    done = desk.post("/sign-out-everywhere", data={"csrf_token": csrf_of(page)})
    assert done.status_code == 303
    assert not is_signed_in(tablet) and not is_signed_in(desk)
    tablet = signed_in(site, "two@rx1.test")
    admin = signed_in(site, "admin@qde.test")
    accounts = admin.get("/admin/users").text
    assert "End 1 session" in accounts
    ended = admin.post(
        "/admin/users/change",
        data={"csrf_token": csrf_of(accounts), "email": "two@rx1.test", "change": "end-sessions"},
    )
    assert ended.status_code == 200 and "signed out everywhere" in ended.text
    assert not is_signed_in(tablet)


def test_a_lockout_is_written_to_the_audit_log(site: Site) -> None:
    engine = db.connect(site.url)
    add_user(engine, "locked@rx1.test", "RX1", "ward-staff", PASSWORD)
    engine.dispose()
    client = httpx.Client(base_url=site.base, timeout=30)
    answers = []
    for _ in range(6):
        form = {"email": "locked@rx1.test", "password": "wrong password x", **sign_in_form(client)}
        answers.append(client.post("/sign-in", data=form).status_code)
    assert answers[-1] == 429
    audited = rows_of(
        site,
        select(t.audit_log.c.what).where(t.audit_log.c.user_email == "locked@rx1.test"),
    )
    assert any("locked out for" in r[0] for r in audited)  # type: ignore[index]
