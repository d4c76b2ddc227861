"""Enterprise use cases (排污单位): register, update, change status — each inside the caller's unit of work.

Every write checks the caller's right through :mod:`services.archive.access`, records the change,
publishes :class:`~services.archive.enterprises.events.EnterpriseChanged` and lets the classification
area evaluate a new source or a changed permit category.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from ecosteward.db import utcnow
from ecosteward.errors import BadUserInput, Conflict, ValidationFailed, check_transition
from ecosteward.identifiers import credit_code_problem, normalise_credit_code
from ecosteward.identity import Principal
from ecosteward.outbox import UnitOfWork
from services.archive import access
from services.archive.classification import service as classification
from services.archive.copies import KnownJurisdictionRow
from services.archive.enterprises import domain
from services.archive.enterprises.domain import PermitCategory, SourceStatus
from services.archive.enterprises.events import EnterpriseChanged
from services.archive.enterprises.models import EnterpriseRow, EnterpriseStatusChangeRow


@dataclass
class EnterpriseInput:
    credit_code: str
    name: str
    jurisdiction_id: uuid.UUID
    permit_category: PermitCategory
    address: str = ""
    industry_code: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class EnterpriseChanges:
    """Changes to a source's master data; ``None`` leaves a field as it is."""

    name: str | None = None
    address: str | None = None
    industry_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    permit_category: PermitCategory | None = None


async def register_enterprise(
    uow: UnitOfWork,
    actor: Principal,
    data: EnterpriseInput,
    today: dt.date,
    enterprise_id: uuid.UUID | None = None,
) -> EnterpriseRow:
    """Register a pollution source (the bureau anywhere, a town in its own jurisdiction)."""
    access.check_can_register(actor, data.jurisdiction_id)
    code = normalise_credit_code(data.credit_code)
    problems = []
    if (problem := credit_code_problem(code)) is not None:
        problems.append({"field": "creditCode", "message": problem})
    problems += domain.master_data_problems(data.name, data.industry_code, data.latitude, data.longitude)
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
        permit_category=PermitCategory(data.permit_category).value,
        status=domain.REGISTERED_STATUS.value,
        status_changed_at=now,
        key_source=False,
    )
    session.add(row)
    await session.flush()
    session.add(
        EnterpriseStatusChangeRow.of(
            row.id, (None, domain.REGISTERED_STATUS.value), "registered", now, actor.username
        )
    )
    uow.publish("registered", EnterpriseChanged.of(row), subject=row.id)
    await classification.evaluate(uow, row.id, today)
    return row


async def update_enterprise(
    uow: UnitOfWork, actor: Principal, enterprise_id: uuid.UUID, changes: EnterpriseChanges, today: dt.date
) -> EnterpriseRow:
    """Change a source's master data (the bureau, or its own town); a new permit category re-classifies."""
    row = await access.get_enterprise(uow.session, enterprise_id)
    access.check_can_edit(actor, row)
    given = {
        "name": changes.name,
        "address": changes.address,
        "industry_code": changes.industry_code,
        "latitude": changes.latitude,
        "longitude": changes.longitude,
        "permit_category": changes.permit_category.value if changes.permit_category else None,
    }
    problems = domain.master_data_problems(
        changes.name if changes.name is not None else row.name,
        changes.industry_code if changes.industry_code is not None else row.industry_code,
        changes.latitude if changes.latitude is not None else row.latitude,
        changes.longitude if changes.longitude is not None else row.longitude,
    )
    if problems:
        raise ValidationFailed("The enterprise is not valid (企业信息有误).", problems)
    for key, value in given.items():
        if value is None:
            continue
        setattr(row, key, value.strip() if isinstance(value, str) else value)
    row.industry_code = domain.canonical_industry_code(row.industry_code.upper())
    uow.publish("updated", EnterpriseChanged.of(row), subject=row.id)
    if changes.permit_category is not None:
        await classification.evaluate(uow, row.id, today)
    return row


async def change_status(
    uow: UnitOfWork, actor: Principal, enterprise_id: uuid.UUID, status: SourceStatus, reason: str
) -> EnterpriseRow:
    """Record that a source relocates, closes or operates again, with a reason (the bureau, or its town)."""
    row = await access.get_enterprise(uow.session, enterprise_id)
    access.check_can_edit(actor, row)
    check_transition(domain.STATUS_TRANSITIONS, SourceStatus(row.status), status, "A source")
    if not reason.strip():
        raise ValidationFailed(
            "A reason is required (须填写原因).",
            [{"field": "reason", "message": "A reason is required (须填写原因)."}],
        )
    now = utcnow()
    uow.session.add(
        EnterpriseStatusChangeRow.of(row.id, (row.status, status.value), reason.strip(), now, actor.username)
    )
    previous, row.status, row.status_changed_at = row.status, status.value, now
    uow.publish(
        "status_changed", EnterpriseChanged.status_changed(row, previous, reason.strip()), subject=row.id
    )
    return row
