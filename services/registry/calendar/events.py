"""Events the calendar area publishes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar

from ecosteward.event_payloads import OMITTED, PublishedPayload


@dataclass(frozen=True)
class CalendarChanged(PublishedPayload):
    """registry.calendar.day_set|day_removed|year_confirmed; a confirmation lists the filings whose
    due date moved (``changed_filings``)."""

    EVENT: ClassVar[str] = "registry.calendar"
    VERBS: ClassVar[tuple[str, ...]] = ("day_set", "day_removed", "year_confirmed")

    day: dt.date = OMITTED
    kind: str = OMITTED
    name: str = OMITTED
    year: int = OMITTED
    changed_filings: list[dict[str, Any]] = OMITTED
    holiday_entries: int | None = OMITTED
    override_reason: str = OMITTED
