"""feed messages

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("control_id", sa.String(length=200), nullable=True),
        sa.Column("message_type", sa.String(length=20), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("event_key", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feed_messages", schema=None) as batch_op:
        batch_op.create_index("ix_feed_messages_outcome", ["outcome"], unique=False)
        batch_op.create_index(
            "ix_feed_messages_source_received", ["source", "received_at"], unique=False
        )

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_type", ["type"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_type")

    with op.batch_alter_table("feed_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_feed_messages_source_received")
        batch_op.drop_index("ix_feed_messages_outcome")

    op.drop_table("feed_messages")
