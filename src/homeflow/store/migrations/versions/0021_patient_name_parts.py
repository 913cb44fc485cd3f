"""patients are found by name through an index of where each name part begins

Revision ID: 0021
Revises: 0020

A name search read every patient's names (`lower(name) LIKE '% smi%'`, which no B-tree
serves): on the sixteen-trust region of bench/region.py about a second of the database's time
a search. Each place a word may begin in a patient's names is now a row
(domain.patient_search.name_parts), and a word is a range of its primary key.
"""

import sqlalchemy as sa
from alembic import op

from homeflow.domain.patient_search import name_parts

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

BATCH = 5_000


def upgrade() -> None:
    part = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
    parts = op.create_table(
        "patient_name_parts",
        sa.Column("part", part, primary_key=True),
        sa.Column("patient_id", sa.String(60), primary_key=True),
    )
    op.create_index("ix_patient_name_parts_patient_id", "patient_name_parts", ["patient_id"])
    # A projection, filled here from the patients already folded (as `homeflow rebuild` would).
    patients = sa.table(
        "patients", sa.column("patient_id"), sa.column("family_name"), sa.column("given_name")
    )
    rows = op.get_bind().execute(sa.select(patients)).all()
    for start in range(0, len(rows), BATCH):
        found = [
            {"part": p, "patient_id": row.patient_id}
            for row in rows[start : start + BATCH]
            for p in sorted(name_parts(row.family_name, row.given_name))
        ]
        if found:
            op.bulk_insert(parts, found)


def downgrade() -> None:
    op.drop_index("ix_patient_name_parts_patient_id", table_name="patient_name_parts")
    op.drop_table("patient_name_parts")
