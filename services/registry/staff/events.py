"""Events the staff area publishes (the accounts area consumes them)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import ClassVar

from ecosteward.event_payloads import PublishedPayload


@dataclass(frozen=True)
class StaffChanged(PublishedPayload):
    """registry.staff.added|updated|left — a staff file changed."""

    EVENT: ClassVar[str] = "registry.staff"
    VERBS: ClassVar[tuple[str, ...]] = ("added", "updated", "left")

    id: uuid.UUID
    agency_id: uuid.UUID
    name: str
    username: str
    email: str | None
    left_on: dt.date | None
