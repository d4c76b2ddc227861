"""Alembic for every service: the body of ``env.py`` and the platform tables' migration steps.

``run_env`` is what each service's ``migrations/env.py`` calls (async engines, SQLite batch mode).

The platform tables (outbox, inbox, access revocations, Keycloak accounts) are the same in every
service. A change to one is a step here, and each service's migration for it is a few lines that
name the step as its ``upgrade``/``downgrade``:

* :func:`upgrade_outbox_sequence` / :func:`downgrade_outbox_sequence` — the ``0002`` migrations;
* :func:`create_access_revocations` / :func:`drop_access_revocations` — the ``0003`` migrations.

A step is frozen history: a later change gets a new step (and a new migration in every service),
never an edit of an old one. The platform tables of each service's ``0001`` come from
:mod:`ecosteward.migration_tables`, frozen the same way.
"""

from __future__ import annotations

import asyncio
from typing import cast

import sqlalchemy as sa
from alembic import context
from alembic.operations import Operations
from sqlalchemy.engine import Connection

from ecosteward.db import UTCDateTime, create_engine


def _do_run(connection: Connection, target_metadata: sa.MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str, target_metadata: sa.MetaData) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_do_run, target_metadata)
            await connection.commit()
    finally:
        await engine.dispose()


def run_env(target_metadata: sa.MetaData) -> None:
    """Run migrations online against ``sqlalchemy.url`` (offline SQL generation is not supported)."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not configured"
    if context.is_offline_mode():
        raise RuntimeError("offline migrations are not supported; run against a database")
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_run_online(url, target_metadata))
        return
    # Called from inside an event loop (service start-up): run in a private loop on a thread.
    import threading

    errors: list[BaseException] = []

    def runner() -> None:
        try:
            asyncio.run(_run_online(url, target_metadata))
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=runner)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


# ----------------------------------------------------------------------------- platform table steps

OUTBOX_SEQUENCE = "outbox_events_seq"
"""The PostgreSQL sequence ``seq`` is drawn from (``ecosteward.outbox.OUTBOX_SEQUENCE``)."""


def _operations(op: Operations | None) -> Operations:
    """``op``, or Alembic's ``op`` of the running migration (so a step can be a migration's upgrade)."""
    if op is not None:
        return op
    from alembic import op as running

    return cast(Operations, running)


def upgrade_outbox_sequence(op: Operations | None = None) -> None:
    """Outbox ``seq`` unique and drawn from a sequence on PostgreSQL; inbox index for pruning (0002).

    Rows numbered twice by the old ``max(seq) + 1`` are renumbered first (same order: seq, then
    creation time), so the unique index can be built; the PostgreSQL sequence continues after them.
    """
    op = _operations(op)
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
        op.execute(sa.schema.CreateSequence(sa.Sequence(OUTBOX_SEQUENCE)))
        op.execute(
            f"SELECT setval('{OUTBOX_SEQUENCE}', (SELECT max(seq) FROM outbox_events)) "
            "WHERE EXISTS (SELECT 1 FROM outbox_events)"
        )


def downgrade_outbox_sequence(op: Operations | None = None) -> None:
    """Undo :func:`upgrade_outbox_sequence` (the renumbering stays)."""
    op = _operations(op)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.DropSequence(sa.Sequence(OUTBOX_SEQUENCE)))
    op.drop_index("ix_inbox_events_processed_at", table_name="inbox_events")
    op.drop_index("uq_outbox_events_seq", table_name="outbox_events")


def create_access_revocations(op: Operations | None = None) -> None:
    """The ``access_revocations`` table kept by ``ecosteward.revocation`` (0003)."""
    op = _operations(op)
    op.create_table(
        "access_revocations",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_time", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_access_revocations")),
    )
    op.create_index("ix_access_revocations_updated_at", "access_revocations", ["updated_at"], unique=False)


def drop_access_revocations(op: Operations | None = None) -> None:
    """Undo :func:`create_access_revocations`."""
    op = _operations(op)
    op.drop_index("ix_access_revocations_updated_at", table_name="access_revocations")
    op.drop_table("access_revocations")
