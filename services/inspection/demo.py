"""Demo data: one visit with two findings at the demo enterprise (once the archive has announced it),
recorded through the visits use cases."""

from __future__ import annotations

import datetime as dt

from ecosteward.demo import DEMO_AGENCY_ID, DEMO_ENTERPRISE_ID, demo_id
from ecosteward.demo_support import demo_loader, known_row
from ecosteward.identity import Principal, Role
from ecosteward.outbox import UnitOfWork
from services.inspection.copies import KnownEnterpriseRow
from services.inspection.visits import service
from services.inspection.visits.models import InspectionRow

DEMO_INSPECTION_ID = demo_id("demo", "inspection", 1)
VISITED_ON = dt.date(2026, 3, 12)

RECORDER = Principal(
    subject="demo-loader", username="demo-agency-staff", roles=frozenset({Role.BUREAU_OFFICER})
)
"""The demo visit is the demo staff member's, recorded with the bureau's authority: the registry's
contracts and permits that the field-work rule reads may not have arrived yet when the demo loads."""

# (category, description, legal basis, handling class, deadline)
FINDINGS: list[tuple[str, str, str, str, dt.date | None]] = [
    (
        "WASTE_GAS_FACILITIES",
        "活性炭吸附装置未按期更换活性炭，无更换记录。",
        "《中华人民共和国大气污染防治法》第四十五条",
        "FIX_BY_DEADLINE",
        dt.date(2026, 4, 15),
    ),
    (
        "SOLID_AND_HAZARDOUS_WASTE",
        "危险废物贮存间未张贴危险废物识别标志。",
        "GB 18597《危险废物贮存污染控制标准》",
        "IMMEDIATE_FIX",
        None,
    ),
]


async def _record_visit(uow: UnitOfWork, enterprise: KnownEnterpriseRow) -> None:
    inspection = await service.record_inspection(
        uow,
        RECORDER,
        enterprise_id=enterprise.id,
        visited_on=VISITED_ON,
        summary="例行巡查：检查废气、危废贮存及台账，现场发现问题2项。",
        agency_id=DEMO_AGENCY_ID,
        today=VISITED_ON,
        new_id=DEMO_INSPECTION_ID,
    )
    for index, (category, description, legal_basis, handling_class, due) in enumerate(FINDINGS, start=1):
        await service.record_finding(
            uow,
            RECORDER,
            inspection_id=inspection.id,
            category=category,
            description=description,
            legal_basis=legal_basis,
            handling_class=handling_class,
            deadline=due,
            new_id=demo_id("demo", "finding", index),
        )


load = demo_loader(
    known_row(KnownEnterpriseRow, DEMO_ENTERPRISE_ID),
    InspectionRow,
    _record_visit,
    "demo enterprise not announced by the archive; demo inspections not loaded",
)
"""Record the demo visit once the demo enterprise is known locally (it arrives as an event)."""
