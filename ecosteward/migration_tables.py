"""What the services' migrations create alike: the platform tables of every ``0001`` and the entity columns.

Each service's first migration (``services/<svc>/migrations/0001_*.py``) used to spell out the same
platform tables — the transactional outbox (``outbox_events``), the consumers' inbox
(``inbox_events``), the Keycloak account queue (``keycloak_accounts``) — the four columns of
:class:`ecosteward.db.EntityMixin` and the key of every local copy. They are defined once here and
called from those migrations.

Frozen history: these functions create the tables exactly as the ``0001`` migrations did (same
columns, order, constraint and index names). A later change to a platform table is a new step in
:mod:`ecosteward.migrations` with a new migration in every service, never an edit here.

The functions use Alembic's ``op`` of the running migration, so they are called from a migration's
``upgrade``/``downgrade`` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from ecosteward.db import UTCDateTime

__all__ = [
    "create_child_table",
    "create_column_indexes",
    "create_inbox_events",
    "create_keycloak_accounts",
    "create_local_copy",
    "create_outbox_events",
    "drop_tables",
    "entity_columns",
    "references",
]


def entity_columns() -> list[sa.Column[Any]]:
    """``id``, ``created_at``, ``updated_at``, ``deleted_at``: the columns of ``EntityMixin`` (new each call)."""
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
    ]


def create_inbox_events() -> None:
    """``inbox_events``: the events each consumer has processed (``ecosteward.consumer``)."""
    op.create_table(
        "inbox_events",
        sa.Column("consumer", sa.String(length=120), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=150), nullable=False),
        sa.Column("processed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_inbox_events")),
    )


def create_outbox_events() -> None:
    """``outbox_events`` and its index of pending events: the transactional outbox (``ecosteward.outbox``)."""
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("nats_subject", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=150), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
    )
    op.create_index("ix_outbox_events_pending", "outbox_events", ["published_at", "seq"], unique=False)


def create_keycloak_accounts() -> None:
    """``keycloak_accounts`` and its index of due rows: accounts queued for Keycloak (registry, archive)."""
    op.create_table(
        "keycloak_accounts",
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("first_name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("last_name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("require_password_change", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("synced_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("keycloak_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_keycloak_accounts")),
    )
    op.create_index(
        "ix_keycloak_accounts_due", "keycloak_accounts", ["status", "next_attempt_at"], unique=False
    )


def create_local_copy(table: str, *columns: sa.Column[Any], indexed: Sequence[str] = ()) -> None:
    """A local copy (本地副本) of another service's entity: keyed by the entity's ``id``, then ``columns``.

    ``indexed`` columns get a plain index each (:func:`create_column_indexes`).
    """
    op.create_table(
        table,
        sa.Column("id", sa.Uuid(), nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )
    create_column_indexes(table, *indexed)


def create_child_table(
    table: str,
    *columns: sa.Column[Any],
    parent: str,
    column: str,
    key: str = "id",
    unique: Mapping[str, Sequence[str]] = {},
    indexed: Sequence[str] = (),
) -> None:
    """A table whose ``column`` references ``<parent>.id`` (``fk_<table>_<column>_<parent>``), keyed by ``key``.

    ``columns`` come in the order given; ``unique`` maps a unique constraint's name to its columns;
    ``indexed`` columns get a plain index each (:func:`create_column_indexes`).
    """
    op.create_table(
        table,
        *columns,
        references(table, column, parent),
        sa.PrimaryKeyConstraint(key, name=op.f(f"pk_{table}")),
        *(sa.UniqueConstraint(*names, name=name) for name, names in unique.items()),
    )
    create_column_indexes(table, *indexed)


def references(table: str, column: str, parent: str) -> sa.ForeignKeyConstraint:
    """``table.column`` references ``<parent>.id``; the constraint is named ``fk_<table>_<column>_<parent>``."""
    return sa.ForeignKeyConstraint([column], [f"{parent}.id"], name=op.f(f"fk_{table}_{column}_{parent}"))


def create_column_indexes(table: str, *columns: str) -> None:
    """One plain index ``ix_<table>_<column>`` per column, in the order given (a model's ``index=True``)."""
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def drop_tables(*tables: str) -> None:
    """Drop ``tables`` in the order given (referencing tables first); their indexes go with them."""
    for table in tables:
        op.drop_table(table)
