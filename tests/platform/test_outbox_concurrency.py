"""Outbox under concurrency (real PostgreSQL and NATS) and retention (PostgreSQL and SQLite).

The outbox promises unique ``seq`` values that follow commit order, so the relay publishes in commit
order with nothing lost or doubled. The writers here keep their transaction open for a random moment
*after* writing their events, which is exactly when a bare ``max(seq) + 1`` hands out the same number
twice and a bare sequence lets a later number commit first.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase

from ecosteward.bus import EventBus
from ecosteward.config import REPO_ROOT
from ecosteward.db import (
    TYPE_ANNOTATION_MAP,
    alembic_config,
    create_engine,
    service_metadata,
    session_factory,
    utcnow,
)
from ecosteward.devstack.components import create_databases
from ecosteward.outbox import DUPLICATE_WINDOW, OutboxRelay, Publisher, UnitOfWork, platform_tables
from services.registry.models import TABLES as REGISTRY_TABLES
from tests.support import Infra, pull_envelopes
from tests.support import sqlite_sessions as sqlite_file_sessions


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


TABLES = platform_tables(Base.metadata)
OUTBOX = TABLES.outbox
WRITERS = 40
EVENTS_PER_WRITER = 3


@pytest.fixture
async def pg_sessions(infra: Infra) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with infra.fresh_database("outbox", Base.metadata) as sessions:
        yield sessions


@pytest.fixture
async def sqlite_sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with sqlite_file_sessions(Base.metadata, tmp_path / "outbox.db") as sessions:
        yield sessions


async def _writer(sessions: async_sessionmaker[AsyncSession], service: str, n: int) -> None:
    """One business transaction: its events, then a pause before commit (other work, a slow network)."""
    await asyncio.sleep(random.uniform(0, 0.02))
    async with sessions() as session, session.begin():
        uow = UnitOfWork(session, TABLES, service)
        for i in range(EVENTS_PER_WRITER):
            uow.emit("note", "created", f"w{n}", {"writer": n, "i": i})
        await uow.flush_events()
        await asyncio.sleep(random.uniform(0, 0.03))


async def _committed_seqs(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessions() as session:
        return list((await session.execute(sa.select(OUTBOX.c.seq).order_by(OUTBOX.c.seq))).scalars())


async def _watch(sessions: async_sessionmaker[AsyncSession], done: asyncio.Event) -> list[list[int]]:
    """Snapshots of the committed seqs while the writers run (what a relay would see)."""
    snapshots: list[list[int]] = []
    while not done.is_set():
        snapshots.append(await _committed_seqs(sessions))
        await asyncio.sleep(0.005)
    return snapshots


async def test_concurrent_writers_get_unique_seqs_that_follow_commit_order(
    pg_sessions: async_sessionmaker[AsyncSession],
) -> None:
    service = f"t{uuid.uuid4().hex[:10]}"
    done = asyncio.Event()
    watcher = asyncio.create_task(_watch(pg_sessions, done))
    await asyncio.gather(*(_writer(pg_sessions, service, n) for n in range(WRITERS)))
    done.set()
    snapshots = await watcher

    final = await _committed_seqs(pg_sessions)
    assert len(final) == WRITERS * EVENTS_PER_WRITER
    assert len(set(final)) == len(final), "two events share a seq"
    # Commit order: whenever a seq is visible, every seq below it that ever commits is visible too.
    # Otherwise a relay would publish the later one first and then the earlier one.
    for snapshot in snapshots:
        if snapshot:
            assert [s for s in final if s <= snapshot[-1]] == snapshot
    # Each transaction's events are contiguous and in emission order.
    async with pg_sessions() as session:
        rows = (
            await session.execute(sa.select(OUTBOX.c.seq, OUTBOX.c.envelope).order_by(OUTBOX.c.seq))
        ).all()
    by_writer: dict[int, list[int]] = {}
    for row in rows:
        by_writer.setdefault(row.envelope["data"]["writer"], []).append(row.envelope["data"]["i"])
    assert all(order == list(range(EVENTS_PER_WRITER)) for order in by_writer.values())
    assert len(by_writer) == WRITERS
    assert len(snapshots) > 3  # the watcher really looked while the writers ran


class RecordingPublisher(Publisher):
    """Forwards to NATS and records what each relay published, in order."""

    def __init__(self, bus: EventBus, log: list[str]) -> None:
        self.bus = bus
        self.log = log

    async def publish(self, subject: str, body: bytes, msg_id: str) -> None:
        await self.bus.publish(subject, body, msg_id)
        self.log.append(msg_id)


async def test_two_relays_publish_concurrent_writes_in_commit_order_once_each(
    infra: Infra, pg_sessions: async_sessionmaker[AsyncSession]
) -> None:
    service = f"t{uuid.uuid4().hex[:10]}"
    bus = await infra.bus(service)
    published: list[str] = []
    # Two replicas of the service relay the same outbox at the same time.
    relays = [
        OutboxRelay(
            service, pg_sessions, TABLES, RecordingPublisher(bus, published), poll_seconds=0.01, batch_size=7
        )
        for _ in range(2)
    ]
    tasks = [asyncio.create_task(relay.run()) for relay in relays]
    try:
        await asyncio.gather(*(_writer(pg_sessions, service, n) for n in range(WRITERS)))
        deadline = asyncio.get_running_loop().time() + 30
        while await relays[0].backlog():
            assert asyncio.get_running_loop().time() < deadline, "relay did not catch up"
            await asyncio.sleep(0.05)
    finally:
        for relay in relays:
            relay.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async with pg_sessions() as session:
        in_seq_order = [
            str(i) for i in (await session.execute(sa.select(OUTBOX.c.id).order_by(OUTBOX.c.seq))).scalars()
        ]
    assert len(in_seq_order) == WRITERS * EVENTS_PER_WRITER
    assert published == in_seq_order  # none lost, none doubled, in commit order

    # What reached the stream, in stream order.
    streamed = [str(e.id) for e in await pull_envelopes(bus.js, f"ecosteward.{service}.>")]
    assert streamed == in_seq_order
    await bus.close()


async def test_concurrent_writers_on_sqlite_get_unique_increasing_seqs(
    sqlite_sessions: async_sessionmaker[AsyncSession],
) -> None:
    service = f"t{uuid.uuid4().hex[:10]}"
    await asyncio.gather(*(_writer(sqlite_sessions, service, n) for n in range(10)))
    final = await _committed_seqs(sqlite_sessions)
    assert final == list(range(1, 10 * EVENTS_PER_WRITER + 1))


async def test_pruning_on_postgresql(pg_sessions: async_sessionmaker[AsyncSession]) -> None:
    await _pruning_removes_old_published_events_and_old_inbox_rows_only(pg_sessions)


async def test_pruning_on_sqlite(sqlite_sessions: async_sessionmaker[AsyncSession]) -> None:
    await _pruning_removes_old_published_events_and_old_inbox_rows_only(sqlite_sessions)


async def _pruning_removes_old_published_events_and_old_inbox_rows_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    service = f"t{uuid.uuid4().hex[:10]}"
    now = utcnow()
    days = dt.timedelta(days=1)
    # seq 1..6: published 10 days ago ×2, published 6 days ago, pending from 30 days ago,
    # published 1 hour ago, and the newest (published 10 days ago, kept: SQLite numbers from it).
    published_at = [now - 10 * days, now - 10 * days, now - 6 * days, None, now - dt.timedelta(hours=1)]
    ids: list[uuid.UUID] = []
    async with sessions() as session, session.begin():
        uow = UnitOfWork(session, TABLES, service)
        envelopes = [uow.emit("note", "created", f"n{i}", {"i": i}) for i in range(6)]
        await uow.flush_events()
        ids = [e.id for e in envelopes]
    async with sessions() as session, session.begin():
        for event_id, at in zip(ids, [*published_at, now - 10 * days], strict=True):
            await session.execute(
                OUTBOX.update()
                .where(OUTBOX.c.id == event_id)
                .values(published_at=at, created_at=now - 30 * days)
            )
        inbox_ages = {
            "old": now - 8 * days,
            "week": now - 6 * days,
            "just-outside-window": now - DUPLICATE_WINDOW - dt.timedelta(minutes=5),
            "inside-window": now - DUPLICATE_WINDOW + dt.timedelta(minutes=5),
        }
        for consumer, at in inbox_ages.items():
            await session.execute(
                TABLES.inbox.insert().values(
                    consumer=consumer, event_id=uuid.uuid4(), event_type="x.note.created", processed_at=at
                )
            )

    relay = OutboxRelay(
        service, sessions, TABLES, Publisher(), outbox_retention=7 * days, inbox_retention=7 * days
    )
    assert await relay.prune(now) == (2, 1)
    async with sessions() as session:
        left = set((await session.execute(sa.select(OUTBOX.c.id))).scalars())
        consumers = set((await session.execute(sa.select(TABLES.inbox.c.consumer))).scalars())
    assert left == {ids[2], ids[3], ids[4], ids[5]}  # the pending one is never pruned
    assert consumers == {"week", "just-outside-window", "inside-window"}

    # An inbox retention below JetStream's duplicate window is raised to the window.
    short = OutboxRelay(service, sessions, TABLES, Publisher(), inbox_retention=dt.timedelta(0))
    assert (await short.prune(now))[1] == 2
    async with sessions() as session:
        consumers = set((await session.execute(sa.select(TABLES.inbox.c.consumer))).scalars())
    assert consumers == {"inside-window"}

    # New events still get a seq above every remaining one.
    async with sessions() as session, session.begin():
        uow = UnitOfWork(session, TABLES, service)
        fresh = uow.emit("note", "created", "fresh", {})
        await uow.flush_events()
    async with sessions() as session:
        seqs = dict((await session.execute(sa.select(OUTBOX.c.id, OUTBOX.c.seq))).all())
    assert seqs[fresh.id] > max(s for i, s in seqs.items() if i != fresh.id)


async def test_the_relay_prunes_on_its_schedule(sqlite_sessions: async_sessionmaker[AsyncSession]) -> None:
    service = f"t{uuid.uuid4().hex[:10]}"
    async with sqlite_sessions() as session, session.begin():
        for consumer in ("a", "b"):
            await session.execute(
                TABLES.inbox.insert().values(
                    consumer=consumer,
                    event_id=uuid.uuid4(),
                    event_type="x.note.created",
                    processed_at=utcnow() - dt.timedelta(days=30),
                )
            )
    relay = OutboxRelay(service, sqlite_sessions, TABLES, Publisher(), poll_seconds=0.05, prune_seconds=0.1)
    task = asyncio.create_task(relay.run())
    try:
        for _ in range(100):
            async with sqlite_sessions() as session:
                left = (
                    await session.execute(sa.select(sa.func.count()).select_from(TABLES.inbox))
                ).scalar_one()
            if left == 0:
                break
            await asyncio.sleep(0.05)
        assert left == 0
    finally:
        relay.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_the_migration_renumbers_duplicate_seqs_and_the_sequence_continues(infra: Infra) -> None:
    name = f"migrate_{uuid.uuid4().hex[:8]}"
    await create_databases(infra.ports.postgres, [name])
    url = infra.pg_url(name)
    config = alembic_config("registry", url, REPO_ROOT / "services" / "registry" / "migrations")
    await asyncio.to_thread(command.upgrade, config, "0001")
    engine = create_engine(url)
    try:
        created = utcnow()
        # What the old max(seq) + 1 left behind: two rows numbered 1, then a 2.
        rows = [(1, created), (1, created + dt.timedelta(seconds=1)), (2, created + dt.timedelta(seconds=2))]
        ids = [uuid.uuid4() for _ in rows]
        async with engine.begin() as conn:
            for event_id, (seq, at) in zip(ids, rows, strict=True):
                await conn.execute(
                    REGISTRY_TABLES.outbox.insert().values(
                        id=event_id, seq=seq, nats_subject="s", event_type="t", envelope={}, created_at=at
                    )
                )
        await asyncio.to_thread(command.upgrade, config, "0002")
        sessions = session_factory(engine)
        async with sessions() as session:
            renumbered = dict((await session.execute(sa.select(OUTBOX.c.id, OUTBOX.c.seq))).all())
        assert [renumbered[i] for i in ids] == [1, 2, 3]
        async with sessions() as session, session.begin():
            uow = UnitOfWork(session, REGISTRY_TABLES, "registry")
            fresh = uow.emit("note", "created", "n", {})
            await uow.flush_events()
        async with sessions() as session:
            assert (
                await session.execute(sa.select(OUTBOX.c.seq).where(OUTBOX.c.id == fresh.id))
            ).scalar_one() == 4
    finally:
        await engine.dispose()
