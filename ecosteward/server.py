"""The HTTP server's own refusals as coded JSON (uvicorn answers malformed requests in plain text)."""

from __future__ import annotations

import json

import h11
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from ecosteward.errors import error_body

MAX_HEADER_BYTES = 64 * 1024
"""Request line plus headers; more is refused with 431 (uvicorn's default is 16 KiB)."""


class JsonErrorH11Protocol(H11Protocol):
    """uvicorn's h11 protocol whose refusals before the app (bad request line, headers too large) are JSON."""

    def send_400_response(self, msg: str) -> None:
        buffered, _closed = self.conn.trailing_data
        if len(buffered) > MAX_HEADER_BYTES:
            status, reason = 431, b"Request Header Fields Too Large"
            body = error_body(
                f"The request headers are larger than {MAX_HEADER_BYTES} bytes (请求头过大).",
                "HEADERS_TOO_LARGE",
            )
        else:
            status, reason = 400, b"Bad Request"
            body = error_body("The HTTP request is malformed (HTTP 请求格式错误).", "BAD_REQUEST")
        data = json.dumps(body, ensure_ascii=False).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(data)).encode()),
            (b"connection", b"close"),
        ]
        self.transport.write(self.conn.send(h11.Response(status_code=status, headers=headers, reason=reason)))
        self.transport.write(self.conn.send(h11.Data(data=data)) or b"")
        self.transport.write(self.conn.send(h11.EndOfMessage()) or b"")
        self.transport.close()


class HeaderLimitMiddleware:
    """431 with a coded JSON body for request headers over :data:`MAX_HEADER_BYTES`.

    h11 enforces its limit only while a request is incomplete; this makes the limit exact.
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
                # Close after refusing, as for the h11-level refusal: the client sent something broken.
                await JSONResponse(body, status_code=431, headers={"connection": "close"})(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)
