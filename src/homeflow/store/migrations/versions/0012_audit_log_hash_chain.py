"""The audit log becomes a hash chain: each row carries the hash of the row before it and its
own; rows already written are chained in the order they were written

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from homeflow.domain.audit_chain import GENESIS, AuditRow, row_hash

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(64), nullable=True))
    bind = op.get_bind()
    # Typed columns, so the time reads back as the log's writer and verifier read it.
    log = sa.table(
        "audit_log",
        sa.column("id", sa.Integer),
        sa.column("at", sa.DateTime),
        sa.column("user_email", sa.String),
        sa.column("org_code", sa.String),
        sa.column("action", sa.String),
        sa.column("what", sa.String),
        sa.column("spell_key", sa.String),
        sa.column("client", sa.String),
        sa.column("prev_hash", sa.String),
        sa.column("row_hash", sa.String),
    )
    fields = ("id", "at", "user_email", "org_code", "action", "what", "spell_key", "client")
    rows = bind.execute(sa.select(*(log.c[f] for f in fields)).order_by(log.c.id)).all()
    previous = GENESIS
    for r in rows:
        row = AuditRow(
            r.id, r.at, r.user_email, r.org_code, r.action, r.what, r.spell_key, r.client,
            previous, None,
        )  # fmt: skip
        own = row_hash(row, previous)
        bind.execute(log.update().where(log.c.id == r.id).values(prev_hash=previous, row_hash=own))
        previous = own


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
