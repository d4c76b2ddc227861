"""GraphQL plumbing shared by the subgraphs: context, permissions, extensions, Relay connections."""

from __future__ import annotations

import base64
import contextlib
import functools
import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import sqlalchemy as sa
import strawberry
from graphql import DocumentNode, GraphQLError, ValueNode, VariableDefinitionNode, VariableNode, parse
from graphql import ExecutionResult as GraphQLExecutionResult
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension
from strawberry.extensions.query_depth_limiter import create_validator
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema.schema import validate_document
from strawberry.types import Info

from ecosteward.errors import (
    INTERNAL_ERROR_CODE,
    TOKEN_MISSING,
    AppError,
    BadUserInput,
    Forbidden,
    Unauthenticated,
)
from ecosteward.identity import Principal, Role
from ecosteward.inputs import argument_path_of_value, argument_path_of_variable, check_operation
from ecosteward.metrics import GRAPHQL_ERRORS, GRAPHQL_LATENCY, GRAPHQL_REQUESTS

if TYPE_CHECKING:
    from ecosteward.runtime import ServiceRuntime

log = logging.getLogger(__name__)

MAX_DEPTH = 12
MAX_TOKENS = 2000


@dataclass
class RequestContext:
    """What every resolver gets as ``info.context``."""

    runtime: ServiceRuntime
    request_id: str
    principal: Principal | None = None
    auth_error: Unauthenticated | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def user(self) -> Principal:
        """The verified caller (the auth extension guarantees one inside resolvers)."""
        if self.principal is None:
            raise self.auth_error or Unauthenticated("Sign in first (未登录).", reason=TOKEN_MISSING)
        return self.principal


AppInfo = Info[RequestContext, None]
"""The ``info`` of every resolver: annotate with it and ``info.context`` is a :class:`RequestContext`."""


def context_of(info: Info[Any, Any]) -> RequestContext:
    """``info.context`` for resolvers annotated with a bare ``Info`` (prefer :data:`AppInfo`)."""
    ctx = info.context
    assert isinstance(ctx, RequestContext)
    return ctx


def graphql_error(error: AppError, nodes: Any = None, path: Any = None) -> GraphQLError:
    """The GraphQL error for an expected error: its message, ``extensions`` = code and details."""
    return GraphQLError(
        error.message, nodes=nodes, path=path, original_error=error, extensions=error.extensions
    )


class RequireAuthentication(SchemaExtension):
    """Refuses the whole operation without a valid token — also when a subgraph is called directly."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context.context
        if isinstance(ctx, RequestContext) and ctx.principal is None:
            error = ctx.auth_error or Unauthenticated(
                "Sign in first: no access token was sent (未登录).", reason=TOKEN_MISSING
            )
            self.execution_context.result = GraphQLExecutionResult(data=None, errors=[graphql_error(error)])
        yield


class InputRules(SchemaExtension):
    """Applies the shared input rules (``ecosteward.inputs``) before graphql-core coerces the values."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.result is None and ctx.graphql_document is not None:
            errors, document = check_operation(
                ctx.schema._schema, ctx.graphql_document, ctx.operation_name, ctx.variables
            )
            if errors:
                ctx.result = GraphQLExecutionResult(data=None, errors=[graphql_error(e) for e in errors])
            else:
                ctx.graphql_document = document
        yield


class ErrorCodes(SchemaExtension):
    """Gives every error an ``extensions.code``; hides internal errors behind a generic message.

    The one place where expected errors (:class:`~ecosteward.errors.AppError`, plain exceptions that
    strawberry wraps as ``original_error``) become GraphQL errors: message and ``extensions``.
    """

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not getattr(result, "errors", None):
            return
        service = _service_name(self.execution_context.context)
        cleaned: list[GraphQLError] = []
        for error in result.errors or []:
            code = (error.extensions or {}).get("code")
            original = error.original_error
            if isinstance(original, AppError):
                code = original.extensions["code"]
                error.message = original.message
                error.extensions = {**(error.extensions or {}), **original.extensions}
            elif code is None and original is not None and isinstance(original, GraphQLError):
                code = (original.extensions or {}).get("code")
                if code is not None:
                    error.extensions = {**(error.extensions or {}), **(original.extensions or {})}
            if code is None and error.path is None:
                # Before execution: a bad document, or an input value graphql-core could not coerce.
                error = _pre_execution_error(error, self.execution_context.graphql_document)
                code = (error.extensions or {})["code"]
            if code is None:
                if original is None:
                    code = "GRAPHQL_VALIDATION_FAILED"
                    error.extensions = {**(error.extensions or {}), "code": code}
                else:
                    log.error("unexpected error in resolver", exc_info=original)
                    code = INTERNAL_ERROR_CODE
                    error = GraphQLError(
                        "Internal server error; it has been logged (服务器内部错误).",
                        nodes=error.nodes,
                        path=error.path,
                        extensions={"code": code},
                    )
            GRAPHQL_ERRORS.labels(service, code).inc()
            cleaned.append(error)
        result.errors = cleaned


