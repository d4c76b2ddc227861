"""Local copies of the registry's data the archive relies on, kept from its events.

Consumed:
- ``ecosteward.registry.jurisdiction.*`` → the local jurisdictions copy (validates registrations,
  and its kind decides how far a contract it manages may reach);
- ``ecosteward.registry.contract.*`` → the local contract scopes (which agency sees which sources,
  only inside each contract's managing jurisdiction: :mod:`services.archive.access`).

The archive never reads the registry's tables; each event is read through a ``*Seen`` payload.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosteward.consumer import Subscription
from ecosteward.event_payloads import ConsumedPayload
from ecosteward.events import EventEnvelope
from ecosteward.outbox import UnitOfWork
from services.archive.base import Base


class KnownJurisdictionRow(Base):
    """Local copy of registry's jurisdictions, kept from ``registry.jurisdiction.*`` events.

    The archive never reads registry's tables: it validates an enterprise's jurisdiction against
    this copy.
    """

    __tablename__ = "known_jurisdictions"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(120))
    # DISTRICT, TOWN, STREET or PARK; null for rows kept before kinds were recorded (then it covers
    # only itself when it manages a contract).
    kind: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)


class ContractScopeRow(Base):
    """Local copy of a registry contract's service scope, kept from ``registry.contract.*`` events.

    Agency staff see only the enterprises their agency's live contracts cover: the contract's
    jurisdictions as a whole and its explicit enterprise list (分片区), both intersected at query time
    with the managing jurisdiction (:mod:`services.archive.contract_scope`).
    """

    __tablename__ = "contract_scopes"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    # The contract's managing department's jurisdiction (the event's ``jurisdiction_id``): the scope
    # counts only inside it. Null (rows from before it was kept): the contract grants nothing.
    managing_jurisdiction_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)
    jurisdiction_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    enterprise_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)


@dataclass(frozen=True)
class JurisdictionSeen(ConsumedPayload):
    """What the archive reads of ``registry.jurisdiction.*``."""

    EVENT: ClassVar[str] = "registry.jurisdiction"

    id: uuid.UUID
    code: str
    name: str
    kind: str | None = None


@dataclass(frozen=True)
class ContractSeen(ConsumedPayload):
    """What the archive reads of ``registry.contract.*`` (the contract id is the event's subject).

    The ids are read as text and parsed where used (:func:`services.archive.contract_scope.parse_uuids`),
    so a malformed id grants nothing instead of failing the consumer.
    """

    EVENT: ClassVar[str] = "registry.contract"

    agency_id: uuid.UUID
    status: str
    jurisdiction_id: str | None = None
    scope_jurisdiction_ids: list[str] | None = None
    scope_enterprise_ids: list[str] | None = None


async def on_jurisdiction_changed(uow: UnitOfWork, event: EventEnvelope) -> None:
    seen = JurisdictionSeen.read(event)
    # The kind decides how far a contract it manages may reach (district: the whole district).
    kind = seen.kind or None
    row = await uow.session.get(KnownJurisdictionRow, seen.id)
    if row is None:
        uow.session.add(KnownJurisdictionRow(id=seen.id, code=seen.code, name=seen.name, kind=kind))
    else:
        row.code, row.name = seen.code, seen.name
        if kind is not None:
            row.kind = kind


def _optional_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def on_contract_changed(uow: UnitOfWork, event: EventEnvelope) -> None:
    """Keep which agency serves which jurisdictions/enterprises, and whether the contract is live.

    The scope is stored as announced, with the managing jurisdiction (``jurisdiction_id``); it is
    intersected with it whenever it is used (:mod:`services.archive.access`), so a scope reaching
    outside it grants nothing there, and a missing or malformed managing jurisdiction grants nothing.
    """
    seen = ContractSeen.read(event)
    contract_id = uuid.UUID(event.subject)
    row = await uow.session.get(ContractScopeRow, contract_id)
    if row is None:
        row = ContractScopeRow(id=contract_id, agency_id=seen.agency_id)
        uow.session.add(row)
    row.status = seen.status
    row.managing_jurisdiction_id = _optional_uuid(seen.jurisdiction_id)
    row.jurisdiction_ids = list(seen.scope_jurisdiction_ids or [])
    row.enterprise_ids = list(seen.scope_enterprise_ids or [])


SUBSCRIPTIONS = [
    Subscription.to_family("jurisdictions", "registry.jurisdiction", on_jurisdiction_changed),
    Subscription.to_family("contract-scopes", "registry.contract", on_contract_changed),
]
