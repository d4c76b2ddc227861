"""``GET /archive/downloads/{download_id}?enterprise=…&expires=…&signature=…`` — the ZIP itself.

No bearer token: the signed link is the capability (one enterprise, one use, minutes long). A link
that is malformed, tampered with or already used gets 403 ``DOWNLOAD_LINK_INVALID``; a genuine but
expired one 403 ``DOWNLOAD_LINK_EXPIRED``; either way nothing is streamed and the refusal is logged
as a warning, not as a download.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import quote

import anyio
from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ecosteward.app import error_response
from ecosteward.db import utcnow
from ecosteward.errors import AppError
from ecosteward.runtime import ServiceRuntime
from services.archive.downloads import domain, service
from services.archive.downloads.domain import LinkStatus, Outcome
from services.archive.downloads.streaming import CHINA_TIME, stream_archive

log = logging.getLogger(__name__)

DOWNLOADS = Counter(
    "ecosteward_archive_downloads_total",
    "Archive ZIP downloads by outcome (COMPLETED, ABORTED, FAILED) and refusals (INVALID, EXPIRED).",
    ["outcome"],
)
DOWNLOAD_BYTES = Counter("ecosteward_archive_download_bytes_total", "Bytes of archive ZIPs streamed.")

REFUSALS = {
    LinkStatus.INVALID: (
        "DOWNLOAD_LINK_INVALID",
        "This download link is not valid: it was altered, already used or never issued (下载链接无效).",
    ),
    LinkStatus.EXPIRED: (
        "DOWNLOAD_LINK_EXPIRED",
        "This download link has expired; request a new one (下载链接已过期).",
    ),
}


def _refuse(status: LinkStatus, reason: str, download_id: str, client: str) -> Response:
    code, message = REFUSALS[status]
    log.warning(
        "archive download refused: %s (%s) for download %s from %s",
        code,
        reason,
        download_id[:64],
        client,
        extra={"download_id": download_id[:64], "refusal": code},
    )
    DOWNLOADS.labels(status.value).inc()
    return error_response(AppError(message, code=code), 403)


def _client_ip(request: Request) -> str:
    return request.client.host if request.client is not None else ""


def _disposition(credit_code: str, enterprise_name: str, when: str) -> str:
    ascii_name = f"archive-{credit_code}-{when}.zip"
    full_name = f"{enterprise_name}-一企一档-{when}.zip"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(full_name, safe='')}"


class ZipStreamResponse(Response):
    """Streams ``body`` and reports how it ended: ``on_end(outcome, bytes_sent)``, run even when the
    client disconnects (a watcher cancels the stream) or the server is stopping (shielded)."""

    def __init__(
        self,
        body: AsyncIterator[bytes],
        headers: dict[str, str],
        on_end: Callable[[Outcome, int], Awaitable[None]],
    ) -> None:
        # Like StreamingResponse: no body attribute, so no content-length (the size is known only at the end).
        self.status_code = 200
        self.media_type = "application/zip"
        self.background = None
        self.init_headers(headers)
        self.body_stream = body
        self.on_end = on_end

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        outcome = Outcome.ABORTED
        sent = 0

        async def stream(cancel: anyio.CancelScope) -> None:
            nonlocal outcome, sent
            try:
                await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
                async for chunk in self.body_stream:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    sent += len(chunk)
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                outcome = Outcome.COMPLETED
            except Exception:
                outcome = Outcome.FAILED
                log.exception("archive download stream failed after %d bytes", sent)
            finally:
                cancel.cancel()

        async def watch(cancel: anyio.CancelScope) -> None:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    break
            cancel.cancel()

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(stream, group.cancel_scope)
                group.start_soon(watch, group.cancel_scope)
        finally:
            with anyio.CancelScope(shield=True):
                aclose = getattr(self.body_stream, "aclose", None)
                if aclose is not None:
                    try:
                        await aclose()
                    except Exception:
                        log.exception("closing the archive stream failed")
                await self.on_end(outcome, sent)


async def download_archive(request: Request) -> Response:
    runtime: ServiceRuntime = request.app.state.runtime
    settings = runtime.settings
    download_id = str(request.path_params["download_id"])
    query = request.query_params
    client = _client_ip(request)
    moment = time.time()
    check = domain.check_link(
        service.download_secret(settings.data_dir),
        download_id,
        query.get("enterprise", ""),
        query.get("expires", ""),
        query.get("signature", ""),
        moment,
    )
    try:
        async with runtime.sessions() as session:
            download = await service.verify_download(session, check, moment)
    except service.LinkRefused as refused:
        return _refuse(refused.status, refused.reason, download_id, client)

    if request.method == "HEAD":
        # A HEAD (link preview, download manager probing) does not use the link up.
        return Response(status_code=200, media_type="application/zip", headers={"cache-control": "no-store"})

    now = utcnow()
    async with runtime.unit_of_work() as uow:
        plan = await service.plan_archive(
            uow.session, lambda: service.blob_store(settings.data_dir), download, service.catalogue(), now
        )
        claimed = await service.claim(
            uow.session, download.id, client, request.headers.get("user-agent", ""), now
        )
    if not claimed:
        return _refuse(LinkStatus.INVALID, "link already used (concurrent request)", download_id, client)
    log.info(
        "archive download %s of enterprise %s started for %s from %s: %d files (%d missing from storage)",
        download.id,
        download.enterprise_id,
        download.requested_by,
        client,
        plan.files_count,
        plan.unavailable,
        extra={"download_id": str(download.id), "enterprise_id": str(download.enterprise_id)},
    )

    async def on_end(outcome: Outcome, sent: int) -> None:
        DOWNLOADS.labels(outcome.value).inc()
        DOWNLOAD_BYTES.inc(sent)
        try:
            async with runtime.unit_of_work() as uow:
                await service.finish(uow, download.id, outcome, sent, plan.files_count)
        except Exception:
            log.exception("could not record the end of archive download %s", download.id)
        level = logging.INFO if outcome is Outcome.COMPLETED else logging.WARNING
        log.log(
            level,
            "archive download %s %s: %d bytes, %d files",
            download.id,
            outcome.value.lower(),
            sent,
            plan.files_count,
            extra={"download_id": str(download.id), "outcome": outcome.value, "bytes_sent": sent},
        )

    when = now.astimezone(CHINA_TIME).strftime("%Y%m%d-%H%M%S")
    headers: dict[str, Any] = {
        "content-disposition": _disposition(plan.enterprise.credit_code, plan.enterprise.name, when),
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        "x-archive-download-id": str(download.id),
    }
    return ZipStreamResponse(stream_archive(plan.members), headers, on_end)


ROUTES = [Route("/archive/downloads/{download_id}", download_archive, methods=["GET", "HEAD"])]