_VARIABLE_VALUE = re.compile(r"Variable '\$(\w+)' has invalid (?:default )?value((?:\.\w+|\[\d+\])*)")


def _pre_execution_error(error: GraphQLError, document: DocumentNode | None) -> GraphQLError:
    """``BAD_USER_INPUT`` naming the argument for input values, ``GRAPHQL_VALIDATION_FAILED`` otherwise."""
    node = error.nodes[0] if error.nodes else None
    argument: str | None = None
    is_input = False
    match = _VARIABLE_VALUE.match(error.message)
    if isinstance(node, VariableDefinitionNode) and match is not None:
        is_input = True  # variable coercion: "Variable '$x' has invalid value.path: …" (also when missing)
        argument = argument_path_of_variable(document, match.group(1))
        if argument is not None and match.group(2):
            argument += match.group(2)
    elif isinstance(node, ValueNode) and not isinstance(node, VariableNode):
        is_input = True  # a literal of the wrong type or format (ValuesOfCorrectType)
        argument = argument_path_of_value(document, node)
    elif error.original_error is not None:
        is_input = True  # raised while coercing input, before any resolver ran
    if not is_input:
        return GraphQLError(
            f"{error.message} (查询语句无效)",
            nodes=error.nodes,
            extensions={**(error.extensions or {}), "code": "GRAPHQL_VALIDATION_FAILED"},
        )
    log.info("input refused: %s", error.message)
    where = f"`{argument}`: " if argument else ""
    details = {"argumentName": argument, "field": argument} if argument else {}
    return GraphQLError(
        f"Invalid value for {where}{error.message} (输入值无效)",
        nodes=error.nodes,
        extensions={**(error.extensions or {}), "code": "BAD_USER_INPUT", **details},
    )


class OperationMetrics(SchemaExtension):
    """Counts and times every operation by name for Prometheus."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        name = self.execution_context.operation_name or "anonymous"
        service = _service_name(self.execution_context.context)
        result = self.execution_context.result
        outcome = "error" if result is not None and getattr(result, "errors", None) else "ok"
        elapsed = time.perf_counter() - started
        GRAPHQL_LATENCY.labels(service, name).observe(elapsed)
        GRAPHQL_REQUESTS.labels(service, name, outcome).inc()
        # One access-log line per operation; the JSON formatter adds the request id.
        log.info("graphql %s %s in %.1f ms", name, outcome, elapsed * 1000, extra={"operation": name})


def _service_name(ctx: Any) -> str:
    return ctx.runtime.settings.service if isinstance(ctx, RequestContext) else "unknown"


DOCUMENT_CACHE_SIZE = 512
"""Distinct query texts whose parsed document and validation result each process keeps (LRU)."""

_cached_parse = functools.lru_cache(maxsize=DOCUMENT_CACHE_SIZE)(parse)
_cached_validation = functools.lru_cache(maxsize=DOCUMENT_CACHE_SIZE)(validate_document)

DEPTH_LIMIT_RULE = create_validator(MAX_DEPTH, None)
"""The query depth rule, one class for every request (strawberry's ``QueryDepthLimiter`` makes a new
class per instance, which would give every request its own validation cache key)."""


def _fresh(error: GraphQLError) -> GraphQLError:
    """A copy of a cached validation error, so that no request's changes reach the next one."""
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=dict(error.extensions) if error.extensions else None,
    )


