"""Visit tables: inspections and their findings."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosteward.db import EntityMixin
from services.inspection.base import Base


class InspectionRow(EntityMixin, Base):
    """An on-site inspection visit (现场检查).

    ``jurisdiction_id`` is the enterprise's jurisdiction on the day of the visit; it is copied so
    that town scoping needs no join and a later move of the enterprise does not rewrite history.
    """

    __tablename__ = "inspections"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    jurisdiction_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    inspector_username: Mapped[str] = mapped_column(sa.String(120))
    visited_on: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    summary: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16))


class FindingRow(EntityMixin, Base):
    """A problem or hazard found during an inspection (问题隐患).

    The enterprise, agency and jurisdiction are copied from the inspection so that every scope
    filter is a plain column comparison.
    """

    __tablename__ = "findings"

    inspection_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("inspections.id"), index=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    jurisdiction_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    category: Mapped[str] = mapped_column(sa.String(40))
    description: Mapped[str] = mapped_column(sa.Text)
    legal_basis: Mapped[str] = mapped_column(sa.Text, default="")
    handling_class: Mapped[str] = mapped_column(sa.String(20))
    deadline: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    status: Mapped[str] = mapped_column(sa.String(16))
