"""Agency use cases on SQLite: registration, admission and refusal, with their events."""

from __future__ import annotations

import pytest

from ecosteward.errors import ValidationFailed
from services.registry.agencies import service as agencies
from services.registry.agencies.domain import AgencyStatus
from services.registry.agencies.models import AgencyRow
from tests.service.registry.builders import TODAY, make_agency, register
from tests.service.registry.conftest import BUREAU
from tests.service.support import ServiceDb


async def test_register_admit_and_refuse_agencies(db: ServiceDb) -> None:
    agency_id, _ = await make_agency(db)
    async with db.sessions() as session:
        agency = await session.get(AgencyRow, agency_id)
    assert agency is not None and agency.status == "ADMITTED" and agency.rules_met is True
    [registered] = await db.events("registry.agency.registered")
    assert set(registered["data"]) == {"id", "name", "credit_code", "status", "admin_username", "admin_email"}
    [admitted] = await db.events("registry.agency.admitted")
    assert admitted["data"]["from_status"] == "APPLIED" and admitted["data"]["reason"] == ""

    async with db.unit_of_work() as uow:
        lonely = await register(uow, "孤单", "91350100M000100Y43", "lonely", "l@example.com")
    with pytest.raises(ValidationFailed) as refused:
        async with db.unit_of_work() as uow:
            await agencies.change_agency_status(
                uow, BUREAU, lonely.id, AgencyStatus.ADMITTED, "", today=TODAY
            )
    codes = [v["field"] for v in refused.value.extensions["violations"]]
    assert codes == ["TOO_FEW_PROFESSIONALS", "TOO_FEW_SENIOR_TITLES", "QUALITY_MANAGER"]
    async with db.unit_of_work() as uow:
        await agencies.change_agency_status(uow, BUREAU, lonely.id, AgencyStatus.REFUSED, "不符合条件")
    [event] = await db.events("registry.agency.refused")
    assert event["data"]["reason"] == "不符合条件" and event["data"]["status"] == "REFUSED"
