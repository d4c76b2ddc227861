"""Inspection tables."""

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


class KnownEnterpriseRow(Base):
    """Local copy of the archive's enterprises, kept from ``archive.enterprise.*`` events.

    The inspection service never reads the archive's tables: it checks that an inspected enterprise
    exists, and copies its jurisdiction onto the inspection, from this table.
    """

    __tablename__ = "known_enterprises"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    jurisdiction_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    name: Mapped[str] = mapped_column(sa.String(200))


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


class KnownJurisdictionRow(Base):
    """Local copy of the registry's jurisdictions (only what the contract rule needs: the kind).

    A contract managed by the district (kind ``DISTRICT``) may cover any enterprise; one managed by
    a town, street or park committee only that unit's own (合同范围以管理单位辖区为限).
    """

    __tablename__ = "known_jurisdictions"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))


class ContractScopeRow(Base):
    """Local copy of a registry service contract (委托合同), kept from ``registry.contract.*`` events.

    What an agency's field work is allowed on: the contract's state and term, its managing
    jurisdiction (``jurisdiction_id``) and its scope (jurisdictions as a whole, explicit enterprises).
    """

    __tablename__ = "contract_scopes"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    jurisdiction_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    status: Mapped[str] = mapped_column(sa.String(16))
    starts_on: Mapped[dt.date] = mapped_column(sa.Date)
    ends_on: Mapped[dt.date] = mapped_column(sa.Date)
    scope_jurisdiction_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    scope_enterprise_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)


class WorkPermitRow(Base):
    """Local copy of a registry work permit (工作证), kept from ``registry.permit.*`` events.

    Keyed to the holder by ``staff_username``: the same name is the holder's Keycloak account, so a
    caller's token (``preferred_username`` and ``agency_id``) finds its permits without a staff copy.
    """

    __tablename__ = "work_permits"
    __table_args__ = (sa.Index("ix_work_permits_holder", "staff_username", "agency_id"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    staff_username: Mapped[str] = mapped_column(sa.String(120))
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    valid_from: Mapped[dt.date] = mapped_column(sa.Date)
    valid_to: Mapped[dt.date] = mapped_column(sa.Date)
    revoked_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
