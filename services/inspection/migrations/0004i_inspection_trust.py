"""inspection trust: local contracts, jurisdictions and work permits from the registry's events"""

import sqlalchemy as sa
from alembic import op

from ecosteward import migration_tables as shared

revision, down_revision, branch_labels, depends_on = "0004i", "0001", None, None


def upgrade() -> None:
    shared.create_local_copy(
        "known_jurisdictions",
        sa.Column("kind", sa.String(length=16), nullable=False),
    )
    shared.create_local_copy(
        "contract_scopes",
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("jurisdiction_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("scope_jurisdiction_ids", sa.JSON(), nullable=False),
        sa.Column("scope_enterprise_ids", sa.JSON(), nullable=False),
        indexed=["agency_id"],
    )
    shared.create_local_copy(
        "work_permits",
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("staff_username", sa.String(length=120), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
    )
    op.create_index("ix_work_permits_holder", "work_permits", ["staff_username", "agency_id"], unique=False)


def downgrade() -> None:
    shared.drop_tables("work_permits", "contract_scopes", "known_jurisdictions")
