"""Registry tables: jurisdictions, agencies and their staff, work permits, contracts and filings."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ecosteward.accounts import account_tables
from ecosteward.db import TYPE_ANNOTATION_MAP, EntityMixin, UTCDateTime, service_metadata
from ecosteward.outbox import platform_tables
from ecosteward.workdays import calendar_tables


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


TABLES = platform_tables(Base.metadata)
CALENDAR = calendar_tables(Base.metadata)
ACCOUNTS = account_tables(Base.metadata)


class JurisdictionRow(EntityMixin, Base):
    """A managing unit: the district itself, a town/street, or a park committee (街镇、管委会)."""

    __tablename__ = "jurisdictions"

    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(160), default="")
    kind: Mapped[str] = mapped_column(sa.String(16))


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


class AgencyStatusChangeRow(Base):
    """One admission status change (入库状态变更) with its reason and date; never deleted."""

    __tablename__ = "agency_status_changes"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    unmet_rules: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    changed_at: Mapped[dt.datetime]
    changed_by: Mapped[str] = mapped_column(sa.String(100))


class CreditListingRow(EntityMixin, Base):
    """A listing of an agency on a credit blacklist (失信名单), with its source and dates."""

    __tablename__ = "credit_listings"

    agency_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    source: Mapped[str] = mapped_column(sa.String(200))
    listed_on: Mapped[dt.date] = mapped_column(sa.Date)
    delisted_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")


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


class KnownEnterpriseRow(Base):
    """Local copy of the archive's enterprises (id → jurisdiction), kept from ``archive.enterprise.*``.

    The registry never reads the archive's tables: it checks that a contract's explicit enterprises
    lie in the managing department's jurisdiction, and which agencies serve an enterprise, from here.
    """

    __tablename__ = "known_enterprises"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    jurisdiction_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)


class CalendarConfirmationRow(Base):
    """One confirmation of a calendar year (日历确认), with the override reason when it had no holidays."""

    __tablename__ = "calendar_confirmations"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    year: Mapped[int] = mapped_column(sa.Integer, index=True)
    holiday_entries: Mapped[int] = mapped_column(sa.Integer)
    override_reason: Mapped[str] = mapped_column(sa.Text, default="")
    confirmed_at: Mapped[dt.datetime]
    confirmed_by: Mapped[str] = mapped_column(sa.String(100))
