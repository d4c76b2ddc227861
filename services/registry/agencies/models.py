"""Agency tables: agencies, their status history and credit listings."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosteward.db import EntityMixin, StatusChangeMixin, UTCDateTime
from services.registry.base import Base


class AgencyRow(EntityMixin, Base):
    """A third-party environmental service agency (第三方环保服务机构) in the agency database."""

    __tablename__ = "agencies"

    name: Mapped[str] = mapped_column(sa.String(200))
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    contact_name: Mapped[str] = mapped_column(sa.String(100), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    admin_username: Mapped[str] = mapped_column(sa.String(100), unique=True)
    admin_email: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    status_reason: Mapped[str] = mapped_column(sa.Text, default="")
    status_changed_at: Mapped[dt.datetime]
    # Whether an admitted agency still meets the admission rules (re-checked when staff change).
    rules_met: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    unmet_rules: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    noncompliant_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AgencyStatusChangeRow(StatusChangeMixin, Base):
    """One admission status change (入库状态变更) with its reason and date; never deleted."""

    __tablename__ = "agency_status_changes"

    OWNER = "agency_id"
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    unmet_rules: Mapped[list[str]] = mapped_column(sa.JSON, default=list)


class CreditListingRow(EntityMixin, Base):
    """A listing of an agency on a credit blacklist (失信名单), with its source and dates."""

    __tablename__ = "credit_listings"

    agency_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    source: Mapped[str] = mapped_column(sa.String(200))
    listed_on: Mapped[dt.date] = mapped_column(sa.Date)
    delisted_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")
