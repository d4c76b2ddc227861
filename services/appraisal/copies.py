"""Local copies (本地副本) of other services' data that the appraisal service needs, kept from their events.

Consumed: ``ecosteward.registry.contract.*`` → the local contracts copy (``known_contracts``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosteward.consumer import Subscription
from ecosteward.event_payloads import ConsumedPayload
from ecosteward.local_copies import local_copy_handler
from services.appraisal.base import Base


class KnownContractRow(Base):
    """Local copy of the registry's service contracts, kept from ``registry.contract.*`` events.

    The appraisal service never reads the registry's tables: it checks that an appraised contract
    exists, and takes its agency and jurisdiction, from this table.
    """

    __tablename__ = "known_contracts"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    jurisdiction_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)


@dataclass(frozen=True)
class ContractSeen(ConsumedPayload):
    """What this service reads of ``registry.contract.*`` (events that omit a field keep the old value)."""

    EVENT: ClassVar[str] = "registry.contract"

    id: uuid.UUID
    agency_id: uuid.UUID
    jurisdiction_id: uuid.UUID


on_contract_changed = local_copy_handler(KnownContractRow, ContractSeen)


SUBSCRIPTIONS = [Subscription.to_family("contracts", "registry.contract", on_contract_changed)]
