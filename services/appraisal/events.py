"""Appraisal events.

Published (``ecosteward.appraisal.<entity>.<verb>``):
- ``appraisal.created`` — data: id, contract_id, agency_id, jurisdiction_id, period, total_score (decimal
  string, e.g. "87.5"), status
- ``appraisal.finalised`` — same data, status FINAL (installments may now depend on the score)

Consumed: ``ecosteward.registry.contract.*`` → the local contracts copy (``known_contracts``).
"""

from __future__ import annotations

import logging
import uuid

from ecosteward.consumer import Subscription
from ecosteward.events import EventEnvelope
from ecosteward.outbox import UnitOfWork
from services.appraisal.domain import tenths_to_score
from services.appraisal.models import AppraisalRow, KnownContractRow

log = logging.getLogger(__name__)


def emit_appraisal(uow: UnitOfWork, verb: str, row: AppraisalRow) -> None:
    """Emit ``appraisal.<verb>`` describing ``row`` as it now stands."""
    uow.emit(
        "appraisal",
        verb,
        row.id,
        {
            "id": row.id,
            "contract_id": row.contract_id,
            "agency_id": row.agency_id,
            "jurisdiction_id": row.jurisdiction_id,
            "period": row.period,
            "total_score": tenths_to_score(row.total_score_tenths),
            "status": row.status,
        },
    )


async def on_contract_changed(uow: UnitOfWork, event: EventEnvelope) -> None:
    """Insert or update the local copy of a contract (events that omit a field keep the old value)."""
    data = event.data
    contract_id = uuid.UUID(str(data["id"]))
    row = await uow.session.get(KnownContractRow, contract_id)
    if row is None:
        if "agency_id" not in data or "jurisdiction_id" not in data:
            log.warning(
                "%s for unknown contract %s lacks agency or jurisdiction; ignored", event.type, contract_id
            )
            return
        uow.session.add(
            KnownContractRow(
                id=contract_id,
                agency_id=uuid.UUID(str(data["agency_id"])),
                jurisdiction_id=uuid.UUID(str(data["jurisdiction_id"])),
            )
        )
        return
    if "agency_id" in data:
        row.agency_id = uuid.UUID(str(data["agency_id"]))
    if "jurisdiction_id" in data:
        row.jurisdiction_id = uuid.UUID(str(data["jurisdiction_id"]))


SUBSCRIPTIONS = [
    Subscription(
        name="contracts",
        source="registry",
        filter_subject="ecosteward.registry.contract.*",
        handler=on_contract_changed,
    )
]
