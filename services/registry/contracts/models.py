"""Contract tables: service contracts, their filings and the filings' history."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosteward.db import EntityMixin, UTCDateTime
from services.registry.base import Base


class ServiceContractRow(EntityMixin, Base):
    """A service contract (委托合同) between a managing department and an agency."""

    __tablename__ = "service_contracts"

    title: Mapped[str] = mapped_column(sa.String(200))
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    jurisdiction_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("jurisdictions.id"), index=True)
    price: Mapped[Decimal]
    starts_on: Mapped[dt.date] = mapped_column(sa.Date)
    ends_on: Mapped[dt.date] = mapped_column(sa.Date)
    service_mode: Mapped[str] = mapped_column(sa.String(16))
    contracted_tasks: Mapped[int] = mapped_column(sa.Integer)
    scope_jurisdiction_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    scope_enterprise_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    catalogue_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    signed_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    closed_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    closed_reason: Mapped[str] = mapped_column(sa.Text, default="")


class FilingRow(EntityMixin, Base):
    """The filing (报备) of a signed contract with the bureau, due 10 working days after signing."""

    __tablename__ = "filings"

    contract_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("service_contracts.id"), unique=True)
    jurisdiction_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("jurisdictions.id"), index=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    signed_on: Mapped[dt.date] = mapped_column(sa.Date)
    due_on: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    due_provisional: Mapped[bool] = mapped_column(sa.Boolean)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    first_filed_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    filed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    filed_late: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    return_reason: Mapped[str] = mapped_column(sa.Text, default="")
    overdue_announced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class FilingActionRow(Base):
    """One step in a filing's history: filed, returned for correction, re-filed, acknowledged."""

    __tablename__ = "filing_actions"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    filing_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("filings.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[dt.datetime]
    by: Mapped[str] = mapped_column(sa.String(100))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
