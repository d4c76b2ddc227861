"""The HTTP server's own refusals as coded JSON (uvicorn answers malformed requests in plain text)."""

from __future__ import annotations

import http
import json
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ecosteward.errors import error_body

MAX_HEADER_BYTES = 64 * 1024
"""Request line plus headers; more is refused with 431."""


class HeaderLimitMiddleware:
    """431 with a coded JSON body for request headers over :data:`MAX_HEADER_BYTES`.

    The same limit as :class:`JsonErrorHttpToolsProtocol`, for an app served by another server.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_HEADER_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            size = sum(len(name) + len(value) + 4 for name, value in scope.get("headers") or [])
            if size > self.limit:
                body = error_body(
                    f"The request headers are larger than {self.limit} bytes (请求头过大).",
                    "HEADERS_TOO_LARGE",
                )
                # Close after refusing, as the server-level refusal does: the client sent something broken.
                await JSONResponse(body, status_code=431, headers={"connection": "close"})(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)


class JsonErrorHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol (C parser) whose refusals before the app are coded JSON.

    llhttp sets no header limit of its own: the request line and headers are counted as they are
    parsed (431 past :data:`MAX_HEADER_BYTES`), and raw bytes of a header block that never ends are
    capped at four times that.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_bytes = 0
        self._headers_done = False
        self._pending_bytes = 0
        self._too_large = False

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._headers_done or self.transport.is_closing():
            return
        self._pending_bytes += len(data)
        if self._pending_bytes > 4 * MAX_HEADER_BYTES:
            self._too_large = True
            self.send_400_response("headers too large")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        self._headers_done = False

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            self._too_large = True
            raise _HeadersTooLarge  # the parser stops; uvicorn answers through send_400_response

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._headers_done = True
        self._pending_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._headers_done = False

    def send_400_response(self, msg: str) -> None:
        if self.transport.is_closing():
            return
        status, data = _refusal(self._too_large)
        head = [
            b"HTTP/1.1 %d %s\r\n" % (status, http.HTTPStatus(status).phrase.encode()),
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(data),
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join([*head, data]))
        self.transport.close()


class _HeadersTooLarge(Exception):
    pass


def _refusal(too_large: bool) -> tuple[int, bytes]:
    """Status and JSON body of a refusal before the app: 431 for large headers, else 400."""
    if too_large:
        body = error_body(
            f"The request headers are larger than {MAX_HEADER_BYTES} bytes (请求头过大).", "HEADERS_TOO_LARGE"
        )
        return 431, json.dumps(body, ensure_ascii=False).encode()
    body = error_body("The HTTP request is malformed (HTTP 请求格式错误).", "BAD_REQUEST")
    return 400, json.dumps(body, ensure_ascii=False).encode()
