"""initial reporting schema"""

import sqlalchemy as sa
from alembic import op

import ecosteward.db
from ecosteward import migration_tables as shared

revision, down_revision, branch_labels, depends_on = "0001", None, None, None


def upgrade() -> None:
    shared.create_inbox_events()
    shared.create_local_copy(
        "known_jurisdictions",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
    )
    shared.create_outbox_events()
    op.create_table(
        "reports",
        sa.Column("jurisdiction_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", ecosteward.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        *shared.entity_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint(
            "jurisdiction_id", "kind", "period", name="uq_reports_jurisdiction_id_kind_period"
        ),
    )
    shared.create_column_indexes("reports", "jurisdiction_id")


def downgrade() -> None:
    shared.drop_tables("reports", "outbox_events", "known_jurisdictions", "inbox_events")
