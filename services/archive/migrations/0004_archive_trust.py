"""archive trust: jurisdiction kinds and each contract's managing jurisdiction

Revision ID: 0004a
Revises: 0001
Create Date: 2026-11-29 20:30:00

Both columns are nullable and are filled from the registry's events from now on. Rows kept from
older events have neither: a contract scope without its managing jurisdiction grants nothing, and a
jurisdiction of unknown kind covers only itself (``services.archive.contract_scope``), so an old row
can never widen an agency's access; the contract's next event fills the column in.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004a"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("known_jurisdictions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=True))
    with op.batch_alter_table("contract_scopes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("managing_jurisdiction_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contract_scopes", schema=None) as batch_op:
        batch_op.drop_column("managing_jurisdiction_id")
    with op.batch_alter_table("known_jurisdictions", schema=None) as batch_op:
        batch_op.drop_column("kind")
