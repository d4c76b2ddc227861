"""initial appraisal schema"""

import sqlalchemy as sa
from alembic import op

from ecosteward import migration_tables as shared

revision, down_revision, branch_labels, depends_on = "0001", None, None, None


def upgrade() -> None:
    op.create_table(
        "appraisals",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("jurisdiction_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("total_score_tenths", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        *shared.entity_columns(),
        sa.CheckConstraint(
            "total_score_tenths BETWEEN 0 AND 1000", name=op.f("ck_appraisals_total_score_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisals")),
        sa.UniqueConstraint("contract_id", "period", name="uq_appraisals_contract_id_period"),
    )
    shared.create_column_indexes("appraisals", "agency_id", "contract_id", "jurisdiction_id")
    shared.create_inbox_events()
    shared.create_local_copy(
        "known_contracts",
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("jurisdiction_id", sa.Uuid(), nullable=False),
        indexed=["agency_id", "jurisdiction_id"],
    )
    shared.create_outbox_events()


def downgrade() -> None:
    shared.drop_tables("outbox_events", "known_contracts", "inbox_events", "appraisals")
