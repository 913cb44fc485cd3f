"""bed projections: each bed's state now and each bed request's, kept by the log's catch-up

Revision ID: 0018
Revises: 0017

The bed pages and the coordination view folded a site's whole bed history (and every bed
request with its patient's admissions) on each reading. These tables keep the folds: the bed
status and attribute events by bed, each bed's state now, which request each request record is
about, and each request's latest state. They are filled from the log after the upgrade
(`db.migrate` runs `fill_if_missing`; `homeflow rebuild` refolds them), then kept by the
catch-up. The indexes find a patient's spells and a bed's stays.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("spells", schema=None) as batch_op:
        batch_op.create_index("ix_spells_patient_id", ["patient_id"], unique=False)
    with op.batch_alter_table("ward_stays", schema=None) as batch_op:
        batch_op.create_index("ix_ward_stays_ward_bed", ["ward_code", "bed"], unique=False)
    op.create_table(
        "bed_events",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("ward_code", sa.String(200), nullable=False),
        sa.Column("bed", sa.String(20), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=True),
        sa.Column("reason", sa.String(30), nullable=True),
        sa.Column("from_day", sa.Date(), nullable=True),
        sa.Column("side_room", sa.Boolean(), nullable=True),
        sa.Column("bay_sex", sa.String(10), nullable=True),
    )
    op.create_index("ix_bed_events_ward_bed", "bed_events", ["ward_code", "bed"])
    op.create_index("ix_bed_events_ward_occurred_at", "bed_events", ["ward_code", "occurred_at"])
    op.create_table(
        "bed_states",
        sa.Column("ward_code", sa.String(200), primary_key=True),
        sa.Column("bed", sa.String(20), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(30), nullable=True),
        sa.Column("cleaning_status", sa.String(20), nullable=False),
        sa.Column("cleaning_since", sa.DateTime(), nullable=True),
        sa.Column("cleaning_reason", sa.String(30), nullable=True),
        sa.Column("side_room", sa.Boolean(), nullable=False),
        sa.Column("bay_sex", sa.String(10), nullable=False),
    )
    op.create_table(
        "bed_request_records",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_id", sa.String(100), nullable=False),
    )
    op.create_index("ix_bed_request_records_request_id", "bed_request_records", ["request_id"])
    op.create_table(
        "bed_requests",
        sa.Column("request_id", sa.String(100), primary_key=True),
        sa.Column("site_code", sa.String(100), nullable=False),
        sa.Column("patient_id", sa.String(100), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("allocated_ward", sa.String(100), nullable=True),
        sa.Column("allocated_bed", sa.String(100), nullable=True),
        sa.Column("allocated_at", sa.DateTime(), nullable=True),
        sa.Column("placed_ward", sa.String(200), nullable=True),
        sa.Column("placed_bed", sa.String(100), nullable=True),
        sa.Column("placed_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_bed_requests_site_status", "bed_requests", ["site_code", "status"])
    op.create_index("ix_bed_requests_patient_id", "bed_requests", ["patient_id"])


def downgrade() -> None:
    for table in ("bed_requests", "bed_request_records", "bed_states", "bed_events"):
        op.drop_table(table)
    op.execute("DELETE FROM projection_marks WHERE name = 'beds_through'")
    with op.batch_alter_table("ward_stays", schema=None) as batch_op:
        batch_op.drop_index("ix_ward_stays_ward_bed")
    with op.batch_alter_table("spells", schema=None) as batch_op:
        batch_op.drop_index("ix_spells_patient_id")
