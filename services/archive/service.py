"""Enterprise use cases (the archive core): register, update, change status — one unit of work each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ecosteward.auth import Principal
from ecosteward.db import utcnow
from ecosteward.errors import BadUserInput, Conflict, ValidationFailed
from ecosteward.identifiers import credit_code_problem, normalise_credit_code
from ecosteward.outbox import UnitOfWork
from ecosteward.repository import get_live
from services.archive import domain
from services.archive.models import EnterpriseRow, EnterpriseStatusChangeRow, KnownJurisdictionRow


@dataclass
class EnterpriseInput:
    credit_code: str
    name: str
    jurisdiction_id: uuid.UUID
    permit_category: str
    address: str = ""
    industry_code: str = ""
    latitude: float | None = None
    longitude: float | None = None


def enterprise_event(row: EnterpriseRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "credit_code": row.credit_code,
        "name": row.name,
        "jurisdiction_id": row.jurisdiction_id,
        "industry_code": row.industry_code,
        "permit_category": row.permit_category,
        "status": row.status,
        "latitude": row.latitude,
        "longitude": row.longitude,
    }


def master_data_problems(
    name: str, industry_code: str, latitude: float | None, longitude: float | None
) -> list[dict[str, str]]:
    problems = []
    if not name.strip():
        problems.append({"field": "name", "message": "A name is required (须填写名称)."})
    if (
        industry_code.strip()
        and (problem := domain.industry_code_problem(industry_code.strip().upper())) is not None
    ):
        problems.append({"field": "industryCode", "message": f"{problem[1]} ({problem[0]})"})
    if (position := domain.coordinates_problem(latitude, longitude)) is not None:
        problems.append({"field": "latitude", "message": position})
    return problems


async def register_enterprise(
    uow: UnitOfWork, user: Principal, data: EnterpriseInput, enterprise_id: uuid.UUID | None = None
) -> EnterpriseRow:
    code = normalise_credit_code(data.credit_code)
    problems = []
    if (problem := credit_code_problem(code)) is not None:
        problems.append({"field": "creditCode", "message": problem})
    problems += master_data_problems(data.name, data.industry_code, data.latitude, data.longitude)
    if problems:
        raise ValidationFailed("The enterprise is not valid (企业信息有误).", problems)
    session = uow.session
    if await session.get(KnownJurisdictionRow, data.jurisdiction_id) is None:
        raise BadUserInput(
            "Unknown jurisdiction: the registry has not announced it (辖区不存在).",
            code="UNKNOWN_JURISDICTION",
            field="jurisdictionId",
        )
    if await session.scalar(sa.select(EnterpriseRow.id).where(EnterpriseRow.credit_code == code)) is not None:
        raise Conflict(
            f"An enterprise with credit code {code} is already registered (重复登记).", field="creditCode"
        )
    now = utcnow()
    row = EnterpriseRow(
        id=enterprise_id or uuid.uuid4(),
        credit_code=code,
        name=data.name.strip(),
        address=data.address.strip(),
        jurisdiction_id=data.jurisdiction_id,
        industry_code=domain.canonical_industry_code(data.industry_code.strip().upper()),
        latitude=data.latitude,
        longitude=data.longitude,
        permit_category=data.permit_category,
        status="OPERATING",
        status_changed_at=now,
        key_source=False,
    )
    session.add(row)
    await session.flush()
    session.add(
        EnterpriseStatusChangeRow(
            enterprise_id=row.id,
            from_status=None,
            to_status="OPERATING",
            reason="registered",
            changed_at=now,
            changed_by=user.username,
        )
    )
    uow.emit("enterprise", "registered", row.id, enterprise_event(row))
    await _classify(uow, row.id)
    return row


async def _classify(uow: UnitOfWork, enterprise_id: uuid.UUID) -> None:
    """Let the classification area evaluate a new or changed source, when it is installed."""
    import importlib

    try:
        classification = importlib.import_module("services.archive.classification.service")
    except ModuleNotFoundError:
        return
    evaluate = getattr(classification, "evaluate", None)
    if evaluate is not None:
        from ecosteward.clock import china_today

        await evaluate(uow, enterprise_id, china_today())


async def update_enterprise(
    uow: UnitOfWork, enterprise_id: uuid.UUID, changes: dict[str, Any]
) -> EnterpriseRow:
    row = await get_live(uow.session, EnterpriseRow, enterprise_id, "Enterprise")
    merged: dict[str, Any] = {
        "name": row.name,
        "industry_code": row.industry_code,
        "latitude": row.latitude,
        "longitude": row.longitude,
    }
    merged.update({k: v for k, v in changes.items() if v is not None and k in merged})
    problems = master_data_problems(
        merged["name"], merged["industry_code"], merged["latitude"], merged["longitude"]
    )
    if problems:
        raise ValidationFailed("The enterprise is not valid (企业信息有误).", problems)
    for key, value in changes.items():
        if value is None:
            continue
        setattr(row, key, value.strip() if isinstance(value, str) else value)
    row.industry_code = domain.canonical_industry_code(row.industry_code.upper())
    uow.emit("enterprise", "updated", row.id, enterprise_event(row))
    if "permit_category" in changes and changes["permit_category"] is not None:
        await _classify(uow, row.id)
    return row


async def change_status(
    uow: UnitOfWork, user: Principal, enterprise_id: uuid.UUID, status: str, reason: str
) -> EnterpriseRow:
    row = await get_live(uow.session, EnterpriseRow, enterprise_id, "Enterprise")
    if status not in domain.STATUS_TRANSITIONS[row.status]:
        raise Conflict(
            f"A source cannot go from {row.status} to {status} (状态不允许).",
            code="INVALID_TRANSITION",
            current=row.status,
        )
    if not reason.strip():
        raise ValidationFailed(
            "A reason is required (须填写原因).",
            [{"field": "reason", "message": "A reason is required (须填写原因)."}],
        )
    now = utcnow()
    uow.session.add(
        EnterpriseStatusChangeRow(
            enterprise_id=row.id,
            from_status=row.status,
            to_status=status,
            reason=reason.strip(),
            changed_at=now,
            changed_by=user.username,
        )
    )
    previous, row.status, row.status_changed_at = row.status, status, now
    uow.emit(
        "enterprise",
        "status_changed",
        row.id,
        {**enterprise_event(row), "from_status": previous, "reason": reason.strip()},
    )
    return row
