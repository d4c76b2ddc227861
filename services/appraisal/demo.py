"""Demo data: appraisals of the demo agency's contract in the demo town (once the registry has announced
it), made through the appraisals use cases."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from ecosteward.demo import DEMO_AGENCY_ID, DEMO_JURISDICTION_ID, demo_id
from ecosteward.demo_support import demo_loader
from ecosteward.identity import Principal, Role
from ecosteward.outbox import UnitOfWork
from ecosteward.runtime import ServiceRuntime
from services.appraisal.appraisals import service
from services.appraisal.appraisals.models import AppraisalRow
from services.appraisal.copies import KnownContractRow

APPRAISER = Principal(subject="demo-loader", username="demo-bureau", roles=frozenset({Role.BUREAU_OFFICER}))

# (period, total score, final?)
APPRAISALS = [("2026-Q1", Decimal("86.5"), True), ("2026-Q2", Decimal("91.0"), False)]


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


async def _appraise(uow: UnitOfWork, contract: KnownContractRow) -> None:
    for period, score, final in APPRAISALS:
        row = await service.create_appraisal(
            uow,
            APPRAISER,
            contract_id=contract.id,
            period=period,
            total_score=score,
            new_id=demo_id("demo", "appraisal", contract.id, period),
        )
        if final:
            await service.finalise_appraisal(uow, APPRAISER, row.id)


load = demo_loader(
    _demo_contract,
    AppraisalRow,
    _appraise,
    "no demo contract announced by the registry; demo appraisals not loaded",
)
"""Appraise the demo contract once it is known locally (it arrives as ``registry.contract.*``)."""
