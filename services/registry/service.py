"""Registry use cases: each runs in one unit of work (change + events commit together).

Resolvers in ``schema.py`` check the caller's role, then call these; the rules themselves are the pure
functions of ``domain.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecosteward.accounts import AccountSpec, request_account, request_disable
from ecosteward.app import ServiceRuntime
from ecosteward.auth import Principal
from ecosteward.clock import china_today
from ecosteward.db import utcnow
from ecosteward.errors import BadUserInput, Conflict, NotFound, ValidationFailed
from ecosteward.events import EventEnvelope
from ecosteward.identifiers import credit_code_problem, normalise_credit_code
from ecosteward.outbox import UnitOfWork
from ecosteward.repository import get_live
from ecosteward.workdays import CalendarCache, DayKind, WorkdayCalendar
from services.registry import domain
from services.registry.domain import AgencyStatus, ContractStatus, FilingStatus, Title
from services.registry.models import (
    ACCOUNTS,
    CALENDAR,
    AgencyRow,
    AgencyStatusChangeRow,
    CalendarConfirmationRow,
    CreditListingRow,
    FilingActionRow,
    FilingRow,
    JurisdictionRow,
    KnownEnterpriseRow,
    ServiceContractRow,
    StaffRecordRow,
    StaffRow,
    WorkPermitRow,
)
from services.registry.reference import service_catalogue

log = logging.getLogger(__name__)

CALENDAR_CACHE = CalendarCache(CALENDAR)
OVERDUE_FILINGS = Gauge("ecosteward_registry_overdue_filings", "Signed contracts whose filing is overdue.")


def actor(user: Principal) -> str:
    return user.username or user.subject


# ------------------------------------------------------------------------------ agencies


@dataclass
class AgencyInput:
    name: str
    credit_code: str
    admin_username: str
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    admin_email: str | None = None


def _agency_event(agency: AgencyRow) -> dict[str, Any]:
    return {
        "id": agency.id,
        "name": agency.name,
        "credit_code": agency.credit_code,
        "status": agency.status,
        "admin_username": agency.admin_username,
        "admin_email": agency.admin_email,
    }


async def register_agency(
    uow: UnitOfWork, user: Principal, data: AgencyInput, agency_id: uuid.UUID | None = None
) -> AgencyRow:
    """An agency applies to the agency database (入库申请); status APPLIED."""
    name, code = data.name.strip(), normalise_credit_code(data.credit_code)
    username = data.admin_username.strip().lower()
    problems = []
    if not name:
        problems.append({"field": "name", "message": "A name is required (须填写名称)."})
    if (problem := credit_code_problem(code)) is not None:
        problems.append({"field": "creditCode", "message": problem})
    if not domain.USERNAME.match(username):
        problems.append(
            {
                "field": "adminUsername",
                "message": "Use 3–64 lower-case letters, digits, '.', '_' or '-' (用户名格式有误).",
            }
        )
    if not domain.EMAIL.match((data.admin_email or "").strip()):
        problems.append(
            {
                "field": "adminEmail",
                "message": "A valid e-mail address is required for the admin account (须填写有效邮箱).",
            }
        )
    if problems:
        raise ValidationFailed("The agency is not valid (机构信息有误).", problems)
    session = uow.session
    if await session.scalar(sa.select(AgencyRow.id).where(AgencyRow.credit_code == code)) is not None:
        raise Conflict(
            f"An agency with credit code {code} is already registered (机构已登记).", field="creditCode"
        )
    await _check_username_free(session, username, "adminUsername")
    now = utcnow()
    agency = AgencyRow(
        id=agency_id or uuid.uuid4(),
        name=name,
        credit_code=code,
        address=data.address.strip(),
        contact_name=data.contact_name.strip(),
        contact_phone=data.contact_phone.strip(),
        admin_username=username,
        admin_email=(data.admin_email or "").strip() or None,
        status=AgencyStatus.APPLIED.value,
        status_changed_at=now,
        unmet_rules=[],
    )
    session.add(agency)
    await session.flush()
    session.add(
        AgencyStatusChangeRow(
            agency_id=agency.id,
            from_status=None,
            to_status=agency.status,
            reason="applied",
            changed_at=now,
            changed_by=actor(user),
        )
    )
    uow.emit("agency", "registered", agency.id, _agency_event(agency))
    return agency


async def _check_username_free(session: AsyncSession, username: str, field: str) -> None:
    taken = await session.scalar(sa.select(AgencyRow.id).where(AgencyRow.admin_username == username))
    taken = taken or await session.scalar(sa.select(StaffRow.id).where(StaffRow.username == username))
    if taken is not None:
        raise Conflict(f"The username {username} is already in use (用户名已被占用).", field=field)


async def admission_failures(
    session: AsyncSession, agency_id: uuid.UUID, on: dt.date
) -> list[domain.RuleFailure]:
    listings = (
        (
            await session.execute(
                sa.select(CreditListingRow).where(
                    CreditListingRow.agency_id == agency_id, CreditListingRow.deleted_at.is_(None)
                )
            )
        )
        .scalars()
        .all()
    )
    blacklisted = any(domain.listing_active(x.listed_on, x.delisted_on, on) for x in listings)
    staff = (
        (
            await session.execute(
                sa.select(StaffRow).where(StaffRow.agency_id == agency_id, StaffRow.deleted_at.is_(None))
            )
        )
        .scalars()
        .all()
    )
    facts = [
        domain.StaffFacts(
            professional=s.professional,
            title=Title(s.title),
            quality_manager=s.quality_manager,
            active=domain.staff_active(s.joined_on, s.left_on, on),
        )
        for s in staff
    ]
    return domain.admission_failures(blacklisted, facts)


_VERBS = {
    AgencyStatus.ADMITTED: "admitted",
    AgencyStatus.REFUSED: "refused",
    AgencyStatus.SUSPENDED: "suspended",
    AgencyStatus.REMOVED: "removed",
    AgencyStatus.APPLIED: "reapplied",
}


async def change_agency_status(
    uow: UnitOfWork, user: Principal, agency_id: uuid.UUID, target: AgencyStatus, reason: str
) -> AgencyRow:
    """Move an agency through the admission workflow, keeping the reason and date."""
    session = uow.session
    agency = await get_live(session, AgencyRow, agency_id, "Agency")
    current = AgencyStatus(agency.status)
    domain.check_agency_transition(current, target)
    reason = reason.strip()
    if target in (AgencyStatus.REFUSED, AgencyStatus.SUSPENDED, AgencyStatus.REMOVED) and not reason:
        raise ValidationFailed(
            "A reason is required (须填写原因).",
            [{"field": "reason", "message": "A reason is required (须填写原因)."}],
        )
    failures: list[domain.RuleFailure] = []
    if target is AgencyStatus.ADMITTED:
        failures = await admission_failures(session, agency_id, china_today())
        if failures:
            raise ValidationFailed(
                "The agency does not meet the admission rules (不符合入库条件).",
                [{"field": f.code, "message": f.message} for f in failures],
            )
    now = utcnow()
    agency.status = target.value
    agency.status_reason = reason
    agency.status_changed_at = now
    if target is AgencyStatus.ADMITTED:
        agency.rules_met, agency.unmet_rules, agency.noncompliant_since = True, [], None
    session.add(
        AgencyStatusChangeRow(
            agency_id=agency.id,
            from_status=current.value,
            to_status=target.value,
            reason=reason,
            unmet_rules=[f.code for f in failures],
            changed_at=now,
            changed_by=actor(user),
        )
    )
    uow.emit(
        "agency",
        _VERBS[target],
        agency.id,
        {**_agency_event(agency), "reason": reason, "from_status": current.value},
    )
    return agency


async def recheck_agency(uow: UnitOfWork, agency_id: uuid.UUID) -> None:
    """Re-evaluate an admitted agency after its staff or listings change; flag it when it slips."""
    agency = await get_live(uow.session, AgencyRow, agency_id, "Agency")
    if agency.status != AgencyStatus.ADMITTED.value:
        return
    await uow.session.flush()
    failures = await admission_failures(uow.session, agency_id, china_today())
    codes = [f.code for f in failures]
    met = not failures
    if met == agency.rules_met and codes == list(agency.unmet_rules or []):
        return
    was_met = agency.rules_met
    agency.rules_met, agency.unmet_rules = met, codes
    if not met and was_met is not False:
        agency.noncompliant_since = utcnow()
        uow.emit("agency", "noncompliant", agency.id, {**_agency_event(agency), "unmet_rules": codes})
    elif met and was_met is False:
        agency.noncompliant_since = None
        uow.emit("agency", "compliant", agency.id, _agency_event(agency))


async def update_agency(uow: UnitOfWork, agency_id: uuid.UUID, changes: dict[str, str | None]) -> AgencyRow:
    agency = await get_live(uow.session, AgencyRow, agency_id, "Agency")
    for key, value in changes.items():
        if value is not None:
            setattr(agency, key, value.strip())
    if not agency.name:
        raise ValidationFailed(
            "The agency is not valid (机构信息有误).",
            [{"field": "name", "message": "A name is required (须填写名称)."}],
        )
    uow.emit("agency", "updated", agency.id, _agency_event(agency))
    return agency


async def record_credit_listing(
    uow: UnitOfWork, agency_id: uuid.UUID, source: str, listed_on: dt.date, note: str
) -> CreditListingRow:
    await get_live(uow.session, AgencyRow, agency_id, "Agency")
    if not source.strip():
        raise ValidationFailed(
            "The listing is not valid (名录信息有误).",
            [{"field": "source", "message": "Name the list's source (信用信息来源)."}],
        )
    listing = CreditListingRow(
        agency_id=agency_id, source=source.strip(), listed_on=listed_on, note=note.strip()
    )
    uow.session.add(listing)
    await uow.session.flush()
    uow.emit(
        "agency",
        "credit_listed",
        agency_id,
        {"agency_id": agency_id, "source": listing.source, "listed_on": listed_on},
    )
    await recheck_agency(uow, agency_id)
    return listing


async def end_credit_listing(
    uow: UnitOfWork, listing_id: uuid.UUID, delisted_on: dt.date
) -> CreditListingRow:
    listing = await get_live(uow.session, CreditListingRow, listing_id, "Credit listing")
    if delisted_on < listing.listed_on:
        raise ValidationFailed(
            "The listing is not valid (名录信息有误).",
            [{"field": "delistedOn", "message": "Delisted before it was listed (移出日期早于列入日期)."}],
        )
    listing.delisted_on = delisted_on
    uow.emit(
        "agency",
        "credit_delisted",
        listing.agency_id,
        {"agency_id": listing.agency_id, "delisted_on": delisted_on},
    )
    await recheck_agency(uow, listing.agency_id)
    return listing


# ------------------------------------------------------------------------------ staff


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


def _staff_event(staff: StaffRow) -> dict[str, Any]:
    return {
        "id": staff.id,
        "agency_id": staff.agency_id,
        "name": staff.name,
        "username": staff.username,
        "email": staff.email,
        "left_on": staff.left_on,
    }


async def add_staff(uow: UnitOfWork, agency_id: uuid.UUID, data: StaffInput) -> StaffRow:
    agency = await get_live(uow.session, AgencyRow, agency_id, "Agency")
    if agency.status == AgencyStatus.REMOVED.value:
        raise Conflict("The agency has been removed from the database (机构已移出).", code="AGENCY_REMOVED")
    username = data.username.strip().lower()
    problems = []
    if not data.name.strip():
        problems.append({"field": "name", "message": "A name is required (须填写名称)."})
    if not domain.USERNAME.match(username):
        problems.append(
            {
                "field": "username",
                "message": "Use 3–64 lower-case letters, digits, '.', '_' or '-' (用户名格式有误).",
            }
        )
    if not domain.EMAIL.match((data.email or "").strip()):
        problems.append(
            {
                "field": "email",
                "message": "A valid e-mail address is required for the staff account (须填写有效邮箱).",
            }
        )
    if problems:
        raise ValidationFailed("The staff file is not valid (人员信息有误).", problems)
    await _check_username_free(uow.session, username, "username")
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
    uow.emit("staff", "added", staff.id, _staff_event(staff))
    await recheck_agency(uow, agency_id)
    return staff


async def _clear_quality_manager(session: AsyncSession, agency_id: uuid.UUID) -> None:
    await session.execute(
        sa.update(StaffRow).where(StaffRow.agency_id == agency_id).values(quality_manager=False)
    )


async def update_staff(uow: UnitOfWork, staff_id: uuid.UUID, changes: dict[str, Any]) -> StaffRow:
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
    uow.emit("staff", "updated", staff.id, _staff_event(staff))
    await recheck_agency(uow, staff.agency_id)
    return staff


async def staff_left(uow: UnitOfWork, staff_id: uuid.UUID, left_on: dt.date) -> StaffRow:
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
    uow.emit("staff", "left", staff.id, _staff_event(staff))
    await recheck_agency(uow, staff.agency_id)
    return staff


async def add_staff_record(
    uow: UnitOfWork,
    staff_id: uuid.UUID,
    kind: str,
    on: dt.date,
    topic: str,
    hours: Decimal | None,
    rating: str | None,
    note: str,
) -> StaffRecordRow:
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
        kind=kind,
        on=on,
        topic=topic.strip(),
        hours=hours,
        rating=rating,
        note=note.strip(),
    )
    uow.session.add(record)
    await uow.session.flush()
    return record


# ------------------------------------------------------------------------------ work permits


async def issue_permit(
    uow: UnitOfWork,
    user: Principal,
    staff_id: uuid.UUID,
    agency_id: uuid.UUID,
    issued_by_id: uuid.UUID,
    valid_from: dt.date,
    valid_to: dt.date,
) -> WorkPermitRow:
    session = uow.session
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
    await get_live(session, JurisdictionRow, issued_by_id, "Jurisdiction")
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
        issued_by_id=issued_by_id,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    session.add(permit)
    await session.flush()
    uow.emit("permit", "issued", permit.id, _permit_event(permit, staff))
    return permit


def _permit_event(permit: WorkPermitRow, staff: StaffRow) -> dict[str, Any]:
    return {
        "id": permit.id,
        "number": permit.number,
        "staff_id": permit.staff_id,
        "staff_username": staff.username,
        "agency_id": permit.agency_id,
        "valid_from": permit.valid_from,
        "valid_to": permit.valid_to,
        "revoked_on": china_day(permit.revoked_at) if permit.revoked_at else None,
    }


async def revoke_permit(uow: UnitOfWork, permit_id: uuid.UUID, reason: str) -> WorkPermitRow:
    permit = await get_live(uow.session, WorkPermitRow, permit_id, "Work permit")
    if permit.revoked_at is not None:
        raise Conflict("The permit is already revoked (已吊销).", code="ALREADY_REVOKED")
    if not reason.strip():
        raise ValidationFailed(
            "A reason is required (须填写原因).",
            [{"field": "reason", "message": "A reason is required (须填写原因)."}],
        )
    permit.revoked_at, permit.revoked_reason = utcnow(), reason.strip()
    staff = await get_live(uow.session, StaffRow, permit.staff_id, "Staff")
    uow.emit(
        "permit", "revoked", permit.id, {**_permit_event(permit, staff), "reason": permit.revoked_reason}
    )
    return permit


def permit_valid(permit: WorkPermitRow, day: dt.date) -> bool:
    revoked_on = china_day(permit.revoked_at) if permit.revoked_at else None
    return domain.permit_valid_on(permit.valid_from, permit.valid_to, revoked_on, day)


def china_day(moment: dt.datetime) -> dt.date:
    from ecosteward.clock import china_date

    return china_date(moment)


async def valid_permit(session: AsyncSession, staff_id: uuid.UUID, day: dt.date) -> WorkPermitRow | None:
    permits = (
        (
            await session.execute(
                sa.select(WorkPermitRow).where(
                    WorkPermitRow.staff_id == staff_id, WorkPermitRow.deleted_at.is_(None)
                )
            )
        )
        .scalars()
        .all()
    )
    return next((p for p in permits if permit_valid(p, day)), None)


async def announce_expired_permits(runtime: ServiceRuntime) -> None:
    """Once per permit: emit ``permit.expired`` when its last valid day has passed."""
    today = china_today()
    async with runtime.unit_of_work() as uow:
        rows = (
            await uow.session.execute(
                sa.select(WorkPermitRow, StaffRow)
                .join(StaffRow, StaffRow.id == WorkPermitRow.staff_id)
                .where(
                    WorkPermitRow.valid_to < today,
                    WorkPermitRow.revoked_at.is_(None),
                    WorkPermitRow.expiry_announced_at.is_(None),
                )
                .limit(500)
            )
        ).all()
        for permit, staff in rows:
            permit.expiry_announced_at = utcnow()
            uow.emit("permit", "expired", permit.id, _permit_event(permit, staff))


# ------------------------------------------------------------------------------ contracts


@dataclass
class ContractInput:
    title: str
    agency_id: uuid.UUID
    jurisdiction_id: uuid.UUID
    price: Decimal
    starts_on: dt.date
    ends_on: dt.date
    service_mode: domain.ServiceMode
    contracted_tasks: int
    scope_jurisdiction_ids: list[uuid.UUID]
    scope_enterprise_ids: list[uuid.UUID]
    catalogue_codes: list[str]
    attachments: list[dict[str, Any]]


def _contract_event(contract: ServiceContractRow) -> dict[str, Any]:
    return {
        "id": contract.id,
        "title": contract.title,
        "agency_id": contract.agency_id,
        "jurisdiction_id": contract.jurisdiction_id,
        "price": contract.price,
        "starts_on": contract.starts_on,
        "ends_on": contract.ends_on,
        "status": contract.status,
        "service_mode": contract.service_mode,
        "contracted_tasks": contract.contracted_tasks,
        "scope_jurisdiction_ids": contract.scope_jurisdiction_ids,
        "scope_enterprise_ids": contract.scope_enterprise_ids,
        "signed_on": contract.signed_on,
    }


async def create_contract(
    uow: UnitOfWork, data: ContractInput, contract_id: uuid.UUID | None = None
) -> ServiceContractRow:
    problems = domain.contract_violations(data.price, data.starts_on, data.ends_on, data.contracted_tasks)
    problems += domain.scope_violations(data.scope_jurisdiction_ids, data.scope_enterprise_ids)
    if not data.title.strip():
        problems.append({"field": "title", "message": "A title is required (须填写标题)."})
    catalogue = service_catalogue()
    unknown = sorted(set(data.catalogue_codes) - set(catalogue))
    if unknown:
        problems.append(
            {
                "field": "catalogueCodes",
                "message": f"Unknown catalogue items: {', '.join(unknown)} (服务清单编码不存在).",
            }
        )
    session = uow.session
    managing = await session.get(JurisdictionRow, data.jurisdiction_id)
    if managing is not None and managing.deleted_at is None:
        offence = await scope_offence(
            session, managing.id, data.scope_jurisdiction_ids, data.scope_enterprise_ids
        )
        problems += domain.scope_offence_violations(offence, managing.name)
    if problems:
        raise ValidationFailed("The contract is not valid (合同信息有误).", problems)
    await get_live(session, JurisdictionRow, data.jurisdiction_id, "Jurisdiction")
    agency = await get_live(session, AgencyRow, data.agency_id, "Agency")
    if agency.status != AgencyStatus.ADMITTED.value:
        raise Conflict(
            "Contracts may only be signed with admitted agencies (机构未入库).", code="AGENCY_NOT_ADMITTED"
        )
    contract = ServiceContractRow(
        id=contract_id or uuid.uuid4(),
        title=data.title.strip(),
        agency_id=data.agency_id,
        jurisdiction_id=data.jurisdiction_id,
        price=data.price,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        service_mode=data.service_mode.value,
        contracted_tasks=data.contracted_tasks,
        scope_jurisdiction_ids=sorted({str(x) for x in data.scope_jurisdiction_ids}),
        scope_enterprise_ids=sorted({str(x) for x in data.scope_enterprise_ids}),
        catalogue_codes=sorted(set(data.catalogue_codes)),
        attachments=data.attachments,
        status=ContractStatus.DRAFT.value,
    )
    session.add(contract)
    await session.flush()
    uow.emit("contract", "drafted", contract.id, _contract_event(contract))
    return contract


async def sign_contract(
    uow: UnitOfWork, contract_id: uuid.UUID, signed_on: dt.date, calendar: WorkdayCalendar
) -> tuple[ServiceContractRow, FilingRow]:
    """Signing starts the filing clock: due on the 10th working day after the signing day."""
    session = uow.session
    contract = await get_live(session, ServiceContractRow, contract_id, "ServiceContract")
    domain.check_contract_transition(ContractStatus(contract.status), ContractStatus.SIGNED)
    if signed_on > china_today():
        raise ValidationFailed(
            "The date is not valid (日期有误).",
            [
                {
                    "field": "signedOn",
                    "message": "A contract cannot be signed in the future (签订日期不能晚于今天).",
                }
            ],
        )
    # Drafted before the rule, or an enterprise moved since: the scope is checked again.
    await check_contract_scope(session, contract)
    agency = await get_live(session, AgencyRow, contract.agency_id, "Agency")
    if agency.status != AgencyStatus.ADMITTED.value:
        raise Conflict(
            "Contracts may only be signed with admitted agencies (机构未入库).", code="AGENCY_NOT_ADMITTED"
        )
    try:
        deadline = calendar.add_working_days(signed_on, domain.FILING_WORKING_DAYS)
    except (OverflowError, ValueError) as exc:
        raise BadUserInput("The signing day is out of range (签订日期超出范围).", field="signedOn") from exc
    contract.status, contract.signed_on = ContractStatus.SIGNED.value, signed_on
    filing = FilingRow(
        contract_id=contract.id,
        jurisdiction_id=contract.jurisdiction_id,
        agency_id=contract.agency_id,
        signed_on=signed_on,
        due_on=deadline.due_on,
        due_provisional=deadline.provisional,
        status=FilingStatus.PENDING.value,
    )
    session.add(filing)
    await session.flush()
    uow.emit(
        "contract",
        "signed",
        contract.id,
        {
            **_contract_event(contract),
            "filing_due_on": deadline.due_on,
            "filing_due_provisional": deadline.provisional,
        },
    )
    return contract, filing


SCOPE_WAIT_SECONDS = float(os.environ.get("ECOSTEWARD_REGISTRY_SCOPE_WAIT_SECONDS", "5"))
"""How long a contract naming enterprises waits for the archive's news of them before refusing."""


