"""Contract and filing use cases: draft, sign (starting the filing clock), file, return, acknowledge,
end or terminate; the scope rule (a contract stays inside its managing department's jurisdiction).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecosteward.clock import china_today
from ecosteward.config import RegistrySettings
from ecosteward.db import utcnow
from ecosteward.errors import BadUserInput, Conflict, ValidationFailed
from ecosteward.identity import Principal
from ecosteward.outbox import UnitOfWork
from ecosteward.repository import get_live
from ecosteward.workdays import WorkdayCalendar
from services.registry import access
from services.registry.agencies.domain import AgencyStatus
from services.registry.agencies.models import AgencyRow
from services.registry.contracts import domain
from services.registry.contracts.domain import ContractStatus, FilingStatus
from services.registry.contracts.events import ContractChanged, DeadlineChange, FilingChanged
from services.registry.contracts.models import FilingActionRow, FilingRow, ServiceContractRow
from services.registry.contracts.queries import awaiting_filing
from services.registry.copies import KnownEnterpriseRow
from services.registry.jurisdictions.domain import JurisdictionKind
from services.registry.jurisdictions.models import JurisdictionRow
from services.registry.reference import service_catalogue


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


def contract_changed(contract: ServiceContractRow, **extra: Any) -> ContractChanged:
    """The contract's event payload; ``extra`` adds a verb's own fields (the filing due date)."""
    return ContractChanged.from_attributes(
        contract,
        *("id", "title", "agency_id", "jurisdiction_id", "price", "starts_on", "ends_on", "status"),
        *("service_mode", "contracted_tasks", "signed_on"),
        scope_jurisdiction_ids=_ids(contract.scope_jurisdiction_ids),
        scope_enterprise_ids=_ids(contract.scope_enterprise_ids),
        **extra,
    )


async def create_contract(
    uow: UnitOfWork, user: Principal, data: ContractInput, contract_id: uuid.UUID | None = None
) -> ServiceContractRow:
    """Draft a contract: the bureau for any managing department, a town only for itself."""
    access.check_contract_creatable(user, data.jurisdiction_id)
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
    uow.publish("drafted", contract_changed(contract), subject=contract.id)
    return contract


async def sign_contract(
    uow: UnitOfWork,
    user: Principal,
    contract_id: uuid.UUID,
    signed_on: dt.date,
    calendar: WorkdayCalendar,
    *,
    today: dt.date | None = None,
) -> tuple[ServiceContractRow, FilingRow]:
    """Signing starts the filing clock: due on the 10th working day after the signing day."""
    session = uow.session
    await access.contract_for_change(session, user, contract_id)
    contract = await get_live(session, ServiceContractRow, contract_id, "ServiceContract")
    domain.check_contract_transition(ContractStatus(contract.status), ContractStatus.SIGNED)
    if signed_on > (today or china_today()):
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
    uow.publish(
        "signed",
        contract_changed(
            contract, filing_due_on=deadline.due_on, filing_due_provisional=deadline.provisional
        ),
        subject=contract.id,
    )
    return contract, filing


SCOPE_WAIT_SECONDS = RegistrySettings().scope_wait_seconds  # ECOSTEWARD_REGISTRY_SCOPE_WAIT_SECONDS
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
    whole_district = kinds[managing_id] == JurisdictionKind.DISTRICT.value
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


async def _offence_of(session: AsyncSession, contract: ServiceContractRow) -> domain.ScopeOffence:
    """What of ``contract``'s scope lies outside its managing jurisdiction (falsy: nothing)."""
    return await scope_offence(
        session,
        contract.jurisdiction_id,
        _ids(contract.scope_jurisdiction_ids),
        _ids(contract.scope_enterprise_ids),
    )


async def check_contract_scope(session: AsyncSession, contract: ServiceContractRow) -> None:
    """VALIDATION_FAILED naming every scope id outside the contract's managing jurisdiction."""
    offence = await _offence_of(session, contract)
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
        offence = await _offence_of(session, contract)
        if offence:
            found.append((contract, offence))
    return found


async def filing_of(session: AsyncSession, contract_id: uuid.UUID) -> FilingRow:
    filing = await session.scalar(sa.select(FilingRow).where(FilingRow.contract_id == contract_id))
    if filing is None:
        raise Conflict(
            "The contract is not signed yet, so there is no filing (合同未签订).", code="NOT_SIGNED"
        )
    return filing


def filing_changed(filing: FilingRow, contract: ServiceContractRow, **extra: Any) -> FilingChanged:
    """The filing's event payload; ``extra`` adds a verb's own fields (reason, moved due date)."""
    return FilingChanged.from_attributes(
        filing,
        *("id", "contract_id", "jurisdiction_id", "agency_id", "status", "due_on", "due_provisional"),
        *("first_filed_on", "filed_late"),
        contract_status=contract.status,
        **extra,
    )


