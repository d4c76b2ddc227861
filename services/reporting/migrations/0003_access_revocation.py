"""access revocations (suspended agencies, disabled accounts, closed enterprises)

Kept by the platform's revocation consumers (``ecosteward.revocation``) and checked after every token.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-29 20:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecosteward.db

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_revocations",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_time", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", ecosteward.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_access_revocations")),
    )
    op.create_index("ix_access_revocations_updated_at", "access_revocations", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_access_revocations_updated_at", table_name="access_revocations")
    op.drop_table("access_revocations")
