"""Visit rules (现场检查与问题隐患): what a visit and a finding must satisfy, and the field-work rule.

Pure: no I/O, no clock (``today`` is a parameter), no framework. Who may do what is in ``../access.py``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from ecosteward.errors import Forbidden, NotFound, ValidationFailed

FINDING_CATEGORIES: dict[str, str] = {
    "PERMITS_AND_PROCEDURES": "1 环保手续合规情况",
    "PRODUCTION_STATUS": "2 基本生产状况",
    "SELF_MONITORING": "3 自行监测情况",
    "ENVIRONMENTAL_LEDGERS": "4 环境管理台账记录情况",
    "INFORMATION_DISCLOSURE": "5 企业环境信息依法披露情况",
    "EMERGENCY_MANAGEMENT": "6 突发环境事件应急管理情况",
    "INTERNAL_MANAGEMENT": "7 内部环境管理体系建设与运行情况",
    "WASTE_GAS_FACILITIES": "8 废气污染防治设施建设运行情况",
    "WASTE_WATER_FACILITIES": "9 废水污染防治设施建设运行情况",
    "SOLID_AND_HAZARDOUS_WASTE": "10 固体废物规范化管理情况",
    "SOIL_POLLUTION_HAZARDS": "11 土壤污染隐患排查情况",
}
"""The 11 survey categories of seed 004 table B-2 (企业环保状况调查工作要点), in table order."""

HANDLING_CLASSES: dict[str, str] = {
    "IMMEDIATE_FIX": "即知即改",
    "FIX_BY_DEADLINE": "限期整改",
    "MAJOR": "重大问题",
}
"""How a finding is handled (seed 003); a major problem goes to special assistance and enforcement."""


class InspectionStatus(StrEnum):
    """State of an inspection record."""

    RECORDED = "RECORDED"


class FindingStatus(StrEnum):
    """Where a finding is in its closed loop (闭环状态).

    Only the first step exists yet: found → notified → rectifying → … closed.
    """

    FOUND = "FOUND"


MAX_TEXT = 4000
MAX_LEGAL_BASIS = 1000


def _text_problem(value: str, field: str, label: str, limit: int, required: bool) -> dict[str, str] | None:
    if required and not value.strip():
        return {"field": field, "message": f"{label} is required (必填)."}
    if len(value) > limit:
        return {"field": field, "message": f"{label} has at most {limit} characters (内容过长)."}
    return None


def visit_violations(visited_on: dt.date, today: dt.date, summary: str) -> list[dict[str, str]]:
    """What is wrong with a visit record (empty when it is acceptable)."""
    problems: list[dict[str, str]] = []
    if visited_on > today:
        problems.append(
            {"field": "visitedOn", "message": "A visit cannot be recorded before it happens (日期在未来)."}
        )
    if (problem := _text_problem(summary, "summary", "A summary", MAX_TEXT, required=True)) is not None:
        problems.append(problem)
    return problems


def finding_violations(
    handling_class: str,
    deadline: dt.date | None,
    visited_on: dt.date,
    description: str,
    legal_basis: str,
) -> list[dict[str, str]]:
    """What is wrong with a finding (empty when it is acceptable).

    A fix-by-deadline finding (限期整改) needs a deadline; an immediate fix (即知即改) is corrected
    on the spot and takes none; a major problem may carry one. No deadline precedes the visit.
    """
    problems: list[dict[str, str]] = []
    if handling_class == "FIX_BY_DEADLINE" and deadline is None:
        problems.append(
            {"field": "deadline", "message": "A fix-by-deadline finding needs a deadline (限期整改须有期限)."}
        )
    if handling_class == "IMMEDIATE_FIX" and deadline is not None:
        problems.append(
            {"field": "deadline", "message": "An immediate fix takes no deadline (即知即改无需期限)."}
        )
    elif deadline is not None and deadline < visited_on:
        problems.append(
            {"field": "deadline", "message": "The deadline is before the visit (期限早于检查日期)."}
        )
    if (problem := _text_problem(description, "description", "A description", MAX_TEXT, True)) is not None:
        problems.append(problem)
    if (
        problem := _text_problem(legal_basis, "legalBasis", "The legal basis", MAX_LEGAL_BASIS, False)
    ) is not None:
        problems.append(problem)
    return problems


def check_visit(visited_on: dt.date, today: dt.date, summary: str) -> None:
    problems = visit_violations(visited_on, today, summary)
    if problems:
        raise ValidationFailed("The inspection is not valid (检查记录有误).", problems)


def check_finding(
    handling_class: str, deadline: dt.date | None, visited_on: dt.date, description: str, legal_basis: str
) -> None:
    problems = finding_violations(handling_class, deadline, visited_on, description, legal_basis)
    if problems:
        raise ValidationFailed("The finding is not valid (问题记录有误).", problems)


# ------------------------------------------------------------------------------ field-work rule


LIVE_CONTRACT_STATES = ("SIGNED", "FILED", "RETURNED", "ACTIVE")
"""A contract allows field work from signing until it ends or is terminated (as in the archive)."""

DISTRICT_KIND = "DISTRICT"
"""The district (区) manages every enterprise; any other unit only its own."""


@dataclass(frozen=True)
class ContractScope:
    """What one service contract (委托合同) lets its agency work on."""

    agency_id: uuid.UUID
    managing_jurisdiction_id: uuid.UUID
    managed_by_district: bool
    status: str
    starts_on: dt.date
    ends_on: dt.date
    jurisdiction_ids: frozenset[uuid.UUID]
    enterprise_ids: frozenset[uuid.UUID]

    @property
    def live(self) -> bool:
        return self.status in LIVE_CONTRACT_STATES

    def covers(self, enterprise_id: uuid.UUID, jurisdiction_id: uuid.UUID) -> bool:
        """Whether the scope names the enterprise (itself or its jurisdiction) *and* it lies in the
        managing jurisdiction: a scope reaching beyond its managing unit never widens access."""
        named = enterprise_id in self.enterprise_ids or jurisdiction_id in self.jurisdiction_ids
        managed = self.managed_by_district or jurisdiction_id == self.managing_jurisdiction_id
        return named and managed

    def in_term(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class Permit:
    """A work permit (工作证) as far as the rule needs it."""

    valid_from: dt.date
    valid_to: dt.date
    revoked_on: dt.date | None = None

    def valid_on(self, day: dt.date) -> bool:
        """Valid from its first to its last day inclusive, unless revoked on or before ``day``."""
        if self.revoked_on is not None and self.revoked_on <= day:
            return False
        return self.valid_from <= day <= self.valid_to


def enterprise_not_found(enterprise_id: uuid.UUID) -> NotFound:
    """The one answer for an unknown enterprise and one the caller may not see (ids cannot be probed)."""
    return NotFound(f"Enterprise {enterprise_id} does not exist (企业不存在).", id=str(enterprise_id))


def covering_contracts(
    contracts: Iterable[ContractScope],
    agency_id: uuid.UUID,
    enterprise_id: uuid.UUID,
    jurisdiction_id: uuid.UUID,
) -> list[ContractScope]:
    """The agency's live contracts whose (bounded) scope covers the enterprise."""
    return [
        c
        for c in contracts
        if c.agency_id == agency_id and c.live and c.covers(enterprise_id, jurisdiction_id)
    ]


