"""Events the jurisdictions area publishes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from ecosteward.event_payloads import PublishedPayload


@dataclass(frozen=True)
class JurisdictionChanged(PublishedPayload):
    """registry.jurisdiction.created — a managing unit joined the directory."""

    EVENT: ClassVar[str] = "registry.jurisdiction"
    VERBS: ClassVar[tuple[str, ...]] = ("created",)

    id: uuid.UUID
    code: str
    name: str
    kind: str
