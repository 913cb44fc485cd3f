"""API tokens expire and can be revoked

Revision ID: 0010
Revises: 0009

Tokens made before this had no end: they are given 90 days from now.
"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from homeflow.domain import clock

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(), nullable=True))
    ends = (clock.now() + timedelta(days=90)).replace(tzinfo=None, microsecond=0)
    op.execute(sa.text("UPDATE api_tokens SET expires_at = :ends").bindparams(ends=ends))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("expires_at")
