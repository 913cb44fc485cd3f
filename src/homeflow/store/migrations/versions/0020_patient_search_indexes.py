"""patients are found by NHS number through an index

Revision ID: 0020
Revises: 0019

The patient search (store/access/search.py) read every patient to find an NHS number: on the
sixteen-trust region of bench/region.py (docs/scale.md), a scan of about a million rows for
each search. An NHS number is now an index lookup on both engines.
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index("ix_patients_nhs_number", ["nhs_number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index("ix_patients_nhs_number")
