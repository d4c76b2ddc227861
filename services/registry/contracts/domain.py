"""Contract and filing rules (seed 000 §三(三)): pure functions, no I/O."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from ecosteward.errors import BadUserInput, ValidationFailed, check_transition

FILING_WORKING_DAYS = 10
"""A jurisdiction files a contract within 10 working days after signing (签订后10个工作日内报备)."""
DUE_SOON_WORKING_DAYS = 3
"""The filings inbox calls a pending filing "due soon" within this many working days."""


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


class ServiceMode(StrEnum):
    ON_SITE = "ON_SITE"  # 驻点
    REMOTE = "REMOTE"  # 非驻点


def check_contract_transition(current: ContractStatus, target: ContractStatus) -> None:
    check_transition(CONTRACT_TRANSITIONS, current, target, "A contract", "合同状态")


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


_SHA256 = re.compile(r"[0-9a-f]{64}")


def attachment(name: str, url: str, sha256: str, size: int) -> dict[str, Any]:
    """A contract attachment's metadata as stored, or BAD_USER_INPUT when it is incomplete."""
    if not _SHA256.fullmatch(sha256.lower()) or size < 0 or not name.strip() or "/" in name:
        raise BadUserInput(
            "An attachment needs a file name, a 64-hex SHA-256 and a size (附件信息不完整).",
            field="attachments",
        )
    return {"name": name.strip(), "url": url.strip(), "sha256": sha256.lower(), "size": size}


def catalogue_code(text: str) -> str:
    """A service catalogue code as stored: trimmed, upper case (``b1-8`` → ``B1-8``)."""
    return text.strip().upper()
