"""Calendar use cases on SQLite: an entry, and confirming a year with and without holidays."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from ecosteward.errors import Conflict
from ecosteward.workdays import DayKind
from services.registry.calendar import service as calendar
from services.registry.calendar.models import CALENDAR
from tests.service.registry.conftest import BUREAU
from tests.service.support import ServiceDb


async def _confirm(db: ServiceDb, year: int, reason: str | None = None) -> None:
    async with db.unit_of_work() as uow:
        confirmation = await calendar.confirm_year(uow, BUREAU, year, reason)
        await calendar.after_calendar_change(uow, confirmed_year=year, confirmation=confirmation)


async def test_calendar_entry_and_confirmation_with_and_without_holidays(db: ServiceDb) -> None:
    async with db.unit_of_work() as uow:
        await calendar.set_calendar_day(uow, BUREAU, dt.date(2090, 10, 2), DayKind.HOLIDAY, "国庆节")
        await calendar.after_calendar_change(uow)
    [day_set] = await db.events("registry.calendar.day_set")
    assert day_set["data"] == {"day": "2090-10-02", "kind": "HOLIDAY", "name": "国庆节"}
    await _confirm(db, 2090)
    with pytest.raises(Conflict) as no_holidays:
        await _confirm(db, 2091)
    assert no_holidays.value.extensions["code"] == "NO_HOLIDAYS"
    await _confirm(db, 2091, "No holidays that year")
    confirmed = await db.events("registry.calendar.year_confirmed")
    assert [e["data"]["holiday_entries"] for e in confirmed] == [1, 0]
    assert confirmed[1]["data"]["override_reason"] == "No holidays that year"
    async with db.sessions() as session:
        years = (
            await session.execute(sa.select(CALENDAR.years.c.year).where(CALENDAR.years.c.confirmed))
        ).scalars()
        assert {2090, 2091} <= set(years)