def agency_sees_enterprise(
    contracts: Iterable[ContractScope],
    agency_id: uuid.UUID,
    enterprise_id: uuid.UUID,
    jurisdiction_id: uuid.UUID,
) -> bool:
    """The archive's rule for agency users: a live contract of their agency covers the enterprise."""
    return bool(covering_contracts(contracts, agency_id, enterprise_id, jurisdiction_id))


def check_field_work(
    agency_id: uuid.UUID,
    enterprise_id: uuid.UUID,
    jurisdiction_id: uuid.UUID,
    day: dt.date,
    contracts: Iterable[ContractScope],
    permits: Iterable[Permit],
    *,
    hide_unseen: bool = True,
) -> None:
    """The rule for field work by an agency (现场工作): contract scope, then the person's work permit.

    - no live contract of the agency covers the enterprise: NOT_FOUND (``hide_unseen``: the enterprise
      is invisible to the caller, and an unknown id answers the same) or OUT_OF_CONTRACT_SCOPE;
    - none of those contracts runs on ``day``: OUT_OF_CONTRACT_SCOPE;
    - none of the caller's permits is valid on ``day``: PERMIT_INVALID.
    """
    covering = covering_contracts(contracts, agency_id, enterprise_id, jurisdiction_id)
    if not covering and hide_unseen:
        raise enterprise_not_found(enterprise_id)
    if not any(c.in_term(day) for c in covering):
        raise Forbidden(
            f"No signed contract of your agency covers this enterprise on {day.isoformat()} "
            "(不在本机构有效委托合同范围内).",
            code="OUT_OF_CONTRACT_SCOPE",
        )
    if not any(p.valid_on(day) for p in permits):
        raise Forbidden(
            f"You hold no valid work permit on {day.isoformat()} (无有效工作证，不得开展现场工作).",
            code="PERMIT_INVALID",
        )
