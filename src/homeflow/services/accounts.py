"""Administering who signs in, in the browser: an admin adds, disables and re-enables the
accounts of their organisation (a system's admin, those of its trusts and councils too),
resets passwords and changes roles. Every change is audited."""

from __future__ import annotations

from sqlalchemy import Connection, Engine

from homeflow.domain.errors import InvalidInput
from homeflow.domain.privacy import Role
from homeflow.store import users
from homeflow.store.access import Forbidden, Viewer, record
from homeflow.store.access.audit import audit
from homeflow.store.db import reading
from homeflow.store.registry import organisations_within


def managed_orgs(engine: Engine, viewer: Viewer) -> list[str]:
    """The organisations whose accounts `viewer` administers (none unless an admin)."""
    with reading(engine) as conn:
        return _managed(conn, viewer)


def _managed(conn: Connection, viewer: Viewer) -> list[str]:
    return organisations_within(conn, viewer.org_code) if viewer.role == Role.ADMIN else []


# One answer whether the address has an account in this admin's organisations or in one they
# cannot see: which organisation, or that there is one elsewhere, is not theirs to learn.
NOT_ADDED = (
    "cannot be given a new account here: if the person already has a homeflow account, the "
    "admin of their organisation (or of its system) changes it"
)


def add_account(engine: Engine, viewer: Viewer, email: str, org_code: str, role: str) -> str:
    """A new account with a random first password, returned once for the admin to pass on;
    the account and its audit row are written together."""
    email = users.normalise_email(email)
    password = users.new_password()
    with engine.begin() as conn:
        if org_code not in _managed(conn, viewer):
            raise Forbidden(f"only an admin of {org_code} (or of its system) manages its accounts")
        taken = users.user_org(conn, email) is not None
        if not taken:
            users.add_user(conn, email, org_code, role, password)
            audit(conn, viewer, "change", f"account {email} added ({org_code}, {role})")
    if taken:
        record(engine, viewer, "refused", f"account {email} not added (address not available)")
        raise InvalidInput("email", NOT_ADDED)
    return password


CHANGES = ("disable", "enable", "reset-password", "role", "end-sessions")


def change_account(engine: Engine, viewer: Viewer, email: str, change: str, role: str = "") -> str:
    """Disable, enable, reset the password of (returns it), change the role of, or end the
    sessions of an account; the change and its audit row are written together."""
    if change not in CHANGES:
        raise InvalidInput(
            "change", f"{change!r} is not disable, enable, reset-password, role or end-sessions"
        )
    with engine.begin() as conn:
        managed = _managed(conn, viewer)
        if not managed:
            raise Forbidden("only admins manage accounts")
        if users.user_org(conn, users.normalise_email(email)) not in managed:
            # No address nobody has, nor one of another organisation's: the same answer for both.
            raise InvalidInput("email", "is not the address of an account you manage")
        if email.strip().lower() == viewer.email and change in ("disable", "role"):
            raise InvalidInput("email", "is your own account: another admin must change it")
        shown = _change(conn, email, change, role)
        audit(conn, viewer, "change", f"account {email}: {change}{' ' + role if role else ''}")
    return shown


def _change(conn: Connection, email: str, change: str, role: str) -> str:
    """The change made in the caller's transaction; a new password is returned to be shown."""
    if change == "reset-password":
        return users.reset_password(conn, email)
    if change in ("disable", "enable"):
        users.set_disabled(conn, email, change == "disable")
    elif change == "role":
        users.set_role(conn, email, role)
    else:
        users.end_sessions(conn, email)
    return ""