class DocumentCache(SchemaExtension):
    """Parses and validates each distinct query text once per process (bounded LRU caches).

    Documents are shared between requests and never changed (``InputRules`` works on a copy). A
    document that does not parse is left to strawberry, which answers exactly as without the cache;
    validation errors are cached and handed out as copies, so ``ErrorCodes`` codes them every time.
    """

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is None and ctx.query:
            # On a syntax error strawberry parses again and reports it as it does without the cache.
            with contextlib.suppress(GraphQLError):
                ctx.graphql_document = _cached_parse(ctx.query, **ctx.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None and ctx.validation_rules:
            errors = _cached_validation(ctx.schema._schema, ctx.graphql_document, ctx.validation_rules)
            ctx.pre_execution_errors = [_fresh(error) for error in errors]
        yield


def document_cache_info() -> dict[str, Any]:
    """Hits and misses of the parse and validation caches (tests, diagnostics)."""
    return {"parse": _cached_parse.cache_info(), "validation": _cached_validation.cache_info()}


def schema_extensions() -> list[type[SchemaExtension] | Callable[[], SchemaExtension]]:
    """Every subgraph's extensions, classes or factories (a fresh instance per operation).

    None of them hooks ``resolve``: a schema extension with a ``resolve`` hook runs for every field
    of every response (graphql-core middleware); per-field rules are field extensions (:func:`roles`).
    """
    return [
        RequireAuthentication,
        InputRules,
        OperationMetrics,
        ErrorCodes,
        functools.partial(AddValidationRules, [DEPTH_LIMIT_RULE]),
        functools.partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        DocumentCache,
    ]


class _RolePermission(BasePermission):
    """Allows callers holding at least one of the given realm roles."""

    def __init__(self, roles: Sequence[Role | str]) -> None:
        self.roles = tuple(str(role) for role in roles)
        self.message = f"This needs one of the roles: {', '.join(self.roles)} (权限不足)."

    def has_permission(self, source: Any, info: AppInfo, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and principal.has_role(*self.roles)

    def on_unauthorized(self) -> None:
        raise Forbidden(self.message or "")  # mapped to GraphQL by ErrorCodes like every other refusal


def roles(*names: Role | str) -> PermissionExtension:
    """Field extension: only callers with one of ``names`` may resolve the field."""
    return PermissionExtension(permissions=[_RolePermission(names)], use_directives=False)


# ---------------------------------------------------------------------------- Relay connections

T = TypeVar("T")
MAX_PAGE = 200
DEFAULT_PAGE = 50


@strawberry.enum(description="Sort direction for list queries.")
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.federation.type(shareable=True, description="Relay page information.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge of this page.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last edge; pass it as `after`.")


@strawberry.type(description="An item in a connection, with its cursor.")
class Edge(Generic[T]):
    node: T = strawberry.field(description="The item.")
    cursor: str = strawberry.field(description="Opaque cursor of this item.")


@strawberry.type(description="A page of items (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page with their cursors.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the whole list.")
    total_count: int = strawberry.field(description="Number of items matching the filters, over all pages.")


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        offset = int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadUserInput("The cursor is not one this API issued (游标无效).", field="after") from exc
    if kind != "o" or offset < 0:
        raise BadUserInput("The cursor is not one this API issued (游标无效).", field="after")
    return offset


async def paginate(
    session: AsyncSession,
    statement: sa.Select[Any],
    first: int | None,
    after: str | None,
) -> tuple[list[Any], PageInfo, int]:
    """Run ``statement`` (already filtered and ordered, with a unique tiebreaker) one page at a time."""
    size = DEFAULT_PAGE if first is None else first
    if size < 0 or size > MAX_PAGE:
        raise BadUserInput(f"`first` must be between 0 and {MAX_PAGE} (每页条数超出范围).", field="first")
    start = decode_cursor(after) + 1 if after else 0
    total = (
        await session.execute(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery()))
    ).scalar_one()
    rows = list((await session.execute(statement.offset(start).limit(size + 1))).scalars().all())
    has_next = len(rows) > size
    rows = rows[:size]
    info = PageInfo(
        has_next_page=has_next,
        has_previous_page=start > 0,
        start_cursor=encode_cursor(start) if rows else None,
        end_cursor=encode_cursor(start + len(rows) - 1) if rows else None,
    )
    return rows, info, int(total)


def connection(nodes: Sequence[T], info: PageInfo, total: int, start: int | None = None) -> Connection[T]:
    """Wrap an already fetched page as a connection."""
    first = 0 if info.start_cursor is None else decode_cursor(info.start_cursor)
    base = first if start is None else start
    return Connection(
        edges=[Edge(node=node, cursor=encode_cursor(base + i)) for i, node in enumerate(nodes)],
        page_info=info,
        total_count=total,
    )
