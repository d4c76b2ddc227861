"""Events of the downloads area: :class:`DownloadChanged` — ``download.requested`` (a signed link was
issued) and ``download.completed`` (the whole ZIP went out); subject = the download id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from services.archive.base import ABSENT, ArchivePayload
from services.archive.downloads.models import ArchiveDownloadRow


@dataclass(frozen=True)
class DownloadChanged(ArchivePayload):
    """archive.download.* — an archive download was requested or completed."""

    EVENT: ClassVar[str] = "archive.download"
    VERBS: ClassVar[tuple[str, ...]] = ("requested", "completed")

    download_id: uuid.UUID
    enterprise_id: uuid.UUID
    requested_by: str
    # ``requested`` only
    requested_by_role: str = ABSENT
    expires_at: str = ABSENT
    """ISO 8601 with offset, as written since the first version."""
    # ``completed`` only
    bytes_sent: int = ABSENT
    files_count: int = ABSENT
    started_at: str | None = ABSENT
    completed_at: str = ABSENT

    @classmethod
    def of(cls, row: ArchiveDownloadRow, **verb_fields: object) -> DownloadChanged:
        """The download ``row`` with the fields of one verb."""
        return cls(
            download_id=row.id,
            enterprise_id=row.enterprise_id,
            requested_by=row.requested_by,
            **verb_fields,  # type: ignore[arg-type]  # each verb's own typed fields
        )
