"""Transactional outbox and inbox (发件箱/收件箱).

A domain event is inserted into ``outbox_events`` in the same transaction as the change it describes,
so a change is never committed without its event nor an event sent for a rolled-back change. The
:class:`OutboxRelay` then publishes pending rows to JetStream with the event id as ``Nats-Msg-Id``
(JetStream drops duplicates), retrying with backoff while NATS is down. ``inbox_events`` records
what each consumer has applied, so a redelivered event is applied once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecosteward.db import UTCDateTime, utcnow
from ecosteward.events import EventEnvelope
from ecosteward.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISH_FAILURES, OUTBOX_PUBLISHED

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlatformTables:
    """The outbox and inbox tables inside one service's database."""

    outbox: sa.Table
    inbox: sa.Table


def platform_tables(metadata: sa.MetaData) -> PlatformTables:
    """Define the outbox and inbox tables on a service's metadata (call once per service)."""
    outbox = sa.Table(
        "outbox_events",
        metadata,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.Column("nats_subject", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(150), nullable=False),
        sa.Column("envelope", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Index("ix_outbox_events_pending", "published_at", "seq"),
    )
    inbox = sa.Table(
        "inbox_events",
        metadata,
        sa.Column("consumer", sa.String(120), primary_key=True),
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("event_type", sa.String(150), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=False),
    )
    return PlatformTables(outbox=outbox, inbox=inbox)


async def store_events(
    session: AsyncSession, tables: PlatformTables, envelopes: Sequence[EventEnvelope]
) -> None:
    """Insert events into the outbox inside the caller's transaction, in order (chunked for bulk)."""
    if not envelopes:
        return
    outbox = tables.outbox
    # A monotonic sequence keeps publication in commit order per service.
    next_seq = int(
        (await session.execute(sa.select(sa.func.coalesce(sa.func.max(outbox.c.seq), 0)))).scalar_one()
    )
    now = utcnow()
    values = [
        {
            "id": envelope.id,
            "seq": next_seq + offset,
            "nats_subject": envelope.nats_subject,
            "event_type": envelope.type,
            "envelope": envelope.to_dict(),
            "created_at": now,
            "attempts": 0,
        }
        for offset, envelope in enumerate(envelopes, start=1)
    ]
    for start in range(0, len(values), 1000):
        await session.execute(outbox.insert(), values[start : start + 1000])


async def store_event(session: AsyncSession, tables: PlatformTables, envelope: EventEnvelope) -> None:
    """Insert one event into the outbox inside the caller's transaction."""
    await store_events(session, tables, [envelope])


class UnitOfWork:
    """One business transaction: the session for the change and the events it raises.

    Use as ``async with runtime.unit_of_work() as uow: ...; uow.emit(...)``. On a clean exit the
    change and its events commit together and the relay is woken; on any error both roll back.
    """

    def __init__(self, session: AsyncSession, tables: PlatformTables, service: str) -> None:
        self.session = session
        self._tables = tables
        self._service = service
        self.events: list[EventEnvelope] = []

    def emit(
        self, entity: str, verb: str, subject: object, data: dict[str, Any], schema_version: int = 1
    ) -> EventEnvelope:
        envelope = EventEnvelope.new(self._service, entity, verb, subject, data, schema_version)
        self.events.append(envelope)
        return envelope

    async def flush_events(self) -> None:
        await store_events(self.session, self._tables, self.events)
        self.events.clear()


@asynccontextmanager
async def unit_of_work(
    factory: async_sessionmaker[AsyncSession],
    tables: PlatformTables,
    service: str,
    relay: OutboxRelay | None = None,
) -> AsyncIterator[UnitOfWork]:
    async with factory() as session, session.begin():
        uow = UnitOfWork(session, tables, service)
        yield uow
        await uow.flush_events()
    if relay is not None:
        relay.wake()


class Publisher:
    """What the relay needs from NATS: a JetStream publish with a message id."""

    async def publish(self, subject: str, body: bytes, msg_id: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class OutboxRelay:
    """Publishes outbox rows to JetStream in order; keeps them while NATS is unreachable."""

    def __init__(
        self,
        service: str,
        factory: async_sessionmaker[AsyncSession],
        tables: PlatformTables,
        publisher: Publisher,
        poll_seconds: float = 1.0,
        batch_size: int = 100,
        max_backoff_seconds: float = 15.0,
    ) -> None:
        self._service = service
        self._factory = factory
        self._tables = tables
        self._publisher = publisher
        self._poll = poll_seconds
        self._batch = batch_size
        self._max_backoff = max_backoff_seconds
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def backlog(self) -> int:
        async with self._factory() as session:
            count = await session.execute(
                sa.select(sa.func.count())
                .select_from(self._tables.outbox)
                .where(self._tables.outbox.c.published_at.is_(None))
            )
            return int(count.scalar_one())

    async def publish_pending(self) -> int:
        """Publish one batch of pending events in order; returns how many were published.

        Stops at the first failure (keeping order) and re-raises it so the caller backs off.
        """
        outbox = self._tables.outbox
        published = 0
        failure: Exception | None = None
        async with self._factory() as session, session.begin():
            query = (
                sa.select(outbox.c.id, outbox.c.nats_subject, outbox.c.envelope)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.seq)
                .limit(self._batch)
            )
            if session.get_bind().dialect.name == "postgresql":
                # Several replicas may relay: each takes rows nobody else holds.
                query = query.with_for_update(skip_locked=True)
            rows = (await session.execute(query)).all()
            for row in rows:
                envelope = EventEnvelope.from_dict(row.envelope)
                try:
                    await self._publisher.publish(row.nats_subject, envelope.to_bytes(), str(row.id))
                except Exception as exc:
                    # Keep order: stop here; the attempt is recorded and committed with what went out.
                    OUTBOX_PUBLISH_FAILURES.labels(self._service).inc()
                    await session.execute(
                        outbox.update()
                        .where(outbox.c.id == row.id)
                        .values(attempts=outbox.c.attempts + 1, last_error=str(exc)[:1000])
                    )
                    failure = exc
                    break
                await session.execute(
                    outbox.update().where(outbox.c.id == row.id).values(published_at=utcnow())
                )
                published += 1
        if published:
            OUTBOX_PUBLISHED.labels(self._service).inc(published)
        if failure is not None:
            raise failure
        return published

    async def run(self) -> None:
        failures = 0
        while not self._stopping:
            self._wake.clear()
            try:
                while await self.publish_pending() == self._batch:
                    pass
                failures = 0
                delay = self._poll
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = min(self._max_backoff, 0.25 * 2 ** min(failures, 10))
                log.warning("outbox publish failed (attempt %s), retrying in %.1fs: %s", failures, delay, exc)
            try:
                OUTBOX_BACKLOG.labels(self._service).set(await self.backlog())
            except Exception:  # the database may be briefly unavailable; the next loop retries
                log.exception("could not measure outbox backlog")
            if failures:
                # While NATS is down only a timer wakes us, so writes do not spin the relay.
                await asyncio.sleep(delay)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)


async def mark_processed(
    session: AsyncSession, tables: PlatformTables, consumer: str, envelope: EventEnvelope
) -> bool:
    """Record that ``consumer`` applied ``envelope``; False if it already had (a redelivery)."""
    inbox = tables.inbox
    seen = await session.execute(
        sa.select(inbox.c.event_id).where(inbox.c.consumer == consumer, inbox.c.event_id == envelope.id)
    )
    if seen.first() is not None:
        return False
    # A concurrent duplicate would hit the primary key and roll back: redelivery then finds the row.
    await session.execute(
        inbox.insert().values(
            consumer=consumer, event_id=envelope.id, event_type=envelope.type, processed_at=utcnow()
        )
    )
    return True
