"""outbox seq: unique, drawn from a sequence on PostgreSQL; index for inbox pruning

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 20:40:00

Rows numbered twice by the old ``max(seq) + 1`` are renumbered first (same order: seq, then
creation time), so the unique index can be built; the PostgreSQL sequence continues after them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    duplicated = bind.execute(
        sa.text("SELECT count(*) FROM (SELECT seq FROM outbox_events GROUP BY seq HAVING count(*) > 1) d")
    ).scalar_one()
    if duplicated:
        bind.execute(
            sa.text(
                "UPDATE outbox_events SET seq = (SELECT n FROM (SELECT id, row_number() OVER "
                "(ORDER BY seq, created_at, id) AS n FROM outbox_events) r WHERE r.id = outbox_events.id)"
            )
        )
    op.create_index("uq_outbox_events_seq", "outbox_events", ["seq"], unique=True)
    op.create_index("ix_inbox_events_processed_at", "inbox_events", ["processed_at"], unique=False)
    if bind.dialect.name == "postgresql":
        op.execute(sa.schema.CreateSequence(sa.Sequence("outbox_events_seq")))
        op.execute(
            "SELECT setval('outbox_events_seq', (SELECT max(seq) FROM outbox_events)) "
            "WHERE EXISTS (SELECT 1 FROM outbox_events)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.DropSequence(sa.Sequence("outbox_events_seq")))
    op.drop_index("ix_inbox_events_processed_at", table_name="inbox_events")
    op.drop_index("uq_outbox_events_seq", table_name="outbox_events")
