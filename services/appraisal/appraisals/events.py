"""Events published by the appraisals area (``ecosteward.appraisal.appraisal.<verb>``).

- ``appraisal.created`` — :class:`AppraisalChanged` (a new draft)
- ``appraisal.finalised`` — the same data, status FINAL (installments may now depend on the score)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from ecosteward.event_payloads import PublishedPayload
from services.appraisal.appraisals.domain import tenths_to_score
from services.appraisal.appraisals.models import AppraisalRow


@dataclass(frozen=True)
class AppraisalChanged(PublishedPayload):
    """appraisal.appraisal.* — an appraisal as it now stands (``total_score`` a decimal string, "87.5")."""

    EVENT: ClassVar[str] = "appraisal.appraisal"
    VERBS: ClassVar[tuple[str, ...]] = ("created", "finalised")

    id: uuid.UUID
    contract_id: uuid.UUID
    agency_id: uuid.UUID
    jurisdiction_id: uuid.UUID
    period: str
    total_score: Decimal
    status: str

    @classmethod
    def of(cls, row: AppraisalRow) -> AppraisalChanged:
        return cls.from_attributes(
            row, total_score=tenths_to_score(row.total_score_tenths), status=str(row.status)
        )
