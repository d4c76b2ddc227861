"""Helpers for the services' demo loaders (演示数据).

A demo loader often refers to another service's entity (the demo town, enterprise or contract),
which arrives as an event: it waits until a consumer has stored the local copy, then loads once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from ecosteward.runtime import ServiceRuntime

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


async def wait_until_known(runtime: ServiceRuntime, model: type[Any], id: uuid.UUID, seconds: float) -> bool:
    """Whether the row of ``model`` with ``id`` was stored (by a consumer) within ``seconds``."""

    async def find() -> object | None:
        async with runtime.sessions() as session:
            return await session.get(model, id)

    return await wait_for(find, seconds) is not None


async def has_rows(session: AsyncSession, model: type[Any]) -> bool:
    """Whether ``model``'s table holds any row (a demo loader then loads nothing)."""
    return bool(await session.scalar(sa.select(sa.func.count()).select_from(model)))
