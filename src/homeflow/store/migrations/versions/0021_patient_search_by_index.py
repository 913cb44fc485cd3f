"""patients are found by name and by visit number through indexes

Revision ID: 0021
Revises: 0020

A search read every patient's names (`lower(name) LIKE '% smi%'`) or every spell's key
(`upper(spell_key) LIKE '%:V123'`), which no B-tree serves: on the sixteen-trust region of
bench/region.py most of a second of the database's time a search. Each place a word may begin
in a patient's names is now a row (domain.patient_search.name_parts), a word a range of its
primary key; and each spell keeps its key's visit number in upper case, indexed.
"""

import sqlalchemy as sa
from alembic import op

from homeflow.domain.organisations import visit_number_of
from homeflow.domain.patient_search import name_parts

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

BATCH = 5_000


def upgrade() -> None:
    _name_parts()
    _visit_numbers()
    if op.get_bind().dialect.name == "postgresql":
        # Statistics for the rows just written, so the first searches are planned on them:
        # without, the region's first name search read every stay (660 ms; docs/performance.md).
        op.execute("ANALYZE patient_name_parts")
        op.execute("ANALYZE spells")


def _name_parts() -> None:
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


def _visit_numbers() -> None:
    with op.batch_alter_table("spells", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visit_number", sa.String(60), nullable=True))
    spells = sa.table("spells", sa.column("spell_key"), sa.column("visit_number"))
    conn = op.get_bind()
    keys = list(conn.execute(sa.select(spells.c.spell_key)).scalars())
    set_visit = (
        sa.update(spells)
        .where(spells.c.spell_key == sa.bindparam("key"))
        .values(visit_number=sa.bindparam("visit"))
    )
    for start in range(0, len(keys), BATCH):
        batch = keys[start : start + BATCH]
        conn.execute(set_visit, [{"key": k, "visit": visit_number_of(k)} for k in batch])
    with op.batch_alter_table("spells", schema=None) as batch_op:
        batch_op.alter_column("visit_number", existing_type=sa.String(60), nullable=False)
        batch_op.create_index("ix_spells_visit_number", ["visit_number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("spells", schema=None) as batch_op:
        batch_op.drop_index("ix_spells_visit_number")
        batch_op.drop_column("visit_number")
    op.drop_index("ix_patient_name_parts_patient_id", table_name="patient_name_parts")
    op.drop_table("patient_name_parts")
