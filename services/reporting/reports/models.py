"""Report tables."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosteward.db import EntityMixin
from services.reporting.base import Base


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
