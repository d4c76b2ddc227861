"""Appraisal tables."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosteward.db import EntityMixin
from services.appraisal.base import Base


class AppraisalRow(EntityMixin, Base):
    """A performance appraisal (绩效考核) of one contract for one period (seed 004 table G.1, 100 points).

    The total score is kept exactly as an integer number of tenths of a point (87.5 → 875), so no
    float ever touches it on any database.
    """

    __tablename__ = "appraisals"
    __table_args__ = (
        sa.UniqueConstraint("contract_id", "period", name="uq_appraisals_contract_id_period"),
        sa.CheckConstraint("total_score_tenths BETWEEN 0 AND 1000", name="total_score_range"),
    )

    contract_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    jurisdiction_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    period: Mapped[str] = mapped_column(sa.String(7))
    total_score_tenths: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(16))