def _ids(values: Sequence[object] | None) -> list[uuid.UUID]:
    return [uuid.UUID(str(v)) for v in values or []]


async def scope_offence(
    session: AsyncSession,
    managing_id: uuid.UUID,
    scope_jurisdiction_ids: Sequence[uuid.UUID],
    scope_enterprise_ids: Sequence[uuid.UUID],
) -> domain.ScopeOffence:
    """The scope ids outside the managing department's jurisdiction (see ``domain.scope_offence``)."""
    wanted = {managing_id, *scope_jurisdiction_ids}
    rows = (
        await session.execute(
            sa.select(JurisdictionRow.id, JurisdictionRow.kind).where(
                JurisdictionRow.id.in_(wanted), JurisdictionRow.deleted_at.is_(None)
            )
        )
    ).all()
    kinds = {row.id: row.kind for row in rows}
    enterprises: dict[uuid.UUID, uuid.UUID] = {}
    if scope_enterprise_ids:
        found = await session.execute(
            sa.select(KnownEnterpriseRow.id, KnownEnterpriseRow.jurisdiction_id).where(
                KnownEnterpriseRow.id.in_(set(scope_enterprise_ids))
            )
        )
        enterprises = {row.id: row.jurisdiction_id for row in found}
    if managing_id not in kinds:
        # No managing department, no jurisdiction: everything in scope lies outside it.
        return domain.ScopeOffence(
            tuple(sorted(set(scope_jurisdiction_ids))), tuple(sorted(set(scope_enterprise_ids)))
        )
    whole_district = kinds[managing_id] == domain.JurisdictionKind.DISTRICT.value
    if whole_district:
        known: set[uuid.UUID] = set(kinds) | await _live_jurisdictions(session, set(enterprises.values()))
    else:
        known = set(kinds)
    return domain.scope_offence(
        managing_id, whole_district, scope_jurisdiction_ids, scope_enterprise_ids, known, enterprises
    )


