"""Plain HTTP routes of the archive documents: the upload and a single version's content.

``POST /archive/enterprises/{enterprise_id}/items/{item_code}/documents`` — ``multipart/form-data``
with one ``file`` part (other small form fields are ignored). The file is streamed to the blob
store as it arrives (never held whole in memory), hashed on the way, and recorded as the item's new
current version in one transaction with the ``document.uploaded`` event; the previous version is
superseded, nothing is deleted. Answers ``201`` with the version's metadata, or an error body with
``extensions.code``:

=====  ==========================  =====================================================================
 400   ``BAD_USER_INPUT``          malformed body, no ``file`` part, empty file, refused file name
                                   (path traversal, absolute path, control characters)
 400   ``UNKNOWN_ITEM_CODE``       the item code is not one of table E.1's
 401   ``UNAUTHENTICATED``         no or bad token
 403   ``FORBIDDEN``               the caller's role never files documents (whatever the id)
 404   ``NOT_FOUND``               no such enterprise, or one outside the caller's data scope — the
                                   same body either way, so ids cannot be probed
 413   ``PAYLOAD_TOO_LARGE``       over ``ECOSTEWARD_ARCHIVE_MAX_UPLOAD_BYTES`` (default 50 MiB)
 415   ``UNSUPPORTED_MEDIA_TYPE``  not multipart, or a file type other than PDF, JPEG, PNG, OFD,
                                   DOC/DOCX, XLS/XLSX, ZIP — by declared type or by its first bytes
=====  ==========================  =====================================================================

On any refusal nothing is stored: the blob store removes a partial upload and no row is written.

``GET /archive/documents/{version_id}/content`` — the version's bytes, streamed from the blob store,
with ``Content-Disposition`` (``?inline=1`` for an inline PDF or image), for everyone who may see the
source; a withdrawn version for the bureau only (403 for others who see the source). An unknown
version and one of a source the caller may not see both get the same 404 ``NOT_FOUND`` body.

Both routes live on the archive service's own origin (not the gateway); GraphQL hands out their
absolute URLs (``ArchiveItem.uploadUrl``, ``DocumentVersion.contentUrl``, :mod:`services.archive.links`).
"""

from __future__ import annotations

import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy.exc import IntegrityError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ecosteward.app import error_response, request_principal
from ecosteward.auth import Principal
from ecosteward.blobs import BlobNotFound, BlobTooLarge, StoredBlob
from ecosteward.errors import INTERNAL_ERROR_CODE, AppError, BadUserInput, Forbidden, Unauthenticated
from ecosteward.repository import parse_id
from ecosteward.runtime import ServiceRuntime
from services.archive import links
from services.archive.documents import catalogue, domain, service
from services.archive.documents.domain import FileKind
from services.archive.documents.models import DocumentVersionRow

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

log = logging.getLogger(__name__)

MAX_FORM_OVERHEAD = 1 << 20
"""Multipart framing and small form fields allowed on top of the file itself."""
MAX_OTHER_FIELD_BYTES = 64 * 1024
MAX_PART_HEADER_BYTES = 16 * 1024
UNAUTHENTICATED_DRAIN = 1 << 20
DB_ATTEMPTS = 3


class PayloadTooLarge(AppError):
    code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(AppError):
    code = "UNSUPPORTED_MEDIA_TYPE"


def internal_error() -> AppError:
    return AppError("Internal server error; it has been logged (服务器内部错误).", code=INTERNAL_ERROR_CODE)


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The file is larger than the limit of {limit} bytes ({limit / (1 << 20):.0f} MiB) (文件过大).",
        max_bytes=limit,
    )


def unsupported(detail: str) -> UnsupportedMediaType:
    return UnsupportedMediaType(
        f"{detail} Accepted: {domain.allowed_types_text()} (文件类型不支持).",
        accepted=[kind.content_type for kind in domain.FILE_KINDS],
    )


# ------------------------------------------------------------------------------------- request body


class ChunkSource(Protocol):
    async def read(self) -> bytes | None: ...


class BodyReader:
    """The request body, chunk by chunk, counted; refuses more than ``limit`` bytes."""

    def __init__(self, request: Request, limit: int) -> None:
        self._chunks = request.stream().__aiter__()
        self.limit = limit
        self.received = 0
        self.finished = False

    async def read(self) -> bytes | None:
        """The next non-empty chunk, or None at the end of the body."""
        while not self.finished:
            try:
                chunk = await self._chunks.__anext__()
            except StopAsyncIteration:
                self.finished = True
                break
            if chunk:
                self.received += len(chunk)
                if self.received > self.limit:
                    raise PayloadTooLarge("The request body is too large (请求过大).", max_bytes=self.limit)
                return chunk
        return None

    async def drain(self, budget: int) -> None:
        """Read and drop the rest of the body (up to ``budget`` bytes in all), so the client that is
        still sending gets the error response rather than a reset connection."""
        try:
            while not self.finished and self.received <= budget:
                chunk = await self._chunks.__anext__()
                self.received += len(chunk)
        except (StopAsyncIteration, ClientDisconnect):
            self.finished = True
        except Exception:  # a broken stream: nothing more to drain
            self.finished = True


