"""Starlette wiring shared by the five services.

``create_app(definition)`` gives a service its ``/graphql`` (strawberry Federation 2 subgraph),
``/healthz``, ``/readyz`` and ``/metrics``; on start it applies the migrations, connects to NATS,
creates the service's stream and runs the outbox relay, the consumers and periodic jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import strawberry
from cross_web import HTTPException as StrawberryHTTPException
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL

from ecosteward.auth import Principal, TokenVerifier
from ecosteward.bus import EventBus
from ecosteward.config import Settings, load_settings
from ecosteward.consumer import ConsumerRunner, Subscription
from ecosteward.db import create_engine, run_migrations, session_factory
from ecosteward.demo import demo_enabled
from ecosteward.errors import (
    INTERNAL_ERROR_CODE,
    JSON_OBJECT_EXPECTED,
    AppError,
    Unauthenticated,
    error_body,
    http_refusal,
)
from ecosteward.graphql import RequestContext
from ecosteward.logs import configure_logging, request_id_var
from ecosteward.metrics import metrics_endpoint
from ecosteward.outbox import OutboxRelay, PlatformTables, UnitOfWork, unit_of_work
from ecosteward.revocation import RevocationList, revocation_table
from ecosteward.server import HeaderLimitMiddleware

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000


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
    extra_routes: Sequence[Route] = ()


@dataclass
class ServiceRuntime:
    """The live resources of a running service."""

    definition: ServiceDefinition
    settings: Settings
    verifier: TokenVerifier
    bus: EventBus
    sessions: async_sessionmaker[AsyncSession]
    relay: OutboxRelay
    revocations: RevocationList
    """Suspended agencies, disabled accounts, closed enterprises: checked after every token."""
    consumers: list[ConsumerRunner] = field(default_factory=list)
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


class RequestIdMiddleware:
    """Takes ``x-request-id`` from the gateway (or makes one), logs with it and echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        raw = headers.get(b"x-request-id", b"").decode("latin-1").strip()
        request_id = raw[:128] if raw else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode("latin-1")))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


class BodyLimitMiddleware:
    """Refuses request bodies over ``limit`` bytes before they reach the GraphQL engine."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != "/graphql":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(self.limit)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _too_large(self.limit)(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


def _too_large(limit: int) -> Response:
    return JSONResponse(
        {
            "data": None,
            "errors": [
                {
                    "message": f"The request body is larger than {limit} bytes (请求过大).",
                    "extensions": {"code": "PAYLOAD_TOO_LARGE"},
                }
            ],
        },
        status_code=413,
    )


class SubgraphView(GraphQL[RequestContext, None]):
    """The strawberry ASGI view with our context: the verified principal or the auth error."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(
            runtime.definition.schema,
            graphql_ide="graphiql" if runtime.settings.dev_mode else None,
            allow_queries_via_get=False,
        )
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except StrawberryHTTPException as exc:  # strawberry answers these in plain text
            response = http_refusal_response(exc.status_code, exc.reason)
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        try:
            parsed = json.loads(data)
        except (ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, absurd nesting
            raise StrawberryHTTPException(400, "Unable to parse request body as JSON") from exc
        if not isinstance(parsed, (dict, list)):
            raise StrawberryHTTPException(400, JSON_OBJECT_EXPECTED)
        return parsed

    async def get_context(self, request: Request, response: Any) -> RequestContext:  # type: ignore[override]
        ctx = RequestContext(
            runtime=self.runtime, request_id=request.scope.get("state", {}).get("request_id", "")
        )
        try:
            ctx.principal = self.runtime.revocations.check(
                await self.runtime.verifier.principal(request.headers.get("authorization"))
            )
        except Unauthenticated as exc:
            ctx.auth_error = exc
        return ctx


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
        sessions=sessions,
        relay=relay,
        revocations=RevocationList(revocation_table(definition.metadata)),
    )
    runtime.consumers = [
        ConsumerRunner(
            settings.service,
            sub,
            bus,
            sessions,
            definition.tables,
            max_deliver=settings.consumer_max_deliver,
            on_commit=relay.wake,
        )
        for sub in definition.subscriptions
    ]
    # Every service keeps its own revocation list from the registry's and the archive's events.
    runtime.consumers += [
        ConsumerRunner(
            settings.service,
            sub,
            bus,
            sessions,
            definition.tables,
            max_deliver=settings.consumer_max_deliver,
            on_commit=runtime.revocations.changed,
        )
        for sub in runtime.revocations.subscriptions()
    ]
    return runtime


