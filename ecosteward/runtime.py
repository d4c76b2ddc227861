"""A running service's resources and their lifecycle, independent of the web framework.

``ServiceDefinition`` is what a service declares (schema, tables, subscriptions, jobs);
``build_runtime`` turns it into live resources (engine, bus, outbox relay, consumers) and
``start_runtime``/``stop_runtime`` run them. ``ecosteward.app`` puts the ASGI app around it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ecosteward.auth import TokenVerifier
from ecosteward.bus import EventBus
from ecosteward.config import Settings, load_settings
from ecosteward.consumer import ConsumerRunner, Subscription
from ecosteward.db import create_engine, run_migrations, session_factory
from ecosteward.leader import Leadership, one_at_a_time
from ecosteward.outbox import OutboxRelay, PlatformTables, UnitOfWork, unit_of_work
from ecosteward.revocation import RevocationList, revocation_table

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    """A job run every ``interval_seconds`` (e.g. re-classification as facts age out)."""

    name: str
    interval_seconds: float
    run: Callable[[ServiceRuntime], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class ServiceDefinition:
    """Everything that makes a service what it is; the platform does the rest."""

    name: str
    metadata: sa.MetaData
    tables: PlatformTables
    migrations_dir: Path
    schema: strawberry.federation.Schema
    subscriptions: Sequence[Subscription] = ()
    periodic_jobs: Sequence[PeriodicJob] = ()
    startup: Sequence[Callable[[ServiceRuntime], Coroutine[Any, Any, None]]] = ()
    """Run once after the migrations, before serving (e.g. seeding reference data)."""
    demo_loader: Callable[[ServiceRuntime], Coroutine[Any, Any, None]] | None = None
    """Loads the service's demo data once started, when ``ECOSTEWARD_DEMO_DATA=1`` (idempotent)."""
    extra_routes: Sequence[BaseRoute] = ()
    """Plain HTTP endpoints beside ``/graphql`` (Starlette routes, mounted by ``ecosteward.app``)."""


@dataclass
class ServiceRuntime:
    """The live resources of a running service."""

    definition: ServiceDefinition
    settings: Settings
    verifier: TokenVerifier
    bus: EventBus
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    relay: OutboxRelay
    revocations: RevocationList
    """Suspended agencies, disabled accounts, closed enterprises: checked after every token."""
    consumers: list[ConsumerRunner] = field(default_factory=list)
    leadership: Leadership | None = None
    """Whether this process runs the periodic jobs (one process of the service does)."""
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    def unit_of_work(self) -> contextlib.AbstractAsyncContextManager[UnitOfWork]:
        return unit_of_work(self.sessions, self.definition.tables, self.settings.service, self.relay)

    async def database_ready(self) -> bool:
        try:
            async with self.sessions() as session:
                await session.execute(sa.text("SELECT 1"))
            return True
        except Exception:
            return False


def migrations_dir(service_module_file: str) -> Path:
    """The ``migrations/`` folder (Alembic versions) beside a service's ``app.py``."""
    return Path(service_module_file).resolve().parent / "migrations"


def consuming_service(
    name: str,
    app_file: str,
    metadata: sa.MetaData,
    tables: PlatformTables,
    schema: strawberry.federation.Schema,
    subscriptions: Sequence[Subscription],
    demo_loader: Callable[[ServiceRuntime], Coroutine[Any, Any, None]],
    *,
    periodic_jobs: Sequence[PeriodicJob] = (),
    startup: Sequence[Callable[[ServiceRuntime], Coroutine[Any, Any, None]]] = (),
    extra_routes: Sequence[BaseRoute] = (),
) -> ServiceDefinition:
    """A service's definition: its schema, the subscriptions of its local copies and consumers, its
    demo data and (keyword) any jobs, start-up steps and extra routes. ``app_file`` is the service's
    ``app.py`` (its ``migrations/`` lie beside it)."""
    return ServiceDefinition(
        name=name,
        metadata=metadata,
        tables=tables,
        migrations_dir=migrations_dir(app_file),
        schema=schema,
        subscriptions=list(subscriptions),
        periodic_jobs=list(periodic_jobs),
        startup=list(startup),
        demo_loader=demo_loader,
        extra_routes=list(extra_routes),
    )


