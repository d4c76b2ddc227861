"""The shared table steps of the services' first migrations (ecosteward.migration_tables).

Each step runs under Alembic's ``op`` on a SQLite database; what it creates must be the table the code
maps (``ecosteward.outbox.platform_tables``, ``ecosteward.accounts.account_tables``,
``ecosteward.db.EntityMixin``) — same columns in the same order, same nullability, same key — and
``drop_tables`` must remove it again; a local copy is keyed by the copied entity's id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy.orm import DeclarativeBase

from ecosteward import migration_tables
from ecosteward.accounts import account_tables
from ecosteward.db import TYPE_ANNOTATION_MAP, EntityMixin, service_metadata
from ecosteward.outbox import platform_tables


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class ThingRow(EntityMixin, Base):
    __tablename__ = "things"


PLATFORM = platform_tables(Base.metadata)
ACCOUNTS = account_tables(Base.metadata)


@pytest.fixture
def migrating() -> Iterator[sa.Connection]:
    """A SQLite connection with Alembic's ``op`` bound to it, as inside a migration."""
    engine = sa.create_engine("sqlite://")
    with engine.begin() as connection:
        context = MigrationContext.configure(connection, opts={"target_metadata": service_metadata()})
        with Operations.context(context):
            yield connection
    engine.dispose()


def _shape(table: sa.Table) -> list[tuple[str, bool, bool]]:
    return [(c.name, bool(c.nullable), c.primary_key) for c in table.columns]


def _reflected(connection: sa.Connection, name: str) -> list[tuple[str, bool, bool]]:
    inspector = sa.inspect(connection)
    key = set(inspector.get_pk_constraint(name)["constrained_columns"])
    return [(c["name"], bool(c["nullable"]), c["name"] in key) for c in inspector.get_columns(name)]


def _indexes(connection: sa.Connection, name: str) -> set[str]:
    return {str(i["name"]) for i in sa.inspect(connection).get_indexes(name)}


@pytest.mark.parametrize(
    ("step", "mapped", "indexes"),
    [
        (migration_tables.create_inbox_events, PLATFORM.inbox, set()),
        (migration_tables.create_outbox_events, PLATFORM.outbox, {"ix_outbox_events_pending"}),
        (migration_tables.create_keycloak_accounts, ACCOUNTS, {"ix_keycloak_accounts_due"}),
    ],
    ids=["inbox", "outbox", "keycloak_accounts"],
)
def test_a_platform_step_creates_the_table_the_code_maps_and_drop_tables_removes_it(
    migrating: sa.Connection, step: Callable[[], None], mapped: sa.Table, indexes: set[str]
) -> None:
    step()
    assert _reflected(migrating, mapped.name) == _shape(mapped)
    # The later platform indexes (0002) come from ecosteward.migrations, not from the first migration.
    assert _indexes(migrating, mapped.name) == indexes
    migration_tables.drop_tables(mapped.name)
    assert not sa.inspect(migrating).has_table(mapped.name)


def test_entity_columns_are_the_mixins_and_each_call_makes_new_ones(migrating: sa.Connection) -> None:
    first, second = migration_tables.entity_columns(), migration_tables.entity_columns()
    assert all(a is not b for a, b in zip(first, second, strict=True))  # one table each
    Operations(MigrationContext.configure(migrating)).create_table(
        "things", *first, sa.PrimaryKeyConstraint("id", name="pk_things")
    )
    assert _reflected(migrating, "things") == _shape(ThingRow.__table__)  # type: ignore[arg-type]


def test_column_indexes_are_one_per_column_named_by_the_convention(migrating: sa.Connection) -> None:
    columns: list[Any] = [sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.Integer)]
    Operations(MigrationContext.configure(migrating)).create_table("t", *columns, sa.Column("b", sa.Integer))
    migration_tables.create_column_indexes("t", "b", "a")
    found = sa.inspect(migrating).get_indexes("t")
    assert {i["name"]: (i["column_names"], i["unique"]) for i in found} == {
        "ix_t_a": (["a"], False),
        "ix_t_b": (["b"], False),
    }


def test_a_local_copy_is_keyed_by_the_copied_entitys_id(migrating: sa.Connection) -> None:
    migration_tables.create_local_copy(
        "known_things", sa.Column("name", sa.String(50), nullable=False), indexed=["name"]
    )
    assert _reflected(migrating, "known_things") == [("id", False, True), ("name", False, False)]
    assert sa.inspect(migrating).get_pk_constraint("known_things")["name"] == "pk_known_things"
    assert _indexes(migrating, "known_things") == {"ix_known_things_name"}
