"""``ecosteward.listing`` (``Listing``: one entity's paged list defined once; ``read_in_scope``:
``thing(id)``) and ``ecosteward.fields`` (``children_field``, ``parent_field``), on a real SQLite database."""

from __future__ import annotations

import asyncio
import datetime as dt
import types
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import pytest
import sqlalchemy as sa
import strawberry
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from strawberry.types import Info

from ecosteward.errors import BadUserInput, NotFound
from ecosteward.fields import PageRequest, children_field, parent_field
from ecosteward.graphql import RequestContext, SortDirection, context_of
from ecosteward.listing import Listing, read_in_scope
from ecosteward.mapping import from_row

T = TypeVar("T")
TOWN_A, TOWN_B = uuid.uuid4(), uuid.uuid4()


class Base(DeclarativeBase):
    pass


class ThingRow(Base):
    __tablename__ = "things"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String(20))
    jurisdiction_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)


THINGS = Listing(ThingRow, {"NAME": ThingRow.name}, lambda row: row.name)


def _with_rows(check: Callable[[Any, dict[str, uuid.UUID]], Awaitable[T]]) -> T:
    """Run ``check(info, ids)`` against a fresh database holding four things (one of them deleted)."""

    async def run() -> T:
        engine = create_async_engine("sqlite+aiosqlite://")
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        rows = {
            "alpha": ThingRow(name="alpha", jurisdiction_id=TOWN_A),
            "bravo": ThingRow(name="bravo", jurisdiction_id=TOWN_A),
            "charlie": ThingRow(name="charlie", jurisdiction_id=TOWN_B),
            "gone": ThingRow(name="gone", jurisdiction_id=TOWN_A, deleted_at=dt.datetime(2026, 1, 1)),
        }
        async with sessions() as session, session.begin():
            session.add_all(rows.values())
        context = RequestContext(runtime=cast(Any, types.SimpleNamespace(sessions=sessions)), request_id="r")
        try:
            return await check(types.SimpleNamespace(context=context), {k: r.id for k, r in rows.items()})
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _request(direction: SortDirection, first: int | None = None) -> PageRequest[str]:
    return PageRequest(
        filter=None, sort=types.SimpleNamespace(name="NAME"), direction=direction, first=first, after=None
    )


def test_a_listing_pages_the_live_rows_inside_the_scope_in_order() -> None:
    async def check(info: Any, ids: dict[str, uuid.UUID]) -> None:
        town_a = await THINGS.answer(info, {"jurisdiction_id": TOWN_A}, _request(SortDirection.DESC))
        assert [edge.node for edge in town_a.edges] == ["bravo", "alpha"]
        everything = await THINGS.answer(info, {}, _request(SortDirection.ASC, first=2))
        assert [edge.node for edge in everything.edges] == ["alpha", "bravo"]
        assert everything.total_count == 3 and everything.page_info.has_next_page
        narrowed = await THINGS.answer(info, {}, _request(SortDirection.ASC), [ThingRow.name != "alpha"])
        assert [edge.node for edge in narrowed.edges] == ["bravo", "charlie"]

    _with_rows(check)


def test_read_in_scope_answers_not_found_alike_for_unknown_deleted_and_foreign() -> None:
    async def check(info: Any, ids: dict[str, uuid.UUID]) -> None:
        town_a = {"jurisdiction_id": TOWN_A}
        row = await read_in_scope(info, ThingRow, str(ids["alpha"]), "Thing", town_a)
        assert row.name == "alpha"
        for missing in (ids["charlie"], ids["gone"], uuid.uuid4()):
            with pytest.raises(NotFound):
                await read_in_scope(info, ThingRow, str(missing), "Thing", town_a)
        with pytest.raises(BadUserInput):
            await read_in_scope(info, ThingRow, "not-an-id", "Thing", town_a)

    _with_rows(check)


class NoteRow(Base):
    __tablename__ = "notes"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    thing_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    text: Mapped[str] = mapped_column(sa.String(20))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)


@strawberry.type
class Owner:
    name: str

    @classmethod
    def from_row(cls, row: ThingRow) -> Owner:
        return from_row(cls, row)


@strawberry.type
class Note:
    text: str
    thing_id: strawberry.Private[uuid.UUID]

    owner = parent_field(Owner, ThingRow, "thing_id", description="The thing noted.")


@strawberry.type
class ThingNode:
    id: strawberry.ID
    name: str

    notes = children_field(Note, NoteRow.thing_id, "Thing", NoteRow.text.desc(), description="Its notes.")


@strawberry.type
class NotesQuery:
    @strawberry.field
    async def things(self, info: Info, names: list[str]) -> list[ThingNode]:
        statement = sa.select(ThingRow).where(ThingRow.name.in_(names)).order_by(ThingRow.name)
        async with context_of(info).runtime.sessions() as session:
            rows = (await session.execute(statement)).scalars().all()
        return [from_row(ThingNode, row) for row in rows]


def test_children_and_parent_fields_follow_the_live_rows_in_order() -> None:
    async def check(info: Any, ids: dict[str, uuid.UUID]) -> dict[str, Any]:
        sessions = info.context.runtime.sessions
        async with sessions() as session, session.begin():
            session.add_all(
                [
                    NoteRow(thing_id=ids["alpha"], text="a1"),
                    NoteRow(thing_id=ids["alpha"], text="a2"),
                    NoteRow(thing_id=ids["alpha"], text="a3", deleted_at=dt.datetime(2026, 1, 1)),
                    NoteRow(thing_id=ids["gone"], text="g1"),
                ]
            )
        schema = strawberry.Schema(query=NotesQuery)
        query = "query($names: [String!]!) { things(names: $names) { name notes { text owner { name } } } }"
        answers = {}
        for names in (["alpha", "bravo"], ["gone"]):
            fresh = RequestContext(runtime=info.context.runtime, request_id="r")
            result = await schema.execute(query, variable_values={"names": names}, context_value=fresh)
            answers[names[0]] = {"data": result.data, "errors": [e.formatted for e in result.errors or []]}
        return answers

    live, gone = _with_rows(check).values()
    assert live["errors"] == []
    things = {thing["name"]: thing for thing in live["data"]["things"]}
    assert things["alpha"]["notes"] == [
        {"text": "a2", "owner": {"name": "alpha"}},
        {"text": "a1", "owner": {"name": "alpha"}},
    ]
    assert things["bravo"]["notes"] == []
    # a note of a deleted thing: its owner answers NOT_FOUND, named after the node type
    (error,) = gone["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND" and error["message"].startswith("Owner ")
