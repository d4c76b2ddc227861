"""Archive documents use cases: uploads, item states, withdrawals, completeness.

Each write runs in one unit of work (the change and its outbox event commit together). Who may do
what: readers are everyone :mod:`services.archive.access` lets see the source; writers (upload,
record an item's state, withdraw a version) are the bureau, the source's town, agency staff whose
agency's live contracts cover it, and the enterprise itself (``domain.WRITER_ROLES``).
Withdrawn versions stay listed; their content is for the bureau only.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ecosteward.auth import Principal
from ecosteward.blobs import BlobStore, StoredBlob, blob_store_from_env
from ecosteward.clock import china_today
from ecosteward.config import ArchiveSettings
from ecosteward.db import utcnow
from ecosteward.errors import BadUserInput, Conflict, Forbidden, NotFound, ValidationFailed
from ecosteward.outbox import UnitOfWork
from services.archive import access, links
from services.archive.copies import KnownJurisdictionRow
from services.archive.documents import catalogue, domain
from services.archive.documents.domain import Completeness, ItemFacts, JurisdictionCompleteness
from services.archive.documents.events import ArchiveItemChanged, DocumentChanged
from services.archive.documents.models import ArchiveItemRow, DocumentVersionRow
from services.archive.enterprises.models import EnterpriseRow

log = logging.getLogger(__name__)

MAX_UPLOAD_ENV = "ECOSTEWARD_ARCHIVE_MAX_UPLOAD_BYTES"
MAX_UPLOAD_CEILING = (1 << 31) - 1
"""Sizes travel as GraphQL ``Int`` (32-bit): the configured limit is capped just below 2 GiB."""


def actor(user: Principal) -> str:
    return (user.username or user.subject)[:100]


def max_upload_bytes() -> int:
    """The upload size limit: ``ECOSTEWARD_ARCHIVE_MAX_UPLOAD_BYTES``, default 50 MiB."""
    configured = ArchiveSettings().max_upload_bytes  # a value that is not a number: warned, default
    value = domain.DEFAULT_MAX_UPLOAD_BYTES if configured is None else configured
    return max(1, min(value, MAX_UPLOAD_CEILING))


_stores: dict[Path, BlobStore] = {}


def blob_store(data_dir: Path) -> BlobStore:
    """The service's blob store (``ecosteward.blobs.blob_store_from_env``), made once per data dir."""
    store = _stores.get(data_dir)
    if store is None:
        store = blob_store_from_env(data_dir)
        _stores[data_dir] = store
    return store


def content_path(version_id: uuid.UUID) -> str:
    """The archive service's path that streams one version's content (absolute: :mod:`services.archive.links`)."""
    return links.content_path(version_id)


# ---------------------------------------------------------------------------------------- access


async def load_enterprise(session: AsyncSession, enterprise_id: uuid.UUID) -> EnterpriseRow:
    """The live enterprise (NOT_FOUND, the same answer as for one outside the caller's scope)."""
    return await access.get_enterprise(session, enterprise_id)


def version_not_found(version_id: uuid.UUID) -> NotFound:
    """The one answer for a version that does not exist and for one of a source the caller may not see."""
    return NotFound(
        f"Document version {version_id} does not exist or is outside your scope (文件版本不存在或超出数据范围).",
        id=str(version_id),
    )


async def check_reader(session: AsyncSession, user: Principal, enterprise: EnterpriseRow) -> None:
    """NOT_FOUND (as if it did not exist) unless ``user`` may see ``enterprise``'s archive."""
    await access.check_access(session, user, enterprise)


def check_writer_role(user: Principal) -> None:
    """FORBIDDEN for roles that never file documents (checked before any id is looked up)."""
    if not user.has_role(*domain.WRITER_ROLES):
        raise Forbidden(
            "Filing archive documents needs one of the roles "
            f"{', '.join(domain.WRITER_ROLES)} (无权上传档案).",
            required_roles=list(domain.WRITER_ROLES),
        )


