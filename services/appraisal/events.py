"""Appraisal events.

Published (``ecosteward.appraisal.<entity>.<verb>``):
- ``appraisal.created`` — data: id, contract_id, agency_id, jurisdiction_id, period, total_score (decimal
  string, e.g. "87.5"), status
- ``appraisal.finalised`` — same data, status FINAL (installments may now depend on the score)

Consumed: ``ecosteward.registry.contract.*`` → the local contracts copy (``known_contracts``).
"""

from __future__ import annotations

from ecosteward.consumer import Subscription
from ecosteward.local_copies import as_uuid, local_copy_handler
from ecosteward.outbox import UnitOfWork
from services.appraisal.domain import tenths_to_score
from services.appraisal.models import AppraisalRow, KnownContractRow


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


on_contract_changed = local_copy_handler(
    KnownContractRow, "contract", {"agency_id": as_uuid, "jurisdiction_id": as_uuid}
)
"""Insert or update the local copy of a contract (events that omit a field keep the old value)."""


SUBSCRIPTIONS = [
    Subscription(
        name="contracts",
        source="registry",
        filter_subject="ecosteward.registry.contract.*",
        handler=on_contract_changed,
    )
]
