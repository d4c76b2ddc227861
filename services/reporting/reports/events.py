"""Events published by the reports area (``ecosteward.reporting.report.<verb>``).

- ``report.submitted`` — :class:`ReportChanged` (``quarter`` null for an annual report)
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import ClassVar

from ecosteward.event_payloads import PublishedPayload
from services.reporting.reports.domain import due_date
from services.reporting.reports.models import ReportRow


@dataclass(frozen=True)
class ReportChanged(PublishedPayload):
    """reporting.report.* — a jurisdiction's work report (工作报告) was submitted to the bureau."""

    EVENT: ClassVar[str] = "reporting.report"
    VERBS: ClassVar[tuple[str, ...]] = ("submitted",)

    id: uuid.UUID
    jurisdiction_id: uuid.UUID
    kind: str
    year: int
    quarter: int | None
    period: str
    submitted_at: dt.datetime | None
    due_on: dt.date

    @classmethod
    def of(cls, row: ReportRow) -> ReportChanged:
        return cls.from_attributes(row, due_on=due_date(row.kind, row.year, row.quarter))
