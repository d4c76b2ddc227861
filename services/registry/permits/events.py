"""Events the permits area publishes (the inspection service refuses visits without a valid permit)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import ClassVar

from ecosteward.event_payloads import OMITTED, PublishedPayload


@dataclass(frozen=True)
class PermitChanged(PublishedPayload):
    """registry.permit.issued|revoked|expired; a revocation adds its ``reason``."""

    EVENT: ClassVar[str] = "registry.permit"
    VERBS: ClassVar[tuple[str, ...]] = ("issued", "revoked", "expired")

    id: uuid.UUID
    number: str
    staff_id: uuid.UUID
    staff_username: str
    agency_id: uuid.UUID
    valid_from: dt.date
    valid_to: dt.date
    revoked_on: dt.date | None
    reason: str = OMITTED
