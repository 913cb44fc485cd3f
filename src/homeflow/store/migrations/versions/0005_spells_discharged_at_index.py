"""spells discharged_at index

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("spells", schema=None) as batch_op:
        batch_op.create_index("ix_spells_discharged_at", ["discharged_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("spells", schema=None) as batch_op:
        batch_op.drop_index("ix_spells_discharged_at")
