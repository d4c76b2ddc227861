"""Archive download use cases: issue a signed link, turn a used link into a ZIP plan, keep the log.

Events (published by the archive, ``ecosteward.archive.download.<verb>``):
- ``download.requested`` — data: download_id, enterprise_id, requested_by, requested_by_role,
  expires_at;
- ``download.completed`` — data: download_id, enterprise_id, requested_by, bytes_sent, files_count,
  started_at, completed_at (only when the whole ZIP went out).

Settings: ``ECOSTEWARD_DOWNLOAD_SECRET`` (the HMAC key; when unset one is generated once and kept in
``<data dir>/archive-download-secret``, so every replica sharing the data dir agrees),
``ECOSTEWARD_DOWNLOAD_TTL_SECONDS`` (link lifetime, default 300) and ``ECOSTEWARD_ARCHIVE_PUBLIC_URL``
(the base URL links point at; default ``http://<host>:<port>`` of the archive service).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ecosteward.attributes import from_attributes
from ecosteward.auth import Principal
from ecosteward.blobs import BlobStore
from ecosteward.config import ArchiveSettings, Settings
from ecosteward.db import utcnow
from ecosteward.outbox import UnitOfWork
from ecosteward.scope import Scope
from services.archive import links
from services.archive.documents import catalogue as documents_catalogue
from services.archive.documents import service as documents_service
from services.archive.documents.models import DocumentVersionRow
from services.archive.documents.queries import current_versions, item_states
from services.archive.downloads import domain
from services.archive.downloads.coversheet import CoverHeader, cover_sheet_xlsx
from services.archive.downloads.domain import E1Item, LinkCheck, LinkStatus, Outcome
from services.archive.downloads.events import DownloadChanged
from services.archive.downloads.models import ArchiveDownloadRow
from services.archive.downloads.streaming import ZipMember, bytes_member
from services.archive.enterprises.models import EnterpriseRow

log = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 300
TTL_ENV = "ECOSTEWARD_DOWNLOAD_TTL_SECONDS"
SECRET_FILE = "archive-download-secret"
READ_CHUNK = 1 << 20
"""Blob read size: large enough that per-chunk overhead vanishes, small enough to be nothing in RAM."""
ROLE_ORDER = ("bureau_officer", "town_officer", "enterprise_user")


# --------------------------------------------------------------------------------------- settings


def ttl_seconds() -> int:
    """How long a link lives: ``ECOSTEWARD_DOWNLOAD_TTL_SECONDS`` (a positive number), default 300.

    A value that is not a positive number is logged and replaced by the default (``ArchiveSettings``).
    """
    return ArchiveSettings().download_ttl_seconds


_secrets: dict[Path, bytes] = {}


def download_secret(data_dir: Path) -> bytes:
    """The HMAC key: ``ECOSTEWARD_DOWNLOAD_SECRET``, else the one generated once under ``data_dir``."""
    configured = ArchiveSettings().download_secret.strip()
    if configured:
        return configured.encode()
    cached = _secrets.get(data_dir)
    if cached is not None:
        return cached
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        candidate = secrets.token_hex(32)
        # Create-exclusive: when two replicas race, the first file wins and both read it back.
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(candidate)
            log.info("generated the archive download secret at %s", path)
    secret = path.read_text().strip().encode()
    if not secret:
        raise RuntimeError(f"the download secret file {path} is empty")
    _secrets[data_dir] = secret
    return secret


def public_base_url(settings: Settings) -> str:
    """The base of download links (:func:`services.archive.links.public_base_url`)."""
    return links.public_base_url(settings)


def download_path(download_id: uuid.UUID) -> str:
    return f"/archive/downloads/{download_id}"


def link_url(base_url: str, secret: bytes, row: ArchiveDownloadRow) -> str:
    """The signed link of a download row."""
    expires = int(row.expires_at.timestamp())
    signature = domain.sign_link(secret, row.id, row.enterprise_id, expires)
    query = urlencode({"enterprise": str(row.enterprise_id), "expires": str(expires), "signature": signature})
    return f"{base_url}{download_path(row.id)}?{query}"


# --------------------------------------------------------------------------------------- collaborators


def blob_store(data_dir: Path) -> BlobStore:
    """The service's blob store (shared with the documents area: one per process and data dir)."""
    return documents_service.blob_store(data_dir)


def catalogue() -> tuple[E1Item, ...]:
    """The E.1 items in table order (the documents area's reference catalogue)."""
    return documents_catalogue.catalogue()


