"""Classification tables: dated facts, standing attributes, the current result and its history, risk labels.

Nothing here is ever hard-deleted: a fact is withdrawn with a reason, every change of the
classification and of the risk labels is a new history row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosteward.db import UTCDateTime, utcnow
from services.archive.base import Base


class EnterpriseFactRow(Base):
    """A dated fact about an enterprise (penalty, naming/violation, complaint, exceedance, risk assessment)."""

    __tablename__ = "enterprise_facts"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("enterprises.id"))
    kind: Mapped[str] = mapped_column(sa.String(24))
    occurred_on: Mapped[dt.date] = mapped_column(sa.Date)
    verified: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    normal_production: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    assessment_result: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    reference: Mapped[str] = mapped_column(sa.String(120), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by: Mapped[str] = mapped_column(sa.String(100))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    withdrawn_reason: Mapped[str] = mapped_column(sa.Text, default="")

    __table_args__ = (sa.Index("ix_enterprise_facts_enterprise", "enterprise_id", "occurred_on"),)


class _StandingDesignations:
    """The standing designations, each with the day it was made (None: not designated); kept as
    they are now and as each change left them."""

    key_discharge_unit_since: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    class_i_pollutant_unit_since: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    key_solid_waste_producer_since: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)


class StandingAttributesRow(_StandingDesignations, Base):
    """The current standing designations of an enterprise (the permit category is on the enterprise)."""

    __tablename__ = "enterprise_standing_attributes"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("enterprises.id"), primary_key=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(sa.String(100))
    note: Mapped[str] = mapped_column(sa.Text, default="")


class StandingAttributesChangeRow(_StandingDesignations, Base):
    """One change of an enterprise's standing designations: the values after it, who, when, why."""

    __tablename__ = "enterprise_standing_attribute_changes"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by: Mapped[str] = mapped_column(sa.String(100))
    note: Mapped[str] = mapped_column(sa.Text, default="")


class ClassificationStateRow(Base):
    """The last evaluated classification of an enterprise and when it must be evaluated again.

    ``next_review_on`` is the first day a fact enters or leaves the three-year window (None: never,
    unless facts change); the periodic job re-evaluates only rows whose day has come.
    """

    __tablename__ = "enterprise_classifications"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("enterprises.id"), primary_key=True)
    key: Mapped[bool] = mapped_column(sa.Boolean)
    reason_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    evaluated_on: Mapped[dt.date] = mapped_column(sa.Date)
    evaluated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_review_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True, index=True)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    """When the current result (key or general, and the reason codes) took effect."""


class ClassificationChangeRow(Base):
    """One change of an enterprise's classification result (key/general or the set of reasons)."""

    __tablename__ = "enterprise_classification_changes"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("enterprises.id"))
    key: Mapped[bool] = mapped_column(sa.Boolean)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    previous_key: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    previous_reasons: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON, nullable=True)
    evaluated_on: Mapped[dt.date] = mapped_column(sa.Date)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    trigger: Mapped[str] = mapped_column(sa.String(24))
    triggered_by: Mapped[str] = mapped_column(sa.String(100))

    __table_args__ = (
        sa.Index("ix_enterprise_classification_changes_enterprise", "enterprise_id", "changed_at"),
    )


class RiskLabelsRow(Base):
    """An enterprise's current risk labels (seed 003); each may be unassessed (None)."""

    __tablename__ = "enterprise_risk_labels"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("enterprises.id"), primary_key=True)
    overall_risk: Mapped[str | None] = mapped_column(sa.String(16), nullable=True, index=True)
    water_risk: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    air_risk: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    noise_risk: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    hazardous_waste_risk: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    management_grade: Mapped[str | None] = mapped_column(sa.String(4), nullable=True)
    social_risk: Mapped[str | None] = mapped_column(sa.String(4), nullable=True)
    environmental_risk: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    reinspected_on: Mapped[dt.date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.Text)
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    set_by: Mapped[str] = mapped_column(sa.String(100))


class RiskLabelChangeRow(Base):
    """One setting of an enterprise's risk labels after a re-inspection (复核): values, who, when, why."""

    __tablename__ = "enterprise_risk_label_changes"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("enterprises.id"))
    labels: Mapped[dict[str, str | None]] = mapped_column(sa.JSON)
    previous: Mapped[dict[str, str | None] | None] = mapped_column(sa.JSON, nullable=True)
    changed_labels: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    reinspected_on: Mapped[dt.date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.Text)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by: Mapped[str] = mapped_column(sa.String(100))

    __table_args__ = (sa.Index("ix_enterprise_risk_label_changes_enterprise", "enterprise_id", "changed_at"),)
