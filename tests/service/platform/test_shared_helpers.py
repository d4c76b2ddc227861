"""The small shared helpers on SQLite (on disk): local copies, unique adds, waiting for an announced row.

Their pure parts (``wait_for``, China's date) are in ``tests/unit/platform/test_shared_helpers.py``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecosteward.db import create_engine, session_factory
from ecosteward.demo_support import has_rows, wait_until_known
from ecosteward.errors import Conflict
from ecosteward.events import EventEnvelope
from ecosteward.outbox import UnitOfWork
from ecosteward.uniqueness import add_unique
from services.archive import models as archive_models
from services.archive.models import EnterpriseRow
from services.inspection import models as inspection_models
from services.inspection.copies import KnownEnterpriseRow, on_enterprise_changed
from services.inspection.visits.models import InspectionRow


def _enterprise(credit_code: str) -> EnterpriseRow:
    return EnterpriseRow(
        credit_code=credit_code,
        name="企业",
        jurisdiction_id=uuid.UUID(int=9),
        permit_category="KEY",
        status="OPERATING",
    )


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'helpers.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(inspection_models.Base.metadata.create_all)
        await connection.run_sync(archive_models.Base.metadata.create_all)
    yield session_factory(engine)
    await engine.dispose()


# ------------------------------------------------------------------------------------------ local copies

# The inspection service's copy of the archive's enterprises is a local_copy_handler.
ENTERPRISE, TOWN, OTHER_TOWN = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)


async def _deliver(sessions: async_sessionmaker[AsyncSession], data: dict[str, Any]) -> None:
    envelope = EventEnvelope.new("archive", "enterprise", "changed", data["id"], data)
    async with sessions() as session, session.begin():
        await on_enterprise_changed(UnitOfWork(session, inspection_models.TABLES, "inspection"), envelope)


async def _copy(sessions: async_sessionmaker[AsyncSession]) -> tuple[uuid.UUID, str] | None:
    async with sessions() as session:
        row = await session.get(KnownEnterpriseRow, ENTERPRISE)
        return None if row is None else (row.jurisdiction_id, row.name)


async def test_a_local_copy_is_inserted_then_updated_field_by_field(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _deliver(sessions, {"id": str(ENTERPRISE), "jurisdiction_id": str(TOWN), "name": "甲", "extra": 1})
    assert await _copy(sessions) == (TOWN, "甲")
    await _deliver(sessions, {"id": str(ENTERPRISE), "name": "乙"})
    assert await _copy(sessions) == (TOWN, "乙")
    await _deliver(sessions, {"id": str(ENTERPRISE), "jurisdiction_id": str(OTHER_TOWN)})
    assert await _copy(sessions) == (OTHER_TOWN, "乙")


async def test_an_incomplete_event_about_an_unknown_entity_is_ignored(
    sessions: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="ecosteward.local_copies"):
        await _deliver(sessions, {"id": str(ENTERPRISE), "name": "甲"})
    assert await _copy(sessions) is None
    assert "for unknown enterprise" in caplog.text and "lacks jurisdiction_id" in caplog.text


# ------------------------------------------------------------------------------------------ unique adds


def _twin(credit_code: str) -> sa.Select[Any]:
    return sa.select(EnterpriseRow.id).where(EnterpriseRow.credit_code == credit_code)


async def test_a_duplicate_is_a_conflict_whether_the_query_or_the_constraint_finds_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    conflict = Conflict("Already registered (重复登记).", field="creditCode")
    async with sessions() as session, session.begin():
        await add_unique(session, _enterprise("a"), _twin("a"), conflict)
    with pytest.raises(Conflict) as caught:
        async with sessions() as session, session.begin():
            await add_unique(session, _enterprise("a"), _twin("a"), conflict)
    assert caught.value is conflict
    # A twin the query cannot see (committed concurrently) trips the unique constraint on flush.
    with pytest.raises(Conflict) as caught:
        async with sessions() as session, session.begin():
            await add_unique(session, _enterprise("a"), _twin("not-a"), conflict)
    assert caught.value is conflict and isinstance(caught.value.__cause__, sa.exc.IntegrityError)
    async with sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(EnterpriseRow)) == 1


# ------------------------------------------------------------------------------------------ demo support


async def test_waiting_for_an_announced_row(sessions: async_sessionmaker[AsyncSession]) -> None:
    runtime: Any = SimpleNamespace(sessions=sessions)
    assert not await wait_until_known(runtime, KnownEnterpriseRow, ENTERPRISE, 0.05)

    async def announce_later() -> None:
        await asyncio.sleep(0.2)
        await _deliver(sessions, {"id": str(ENTERPRISE), "jurisdiction_id": str(TOWN), "name": "甲"})

    announcing = asyncio.create_task(announce_later())
    assert await wait_until_known(runtime, KnownEnterpriseRow, ENTERPRISE, 10.0)
    await announcing
    async with sessions() as session:
        assert await has_rows(session, KnownEnterpriseRow)
        assert not await has_rows(session, InspectionRow)
