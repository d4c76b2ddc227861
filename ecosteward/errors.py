"""Errors with stable codes in ``extensions.code``, so front ends can branch on them.

Messages are human-readable (English, with the Chinese term where it helps). Raising one of these
from a resolver aborts the operation; because every write runs in one transaction, nothing changes.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError


class AppError(GraphQLError):
    """Base class of every expected error; ``code`` lands in ``extensions.code``."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        extensions: dict[str, Any] = {"code": code or self.code}
        extensions.update({k: v for k, v in details.items() if v is not None})
        super().__init__(message, extensions=extensions)


class BadUserInput(AppError):
    """The input is malformed or breaks a business rule (输入有误)."""

    code = "BAD_USER_INPUT"


class ValidationFailed(AppError):
    """Several rules failed at once; ``extensions.violations`` lists each one."""

    code = "VALIDATION_FAILED"

    def __init__(self, message: str, violations: list[dict[str, str]]) -> None:
        super().__init__(message, violations=violations)


class NotFound(AppError):
    code = "NOT_FOUND"


class Conflict(AppError):
    """The request conflicts with the current state (e.g. filing twice)."""

    code = "CONFLICT"


class Unauthenticated(AppError):
    """No token, or a token that is malformed, expired, or not for us (未认证)."""

    code = "UNAUTHENTICATED"


class Forbidden(AppError):
    """Authenticated, but the role or data scope does not allow this (无权限)."""

    code = "FORBIDDEN"


INTERNAL_ERROR_CODE = "INTERNAL_SERVER_ERROR"
