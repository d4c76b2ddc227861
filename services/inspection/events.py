"""Inspection events.

Published (``ecosteward.inspection.<entity>.<verb>``):
- ``inspection.recorded`` — data: id, enterprise_id, agency_id, jurisdiction_id, inspector_username,
  visited_on
- ``finding.recorded`` — data: id, inspection_id, enterprise_id, agency_id, jurisdiction_id, category,
  handling_class, deadline (null unless set)

Consumed: ``ecosteward.archive.enterprise.*`` → the local enterprises copy (``known_enterprises``).
"""

from __future__ import annotations

import logging
import uuid

from ecosteward.consumer import Subscription
from ecosteward.events import EventEnvelope
from ecosteward.outbox import UnitOfWork
from services.inspection.models import FindingRow, InspectionRow, KnownEnterpriseRow

log = logging.getLogger(__name__)


def emit_inspection_recorded(uow: UnitOfWork, row: InspectionRow) -> None:
    uow.emit(
        "inspection",
        "recorded",
        row.id,
        {
            "id": row.id,
            "enterprise_id": row.enterprise_id,
            "agency_id": row.agency_id,
            "jurisdiction_id": row.jurisdiction_id,
            "inspector_username": row.inspector_username,
            "visited_on": row.visited_on,
        },
    )


def emit_finding_recorded(uow: UnitOfWork, row: FindingRow) -> None:
    uow.emit(
        "finding",
        "recorded",
        row.id,
        {
            "id": row.id,
            "inspection_id": row.inspection_id,
            "enterprise_id": row.enterprise_id,
            "agency_id": row.agency_id,
            "jurisdiction_id": row.jurisdiction_id,
            "category": row.category,
            "handling_class": row.handling_class,
            "deadline": row.deadline,
        },
    )


async def on_enterprise_changed(uow: UnitOfWork, event: EventEnvelope) -> None:
    """Insert or update the local copy of an enterprise (events that omit a field keep the old value)."""
    data = event.data
    enterprise_id = uuid.UUID(str(data["id"]))
    row = await uow.session.get(KnownEnterpriseRow, enterprise_id)
    if row is None:
        if "jurisdiction_id" not in data or "name" not in data:
            log.warning(
                "%s for unknown enterprise %s lacks jurisdiction or name; ignored", event.type, enterprise_id
            )
            return
        uow.session.add(
            KnownEnterpriseRow(
                id=enterprise_id,
                jurisdiction_id=uuid.UUID(str(data["jurisdiction_id"])),
                name=str(data["name"]),
            )
        )
        return
    if "jurisdiction_id" in data:
        row.jurisdiction_id = uuid.UUID(str(data["jurisdiction_id"]))
    if "name" in data:
        row.name = str(data["name"])


SUBSCRIPTIONS = [
    Subscription(
        name="enterprises",
        source="archive",
        filter_subject="ecosteward.archive.enterprise.*",
        handler=on_enterprise_changed,
    )
]
