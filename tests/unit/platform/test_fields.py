"""``ecosteward.fields``: the root ``thing(id)`` and ``things(filter, sort, direction, first, after)``
fields, built once, print the same SDL as hand-written resolvers and pass the arguments on."""

from __future__ import annotations

import asyncio
import types
import uuid
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from ecosteward.errors import NotFound
from ecosteward.fields import PageRequest, entity_field, list_field, reference_reader
from ecosteward.graphql import Connection, PageInfo, SortDirection, connection
from ecosteward.mapping import from_row

SEEN: list[PageRequest[Any]] = []


@strawberry.type
class Thing:
    id: strawberry.ID

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Thing:
        return cls(id=strawberry.ID(f"thing-{id}"))


async def _read_gadget(info: Info, id: strawberry.ID) -> Any:
    """A service's by-id rule: the row, or NOT_FOUND (here: a row for every id but "0")."""
    if id == "0":
        raise NotFound("Gadget 0 does not exist (不存在).", id="0")
    return types.SimpleNamespace(id=uuid.UUID(int=int(id)), name=f"gadget {id}")


@strawberry.federation.type(keys=["id"])
class Gadget:
    id: strawberry.ID
    name: str

    resolve_reference = reference_reader(_read_gadget)

    @classmethod
    def from_row(cls, row: Any) -> Gadget:
        return from_row(cls, row)


@strawberry.input
class ThingFilter:
    name: str | None = None


@strawberry.enum
class ThingSortField(Enum):
    NAME = "NAME"
    SIZE = "SIZE"


async def _page(info: Info, request: PageRequest[Thing]) -> Connection[Thing]:
    SEEN.append(request)
    empty = PageInfo(has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None)
    return connection([Thing(id=strawberry.ID("1"))], empty, 1)


@strawberry.type(name="Query")
class Built:
    thing = entity_field(Thing, description="One thing.")
    things = list_field(
        Thing,
        _page,
        filter=ThingFilter,
        sort=ThingSortField.SIZE,
        direction=SortDirection.DESC,
        description="Things.",
    )
    some_things = list_field(Thing, _page, filter=ThingFilter, description="Some things.")


@strawberry.type
class GadgetQuery:
    gadget = entity_field(Gadget, description="One gadget.")


# What hand-written resolvers with these arguments print, one row a field:
# (description, field, arguments, type).
PAGE = "first: Int = null, after: String = null"
HAND_WRITTEN = [
    ("One thing.", "thing", "id: ID!", "Thing!"),
    (
        "Things.",
        "things",
        f"filter: ThingFilter = null, sort: ThingSortField! = SIZE, direction: SortDirection! = DESC, {PAGE}",
        "ThingConnection!",
    ),
    ("Some things.", "someThings", f"filter: ThingFilter = null, {PAGE}", "ThingConnection!"),
]


def test_the_built_fields_print_the_sdl_of_hand_written_resolvers() -> None:
    fields = "".join(
        f'\n\n  """{text}"""\n  {name}({args}): {type_}' for text, name, args, type_ in HAND_WRITTEN
    )
    sdl = str(strawberry.federation.Schema(query=Built))
    assert "type Query {\n  _service: _Service!" + fields + "\n}\n" in sdl
    types = [
        line.split()[1] for line in sdl.splitlines() if line.split()[:1] in (["type"], ["input"], ["enum"])
    ]
    assert types == [
        "PageInfo",
        "Query",
        "SortDirection",
        "Thing",
        "ThingConnection",
        "ThingEdge",
        "ThingFilter",
        "ThingSortField",
        "_Service",
    ]


def _run(query: str) -> dict[str, Any]:
    result = asyncio.run(strawberry.federation.Schema(query=Built).execute(query))
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


def test_entity_field_answers_with_resolve_reference() -> None:
    assert _run('{ thing(id: "7") { id } }') == {"thing": {"id": "thing-7"}}


def test_reference_reader_gives_by_id_and_entities_one_rule() -> None:
    schema = strawberry.federation.Schema(query=GadgetQuery, types=[Gadget])
    by_id = asyncio.run(schema.execute('{ gadget(id: "3") { id name } }'))
    entities = asyncio.run(
        schema.execute(
            '{ _entities(representations: [{__typename: "Gadget", id: "3"}]) { ... on Gadget { id name } } }'
        )
    )
    three = {"id": str(uuid.UUID(int=3)), "name": "gadget 3"}
    assert by_id.data == {"gadget": three} and entities.data == {"_entities": [three]}
    missing = asyncio.run(schema.execute('{ gadget(id: "0") { id } }'))
    assert missing.errors and "Gadget 0 does not exist" in missing.errors[0].message


def test_list_field_passes_the_arguments_and_the_defaults_on() -> None:
    SEEN.clear()
    data = _run(
        '{ things(filter: {name: "a"}, sort: NAME, direction: ASC, first: 5, after: "YQ==") { totalCount } '
        "  defaults: things { totalCount } some: someThings { totalCount } }"
    )
    assert data == {"things": {"totalCount": 1}, "defaults": {"totalCount": 1}, "some": {"totalCount": 1}}
    given, defaults, some = SEEN
    assert given.filter.name == "a"
    assert (given.sort, given.direction, given.first, given.after) == (
        ThingSortField.NAME,
        SortDirection.ASC,
        5,
        "YQ==",
    )
    assert (defaults.filter, defaults.sort, defaults.direction, defaults.first, defaults.after) == (
        None,
        ThingSortField.SIZE,
        SortDirection.DESC,
        None,
        None,
    )
    # a field without sort or direction arguments: no sort key, ascending
    assert (some.sort, some.direction) == (None, SortDirection.ASC)
