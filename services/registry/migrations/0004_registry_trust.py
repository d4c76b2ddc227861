"""registry trust: local copy of enterprises, calendar confirmation history

``known_enterprises`` is filled from the archive's ``archive.enterprise.*`` events (a new durable
consumer reads the stream from its start). ``calendar_confirmations`` keeps every confirmation of a
calendar year, with the reason when a year without holiday entries was confirmed anyway.
"""

import sqlalchemy as sa
from alembic import op

import ecosteward.db
from ecosteward import migration_tables as shared

revision, down_revision, branch_labels, depends_on = "0004r", "0001", None, None


def upgrade() -> None:
    shared.create_local_copy(
        "known_enterprises",
        sa.Column("jurisdiction_id", sa.Uuid(), nullable=False),
        indexed=["jurisdiction_id"],
    )
    op.create_table(
        "calendar_confirmations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("holiday_entries", sa.Integer(), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=False),
        sa.Column("confirmed_at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_confirmations")),
    )
    shared.create_column_indexes("calendar_confirmations", "year")


def downgrade() -> None:
    shared.drop_tables("calendar_confirmations", "known_enterprises")
