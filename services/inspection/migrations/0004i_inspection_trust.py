"""inspection trust: local contracts, jurisdictions and work permits from the registry's events

Revision ID: 0004i
Revises: 0001
Create Date: 2026-11-29 20:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004i"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "known_jurisdictions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_jurisdictions")),
    )
    op.create_table(
        "contract_scopes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("jurisdiction_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("scope_jurisdiction_ids", sa.JSON(), nullable=False),
        sa.Column("scope_enterprise_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_scopes")),
    )
    with op.batch_alter_table("contract_scopes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_scopes_agency_id"), ["agency_id"], unique=False)

    op.create_table(
        "work_permits",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("staff_username", sa.String(length=120), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_permits")),
    )
    with op.batch_alter_table("work_permits", schema=None) as batch_op:
        batch_op.create_index("ix_work_permits_holder", ["staff_username", "agency_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("work_permits", schema=None) as batch_op:
        batch_op.drop_index("ix_work_permits_holder")
    op.drop_table("work_permits")
    with op.batch_alter_table("contract_scopes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_scopes_agency_id"))
    op.drop_table("contract_scopes")
    op.drop_table("known_jurisdictions")
