"""``ecosteward.mapping``: rows become GraphQL types by field name; use cases run in one unit of work."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import types
import uuid
from collections.abc import AsyncIterator
from enum import Enum
from typing import Any, cast

import pytest
import strawberry

from ecosteward.graphql import RequestContext
from ecosteward.identity import Principal, Role
from ecosteward.mapping import copy_into, from_row, perform


@strawberry.enum
class Colour(Enum):
    RED = "RED"
    GREEN = "GREEN"


@strawberry.type
class Thing:
    id: strawberry.ID
    name: str
    colour: Colour
    previous_colour: Colour | None
    owner_id: strawberry.ID
    tags: list[str]
    parent_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()


@dataclasses.dataclass
class Row:
    id: uuid.UUID
    name: str
    colour: str
    previous_colour: str | None
    owner_id: uuid.UUID
    tags: list[str]
    parent_id: uuid.UUID
    unrelated: str = "not a field"


def _row(**changes: Any) -> Row:
    base = Row(uuid.uuid4(), "Acme", "RED", None, uuid.uuid4(), ["a"], uuid.uuid4())
    return dataclasses.replace(base, **changes)


def test_fields_are_copied_by_name_with_ids_as_text_and_stored_strings_as_members() -> None:
    row = _row(previous_colour="GREEN")
    thing = from_row(Thing, row)
    assert thing.id == str(row.id) and isinstance(thing.id, str)
    assert thing.owner_id == str(row.owner_id)
    assert thing.name == "Acme" and thing.tags == ["a"]
    assert thing.colour is Colour.RED and thing.previous_colour is Colour.GREEN
    # a Private field is not in the GraphQL schema: it keeps the row's value as it is
    assert thing.parent_id == row.parent_id and isinstance(thing.parent_id, uuid.UUID)


def test_an_optional_enum_stays_none_and_a_member_stays_itself() -> None:
    thing = from_row(Thing, _row(colour=Colour.GREEN, previous_colour=None))
    assert thing.colour is Colour.GREEN and thing.previous_colour is None


def test_overrides_replace_the_copy() -> None:
    row = _row()
    thing = from_row(Thing, row, name="Other", tags=[], colour=Colour.GREEN)
    assert (thing.name, thing.tags, thing.colour) == ("Other", [], Colour.GREEN)
    assert thing.id == str(row.id)


def test_a_field_missing_from_the_row_is_an_error_not_a_default() -> None:
    partial = types.SimpleNamespace(id=uuid.uuid4(), name="x")
    with pytest.raises(AttributeError):
        from_row(Thing, partial)


def test_an_override_that_names_no_field_is_an_error() -> None:
    with pytest.raises(TypeError, match="nickname"):
        from_row(Thing, _row(), nickname="y")


def test_only_strawberry_types_are_built() -> None:
    with pytest.raises(TypeError):
        from_row(Row, _row())


def test_an_unknown_stored_value_is_not_silently_accepted() -> None:
    with pytest.raises(ValueError):
        from_row(Thing, _row(colour="BLUE"))


@dataclasses.dataclass
class UseCaseInput:
    name: str
    owner_id: uuid.UUID
    tags: list[str] = dataclasses.field(default_factory=list)


def test_copy_into_fills_a_use_case_input_from_a_graphql_input_by_name() -> None:
    @strawberry.input
    class GraphQLInput:
        name: str
        owner_id: strawberry.ID
        tags: list[str]
        ignored: int = 0

    given = GraphQLInput(name="Acme", owner_id=strawberry.ID(str(uuid.UUID(int=1))), tags=["x"])
    data = copy_into(UseCaseInput, given, owner_id=uuid.UUID(str(given.owner_id)))
    assert data == UseCaseInput(name="Acme", owner_id=uuid.UUID(int=1), tags=["x"])
    with pytest.raises(AttributeError):  # a default of the target never hides a missing source field
        copy_into(UseCaseInput, types.SimpleNamespace(name="Acme", owner_id=uuid.UUID(int=1)))
    with pytest.raises(TypeError):
        copy_into(cast(Any, dict), given)  # only dataclasses


def test_perform_runs_the_use_case_as_the_caller_in_one_unit_of_work() -> None:
    events: list[str] = []
    uow = object()

    @contextlib.asynccontextmanager
    async def unit_of_work() -> AsyncIterator[object]:
        events.append("begin")
        yield uow
        events.append("commit")

    async def use_case(given: Any, actor: Principal, number: int, *, word: str) -> str:
        assert given is uow
        events.append(f"{actor.username}:{number}:{word}")
        return "done"

    user = Principal(subject="s", username="town", roles=frozenset({Role.TOWN_OFFICER}))
    runtime = types.SimpleNamespace(unit_of_work=unit_of_work)
    context = RequestContext(runtime=cast(Any, runtime), request_id="r", principal=user)
    info = cast(Any, types.SimpleNamespace(context=context))
    assert asyncio.run(perform(info, cast(Any, use_case), 7, word="x")) == "done"
    assert events == ["begin", "town:7:x", "commit"]
