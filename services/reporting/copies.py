"""Local copies (本地副本) of other services' data that the reporting service needs, kept from their events.

Consumed: ``ecosteward.registry.jurisdiction.*`` → the local jurisdictions copy (``known_jurisdictions``).
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
from services.reporting.base import Base


class KnownJurisdictionRow(Base):
    """Local copy of the registry's jurisdictions, kept from ``registry.jurisdiction.*`` events.

    The reporting service never reads the registry's tables: it checks a report's jurisdiction
    against this copy.
    """

    __tablename__ = "known_jurisdictions"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(16))


@dataclass(frozen=True)
class JurisdictionSeen(ConsumedPayload):
    """What this service reads of ``registry.jurisdiction.*`` (events that omit a field keep the old value)."""

    EVENT: ClassVar[str] = "registry.jurisdiction"

    id: uuid.UUID
    code: str
    name: str
    kind: str


on_jurisdiction_changed = local_copy_handler(KnownJurisdictionRow, JurisdictionSeen)


SUBSCRIPTIONS = [Subscription.to_family("jurisdictions", "registry.jurisdiction", on_jurisdiction_changed)]