async def _periodic(runtime: ServiceRuntime, job: PeriodicJob) -> None:
    while True:
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
        runtime.tasks.append(asyncio.create_task(consumer.run(), name=f"consumer-{consumer.durable}"))
    for job in definition.periodic_jobs:
        runtime.tasks.append(asyncio.create_task(_periodic(runtime, job), name=f"job-{job.name}"))
    if definition.demo_loader is not None and demo_enabled():
        runtime.tasks.append(
            asyncio.create_task(_logged(definition.demo_loader(runtime), "demo data"), name="demo-data")
        )


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
    bind = runtime.sessions.kw.get("bind")
    if bind is not None:
        await bind.dispose()


def create_app(definition: ServiceDefinition, settings: Settings | None = None) -> Starlette:
    """The ASGI app of one service."""
    runtime = build_runtime(definition, settings)
    configure_logging(runtime.settings.service, runtime.settings.log_level)

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": runtime.settings.service})

    async def readyz(_request: Request) -> Response:
        checks = {"database": await runtime.database_ready(), "nats": runtime.bus.is_connected}
        ready = all(checks.values())
        return JSONResponse(
            {
                "status": "ready" if ready else "not ready",
                "checks": checks,
                "service": runtime.settings.service,
            },
            status_code=200 if ready else 503,
        )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await start_runtime(runtime)
        try:
            yield
        finally:
            await stop_runtime(runtime)

    view = SubgraphView(runtime)
    app = Starlette(
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            *definition.extra_routes,
        ],
        middleware=[
            Middleware(HeaderLimitMiddleware),
            Middleware(RequestIdMiddleware),
            Middleware(BodyLimitMiddleware),
        ],
        exception_handlers={HTTPException: _http_exception, Exception: _internal_error},
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    return app


async def request_principal(request: Request) -> Principal:
    """The verified caller of a plain HTTP route (uploads, downloads); raises Unauthenticated."""
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime.revocations.check(await runtime.verifier.principal(request.headers.get("authorization")))


def http_refusal_response(status: int, reason: str) -> JSONResponse:
    """A coded, bilingual JSON body instead of Starlette's or strawberry's plain-text refusal."""
    status, body = http_refusal(status, reason)
    return JSONResponse(body, status_code=status)


async def _http_exception(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return http_refusal_response(exc.status_code, exc.detail)


async def _internal_error(_request: Request, _exc: Exception) -> Response:
    return JSONResponse(
        error_body("Internal server error; it has been logged (服务器内部错误).", INTERNAL_ERROR_CODE),
        status_code=500,
    )


def error_response(error: AppError, status_code: int) -> JSONResponse:
    """A GraphQL-shaped error body for plain HTTP routes, with ``extensions.code``."""
    return JSONResponse(
        {"data": None, "errors": [{"message": error.message, "extensions": error.extensions or {}}]},
        status_code=status_code,
    )


def service_app(definition: ServiceDefinition) -> Callable[[], Starlette]:
    """The ASGI factory of a service (``uvicorn --factory services.<name>.app:app``).

    A factory, so importing a service module opens no connection.
    """

    def factory() -> Starlette:
        return create_app(definition)

    return factory


def migrations_dir(service_module_file: str) -> Path:
    """The ``migrations/`` folder (Alembic versions) beside a service's ``app.py``."""
    return Path(service_module_file).resolve().parent / "migrations"
