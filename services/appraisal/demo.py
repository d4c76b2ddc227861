"""Demo data: appraisals of the demo agency's contract in the demo town (once the registry has announced it)."""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal

import sqlalchemy as sa

from ecosteward.app import ServiceRuntime
from ecosteward.demo import DEMO_AGENCY_ID, DEMO_JURISDICTION_ID
from ecosteward.demo_support import has_rows, wait_for
from services.appraisal.domain import score_to_tenths
from services.appraisal.events import emit_appraisal
from services.appraisal.models import AppraisalRow, KnownContractRow

log = logging.getLogger(__name__)

# (period, total score, status)
APPRAISALS = [("2026-Q1", Decimal("86.5"), "FINAL"), ("2026-Q2", Decimal("91.0"), "DRAFT")]


async def _demo_contract(runtime: ServiceRuntime) -> KnownContractRow | None:
    async with runtime.sessions() as session:
        return await session.scalar(
            sa.select(KnownContractRow)
            .where(
                KnownContractRow.agency_id == DEMO_AGENCY_ID,
                KnownContractRow.jurisdiction_id == DEMO_JURISDICTION_ID,
            )
            .order_by(KnownContractRow.id)
            .limit(1)
        )


async def load(runtime: ServiceRuntime, wait_seconds: float = 120.0) -> None:
    """Appraise the demo contract once it is known locally (it arrives as ``registry.contract.*``)."""
    contract = await wait_for(lambda: _demo_contract(runtime), wait_seconds)
    if contract is None:
        log.warning("no demo contract announced by the registry; demo appraisals not loaded")
        return
    async with runtime.unit_of_work() as uow:
        if await has_rows(uow.session, AppraisalRow):
            return
        for period, score, status in APPRAISALS:
            row = AppraisalRow(
                id=uuid.uuid5(uuid.NAMESPACE_URL, f"ecosteward:demo:appraisal:{contract.id}:{period}"),
                contract_id=contract.id,
                agency_id=contract.agency_id,
                jurisdiction_id=contract.jurisdiction_id,
                period=period,
                total_score_tenths=score_to_tenths(score),
                status=status,
            )
            uow.session.add(row)
            await uow.session.flush()
            emit_appraisal(uow, "created", row)
