"""Small query helpers every service's resolvers use (look-ups, filters, sorting)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from ecosteward.errors import BadUserInput, NotFound
from ecosteward.graphql import AppInfo, SortDirection

M = TypeVar("M")


def parse_id(value: str | uuid.UUID, what: str) -> uuid.UUID:
    """A UUID from client input, or a BAD_USER_INPUT error naming what it should identify."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise BadUserInput(f"{what} id {value!r} is not a valid id (编号无效).", field="id") from exc


async def get_live(session: AsyncSession, model: type[M], entity_id: uuid.UUID, what: str) -> M:
    """The row with ``entity_id`` unless missing or soft-deleted (then NOT_FOUND)."""
    row = await session.get(model, entity_id)
    if row is None or getattr(row, "deleted_at", None) is not None:
        raise NotFound(f"{what} {entity_id} does not exist (不存在).", id=str(entity_id))
    return row


def live(model: Any) -> sa.Select[Any]:
    """SELECT of the rows of ``model`` that are not soft-deleted."""
    return sa.select(model).where(model.deleted_at.is_(None))


def order_by(
    statement: sa.Select[Any],
    columns: Mapping[str, Any],
    field: str,
    direction: SortDirection,
    tiebreaker: Any,
) -> sa.Select[Any]:
    """Sort by a whitelisted column, with a unique tiebreaker so pages are stable."""
    column = columns[field]
    ordered = column.desc() if direction is SortDirection.DESC else column.asc()
    return statement.order_by(ordered, tiebreaker.asc())


def contains(column: Any, text: str | None) -> Any:
    """Case-insensitive substring filter (None when there is no text)."""
    if not text:
        return None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def row_loader(info: AppInfo, model: Any) -> DataLoader[uuid.UUID, Any]:
    """A per-request DataLoader of ``model`` rows by id: one query per batch, not one per field."""
    ctx = info.context
    key = f"rows:{model.__module__}.{model.__qualname__}"
    loader = ctx.extras.get(key)
    if loader is None:

        async def load(ids: list[uuid.UUID]) -> list[Any]:
            async with ctx.runtime.sessions() as session:
                rows = (await session.execute(sa.select(model).where(model.id.in_(ids)))).scalars().all()
            by_id = {row.id: row for row in rows}
            return [by_id.get(i) for i in ids]

        loader = DataLoader(load_fn=load)
        ctx.extras[key] = loader
    return loader


async def load_live(info: AppInfo, model: type[M], entity_id: uuid.UUID, what: str) -> M:
    """Like :func:`get_live`, batched through the request's DataLoader."""
    row = await row_loader(info, model).load(entity_id)
    if row is None or getattr(row, "deleted_at", None) is not None:
        raise NotFound(f"{what} {entity_id} does not exist (不存在).", id=str(entity_id))
    return row


async def children(
    info: AppInfo, model: Any, parent_column: Any, parent_id: uuid.UUID, *order: Any
) -> list[Any]:
    """The rows of ``model`` belonging to one parent (not soft-deleted), in ``order``.

    Batched per request: every parent asking for the same relation in one GraphQL operation is
    answered by one query (``parent_column IN (...)``), not one session and query per parent.
    """
    return await _children_loader(info, model, parent_column, order).load(parent_id)


def _children_loader(
    info: AppInfo, model: Any, parent_column: Any, order: tuple[Any, ...]
) -> DataLoader[uuid.UUID, list[Any]]:
    ctx = info.context
    key = f"children:{model.__module__}.{model.__qualname__}:{parent_column}:{','.join(map(str, order))}"
    loader = ctx.extras.get(key)
    if loader is None:

        async def load(parent_ids: list[uuid.UUID]) -> list[list[Any]]:
            statement = sa.select(model).where(parent_column.in_(parent_ids))
            if hasattr(model, "deleted_at"):
                statement = statement.where(model.deleted_at.is_(None))
            async with ctx.runtime.sessions() as session:
                rows = (await session.execute(statement.order_by(*order))).scalars().all()
            by_parent: dict[Any, list[Any]] = {parent: [] for parent in parent_ids}
            for row in rows:  # rows come in ``order``; grouping keeps it within each parent
                by_parent[getattr(row, parent_column.key)].append(row)
            return [by_parent[parent] for parent in parent_ids]

        loader = DataLoader(load_fn=load)
        ctx.extras[key] = loader
    return loader
