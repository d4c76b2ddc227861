"""Round-2 shared helpers: ``ecosteward.fields.guarded_mutation`` and
``ecosteward.migration_tables.create_child_table`` / ``references``.

A guarded mutation must print the same SDL as the hand-written ``strawberry.mutation`` with a ``roles``
extension it replaces and refuse callers without the role; a child table must get the foreign key,
primary key, unique keys and indexes the services' first migrations spelled out by hand.
"""

from __future__ import annotations

import asyncio
import types

import pytest
import sqlalchemy as sa
import strawberry
from alembic import op
from strawberry.types import Info

from ecosteward import migration_tables
from ecosteward.fields import guarded_mutation
from ecosteward.graphql import roles
from tests.unit.platform.test_migration_tables import migrating  # noqa: F401  (the shared fixture)


@strawberry.type
class Query:
    ping: str = "pong"


@strawberry.type(name="Mutation")
class Guarded:
    @guarded_mutation("Touch a thing (bureau or town).", "bureau_officer", "town_officer")
    def touch(self, info: Info) -> str:
        return "touched"


@strawberry.type(name="Mutation")
class HandWritten:
    @strawberry.mutation(
        description="Touch a thing (bureau or town).", extensions=[roles("bureau_officer", "town_officer")]
    )
    def touch(self, info: Info) -> str:
        return "touched"


class _Principal:
    def __init__(self, *held: str) -> None:
        self.held = set(held)

    def has_role(self, *names: str) -> bool:
        return bool(self.held.intersection(names))


def _touch(principal: _Principal) -> tuple[object, list[str]]:
    schema = strawberry.Schema(query=Query, mutation=Guarded)
    result = asyncio.run(
        schema.execute("mutation { touch }", context_value=types.SimpleNamespace(principal=principal))
    )
    return result.data, [e.message for e in result.errors or []]


def test_a_guarded_mutation_prints_like_the_hand_written_one() -> None:
    assert str(strawberry.Schema(query=Query, mutation=Guarded)) == str(
        strawberry.Schema(query=Query, mutation=HandWritten)
    )


def test_a_guarded_mutation_runs_for_an_allowed_role_only() -> None:
    assert _touch(_Principal("town_officer")) == ({"touch": "touched"}, [])
    data, errors = _touch(_Principal("agency_admin"))
    assert data is None
    assert errors == ["This needs one of the roles: bureau_officer, town_officer (权限不足)."]


@pytest.fixture
def parents(request: pytest.FixtureRequest) -> sa.Connection:
    """The ``migrating`` connection (of test_migration_tables) with a ``parents`` table to reference."""
    connection: sa.Connection = request.getfixturevalue("migrating")
    op.create_table("parents", sa.Column("id", sa.Integer, primary_key=True))
    return connection


def test_a_child_table_references_its_parent_by_the_naming_convention(parents: sa.Connection) -> None:
    migration_tables.create_child_table(
        "kids",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("parent_id", sa.Integer, nullable=False),
        sa.Column("code", sa.String(8), nullable=False),
        parent="parents",
        column="parent_id",
        unique={"uq_kids_parent_code": ["parent_id", "code"]},
        indexed=["parent_id"],
    )
    inspector = sa.inspect(parents)
    assert [(c["name"]) for c in inspector.get_columns("kids")] == ["id", "parent_id", "code"]
    assert inspector.get_pk_constraint("kids") == {"constrained_columns": ["id"], "name": "pk_kids"}
    [fk] = inspector.get_foreign_keys("kids")
    assert (fk["name"], fk["constrained_columns"], fk["referred_table"], fk["referred_columns"]) == (
        "fk_kids_parent_id_parents",
        ["parent_id"],
        "parents",
        ["id"],
    )
    assert [(u["name"], u["column_names"]) for u in inspector.get_unique_constraints("kids")] == [
        ("uq_kids_parent_code", ["parent_id", "code"])
    ]
    assert {i["name"] for i in inspector.get_indexes("kids")} == {"ix_kids_parent_id"}


def test_a_child_table_may_be_keyed_by_its_parent(parents: sa.Connection) -> None:
    migration_tables.create_child_table(
        "current_kid",
        sa.Column("parent_id", sa.Integer, nullable=False),
        parent="parents",
        column="parent_id",
        key="parent_id",
    )
    inspector = sa.inspect(parents)
    assert inspector.get_pk_constraint("current_kid")["constrained_columns"] == ["parent_id"]
    assert [fk["name"] for fk in inspector.get_foreign_keys("current_kid")] == [
        "fk_current_kid_parent_id_parents"
    ]
