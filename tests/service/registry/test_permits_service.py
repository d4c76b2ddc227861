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


async def test_an_expired_permit_is_announced_once_and_a_revoked_one_never(db: ServiceDb) -> None:
    town = await make_town(db)
    agency_id, staff = await make_agency(db)
    periods = {  # holder, first and last valid day
        "lapsed": (staff[0], dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
        "revoked": (staff[1], dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
        "current": (staff[0], dt.date(2026, 7, 1), dt.date(2027, 6, 30)),
    }
    async with db.unit_of_work() as uow:
        issued = {
            name: await permits.issue_permit(uow, BUREAU, holder, agency_id, town, first, last)
            for name, (holder, first, last) in periods.items()
        }
    async with db.unit_of_work() as uow:
        await permits.revoke_permit(uow, BUREAU, issued["revoked"].id, "违规作业")
    for day, announced in ((dt.date(2026, 6, 30), 0), (dt.date(2026, 7, 1), 1), (dt.date(2026, 7, 2), 0)):
        async with db.unit_of_work() as uow:
            assert await permits.announce_expired_permits(uow, day) == announced
    [expired] = await db.events("registry.permit.expired")
    assert expired["subject"] == str(issued["lapsed"].id)
