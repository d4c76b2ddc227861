"""Staff use cases on SQLite: a departure makes an admitted agency noncompliant."""

from __future__ import annotations

import datetime as dt

from services.registry.agencies.models import AgencyRow
from services.registry.staff import service as staff_files
from tests.service.registry.builders import TODAY, make_agency
from tests.service.registry.conftest import BUREAU
from tests.service.support import ServiceDb


async def test_a_departure_makes_an_admitted_agency_noncompliant(db: ServiceDb) -> None:
    agency_id, staff = await make_agency(db)
    async with db.unit_of_work() as uow:
        await staff_files.staff_left(uow, BUREAU, staff[1], TODAY - dt.timedelta(days=1))
    async with db.sessions() as session:
        agency = await session.get(AgencyRow, agency_id)
    assert agency is not None and agency.rules_met is False and agency.noncompliant_since is not None
    assert agency.unmet_rules == ["TOO_FEW_PROFESSIONALS", "TOO_FEW_SENIOR_TITLES"]
    [left] = await db.events("registry.staff.left")
    assert left["data"]["left_on"] == (TODAY - dt.timedelta(days=1)).isoformat()
    [flag] = await db.events("registry.agency.noncompliant")
    assert flag["data"]["unmet_rules"] == ["TOO_FEW_PROFESSIONALS", "TOO_FEW_SENIOR_TITLES"]
