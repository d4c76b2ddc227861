"""initial inspection schema"""

import sqlalchemy as sa
from alembic import op

from ecosteward import migration_tables as shared

revision, down_revision, branch_labels, depends_on = "0001", None, None, None


def upgrade() -> None:
    shared.create_inbox_events()
    op.create_table(
        "inspections",
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("jurisdiction_id", sa.Uuid(), nullable=False),
        sa.Column("inspector_username", sa.String(length=120), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        *shared.entity_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
    )
    shared.create_column_indexes("inspections", "agency_id", "enterprise_id", "jurisdiction_id", "visited_on")
    shared.create_local_copy(
        "known_enterprises",
        sa.Column("jurisdiction_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        indexed=["jurisdiction_id"],
    )
    shared.create_outbox_events()
    shared.create_child_table(
        "findings",
        sa.Column("inspection_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("jurisdiction_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("handling_class", sa.String(length=20), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        *shared.entity_columns(),
        parent="inspections",
        column="inspection_id",
        indexed=["agency_id", "enterprise_id", "inspection_id", "jurisdiction_id"],
    )


def downgrade() -> None:
    shared.drop_tables("findings", "outbox_events", "known_enterprises", "inspections", "inbox_events")