async def file_contract(
    uow: UnitOfWork, user: Principal, contract_id: uuid.UUID, *, today: dt.date | None = None
) -> FilingRow:
    """The jurisdiction files (or re-files after a return) its signed contract with the bureau."""
    session = uow.session
    await access.contract_for_change(session, user, contract_id)
    contract = await get_live(session, ServiceContractRow, contract_id, "ServiceContract")
    current = ContractStatus(contract.status)
    if current is ContractStatus.FILED:
        raise Conflict("The contract is already filed (已报备).", code="ALREADY_FILED")
    if current in (ContractStatus.ACTIVE, ContractStatus.ENDED):
        raise Conflict("The filing was already acknowledged (已确认备案).", code="ALREADY_FILED")
    domain.check_contract_transition(current, ContractStatus.FILED)
    filing = await filing_of(session, contract_id)
    today = today or china_today()
    refiling = filing.status == FilingStatus.RETURNED.value
    contract.status = ContractStatus.FILED.value
    filing.status, filing.filed_at = FilingStatus.FILED.value, utcnow()
    if filing.first_filed_on is None:
        filing.first_filed_on = today
        filing.filed_late = today > filing.due_on
    session.add(
        FilingActionRow(
            filing_id=filing.id, action="REFILED" if refiling else "FILED", at=utcnow(), by=user.actor
        )
    )
    uow.publish("refiled" if refiling else "filed", filing_changed(filing, contract), subject=filing.id)
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
    filing = await filing_of(session, contract_id)
    contract.status = ContractStatus.RETURNED.value
    filing.status, filing.return_reason = FilingStatus.RETURNED.value, reason.strip()
    session.add(
        FilingActionRow(
            filing_id=filing.id, action="RETURNED", at=utcnow(), by=user.actor, reason=reason.strip()
        )
    )
    uow.publish("returned", filing_changed(filing, contract, reason=filing.return_reason), subject=filing.id)
    return filing


async def acknowledge_filing(uow: UnitOfWork, user: Principal, contract_id: uuid.UUID) -> FilingRow:
    session = uow.session
    contract = await get_live(session, ServiceContractRow, contract_id, "ServiceContract")
    if contract.status != ContractStatus.FILED.value:
        raise Conflict("Only a filed contract can be acknowledged (未报备).", code="NOT_FILED")
    filing = await filing_of(session, contract_id)
    contract.status = ContractStatus.ACTIVE.value
    filing.status, filing.acknowledged_at = FilingStatus.ACKNOWLEDGED.value, utcnow()
    session.add(FilingActionRow(filing_id=filing.id, action="ACKNOWLEDGED", at=utcnow(), by=user.actor))
    uow.publish("acknowledged", filing_changed(filing, contract), subject=filing.id)
    uow.publish("activated", contract_changed(contract), subject=contract.id)
    return filing


async def close_contract(
    uow: UnitOfWork, user: Principal, contract_id: uuid.UUID, target: ContractStatus, on: dt.date, reason: str
) -> ServiceContractRow:
    """End an active contract, or terminate one early with a reason (the managing department)."""
    await access.contract_for_change(uow.session, user, contract_id)
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
    verb = "ended" if target is ContractStatus.ENDED else "terminated"
    uow.publish(verb, contract_changed(contract), subject=contract.id)
    return contract


async def announce_overdue_filings(uow: UnitOfWork, today: dt.date) -> int:
    """``filing.overdue`` once per filing whose due date passed without a filing; how many are overdue."""
    overdue = awaiting_filing() & (FilingRow.due_on < today) & FilingRow.deleted_at.is_(None)
    count = await uow.session.scalar(sa.select(sa.func.count()).select_from(FilingRow).where(overdue)) or 0
    unannounced = (
        sa.select(FilingRow, ServiceContractRow)
        .join(ServiceContractRow, ServiceContractRow.id == FilingRow.contract_id)
        .where(overdue, FilingRow.overdue_announced_at.is_(None))
    )
    await uow.announce_once(unannounced, "overdue_announced_at", "overdue", filing_changed)
    return int(count)


async def recompute_pending_deadlines(
    uow: UnitOfWork, calendar: WorkdayCalendar, *, today: dt.date | None = None
) -> list[DeadlineChange]:
    """After a calendar change: due dates of filings not yet filed follow the corrected calendar."""
    today = today or china_today()
    changed: list[DeadlineChange] = []
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
        change = DeadlineChange(
            filing_id=filing.id,
            contract_id=filing.contract_id,
            old_due_on=filing.due_on,
            new_due_on=deadline.due_on,
            provisional=deadline.provisional,
        )
        filing.due_on, filing.due_provisional = deadline.due_on, deadline.provisional
        if deadline.due_on >= today:
            filing.overdue_announced_at = None
        uow.publish(
            "deadline_changed",
            filing_changed(
                filing,
                contract,
                filing_id=change.filing_id,
                old_due_on=change.old_due_on,
                new_due_on=change.new_due_on,
                provisional=change.provisional,
            ),
            subject=filing.id,
        )
        changed.append(change)
    return changed
