"""Transactional outbox and inbox (发件箱/收件箱).

A domain event is inserted into ``outbox_events`` in the same transaction as the change it describes,
so a change is never committed without its event nor an event sent for a rolled-back change. The
:class:`OutboxRelay` then publishes pending rows to JetStream with the event id as ``Nats-Msg-Id``
(JetStream drops duplicates), retrying with backoff while NATS is down. ``inbox_events`` records
what each consumer has applied, so a redelivered event is applied once.

Order (发布顺序): ``seq`` is unique and, per service, follows commit order, so the relay publishes in
commit order. On PostgreSQL a transaction takes a transaction-level advisory lock just before it
draws its ``seq`` values from the ``outbox_events_seq`` sequence and keeps it until it commits or
rolls back: event-writing transactions of one service therefore draw and commit one after another,
and a committed row never has a smaller ``seq`` than a row still in flight (a sequence alone would
hand out numbers before commit, and a later number could commit first). Events are written at the
very end of a unit of work, so the lock is held only for the insert and the commit. SQLite (the
embedded default) has a single writer: the seq is taken as ``max(seq) + 1`` inside the writing
statement itself, which holds the database's write lock. A unique index on ``seq`` guards both.

Retention (保留期): published outbox rows and inbox rows older than their retention (default 7 days;
the inbox never less than JetStream's duplicate window) are pruned by the relay's periodic job.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecosteward.db import UTCDateTime, utcnow
from ecosteward.event_payloads import PublishedPayload
from ecosteward.events import EventEnvelope
from ecosteward.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISH_FAILURES, OUTBOX_PUBLISHED
from ecosteward.retry import backoff_delay

log = logging.getLogger(__name__)

# JetStream de-duplicates by Nats-Msg-Id within this window (the streams are created with it, see
# ecosteward.bus); the relay's retries fall well inside it, and the inbox is kept at least this long.
DUPLICATE_WINDOW = dt.timedelta(hours=2)
DEFAULT_RETENTION = dt.timedelta(days=7)

OUTBOX_SEQUENCE = "outbox_events_seq"
"""PostgreSQL sequence of ``outbox_events.seq`` (SQLite has none; see the module docstring)."""

# Advisory-lock keys (any two fixed bigints; each service has its own database).
OUTBOX_WRITE_LOCK = 0x45434F5F4F555457  # "ECO_OUTW": writers draw seq and commit one at a time
OUTBOX_RELAY_LOCK = 0x45434F5F4F555452  # "ECO_OUTR": one relay of a service publishes at a time


@dataclass(frozen=True)
class PlatformTables:
    """The outbox and inbox tables inside one service's database."""

    outbox: sa.Table
    inbox: sa.Table


def platform_tables(metadata: sa.MetaData) -> PlatformTables:
    """Define the outbox and inbox tables on a service's metadata (call once per service)."""
    # Created by create_all and the 0002 migrations on PostgreSQL; ignored on SQLite.
    sa.Sequence(OUTBOX_SEQUENCE, metadata=metadata)
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
        sa.Index("uq_outbox_events_seq", "seq", unique=True),
    )
    inbox = sa.Table(
        "inbox_events",
        metadata,
        sa.Column("consumer", sa.String(120), primary_key=True),
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("event_type", sa.String(150), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=False),
        sa.Index("ix_inbox_events_processed_at", "processed_at"),
    )
    return PlatformTables(outbox=outbox, inbox=inbox)


