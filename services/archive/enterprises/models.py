"""Enterprise tables: the pollution sources and their status history."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosteward.db import EntityMixin, StatusChangeMixin, UTCDateTime
from services.archive.base import Base


class EnterpriseRow(EntityMixin, Base):
    """An enterprise / pollution source (排污单位)."""

    __tablename__ = "enterprises"

    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    jurisdiction_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    industry_code: Mapped[str] = mapped_column(sa.String(8), default="")
    latitude: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    # PermitCategory / SourceStatus values (enterprises.domain).
    permit_category: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16))
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Current classification, kept here for list filters and the map (history in classification/).
    key_source: Mapped[bool] = mapped_column(sa.Boolean, default=False, index=True)

    __table_args__ = (sa.Index("ix_enterprises_location", "latitude", "longitude"),)


class EnterpriseStatusChangeRow(StatusChangeMixin, Base):
    """A status change of a pollution source (operating, relocating, closed); never deleted."""

    __tablename__ = "enterprise_status_changes"

    OWNER = "enterprise_id"
    enterprise_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
