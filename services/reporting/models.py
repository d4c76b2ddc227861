"""Reporting tables."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ecosteward.db import TYPE_ANNOTATION_MAP, EntityMixin, service_metadata
from ecosteward.outbox import platform_tables


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


TABLES = platform_tables(Base.metadata)


class KnownJurisdictionRow(Base):
    """Local copy of the registry's jurisdictions, kept from ``registry.jurisdiction.*`` events.

    The reporting service never reads the registry's tables: it checks a report's jurisdiction
    against this copy.
    """

    __tablename__ = "known_jurisdictions"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(16))


class ReportRow(EntityMixin, Base):
    """A jurisdiction's quarterly or annual work report (季度/年度工作报告) to the bureau.

    ``period`` (``2026-Q3`` or ``2026``) repeats year and quarter in one non-null column so that the
    database itself enforces one report per jurisdiction, kind and period (a null quarter would
    slip through a unique constraint).
    """

    __tablename__ = "reports"
    __table_args__ = (
        sa.UniqueConstraint(
            "jurisdiction_id", "kind", "period", name="uq_reports_jurisdiction_id_kind_period"
        ),
    )

    jurisdiction_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    year: Mapped[int] = mapped_column(sa.Integer)
    quarter: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    period: Mapped[str] = mapped_column(sa.String(7))
    status: Mapped[str] = mapped_column(sa.String(16))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    summary: Mapped[str] = mapped_column(sa.Text)
