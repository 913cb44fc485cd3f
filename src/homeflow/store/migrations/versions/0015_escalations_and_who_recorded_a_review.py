"""A daily-call action may be an escalation; a stranded review keeps who recorded it beside who
reviewed

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("escalation", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("stranded_reviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_by", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stranded_reviews", schema=None) as batch_op:
        batch_op.drop_column("recorded_by")
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_column("escalation")
