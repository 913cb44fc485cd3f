"""Administering who signs in, in the browser: an admin adds, disables and re-enables the
accounts of their organisation (a system's admin, those of its trusts and councils too),
resets passwords and changes roles. Every change is audited."""

from __future__ import annotations

from sqlalchemy import Engine

from homeflow.domain.errors import InvalidInput
from homeflow.domain.privacy import Role
from homeflow.store import users
from homeflow.store.access import Forbidden, Viewer, record
from homeflow.store.db import reading
from homeflow.store.registry import organisations_within


def managed_orgs(engine: Engine, viewer: Viewer) -> list[str]:
    """The organisations whose accounts `viewer` administers (none unless an admin)."""
    if viewer.role != Role.ADMIN:
        return []
    with reading(engine) as conn:
        return organisations_within(conn, viewer.org_code)


def _check(engine: Engine, viewer: Viewer, org_code: str) -> None:
    if org_code not in managed_orgs(engine, viewer):
        raise Forbidden(f"only an admin of {org_code} (or of its system) manages its accounts")


# One answer whether the address has an account in this admin's organisations or in one they
# cannot see: which organisation, or that there is one elsewhere, is not theirs to learn.
NOT_ADDED = (
    "cannot be given a new account here: if the person already has a homeflow account, the "
    "admin of their organisation (or of its system) changes it"
)


def add_account(engine: Engine, viewer: Viewer, email: str, org_code: str, role: str) -> str:
    """A new account with a random first password, returned once for the admin to pass on."""
    _check(engine, viewer, org_code)
    email = users.normalise_email(email)
    with reading(engine) as conn:
        existing = users.user_org(conn, email)
    if existing is not None:
        record(engine, viewer, "refused", f"account {email} not added (address not available)")
        raise InvalidInput("email", NOT_ADDED)
    password = users.new_password()
    users.add_user(engine, email, org_code, role, password)
    record(engine, viewer, "change", f"account {email} added ({org_code}, {role})")
    return password


def change_account(engine: Engine, viewer: Viewer, email: str, change: str, role: str = "") -> str:
    """Disable, enable, reset the password of (returns it), change the role of, or end the
    sessions of an account."""
    managed = managed_orgs(engine, viewer)
    if not managed:
        raise Forbidden("only admins manage accounts")
    with reading(engine) as conn:
        org = users.user_org(conn, users.normalise_email(email))
    if org not in managed:
        # No address nobody has, nor one of another organisation's: the same answer for both.
        raise InvalidInput("email", "is not the address of an account you manage")
    if email.strip().lower() == viewer.email and change in ("disable", "role"):
        raise InvalidInput("email", "is your own account: another admin must change it")
    shown = ""
    if change == "disable":
        users.set_disabled(engine, email, True)
    elif change == "enable":
        users.set_disabled(engine, email, False)
    elif change == "reset-password":
        shown = users.reset_password(engine, email)
    elif change == "role":
        users.set_role(engine, email, role)
    elif change == "end-sessions":
        users.end_sessions(engine, email)
    else:
        raise InvalidInput(
            "change", f"{change!r} is not disable, enable, reset-password, role or end-sessions"
        )
    record(engine, viewer, "change", f"account {email}: {change}{' ' + role if role else ''}")
    return shown
