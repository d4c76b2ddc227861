"""Work permit table."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosteward.db import EntityMixin, UTCDateTime
from services.registry.base import Base


class WorkPermitRow(EntityMixin, Base):
    """A work permit (工作证) issued by a managing department to a staff member."""

    __tablename__ = "work_permits"

    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    issued_by_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("jurisdictions.id"))
    valid_from: Mapped[dt.date] = mapped_column(sa.Date)
    valid_to: Mapped[dt.date] = mapped_column(sa.Date)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_reason: Mapped[str] = mapped_column(sa.Text, default="")
    expiry_announced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
