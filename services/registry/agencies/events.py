"""Events the agencies area publishes (the accounts area consumes some of them)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import ClassVar

from ecosteward.event_payloads import OMITTED, PublishedPayload


@dataclass(frozen=True)
class AgencyChanged(PublishedPayload):
    """registry.agency.* — an agency applied, changed, moved in the admission workflow, slipped or
    recovered (noncompliant/compliant), or was listed on (delisted from) a credit blacklist.

    Status changes add ``reason`` and ``from_status``, ``noncompliant`` adds ``unmet_rules``; the
    credit listing verbs carry only ``agency_id`` and the listing's fields.
    """

    EVENT: ClassVar[str] = "registry.agency"
    VERBS: ClassVar[tuple[str, ...]] = (
        "registered",
        "updated",
        "admitted",
        "refused",
        "suspended",
        "removed",
        "reapplied",
        "noncompliant",
        "compliant",
        "credit_listed",
        "credit_delisted",
    )

    id: uuid.UUID = OMITTED
    name: str = OMITTED
    credit_code: str = OMITTED
    status: str = OMITTED
    admin_username: str = OMITTED
    admin_email: str | None = OMITTED
    reason: str = OMITTED
    from_status: str = OMITTED
    unmet_rules: list[str] = OMITTED
    agency_id: uuid.UUID = OMITTED
    source: str = OMITTED
    listed_on: dt.date = OMITTED
    delisted_on: dt.date = OMITTED