async def _live_jurisdictions(session: AsyncSession, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not ids:
        return set()
    found = await session.scalars(
        sa.select(JurisdictionRow.id).where(JurisdictionRow.id.in_(ids), JurisdictionRow.deleted_at.is_(None))
    )
    return set(found.all())


async def check_contract_scope(session: AsyncSession, contract: ServiceContractRow) -> None:
    """VALIDATION_FAILED naming every scope id outside the contract's managing jurisdiction."""
    offence = await scope_offence(
        session,
        contract.jurisdiction_id,
        _ids(contract.scope_jurisdiction_ids),
        _ids(contract.scope_enterprise_ids),
    )
    if offence:
        managing = await session.get(JurisdictionRow, contract.jurisdiction_id)
        raise ValidationFailed(
            "The contract's scope lies outside its managing department's jurisdiction (服务范围超出管辖范围).",
            domain.scope_offence_violations(offence, managing.name if managing else ""),
        )


async def await_enterprise_copies(
    sessions: async_sessionmaker[AsyncSession],
    managing_id: uuid.UUID,
    scope_enterprise_ids: Sequence[uuid.UUID],
    seconds: float | None = None,
) -> None:
    """Give the archive's events a moment when a scope names enterprises the registry cannot place.

    An enterprise registered a second ago may not have reached the local copy yet. Any refusal waits
    the full time, whether the id is unknown or lies elsewhere, so the delay reveals nothing.
    """
    if not scope_enterprise_ids:
        return
    deadline = asyncio.get_running_loop().time() + (SCOPE_WAIT_SECONDS if seconds is None else seconds)
    while True:
        async with sessions() as session:
            offence = await scope_offence(session, managing_id, [], scope_enterprise_ids)
        if not offence or asyncio.get_running_loop().time() >= deadline:
            return
        await asyncio.sleep(0.25)


async def contracts_outside_their_jurisdiction(
    session: AsyncSession,
) -> list[tuple[ServiceContractRow, domain.ScopeOffence]]:
    """Existing contracts whose scope breaks the rule (for ``python -m services.registry.checks``)."""
    contracts = (
        await session.scalars(
            sa.select(ServiceContractRow)
            .where(ServiceContractRow.deleted_at.is_(None))
            .order_by(ServiceContractRow.jurisdiction_id, ServiceContractRow.id)
        )
    ).all()
    found = []
    for contract in contracts:
        offence = await scope_offence(
            session,
            contract.jurisdiction_id,
            _ids(contract.scope_jurisdiction_ids),
            _ids(contract.scope_enterprise_ids),
        )
        if offence:
            found.append((contract, offence))
    return found


async def agencies_serving(session: AsyncSession, enterprise_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """Agencies holding (or having held) a signed contract that covers the enterprise.

    Covered within the contract's managing jurisdiction only (``domain.contract_covers``); drafts
    cover nothing. An enterprise the archive has not announced is served by no one.
    """
    where = await session.get(KnownEnterpriseRow, enterprise_id)
    if where is None:
        return frozenset()
    districts = set(
        (
            await session.scalars(
                sa.select(JurisdictionRow.id).where(
                    JurisdictionRow.kind == domain.JurisdictionKind.DISTRICT.value
                )
            )
        ).all()
    )
    rows = await session.execute(
        sa.select(
            ServiceContractRow.agency_id,
            ServiceContractRow.jurisdiction_id,
            ServiceContractRow.scope_jurisdiction_ids,
            ServiceContractRow.scope_enterprise_ids,
        ).where(
            ServiceContractRow.deleted_at.is_(None),
            ServiceContractRow.signed_on.is_not(None),
            ServiceContractRow.jurisdiction_id.in_(districts | {where.jurisdiction_id}),
        )
    )
    return frozenset(
        row.agency_id
        for row in rows
        if domain.contract_covers(
            enterprise_id,
            where.jurisdiction_id,
            row.jurisdiction_id,
            row.jurisdiction_id in districts,
            set(_ids(row.scope_jurisdiction_ids)),
            set(_ids(row.scope_enterprise_ids)),
        )
    )


async def _filing_of(session: AsyncSession, contract_id: uuid.UUID) -> FilingRow:
    filing = await session.scalar(sa.select(FilingRow).where(FilingRow.contract_id == contract_id))
    if filing is None:
        raise Conflict(
            "The contract is not signed yet, so there is no filing (合同未签订).", code="NOT_SIGNED"
        )
    return filing


def _filing_event(filing: FilingRow, contract: ServiceContractRow) -> dict[str, Any]:
    return {
        "id": filing.id,
        "contract_id": filing.contract_id,
        "jurisdiction_id": filing.jurisdiction_id,
        "agency_id": filing.agency_id,
        "status": filing.status,
        "due_on": filing.due_on,
        "due_provisional": filing.due_provisional,
        "first_filed_on": filing.first_filed_on,
        "filed_late": filing.filed_late,
        "contract_status": contract.status,
    }


async def file_contract(uow: UnitOfWork, user: Principal, contract_id: uuid.UUID) -> FilingRow:
    """The jurisdiction files (or re-files after a return) its signed contract with the bureau."""
    session = uow.session
    contract = await get_live(session, ServiceContractRow, contract_id, "ServiceContract")
    current = ContractStatus(contract.status)
    if current is ContractStatus.FILED:
        raise Conflict("The contract is already filed (已报备).", code="ALREADY_FILED")
    if current in (ContractStatus.ACTIVE, ContractStatus.ENDED):
        raise Conflict("The filing was already acknowledged (已确认备案).", code="ALREADY_FILED")
    domain.check_contract_transition(current, ContractStatus.FILED)
    filing = await _filing_of(session, contract_id)
    today = china_today()
    refiling = filing.status == FilingStatus.RETURNED.value
    contract.status = ContractStatus.FILED.value
    filing.status, filing.filed_at = FilingStatus.FILED.value, utcnow()
    if filing.first_filed_on is None:
        filing.first_filed_on = today
        filing.filed_late = today > filing.due_on
    session.add(
        FilingActionRow(
            filing_id=filing.id, action="REFILED" if refiling else "FILED", at=utcnow(), by=actor(user)
        )
    )
    uow.emit("filing", "refiled" if refiling else "filed", filing.id, _filing_event(filing, contract))
    return filing


async def return_filing(uow: UnitOfWork, user: Principal, contract_id: uuid.UUID, reason: str) -> FilingRow:
    session = uow.session
    contract = await get_live(session, ServiceContractRow, contract_id, "ServiceContract")
    if contract.status != ContractStatus.FILED.value:
        raise Conflict("Only a filed contract can be returned (未报备).", code="NOT_FILED")
    if not reason.strip():
        raise ValidationFailed(
            "A reason is required (须说明退回原因).",
            [{"field": "reason", "message": "A reason is required (须填写原因)."}],
        )
    filing = await _filing_of(session, contract_id)
    contract.status = ContractStatus.RETURNED.value
    filing.status, filing.return_reason = FilingStatus.RETURNED.value, reason.strip()
    session.add(
        FilingActionRow(
            filing_id=filing.id, action="RETURNED", at=utcnow(), by=actor(user), reason=reason.strip()
        )
    )
    uow.emit(
        "filing", "returned", filing.id, {**_filing_event(filing, contract), "reason": filing.return_reason}
    )
    return filing


async def acknowledge_filing(uow: UnitOfWork, user: Principal, contract_id: uuid.UUID) -> FilingRow:
    session = uow.session
    contract = await get_live(session, ServiceContractRow, contract_id, "ServiceContract")
    if contract.status != ContractStatus.FILED.value:
        raise Conflict("Only a filed contract can be acknowledged (未报备).", code="NOT_FILED")
    filing = await _filing_of(session, contract_id)
    contract.status = ContractStatus.ACTIVE.value
    filing.status, filing.acknowledged_at = FilingStatus.ACKNOWLEDGED.value, utcnow()
    session.add(FilingActionRow(filing_id=filing.id, action="ACKNOWLEDGED", at=utcnow(), by=actor(user)))
    uow.emit("filing", "acknowledged", filing.id, _filing_event(filing, contract))
    uow.emit("contract", "activated", contract.id, _contract_event(contract))
    return filing


async def close_contract(
    uow: UnitOfWork, contract_id: uuid.UUID, target: ContractStatus, on: dt.date, reason: str
) -> ServiceContractRow:
    contract = await get_live(uow.session, ServiceContractRow, contract_id, "ServiceContract")
    domain.check_contract_transition(ContractStatus(contract.status), target)
    if target is ContractStatus.TERMINATED and not reason.strip():
        raise ValidationFailed(
            "A reason is required (须填写原因).",
            [{"field": "reason", "message": "A reason is required (须填写原因)."}],
        )
    contract.status, contract.closed_on, contract.closed_reason = target.value, on, reason.strip()
    filing = await uow.session.scalar(sa.select(FilingRow).where(FilingRow.contract_id == contract.id))
    if filing is not None and filing.first_filed_on is None:
        # A contract terminated before it was filed owes no filing: it leaves the overdue list.
        filing.status = FilingStatus.CANCELLED.value
    uow.emit(
        "contract",
        "ended" if target is ContractStatus.ENDED else "terminated",
        contract.id,
        _contract_event(contract),
    )
    return contract


def awaiting_filing() -> Any:
    """Filings still owed: not filed yet, and not cancelled by an early termination."""
    return FilingRow.first_filed_on.is_(None) & (FilingRow.status != FilingStatus.CANCELLED.value)


async def announce_overdue_filings(runtime: ServiceRuntime) -> None:
    """Emit ``filing.overdue`` once per filing whose due date passed without a filing."""
    today = china_today()
    async with runtime.unit_of_work() as uow:
        overdue = awaiting_filing() & (FilingRow.due_on < today) & FilingRow.deleted_at.is_(None)
        OVERDUE_FILINGS.set(
            await uow.session.scalar(sa.select(sa.func.count()).select_from(FilingRow).where(overdue)) or 0
        )
        rows = (
            await uow.session.execute(
                sa.select(FilingRow, ServiceContractRow)
                .join(ServiceContractRow, ServiceContractRow.id == FilingRow.contract_id)
                .where(overdue, FilingRow.overdue_announced_at.is_(None))
                .limit(500)
            )
        ).all()
        for filing, contract in rows:
            filing.overdue_announced_at = utcnow()
            uow.emit("filing", "overdue", filing.id, _filing_event(filing, contract))


# ------------------------------------------------------------------------------ calendar


async def recompute_pending_deadlines(uow: UnitOfWork, calendar: WorkdayCalendar) -> list[dict[str, Any]]:
    """After a calendar change: due dates of filings not yet filed follow the corrected calendar."""
    changed: list[dict[str, Any]] = []
    rows = (
        await uow.session.execute(
            sa.select(FilingRow, ServiceContractRow)
            .join(ServiceContractRow, ServiceContractRow.id == FilingRow.contract_id)
            .where(awaiting_filing(), FilingRow.deleted_at.is_(None))
        )
    ).all()
    for filing, contract in rows:
        deadline = calendar.add_working_days(filing.signed_on, domain.FILING_WORKING_DAYS)
        if deadline.due_on == filing.due_on and deadline.provisional == filing.due_provisional:
            continue
        change = {
            "filing_id": filing.id,
            "contract_id": filing.contract_id,
            "old_due_on": filing.due_on,
            "new_due_on": deadline.due_on,
            "provisional": deadline.provisional,
        }
        filing.due_on, filing.due_provisional = deadline.due_on, deadline.provisional
        if deadline.due_on >= china_today():
            filing.overdue_announced_at = None
        uow.emit("filing", "deadline_changed", filing.id, {**_filing_event(filing, contract), **change})
        changed.append(change)
    return changed


async def set_calendar_day(uow: UnitOfWork, user: Principal, day: dt.date, kind: DayKind, name: str) -> None:
    days = CALENDAR.days
    if not name.strip():
        raise ValidationFailed(
            "A name is required (须填写名称).",
            [{"field": "name", "message": "A name is required (须填写名称)."}],
        )
    natural_workday = day.weekday() < 5
    if (kind is DayKind.HOLIDAY and not natural_workday) or (
        kind is DayKind.MAKEUP_WORKDAY and natural_workday
    ):
        raise BadUserInput(
            "A holiday entry is for a Monday–Friday, a make-up workday (调休) for a Saturday or Sunday.",
            code="CALENDAR_ENTRY_REDUNDANT",
            field="kind",
        )
    values = {
        "kind": kind.value,
        "name": name.strip(),
        "source": "bureau",
        "updated_at": utcnow(),
        "updated_by": actor(user),
        "deleted_at": None,
    }
    exists = await uow.session.scalar(sa.select(days.c.day).where(days.c.day == day))
    if exists is None:
        await uow.session.execute(days.insert().values(day=day, **values))
    else:
        await uow.session.execute(days.update().where(days.c.day == day).values(**values))
    uow.emit("calendar", "day_set", day.isoformat(), {"day": day, "kind": kind.value, "name": name.strip()})


async def remove_calendar_day(uow: UnitOfWork, user: Principal, day: dt.date) -> None:
    days = CALENDAR.days
    result = await uow.session.execute(
        days.update()
        .where(days.c.day == day, days.c.deleted_at.is_(None))
        .values(deleted_at=utcnow(), updated_by=actor(user), updated_at=utcnow())
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"There is no calendar entry on {day.isoformat()} (该日无条目).", field="day")
    uow.emit("calendar", "day_removed", day.isoformat(), {"day": day})


def check_calendar_year(year: int) -> None:
    if year not in domain.CALENDAR_YEARS:
        first, last = domain.CALENDAR_YEARS[0], domain.CALENDAR_YEARS[-1]
        raise BadUserInput(f"The year must be between {first} and {last} (年份超出范围).", field="year")


async def holiday_entries(session: AsyncSession, year: int) -> int:
    days = CALENDAR.days
    count = await session.scalar(
        sa.select(sa.func.count())
        .select_from(days)
        .where(
            days.c.day >= dt.date(year, 1, 1),
            days.c.day <= dt.date(year, 12, 31),
            days.c.kind == DayKind.HOLIDAY.value,
            days.c.deleted_at.is_(None),
        )
    )
    return int(count or 0)


async def confirm_year(
    uow: UnitOfWork, user: Principal, year: int, override_reason: str | None = None
) -> CalendarConfirmationRow:
    """Confirm a year's schedule; a year without any HOLIDAY entry only with the bureau's reason."""
    check_calendar_year(year)
    years = CALENDAR.years
    row = (await uow.session.execute(sa.select(years).where(years.c.year == year))).first()
    if row is not None and row.confirmed:
        raise Conflict(f"{year} is already confirmed (已确认).", code="ALREADY_CONFIRMED")
    reason = (override_reason or "").strip()
    if override_reason is not None and not reason:
        raise ValidationFailed(
            "A reason is required (须填写原因).",
            [
                {
                    "field": "overrideReason",
                    "message": "Say why the year is confirmed without holidays (须说明无节假日的原因).",
                }
            ],
        )
    holidays = await holiday_entries(uow.session, year)
    if holidays == 0 and not reason:
        raise Conflict(
            f"{year} has no holiday entries: enter its holidays first, or confirm it with an "
            f"overrideReason (该年度无节假日条目).",
            code="NO_HOLIDAYS",
            field="year",
        )
    confirmation = CalendarConfirmationRow(
        year=year,
        holiday_entries=holidays,
        override_reason=reason,
        confirmed_at=utcnow(),
        confirmed_by=actor(user),
    )
    uow.session.add(confirmation)
    values = {"confirmed": True, "confirmed_at": utcnow(), "confirmed_by": actor(user), "source": "bureau"}
    if row is None:
        await uow.session.execute(years.insert().values(year=year, **values))
    else:
        await uow.session.execute(years.update().where(years.c.year == year).values(**values))
    return confirmation


async def latest_confirmation(session: AsyncSession, year: int) -> CalendarConfirmationRow | None:
    result = await session.scalars(
        sa.select(CalendarConfirmationRow)
        .where(CalendarConfirmationRow.year == year)
        .order_by(CalendarConfirmationRow.confirmed_at.desc())
        .limit(1)
    )
    return result.first()


async def after_calendar_change(
    runtime: ServiceRuntime,
    uow: UnitOfWork,
    confirmed_year: int | None = None,
    confirmation: CalendarConfirmationRow | None = None,
) -> list[dict[str, Any]]:
    """Reload the calendar inside the transaction and move the pending deadlines with it."""
    from ecosteward.workdays import load_calendar

    calendar = await load_calendar(uow.session, CALENDAR)
    changed = await recompute_pending_deadlines(uow, calendar)
    if confirmed_year is not None:
        uow.emit(
            "calendar",
            "year_confirmed",
            str(confirmed_year),
            {
                "year": confirmed_year,
                "changed_filings": changed,
                "holiday_entries": confirmation.holiday_entries if confirmation else None,
                "override_reason": confirmation.override_reason if confirmation else "",
            },
        )
    return changed


# ------------------------------------------------------------------------------ accounts


async def on_own_event(uow: UnitOfWork, event: EventEnvelope) -> None:
    """Keycloak provisioning (a consumer of the registry's own events): desired account states."""
    session = uow.session
    kind = event.type.removeprefix("registry.")
    if kind in ("agency.admitted", "agency.suspended", "agency.removed"):
        agency = await session.get(AgencyRow, uuid.UUID(event.subject))
        if agency is None:
            return
        staff = (
            (
                await session.execute(
                    sa.select(StaffRow).where(StaffRow.agency_id == agency.id, StaffRow.left_on.is_(None))
                )
            )
            .scalars()
            .all()
        )
        if kind == "agency.admitted":
            await request_account(session, ACCOUNTS, admin_spec(agency))
            for member in staff:
                await request_account(session, ACCOUNTS, staff_spec(member))
        else:
            await request_disable(session, ACCOUNTS, agency.admin_username)
            for member in staff:
                await request_disable(session, ACCOUNTS, member.username)
    elif kind in ("staff.added", "staff.updated", "staff.left"):
        person = await session.get(StaffRow, uuid.UUID(event.subject))
        if person is None:
            return
        employer = await session.get(AgencyRow, person.agency_id)
        if person.left_on is not None:
            await request_disable(session, ACCOUNTS, person.username)
        elif employer is not None and employer.status == AgencyStatus.ADMITTED.value:
            await request_account(session, ACCOUNTS, staff_spec(person))
    # Other agency events (registered, updated, credit listings, compliance) change no account.


def admin_spec(agency: AgencyRow) -> AccountSpec:
    # Keycloak's user profile wants e-mail, first and last name, or the first login stalls.
    return AccountSpec(
        username=agency.admin_username,
        role="agency_admin",
        attributes={"agency_id": str(agency.id)},
        email=agency.admin_email,
        first_name=agency.contact_name or "管理员",
        last_name=agency.name[:100],
    )


def split_name(name: str) -> tuple[str, str]:
    """(given name, family name) of a Chinese full name: the family name is its first character."""
    name = name.strip()
    return (name[1:] or name, name[:1]) if len(name) > 1 else (name, name)


def staff_spec(member: StaffRow) -> AccountSpec:
    given, family = split_name(member.name)
    return AccountSpec(
        username=member.username,
        role="agency_staff",
        attributes={"agency_id": str(member.agency_id)},
        email=member.email,
        first_name=given,
        last_name=family,
    )


def parse_ids(values: Sequence[object], what: str) -> list[uuid.UUID]:
    from ecosteward.repository import parse_id

    return [parse_id(str(v), what) for v in values]
