"""Local copies (本地副本) of other services' data that the inspection service needs, kept from their events.

The inspection service never reads another service's tables. Consumed:
- ``ecosteward.archive.enterprise.*`` → the local enterprises copy (``known_enterprises``);
- ``ecosteward.registry.contract.*`` → contract scopes (agency, managing jurisdiction, state, term,
  scope) for the field-work rule (``contract_scopes``);
- ``ecosteward.registry.permit.*`` → work permits, keyed to the holder's username (``work_permits``);
- ``ecosteward.registry.jurisdiction.*`` → which unit is the district (``known_jurisdictions``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosteward.consumer import Subscription
from ecosteward.event_payloads import ConsumedPayload
from ecosteward.local_copies import as_uuid, local_copy_handler
from services.inspection.base import Base


class KnownEnterpriseRow(Base):
    """Local copy of the archive's enterprises, kept from ``archive.enterprise.*`` events.

    The inspection service never reads the archive's tables: it checks that an inspected enterprise
    exists, and copies its jurisdiction onto the inspection, from this table.
    """

    __tablename__ = "known_enterprises"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    jurisdiction_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    name: Mapped[str] = mapped_column(sa.String(200))


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


# ------------------------------------------------------------------------------------------ what is read of the events


@dataclass(frozen=True)
class EnterpriseSeen(ConsumedPayload):
    """What this service reads of ``archive.enterprise.*`` (events that omit a field keep the old value)."""

    EVENT: ClassVar[str] = "archive.enterprise"

    id: uuid.UUID | None = None
    """None on events about no one enterprise (an import's summary): the copy skips them."""
    jurisdiction_id: uuid.UUID | None = None
    name: str | None = None


@dataclass(frozen=True)
class ContractSeen(ConsumedPayload):
    """What the field-work rule reads of ``registry.contract.*``: state, term, managing jurisdiction, scope.

    The scope lists are read as text and kept as well-formed ids only (:func:`as_id_list`).
    """

    EVENT: ClassVar[str] = "registry.contract"

    id: uuid.UUID
    agency_id: uuid.UUID
    jurisdiction_id: uuid.UUID
    status: str
    starts_on: dt.date
    ends_on: dt.date
    scope_jurisdiction_ids: list[str]
    scope_enterprise_ids: list[str]


@dataclass(frozen=True)
class PermitSeen(ConsumedPayload):
    """What the field-work rule reads of ``registry.permit.issued|revoked|expired``."""

    EVENT: ClassVar[str] = "registry.permit"

    id: uuid.UUID
    staff_id: uuid.UUID
    staff_username: str
    agency_id: uuid.UUID
    valid_from: dt.date
    valid_to: dt.date
    revoked_on: dt.date | None


@dataclass(frozen=True)
class JurisdictionSeen(ConsumedPayload):
    """Each jurisdiction's kind (only the district's contracts reach beyond their own unit)."""

    EVENT: ClassVar[str] = "registry.jurisdiction"

    id: uuid.UUID
    kind: str


def as_id_list(values: list[str]) -> list[str]:
    """The well-formed ids of a scope list; anything else grants nothing (and blocks no event)."""
    ids: set[str] = set()
    for item in values:
        try:
            ids.add(str(as_uuid(item)))
        except ValueError:
            continue
    return sorted(ids)


def as_username(value: str) -> str:
    return value.strip().lower()


on_enterprise_changed = local_copy_handler(KnownEnterpriseRow, EnterpriseSeen)
on_contract_changed = local_copy_handler(
    ContractScopeRow,
    ContractSeen,
    convert={"scope_jurisdiction_ids": as_id_list, "scope_enterprise_ids": as_id_list},
)
on_permit_changed = local_copy_handler(WorkPermitRow, PermitSeen, convert={"staff_username": as_username})
on_jurisdiction_changed = local_copy_handler(KnownJurisdictionRow, JurisdictionSeen)


SUBSCRIPTIONS = [
    Subscription.to_family("enterprises", "archive.enterprise", on_enterprise_changed),
    Subscription.to_family("contracts", "registry.contract", on_contract_changed),
    Subscription.to_family("permits", "registry.permit", on_permit_changed),
    Subscription.to_family("jurisdictions", "registry.jurisdiction", on_jurisdiction_changed),
]
