"""Agency use cases: registration, the admission workflow, contact details and credit listings.

Each runs in the caller's unit of work (the change and its events commit together).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ecosteward.clock import china_today
from ecosteward.db import utcnow
from ecosteward.errors import Conflict, ValidationFailed
from ecosteward.identifiers import credit_code_problem, normalise_credit_code
from ecosteward.identity import Principal, Role
from ecosteward.outbox import UnitOfWork
from ecosteward.repository import get_live
from services.registry import access
from services.registry.accounts import service as accounts
from services.registry.agencies import domain
from services.registry.agencies.domain import AgencyStatus
from services.registry.agencies.events import AgencyChanged
from services.registry.agencies.models import AgencyRow, AgencyStatusChangeRow, CreditListingRow
from services.registry.staff.domain import Title, account_problems, staff_active
from services.registry.staff.models import StaffRow


@dataclass
class AgencyInput:
    name: str
    credit_code: str
    admin_username: str
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    admin_email: str | None = None


def agency_changed(agency: AgencyRow, **extra: Any) -> AgencyChanged:
    """The agency's event payload; ``extra`` adds a verb's own fields (reason, unmet rules)."""
    return AgencyChanged.from_attributes(
        agency, "id", "name", "credit_code", "status", "admin_username", "admin_email", **extra
    )


async def register_agency(
    uow: UnitOfWork,
    user: Principal,
    data: AgencyInput,
    agency_id: uuid.UUID | None = None,
    *,
    check_keycloak: bool = True,
) -> AgencyRow:
    """An agency applies to the agency database (入库申请); status APPLIED.

    The admin's username must be free here and in Keycloak (``check_keycloak``; the demo loader,
    whose accounts the development realm already holds, skips it).
    """
    agency_id = agency_id or uuid.uuid4()
    if check_keycloak:
        await accounts.check_username_in_keycloak(data.admin_username, Role.AGENCY_ADMIN, agency_id)
    name, code = data.name.strip(), normalise_credit_code(data.credit_code)
    username = data.admin_username.strip().lower()
    problems = []
    if not name:
        problems.append({"field": "name", "message": "A name is required (须填写名称)."})
    if (problem := credit_code_problem(code)) is not None:
        problems.append({"field": "creditCode", "message": problem})
    problems += account_problems(username, data.admin_email, "adminUsername", "adminEmail", "admin")
    if problems:
        raise ValidationFailed("The agency is not valid (机构信息有误).", problems)
    session = uow.session
    if await session.scalar(sa.select(AgencyRow.id).where(AgencyRow.credit_code == code)) is not None:
        raise Conflict(
            f"An agency with credit code {code} is already registered (机构已登记).", field="creditCode"
        )
    await accounts.check_username_free(session, username, "adminUsername")
    now = utcnow()
    agency = AgencyRow(
        id=agency_id,
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
    session.add(AgencyStatusChangeRow.of(agency.id, (None, agency.status), "applied", now, user.actor))
    uow.publish("registered", agency_changed(agency), subject=agency.id)
    return agency


async def admission_failures(
    session: AsyncSession, agency_id: uuid.UUID, on: dt.date
) -> list[domain.RuleFailure]:
    """Every admission rule the agency fails on ``on`` (its listings and staff as stored)."""
    listings = (
        await session.scalars(
            sa.select(CreditListingRow).where(
                CreditListingRow.agency_id == agency_id, CreditListingRow.deleted_at.is_(None)
            )
        )
    ).all()
    blacklisted = any(domain.listing_active(x.listed_on, x.delisted_on, on) for x in listings)
    staff = (
        await session.scalars(
            sa.select(StaffRow).where(StaffRow.agency_id == agency_id, StaffRow.deleted_at.is_(None))
        )
    ).all()
    facts = [
        domain.StaffFacts(
            professional=s.professional,
            title=Title(s.title),
            quality_manager=s.quality_manager,
            active=staff_active(s.joined_on, s.left_on, on),
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
    uow: UnitOfWork,
    user: Principal,
    agency_id: uuid.UUID,
    target: AgencyStatus,
    reason: str,
    *,
    today: dt.date | None = None,
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
        failures = await admission_failures(session, agency_id, today or china_today())
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
        AgencyStatusChangeRow.of(
            agency.id,
            (current.value, target.value),
            reason,
            now,
            user.actor,
            unmet_rules=[f.code for f in failures],
        )
    )
    uow.publish(
        _VERBS[target], agency_changed(agency, reason=reason, from_status=current.value), subject=agency.id
    )
    return agency


async def recheck_agency(uow: UnitOfWork, agency_id: uuid.UUID, *, today: dt.date | None = None) -> None:
    """Re-evaluate an admitted agency after its staff or listings change; flag it when it slips."""
    agency = await get_live(uow.session, AgencyRow, agency_id, "Agency")
    if agency.status != AgencyStatus.ADMITTED.value:
        return
    await uow.session.flush()
    failures = await admission_failures(uow.session, agency_id, today or china_today())
    codes = [f.code for f in failures]
    met = not failures
    if met == agency.rules_met and codes == list(agency.unmet_rules or []):
        return
    was_met = agency.rules_met
    agency.rules_met, agency.unmet_rules = met, codes
    if not met and was_met is not False:
        agency.noncompliant_since = utcnow()
        uow.publish("noncompliant", agency_changed(agency, unmet_rules=codes), subject=agency.id)
    elif met and was_met is False:
        agency.noncompliant_since = None
        uow.publish("compliant", agency_changed(agency), subject=agency.id)


async def update_agency(
    uow: UnitOfWork, user: Principal, agency_id: uuid.UUID, changes: dict[str, str | None]
) -> AgencyRow:
    """Change an agency's contact details: the bureau, or the agency's own admin."""
    access.check_agency_editable(user, agency_id)
    agency = await get_live(uow.session, AgencyRow, agency_id, "Agency")
    for key, value in changes.items():
        if value is not None:
            setattr(agency, key, value.strip())
    if not agency.name:
        raise ValidationFailed(
            "The agency is not valid (机构信息有误).",
            [{"field": "name", "message": "A name is required (须填写名称)."}],
        )
    uow.publish("updated", agency_changed(agency), subject=agency.id)
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
    uow.publish(
        "credit_listed",
        AgencyChanged(agency_id=agency_id, source=listing.source, listed_on=listed_on),
        subject=agency_id,
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
    uow.publish(
        "credit_delisted",
        AgencyChanged(agency_id=listing.agency_id, delisted_on=delisted_on),
        subject=listing.agency_id,
    )
    await recheck_agency(uow, listing.agency_id)
    return listing
