"""People who sign in: accounts with argon2 password hashes, server-side sessions, and
throttling of failed sign-ins. Only hashes of passwords and session tokens are stored."""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Connection, Engine, and_, delete, func, select, update

from homeflow.domain import clock
from homeflow.domain.errors import InvalidInput
from homeflow.domain.passwords import check_password
from homeflow.domain.privacy import Role
from homeflow.store import db
from homeflow.store import schema as t
from homeflow.store.codec import to_db_time
from homeflow.store.registry import require_organisation

SESSION_LIFETIME = timedelta(hours=12)  # a long shift
SESSION_IDLE = timedelta(hours=1)  # a tablet left on the ward signs itself out
SEEN_EVERY = timedelta(minutes=1)  # how often a busy session's last use is written down
# A lockout is counted per account *from one client*: a stranger guessing from elsewhere cannot
# lock a nurse out of her own account. One client (a trust's NAT, a proxy not yet named in
# HOMEFLOW_TRUSTED_PROXIES) serves many people, so failures from it never refuse anyone's right
# password: past the per-client count every sign-in from it is held back a little longer before
# it is checked, which slows a guesser trying many accounts and costs a colleague seconds.
FAILURES_ALLOWED = 5  # per account and client
FAILURES_BEFORE_SLOWING = 30  # per client: a ward's shared computer may serve many accounts
FAILURE_WINDOW = timedelta(minutes=15)
SLOWED_BY = timedelta(seconds=1)  # the hold once past the count, and more every ten failures
SLOWED_AT_MOST = timedelta(seconds=5)

# argon2id's cost, chosen per deployment (HOMEFLOW_PASSWORD_COST). `rfc9106`, the default, is
# RFC 9106's second recommendation (3 passes over 64 MiB, 4 lanes: argon2-cffi's own default);
# `owasp` is OWASP's minimum for argon2id (2 passes over 19 MiB, 1 lane), for a laptop or a
# small machine, and for the test suite, which signs in some thousands of times. A hash keeps
# its own cost, so a password set under one is checked under the other.
PASSWORD_COSTS = {
    "rfc9106": PasswordHasher(),
    "owasp": PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1),
}


def password_hasher() -> PasswordHasher:
    """The cost HOMEFLOW_PASSWORD_COST names, refused naming the variable if it is unknown."""
    name = os.environ.get("HOMEFLOW_PASSWORD_COST", "rfc9106")
    if name not in PASSWORD_COSTS:
        raise InvalidInput(
            "HOMEFLOW_PASSWORD_COST", f"{name!r} is not one of {', '.join(PASSWORD_COSTS)}"
        )
    return PASSWORD_COSTS[name]


_hasher = password_hasher()


@functools.cache
def _unknown_user_hash() -> str:
    """Checked against when the email is unknown, so a wrong email takes as long as a wrong
    password. Made on the first sign-in, not at import: every command and server start would
    otherwise pay for a hash (a quarter of a second at RFC 9106's cost)."""
    return _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class User:
    email: str
    org_code: str
    role: Role


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    csrf_token: str
    by_provider: bool = False  # signed in through the identity provider


class TooManyAttempts(Exception):
    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after}")
        self.retry_after = retry_after


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    now = to_db_time(clock.now())
    assert now is not None
    return now


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email:
        raise InvalidInput("email", f"{email!r} is not an email address")
    return email


@contextmanager
def _writing(target: Engine | Connection) -> Iterator[Connection]:
    """The caller's transaction, when given one (an admin's change kept with its audit row),
    else a transaction of its own."""
    if isinstance(target, Connection):
        yield target
        return
    with target.begin() as conn:
        yield conn


def add_user(
    target: Engine | Connection, email: str, org_code: str, role: str, password: str
) -> User:
    """Create or replace an account (replacing resets the password)."""
    email = normalise_email(email)
    checked_role = Role.parse(role)
    check_password(password)
    with _writing(target) as conn:
        require_organisation(conn, org_code)
        conn.execute(delete(t.web_sessions).where(t.web_sessions.c.email == email))
        conn.execute(delete(t.users).where(t.users.c.email == email))
        conn.execute(
            t.users.insert().values(
                email=email,
                org_code=org_code,
                role=checked_role.value,
                password_hash=_hasher.hash(password),
                created_at=_now(),
            )
        )
    return User(email, org_code, checked_role)


def _failures(conn: Connection, who: ColumnElement[bool], now: datetime) -> tuple[int, datetime]:
    """How many recent failures match `who`, and when the first of them was."""
    f = t.login_failures
    count, first = conn.execute(
        select(func.count(), func.min(f.c.at)).where(who, f.c.at > now - FAILURE_WINDOW)
    ).one()
    return int(count), first