@dataclass(frozen=True)
class FilePart:
    """The headers of the ``file`` part: the client's file name and declared type."""

    file_name: str
    content_type: str


class MultipartFile:
    """Streams the single ``file`` part of a ``multipart/form-data`` body (python-multipart's
    streaming parser): headers first, then the data, holding at most one body chunk at a time.

    Kept on purpose instead of Starlette's ``request.form()``: that spools the whole file to a
    temporary file before the handler runs, whereas this streams it straight into the blob store
    (hashing as it goes) and stops reading at the size limit.
    """

    def __init__(self, body: ChunkSource, boundary: bytes, field_name: str = "file") -> None:
        self._body = body
        self._field = field_name.encode()
        self._events: deque[tuple[str, Any]] = deque()
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._header_bytes = 0
        self._ended = False
        self._other_bytes = 0
        self._head = b""
        self._part_done = False
        callbacks: MultipartCallbacks = {
            "on_part_begin": self._on_part_begin,
            "on_part_data": self._on_part_data,
            "on_part_end": lambda: self._events.append(("part_end", None)),
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._on_header_end,
            "on_headers_finished": lambda: self._events.append(("headers", dict(self._headers))),
            "on_end": self._on_end,
        }
        self._parser = MultipartParser(boundary, callbacks)

    # parser callbacks (synchronous, inside parser.write)

    def _on_part_begin(self) -> None:
        self._headers = {}
        self._header_bytes = 0

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if end > start:
            self._events.append(("data", bytes(data[start:end])))

    def _count_header(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_PART_HEADER_BYTES:
            raise BadUserInput("A multipart part has too many header bytes (请求格式错误).", field="file")

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[bytes(self._header_name).strip().lower()] = bytes(self._header_value).strip()
        self._header_name.clear()
        self._header_value.clear()

    def _on_end(self) -> None:
        self._ended = True
        self._events.append(("end", None))

    # reading

    async def _next(self) -> tuple[str, Any]:
        while not self._events:
            chunk = await self._body.read()
            if chunk is None:
                if not self._ended:
                    raise BadUserInput(
                        "The multipart body ended before its closing boundary (上传不完整).", field="file"
                    )
                return ("eof", None)
            try:
                self._parser.write(chunk)
            except FormParserError as exc:
                raise BadUserInput("The multipart body is malformed (请求格式错误).", field="file") from exc
        return self._events.popleft()

    def _count_other(self, size: int) -> None:
        self._other_bytes += size
        if self._other_bytes > MAX_OTHER_FIELD_BYTES:
            raise BadUserInput(
                "Send only the 'file' part; other form fields are too large (表单字段过大).", field="file"
            )

    def _is_file_part(self, headers: dict[bytes, bytes]) -> tuple[bool, dict[bytes, bytes]]:
        _, options = parse_options_header(headers.get(b"content-disposition", b"").decode("latin-1"))
        return options.get(b"name") == self._field, options

    async def open(self) -> FilePart:
        """Read up to the headers of the ``file`` part (skipping other small fields)."""
        while True:
            kind, value = await self._next()
            if kind == "headers":
                is_file, options = self._is_file_part(value)
                if not is_file:
                    continue
                raw_name = options.get(b"filename")
                if raw_name is None:
                    raise BadUserInput(
                        "The 'file' part must be a file with a file name (请上传带文件名的文件).",
                        field="file",
                    )
                try:
                    name = raw_name.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise BadUserInput(
                        "The file name is not valid UTF-8 (文件名编码错误).", field="file"
                    ) from exc
                declared = value.get(b"content-type", b"").decode("latin-1")
                return FilePart(file_name=name, content_type=declared)
            if kind == "data":
                self._count_other(len(value))
            elif kind in ("end", "eof"):
                raise BadUserInput("The upload has no 'file' part (缺少文件).", field="file")

    async def read_head(self, size: int) -> bytes:
        """The first ``size`` bytes of the file (fewer for a shorter file), kept for :meth:`chunks`."""
        head = bytearray()
        while len(head) < size and not self._part_done:
            kind, value = await self._next()
            if kind == "data":
                head += value
            elif kind == "part_end":
                self._part_done = True
            else:  # pragma: no cover - the parser ends a part before anything else
                raise BadUserInput("The multipart body is malformed (请求格式错误).", field="file")
        self._head = bytes(head)
        return self._head

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes (head first), then the rest of the body checked to the closing boundary:
        a second ``file`` part or large extra fields are refused before the blob is published."""
        if self._head:
            yield self._head
        while not self._part_done:
            kind, value = await self._next()
            if kind == "data":
                yield value
            elif kind == "part_end":
                self._part_done = True
            else:  # pragma: no cover
                raise BadUserInput("The multipart body is malformed (请求格式错误).", field="file")
        while True:
            kind, value = await self._next()
            if kind == "headers" and self._is_file_part(value)[0]:
                raise BadUserInput("Send one file per upload (每次上传一个文件).", field="file")
            if kind == "data":
                self._count_other(len(value))
            elif kind in ("end", "eof"):
                return


def multipart_boundary(content_type: str) -> bytes:
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data":
        raise unsupported("Send the file as multipart/form-data with a 'file' part.")
    boundary = options.get(b"boundary", b"")
    if not boundary or len(boundary) > 200:
        raise BadUserInput(
            "The multipart/form-data boundary is missing or invalid (上传格式有误).", field="file"
        )
    return boundary


# ------------------------------------------------------------------------------------- upload


def version_json(
    row: DocumentVersionRow, superseded: DocumentVersionRow | None, base_url: str
) -> dict[str, Any]:
    """The upload's answer; ``base_url`` is the archive's public base (``contentUrl`` is absolute)."""
    return {
        "id": str(row.id),
        "enterpriseId": str(row.enterprise_id),
        "itemCode": row.item_code,
        "version": row.version,
        "fileName": row.file_name,
        "contentType": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "uploadedBy": row.uploaded_by,
        "uploadedAt": row.uploaded_at.isoformat(),
        "retainUntil": row.retain_until.isoformat(),
        "status": domain.version_status(row.superseded_at, row.withdrawn_at).value,
        "contentPath": service.content_path(row.id),
        "contentUrl": base_url + service.content_path(row.id),
        "supersededVersionId": str(superseded.id) if superseded is not None else None,
    }


async def upload_document(request: Request) -> Response:
    runtime: ServiceRuntime = request.app.state.runtime
    limit = service.max_upload_bytes()
    body = BodyReader(request, limit + MAX_FORM_OVERHEAD)
    try:
        user = await request_principal(request)
    except Unauthenticated as exc:
        await body.drain(UNAUTHENTICATED_DRAIN)
        return error_response(exc, 401)
    try:
        return await _upload(request, runtime, user, body, limit)
    except ClientDisconnect:
        log.info("archive upload abandoned by the client after %d bytes", body.received)
        return Response(status_code=400)
    except BlobTooLarge:
        await body.drain(2 * limit + MAX_FORM_OVERHEAD)
        return error_response(too_large(limit), 413)
    except AppError as exc:
        await body.drain(2 * limit + MAX_FORM_OVERHEAD)
        return error_response(exc)
    except Exception:
        log.exception("archive upload failed")
        await body.drain(2 * limit + MAX_FORM_OVERHEAD)
        return error_response(internal_error(), 500)


async def _upload(
    request: Request, runtime: ServiceRuntime, user: Principal, body: BodyReader, limit: int
) -> Response:
    item = catalogue.get_item(str(request.path_params["item_code"]))
    enterprise_id = parse_id(str(request.path_params["enterprise_id"]), "Enterprise")
    async with runtime.sessions() as session:
        enterprise = await service.writable_enterprise(session, user, enterprise_id)
    boundary = multipart_boundary(request.headers.get("content-type", ""))
    declared_length = request.headers.get("content-length", "")
    if declared_length.isdigit() and int(declared_length) > limit + MAX_FORM_OVERHEAD:
        raise too_large(limit)

    upload = MultipartFile(body, boundary)
    part = await upload.open()
    file_name = domain.sanitise_file_name(part.file_name)
    kind = domain.resolve_kind(part.content_type, file_name)
    if kind is None:
        raise unsupported(
            f"The declared type {part.content_type or '(none)'!r} of {file_name!r} is not accepted."
        )
    head = await upload.read_head(domain.SNIFF_BYTES)
    if not head:
        raise BadUserInput("The file is empty (文件为空).", field="file")
    _check_content(kind, head, file_name)

    version_id = uuid.uuid4()
    key = domain.storage_key(enterprise.id, item.code, version_id)
    store = service.blob_store(runtime.settings.data_dir)
    stored = await store.put(key, upload.chunks(), max_bytes=limit)
    result = await _record(runtime, user, enterprise.id, item.code, version_id, file_name, kind, stored)
    log.info(
        "archive document uploaded: %s v%d of item %s of enterprise %s by %s (%d bytes)",
        result.version.id,
        result.version.version,
        item.code,
        enterprise.id,
        result.version.uploaded_by,
        stored.size,
        extra={"enterprise_id": str(enterprise.id), "version_id": str(result.version.id)},
    )
    return JSONResponse(
        version_json(result.version, result.superseded, links.public_base_url(runtime.settings)),
        status_code=201,
    )


def _check_content(kind: FileKind, head: bytes, file_name: str) -> None:
    if not domain.content_matches(kind, head):
        found = domain.signature_family(head)
        what = f"looks like {found.upper()}" if found else "has an unrecognised format"
        raise unsupported(f"The content of {file_name!r} {what}, not {kind.label} as declared.")


async def _record(
    runtime: ServiceRuntime,
    user: Principal,
    enterprise_id: uuid.UUID,
    item_code: str,
    version_id: uuid.UUID,
    file_name: str,
    kind: FileKind,
    stored: StoredBlob,
) -> service.UploadResult:
    """Write the version row (retrying when a concurrent upload of the item took the number)."""
    for attempt in range(1, DB_ATTEMPTS + 1):
        try:
            async with runtime.unit_of_work() as uow:
                return await service.record_upload(
                    uow, user, enterprise_id, item_code, version_id, file_name, kind.content_type, stored
                )
        except IntegrityError:
            if attempt == DB_ATTEMPTS:
                log.error("archive upload stored as %s but not recorded (conflicts)", stored.key)
                raise
        except Exception:
            log.error("archive upload stored as %s but not recorded", stored.key)
            raise
    raise AssertionError("unreachable")  # pragma: no cover


# ------------------------------------------------------------------------------------- content


async def version_content(request: Request) -> Response:
    runtime: ServiceRuntime = request.app.state.runtime
    try:
        user = await request_principal(request)
    except Unauthenticated as exc:
        return error_response(exc, 401)
    try:
        version_id = parse_id(str(request.path_params["version_id"]), "Document version")
        async with runtime.sessions() as session:
            row, _ = await service.readable_version(session, user, version_id)
        if row.withdrawn_at is not None and not service.may_read_withdrawn(user):
            raise Forbidden("This version was withdrawn; only the bureau can retrieve it (已撤回).")
        store = service.blob_store(runtime.settings.data_dir)
        if not await store.exists(row.storage_key):
            log.error("archive blob %s of version %s is missing", row.storage_key, row.id)
            raise AppError(
                "The stored file of this version is missing; it has been logged (文件缺失).",
                code=INTERNAL_ERROR_CODE,
            )
    except AppError as exc:
        return error_response(exc)
    except Exception:
        log.exception("archive document content failed")
        return error_response(internal_error(), 500)

    inline = request.query_params.get("inline", "") in {"1", "true"} and row.content_type in {
        "application/pdf",
        "image/jpeg",
        "image/png",
    }
    headers = {
        "content-disposition": domain.content_disposition(
            row.file_name, "inline" if inline else "attachment"
        ),
        "content-length": str(row.size),
        "x-content-type-options": "nosniff",
        "cache-control": "private, no-store",
        "etag": f'"{row.sha256}"',
        "x-content-sha256": row.sha256,
    }
    log.info(
        "archive document %s (item %s of enterprise %s) retrieved by %s",
        row.id,
        row.item_code,
        row.enterprise_id,
        user.username,
        extra={"enterprise_id": str(row.enterprise_id), "version_id": str(row.id)},
    )
    if request.method == "HEAD":
        return Response(status_code=200, media_type=row.content_type, headers=headers)
    return StreamingResponse(
        _stream(store.open(row.storage_key), row.storage_key), media_type=row.content_type, headers=headers
    )


async def _stream(chunks: AsyncIterator[bytes], key: str) -> AsyncIterator[bytes]:
    try:
        async for chunk in chunks:
            yield chunk
    except BlobNotFound:  # removed between the check and the read: the response is already started
        log.error("archive blob %s vanished while streaming", key)
        raise


ROUTES = [
    Route(
        "/archive/enterprises/{enterprise_id}/items/{item_code}/documents",
        upload_document,
        methods=["POST"],
    ),
    Route("/archive/documents/{version_id}/content", version_content, methods=["GET", "HEAD"]),
]
