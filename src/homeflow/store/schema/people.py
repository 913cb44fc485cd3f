"""People who sign in, their sessions and sign-in throttling, the audit trail, and the
capacity-model runs they ask for from the web."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from homeflow.store.schema.base import metadata

users = Table(
    "users",
    metadata,
    Column("email", String(200), primary_key=True),
    Column("org_code", String(12), ForeignKey("organisations.code"), nullable=False),
    Column("role", String(30), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("disabled_at", DateTime),  # a disabled account cannot sign in; kept for the audit
)

# Server-side sessions: the cookie holds a random token, only its hash is kept.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("email", String(200), ForeignKey("users.email"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),  # the absolute end, however busy
    Column("last_seen_at", DateTime),  # the last page asked for, within a minute
    Column("idle_minutes", Integer),  # ends after so long unused (set at sign-in)
    Column("via", String(20)),  # "provider" when signed in through OpenID Connect
)

# OpenID Connect sign-ins under way: what the callback must match (state, the browser that
# started it) and check (nonce, PKCE verifier). Rows live minutes; kept in the database so
# that any web worker can finish a sign-in another began.
sign_in_flows = Table(
    "sign_in_flows",
    metadata,
    Column("state", String(64), primary_key=True),
    Column("browser_hash", String(64), nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("code_verifier", String(128), nullable=False),
    Column("started_at", DateTime, nullable=False),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(200), nullable=False),
    Column("client", String(60), nullable=False),
    Column("at", DateTime, nullable=False),
    Index("ix_login_failures_email_at", "email", "at"),
    Index("ix_login_failures_client_at", "client", "at"),
)

# Every view and change of patient-identifiable data: who, when, what, from where.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("user_email", String(200), nullable=False),
    Column("org_code", String(12), nullable=False),
    Column("action", String(10), nullable=False),  # view, change, export
    Column("what", String(200), nullable=False),
    Column("spell_key", String(60), nullable=True),
    Column("client", String(60), nullable=False),
    # The hash chain (domain/audit_chain.py): the row before's hash, and this row's.
    Column("prev_hash", String(64)),
    Column("row_hash", String(64)),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_spell_key", "spell_key"),
)

# Capacity-model runs asked for from the web: what was asked, and the summary to compare.
simulation_runs = Table(
    "simulation_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("requested_by", String(200), nullable=False),
    Column("org_code", String(12), nullable=False),
    Column("model", String(200), nullable=False),
    Column("scenarios", Text, nullable=False),  # JSON list of scenario file names
    Column("reps", Integer, nullable=False),
    Column("horizon", Integer, nullable=False),
    Column("start_from", String(10), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("status", String(10), nullable=False),  # queued, running, done, failed
    Column("message", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=True),
    Column("results", Text, nullable=True),  # JSON: totals and fan-chart rows
    # JSON: each scenario's name and replications done, while it runs and once it has run
    Column("progress", Text, nullable=True),
)
