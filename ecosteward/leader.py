"""One leader among a service's processes (worker processes or replicas), for work that must run once.

Every process of a service serves requests and relays the outbox (one at a time, under the relay's
own lock). Consumers, periodic jobs and the demo data run in one process only, the leader: the one
holding a PostgreSQL session-level advisory lock on a connection of its own (:class:`Leadership`).
One consuming process applies each durable consumer's events in order, as a single process did; the
others read what it applied from the database (revocations: at its commit, through ``NOTIFY``). When the
leader exits or loses its connection, PostgreSQL releases the lock and another process takes over
within ``retry_seconds``. Start-up steps (migrations, seeding) run in every process, one process at a
time (:func:`one_at_a_time`), so the first does the work and the others find it done.

On SQLite (the embedded default) a service runs one process, which leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# Advisory-lock keys (fixed bigints; each service has its own database).
LEADER_LOCK = 0x45434F5F4C454144  # "ECO_LEAD": the process that runs periodic jobs
STARTUP_LOCK = 0x45434F5F53545254  # "ECO_STRT": start-up steps, one process at a time


def _shared(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


async def _close(connection: AsyncConnection) -> None:
    """Close for good: a connection holding a session lock must never go back to the pool."""
    with contextlib.suppress(Exception):
        await connection.invalidate()
    with contextlib.suppress(Exception):
        await connection.close()


class Leadership:
    """Whether this process leads its service; :meth:`run` keeps trying to lead (a background task)."""

    def __init__(self, engine: AsyncEngine, retry_seconds: float = 2.0, key: int = LEADER_LOCK) -> None:
        self._engine = engine
        self._retry = retry_seconds
        self._key = key
        self._leading = asyncio.Event()
        self._connection: AsyncConnection | None = None
        self.terms = 0
        """How many times this process became the leader."""

    @property
    def is_leader(self) -> bool:
        return self._leading.is_set()

    async def wait(self) -> None:
        """Return once this process leads."""
        await self._leading.wait()

    async def _try_to_lead(self) -> None:
        connection = await self._engine.connect()
        try:
            got = (await connection.execute(sa.select(sa.func.pg_try_advisory_lock(self._key)))).scalar_one()
            await connection.commit()  # the lock is the session's: it outlives the transaction
        except BaseException:
            await _close(connection)
            raise
        if got:
            self._connection = connection
            self.terms += 1
            self._leading.set()
            log.info("this process now runs the service's periodic jobs (leader)")
        else:
            await connection.close()  # holds no lock: back to the pool

    async def _still_leading(self, connection: AsyncConnection) -> None:
        try:
            await connection.execute(sa.select(1))
            await connection.commit()
        except Exception:
            log.warning("lost the leader's database connection; another process may take over")
            self._leading.clear()
            self._connection = None
            await _close(connection)

    async def run(self) -> None:
        if not _shared(self._engine):
            self._leading.set()  # the embedded default runs one process
            return
        try:
            while True:
                try:
                    if self._connection is None:
                        await self._try_to_lead()
                    else:
                        await self._still_leading(self._connection)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the database may be briefly unavailable
                    log.warning("could not check the service's leader lock: %s", exc)
                await asyncio.sleep(self._retry)
        finally:
            await self.resign()

    async def resign(self) -> None:
        """Give the lead up (on shutdown): closing the connection releases the lock."""
        self._leading.clear()
        connection, self._connection = self._connection, None
        if connection is not None:
            await _close(connection)


@contextlib.asynccontextmanager
async def one_at_a_time(engine: AsyncEngine, key: int = STARTUP_LOCK) -> AsyncIterator[None]:
    """Run the body in one process of the service at a time (a no-op on SQLite)."""
    if not _shared(engine):
        yield
        return
    connection = await engine.connect()
    try:
        await connection.execute(sa.select(sa.func.pg_advisory_lock(key)))
        await connection.commit()
        yield
    finally:
        await _close(connection)