async def check_writer(session: AsyncSession, user: Principal, enterprise: EnterpriseRow) -> None:
    """FORBIDDEN for a role that never files; NOT_FOUND unless ``user`` may see ``enterprise``.

    Agency staff are limited to the sources their agency's live contracts cover
    (:func:`services.archive.access.visibility`, kept from the registry's contract events).
    """
    check_writer_role(user)
    await access.check_access(session, user, enterprise)


async def writable_enterprise(
    session: AsyncSession, user: Principal, enterprise_id: uuid.UUID
) -> EnterpriseRow:
    """The enterprise ``user`` may file documents for: the role first (FORBIDDEN), then existence and
    scope together (NOT_FOUND alike)."""
    check_writer_role(user)
    return await access.visible_enterprise(session, user, enterprise_id)


async def readable_version(
    session: AsyncSession, user: Principal, version_id: uuid.UUID
) -> tuple[DocumentVersionRow, EnterpriseRow]:
    """A version and its enterprise if ``user`` may see that enterprise: FORBIDDEN for a role that
    sees no sources, else NOT_FOUND alike for an unknown version and one of an unseen source."""
    seen = await access.visibility(session, user)
    row = await session.get(DocumentVersionRow, version_id)
    enterprise = await session.get(EnterpriseRow, row.enterprise_id) if row is not None else None
    if (
        row is None
        or enterprise is None
        or enterprise.deleted_at is not None
        or not seen.allows(enterprise.id, enterprise.jurisdiction_id)
    ):
        raise version_not_found(version_id)
    return row, enterprise


def may_read_withdrawn(user: Principal) -> bool:
    """Withdrawn versions stay retrievable for the bureau only."""
    return user.has_role("bureau_officer")


# ---------------------------------------------------------------------------------------- uploads


@dataclass(frozen=True)
class UploadResult:
    version: DocumentVersionRow
    superseded: DocumentVersionRow | None