# --------------------------------------------------------------------------------------- requesting


def acting_role(user: Principal) -> str:
    return next((role for role in ROLE_ORDER if user.has_role(role)), "")


async def request_download(
    uow: UnitOfWork, user: Principal, enterprise: EnterpriseRow, ttl: int, request_id: str = ""
) -> ArchiveDownloadRow:
    """Log a download request and return its row (the caller signs the link)."""
    now = utcnow()
    expires = dt.datetime.fromtimestamp(domain.expiry_for(now.timestamp(), ttl), dt.UTC)
    row = ArchiveDownloadRow(
        id=uuid.uuid4(),
        enterprise_id=enterprise.id,
        requested_by=(user.username or user.subject)[:100],
        requested_by_subject=user.subject[:100],
        requested_by_role=acting_role(user),
        requested_at=now,
        expires_at=expires,
        request_id=request_id[:128],
        outcome=Outcome.PENDING.value,
        bytes_sent=0,
        files_count=0,
    )
    uow.session.add(row)
    await uow.session.flush()
    uow.publish(
        "requested",
        DownloadChanged.of(row, requested_by_role=row.requested_by_role, expires_at=expires.isoformat()),
        subject=row.id,
    )
    return row


# --------------------------------------------------------------------------------------- using a link


class LinkRefused(Exception):
    """The link may not be used; ``status`` says which refusal the client gets."""

    def __init__(self, status: LinkStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class ArchivePlan:
    """Everything the stream needs, decided before the first byte goes out."""

    download: ArchiveDownloadRow
    enterprise: EnterpriseRow
    members: list[ZipMember]
    files_count: int
    unavailable: int


async def verify_download(session: AsyncSession, check: LinkCheck, now: float) -> ArchiveDownloadRow:
    """The download row a genuine, unexpired, unused link names; otherwise ``LinkRefused``.

    The row is checked again: it must exist, be for the link's enterprise, still be pending, and its
    own expiry must not have passed either (shortening ``expires_at`` in the log revokes a link).
    """
    if check.status is not LinkStatus.VALID:
        raise LinkRefused(check.status, check.reason)
    assert check.download_id is not None and check.expires is not None
    row = await session.get(ArchiveDownloadRow, check.download_id)
    if row is None:
        raise LinkRefused(LinkStatus.INVALID, "unknown download")
    if row.enterprise_id != check.enterprise_id:
        raise LinkRefused(LinkStatus.INVALID, "enterprise does not match the download")
    if row.outcome != Outcome.PENDING.value:
        raise LinkRefused(LinkStatus.INVALID, f"link already used ({row.outcome.lower()})")
    if now >= row.expires_at.timestamp():
        raise LinkRefused(LinkStatus.EXPIRED, "expired (revoked in the log)")
    enterprise = await session.get(EnterpriseRow, row.enterprise_id)
    if enterprise is None or enterprise.deleted_at is not None:
        raise LinkRefused(LinkStatus.INVALID, "the enterprise no longer exists")
    return row


def _member(store: BlobStore, path: str, version: DocumentVersionRow) -> ZipMember:
    key = version.storage_key

    def chunks() -> AsyncIterator[bytes]:
        return store.open(key, READ_CHUNK)

    return ZipMember(
        path=path,
        size=version.size,
        modified=version.uploaded_at,
        chunks=chunks,
        compress=domain.worth_compressing(version.content_type),
        crc32=version.crc32,
    )


def facts_of(version: DocumentVersionRow) -> domain.VersionFacts:
    return from_attributes(domain.VersionFacts, version)


async def plan_archive(
    session: AsyncSession,
    stores: Callable[[], BlobStore],
    download: ArchiveDownloadRow,
    items: Sequence[E1Item],
    now: dt.datetime,
) -> ArchivePlan:
    """The members of the ZIP: the cover sheet first, then every live document in E.1 order."""
    enterprise = await session.get(EnterpriseRow, download.enterprise_id)
    assert enterprise is not None
    versions = await current_versions(session, enterprise.id)
    states = {
        code: domain.ItemState(row.electronic, row.paper, row.missing_reason or "")
        for code, row in (await item_states(session, enterprise.id)).items()
    }
    by_code = {item.code: item for item in items}
    refs = [domain.FileRef(v.id, v.item_code, v.file_name, v.version) for v in versions]
    paths = domain.zip_paths(refs, by_code)
    unavailable: set[uuid.UUID] = set()
    store = stores() if versions else None
    for version in versions:
        assert store is not None
        if not await store.exists(version.storage_key):
            unavailable.add(version.id)
            log.error(
                "archive download %s: blob %s of %s v%s (%s) is missing from storage; left out",
                download.id,
                version.storage_key,
                version.item_code,
                version.version,
                version.file_name,
            )
    rows = domain.cover_rows(items, map(facts_of, versions), states, paths, frozenset(unavailable))
    header = CoverHeader(
        enterprise_name=enterprise.name,
        credit_code=enterprise.credit_code,
        generated_at=now,
        download_id=str(download.id),
        requested_by=download.requested_by,
    )
    members = [bytes_member(domain.COVER_SHEET_NAME, cover_sheet_xlsx(header, rows), now)]
    included = [v for v in versions if v.id not in unavailable]
    ordered = sorted(included, key=lambda v: (domain.item_sort_key(v.item_code), paths[v.id]))
    if store is not None:
        members += [_member(store, paths[v.id], v) for v in ordered]
    return ArchivePlan(download, enterprise, members, len(ordered), len(unavailable))


async def claim(
    session: AsyncSession, download_id: uuid.UUID, client_ip: str, user_agent: str, now: dt.datetime
) -> bool:
    """Mark a pending download as streaming; False when another request got there first."""
    result = await session.execute(
        sa.update(ArchiveDownloadRow)
        .where(ArchiveDownloadRow.id == download_id, ArchiveDownloadRow.outcome == Outcome.PENDING.value)
        .values(
            outcome=Outcome.STREAMING.value,
            started_at=now,
            client_ip=client_ip[:64],
            user_agent=user_agent[:300],
        )
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def finish(
    uow: UnitOfWork, download_id: uuid.UUID, outcome: Outcome, bytes_sent: int, files_count: int
) -> None:
    """Record how a stream ended; a completed one is announced as ``archive.downloaded``."""
    row = await uow.session.get(ArchiveDownloadRow, download_id)
    if row is None:
        return
    row.outcome = outcome.value
    row.completed_at = utcnow()
    row.bytes_sent = bytes_sent
    row.files_count = files_count
    if outcome is Outcome.COMPLETED:
        uow.publish(
            "completed",
            DownloadChanged.of(
                row,
                bytes_sent=bytes_sent,
                files_count=files_count,
                started_at=row.started_at.isoformat() if row.started_at else None,
                completed_at=row.completed_at.isoformat(),
            ),
            subject=row.id,
        )


# --------------------------------------------------------------------------------------- the log


def log_statement(
    user: Principal,
    scope: Scope,
    enterprise_id: uuid.UUID | None = None,
    requested_by: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> sa.Select[Any]:
    """The downloads ``user`` may see, newest first, narrowed by the filter.

    The bureau sees all; a town those of its jurisdiction's enterprises; an enterprise account the
    downloads its enterprise's own accounts made (not who at the bureau looked at its file).
    """
    stmt = sa.select(ArchiveDownloadRow).join(
        EnterpriseRow, EnterpriseRow.id == ArchiveDownloadRow.enterprise_id
    )
    if "jurisdiction_id" in scope:
        stmt = stmt.where(EnterpriseRow.jurisdiction_id == scope["jurisdiction_id"])
    if "enterprise_id" in scope:
        stmt = stmt.where(
            ArchiveDownloadRow.enterprise_id == scope["enterprise_id"],
            ArchiveDownloadRow.requested_by_role == "enterprise_user",
        )
    if set(scope) - {"jurisdiction_id", "enterprise_id"}:
        stmt = stmt.where(sa.false())
    if enterprise_id is not None:
        stmt = stmt.where(ArchiveDownloadRow.enterprise_id == enterprise_id)
    if requested_by:
        stmt = stmt.where(ArchiveDownloadRow.requested_by == requested_by)
    if since is not None:
        stmt = stmt.where(ArchiveDownloadRow.requested_at >= since)
    if until is not None:
        stmt = stmt.where(ArchiveDownloadRow.requested_at < until)
    return stmt.order_by(ArchiveDownloadRow.requested_at.desc(), ArchiveDownloadRow.id.asc())


def effective_outcome(row: ArchiveDownloadRow, now: float | None = None) -> str:
    """The outcome to show: a pending link past its expiry shows as EXPIRED."""
    moment = time.time() if now is None else now
    if row.outcome == Outcome.PENDING.value and row.expires_at.timestamp() <= moment:
        return "EXPIRED"
    return row.outcome
