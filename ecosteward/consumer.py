"""Durable, idempotent JetStream consumers.

Each :class:`Subscription` is a durable pull consumer. A message is handled inside one database
transaction that also records the event in the inbox; the message is acked only after that
transaction commits. A redelivered event finds its inbox row and is skipped (applied once). After
``max_deliver`` failed deliveries the message is copied to ``ecosteward.deadletter.<service>.<consumer>``
and acked, so one poison event cannot block the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecosteward.bus import EventBus, stream_name
from ecosteward.events import DEAD_LETTER_PREFIX, SUBJECT_PREFIX, EventEnvelope
from ecosteward.metrics import CONSUMER_PENDING, DEAD_LETTERS, EVENTS_HANDLED
from ecosteward.outbox import PlatformTables, UnitOfWork, mark_processed
from ecosteward.retry import backoff_delay

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, EventEnvelope], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """A durable consumer of one publisher's events.

    ``source`` is the publishing service (its stream is ``ECOSTEWARD_<SOURCE>``); ``filter_subject``
    selects the events, e.g. ``ecosteward.registry.jurisdiction.*``. The handler gets a unit of work,
    so what it changes and any events it emits commit together with the inbox record.
    """

    name: str
    source: str
    filter_subject: str
    handler: Handler

    @classmethod
    def to_family(cls, name: str, family: str, handler: Handler) -> Subscription:
        """The durable ``name`` reading every event of ``family`` (``<service>.<entity>``, a payload's
        ``EVENT``): source ``<service>``, filter ``ecosteward.<service>.<entity>.*``."""
        return cls(name, family.split(".", 1)[0], f"{SUBJECT_PREFIX}.{family}.*", handler)

    @property
    def stream(self) -> str:
        return stream_name(self.source)


class ConsumerRunner:
    def __init__(
        self,
        service: str,
        subscription: Subscription,
        bus: EventBus,
        factory: async_sessionmaker[AsyncSession],
        tables: PlatformTables,
        max_deliver: int = 5,
        ack_wait_seconds: float = 30.0,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self.service = service
        self.sub = subscription
        self.bus = bus
        self.factory = factory
        self.tables = tables
        self.max_deliver = max_deliver
        self.ack_wait = ack_wait_seconds
        self.on_commit = on_commit
        self.durable = f"{service}--{subscription.name}"
        self._stopping = False

    def stop(self) -> None:
        self._stopping = True

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=self.max_deliver,
            ack_wait=self.ack_wait,
            filter_subject=self.sub.filter_subject,
        )
        return await self.bus.js.pull_subscribe(
            self.sub.filter_subject, durable=self.durable, stream=self.sub.stream, config=config
        )

    async def run(self) -> None:
        await self.bus.wait_connected()
        psub = None
        while not self._stopping:
            try:
                if psub is None:
                    psub = await self._subscribe()
                    log.info(
                        "consuming %s as %s",
                        self.sub.filter_subject,
                        self.durable,
                        extra={"consumer": self.durable},
                    )
                try:
                    messages = await psub.fetch(batch=20, timeout=1.0)
                except TimeoutError:
                    messages = []
                for msg in messages:
                    await self.handle(msg)
                with contextlib.suppress(Exception):
                    info = await psub.consumer_info()
                    CONSUMER_PENDING.labels(self.service, self.durable).set(
                        (info.num_pending or 0) + (info.num_ack_pending or 0)
                    )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Stream not created yet (publisher never started) or NATS down: wait and retry.
                log.warning("consumer %s waiting: %s", self.durable, exc, extra={"consumer": self.durable})
                psub = None
                await asyncio.sleep(2.0)

    async def handle(self, msg: Msg) -> None:
        try:
            envelope = EventEnvelope.from_bytes(msg.data)
        except ValueError as exc:
            await self._dead_letter(msg, f"malformed envelope: {exc}")
            return
        try:
            async with self.factory() as session, session.begin():
                uow = UnitOfWork(session, self.tables, self.service)
                if not await mark_processed(session, self.tables, self.durable, envelope):
                    outcome = "duplicate"
                else:
                    await self.sub.handler(uow, envelope)
                    await uow.flush_events()
                    outcome = "applied"
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            delivered = msg.metadata.num_delivered if msg.metadata else 1
            log.exception(
                "handling %s failed (delivery %s of %s)",
                envelope.type,
                delivered,
                self.max_deliver,
                extra={"consumer": self.durable, "event_id": envelope.id, "event_type": envelope.type},
            )
            if delivered >= self.max_deliver:
                await self._dead_letter(msg, f"{type(exc).__name__}: {exc}")
            else:
                EVENTS_HANDLED.labels(self.service, self.durable, "failed").inc()
                await msg.nak(delay=backoff_delay(delivered, first=0.5, cap=30.0))
            return
        await msg.ack()
        EVENTS_HANDLED.labels(self.service, self.durable, outcome).inc()
        if self.on_commit is not None and outcome == "applied":
            self.on_commit()

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        subject = f"{DEAD_LETTER_PREFIX}.{self.service}.{self.sub.name}"
        headers = {
            "Ecosteward-Original-Subject": msg.subject,
            "Ecosteward-Consumer": self.durable,
            "Ecosteward-Reason": reason[:500],
        }
        await self.bus.js.publish(subject, msg.data, headers=headers, timeout=5)
        await msg.ack()
        DEAD_LETTERS.labels(self.service, self.durable).inc()
        EVENTS_HANDLED.labels(self.service, self.durable, "dead_lettered").inc()
        log.error("event dead-lettered to %s: %s", subject, reason, extra={"consumer": self.durable})