def slowed_by(engine: Engine, client: str) -> timedelta:
    """How long a sign-in from `client` is held back before it is checked: nothing, or more
    the more failures it has had past FAILURES_BEFORE_SLOWING in the window."""
    with db.reading(engine) as conn:
        count, _ = _failures(conn, t.login_failures.c.client == client[:60], _now())
    if count < FAILURES_BEFORE_SLOWING:
        return timedelta(0)
    steps = (count - FAILURES_BEFORE_SLOWING) // 10
    return min(SLOWED_BY * (1 + steps), SLOWED_AT_MOST)


def sign_in(
    engine: Engine,
    email: str,
    password: str,
    client: str,
    lifetime: timedelta = SESSION_LIFETIME,
    idle: timedelta = SESSION_IDLE,
) -> tuple[str, Session] | None:
    """A new session token for the right password; None for a wrong one. Refuses outright
    after too many recent failures for this email from this client (that account is locked
    there), whatever the password; failures from the client on other accounts never refuse
    it (`slowed_by` holds such a client back instead). The session ends `lifetime` after
    sign-in, or sooner after `idle` unused."""
    email = email.strip().lower()
    now = _now()
    with engine.begin() as conn:
        f = t.login_failures
        count, first = _failures(conn, and_(f.c.email == email, f.c.client == client[:60]), now)
        if count >= FAILURES_ALLOWED:
            raise TooManyAttempts(first + FAILURE_WINDOW - now)
        row = conn.execute(select(t.users).where(t.users.c.email == email)).one_or_none()
        try:
            _hasher.verify(row.password_hash if row else _unknown_user_hash(), password)
            ok = row is not None and row.disabled_at is None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or row is None:
            conn.execute(f.insert().values(email=email, client=client[:60], at=now))
            return None
        conn.execute(delete(f).where(f.c.email == email))
        token, csrf = _start_session(conn, email, now, lifetime, idle, "password")
    return token, Session(User(row.email, row.org_code, Role(row.role)), csrf)


def _start_session(
    conn: Connection, email: str, now: datetime, lifetime: timedelta, idle: timedelta, via: str
) -> tuple[str, str]:
    """A new session's token and CSRF token (ended sessions are cleared away)."""
    conn.execute(delete(t.web_sessions).where(t.web_sessions.c.expires_at < now))
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    conn.execute(
        t.web_sessions.insert().values(
            token_hash=_token_hash(token),
            email=email,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + lifetime,
            last_seen_at=now,
            idle_minutes=max(1, round(idle.total_seconds() / 60)),
            via=via,
        )
    )
    return token, csrf


class SignInRefused(Exception):
    """Someone the identity provider vouched for may not use homeflow; says why."""


def sign_in_by_provider(
    engine: Engine,
    email: str,
    org_code: str,
    role: Role,
    provision: bool,
    lifetime: timedelta = SESSION_LIFETIME,
    idle: timedelta = SESSION_IDLE,
    audited: Callable[[Connection, Session, str | None], None] | None = None,
) -> tuple[str, Session, str | None]:
    """A session for someone the identity provider signed in, with the organisation and role
    the rules gave them, and what changed in their account (None for nothing). Without an
    account they are refused unless `provision`, when one is made for them (with no password
    that anyone knows). `audited` writes the audit rows in the same transaction, so an
    account is never changed without its row."""
    email = normalise_email(email)
    now = _now()
    with engine.begin() as conn:
        require_organisation(conn, org_code)
        row = conn.execute(select(t.users).where(t.users.c.email == email)).one_or_none()
        if row is not None and row.disabled_at is not None:
            raise SignInRefused("this account has been disabled by its admin")
        change = None
        if row is None:
            if not provision:
                raise SignInRefused("there is no homeflow account for this email address")
            conn.execute(
                t.users.insert().values(
                    email=email,
                    org_code=org_code,
                    role=role.value,
                    password_hash=_hasher.hash(secrets.token_urlsafe(32)),
                    created_at=now,
                )
            )
            change = f"account made: {org_code} {role.value}"
        elif (row.org_code, row.role) != (org_code, role.value):
            # The provider's groups are the truth: a move or a new role there shows here.
            conn.execute(
                t.users.update()
                .where(t.users.c.email == email)
                .values(org_code=org_code, role=role.value)
            )
            change = f"account now {org_code} {role.value} (was {row.org_code} {row.role})"
        token, csrf = _start_session(conn, email, now, lifetime, idle, "provider")
        session = Session(User(email, org_code, role), csrf, by_provider=True)
        if audited is not None:
            audited(conn, session, change)
    return token, session, change