async def _lock_item(
    session: AsyncSession, enterprise_id: uuid.UUID, item_code: str, user: Principal, now: dt.datetime
) -> ArchiveItemRow:
    """The item's state row, locked for this transaction (made when missing), so concurrent
    uploads of one item take their version numbers one after the other."""
    row = (
        await session.execute(
            sa.select(ArchiveItemRow)
            .where(ArchiveItemRow.enterprise_id == enterprise_id, ArchiveItemRow.item_code == item_code)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if row is None:
        row = ArchiveItemRow(
            id=uuid.uuid4(),
            enterprise_id=enterprise_id,
            item_code=item_code,
            electronic=None,
            paper=None,
            missing_reason="",
            updated_at=now,
            updated_by=actor(user),
        )
        session.add(row)
        await session.flush()  # a concurrent first upload hits the unique constraint: the caller retries
    return row


async def record_upload(
    uow: UnitOfWork,
    user: Principal,
    enterprise_id: uuid.UUID,
    item_code: str,
    version_id: uuid.UUID,
    file_name: str,
    content_type: str,
    stored: StoredBlob,
) -> UploadResult:
    """Record a stored upload as the item's new current version; the previous one is superseded.

    Also marks the item's electronic copy as present (a reason recorded for a missing paper copy is
    kept) and emits ``document.uploaded``.
    """
    session = uow.session
    now = utcnow()
    catalogue.get_item(item_code)
    enterprise = await load_enterprise(session, enterprise_id)
    item = await _lock_item(session, enterprise.id, item_code, user, now)
    versions = (
        (
            await session.execute(
                sa.select(DocumentVersionRow)
                .where(
                    DocumentVersionRow.enterprise_id == enterprise.id,
                    DocumentVersionRow.item_code == item_code,
                )
                .order_by(DocumentVersionRow.version.desc())
            )
        )
        .scalars()
        .all()
    )
    number = (versions[0].version if versions else 0) + 1
    superseded: DocumentVersionRow | None = None
    for previous in versions:
        if previous.superseded_at is None and previous.withdrawn_at is None:
            previous.superseded_at = now
            superseded = superseded or previous
    row = DocumentVersionRow(
        id=version_id,
        enterprise_id=enterprise.id,
        item_code=item_code,
        version=number,
        file_name=file_name,
        content_type=content_type,
        size=stored.size,
        sha256=stored.sha256,
        crc32=stored.crc32,
        storage_key=stored.key,
        uploaded_by=actor(user),
        uploaded_at=now,
        superseded_at=None,
        withdrawn_at=None,
        withdrawn_reason="",
        retain_until=domain.retain_until(china_today()),
    )
    session.add(row)
    item.electronic = True
    if item.paper is not False:
        item.missing_reason = ""
    item.updated_at = now
    item.updated_by = actor(user)
    await session.flush()
    uow.publish(
        "uploaded", DocumentChanged.uploaded(row, superseded, enterprise.jurisdiction_id), subject=row.id
    )
    return UploadResult(row, superseded)


# ---------------------------------------------------------------------------------------- item states


async def set_item_state(
    uow: UnitOfWork,
    user: Principal,
    enterprise_id: uuid.UUID,
    item_code: str,
    electronic: bool,
    paper: bool,
    missing_reason: str | None,
) -> ArchiveItemRow:
    """Record an item's electronic/paper copy and why one is missing (表E.1: 如填否应说明原因)."""
    code = catalogue.get_item(item_code).code
    session = uow.session
    enterprise = await writable_enterprise(session, user, enterprise_id)
    now = utcnow()
    item = await _lock_item(session, enterprise.id, code, user, now)
    has_current = await _has_current_version(session, enterprise.id, code)
    problems = domain.state_violations(electronic, paper, missing_reason, has_current)
    if problems:
        raise ValidationFailed("The archive item state is not valid (存档状态有误).", problems)
    reason = domain.clean_reason(missing_reason) if (not electronic or not paper) else ""
    item.electronic, item.paper, item.missing_reason = electronic, paper, reason
    item.updated_at, item.updated_by = now, actor(user)
    await session.flush()
    uow.publish(
        "state_set",
        ArchiveItemChanged(
            enterprise_id=enterprise.id,
            item_code=code,
            electronic=electronic,
            paper=paper,
            missing_reason=reason,
            updated_by=item.updated_by,
        ),
        subject=item.id,
    )
    return item


async def _has_current_version(session: AsyncSession, enterprise_id: uuid.UUID, item_code: str) -> bool:
    found = await session.scalar(
        sa.select(DocumentVersionRow.id)
        .where(
            DocumentVersionRow.enterprise_id == enterprise_id,
            DocumentVersionRow.item_code == item_code,
            DocumentVersionRow.superseded_at.is_(None),
            DocumentVersionRow.withdrawn_at.is_(None),
        )
        .limit(1)
    )
    return found is not None


# ---------------------------------------------------------------------------------------- withdrawal


async def withdraw_version(
    uow: UnitOfWork, user: Principal, version_id: uuid.UUID, reason: str
) -> DocumentVersionRow:
    """Withdraw a version (soft: it stays listed, and retrievable for the bureau).

    Withdrawing the current version leaves the item without one (older versions stay superseded):
    its electronic copy becomes unrecorded until a new upload or a recorded reason.
    """
    session = uow.session
    check_writer_role(user)
    row = await session.get(DocumentVersionRow, version_id, with_for_update=True)
    if row is None:
        raise version_not_found(version_id)
    enterprise = await session.get(EnterpriseRow, row.enterprise_id)
    if enterprise is None or enterprise.deleted_at is not None:
        raise version_not_found(version_id)
    try:
        await access.check_access(session, user, enterprise)
    except NotFound:
        raise version_not_found(version_id) from None
    text = domain.clean_reason(reason)
    if not text or len(text) > domain.MAX_REASON_LENGTH:
        raise ValidationFailed(
            "A reason is required to withdraw a document (须填写撤回原因).",
            [
                {
                    "field": "reason",
                    "message": f"Give a reason of 1 to {domain.MAX_REASON_LENGTH} characters (原因长度有误).",
                }
            ],
        )
    if row.withdrawn_at is not None:
        raise Conflict(
            "This document version is already withdrawn (已撤回).", code="ALREADY_WITHDRAWN", id=str(row.id)
        )
    now = utcnow()
    was_current = row.superseded_at is None
    item = await _lock_item(session, enterprise.id, row.item_code, user, now)
    row.withdrawn_at = now
    row.withdrawn_reason = text
    row.withdrawn_by = actor(user)
    if was_current and item.electronic:
        item.electronic = None
        item.updated_at, item.updated_by = now, actor(user)
    await session.flush()
    uow.publish("withdrawn", DocumentChanged.withdrawn(row, now, text, was_current), subject=row.id)
    return row


# ---------------------------------------------------------------------------------------- reading


async def get_version(session: AsyncSession, version_id: uuid.UUID) -> DocumentVersionRow:
    row = await session.get(DocumentVersionRow, version_id)
    if row is None:
        raise version_not_found(version_id)
    return row


_ItemRow = TypeVar("_ItemRow", DocumentVersionRow, ArchiveItemRow)


async def current_versions_of(
    session: AsyncSession, enterprise_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, DocumentVersionRow]]:
    """The current (live) version of each item, per enterprise (the latest when several are live)."""
    rows = await session.scalars(
        sa.select(DocumentVersionRow)
        .where(
            DocumentVersionRow.enterprise_id.in_(list(enterprise_ids)),
            DocumentVersionRow.superseded_at.is_(None),
            DocumentVersionRow.withdrawn_at.is_(None),
        )
        .order_by(DocumentVersionRow.version)
    )
    return _per_enterprise_and_item(rows)


async def item_states_of(
    session: AsyncSession, enterprise_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, ArchiveItemRow]]:
    rows = await session.scalars(
        sa.select(ArchiveItemRow).where(ArchiveItemRow.enterprise_id.in_(list(enterprise_ids)))
    )
    return _per_enterprise_and_item(rows)


