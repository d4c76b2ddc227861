"""registry trust: local copy of enterprises, calendar confirmation history

Revision ID: 0004r
Revises: 0001
Create Date: 2026-11-29 20:45:00

``known_enterprises`` is filled from the archive's ``archive.enterprise.*`` events (a new durable
consumer reads the stream from its start). ``calendar_confirmations`` keeps every confirmation of a
calendar year, with the reason when a year without holiday entries was confirmed anyway.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecosteward.db

revision: str = "0004r"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "known_enterprises",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("jurisdiction_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_enterprises")),
    )
    with op.batch_alter_table("known_enterprises", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_known_enterprises_jurisdiction_id"), ["jurisdiction_id"], unique=False
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
    with op.batch_alter_table("calendar_confirmations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_confirmations_year"), ["year"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("calendar_confirmations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_confirmations_year"))
    op.drop_table("calendar_confirmations")
    with op.batch_alter_table("known_enterprises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_known_enterprises_jurisdiction_id"))
    op.drop_table("known_enterprises")
