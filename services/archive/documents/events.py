"""Events of the documents area (NATS subject ``ecosteward.archive.<entity>.<verb>``).

- :class:`DocumentChanged` — ``document.uploaded`` (with the superseded version and the enterprise's
  jurisdiction) and ``document.withdrawn`` (with when, why, by whom and whether it was current);
  subject = the version id.
- :class:`ArchiveItemChanged` — ``archive_item.state_set``: an E.1 item's electronic/paper state and
  the reason it is missing; subject = the item row's id.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from services.archive.base import ABSENT, ArchivePayload
from services.archive.documents.models import DocumentVersionRow


@dataclass(frozen=True)
class DocumentChanged(ArchivePayload):
    """archive.document.* — a document version was uploaded or withdrawn."""

    EVENT: ClassVar[str] = "archive.document"
    VERBS: ClassVar[tuple[str, ...]] = ("uploaded", "withdrawn")

    id: uuid.UUID
    enterprise_id: uuid.UUID
    item_code: str
    version: int
    file_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: dt.datetime
    retain_until: dt.date
    # ``uploaded`` only
    superseded_version_id: uuid.UUID | None = ABSENT
    jurisdiction_id: uuid.UUID = ABSENT
    # ``withdrawn`` only
    withdrawn_at: dt.datetime = ABSENT
    withdrawn_reason: str = ABSENT
    withdrawn_by: str = ABSENT
    was_current: bool = ABSENT

    @classmethod
    def uploaded(
        cls, row: DocumentVersionRow, superseded: DocumentVersionRow | None, jurisdiction_id: uuid.UUID
    ) -> DocumentChanged:
        return cls(
            **_version(row),
            superseded_version_id=superseded.id if superseded is not None else None,
            jurisdiction_id=jurisdiction_id,
        )

    @classmethod
    def withdrawn(
        cls, row: DocumentVersionRow, at: dt.datetime, reason: str, was_current: bool
    ) -> DocumentChanged:
        return cls(
            **_version(row),
            withdrawn_at=at,
            withdrawn_reason=reason,
            withdrawn_by=row.withdrawn_by,
            was_current=was_current,
        )


def _version(row: DocumentVersionRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "enterprise_id": row.enterprise_id,
        "item_code": row.item_code,
        "version": row.version,
        "file_name": row.file_name,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "uploaded_by": row.uploaded_by,
        "uploaded_at": row.uploaded_at,
        "retain_until": row.retain_until,
    }


@dataclass(frozen=True)
class ArchiveItemChanged(ArchivePayload):
    """archive.archive_item.state_set — an E.1 item's filing state (electronic, paper, why missing)."""

    EVENT: ClassVar[str] = "archive.archive_item"
    VERBS: ClassVar[tuple[str, ...]] = ("state_set",)

    enterprise_id: uuid.UUID
    item_code: str
    electronic: bool | None
    paper: bool | None
    missing_reason: str
    updated_by: str