def _per_enterprise_and_item(rows: Iterable[_ItemRow]) -> dict[uuid.UUID, dict[str, _ItemRow]]:
    """``rows`` by enterprise, then by item code (a later row of the same item wins)."""
    found: dict[uuid.UUID, dict[str, _ItemRow]] = defaultdict(dict)
    for row in rows:
        found[row.enterprise_id][row.item_code] = row
    return found


async def versions_of(
    session: AsyncSession, enterprise_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DocumentVersionRow]]:
    """Every version (current, superseded, withdrawn) per enterprise, newest version first per item."""
    rows = (
        (
            await session.execute(
                sa.select(DocumentVersionRow)
                .where(DocumentVersionRow.enterprise_id.in_(list(enterprise_ids)))
                .order_by(
                    DocumentVersionRow.item_code,
                    DocumentVersionRow.version.desc(),
                    DocumentVersionRow.id,
                )
            )
        )
        .scalars()
        .all()
    )
    found: dict[uuid.UUID, list[DocumentVersionRow]] = defaultdict(list)
    for row in rows:
        found[row.enterprise_id].append(row)
    return found


def item_facts(
    current: dict[str, DocumentVersionRow], states: dict[str, ArchiveItemRow]
) -> dict[str, ItemFacts]:
    codes = set(current) | set(states)
    facts: dict[str, ItemFacts] = {}
    for code in codes:
        state = states.get(code)
        facts[code] = ItemFacts(
            has_current_version=code in current,
            electronic=state.electronic if state is not None else None,
            missing_reason=state.missing_reason if state is not None else "",
        )
    return facts


