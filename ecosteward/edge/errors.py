"""Translate Hive Router's own refusals into EcoSteward's error shape (pure).

The router answers its own refusals (no or bad token, parse and validation failures, oversized requests)
with codes of its own (``MISSING_JWT``, ``JWT_LOOKUP_FAILED``, ``REQUEST_HEADER_FIELDS_TOO_LARGE`` …) and
English messages. Front ends get the same contract from the gateway as from a subgraph: every error has
``extensions.code`` from our catalogue, a bilingual message "English (中文)", and ``UNAUTHENTICATED``
says why in ``extensions.reason`` (TOKEN_MISSING / TOKEN_EXPIRED / TOKEN_INVALID) with HTTP 401.
Errors that come from the subgraphs already have that shape and pass through untouched.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

#: The router's JWT error codes (hive-router ``JwtError::error_code``).
JWT_CODES = frozenset(
    {
        "JWT_ERROR",
        "JWT_LOOKUP_FAILED",
        "MISSING_JWT",
        "INVALID_JWT",
        "INVALID_JWT_HEADER",
        "JWT_NOT_SUPPORTED",
        "JWK_ALGORITHM_NOT_SUPPORTED",
    }
)

AUTH_MESSAGES = {
    "TOKEN_MISSING": "Sign in first: no access token was sent (未登录).",
    "TOKEN_EXPIRED": "The access token has expired; refresh it and retry (令牌已过期).",
    "TOKEN_INVALID": "The access token is invalid; sign in again (令牌无效).",
}
BAD_AUTH_HEADER = "Send the token as 'Authorization: Bearer <token>' (令牌格式错误)."

#: Router codes renamed to ours, with the HTTP status we answer them with.
RENAMED: dict[str, tuple[str, int]] = {
    "REQUEST_HEADER_FIELDS_TOO_LARGE": ("HEADERS_TOO_LARGE", 431),
    "UNSUPPORTED_CONTENT_TYPE": ("UNSUPPORTED_MEDIA_TYPE", 415),
    "MISSING_CONTENT_TYPE_HEADER": ("UNSUPPORTED_MEDIA_TYPE", 415),
    "UNSUPPORTED_CONTENT_ENCODING": ("UNSUPPORTED_MEDIA_TYPE", 415),
    "OPERATION_RESOLUTION_FAILURE": ("GRAPHQL_VALIDATION_FAILED", 400),
    "INTROSPECTION_DISABLED": ("FORBIDDEN", 403),
    "PAYLOAD_TOO_LARGE_CONTENT_LENGTH": ("PAYLOAD_TOO_LARGE", 413),
    "PAYLOAD_TOO_LARGE_BODY_STREAM": ("PAYLOAD_TOO_LARGE", 413),
    "INVALID_HEADER": ("BAD_REQUEST", 400),
    "DECOMPRESSION_FAILED": ("BAD_REQUEST", 400),
    "PAYLOAD_READ_ERROR": ("BAD_REQUEST", 400),
    "UNPROCESSABLE_QUERY_PARAMS": ("BAD_REQUEST", 400),
    "MISSING_QUERY_PARAM": ("BAD_REQUEST", 400),
    "MUTATION_NOT_ALLOWED_OVER_HTTP_GET": ("METHOD_NOT_ALLOWED", 405),
}

#: What we answer, by status, when the router refused with no JSON body (unknown path, wrong method …).
REFUSALS: dict[int, tuple[str, str]] = {
    400: ("BAD_REQUEST", "The request is malformed (请求无效)."),
    404: ("NOT_FOUND", "Nothing is served at this path (路径不存在)."),
    405: ("METHOD_NOT_ALLOWED", "This method is not allowed here (不支持该请求方法)."),
    406: (
        "NOT_ACCEPTABLE",
        "Accept 'application/json' or 'application/graphql-response+json' (不支持的响应格式).",
    ),
    413: ("PAYLOAD_TOO_LARGE", "The request body is too large (请求过大)."),
    415: (
        "UNSUPPORTED_MEDIA_TYPE",
        "Send the operation as JSON with 'content-type: application/json' (请求格式应为 JSON).",
    ),
    431: ("HEADERS_TOO_LARGE", "The request headers are too large (请求头过大)."),
}

CHINESE = {
    "BAD_USER_INPUT": "输入值无效",
    "GRAPHQL_VALIDATION_FAILED": "查询语句无效",
    "GRAPHQL_PARSE_FAILED": "查询语句无法解析",
    "PAYLOAD_TOO_LARGE": "请求过大",
    "HEADERS_TOO_LARGE": "请求头过大",
    "UNSUPPORTED_MEDIA_TYPE": "请求格式应为 JSON",
    "BAD_REQUEST": "请求无效",
    "FORBIDDEN": "不允许该操作",
    "METHOD_NOT_ALLOWED": "不支持该请求方法",
    "GATEWAY_TIMEOUT": "上游服务超时",
    "INTERNAL_SERVER_ERROR": "服务器内部错误",
}

_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Translated:
    """The response the client gets instead of the router's."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def bilingual(message: str, code: str) -> str:
    """``message (中文).`` unless the message already has Chinese in it."""
    if _CJK.search(message):
        return message
    chinese = CHINESE.get(code)
    return f"{message.rstrip('.')} ({chinese})." if chinese else message