def build_runtime(definition: ServiceDefinition, settings: Settings | None = None) -> ServiceRuntime:
    settings = settings or load_settings(definition.name)
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    bus = EventBus(settings.service, settings.nats_url)
    relay = OutboxRelay(
        settings.service,
        sessions,
        definition.tables,
        bus,
        poll_seconds=settings.outbox_poll_seconds,
        outbox_retention=dt.timedelta(days=settings.outbox_retention_days),
        inbox_retention=dt.timedelta(days=settings.inbox_retention_days),
        prune_seconds=settings.event_prune_seconds,
    )
    runtime = ServiceRuntime(
        definition=definition,
        settings=settings,
        verifier=TokenVerifier(settings),
        bus=bus,
        engine=engine,
        sessions=sessions,
        relay=relay,
        revocations=RevocationList(revocation_table(definition.metadata)),
        leadership=Leadership(engine),
    )

    def consumer(sub: Subscription, on_commit: Callable[[], None]) -> ConsumerRunner:
        return ConsumerRunner(
            settings.service,
            sub,
            bus,
            sessions,
            definition.tables,
            max_deliver=settings.consumer_max_deliver,
            on_commit=on_commit,
        )

    runtime.consumers = [consumer(sub, relay.wake) for sub in definition.subscriptions]
    # Every service keeps its own revocation list from the registry's and the archive's events.
    runtime.consumers += [
        consumer(sub, runtime.revocations.changed) for sub in runtime.revocations.subscriptions()
    ]
    return runtime


async def _periodic(runtime: ServiceRuntime, job: PeriodicJob) -> None:
    while True:
        if runtime.leadership is not None:
            await runtime.leadership.wait()  # several processes: only the leader runs jobs
        try:
            await job.run(runtime)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("periodic job %s failed; it runs again next interval", job.name)
        await asyncio.sleep(job.interval_seconds)


async def _logged(work: Coroutine[Any, Any, None], what: str) -> None:
    """Run a background step; a failure is logged, not lost with the task."""
    try:
        await work
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("%s failed", what)


async def start_runtime(runtime: ServiceRuntime) -> None:
    definition = runtime.definition
    async with one_at_a_time(runtime.engine):  # several processes: the first migrates and seeds
        await asyncio.to_thread(
            run_migrations, definition.name, runtime.settings.database_url, definition.migrations_dir
        )
        for step in definition.startup:
            await step(runtime)
    await runtime.revocations.reload(runtime.sessions, force=True)  # before the first request
    runtime.tasks.append(
        asyncio.create_task(runtime.revocations.run(runtime.sessions), name="access-revocations")
    )
    runtime.bus.start()
    runtime.tasks.append(asyncio.create_task(runtime.relay.run(), name="outbox-relay"))
    for consumer in runtime.consumers:
        # Several processes: the leader consumes, in order as one process did (the others see what it
        # applied in the database, e.g. revocations within their 1 s reload).
        runtime.tasks.append(
            asyncio.create_task(_as_leader(runtime, consumer.run), name=f"consumer-{consumer.durable}")
        )
    if runtime.leadership is not None:
        runtime.tasks.append(asyncio.create_task(runtime.leadership.run(), name="leadership"))
    for job in definition.periodic_jobs:
        runtime.tasks.append(asyncio.create_task(_periodic(runtime, job), name=f"job-{job.name}"))
    if definition.demo_loader is not None and runtime.settings.demo_data:
        runtime.tasks.append(
            asyncio.create_task(
                _logged(_as_leader(runtime, functools.partial(definition.demo_loader, runtime)), "demo data"),
                name="demo-data",
            )
        )


async def _as_leader(runtime: ServiceRuntime, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``work`` in the service's leading process only (every process leads on SQLite)."""
    if runtime.leadership is not None:
        await runtime.leadership.wait()
    await work()


async def stop_runtime(runtime: ServiceRuntime) -> None:
    runtime.relay.stop()
    for consumer in runtime.consumers:
        consumer.stop()
    for task in runtime.tasks:
        task.cancel()
    for task in runtime.tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    runtime.tasks.clear()
    await runtime.bus.close()
    await runtime.engine.dispose()