def session_for(engine: Engine, token: str) -> Session | None:
    """The session a token opens, if it has not ended: its absolute end, its idle time, the
    account disabled. A session in use has its last use written down (once a minute)."""
    w = t.web_sessions
    with db.reading(engine) as conn:
        row = conn.execute(
            select(
                t.users,
                w.c.csrf_token,
                w.c.expires_at,
                w.c.last_seen_at,
                w.c.idle_minutes,
                w.c.via,
            )
            .join(w, w.c.email == t.users.c.email)
            .where(w.c.token_hash == _token_hash(token))
        ).one_or_none()
    now = _now()
    if row is None or row.expires_at <= now or row.disabled_at is not None:
        return None
    seen = row.last_seen_at or now
    if row.idle_minutes is not None and now - seen > timedelta(minutes=row.idle_minutes):
        return None
    if now - seen >= SEEN_EVERY:
        with engine.begin() as conn:
            conn.execute(
                update(w).where(w.c.token_hash == _token_hash(token)).values(last_seen_at=now)
            )
    user = User(row.email, row.org_code, Role(row.role))
    return Session(user, row.csrf_token, by_provider=row.via == "provider")


def sign_out(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            delete(t.web_sessions).where(t.web_sessions.c.token_hash == _token_hash(token))
        )


def csrf_matches(session: Session, offered: str | None) -> bool:
    return offered is not None and hmac.compare_digest(session.csrf_token, offered)


def user_org(conn: Connection, email: str) -> str | None:
    """The organisation a user belongs to, or None for someone no longer a user."""
    found = conn.execute(select(t.users.c.org_code).where(t.users.c.email == email)).scalar()
    return str(found) if found is not None else None


@dataclass(frozen=True, slots=True)
class Account:
    """A user as their admin sees them."""

    email: str
    org_code: str
    role: Role
    created_at: datetime
    disabled: bool
    sessions: int  # signed in now, on so many devices


def accounts(engine: Engine, org_codes: Collection[str]) -> list[Account]:
    """The accounts of these organisations, by organisation and email."""
    u, w = t.users, t.web_sessions
    live = (
        select(w.c.email, func.count().label("n"))
        .where(w.c.expires_at > _now())
        .group_by(w.c.email)
        .subquery()
    )
    with db.reading(engine) as conn:
        rows = conn.execute(
            select(u, live.c.n)
            .outerjoin(live, live.c.email == u.c.email)
            .where(u.c.org_code.in_(list(org_codes)))
            .order_by(u.c.org_code, u.c.email)
        ).all()
    return [
        Account(
            r.email, r.org_code, Role(r.role), r.created_at, r.disabled_at is not None, r.n or 0
        )
        for r in rows
    ]


def set_disabled(target: Engine | Connection, email: str, disabled: bool) -> None:
    """Disable an account (its sessions end at once) or enable it again."""
    email = normalise_email(email)
    with _writing(target) as conn:
        conn.execute(
            t.users.update()
            .where(t.users.c.email == email)
            .values(disabled_at=_now() if disabled else None)
        )
        if disabled:
            conn.execute(delete(t.web_sessions).where(t.web_sessions.c.email == email))


def set_role(target: Engine | Connection, email: str, role: str) -> None:
    """A new role, from the next page the user opens (sessions read the role afresh)."""
    checked = Role.parse(role)
    with _writing(target) as conn:
        conn.execute(
            t.users.update()
            .where(t.users.c.email == normalise_email(email))
            .values(role=checked.value)
        )


def new_password() -> str:
    """A random password for an admin to pass on: 16 characters, never in a list."""
    return secrets.token_urlsafe(12)


def reset_password(target: Engine | Connection, email: str) -> str:
    """A new random password, shown once to the admin to pass on; every session ends."""
    password = new_password()
    with _writing(target) as conn:
        conn.execute(
            t.users.update()
            .where(t.users.c.email == normalise_email(email))
            .values(password_hash=_hasher.hash(password))
        )
        conn.execute(delete(t.web_sessions).where(t.web_sessions.c.email == normalise_email(email)))
    return password


def end_sessions(target: Engine | Connection, email: str) -> int:
    """Sign an account out everywhere; how many sessions ended."""
    with _writing(target) as conn:
        gone = conn.execute(
            delete(t.web_sessions).where(t.web_sessions.c.email == normalise_email(email))
        )
        return int(gone.rowcount or 0)