def auth_reason(message: str) -> str:
    """Why the router refused the token, from its error text (it names the jsonwebtoken error kind)."""
    if "failed to locate the value" in message:
        return "TOKEN_MISSING"
    if "ExpiredSignature" in message:
        return "TOKEN_EXPIRED"
    return "TOKEN_INVALID"


def _refusal(status: int) -> Translated:
    code, message = REFUSALS.get(
        status,
        ("INTERNAL_SERVER_ERROR", "Internal server error (服务器内部错误).")
        if status >= 500
        else ("BAD_REQUEST", "The request was refused (请求被拒绝)."),
    )
    return Translated(status, {"errors": [{"message": message, "extensions": {"code": code}}]})


def _translate_error(error: dict[str, Any], status: int) -> tuple[dict[str, Any], int, dict[str, str]]:
    extensions = dict(error.get("extensions") or {})
    code = str(extensions.get("code") or "")
    message = str(error.get("message") or "")
    headers: dict[str, str] = {}
    if code in JWT_CODES:
        reason = auth_reason(message)
        extensions.update(code="UNAUTHENTICATED", reason=reason)
        text = BAD_AUTH_HEADER if "prefix does not match" in message else AUTH_MESSAGES[reason]
        headers["www-authenticate"] = "Bearer"
        return {**error, "message": text, "extensions": extensions}, 401, headers
    if code in RENAMED:
        code, status = RENAMED[code]
    elif not code:
        code = REFUSALS.get(status, ("INTERNAL_SERVER_ERROR" if status >= 500 else "BAD_REQUEST", ""))[0]
    extensions["code"] = code
    return {**error, "message": bilingual(message, code), "extensions": extensions}, status, headers


def translate(status: int, body: str | None) -> Translated | None:
    """The client's response for a router response with ``status`` and ``body``; None: pass it on as is."""
    if status < 400 and not body:
        return None
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("errors"), list) or not parsed["errors"]:
        return _refusal(status) if status >= 400 else None
    errors: list[dict[str, Any]] = []
    headers: dict[str, str] = {}
    answer = status
    for raw in parsed["errors"]:
        error = raw if isinstance(raw, dict) else {"message": str(raw)}
        translated, error_status, error_headers = _translate_error(error, status)
        errors.append(translated)
        headers.update(error_headers)
        answer = error_status if error_status >= 400 else answer
    if errors == parsed["errors"] and answer == status:
        return None
    return Translated(answer, {**parsed, "errors": errors}, headers)