async def store_events(
    session: AsyncSession, tables: PlatformTables, envelopes: Sequence[EventEnvelope]
) -> None:
    """Insert events into the outbox inside the caller's transaction, in order (chunked for bulk).

    Call it last in the transaction (``UnitOfWork`` does): on PostgreSQL it holds the service's
    outbox lock until commit, so that ``seq`` order is commit order.
    """
    if not envelopes:
        return
    outbox = tables.outbox
    now = utcnow()
    values = [
        {
            "id": envelope.id,
            "nats_subject": envelope.nats_subject,
            "event_type": envelope.type,
            "envelope": envelope.to_dict(),
            "created_at": now,
            "attempts": 0,
        }
        for envelope in envelopes
    ]
    if session.get_bind().dialect.name == "postgresql":
        # The change goes to the database first, so nothing but the outbox insert waits on the lock.
        await session.flush()
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(OUTBOX_WRITE_LOCK)))
        drawn = await session.execute(
            sa.select(sa.func.nextval(OUTBOX_SEQUENCE)).select_from(sa.func.generate_series(1, len(values)))
        )
        for row, seq in zip(values, sorted(int(v) for v in drawn.scalars()), strict=True):
            row["seq"] = seq
        for start in range(0, len(values), 1000):
            await session.execute(outbox.insert(), values[start : start + 1000])
        return
    # SQLite: the INSERT takes the write lock before it reads max(seq) (an indexed lookup), so no
    # other writer can draw the same number; one statement per event keeps them in order.
    insert = outbox.insert().from_select(
        ["id", "seq", "nats_subject", "event_type", "envelope", "created_at", "attempts"],
        sa.select(
            sa.bindparam("id", type_=sa.Uuid),
            sa.func.coalesce(sa.func.max(outbox.c.seq), 0) + 1,
            sa.bindparam("nats_subject", type_=sa.String),
            sa.bindparam("event_type", type_=sa.String),
            sa.bindparam("envelope", type_=sa.JSON),
            sa.bindparam("created_at", type_=UTCDateTime()),
            sa.bindparam("attempts", type_=sa.Integer),
        ),
    )
    for start in range(0, len(values), 1000):
        await session.execute(insert, values[start : start + 1000])


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

    def publish(self, verb: str, payload: PublishedPayload, subject: object) -> EventEnvelope:
        """Raise the typed event ``<service>.<payload entity>.<verb>`` about ``subject``."""
        if not payload.EVENT.startswith(f"{self._service}."):
            raise ValueError(f"{self._service} cannot publish {payload.EVENT} events")
        if verb not in payload.VERBS:
            raise ValueError(f"{payload.EVENT} has no verb {verb!r} (declared: {', '.join(payload.VERBS)})")
        return self.emit(payload.entity, verb, subject, payload.to_data(), payload.SCHEMA_VERSION)

    async def announce_once(
        self,
        statement: sa.Select[*tuple[Any, ...]],
        stamp: str,
        verb: str,
        payload: Callable[..., PublishedPayload],
        *,
        batch: int = 500,
    ) -> int:
        """Publish ``verb`` once per row ``statement`` selects, remembering it in the row's ``stamp`` column.

        ``statement`` selects the entity first (then whatever ``payload`` also needs) and must exclude rows
        whose ``stamp`` is set; a periodic job calls this until nothing is left. Returns how many it announced.
        """
        rows = (await self.session.execute(statement.limit(batch))).all()
        for row in rows:
            entity = row[0]
            setattr(entity, stamp, utcnow())
            self.publish(verb, payload(*row), subject=entity.id)
        return len(rows)

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
        outbox_retention: dt.timedelta = DEFAULT_RETENTION,
        inbox_retention: dt.timedelta = DEFAULT_RETENTION,
        prune_seconds: float = 3600.0,
    ) -> None:
        self._service = service
        self._factory = factory
        self._tables = tables
        self._publisher = publisher
        self._poll = poll_seconds
        self._batch = batch_size
        self._max_backoff = max_backoff_seconds
        self._outbox_retention = outbox_retention
        self._inbox_retention = inbox_retention
        self._prune_seconds = prune_seconds
        self._next_prune = 0.0  # the first loop prunes
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
            if session.get_bind().dialect.name == "postgresql":
                # Several replicas may relay: one at a time, so none overtakes another's batch.
                locked = await session.execute(
                    sa.select(sa.func.pg_try_advisory_xact_lock(OUTBOX_RELAY_LOCK))
                )
                if not locked.scalar_one():
                    return 0
            query = (
                sa.select(outbox.c.id, outbox.c.nats_subject, outbox.c.envelope)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.seq)
                .limit(self._batch)
            )
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

    async def prune(self, now: dt.datetime | None = None) -> tuple[int, int]:
        """Delete old published outbox rows and old inbox rows; returns (outbox, inbox) deleted."""
        return await prune_events(
            self._factory, self._tables, self._outbox_retention, self._inbox_retention, now
        )

    async def _prune_when_due(self) -> None:
        if self._prune_seconds <= 0 or time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + self._prune_seconds
        try:
            outbox_rows, inbox_rows = await self.prune()
        except Exception:  # the database may be briefly unavailable; the next interval retries
            log.exception("pruning the outbox and inbox failed")
            return
        if outbox_rows or inbox_rows:
            log.info("pruned %s published outbox rows and %s inbox rows", outbox_rows, inbox_rows)

    async def run(self) -> None:
        failures = 0
        while not self._stopping:
            self._wake.clear()
            await self._prune_when_due()
            try:
                while await self.publish_pending() == self._batch:
                    pass
                failures = 0
                delay = self._poll
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = backoff_delay(failures, first=0.25, cap=self._max_backoff)
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


PRUNE_BATCH = 5000


async def prune_events(
    factory: async_sessionmaker[AsyncSession],
    tables: PlatformTables,
    outbox_retention: dt.timedelta = DEFAULT_RETENTION,
    inbox_retention: dt.timedelta = DEFAULT_RETENTION,
    now: dt.datetime | None = None,
) -> tuple[int, int]:
    """Delete published outbox rows older than ``outbox_retention`` and inbox rows older than
    ``inbox_retention`` (never less than the duplicate window), in short batches.

    Pending events are never deleted, nor the newest outbox row (SQLite numbers from it).
    """
    now = now or utcnow()
    outbox, inbox = tables.outbox, tables.inbox
    newest = sa.select(sa.func.max(outbox.c.seq)).scalar_subquery()
    outbox_old = (
        sa.select(outbox.c.id)
        .where(
            outbox.c.published_at.is_not(None),
            outbox.c.published_at < now - outbox_retention,
            outbox.c.seq < newest,
        )
        .limit(PRUNE_BATCH)
    )
    outbox_deleted = await _delete_in_batches(
        factory, lambda: outbox.delete().where(outbox.c.id.in_(outbox_old.scalar_subquery()))
    )
    inbox_cutoff = now - max(inbox_retention, DUPLICATE_WINDOW)
    inbox_old = (
        sa.select(inbox.c.consumer, inbox.c.event_id)
        .where(inbox.c.processed_at < inbox_cutoff)
        .limit(PRUNE_BATCH)
        .subquery()
    )
    inbox_deleted = await _delete_in_batches(
        factory,
        lambda: inbox.delete().where(
            sa.tuple_(inbox.c.consumer, inbox.c.event_id).in_(
                sa.select(inbox_old.c.consumer, inbox_old.c.event_id)
            )
        ),
    )
    return outbox_deleted, inbox_deleted


async def _delete_in_batches(
    factory: async_sessionmaker[AsyncSession], statement: Callable[[], sa.Delete]
) -> int:
    total = 0
    while True:
        async with factory() as session, session.begin():
            result = await session.execute(statement())
            deleted = int(getattr(result, "rowcount", 0) or 0)
        total += deleted
        if deleted < PRUNE_BATCH:
            return total
