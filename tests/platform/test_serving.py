"""The HTTP server every service runs (``ecosteward serve``): httptools + uvloop, and coded JSON refusals.

A real uvicorn server with the options ``ecosteward serve`` uses, on a free port, in a thread.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from ecosteward.cli import serve_options
from ecosteward.server import MAX_HEADER_BYTES
from tests.support import free_port, raw_http


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers with the class of the running event loop and the number of headers received."""
    if scope["type"] != "http":
        return
    loop = asyncio.get_running_loop()
    body = json.dumps({"loop": type(loop).__module__, "headers": len(scope["headers"])}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(_app, host="127.0.0.1", port=port, **serve_options()))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(10)


def test_serve_uses_the_c_parser_and_uvloop_and_outlives_the_gateways_keep_alive() -> None:
    options = serve_options()
    assert options["http"].__name__ == "JsonErrorHttpToolsProtocol"
    assert options["loop"] == "uvloop"
    assert options["timeout_keep_alive"] == 75


def test_requests_run_on_uvloop(port: int) -> None:
    status, _, body = raw_http(port, b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
    assert status == 200
    assert body["loop"] == "uvloop"


def test_headers_up_to_the_limit_are_served(port: int) -> None:
    pad = b"".join(b"x-pad-%d: %s\r\n" % (i, b"a" * 8000) for i in range(7))  # ~56 KiB
    status, _, body = raw_http(port, b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n" + pad + b"\r\n")
    assert status == 200
    assert body["headers"] == 9


@pytest.mark.parametrize("split", [False, True], ids=["one-write", "header-by-header"])
def test_oversized_headers_are_431_with_a_coded_json_body(port: int, split: bool) -> None:
    headers = [b"x-pad-%d: %s\r\n" % (i, b"a" * 8000) for i in range(12)]  # ~96 KiB
    request = b"GET / HTTP/1.1\r\nhost: x\r\n" + b"".join(headers) + b"\r\n"
    if split:  # the limit holds however the bytes arrive
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n")
            for header in headers:
                try:
                    sock.sendall(header)
                except OSError:
                    break  # refused and closed part-way: what we want
                time.sleep(0.005)
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        assert data.startswith(b"HTTP/1.1 431 "), data[:200]
        body = json.loads(data.partition(b"\r\n\r\n")[2])
    else:
        status, head, body = raw_http(port, request)
        assert status == 431
        assert head["content-type"] == "application/json"
        assert head["connection"] == "close"
    assert body["errors"][0]["extensions"]["code"] == "HEADERS_TOO_LARGE"
    assert str(MAX_HEADER_BYTES) in body["errors"][0]["message"]


def test_a_header_block_that_never_ends_is_cut_off(port: int) -> None:
    """The server stops reading (431, or a reset when the refusal crosses the client's writes)."""
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        try:
            sock.sendall(b"GET / HTTP/1.1\r\nhost: x\r\nx-endless: ")
            for _ in range(40):  # 40 × 16 KiB without a line end
                sock.sendall(b"a" * 16384)
            while chunk := sock.recv(65536):
                data += chunk
        except (ConnectionResetError, BrokenPipeError):
            return  # cut off (a server still waiting for the line end would time out instead)
    assert data.startswith(b"HTTP/1.1 431 "), data[:200]


def test_a_malformed_request_is_400_with_a_coded_json_body(port: int) -> None:
    status, head, body = raw_http(port, b"NOT A REQUEST\r\n\r\n")
    assert status == 400
    assert head["content-type"] == "application/json"
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
