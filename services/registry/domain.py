"""Registry rules: pure functions, no I/O (seed 004 §4 admission rules, seed 000 §三(三) filing)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from ecosteward.errors import Conflict, ValidationFailed


class JurisdictionKind(StrEnum):
    DISTRICT = "DISTRICT"
    TOWN = "TOWN"  # 镇
    STREET = "STREET"  # 街道
    PARK = "PARK"  # 园区管委会


JURISDICTION_KINDS = tuple(k.value for k in JurisdictionKind)
JURISDICTION_CODE = re.compile(r"^[0-9A-Za-z-]{2,32}$")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FILING_WORKING_DAYS = 10
"""A jurisdiction files a contract within 10 working days after signing (签订后10个工作日内报备)."""
DUE_SOON_WORKING_DAYS = 3
"""The filings inbox calls a pending filing "due soon" within this many working days."""
MAX_WORKING_DAYS = 3650
"""The most working days a question may count ahead (``addWorkingDays``, ``dueWithinWorkingDays``)."""
CALENDAR_YEARS = range(2000, 2101)
"""Years the working-day calendar answers for (asking, correcting or confirming)."""


class Title(StrEnum):
    """Technical title (技术职称)."""

    NONE = "NONE"
    JUNIOR = "JUNIOR"  # 初级
    INTERMEDIATE = "INTERMEDIATE"  # 中级
    ASSOCIATE_SENIOR = "ASSOCIATE_SENIOR"  # 副高级
    SENIOR = "SENIOR"  # 正高级


SENIOR_OR_HIGHER = frozenset({Title.ASSOCIATE_SENIOR, Title.SENIOR})
"""高级及以上: both the associate senior (副高) and the full senior (正高) title are senior titles."""

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


class ContractStatus(StrEnum):
    DRAFT = "DRAFT"
    SIGNED = "SIGNED"
    FILED = "FILED"
    RETURNED = "RETURNED"
    ACTIVE = "ACTIVE"
    ENDED = "ENDED"
    TERMINATED = "TERMINATED"


CONTRACT_TRANSITIONS: dict[ContractStatus, frozenset[ContractStatus]] = {
    ContractStatus.DRAFT: frozenset({ContractStatus.SIGNED, ContractStatus.TERMINATED}),
    ContractStatus.SIGNED: frozenset({ContractStatus.FILED, ContractStatus.TERMINATED}),
    ContractStatus.FILED: frozenset(
        {ContractStatus.RETURNED, ContractStatus.ACTIVE, ContractStatus.TERMINATED}
    ),
    ContractStatus.RETURNED: frozenset({ContractStatus.FILED, ContractStatus.TERMINATED}),
    ContractStatus.ACTIVE: frozenset({ContractStatus.ENDED, ContractStatus.TERMINATED}),
    ContractStatus.ENDED: frozenset(),
    ContractStatus.TERMINATED: frozenset(),
}


class FilingStatus(StrEnum):
    PENDING = "PENDING"  # signed, not filed yet
    FILED = "FILED"
    RETURNED = "RETURNED"  # returned for correction (退回补正)
    ACKNOWLEDGED = "ACKNOWLEDGED"
    CANCELLED = "CANCELLED"  # the contract was terminated before it was filed


class FilingStanding(StrEnum):
    """Where a filing stands against its due date, as the bureau's inbox shows it."""

    AWAITING = "AWAITING"
    DUE_SOON = "DUE_SOON"
    OVERDUE = "OVERDUE"
    FILED_ON_TIME = "FILED_ON_TIME"
    FILED_LATE = "FILED_LATE"
    CANCELLED = "CANCELLED"  # contract terminated before filing: nothing owed


class StaffRecordKind(StrEnum):
    EDUCATION = "EDUCATION"  # 继续教育
    EVALUATION = "EVALUATION"  # 考评


class ServiceMode(StrEnum):
    ON_SITE = "ON_SITE"  # 驻点
    REMOTE = "REMOTE"  # 非驻点


# ------------------------------------------------------------------------------ admission rules


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


def staff_active(joined_on: dt.date, left_on: dt.date | None, on: dt.date) -> bool:
    return joined_on <= on and (left_on is None or left_on > on)


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
    if target not in AGENCY_TRANSITIONS[current]:
        raise Conflict(
            f"An agency cannot go from {current.value} to {target.value} (状态不允许).",
            code="INVALID_TRANSITION",
            current=current.value,
        )


def check_contract_transition(current: ContractStatus, target: ContractStatus) -> None:
    if target not in CONTRACT_TRANSITIONS[current]:
        raise Conflict(
            f"A contract cannot go from {current.value} to {target.value} (合同状态不允许).",
            code="INVALID_TRANSITION",
            current=current.value,
        )


# ------------------------------------------------------------------------------ work permits


def permit_valid_on(valid_from: dt.date, valid_to: dt.date, revoked_on: dt.date | None, day: dt.date) -> bool:
    """A permit is valid from its first to its last day inclusive, unless revoked on or before ``day``."""
    if revoked_on is not None and revoked_on <= day:
        return False
    return valid_from <= day <= valid_to


def permit_violations(valid_from: dt.date, valid_to: dt.date) -> list[dict[str, str]]:
    if valid_to < valid_from:
        return [{"field": "validTo", "message": "The permit ends before it starts (有效期有误)."}]
    if (valid_to - valid_from).days > 5 * 366:
        return [
            {"field": "validTo", "message": "A permit is valid for at most 5 years (工作证有效期最长 5 年)."}
        ]
    return []


# ------------------------------------------------------------------------------ contracts


