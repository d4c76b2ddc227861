"""The transactional outbox, the relay and idempotent consumers against real PostgreSQL and NATS."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import nats
import pytest
import sqlalchemy as sa
from nats.aio.msg import Msg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ecosteward.bus import EventBus
from ecosteward.consumer import ConsumerRunner, Subscription
from ecosteward.db import TYPE_ANNOTATION_MAP, service_metadata
from ecosteward.events import EventEnvelope
from ecosteward.outbox import OutboxRelay, UnitOfWork, platform_tables, unit_of_work
from tests.support import Infra, pull_envelopes


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


TABLES = platform_tables(Base.metadata)


class NoteRow(Base):
    __tablename__ = "notes"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    text: Mapped[str] = mapped_column(sa.String(100))


class AppliedRow(Base):
    """What the test consumer applied: one row per application of a handler."""

    __tablename__ = "applied"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)


@pytest.fixture
async def sessions(infra: Infra) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with infra.fresh_database("platform", Base.metadata) as sessions:
        yield sessions


@pytest.fixture
def service() -> str:
    # A fresh "service" name per test gives it its own stream and subjects.
    return f"t{uuid.uuid4().hex[:10]}"


async def _count(factory: async_sessionmaker[AsyncSession], statement: sa.Select[Any]) -> int:
    async with factory() as session:
        return int((await session.execute(statement)).scalar_one())


async def test_event_commits_with_the_change_and_rolls_back_with_it(
    sessions: async_sessionmaker[AsyncSession], service: str
) -> None:
    async with unit_of_work(sessions, TABLES, service) as uow:
        uow.session.add(NoteRow(text="kept"))
        uow.emit("note", "created", "n1", {"text": "kept"})
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions, TABLES, service) as uow:
            uow.session.add(NoteRow(text="lost"))
            uow.emit("note", "created", "n2", {"text": "lost"})
            raise RuntimeError("business rule failed")
    assert await _count(sessions, sa.select(sa.func.count()).select_from(NoteRow)) == 1
    async with sessions() as session:
        rows = (await session.execute(sa.select(TABLES.outbox.c.envelope))).scalars().all()
    assert [r["subject"] for r in rows] == ["n1"]


async def test_relay_keeps_events_while_nats_is_down_then_publishes_each_once(
    infra: Infra, sessions: async_sessionmaker[AsyncSession], service: str
) -> None:
    dead_bus = EventBus(service, "nats://127.0.0.1:1")  # nothing listens there
    relay = OutboxRelay(service, sessions, TABLES, dead_bus, poll_seconds=0.1)
    async with unit_of_work(sessions, TABLES, service) as uow:
        for i in range(3):
            uow.emit("note", "created", f"n{i}", {"i": i})
    with pytest.raises(Exception, match="not connected"):
        await relay.publish_pending()
    assert await relay.backlog() == 3
    async with sessions() as session:
        attempts = (await session.execute(sa.select(TABLES.outbox.c.attempts))).scalars().all()
    assert max(attempts) == 1

    bus = await infra.bus(service)
    live_relay = OutboxRelay(service, sessions, TABLES, bus, poll_seconds=0.1)
    assert await live_relay.publish_pending() == 3
    assert await live_relay.backlog() == 0
    # Publishing the same rows again (e.g. a crash after publish, before the commit) is de-duplicated.
    async with sessions() as session:
        rows = (
            await session.execute(
                sa.select(TABLES.outbox.c.id, TABLES.outbox.c.nats_subject, TABLES.outbox.c.envelope)
            )
        ).all()
    for row in rows:
        await bus.publish(row.nats_subject, EventEnvelope.from_dict(row.envelope).to_bytes(), str(row.id))
    envelopes = await pull_envelopes(bus.js, f"ecosteward.{service}.note.created")
    assert sorted(e.subject for e in envelopes) == ["n0", "n1", "n2"]
    assert [e.data["i"] for e in envelopes] == [0, 1, 2]  # published in commit order
    await bus.close()


async def _run_consumer_until(
    runner: ConsumerRunner, condition: Callable[[], Awaitable[bool]], timeout: float = 20
) -> None:
    task = asyncio.create_task(runner.run())
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while not await condition():
            assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
            await asyncio.sleep(0.2)
    finally:
        runner.stop()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_consumer_applies_a_redelivered_event_once(
    infra: Infra, sessions: async_sessionmaker[AsyncSession], service: str
) -> None:
    bus = await infra.bus(service)

    async def handler(uow: UnitOfWork, event: EventEnvelope) -> None:
        uow.session.add(AppliedRow(event_id=event.id))

    envelope = EventEnvelope.new(service, "note", "created", "n1", {"text": "x"})
    # The same event arrives twice under different message ids (e.g. republished after a restore).
    await bus.publish(envelope.nats_subject, envelope.to_bytes(), "first")
    await bus.publish(envelope.nats_subject, envelope.to_bytes(), "second")
    other = EventEnvelope.new(service, "note", "created", "n2", {"text": "y"})
    await bus.publish(other.nats_subject, other.to_bytes(), str(other.id))

    sub = Subscription(
        name="notes", source=service, filter_subject=f"ecosteward.{service}.note.*", handler=handler
    )
    runner = ConsumerRunner("consumer", sub, bus, sessions, TABLES)

    async def all_taken() -> bool:
        return (
            await _count(sessions, sa.select(sa.func.count()).select_from(TABLES.inbox)) == 2
            and (await bus.js.consumer_info(sub.stream, runner.durable)).num_ack_pending == 0
        )

    await _run_consumer_until(runner, all_taken)
    applied = await _count(
        sessions, sa.select(sa.func.count()).select_from(AppliedRow).where(AppliedRow.event_id == envelope.id)
    )
    assert applied == 1
    assert await _count(sessions, sa.select(sa.func.count()).select_from(AppliedRow)) == 2
    await bus.close()


async def test_failing_handler_rolls_back_and_dead_letters_after_max_deliver(
    infra: Infra, sessions: async_sessionmaker[AsyncSession], service: str
) -> None:
    bus = await infra.bus(service)
    calls: list[uuid.UUID] = []

    async def handler(uow: UnitOfWork, event: EventEnvelope) -> None:
        calls.append(event.id)
        uow.session.add(AppliedRow(event_id=event.id))  # must roll back with the failure
        raise ValueError("cannot apply")

    poison = EventEnvelope.new(service, "note", "created", "bad", {})
    await bus.publish(poison.nats_subject, poison.to_bytes(), str(poison.id))
    await bus.publish(f"ecosteward.{service}.note.created", b"not json", "garbage")
    sub = Subscription(
        name="notes", source=service, filter_subject=f"ecosteward.{service}.note.*", handler=handler
    )
    runner = ConsumerRunner(service, sub, bus, sessions, TABLES, max_deliver=2)
    dead_subject = f"ecosteward.deadletter.{service}.notes"

    async def dead_lettered() -> bool:
        dead = await _stream_envelopes_raw(infra, dead_subject)
        reasons = {(m.headers or {})["Ecosteward-Reason"].split(":")[0] for m in dead}
        return reasons == {"ValueError", "malformed envelope"}

    # nak delays are 1 s for the first failure: allow for it.
    await _run_consumer_until(runner, dead_lettered, timeout=30)
    assert calls.count(poison.id) == 2
    assert await _count(sessions, sa.select(sa.func.count()).select_from(AppliedRow)) == 0
    assert await _count(sessions, sa.select(sa.func.count()).select_from(TABLES.inbox)) == 0
    dead = await _stream_envelopes_raw(infra, dead_subject)
    reasons = sorted((m.headers or {})["Ecosteward-Reason"].split(":")[0] for m in dead)
    assert reasons == ["ValueError", "malformed envelope"]  # each poison message dead-lettered once
    await bus.close()


async def _stream_envelopes_raw(infra: Infra, subject: str) -> list[Msg]:
    nc = await nats.connect(infra.nats_url)
    try:
        js = nc.jetstream()
        try:
            sub = await js.subscribe(subject, ordered_consumer=True)
        except Exception:
            return []
        found = []
        while True:
            try:
                found.append(await sub.next_msg(timeout=0.5))
            except TimeoutError:
                break
        return found
    finally:
        await nc.close()
