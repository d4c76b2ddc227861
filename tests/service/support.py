"""Service-level tests: a service's use cases on SQLite with the real unit of work and migrations, no bus.

The database is migrated by the service's own Alembic scripts (as at start-up), so these tests also
prove the migrations and the models agree. Events stay in the outbox, where a test can read them.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ecosteward.config import REPO_ROOT
from ecosteward.db import create_engine, run_migrations, session_factory
from ecosteward.errors import AppError
from ecosteward.identity import Principal, Role
from ecosteward.listing import load_in_scope
from ecosteward.outbox import PlatformTables, UnitOfWork, unit_of_work
from ecosteward.scope import Scope

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class ServiceDb:
    """One service's migrated SQLite database and its unit of work."""

    service: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    tables: PlatformTables

    def unit_of_work(self) -> contextlib.AbstractAsyncContextManager[UnitOfWork]:
        return unit_of_work(self.sessions, self.tables, self.service)

    async def call(self, use_case: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """``use_case(uow, *args, **kwargs)`` in one unit of work, committed unless it raises."""
        async with self.unit_of_work() as uow:
            return await use_case(uow, *args, **kwargs)

    async def count(self, table: Any) -> int:
        """How many rows ``table`` (a model or a table) holds."""
        async with self.sessions() as session:
            return int(await session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)

    async def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """The envelopes in the outbox (optionally of one type), in publication order."""
        outbox = self.tables.outbox
        statement = sa.select(outbox.c.envelope).order_by(outbox.c.seq)
        if event_type is not None:
            statement = statement.where(outbox.c.event_type == event_type)
        async with self.sessions() as session:
            return [dict(row) for row in (await session.execute(statement)).scalars()]

    async def load_in_scope(self, model: type[R], entity_id: uuid.UUID, what: str, scope: Scope) -> R:
        """The row with ``entity_id`` read as the by-id field reads it: NOT_FOUND outside ``scope``."""
        async with self.sessions() as session:
            return await load_in_scope(session, model, entity_id, what, scope)


@contextlib.asynccontextmanager
async def service_db(service: str, tables: PlatformTables, directory: Path) -> AsyncIterator[ServiceDb]:
    """A fresh, migrated SQLite database of ``service`` under ``directory``."""
    url = f"sqlite+aiosqlite:///{directory / f'{service}.db'}"
    run_migrations(service, url, REPO_ROOT / "services" / service / "migrations")
    engine = create_engine(url)
    try:
        yield ServiceDb(service, engine, session_factory(engine), tables)
    finally:
        await engine.dispose()


def code_of(error: AppError) -> str:
    """The ``extensions.code`` a refused use case answers with."""
    return str(error.extensions["code"])


async def refusal_code(operation: Awaitable[object]) -> str:
    """The code a use case is refused with; fails the test when it is not refused."""
    with pytest.raises(AppError) as refused:
        await operation
    return code_of(refused.value)


async def refused_without_change(db: ServiceDb, operation: Awaitable[object], table: Any) -> str:
    """The code ``operation`` is refused with, once checked that it wrote no row of ``table`` and no event
    (the house rule: a refusal changes nothing)."""
    code = await refusal_code(operation)
    assert await db.count(table) == 0
    assert await db.events() == []
    return code


async def allowed(
    operation: Callable[[], Awaitable[object]], actor: Principal, roles: tuple[Role, ...]
) -> bool:
    """Whether ``operation`` succeeds for ``actor``, the role check of the GraphQL field included."""
    if not actor.has_role(*roles):
        return False
    try:
        await operation()
    except AppError:
        return False
    return True
