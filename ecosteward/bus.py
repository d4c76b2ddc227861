"""The NATS JetStream connection of one service.

The service starts even when NATS is down: :class:`EventBus` keeps trying to connect in the
background, and the outbox keeps events until it is back. Streams are created (or updated) on every
connect: one stream per service, ``ECOSTEWARD_<SERVICE>`` on ``ecosteward.<service>.>``, plus the
shared dead-letter stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from ecosteward.events import DEAD_LETTER_PREFIX, DEAD_LETTER_STREAM, service_subjects
from ecosteward.outbox import DUPLICATE_WINDOW, Publisher
from ecosteward.retry import backoff_delay

log = logging.getLogger(__name__)

# JetStream de-duplicates by Nats-Msg-Id within DUPLICATE_WINDOW (defined with the outbox, whose
# inbox retention must cover it); the relay's retries fall well inside it.
__all__ = ["DUPLICATE_WINDOW", "EventBus", "NatsUnavailable"]
STREAM_MAX_AGE = dt.timedelta(days=30)


class NatsUnavailable(RuntimeError):
    pass


def stream_name(service: str) -> str:
    """The JetStream stream a service owns and publishes to (one stream per service)."""
    return f"ECOSTEWARD_{service.upper()}"


class EventBus(Publisher):
    """Connection, JetStream context and stream set-up for one service."""

    def __init__(self, service: str, url: str) -> None:
        self.service = service
        self.url = url
        self._nc: NATS | None = None
        self._js: JetStreamContext | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def stream_name(self) -> str:
        return stream_name(self.service)

    @property
    def is_connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise NatsUnavailable("not connected to NATS yet")
        return self._js

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect_forever(), name=f"nats-connect-{self.service}")

    async def wait_connected(self, seconds: float | None = None) -> None:
        await asyncio.wait_for(self._connected.wait(), seconds)

    async def _on_reconnected(self) -> None:
        log.info("reconnected to NATS")
        with contextlib.suppress(Exception):
            await self.ensure_streams()

    async def _on_disconnected(self) -> None:
        log.warning("disconnected from NATS")

    async def _connect_forever(self) -> None:
        attempt = 0
        while True:
            try:
                nc = await nats.connect(
                    self.url,
                    name=f"ecosteward-{self.service}",
                    connect_timeout=2,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=1,
                    reconnected_cb=self._on_reconnected,
                    disconnected_cb=self._on_disconnected,
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = backoff_delay(attempt, first=0.5, cap=10.0)
                attempt += 1
                log.warning("NATS at %s not reachable (%s); retrying in %.1fs", self.url, exc, delay)
                await asyncio.sleep(delay)
                continue
            self._nc = nc
            self._js = nc.jetstream(timeout=5)
            try:
                await self.ensure_streams()
            except Exception as exc:
                log.warning("could not set up JetStream streams yet: %s", exc)
            self._connected.set()
            log.info("connected to NATS at %s", self.url)
            return

    async def ensure_streams(self) -> None:
        await self._ensure_stream(self.stream_name, [service_subjects(self.service)])
        await self._ensure_stream(DEAD_LETTER_STREAM, [f"{DEAD_LETTER_PREFIX}.>"])

    async def _ensure_stream(self, name: str, subjects: list[str]) -> None:
        config = StreamConfig(
            name=name,
            subjects=subjects,
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW.total_seconds(),
            max_age=STREAM_MAX_AGE.total_seconds(),
        )
        try:
            await self.js.add_stream(config)
        except BadRequestError:
            # Exists with another config (e.g. an older version): bring it up to date.
            await self.js.update_stream(config)

    async def publish(self, subject: str, body: bytes, msg_id: str) -> None:
        if not self.is_connected:
            raise NatsUnavailable("NATS is not connected")
        ack = await self.js.publish(subject, body, timeout=5, headers={"Nats-Msg-Id": msg_id})
        if ack.duplicate:
            log.info("event %s was already in the stream (duplicate suppressed)", msg_id)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._nc is not None:
            # No drain: unacked messages are simply redelivered, and the outbox keeps unsent events.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._nc.close(), 5)
