"""Reading entities inside the caller's data scope: one entity by id, or one sorted, filtered page.

Every service answers ``thing(id)``, ``_entities`` and ``things(filter, sort, direction, first, after)``
the same way; these two helpers are that way, written once::

    row = await load_in_scope(session, InspectionRow, inspection_id, "Inspection", caller_scope)
    page = await list_page(info, InspectionRow, caller_scope, filter, COLUMNS, sort, direction, first, after, to_type)

A row's scope owners are its columns named like the scope's claims (``jurisdiction_id``,
``agency_id``, ``enterprise_id``): a model without such a column is outside every scope that
restricts by it, as in :func:`ecosteward.scope.in_scope`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from ecosteward.errors import NotFound
from ecosteward.fields import PageRequest
from ecosteward.graphql import Connection, SortDirection, connection, context_of, paginate
from ecosteward.repository import live, order_by, parse_id
from ecosteward.scope import Scope, in_scope, restrict

R = TypeVar("R")
N = TypeVar("N")


class Filter(Protocol):
    """A GraphQL filter input that narrows a statement."""

    def apply(self, stmt: sa.Select[Any]) -> sa.Select[Any]: ...


def owners_of(row: object, scope: Scope) -> dict[str, uuid.UUID]:
    """The scope owners of ``row``: its columns named like the claims of ``scope``."""
    return {claim: getattr(row, claim) for claim in scope if hasattr(row, claim)}


def restrict_to_scope(statement: sa.Select[Any], model: Any, scope: Scope) -> sa.Select[Any]:
    """``statement`` over ``model`` narrowed to the rows inside ``scope`` (owner columns by claim name)."""
    columns = {claim: getattr(model, claim) for claim in scope if hasattr(model, claim)}
    return restrict(statement, scope, columns)


async def load_in_scope(
    session: AsyncSession, model: type[R], entity_id: uuid.UUID, what: str, scope: Scope
) -> R:
    """The live row with ``entity_id`` if it lies inside ``scope``.

    NOT_FOUND alike for "not there", "deleted" and "not yours", so ids cannot be probed.
    """
    row = await session.get(model, entity_id)
    if (
        row is None
        or getattr(row, "deleted_at", None) is not None
        or not in_scope(scope, owners_of(row, scope))
    ):
        raise NotFound(f"{what} {entity_id} does not exist (不存在).", id=str(entity_id))
    return row


async def list_page(
    info: Info[Any, Any],
    model: Any,
    scope: Scope,
    filter: Filter | None,
    columns: Mapping[str, Any],
    sort: Enum,
    direction: SortDirection,
    first: int | None,
    after: str | None,
    node: Callable[[Any], N],
    where: Sequence[Any] = (),
) -> Connection[N]:
    """One page of the live rows of ``model`` inside ``scope``: narrowed by ``where`` and ``filter``,
    sorted by ``columns[sort.name]`` then by id (so pages are stable), each mapped by ``node``."""
    statement = restrict_to_scope(live(model), model, scope)
    for condition in where:
        statement = statement.where(condition)
    if filter is not None:
        statement = filter.apply(statement)
    statement = order_by(statement, columns, sort.name, direction, model.id)
    return await page_of(info, statement, first, after, node)


async def page_of(
    info: Info[Any, Any],
    statement: sa.Select[Any],
    first: int | None,
    after: str | None,
    node: Callable[[Any], N],
) -> Connection[N]:
    """One page of an already filtered and sorted ``statement``, each row mapped by ``node``."""
    async with context_of(info).runtime.sessions() as session:
        rows, page, total = await paginate(session, statement, first, after)
    return connection([node(row) for row in rows], page, total)


async def read_in_scope(info: Info[Any, Any], model: type[R], entity_id: str, what: str, scope: Scope) -> R:
    """``thing(id)`` and ``_entities`` alike: the live row ``entity_id`` (a client's text, parsed as an id of
    ``what``) inside ``scope``, in its own session; NOT_FOUND alike otherwise (:func:`load_in_scope`)."""
    async with context_of(info).runtime.sessions() as session:
        return await load_in_scope(session, model, parse_id(entity_id, what), what, scope)


@dataclass(frozen=True)
class Listing(Generic[N]):
    """One paged list of an entity, defined once: its model, the column each sort key names, and how a
    row becomes a node. The root list and every nested list of the entity share it::

        FINDINGS = Listing(FindingRow, {"RECORDED_AT": FindingRow.created_at}, Finding.from_row)
        return await FINDINGS.page(info, caller_scope, filter, sort, direction, first, after)
    """

    model: Any
    columns: Mapping[str, Any]
    node: Callable[[Any], N]

    async def page(
        self,
        info: Info[Any, Any],
        scope: Scope,
        filter: Filter | None,
        sort: Enum,
        direction: SortDirection,
        first: int | None,
        after: str | None,
        where: Sequence[Any] = (),
    ) -> Connection[N]:
        """:func:`list_page` of this entity's live rows inside ``scope``."""
        return await list_page(
            info, self.model, scope, filter, self.columns, sort, direction, first, after, self.node, where
        )

    async def answer(
        self, info: Info[Any, Any], scope: Scope, request: PageRequest[N], where: Sequence[Any] = ()
    ) -> Connection[N]:
        """:meth:`page` for the arguments of a :func:`ecosteward.fields.list_field` call."""
        return await self.page(
            info, scope, request.filter, request.sort, request.direction, request.first, request.after, where
        )
