"""Local copies of other services' data: the archive's enterprises (id → jurisdiction).

Kept from ``archive.enterprise.*`` events, read through :class:`EnterpriseSeen`; the registry never
reads the archive's tables. A contract's explicit enterprises are checked against its managing
department's jurisdiction, and which agencies serve an enterprise is answered, from here.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosteward.consumer import Subscription
from ecosteward.event_payloads import ConsumedPayload
from ecosteward.events import EventEnvelope
from ecosteward.outbox import UnitOfWork
from services.registry.base import Base

log = logging.getLogger(__name__)


class KnownEnterpriseRow(Base):
    """Local copy of the archive's enterprises (id → jurisdiction), kept from ``archive.enterprise.*``.

    The registry never reads the archive's tables: it checks that a contract's explicit enterprises
    lie in the managing department's jurisdiction, and which agencies serve an enterprise, from here.
    """

    __tablename__ = "known_enterprises"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    jurisdiction_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)


@dataclass(frozen=True)
class EnterpriseSeen(ConsumedPayload):
    """What the registry reads of ``archive.enterprise.*``: the enterprise and, when given, its town."""

    EVENT: ClassVar[str] = "archive.enterprise"

    id: uuid.UUID | None = None
    """None on events about no one enterprise (an import's summary)."""
    jurisdiction_id: uuid.UUID | None = None


async def on_enterprise_event(uow: UnitOfWork, event: EventEnvelope) -> None:
    """Keep the enterprise's jurisdiction; events about no one enterprise (an import's summary) pass.

    An event that omits the jurisdiction keeps the copy's; a first event without one is ignored.
    """
    seen = EnterpriseSeen.read(event)
    if seen.id is None:
        return
    row = await uow.session.get(KnownEnterpriseRow, seen.id)
    if row is not None:
        if seen.jurisdiction_id is not None:
            row.jurisdiction_id = seen.jurisdiction_id
        return
    if seen.jurisdiction_id is None:
        log.warning("%s for unknown enterprise %s lacks jurisdiction_id; ignored", event.type, seen.id)
        return
    uow.session.add(KnownEnterpriseRow(id=seen.id, jurisdiction_id=seen.jurisdiction_id))


SUBSCRIPTIONS = [
    Subscription.to_family("enterprises", "archive.enterprise", on_enterprise_event),
]
