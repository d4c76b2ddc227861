"""One file per source (一源一档): archive items of table E.1 and their document versions.

Nothing is ever hard-deleted: a new upload supersedes the previous version, a withdrawal marks a
version withdrawn with a reason; every version stays retrievable for at least five years
(``retain_until``, seed 004 §8).
"""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosteward.db import UTCDateTime, utcnow
from services.archive.base import Base


class ArchiveItemRow(Base):
    """The state of one E.1 item for one enterprise: paper/electronic copy and why not (原因)."""

    __tablename__ = "archive_items"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    item_code: Mapped[str] = mapped_column(sa.String(8))
    electronic: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    paper: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    missing_reason: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(sa.String(100), default="")

    __table_args__ = (
        sa.UniqueConstraint("enterprise_id", "item_code", name="uq_archive_items_enterprise_item"),
    )


class DocumentVersionRow(Base):
    """One uploaded version of a document for an enterprise's E.1 item."""

    __tablename__ = "document_versions"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    item_code: Mapped[str] = mapped_column(sa.String(8))
    version: Mapped[int] = mapped_column(sa.Integer)
    file_name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    # CRC-32 of the content, recorded at upload (null for versions uploaded before it was kept).
    crc32: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    storage_key: Mapped[str] = mapped_column(sa.String(300))
    uploaded_by: Mapped[str] = mapped_column(sa.String(100))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_reason: Mapped[str] = mapped_column(sa.Text, default="")
    withdrawn_by: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    retain_until: Mapped[dt.date] = mapped_column(sa.Date)

    __table_args__ = (
        sa.UniqueConstraint(
            "enterprise_id", "item_code", "version", name="uq_document_versions_item_version"
        ),
        sa.Index(
            "ix_document_versions_current", "enterprise_id", "item_code", "superseded_at", "withdrawn_at"
        ),
    )
