"""recount the daily census: an admission counts on the ward it happened on

Revision ID: 0008
Revises: 0007

Until now a patient admitted and moved to another ward the same day counted as an admission on
the ward they were on at midnight. The census is kept by adding and subtracting each spell's
contribution, so rows counted the old way cannot be corrected in place: they are dropped, and
the census is refolded from the spells when next asked for (projections.extend_census).
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM daily_census")
    op.execute("DELETE FROM projection_marks WHERE name = 'census_through'")


def downgrade() -> None:
    op.execute("DELETE FROM daily_census")
    op.execute("DELETE FROM projection_marks WHERE name = 'census_through'")
