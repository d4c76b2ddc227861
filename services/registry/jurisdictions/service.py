"""Jurisdiction use cases: adding a managing unit to the directory."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from ecosteward.errors import Conflict, ValidationFailed
from ecosteward.identity import Principal, Role
from ecosteward.outbox import UnitOfWork
from services.registry.jurisdictions.domain import JurisdictionKind, jurisdiction_violations
from services.registry.jurisdictions.events import JurisdictionChanged
from services.registry.jurisdictions.models import JurisdictionRow


async def create_jurisdiction(
    uow: UnitOfWork,
    user: Principal,
    code: str,
    name: str,
    kind: JurisdictionKind,
    name_en: str = "",
    jurisdiction_id: uuid.UUID | None = None,
) -> JurisdictionRow:
    """Add a managing unit (bureau only); its code is unique."""
    user.require_role(Role.BUREAU_OFFICER)
    code, name = code.strip(), name.strip()
    problems = jurisdiction_violations(code, name)
    if problems:
        raise ValidationFailed("The jurisdiction is not valid (行政区划信息有误).", problems)
    if (
        await uow.session.scalar(sa.select(JurisdictionRow.id).where(JurisdictionRow.code == code))
        is not None
    ):
        raise Conflict(f"A jurisdiction with code {code} already exists (编码已存在).", field="code")
    row = JurisdictionRow(code=code, name=name, name_en=name_en.strip(), kind=kind.value)
    if jurisdiction_id is not None:
        row.id = jurisdiction_id
    uow.session.add(row)
    await uow.session.flush()
    uow.publish(
        "created", JurisdictionChanged(id=row.id, code=code, name=name, kind=row.kind), subject=row.id
    )
    return row
