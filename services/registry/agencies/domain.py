"""Admission rules of the agency database (seed 004 §4): pure functions, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ecosteward.errors import check_transition
from services.registry.staff.domain import SENIOR_OR_HIGHER, Title

MIN_PROFESSIONALS = 5
MIN_SENIOR_PROFESSIONALS = 2


class AgencyStatus(StrEnum):
    APPLIED = "APPLIED"
    ADMITTED = "ADMITTED"
    REFUSED = "REFUSED"
    SUSPENDED = "SUSPENDED"
    REMOVED = "REMOVED"


AGENCY_TRANSITIONS: dict[AgencyStatus, frozenset[AgencyStatus]] = {
    AgencyStatus.APPLIED: frozenset({AgencyStatus.ADMITTED, AgencyStatus.REFUSED}),
    AgencyStatus.REFUSED: frozenset({AgencyStatus.APPLIED}),
    AgencyStatus.ADMITTED: frozenset({AgencyStatus.SUSPENDED, AgencyStatus.REMOVED}),
    AgencyStatus.SUSPENDED: frozenset({AgencyStatus.ADMITTED, AgencyStatus.REMOVED}),
    AgencyStatus.REMOVED: frozenset(),
}
"""Admission workflow (入库备案): removal is final; a refused agency may apply again."""


@dataclass(frozen=True)
class StaffFacts:
    """What the admission rules need to know about one staff member."""

    professional: bool
    title: Title
    quality_manager: bool
    active: bool


@dataclass(frozen=True)
class RuleFailure:
    """One unmet admission rule, with a stable code and a human message."""

    code: str
    message: str


def admission_failures(blacklisted: bool, staff: Sequence[StaffFacts]) -> list[RuleFailure]:
    """Every unmet admission rule of seed 004 §4 (empty when the agency may be admitted)."""
    failures: list[RuleFailure] = []
    if blacklisted:
        failures.append(
            RuleFailure("CREDIT_BLACKLISTED", "The agency is on a credit blacklist (被列入失信名单).")
        )
    active = [s for s in staff if s.active]
    professionals = [s for s in active if s.professional]
    if len(professionals) < MIN_PROFESSIONALS:
        failures.append(
            RuleFailure(
                "TOO_FEW_PROFESSIONALS",
                f"At least {MIN_PROFESSIONALS} professional staff are required, it has {len(professionals)} "
                "(专业技术人员不少于5名).",
            )
        )
    seniors = [s for s in professionals if s.title in SENIOR_OR_HIGHER]
    if len(seniors) < MIN_SENIOR_PROFESSIONALS:
        failures.append(
            RuleFailure(
                "TOO_FEW_SENIOR_TITLES",
                f"At least {MIN_SENIOR_PROFESSIONALS} professionals with a senior or higher title are required, "
                f"it has {len(seniors)} (高级及以上职称不少于2名).",
            )
        )
    managers = [s for s in active if s.quality_manager]
    if len(managers) != 1:
        failures.append(
            RuleFailure(
                "QUALITY_MANAGER",
                f"Exactly one quality manager must be named, it has {len(managers)} (须指定1名质量负责人).",
            )
        )
    return failures


def listing_active(listed_on: dt.date, delisted_on: dt.date | None, on: dt.date) -> bool:
    """Whether a blacklist listing is in force on ``on``."""
    return listed_on <= on and (delisted_on is None or delisted_on > on)


def check_agency_transition(current: AgencyStatus, target: AgencyStatus) -> None:
    check_transition(AGENCY_TRANSITIONS, current, target, "An agency")
