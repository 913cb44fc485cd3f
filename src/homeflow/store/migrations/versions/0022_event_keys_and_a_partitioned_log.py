"""on PostgreSQL the log partitioned by seq, its keys kept unique in a table of their own

Revision ID: 0022
Revises: 0021

`events.key` is a unique column: the backstop that makes a feed's resent message a duplicate,
never a second copy. A table partitioned by range holds no unique index that leaves out its
partition key, so on PostgreSQL the log could not be partitioned while the key was unique in
it. There the keys now go to `event_keys (key PRIMARY KEY, seq)`, written by a trigger in the
same statement as the events, so every path that appends (the log, a bulk load, a benchmark's
copy) keeps them. On SQLite, whose log is one table, `event_keys` is a view of `events`, its key
still unique there. The duplicate check and the reads of events by key read `event_keys` on
both.

On PostgreSQL `events` becomes a table partitioned by range of `seq`: the log as it stands is
its first partition (`events_p0001`, attached as it is, no row copied), open-ended until
`homeflow log close-partition` closes it and opens the next (docs/scale.md, "Partitioning the
event log"). `archived_spells` (both engines, empty on SQLite) lists the spells of a detached
partition.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

FIRST = "events_p0001"
# The indexes the log's readers use, kept by the same names on the partitioned table.
INDEXES = {
    "ix_events_spell_key": "spell_key",
    "ix_events_patient_id": "patient_id",
    "ix_events_type": "type",
}


def upgrade() -> None:
    op.create_table(
        "archived_spells",
        sa.Column("spell_key", sa.String(60), primary_key=True),
        sa.Column("partition", sa.String(63), nullable=False),
    )
    if op.get_bind().dialect.name != "postgresql":
        # One table, its key unique in it: the keys are read through a view of it, and a
        # write costs what it did (a trigger a row halved SQLite's bare insert rate).
        op.execute("CREATE VIEW event_keys AS SELECT key, seq FROM events")
        return
    op.create_table(
        "event_keys",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
    )
    op.execute("INSERT INTO event_keys (key, seq) SELECT key, seq FROM events")
    _partition_on_postgresql()
    _keys_kept_on_postgresql()


def _partition_on_postgresql() -> None:
    """The log as it stands becomes the first partition of a table partitioned by `seq`."""
    op.execute("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
    op.execute(f"ALTER TABLE events RENAME TO {FIRST}")
    op.execute(f"ALTER TABLE {FIRST} RENAME CONSTRAINT events_pkey TO {FIRST}_pkey")
    for name, column in INDEXES.items():
        op.execute(f"ALTER INDEX {name} RENAME TO {FIRST}_{column}_idx")
    op.execute(f"CREATE TABLE events (LIKE {FIRST} INCLUDING DEFAULTS) PARTITION BY RANGE (seq)")
    op.execute("ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (seq)")
    for name, column in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON events ({column})")
    # Its indexes match the parent's, so they are attached as they are, none built again.
    op.execute(
        f"ALTER TABLE events ATTACH PARTITION {FIRST} FOR VALUES FROM (MINVALUE) TO (MAXVALUE)"
    )
    op.execute(f"ALTER TABLE {FIRST} DROP CONSTRAINT events_key_key")
    # The numbering belongs to the log, not to a partition that may one day be archived.
    op.execute("ALTER SEQUENCE events_seq_seq OWNED BY events.seq")


def _keys_kept_on_postgresql() -> None:
    # Statement triggers with the rows the statement added or removed: a COPY of a hundred
    # thousand events is one more INSERT ... SELECT, not a hundred thousand calls. `event_keys`
    # is found by the search path, as every homeflow query finds its tables.
    op.execute(
        """
        CREATE FUNCTION events_keep_keys() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO event_keys (key, seq) SELECT key, seq FROM added;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER events_keep_keys AFTER INSERT ON events REFERENCING NEW TABLE AS added"
        " FOR EACH STATEMENT EXECUTE FUNCTION events_keep_keys()"
    )
    op.execute(
        """
        CREATE FUNCTION events_forget_keys() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM event_keys WHERE seq IN (SELECT seq FROM removed);
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER events_forget_keys AFTER DELETE ON events REFERENCING OLD TABLE AS removed"
        " FOR EACH STATEMENT EXECUTE FUNCTION events_forget_keys()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER events_forget_keys ON events")
        op.execute("DROP TRIGGER events_keep_keys ON events")
        op.execute("DROP FUNCTION events_forget_keys()")
        op.execute("DROP FUNCTION events_keep_keys()")
        # Back to one table: the partitions' rows in a plain one, the key unique again.
        op.execute("ALTER TABLE events RENAME TO events_partitioned")
        op.execute("ALTER INDEX events_pkey RENAME TO events_partitioned_pkey")
        for name, column in INDEXES.items():
            op.execute(f"ALTER INDEX {name} RENAME TO events_partitioned_{column}_idx")
        op.execute("CREATE TABLE events (LIKE events_partitioned INCLUDING DEFAULTS)")
        op.execute("INSERT INTO events SELECT * FROM events_partitioned")
        op.execute("ALTER SEQUENCE events_seq_seq OWNED BY events.seq")
        op.execute("DROP TABLE events_partitioned")
        op.execute("ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (seq)")
        op.execute("ALTER TABLE events ADD CONSTRAINT events_key_key UNIQUE (key)")
        for name, column in INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON events ({column})")
        op.drop_table("event_keys")
    else:
        op.execute("DROP VIEW event_keys")
    op.drop_table("archived_spells")
