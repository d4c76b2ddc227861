"""Inspection events.

Published (``ecosteward.inspection.<entity>.<verb>``):
- ``inspection.recorded`` — data: id, enterprise_id, agency_id, jurisdiction_id, inspector_username,
  visited_on
- ``finding.recorded`` — data: id, inspection_id, enterprise_id, agency_id, jurisdiction_id, category,
  handling_class, deadline (null unless set)

Consumed: ``ecosteward.archive.enterprise.*`` → the local enterprises copy (``known_enterprises``).
"""

from __future__ import annotations

from ecosteward.consumer import Subscription
from ecosteward.local_copies import as_text, as_uuid, local_copy_handler
from ecosteward.outbox import UnitOfWork
from services.inspection.models import FindingRow, InspectionRow, KnownEnterpriseRow


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


on_enterprise_changed = local_copy_handler(
    KnownEnterpriseRow, "enterprise", {"jurisdiction_id": as_uuid, "name": as_text}
)
"""Insert or update the local copy of an enterprise (events that omit a field keep the old value)."""


SUBSCRIPTIONS = [
    Subscription(
        name="enterprises",
        source="archive",
        filter_subject="ecosteward.archive.enterprise.*",
        handler=on_enterprise_changed,
    )
]
