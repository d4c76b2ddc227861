"""Appraisal use cases (用例): create a draft appraisal of a contract, finalise it.

Each runs inside the caller's unit of work (rows and the event in the outbox, or nothing at all). Only
the bureau appraises: the caller checks the role (``access.APPRAISER_ROLES``).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa

from ecosteward.errors import BadUserInput, Conflict
from ecosteward.identity import Principal
from ecosteward.outbox import UnitOfWork
from ecosteward.repository import get_live
from ecosteward.uniqueness import add_unique
from services.appraisal.appraisals import domain
from services.appraisal.appraisals.events import AppraisalChanged
from services.appraisal.appraisals.models import AppraisalRow
from services.appraisal.copies import KnownContractRow


async def create_appraisal(
    uow: UnitOfWork,
    actor: Principal,
    *,
    contract_id: uuid.UUID,
    period: str,
    total_score: Decimal,
    new_id: uuid.UUID | None = None,
) -> AppraisalRow:
    """Appraise a known contract for a period, as a draft; the agency and jurisdiction come from the
    contract. One appraisal per contract and period (CONFLICT otherwise)."""
    parsed, tenths = domain.check_appraisal(period, total_score)
    contract = await uow.session.get(KnownContractRow, contract_id)
    if contract is None:
        raise BadUserInput(
            "Unknown contract: the registry has not announced it (合同不存在).",
            code="UNKNOWN_CONTRACT",
            field="contractId",
        )
    row = AppraisalRow(
        contract_id=contract_id,
        agency_id=contract.agency_id,
        jurisdiction_id=contract.jurisdiction_id,
        period=parsed.label,
        total_score_tenths=tenths,
        status=domain.AppraisalStatus.DRAFT,
    )
    if new_id is not None:
        row.id = new_id
    twin = sa.select(AppraisalRow.id).where(
        AppraisalRow.contract_id == contract_id, AppraisalRow.period == parsed.label
    )
    already = Conflict(
        f"The contract already has an appraisal for {parsed.label} (重复考核).", field="period"
    )
    await add_unique(uow.session, row, twin, already)
    uow.publish("created", AppraisalChanged.of(row), subject=row.id)
    return row


async def finalise_appraisal(uow: UnitOfWork, actor: Principal, appraisal_id: uuid.UUID) -> AppraisalRow:
    """Confirm a draft appraisal as final; a final appraisal never changes (ALREADY_FINAL)."""
    row = await get_live(uow.session, AppraisalRow, appraisal_id, "Appraisal")
    domain.check_can_finalise(row.status)
    row.status = domain.AppraisalStatus.FINAL
    await uow.session.flush()
    uow.publish("finalised", AppraisalChanged.of(row), subject=row.id)
    return row
