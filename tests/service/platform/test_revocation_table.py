"""Access revocations (issue 7 item 7): the table every service keeps and the list reloaded from it (SQLite)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecosteward.db import create_engine, service_metadata, session_factory
from ecosteward.errors import Unauthenticated
from ecosteward.events import EventEnvelope
from ecosteward.revocation import AGENCY, RevocationList, apply_change, change_for_event, revocation_table
from services.registry.agencies.domain import AgencyStatus
from tests.unit.platform.test_revocation import (
    AGENCY_ID,
    ENTERPRISE_ID,
    T0,
    agency_event,
    enterprise_event,
    principal,
)


@pytest.fixture
async def database() -> AsyncIterator[tuple[sa.Table, async_sessionmaker[AsyncSession]]]:
    metadata = service_metadata()
    table = revocation_table(metadata)
    assert revocation_table(metadata) is table  # defined once per metadata
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield table, session_factory(engine)
    finally:
        await engine.dispose()


async def _apply(table: sa.Table, factory: async_sessionmaker[AsyncSession], envelope: EventEnvelope) -> None:
    change = change_for_event(envelope)
    assert change is not None
    async with factory() as session, session.begin():
        await apply_change(session, table, change, envelope)


STATUS_SEQUENCES = st.lists(st.sampled_from([s.value for s in AgencyStatus]), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None)
@given(statuses=STATUS_SEQUENCES, order=st.randoms(use_true_random=False))
def test_events_delivered_out_of_order_end_in_the_newest_state(statuses: list[str], order: object) -> None:
    envelopes = [agency_event(s, T0 + dt.timedelta(seconds=i)) for i, s in enumerate(statuses)]
    shuffled = list(envelopes)
    order.shuffle(shuffled)  # type: ignore[attr-defined]

    async def run() -> dict[tuple[str, str], str]:
        metadata = service_metadata()
        table = revocation_table(metadata)
        engine = create_engine("sqlite+aiosqlite:///:memory:")
        try:
            async with engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
            factory = session_factory(engine)
            for envelope in shuffled:
                await _apply(table, factory, envelope)
            revocations = RevocationList(table)
            await revocations.reload(factory, force=True)
            return dict(revocations._revoked)
        finally:
            await engine.dispose()

    revoked = asyncio.run(run())
    newest = change_for_event(envelopes[-1])
    assert newest is not None
    expected = {(AGENCY, str(AGENCY_ID)): newest.reason} if newest.reason else {}
    assert revoked == expected


async def test_the_list_reloads_only_when_the_table_changed(
    database: tuple[sa.Table, async_sessionmaker[AsyncSession]],
) -> None:
    table, factory = database
    revocations = RevocationList(table)
    assert await revocations.reload(factory, force=True)
    assert not await revocations.reload(factory)  # nothing changed: one aggregate query, no reload
    admin = principal("adm1", agency=AGENCY_ID)
    revocations.check(admin)

    await _apply(table, factory, agency_event("SUSPENDED", T0))
    assert await revocations.reload(factory)
    with pytest.raises(Unauthenticated) as refused:
        revocations.check(admin)
    assert refused.value.extensions and refused.value.extensions["reason"] == "AGENCY_SUSPENDED"

    await _apply(table, factory, agency_event("REMOVED", T0 + dt.timedelta(seconds=1)))
    assert await revocations.reload(factory)
    with pytest.raises(Unauthenticated) as refused:
        revocations.check(admin)
    assert refused.value.extensions and refused.value.extensions["reason"] == "AGENCY_REMOVED"

    await _apply(table, factory, agency_event("ADMITTED", T0 + dt.timedelta(seconds=2)))
    assert await revocations.reload(factory)
    assert revocations.check(admin) is admin  # re-admission lets the same token in again


async def test_another_worker_process_catches_up_by_polling_the_table(
    database: tuple[sa.Table, async_sessionmaker[AsyncSession]],
) -> None:
    """Only one process of a service receives each event; the others see the table within a poll."""
    table, factory = database
    other_worker = RevocationList(table, refresh_seconds=0.05)
    task = asyncio.create_task(other_worker.run(factory))
    try:
        await asyncio.sleep(0.1)
        closed_user = principal("91310000abc", enterprise=ENTERPRISE_ID)
        other_worker.check(closed_user)
        await _apply(table, factory, enterprise_event("CLOSED"))  # committed by "another process"
        for _ in range(40):
            await asyncio.sleep(0.05)
            if other_worker.reason_for(closed_user) is not None:
                break
        assert other_worker.reason_for(closed_user) == "ENTERPRISE_CLOSED"
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
