"""Events the contracts area publishes: contracts and their filings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from ecosteward.event_payloads import OMITTED, PublishedPayload


@dataclass(frozen=True)
class ContractChanged(PublishedPayload):
    """registry.contract.* — a service contract was drafted, signed (with the filing's due date),
    activated (its filing acknowledged), ended or terminated."""

    EVENT: ClassVar[str] = "registry.contract"
    VERBS: ClassVar[tuple[str, ...]] = ("drafted", "signed", "activated", "ended", "terminated")

    id: uuid.UUID
    title: str
    agency_id: uuid.UUID
    jurisdiction_id: uuid.UUID
    price: Decimal
    starts_on: dt.date
    ends_on: dt.date
    status: str
    service_mode: str
    contracted_tasks: int
    scope_jurisdiction_ids: list[uuid.UUID]
    scope_enterprise_ids: list[uuid.UUID]
    signed_on: dt.date | None
    filing_due_on: dt.date = OMITTED
    filing_due_provisional: bool = OMITTED


@dataclass(frozen=True)
class DeadlineChange:
    """One filing whose due date moved with a calendar correction."""

    filing_id: uuid.UUID
    contract_id: uuid.UUID
    old_due_on: dt.date
    new_due_on: dt.date
    provisional: bool

    def to_data(self) -> dict[str, Any]:
        """The entry of ``calendar.year_confirmed``'s ``changed_filings`` (keys in field order)."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class FilingChanged(PublishedPayload):
    """registry.filing.* — a filing was filed, re-filed, returned (with ``reason``), acknowledged,
    became overdue, or its due date moved with the calendar (``deadline_changed``: the old and new
    due dates)."""

    EVENT: ClassVar[str] = "registry.filing"
    VERBS: ClassVar[tuple[str, ...]] = (
        "filed",
        "refiled",
        "returned",
        "acknowledged",
        "overdue",
        "deadline_changed",
    )

    id: uuid.UUID
    contract_id: uuid.UUID
    jurisdiction_id: uuid.UUID
    agency_id: uuid.UUID
    status: str
    due_on: dt.date
    due_provisional: bool
    first_filed_on: dt.date | None
    filed_late: bool | None
    contract_status: str
    reason: str = OMITTED
    filing_id: uuid.UUID = OMITTED
    old_due_on: dt.date = OMITTED
    new_due_on: dt.date = OMITTED
    provisional: bool = OMITTED
