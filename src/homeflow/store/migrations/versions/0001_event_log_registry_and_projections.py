"""event log, registry and projections

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    _delay_census_and_event_tables()
    _organisation_patient_and_referral_tables()
    _spell_tables()
    _site_and_ward_tables()


def _delay_census_and_event_tables() -> None:
    """Beds, the daily census, red/green days, delays and the event log."""
    op.create_table(
        "bed_occupancy",
        sa.Column("spell_key", sa.String(length=60), nullable=False),
        sa.Column("ward_code", sa.String(length=20), nullable=False),
        sa.Column("bed", sa.String(length=20), nullable=True),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("spell_key"),
    )
    with op.batch_alter_table("bed_occupancy", schema=None) as batch_op:
        batch_op.create_index("ix_bed_occupancy_ward", ["ward_code"], unique=False)

    op.create_table(
        "daily_census",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ward_code", sa.String(length=20), nullable=False),
        sa.Column("occupied", sa.Integer(), nullable=False),
        sa.Column("nctr", sa.Integer(), nullable=False),
        sa.Column("stranded", sa.Integer(), nullable=False),
        sa.Column("super_stranded", sa.Integer(), nullable=False),
        sa.Column("admissions", sa.Integer(), nullable=False),
        sa.Column("discharges", sa.Integer(), nullable=False),
        sa.Column("discharges_before_noon", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "ward_code"),
    )
    op.create_table(
        "day_ratings",
        sa.Column("spell_key", sa.String(length=60), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("colour", sa.String(length=6), nullable=False),
        sa.Column("red_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("spell_key", "day"),
    )
    op.create_table(
        "delay_episodes",
        sa.Column("spell_key", sa.String(length=60), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("discharge_ready_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("end_at", sa.DateTime(), nullable=True),
        sa.Column("ended_by", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("spell_key", "seq"),
    )
    op.create_table(
        "delay_reason_periods",
        sa.Column("spell_key", sa.String(length=60), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(), nullable=False),
        sa.Column("end_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(length=10), nullable=True),
        sa.Column("dtoc_reason", sa.String(length=10), nullable=True),
        sa.Column("responsible_agency", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint("spell_key", "seq"),
    )
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("spell_key", sa.String(length=60), nullable=True),
        sa.Column("patient_id", sa.String(length=60), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_patient_id", ["patient_id"], unique=False)
        batch_op.create_index("ix_events_spell_key", ["spell_key"], unique=False)


def _organisation_patient_and_referral_tables() -> None:
    """Organisations, patients, projection marks and referrals."""
    op.create_table(
        "organisations",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("parent_code", sa.String(length=12), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "patients",
        sa.Column("patient_id", sa.String(length=60), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=True),
        sa.Column("local_id", sa.String(length=60), nullable=True),
        sa.Column("family_name", sa.String(length=120), nullable=False),
        sa.Column("given_name", sa.String(length=120), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=10), nullable=True),
        sa.Column("merged_into", sa.String(length=60), nullable=True),
        sa.PrimaryKeyConstraint("patient_id"),
    )
    op.create_table(
        "projection_marks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "referrals",
        sa.Column("spell_key", sa.String(length=60), nullable=False),
        sa.Column("referral_id", sa.String(length=60), nullable=False),
        sa.Column("service", sa.String(length=30), nullable=False),
        sa.Column("provider_org", sa.String(length=12), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("made_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("trusted_assessment", sa.Boolean(), nullable=False),
        sa.Column("declined_at", sa.DateTime(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("spell_key", "referral_id"),
    )


def _spell_tables() -> None:
    """Spells and ward stays."""
    op.create_table(
        "spells",
        sa.Column("spell_key", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("patient_id", sa.String(length=60), nullable=True),
        sa.Column("site_code", sa.String(length=12), nullable=True),
        sa.Column("ward_code", sa.String(length=20), nullable=True),
        sa.Column("bed", sa.String(length=20), nullable=True),
        sa.Column("admitted_at", sa.DateTime(), nullable=True),
        sa.Column("admission_method", sa.String(length=20), nullable=True),
        sa.Column("specialty", sa.String(length=60), nullable=True),
        sa.Column("discharged_at", sa.DateTime(), nullable=True),
        sa.Column("discharge_destination", sa.String(length=60), nullable=True),
        sa.Column("died", sa.Boolean(), nullable=False),
        sa.Column("on_leave", sa.Boolean(), nullable=False),
        sa.Column("expected_discharge_date", sa.Date(), nullable=True),
        sa.Column("clinical_criteria", sa.Text(), nullable=False),
        sa.Column("last_senior_review_at", sa.DateTime(), nullable=True),
        sa.Column("meets_criteria", sa.Boolean(), nullable=True),
        sa.Column("discharge_ready_date", sa.Date(), nullable=True),
        sa.Column("delay_reason", sa.String(length=10), nullable=True),
        sa.Column("dtoc_reason", sa.String(length=10), nullable=True),
        sa.Column("responsible_agency", sa.String(length=10), nullable=True),
        sa.Column("pathway", sa.String(length=4), nullable=True),
        sa.Column("chc_checklist", sa.String(length=10), nullable=True),
        sa.Column("chc_checklist_at", sa.DateTime(), nullable=True),
        sa.Column("chc_assessment_date", sa.Date(), nullable=True),
        sa.Column("chc_assessment_setting", sa.String(length=10), nullable=True),
        sa.Column("chc_decision_date", sa.Date(), nullable=True),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("last_event_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("spell_key"),
    )
    with op.batch_alter_table("spells", schema=None) as batch_op:
        batch_op.create_index("ix_spells_status_ward", ["status", "ward_code"], unique=False)

    op.create_table(
        "ward_stays",
        sa.Column("spell_key", sa.String(length=60), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ward_code", sa.String(length=20), nullable=False),
        sa.Column("bed", sa.String(length=20), nullable=True),
        sa.Column("start_at", sa.DateTime(), nullable=False),
        sa.Column("end_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("spell_key", "seq"),
    )


def _site_and_ward_tables() -> None:
    """Sites and wards."""
    op.create_table(
        "sites",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("org_code", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_code"],
            ["organisations.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "wards",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("site_code", sa.String(length=12), nullable=False),
        sa.Column("beds", sa.Integer(), nullable=False),
        sa.Column("specialty", sa.String(length=60), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_code"],
            ["sites.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )


def downgrade() -> None:
    op.drop_table("wards")
    op.drop_table("sites")
    op.drop_table("ward_stays")
    with op.batch_alter_table("spells", schema=None) as batch_op:
        batch_op.drop_index("ix_spells_status_ward")

    op.drop_table("spells")
    op.drop_table("referrals")
    op.drop_table("projection_marks")
    op.drop_table("patients")
    op.drop_table("organisations")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_spell_key")
        batch_op.drop_index("ix_events_patient_id")

    op.drop_table("events")
    op.drop_table("delay_reason_periods")
    op.drop_table("delay_episodes")
    op.drop_table("day_ratings")
    op.drop_table("daily_census")
    with op.batch_alter_table("bed_occupancy", schema=None) as batch_op:
        batch_op.drop_index("ix_bed_occupancy_ward")

    op.drop_table("bed_occupancy")