def contract_violations(
    price: Decimal, starts_on: dt.date, ends_on: dt.date, contracted_tasks: int
) -> list[dict[str, str]]:
    """What is wrong with a contract's terms (empty when they are acceptable)."""
    problems: list[dict[str, str]] = []
    try:
        exact = price == price.quantize(Decimal("0.01"))
    except InvalidOperation:
        exact = False
    if not price.is_finite() or price <= 0:
        problems.append(
            {"field": "price", "message": "The price must be a positive amount in CNY (合同金额须为正数)."}
        )
    elif not exact:
        problems.append({"field": "price", "message": "The price has at most two decimal places (精确到分)."})
    elif price >= Decimal("10000000000000000"):
        problems.append({"field": "price", "message": "The price is too large (金额过大)."})
    if ends_on < starts_on:
        problems.append({"field": "endsOn", "message": "The term ends before it starts (合同期限有误)."})
    if contracted_tasks < 0:
        problems.append(
            {
                "field": "contractedTasks",
                "message": "The number of contracted tasks cannot be negative (任务数不能为负).",
            }
        )
    return problems


def scope_violations(
    jurisdiction_ids: Sequence[object], enterprise_ids: Sequence[object]
) -> list[dict[str, str]]:
    if not jurisdiction_ids and not enterprise_ids:
        return [
            {
                "field": "scope",
                "message": "Name the jurisdictions and/or the enterprises served (服务范围不能为空).",
            }
        ]
    return []


@dataclass(frozen=True)
class ScopeOffence:
    """Why a contract's scope reaches outside its managing department (超出管辖范围)."""

    jurisdiction_ids: tuple[uuid.UUID, ...]
    """Scope jurisdictions that are unknown or not the managing department's."""
    enterprise_ids: tuple[uuid.UUID, ...]
    """Scope enterprises that are unknown to the registry or lie in another jurisdiction."""

    def __bool__(self) -> bool:
        return bool(self.jurisdiction_ids or self.enterprise_ids)


def scope_offence(
    managing_id: uuid.UUID,
    whole_district: bool,
    scope_jurisdiction_ids: Iterable[uuid.UUID],
    scope_enterprise_ids: Iterable[uuid.UUID],
    known_jurisdictions: Collection[uuid.UUID],
    enterprise_jurisdictions: Mapping[uuid.UUID, uuid.UUID],
) -> ScopeOffence:
    """The scope ids outside the managing department's jurisdiction (empty when the scope fits).

    A contract's scope lies inside its managing department's jurisdiction: the district bureau's is
    the whole district, a town's (street's, park's) is itself. ``enterprise_jurisdictions`` maps each
    enterprise the registry knows of to its jurisdiction; an enterprise it does not know of offends,
    so an id cannot be smuggled in before the archive has announced it.
    """

    def inside(jurisdiction_id: uuid.UUID | None) -> bool:
        if jurisdiction_id is None or jurisdiction_id not in known_jurisdictions:
            return False
        return whole_district or jurisdiction_id == managing_id

    bad_jurisdictions = sorted({j for j in scope_jurisdiction_ids if not inside(j)})
    bad_enterprises = sorted({e for e in scope_enterprise_ids if not inside(enterprise_jurisdictions.get(e))})
    return ScopeOffence(tuple(bad_jurisdictions), tuple(bad_enterprises))


def scope_offence_violations(offence: ScopeOffence, managing_name: str) -> list[dict[str, str]]:
    """One violation per offending id, for ``VALIDATION_FAILED``'s ``extensions.violations``."""
    where = f"the jurisdiction of {managing_name}" if managing_name else "the managing jurisdiction"
    return [
        {
            "field": "scopeJurisdictionIds",
            "id": str(j),
            "message": f"Jurisdiction {j} is outside {where} (超出管辖范围).",
        }
        for j in offence.jurisdiction_ids
    ] + [
        {
            "field": "scopeEnterpriseIds",
            "id": str(e),
            "message": f"Enterprise {e} is unknown or outside {where} (企业不在本辖区).",
        }
        for e in offence.enterprise_ids
    ]


def contract_covers(
    enterprise_id: uuid.UUID,
    enterprise_jurisdiction_id: uuid.UUID,
    managing_id: uuid.UUID,
    whole_district: bool,
    scope_jurisdiction_ids: Collection[uuid.UUID],
    scope_enterprise_ids: Collection[uuid.UUID],
) -> bool:
    """Whether a contract's scope covers an enterprise — never beyond its managing jurisdiction.

    Covered: named explicitly (分片区) or its jurisdiction served as a whole; either way only when
    the enterprise lies in the managing department's jurisdiction, so a bad scope grants nothing.
    """
    if not (whole_district or enterprise_jurisdiction_id == managing_id):
        return False
    return enterprise_id in scope_enterprise_ids or enterprise_jurisdiction_id in scope_jurisdiction_ids


def check_contract_terms(price: Decimal, starts_on: dt.date, ends_on: dt.date, contracted_tasks: int) -> None:
    problems = contract_violations(price, starts_on, ends_on, contracted_tasks)
    if problems:
        raise ValidationFailed("The contract terms are not acceptable (合同信息有误).", problems)


# ------------------------------------------------------------------------------ filings


def filing_standing(
    due_on: dt.date,
    first_filed_on: dt.date | None,
    today: dt.date,
    working_days_left: int,
    cancelled: bool = False,
) -> FilingStanding:
    """Where a filing stands. ``working_days_left`` = working days in (today, due_on]."""
    if cancelled and first_filed_on is None:
        return FilingStanding.CANCELLED
    if first_filed_on is not None:
        return FilingStanding.FILED_LATE if first_filed_on > due_on else FilingStanding.FILED_ON_TIME
    if today > due_on:
        return FilingStanding.OVERDUE
    if working_days_left <= DUE_SOON_WORKING_DAYS:
        return FilingStanding.DUE_SOON
    return FilingStanding.AWAITING
