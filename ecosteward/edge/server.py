"""The coprocessor endpoint Hive Router calls at its ``router.response`` stage for refused requests.

``gateway/router.config.yaml`` sends only responses with an error status here, so a request that succeeds
never pays for the round trip. Protocol: hive-router coprocessor version 1 (JSON in, JSON out): we answer
``continue`` to keep the router's response, or ``{"break": status}`` with the headers and body to send.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ecosteward.edge.errors import translate

PROTOCOL_VERSION = 1
#: Headers of the router's response that the client still gets after a translation.
_DROPPED = frozenset({"content-length", "content-type", "www-authenticate"})

log = logging.getLogger("ecosteward.edge")


def _headers(original: Any) -> dict[str, list[str]]:
    if not isinstance(original, dict):
        return {}
    kept: dict[str, list[str]] = {}
    for name, value in original.items():
        if str(name).lower() in _DROPPED:
            continue
        kept[str(name)] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return kept


def _is_landing_page(headers: Any) -> bool:
    if not isinstance(headers, dict):
        return False
    for name, value in headers.items():
        if str(name).lower() == "content-type":
            values = value if isinstance(value, list) else [value]
            return any(str(v).startswith("text/html") for v in values)
    return False


def answer(payload: dict[str, Any]) -> dict[str, Any]:
    """The coprocessor's answer to one ``router.response`` call."""
    status = payload.get("status_code")
    body = payload.get("body")
    if not isinstance(status, int):
        return {"version": PROTOCOL_VERSION, "control": "continue"}
    if status < 400 and _is_landing_page(payload.get("headers")):
        # the router serves its landing page on any unknown path; we answer 404 like every other refusal
        status, body = 404, None
    translated = translate(status, body if isinstance(body, str) else None)
    if translated is None:
        return {"version": PROTOCOL_VERSION, "control": "continue"}
    headers = _headers(payload.get("headers"))
    headers["content-type"] = ["application/json; charset=utf-8"]
    headers.update({name: [value] for name, value in translated.headers.items()})
    return {
        "version": PROTOCOL_VERSION,
        "control": {"break": translated.status},
        "headers": headers,
        "body": json.dumps(translated.body, ensure_ascii=False),
    }


async def coprocessor(request: Request) -> Response:
    try:
        payload = json.loads(await request.body())
    except ValueError:
        log.warning("coprocessor call with a body that is not JSON")
        return JSONResponse({"version": PROTOCOL_VERSION, "control": "continue"})
    if not isinstance(payload, dict) or payload.get("version") != PROTOCOL_VERSION:
        log.warning("coprocessor call of an unknown protocol version: %r", payload)
        return JSONResponse({"version": PROTOCOL_VERSION, "control": "continue"})
    return JSONResponse(answer(payload))


async def health(_: Request) -> Response:
    return Response("ok")


app = Starlette(routes=[Route("/", coprocessor, methods=["POST"]), Route("/healthz", health)])
