"""Starlette wiring shared by the five services.

``create_app(definition)`` gives a service its ``/graphql`` (strawberry Federation 2 subgraph),
``/healthz``, ``/readyz`` and ``/metrics``; its lifespan starts and stops the service's runtime
(``ecosteward.runtime``: migrations, NATS, outbox relay, consumers, periodic jobs). Plain HTTP
routes answer expected errors through :func:`error_response`.
"""

from __future__ import annotations

import gc
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from cross_web import HTTPException as StrawberryHTTPException
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL

from ecosteward.config import Settings
from ecosteward.errors import (
    INTERNAL_ERROR_CODE,
    JSON_OBJECT_EXPECTED,
    AppError,
    Unauthenticated,
    error_body,
    http_refusal,
)
from ecosteward.graphql import RequestContext
from ecosteward.identity import Principal
from ecosteward.logs import configure_logging, request_id_var
from ecosteward.metrics import metrics_endpoint
from ecosteward.runtime import (
    ServiceDefinition,
    ServiceRuntime,
    build_runtime,
    start_runtime,
    stop_runtime,
)
from ecosteward.server import HeaderLimitMiddleware

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000


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
        error_body(f"The request body is larger than {limit} bytes (请求过大).", "PAYLOAD_TOO_LARGE"),
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
            ctx.principal = await authenticate(self.runtime, request.headers.get("authorization"))
        except Unauthenticated as exc:
            ctx.auth_error = exc
        return ctx


GC_THRESHOLDS = (10_000, 20, 20)
"""Young-generation collections every 10,000 allocations rather than 700: a request allocates
thousands of objects, most dead by its end."""


def settle_heap() -> None:
    """Keep the cyclic garbage collector off the long-lived heap once the service has started.

    Schemas, mappers and modules are a few hundred thousand objects that live as long as the process;
    every full collection walked them all — 80-300 ms with the event loop stopped, every second or
    two under load (the p99 tail). ``gc.freeze`` moves them out of the collector's reach; what
    requests leave behind is still collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


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
        settle_heap()
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


async def authenticate(runtime: ServiceRuntime, authorization: str | None) -> Principal:
    """The caller of one request: the token verified (remembered once verified, until it expires), then
    checked against the revocation list — on every request, so a revoked caller is refused at once."""
    principal = await runtime.verifier.principal(authorization)
    await runtime.revocations.fresh()  # a change another process committed and announced: reloaded first
    return runtime.revocations.check(principal)


async def request_principal(request: Request) -> Principal:
    """The verified caller of a plain HTTP route (uploads, downloads); raises Unauthenticated."""
    runtime: ServiceRuntime = request.app.state.runtime
    return await authenticate(runtime, request.headers.get("authorization"))


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


STATUS_BY_CODE: dict[str, int] = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
    "ALREADY_WITHDRAWN": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    INTERNAL_ERROR_CODE: 500,
}
"""HTTP status of an expected error on a plain HTTP route, by ``extensions.code`` (else 400)."""


def status_of(error: AppError) -> int:
    """The HTTP status for ``error`` on a plain HTTP route."""
    return STATUS_BY_CODE.get(str(error.extensions.get("code", "BAD_USER_INPUT")), 400)


def error_response(error: AppError, status_code: int | None = None) -> JSONResponse:
    """The one HTTP mapping of expected errors: a GraphQL-shaped JSON body with ``extensions.code``.

    ``status_code`` defaults to :data:`STATUS_BY_CODE` of the error's code.
    """
    return JSONResponse(
        error_body(error.message, error.extensions["code"], **error.details),
        status_code=status_of(error) if status_code is None else status_code,
    )


def service_app(definition: ServiceDefinition) -> Callable[[], Starlette]:
    """The ASGI factory of a service (``uvicorn --factory services.<name>.app:app``).

    A factory, so importing a service module opens no connection.
    """

    def factory() -> Starlette:
        return create_app(definition)

    return factory
