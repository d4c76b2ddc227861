"""The archive download log (下载记录): one row per download link, kept for good.

A row is written when a link is requested (who, for which enterprise, until when) and completed when
the link is used: when streaming started and ended, from which address, how many bytes and files went
out, and how it ended (``COMPLETED``, ``ABORTED`` when the client went away, ``FAILED``). A link is
used once; a refused link (tampered, expired) leaves the row untouched.
"""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosteward.db import UTCDateTime, utcnow
from services.archive.base import Base


class ArchiveDownloadRow(Base):
    __tablename__ = "archive_downloads"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    requested_by: Mapped[str] = mapped_column(sa.String(100), index=True)
    """The requester's username (preferred_username) at request time."""
    requested_by_subject: Mapped[str] = mapped_column(sa.String(100))
    requested_by_role: Mapped[str] = mapped_column(sa.String(40))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    request_id: Mapped[str] = mapped_column(sa.String(128), default="")
    outcome: Mapped[str] = mapped_column(sa.String(16), default="PENDING")
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    """When the stream ended (completed, aborted or failed)."""
    client_ip: Mapped[str] = mapped_column(sa.String(64), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")
    bytes_sent: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    files_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    """Document files put in the ZIP (the cover sheet not counted)."""

    __table_args__ = (sa.Index("ix_archive_downloads_enterprise_requested", "enterprise_id", "requested_at"),)
