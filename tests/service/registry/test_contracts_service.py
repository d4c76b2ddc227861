"""Contract use cases on SQLite: draft → sign → file → return → re-file → acknowledge."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ecosteward.workdays import WorkdayCalendar
from services.registry.contracts import service as contracts
from services.registry.contracts.domain import ContractStatus, FilingStatus, ServiceMode
from tests.service.registry.builders import TODAY, event_types, make_agency, make_town
from tests.service.registry.conftest import BUREAU
from tests.service.support import ServiceDb


async def test_contract_draft_sign_file_return_acknowledge(db: ServiceDb) -> None:
    town = await make_town(db)
    agency_id, _ = await make_agency(db)
    seeded = WorkdayCalendar([], range(2000, 2101))  # weekends only
    async with db.unit_of_work() as uow:
        contract = await contracts.create_contract(
            uow,
            BUREAU,
            contracts.ContractInput(
                title="环保管家",
                agency_id=agency_id,
                jurisdiction_id=town,
                price=Decimal("960000.00"),
                starts_on=dt.date(2026, 1, 1),
                ends_on=dt.date(2026, 12, 31),
                service_mode=ServiceMode.ON_SITE,
                contracted_tasks=40,
                scope_jurisdiction_ids=[town],
                scope_enterprise_ids=[],
                catalogue_codes=["B1-8"],
                attachments=[],
            ),
        )
    signed_on = dt.date(2026, 9, 25)  # a Friday: 10 working days later (weekends only) is Fri 9 Oct
    async with db.unit_of_work() as uow:
        _, filing = await contracts.sign_contract(uow, BUREAU, contract.id, signed_on, seeded, today=TODAY)
    assert filing.due_on == dt.date(2026, 10, 9) and filing.status == FilingStatus.PENDING.value
    [signed] = await db.events("registry.contract.signed")
    assert signed["data"]["filing_due_on"] == "2026-10-09" and signed["data"]["price"] == "960000.00"
    async with db.unit_of_work() as uow:
        await contracts.file_contract(uow, BUREAU, contract.id, today=TODAY)
    async with db.unit_of_work() as uow:
        returned = await contracts.return_filing(uow, BUREAU, contract.id, "缺附件")
    assert returned.status == FilingStatus.RETURNED.value
    async with db.unit_of_work() as uow:
        await contracts.file_contract(uow, BUREAU, contract.id, today=TODAY)
        await contracts.acknowledge_filing(uow, BUREAU, contract.id)
    verbs = event_types(await db.events())
    assert verbs[-6:] == [
        "registry.contract.signed",
        "registry.filing.filed",
        "registry.filing.returned",
        "registry.filing.refiled",
        "registry.filing.acknowledged",
        "registry.contract.activated",
    ]
    [acknowledged] = await db.events("registry.filing.acknowledged")
    assert acknowledged["data"]["contract_status"] == ContractStatus.ACTIVE.value
    assert acknowledged["data"]["filed_late"] is False
