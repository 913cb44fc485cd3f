"""fhir encounters and api tokens

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fhir_encounters",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("org_code", sa.String(length=12), nullable=False),
        sa.Column("spell_key", sa.String(length=60), nullable=False),
        sa.Column("patient_id", sa.String(length=80), nullable=False),
        sa.Column("identifier", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("ward_codes", sa.Text(), nullable=False),
        sa.Column("period_start", sa.DateTime(), nullable=True),
        sa.Column("period_end", sa.DateTime(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fhir_encounters", schema=None) as batch_op:
        batch_op.create_index("ix_fhir_encounters_identifier", ["identifier"], unique=False)
        batch_op.create_index("ix_fhir_encounters_patient", ["patient_id"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("org_code", sa.String(length=12), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_code"],
            ["organisations.code"],
        ),
        sa.PrimaryKeyConstraint("token_hash"),
    )


def downgrade() -> None:
    op.drop_table("api_tokens")
    with op.batch_alter_table("fhir_encounters", schema=None) as batch_op:
        batch_op.drop_index("ix_fhir_encounters_patient")
        batch_op.drop_index("ix_fhir_encounters_identifier")

    op.drop_table("fhir_encounters")
