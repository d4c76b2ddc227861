"""Staff use cases: a person joins, changes, leaves; education and evaluation records.

Every change re-checks the agency's admission rules (``agencies.service.recheck_agency``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ecosteward.errors import Conflict, ValidationFailed
from ecosteward.identity import Principal, Role
from ecosteward.outbox import UnitOfWork
from ecosteward.repository import get_live
from services.registry import access
from services.registry.accounts import service as accounts
from services.registry.agencies.domain import AgencyStatus
from services.registry.agencies.models import AgencyRow
from services.registry.agencies.service import recheck_agency
from services.registry.staff.domain import StaffRecordKind, Title, account_problems
from services.registry.staff.events import StaffChanged
from services.registry.staff.models import StaffRecordRow, StaffRow


@dataclass
class StaffInput:
    name: str
    username: str
    title: Title
    professional: bool
    joined_on: dt.date
    specialty: str = ""
    email: str | None = None
    quality_manager: bool = False
    qualifications: list[str] = field(default_factory=list)


def staff_changed(staff: StaffRow) -> StaffChanged:
    return StaffChanged.from_attributes(staff)


async def add_staff(
    uow: UnitOfWork,
    user: Principal,
    agency_id: uuid.UUID,
    data: StaffInput,
    *,
    check_keycloak: bool = True,
) -> StaffRow:
    """A person joins an agency (the bureau, or the agency's own admin, records it)."""
    access.check_agency_editable(user, agency_id)
    if check_keycloak:
        await accounts.check_username_in_keycloak(data.username, Role.AGENCY_STAFF, agency_id)
    agency = await get_live(uow.session, AgencyRow, agency_id, "Agency")
    if agency.status == AgencyStatus.REMOVED.value:
        raise Conflict("The agency has been removed from the database (机构已移出).", code="AGENCY_REMOVED")
    username = data.username.strip().lower()
    problems = []
    if not data.name.strip():
        problems.append({"field": "name", "message": "A name is required (须填写名称)."})
    problems += account_problems(username, data.email, "username", "email", "staff")
    if problems:
        raise ValidationFailed("The staff file is not valid (人员信息有误).", problems)
    await accounts.check_username_free(uow.session, username, "username")
    if data.quality_manager:
        await _clear_quality_manager(uow.session, agency_id)
    staff = StaffRow(
        agency_id=agency_id,
        name=data.name.strip(),
        username=username,
        email=(data.email or "").strip() or None,
        specialty=data.specialty.strip(),
        title=data.title.value,
        professional=data.professional,
        quality_manager=data.quality_manager,
        qualifications=[q.strip() for q in data.qualifications if q.strip()],
        joined_on=data.joined_on,
    )
    uow.session.add(staff)
    await uow.session.flush()
    uow.publish("added", staff_changed(staff), subject=staff.id)
    await recheck_agency(uow, agency_id)
    return staff


async def _clear_quality_manager(session: AsyncSession, agency_id: uuid.UUID) -> None:
    await session.execute(
        sa.update(StaffRow).where(StaffRow.agency_id == agency_id).values(quality_manager=False)
    )


async def update_staff(
    uow: UnitOfWork, user: Principal, staff_id: uuid.UUID, changes: dict[str, Any]
) -> StaffRow:
    await access.staff_for_change(uow.session, user, staff_id)
    staff = await get_live(uow.session, StaffRow, staff_id, "Staff")
    if changes.get("quality_manager"):
        await _clear_quality_manager(uow.session, staff.agency_id)
        await uow.session.refresh(staff)
    for key, value in changes.items():
        if value is None:
            continue
        if key == "title":
            value = value.value
        elif key == "qualifications":
            value = [q.strip() for q in value if q.strip()]
        elif isinstance(value, str):
            value = value.strip()
        setattr(staff, key, value)
    if not staff.name:
        raise ValidationFailed(
            "The staff file is not valid (人员信息有误).",
            [{"field": "name", "message": "A name is required (须填写姓名)."}],
        )
    uow.publish("updated", staff_changed(staff), subject=staff.id)
    await recheck_agency(uow, staff.agency_id)
    return staff


async def staff_left(uow: UnitOfWork, user: Principal, staff_id: uuid.UUID, left_on: dt.date) -> StaffRow:
    """A person left the agency; the agency is flagged if it no longer meets the admission rules."""
    await access.staff_for_change(uow.session, user, staff_id)
    staff = await get_live(uow.session, StaffRow, staff_id, "Staff")
    if staff.left_on is not None:
        raise Conflict("This person has already left (已离职).", code="ALREADY_LEFT")
    if left_on < staff.joined_on:
        raise ValidationFailed(
            "The date is not valid (日期有误).",
            [{"field": "leftOn", "message": "Left before joining (离职日期早于入职日期)."}],
        )
    staff.left_on = left_on
    staff.quality_manager = False
    uow.publish("left", staff_changed(staff), subject=staff.id)
    await recheck_agency(uow, staff.agency_id)
    return staff


async def add_staff_record(
    uow: UnitOfWork,
    user: Principal,
    staff_id: uuid.UUID,
    kind: StaffRecordKind,
    on: dt.date,
    topic: str,
    hours: Decimal | None,
    rating: str | None,
    note: str,
) -> StaffRecordRow:
    await access.staff_for_change(uow.session, user, staff_id)
    await get_live(uow.session, StaffRow, staff_id, "Staff")
    problems = []
    if not topic.strip():
        problems.append({"field": "topic", "message": "A topic is required (须填写主题)."})
    if hours is not None and (hours <= 0 or hours > 1000 or hours != hours.quantize(Decimal("0.01"))):
        problems.append(
            {"field": "hours", "message": "Hours must be positive, at most 2 decimals (学时须为正数)."}
        )
    if problems:
        raise ValidationFailed("The record is not valid (记录信息有误).", problems)
    record = StaffRecordRow(
        staff_id=staff_id,
        kind=kind.value,
        on=on,
        topic=topic.strip(),
        hours=hours,
        rating=rating,
        note=note.strip(),
    )
    uow.session.add(record)
    await uow.session.flush()
    return record
