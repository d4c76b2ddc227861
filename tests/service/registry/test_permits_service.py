"""Work permit use cases on SQLite: issue and revoke."""

from __future__ import annotations

import datetime as dt

import pytest

from ecosteward.errors import Conflict
from services.registry.permits import service as permits
from tests.service.registry.builders import make_agency, make_town
from tests.service.registry.conftest import BUREAU
from tests.service.support import ServiceDb


async def test_issue_and_revoke_a_permit(db: ServiceDb) -> None:
    town = await make_town(db)
    agency_id, staff = await make_agency(db)
    async with db.unit_of_work() as uow:
        permit = await permits.issue_permit(
            uow, BUREAU, staff[0], agency_id, town, dt.date(2026, 1, 1), dt.date(2027, 12, 31)
        )
    [issued] = await db.events("registry.permit.issued")
    assert issued["data"]["staff_username"] == "staff-0" and issued["data"]["revoked_on"] is None
    assert "reason" not in issued["data"]
    async with db.unit_of_work() as uow:
        revoked = await permits.revoke_permit(uow, BUREAU, permit.id, "违规作业")
    assert revoked.revoked_at is not None and revoked.revoked_reason == "违规作业"
    [event] = await db.events("registry.permit.revoked")
    assert event["data"]["reason"] == "违规作业" and event["data"]["revoked_on"] is not None
    with pytest.raises(Conflict):
        async with db.unit_of_work() as uow:
            await permits.revoke_permit(uow, BUREAU, permit.id, "again")
