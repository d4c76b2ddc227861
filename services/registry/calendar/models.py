"""Calendar tables: entries and years (``calendar_days``, ``calendar_years``) and confirmations."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosteward.db import UTCDateTime, utcnow
from services.registry.base import Base


class CalendarConfirmationRow(Base):
    """One confirmation of a calendar year (日历确认), with the override reason when it had no holidays."""

    __tablename__ = "calendar_confirmations"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    year: Mapped[int] = mapped_column(sa.Integer, index=True)
    holiday_entries: Mapped[int] = mapped_column(sa.Integer)
    override_reason: Mapped[str] = mapped_column(sa.Text, default="")
    confirmed_at: Mapped[dt.datetime]
    confirmed_by: Mapped[str] = mapped_column(sa.String(100))


@dataclass(frozen=True)
class CalendarTables:
    """The calendar's two tables: entries (``calendar_days``) and years (``calendar_years``)."""

    days: sa.Table
    years: sa.Table


def calendar_tables(metadata: sa.MetaData) -> CalendarTables:
    """Define ``calendar_days`` and ``calendar_years`` on ``metadata`` (or return them if already there)."""
    if "calendar_days" in metadata.tables and "calendar_years" in metadata.tables:
        return CalendarTables(metadata.tables["calendar_days"], metadata.tables["calendar_years"])
    days = sa.Table(
        "calendar_days",
        metadata,
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
        sa.Column("updated_by", sa.String(100), nullable=True),
        # Corrections are soft deletes (nothing is ever hard-deleted); a deleted row also stops the
        # seed from bringing the entry back.
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        comment="工作日历: holidays (法定节假日) and make-up working days (调休上班日)",
    )
    years = sa.Table(
        "calendar_years",
        metadata,
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("confirmed", sa.Boolean, nullable=False),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("confirmed_by", sa.String(100), nullable=True),
        sa.Column("source", sa.String(20), nullable=False),
        comment="Years whose official holiday schedule is known; deadlines in other years are provisional",
    )
    return CalendarTables(days, years)


CALENDAR = calendar_tables(Base.metadata)
