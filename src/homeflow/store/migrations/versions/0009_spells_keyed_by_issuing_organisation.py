"""spells keyed by the organisation that issued them

Revision ID: 0009
Revises: 0008

A spell was keyed by its visit number alone, so two trusts' systems issuing the same number
wrote into one spell. Each stored spell now takes the key "<organisation>:<visit number>", the
organisation being the trust of the site it was admitted to, in the log and in every table that
names it. A spell no admission has reached yet (no site) keeps its key: nothing can tell whose
it is, and a feed now always sends keys with their issuer, so it stays an orphan.
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLES = (
    "events",
    "spells",
    "ward_stays",
    "delay_episodes",
    "delay_reason_periods",
    "referrals",
    "day_ratings",
    "actions",
    "stranded_reviews",
    "bed_occupancy",
    "audit_log",
    "fhir_encounters",
)


def upgrade() -> None:
    op.execute(
        "CREATE TABLE spell_rekey AS "
        "SELECT spells.spell_key AS old_key, sites.org_code || ':' || spells.spell_key AS new_key "
        "FROM spells JOIN sites ON sites.code = spells.site_code "
        "WHERE substr(spells.spell_key, 1, length(sites.org_code) + 1) <> sites.org_code || ':'"
    )
    for table in TABLES:
        op.execute(
            f"UPDATE {table} SET spell_key = "
            f"(SELECT new_key FROM spell_rekey WHERE old_key = {table}.spell_key) "
            f"WHERE spell_key IN (SELECT old_key FROM spell_rekey)"
        )
    op.execute("DROP TABLE spell_rekey")


def downgrade() -> None:
    # The organisation prefix is dropped again; keys two trusts share would collide, so this is
    # for a database holding one trust's spells.
    find = (
        "instr(spell_key, ':')"
        if op.get_bind().dialect.name == "sqlite"
        else "strpos(spell_key, ':')"
    )
    op.execute(
        "CREATE TABLE spell_rekey AS SELECT spells.spell_key AS old_key FROM spells "
        "JOIN sites ON sites.code = spells.site_code "
        "WHERE substr(spells.spell_key, 1, length(sites.org_code) + 1) = sites.org_code || ':'"
    )
    for table in TABLES:
        op.execute(
            f"UPDATE {table} SET spell_key = substr(spell_key, {find} + 1) "
            f"WHERE spell_key IN (SELECT old_key FROM spell_rekey)"
        )
    op.execute("DROP TABLE spell_rekey")
