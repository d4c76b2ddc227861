"""Reporting events.

Published (``ecosteward.reporting.<entity>.<verb>``):
- ``report.submitted`` — data: id, jurisdiction_id, kind, year, quarter (null for annual), period,
  submitted_at, due_on

Consumed: ``ecosteward.registry.jurisdiction.*`` → the local jurisdictions copy (``known_jurisdictions``).
"""

from __future__ import annotations

import uuid

from ecosteward.consumer import Subscription
from ecosteward.events import EventEnvelope
from ecosteward.outbox import UnitOfWork
from services.reporting.domain import due_date
from services.reporting.models import KnownJurisdictionRow, ReportRow


def emit_report_submitted(uow: UnitOfWork, row: ReportRow) -> None:
    uow.emit(
        "report",
        "submitted",
        row.id,
        {
            "id": row.id,
            "jurisdiction_id": row.jurisdiction_id,
            "kind": row.kind,
            "year": row.year,
            "quarter": row.quarter,
            "period": row.period,
            "submitted_at": row.submitted_at,
            "due_on": due_date(row.kind, row.year, row.quarter),
        },
    )


async def on_jurisdiction_changed(uow: UnitOfWork, event: EventEnvelope) -> None:
    """Insert or update the local copy of a jurisdiction (events that omit a field keep the old value)."""
    data = event.data
    jurisdiction_id = uuid.UUID(str(data["id"]))
    row = await uow.session.get(KnownJurisdictionRow, jurisdiction_id)
    if row is None:
        row = KnownJurisdictionRow(id=jurisdiction_id, code="", name="", kind="")
        uow.session.add(row)
    for field in ("code", "name", "kind"):
        if field in data:
            setattr(row, field, str(data[field]))


SUBSCRIPTIONS = [
    Subscription(
        name="jurisdictions",
        source="registry",
        filter_subject="ecosteward.registry.jurisdiction.*",
        handler=on_jurisdiction_changed,
    )
]
