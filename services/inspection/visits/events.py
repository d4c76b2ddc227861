"""Events published by the visits area (``ecosteward.inspection.<entity>.<verb>``).

- ``inspection.recorded`` — :class:`InspectionChanged`
- ``finding.recorded`` — :class:`FindingChanged` (``deadline`` null unless set)
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import ClassVar

from ecosteward.event_payloads import PublishedPayload


@dataclass(frozen=True)
class InspectionChanged(PublishedPayload):
    """inspection.inspection.* — an on-site visit (现场检查) was recorded."""

    EVENT: ClassVar[str] = "inspection.inspection"
    VERBS: ClassVar[tuple[str, ...]] = ("recorded",)

    id: uuid.UUID
    enterprise_id: uuid.UUID
    agency_id: uuid.UUID
    jurisdiction_id: uuid.UUID
    inspector_username: str
    visited_on: dt.date


@dataclass(frozen=True)
class FindingChanged(PublishedPayload):
    """inspection.finding.* — a problem or hazard (问题隐患) was recorded on a visit."""

    EVENT: ClassVar[str] = "inspection.finding"
    VERBS: ClassVar[tuple[str, ...]] = ("recorded",)

    id: uuid.UUID
    inspection_id: uuid.UUID
    enterprise_id: uuid.UUID
    agency_id: uuid.UUID
    jurisdiction_id: uuid.UUID
    category: str
    handling_class: str
    deadline: dt.date | None = None