def completeness_from(
    current: dict[str, DocumentVersionRow], states: dict[str, ArchiveItemRow]
) -> Completeness:
    return domain.completeness(catalogue.item_codes(), item_facts(current, states))


async def enterprise_completeness(session: AsyncSession, enterprise_id: uuid.UUID) -> Completeness:
    current = (await current_versions_of(session, [enterprise_id])).get(enterprise_id, {})
    states = (await item_states_of(session, [enterprise_id])).get(enterprise_id, {})
    return completeness_from(current, states)


async def check_jurisdiction_reader(
    session: AsyncSession, user: Principal, jurisdiction_id: uuid.UUID
) -> None:
    """The bureau sees every jurisdiction's figure; a town (or an agency contracted for the whole
    jurisdiction) its own; anyone else is refused."""
    seen = await access.visibility(session, user)
    if not (seen.everything or jurisdiction_id in seen.jurisdiction_ids):
        raise Forbidden("This jurisdiction is outside your scope (超出数据范围).")


async def jurisdiction_completeness(
    session: AsyncSession, jurisdiction_id: uuid.UUID
) -> JurisdictionCompleteness:
    """Completeness over the jurisdiction's sources that are not closed (see
    :func:`domain.jurisdiction_completeness`). Unknown jurisdiction → UNKNOWN_JURISDICTION."""
    if await session.get(KnownJurisdictionRow, jurisdiction_id) is None:
        raise BadUserInput(
            "Unknown jurisdiction: the registry has not announced it (辖区不存在).",
            code="UNKNOWN_JURISDICTION",
            field="jurisdictionId",
        )
    enterprise_ids = [
        row[0]
        for row in (
            await session.execute(
                sa.select(EnterpriseRow.id).where(
                    EnterpriseRow.jurisdiction_id == jurisdiction_id,
                    EnterpriseRow.deleted_at.is_(None),
                    EnterpriseRow.status != "CLOSED",
                )
            )
        ).all()
    ]
    return domain.jurisdiction_completeness(await _completeness_many(session, enterprise_ids))


async def _completeness_many(
    session: AsyncSession, enterprise_ids: Sequence[uuid.UUID]
) -> list[Completeness]:
    """Completeness of many sources from two narrow queries (pairs with a current version, and
    recorded states without an electronic copy), in batches."""
    codes = catalogue.item_codes()
    figures: list[Completeness] = []
    for start in range(0, len(enterprise_ids), 1000):
        batch = list(enterprise_ids[start : start + 1000])
        live_pairs = await session.execute(
            sa.select(DocumentVersionRow.enterprise_id, DocumentVersionRow.item_code)
            .where(
                DocumentVersionRow.enterprise_id.in_(batch),
                DocumentVersionRow.superseded_at.is_(None),
                DocumentVersionRow.withdrawn_at.is_(None),
            )
            .distinct()
        )
        explained = await session.execute(
            sa.select(
                ArchiveItemRow.enterprise_id, ArchiveItemRow.item_code, ArchiveItemRow.missing_reason
            ).where(ArchiveItemRow.enterprise_id.in_(batch), ArchiveItemRow.electronic.is_(False))
        )
        facts: dict[uuid.UUID, dict[str, ItemFacts]] = defaultdict(dict)
        for enterprise_id, code in live_pairs.all():
            facts[enterprise_id][code] = ItemFacts(has_current_version=True)
        for enterprise_id, code, reason in explained.all():
            facts[enterprise_id].setdefault(code, ItemFacts(electronic=False, missing_reason=reason))
        figures.extend(domain.completeness(codes, facts.get(e, {})) for e in batch)
    return figures


def visible_versions(rows: Iterable[DocumentVersionRow], include_withdrawn: bool) -> list[DocumentVersionRow]:
    return [r for r in rows if include_withdrawn or r.withdrawn_at is None]
