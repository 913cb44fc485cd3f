"""bed states keep the latest instant and attribute day their fold read

Revision ID: 0019
Revises: 0018

Whether a site's beds read at an instant as they are kept now was asked of every stay of the
site's wards (tens of milliseconds a reading on a year of history); each bed's row now says
the latest instant and attribute day its fold read, so it is asked of the site's bed rows.
The rows are refolded from the log (`db.migrate` fills the bed projections again).
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bed_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_from_day", sa.Date(), nullable=True))
        batch_op.create_index("ix_bed_states_last_at", ["ward_code", "last_at"], unique=False)
    op.execute("DELETE FROM projection_marks WHERE name = 'beds_through'")


def downgrade() -> None:
    with op.batch_alter_table("bed_states", schema=None) as batch_op:
        batch_op.drop_index("ix_bed_states_last_at")
        batch_op.drop_column("last_from_day")
        batch_op.drop_column("last_at")
