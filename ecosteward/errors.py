"""Errors with stable codes in ``extensions.code``, so front ends can branch on them.

Messages are human-readable (English, with the Chinese term where it helps). Raising one of these
from a resolver aborts the operation; because every write runs in one transaction, nothing changes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import Any, TypeVar

S = TypeVar("S", bound=StrEnum)


class AppError(Exception):
    """Base class of every expected error; ``code`` lands in ``extensions.code``.

    A plain exception (domain code raises it without knowing about GraphQL or HTTP); the edges map
    it: ``ecosteward.graphql.ErrorCodes`` to a GraphQL error, ``ecosteward.app.error_response`` to a
    JSON body. ``extensions`` is ``{"code": ..., **details}`` with ``None`` details left out.
    """

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {"code": code or self.code}
        self.extensions.update({k: v for k, v in details.items() if v is not None})

    def __str__(self) -> str:
        return self.message

    @property
    def details(self) -> dict[str, Any]:
        """The extensions besides ``code``."""
        return {k: v for k, v in self.extensions.items() if k != "code"}


class BadUserInput(AppError):
    """The input is malformed or breaks a business rule (输入有误)."""

    code = "BAD_USER_INPUT"


class ValidationFailed(AppError):
    """Several rules failed at once; ``extensions.violations`` lists each one."""

    code = "VALIDATION_FAILED"

    def __init__(self, message: str, violations: list[dict[str, str]]) -> None:
        super().__init__(message, violations=violations)
        self.violations = violations


class NotFound(AppError):
    code = "NOT_FOUND"


class Conflict(AppError):
    """The request conflicts with the current state (e.g. filing twice)."""

    code = "CONFLICT"


def check_transition(
    transitions: Mapping[S, Collection[S]], current: S, target: S, subject: str, term: str = "状态"
) -> None:
    """A state machine's one rule: CONFLICT ``INVALID_TRANSITION`` unless ``transitions`` lets
    ``current`` go to ``target`` ("``subject`` cannot go from A to B (``term``不允许)")."""
    if target not in transitions[current]:
        raise Conflict(
            f"{subject} cannot go from {current} to {target} ({term}不允许).",
            code="INVALID_TRANSITION",
            current=str(current),
        )


class Unauthenticated(AppError):
    """No token, or a token that is malformed, expired, or not for us (未认证)."""

    code = "UNAUTHENTICATED"


TOKEN_MISSING = "TOKEN_MISSING"
"""``extensions.reason`` of UNAUTHENTICATED: no token was sent — sign in."""
TOKEN_EXPIRED = "TOKEN_EXPIRED"
"""The token has expired — refresh it and retry."""
TOKEN_INVALID = "TOKEN_INVALID"
"""The token is malformed, forged, or not for this API (``extensions.detail`` says which) — sign in again."""
TOKEN_UNVERIFIABLE = "TOKEN_UNVERIFIABLE"
"""The identity provider's keys cannot be fetched right now — retry later."""


class Forbidden(AppError):
    """Authenticated, but the role or data scope does not allow this (无权限)."""

    code = "FORBIDDEN"


INTERNAL_ERROR_CODE = "INTERNAL_SERVER_ERROR"


# ----------------------------------------------------------------------------- HTTP-level refusals

HTTP_ERROR_CODES: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    431: "HEADERS_TOO_LARGE",
    500: INTERNAL_ERROR_CODE,
}
"""``extensions.code`` of a refusal made before GraphQL runs, by HTTP status."""

JSON_OBJECT_EXPECTED = "The request body must be a JSON object"

_HTTP_REFUSALS: dict[str, tuple[int, str, str]] = {
    # strawberry's plain-text reasons -> status, code, bilingual message
    "Unsupported content type": (
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "Send the operation as JSON with 'content-type: application/json' (请求格式应为 JSON).",
    ),
    "Batching is not enabled": (
        400,
        "BATCHING_NOT_SUPPORTED",
        "Send one operation per request; batching is not supported (不支持批量请求).",
    ),
    "Unable to parse request body as JSON": (
        400,
        "BAD_REQUEST",
        "The request body is not valid JSON (请求体不是有效的 JSON).",
    ),
    JSON_OBJECT_EXPECTED: (
        400,
        "BAD_REQUEST",
        "The request body must be a JSON object with `query` (请求体应为 JSON 对象).",
    ),
    "No GraphQL query found in the request": (
        400,
        "BAD_REQUEST",
        "The request holds no GraphQL query (请求中没有 GraphQL 查询).",
    ),
    "Not Found": (404, "NOT_FOUND", "Nothing is served at this path (路径不存在)."),
    "Method Not Allowed": (405, "METHOD_NOT_ALLOWED", "This method is not allowed here (不支持该请求方法)."),
    "GraphQL only supports GET and POST requests.": (
        405,
        "METHOD_NOT_ALLOWED",
        "GraphQL is served over POST (GraphQL 仅支持 POST 请求).",
    ),
}


def error_body(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    """The JSON body of every error answer: ``{"errors": [{"message", "extensions": {"code"}}]}``."""
    details = {k: v for k, v in extensions.items() if v is not None}
    return {"data": None, "errors": [{"message": message, "extensions": {"code": code, **details}}]}


def http_refusal(status: int, reason: str) -> tuple[int, dict[str, Any]]:
    """A bilingual, coded JSON body for a plain-text HTTP refusal (and the status to send it with)."""
    known = _HTTP_REFUSALS.get(reason)
    if known is not None:
        status, code, message = known
        return status, error_body(message, code)
    code = HTTP_ERROR_CODES.get(status, "BAD_REQUEST" if 400 <= status < 500 else INTERNAL_ERROR_CODE)
    chinese = "请求无效" if 400 <= status < 500 else "服务器内部错误"
    return status, error_body(f"{reason.rstrip('.')} ({chinese}).", code)
