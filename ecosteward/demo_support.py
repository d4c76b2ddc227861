"""Helpers for the services' demo loaders (演示数据).

A demo loader often refers to another service's entity (the demo town, enterprise or contract),
which arrives as an event: it waits until a consumer has stored the local copy, then loads once.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from ecosteward.outbox import UnitOfWork
    from ecosteward.runtime import ServiceRuntime

log = logging.getLogger(__name__)

T = TypeVar("T")


async def wait_for(
    find: Callable[[], Awaitable[T | None]], seconds: float, interval: float = 1.0
) -> T | None:
    """What ``find`` returns once it returns something, asking every ``interval`` seconds.

    None when ``seconds`` pass first.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (found := await find()) is None:
        if loop.time() > deadline:
            return None
        await asyncio.sleep(interval)
    return found


def known_row(model: type[T], id: uuid.UUID) -> Callable[[ServiceRuntime], Awaitable[T | None]]:
    """A finder for :func:`demo_loader`: the row of ``model`` with ``id`` once a consumer stored it."""

    async def find(runtime: ServiceRuntime) -> T | None:
        async with runtime.sessions() as session:
            return await session.get(model, id)

    return find


async def wait_until_known(runtime: ServiceRuntime, model: type[Any], id: uuid.UUID, seconds: float) -> bool:
    """Whether the row of ``model`` with ``id`` was stored (by a consumer) within ``seconds``."""
    find = known_row(model, id)
    return await wait_for(lambda: find(runtime), seconds) is not None


def demo_loader(
    find: Callable[[ServiceRuntime], Awaitable[T | None]],
    table: type[Any],
    fill: Callable[[UnitOfWork, T], Awaitable[object]],
    missing: str,
    *,
    then: Callable[[ServiceRuntime], Awaitable[object]] | None = None,
) -> Callable[..., Coroutine[Any, Any, None]]:
    """The common demo loader (``load(runtime, wait_seconds=120.0)``): wait until ``find`` finds
    another service's entity (copied from its events), then, in one unit of work, ``fill`` ``table``
    with it unless the table already holds rows; ``then`` runs after a fill.

    Logs ``missing`` as a warning when nothing is found within ``wait_seconds``.
    """

    async def load(runtime: ServiceRuntime, wait_seconds: float = 120.0) -> None:
        found = await wait_for(lambda: find(runtime), wait_seconds)
        if found is None:
            log.warning("%s", missing)
            return
        async with runtime.unit_of_work() as uow:
            if await has_rows(uow.session, table):
                return
            await fill(uow, found)
        if then is not None:
            await then(runtime)

    return load


async def has_rows(session: AsyncSession, model: type[Any]) -> bool:
    """Whether ``model``'s table holds any row (a demo loader then loads nothing)."""
    return bool(await session.scalar(sa.select(sa.func.count()).select_from(model)))
