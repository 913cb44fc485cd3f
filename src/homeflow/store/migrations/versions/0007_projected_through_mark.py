"""projections caught up to a place in the log

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projection_marks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
    # Until now every append projected its own events at once: the projections are current.
    op.execute(
        "INSERT INTO projection_marks (name, seq) "
        "SELECT 'events_through', COALESCE(MAX(seq), 0) FROM events"
    )


def downgrade() -> None:
    op.execute("DELETE FROM projection_marks WHERE name = 'events_through'")
    with op.batch_alter_table("projection_marks", schema=None) as batch_op:
        batch_op.drop_column("seq")
