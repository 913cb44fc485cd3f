"""Accounts of people an identity provider signed in: refused without an account unless
provisioning is on; the provider's organisation and role replace the account's; a disabled
account stays out; every provider sign-in session is marked so sign-out goes to the provider."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import DBAPIError

from homeflow.demo import system
from homeflow.domain.errors import InvalidInput
from homeflow.domain.privacy import Role
from homeflow.store import schema as t
from homeflow.store.access.audit import audit
from homeflow.store.access.scope import Viewer
from homeflow.store.registry import save_registry
from homeflow.store.users import (
    Session,
    SignInRefused,
    add_user,
    session_for,
    set_disabled,
    sign_in,
    sign_in_by_provider,
)
from tests.audit_faults import audit_log_down
from tests.conftest import url_of


@pytest.fixture
def registry(engine: Engine) -> Engine:
    with engine.begin() as conn:
        save_registry(conn, system.ORGANISATIONS, system.SITES, system.WARDS)
    return engine


def accounts(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(t.users)) or 0)


def test_without_provisioning_only_people_with_an_account_get_in(registry: Engine) -> None:
    with pytest.raises(SignInRefused, match="no homeflow account"):
        sign_in_by_provider(registry, "new@rx1.test", "RX1", Role.WARD_STAFF, provision=False)
    assert accounts(registry) == 0


def test_provisioning_makes_the_account_once(registry: Engine) -> None:
    token, session, change = sign_in_by_provider(
        registry, "New@RX1.test", "RX1", Role.WARD_STAFF, provision=True
    )
    assert change == "account made: RX1 ward-staff"
    assert session.by_provider and session.user.email == "new@rx1.test"
    found = session_for(registry, token)
    assert found is not None and found.by_provider and found.user.role is Role.WARD_STAFF
    _, _, again = sign_in_by_provider(registry, "new@rx1.test", "RX1", Role.WARD_STAFF, True)
    assert again is None and accounts(registry) == 1
    # Nobody knows the made account's password: it cannot sign in with one.
    assert sign_in(registry, "new@rx1.test", "", "127.0.0.1") is None


def test_the_provider_moves_an_account_and_a_disabled_one_stays_out(registry: Engine) -> None:
    add_user(registry, "ann@rx1.test", "RX1", "discharge-team", "a long enough password")
    _, session, change = sign_in_by_provider(registry, "ann@rx1.test", "RW1", Role.ANALYST, False)
    assert change == "account now RW1 analyst (was RX1 discharge-team)"
    assert (session.user.org_code, session.user.role) == ("RW1", Role.ANALYST)
    password_session = sign_in(registry, "ann@rx1.test", "a long enough password", "127.0.0.1")
    assert password_session is not None and not password_session[1].by_provider
    set_disabled(registry, "ann@rx1.test", True)
    with pytest.raises(SignInRefused, match="disabled"):
        sign_in_by_provider(registry, "ann@rx1.test", "RW1", Role.ANALYST, False)


def test_a_rule_naming_an_unknown_organisation_is_refused(registry: Engine) -> None:
    with pytest.raises(InvalidInput) as refused:
        sign_in_by_provider(registry, "x@rx1.test", "NOWHERE", Role.ANALYST, True)
    assert refused.value.field == "org"
    assert accounts(registry) == 0


def test_an_account_the_provider_changes_is_kept_with_its_audit_rows_or_not_at_all(
    registry: Engine,
) -> None:
    add_user(registry, "bo@rx1.test", "RX1", "discharge-team", "a long enough password")

    def rows() -> tuple[object, ...]:
        with registry.connect() as conn:
            return (
                conn.execute(select(t.users.c.org_code, t.users.c.role)).all(),
                conn.scalar(select(func.count()).select_from(t.web_sessions)),
                conn.scalar(select(func.count()).select_from(t.audit_log)),
            )

    def audited(conn: Connection, session: Session, change: str | None) -> None:
        viewer = Viewer(session.user.email, session.user.org_code, session.user.role, "test")
        audit(conn, viewer, "change", change or "none")

    before = rows()
    with audit_log_down(url_of(registry)), pytest.raises(DBAPIError):
        sign_in_by_provider(registry, "bo@rx1.test", "RW1", Role.ANALYST, False, audited=audited)
    assert rows() == before
    sign_in_by_provider(registry, "bo@rx1.test", "RW1", Role.ANALYST, False, audited=audited)
    users, sessions, audits = rows()
    assert users == [("RW1", "analyst")] and (sessions, audits) == (1, 1)
