"""Work permit use cases: issue, revoke, and whether a person holds a valid permit on a day."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ecosteward.clock import china_date
from ecosteward.db import utcnow
from ecosteward.errors import BadUserInput, Conflict, ValidationFailed
from ecosteward.identity import Principal
from ecosteward.outbox import UnitOfWork
from ecosteward.repository import get_live
from services.registry import access
from services.registry.agencies.domain import AgencyStatus
from services.registry.agencies.models import AgencyRow
from services.registry.jurisdictions.domain import JurisdictionKind
from services.registry.jurisdictions.models import JurisdictionRow
from services.registry.permits import domain
from services.registry.permits.events import PermitChanged
from services.registry.permits.models import WorkPermitRow
from services.registry.staff.models import StaffRow


def revoked_on(permit: WorkPermitRow) -> dt.date | None:
    """The (China) day the permit was revoked, if it was."""
    return china_date(permit.revoked_at) if permit.revoked_at else None


def permit_state(permit: WorkPermitRow, today: dt.date) -> domain.PermitState:
    return domain.permit_state(permit.valid_from, permit.valid_to, revoked_on(permit), today)


def permit_valid(permit: WorkPermitRow, day: dt.date) -> bool:
    return permit_state(permit, day) is domain.PermitState.VALID


def permit_changed(permit: WorkPermitRow, staff: StaffRow, reason: str | None = None) -> PermitChanged:
    extra = {} if reason is None else {"reason": reason}
    return PermitChanged.from_attributes(
        permit,
        *("id", "number", "staff_id", "agency_id", "valid_from", "valid_to"),
        staff_username=staff.username,
        revoked_on=revoked_on(permit),
        **extra,
    )


async def _issuer(session: AsyncSession, user: Principal, requested: uuid.UUID | None) -> uuid.UUID:
    """The issuing department: a town issues as itself, the bureau as the district unless it names one."""
    issuer = access.permit_issuer(user, requested)
    if issuer is None:
        issuer = await session.scalar(
            sa.select(JurisdictionRow.id)
            .where(JurisdictionRow.kind == JurisdictionKind.DISTRICT.value)
            .limit(1)
        )
        if issuer is None:
            raise BadUserInput(
                "Name the issuing department, `issuedById` (请指定签发部门).", field="issuedById"
            )
    return issuer


async def issue_permit(
    uow: UnitOfWork,
    user: Principal,
    staff_id: uuid.UUID,
    agency_id: uuid.UUID,
    issued_by_id: uuid.UUID | None,
    valid_from: dt.date,
    valid_to: dt.date,
) -> WorkPermitRow:
    session = uow.session
    issuer = await _issuer(session, user, issued_by_id)
    staff = await get_live(session, StaffRow, staff_id, "Staff")
    if staff.agency_id != agency_id:
        raise BadUserInput(
            "This person is not on the staff of that agency (人员不属于该机构).",
            code="STAFF_NOT_IN_AGENCY",
            field="staffId",
        )
    agency = await get_live(session, AgencyRow, agency_id, "Agency")
    if agency.status != AgencyStatus.ADMITTED.value:
        raise Conflict(
            "Permits are issued only to staff of admitted agencies (机构未入库).", code="AGENCY_NOT_ADMITTED"
        )
    if staff.left_on is not None:
        raise Conflict("This person has left the agency (已离职).", code="STAFF_LEFT")
    await get_live(session, JurisdictionRow, issuer, "Jurisdiction")
    problems = domain.permit_violations(valid_from, valid_to)
    if problems:
        raise ValidationFailed("The permit is not valid (工作证信息有误).", problems)
    permit_id = uuid.uuid4()
    permit = WorkPermitRow(
        id=permit_id,
        # Derived from the random id: concurrent issues never collide (the column is unique anyway).
        number=f"GZ{valid_from.year}-{permit_id.hex[:10].upper()}",
        staff_id=staff_id,
        agency_id=agency_id,
        issued_by_id=issuer,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    session.add(permit)
    await session.flush()
    uow.publish("issued", permit_changed(permit, staff), subject=permit.id)
    return permit


async def revoke_permit(uow: UnitOfWork, user: Principal, permit_id: uuid.UUID, reason: str) -> WorkPermitRow:
    """Revoke a permit: the bureau, or the department that issued it."""
    permit = await get_live(uow.session, WorkPermitRow, permit_id, "Work permit")
    access.check_permit_revocable(user, permit.issued_by_id)
    if permit.revoked_at is not None:
        raise Conflict("The permit is already revoked (已吊销).", code="ALREADY_REVOKED")
    if not reason.strip():
        raise ValidationFailed(
            "A reason is required (须填写原因).",
            [{"field": "reason", "message": "A reason is required (须填写原因)."}],
        )
    permit.revoked_at, permit.revoked_reason = utcnow(), reason.strip()
    staff = await get_live(uow.session, StaffRow, permit.staff_id, "Staff")
    uow.publish("revoked", permit_changed(permit, staff, reason=permit.revoked_reason), subject=permit.id)
    return permit


async def valid_permit(session: AsyncSession, staff_id: uuid.UUID, day: dt.date) -> WorkPermitRow | None:
    permits = (
        await session.scalars(
            sa.select(WorkPermitRow).where(
                WorkPermitRow.staff_id == staff_id, WorkPermitRow.deleted_at.is_(None)
            )
        )
    ).all()
    return next((p for p in permits if permit_valid(p, day)), None)


async def announce_expired_permits(uow: UnitOfWork, today: dt.date) -> int:
    """Once per permit: ``permit.expired`` when its last valid day has passed; how many were announced."""
    expired = (
        sa.select(WorkPermitRow, StaffRow)
        .join(StaffRow, StaffRow.id == WorkPermitRow.staff_id)
        .where(
            WorkPermitRow.valid_to < today,
            WorkPermitRow.revoked_at.is_(None),
            WorkPermitRow.expiry_announced_at.is_(None),
        )
    )
    return await uow.announce_once(expired, "expiry_announced_at", "expired", permit_changed)
