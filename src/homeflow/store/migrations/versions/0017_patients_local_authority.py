"""A patient keeps their local authority of residence (the council their returns count them in)

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A projection: `homeflow rebuild` fills it from the events that carry it.
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("local_authority", sa.String(9), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_column("local_authority")
