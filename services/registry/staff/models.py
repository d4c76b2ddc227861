"""Staff tables: staff files and their education and evaluation records."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosteward.db import EntityMixin
from services.registry.base import Base


class StaffRow(EntityMixin, Base):
    """A staff member's file (人员档案) at an agency."""

    __tablename__ = "staff"

    agency_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    username: Mapped[str] = mapped_column(sa.String(100), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    specialty: Mapped[str] = mapped_column(sa.String(120), default="")
    title: Mapped[str] = mapped_column(sa.String(20))
    professional: Mapped[bool] = mapped_column(sa.Boolean)
    quality_manager: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    qualifications: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    joined_on: Mapped[dt.date] = mapped_column(sa.Date)
    left_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)


class StaffRecordRow(EntityMixin, Base):
    """Continuing education (继续教育) or an evaluation (考评) in a staff file."""

    __tablename__ = "staff_records"

    staff_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    on: Mapped[dt.date] = mapped_column(sa.Date)
    topic: Mapped[str] = mapped_column(sa.String(300))
    hours: Mapped[Decimal | None] = mapped_column(nullable=True)
    rating: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")
