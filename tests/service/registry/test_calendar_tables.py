"""The registry's working-day calendar tables (工作日历): seed, load and cache on SQLite."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ecosteward.db import create_engine, service_metadata, session_factory, transaction, utcnow
from ecosteward.workdays import SOURCE_BUREAU, SOURCE_SEED, WorkdayCalendar, seed_from_chinese_calendar
from services.registry.calendar.models import calendar_tables
from services.registry.calendar.queries import CalendarCache, load_calendar
from services.registry.calendar.service import seed_calendar

SEED_DAYS, SEED_YEARS = seed_from_chinese_calendar()
SEEDED = WorkdayCalendar(SEED_DAYS, SEED_YEARS)
D = dt.date


async def test_seed_and_load_the_calendar_tables() -> None:
    metadata = service_metadata()
    tables = calendar_tables(metadata)
    assert calendar_tables(metadata) == tables  # defining twice returns the same tables
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        factory = session_factory(engine)

        # A bureau correction and a soft-deleted seed row exist before the seed runs.
        now = utcnow()
        async with transaction(factory) as session:
            await session.execute(
                sa.insert(tables.days),
                [
                    {
                        "day": D(2026, 10, 1),
                        "kind": "MAKEUP_WORKDAY",
                        "name": "更正 correction",
                        "source": SOURCE_BUREAU,
                        "updated_at": now,
                        "updated_by": "officer",
                        "deleted_at": None,
                    },
                    {
                        "day": D(2026, 10, 2),
                        "kind": "HOLIDAY",
                        "name": "国庆节 National Day",
                        "source": SOURCE_SEED,
                        "updated_at": now,
                        "updated_by": None,
                        "deleted_at": now,
                    },
                ],
            )
        async with transaction(factory) as session:
            inserted = await seed_calendar(session, tables)
        assert inserted == len(SEED_DAYS) - 2 + len(SEED_YEARS)
        async with transaction(factory) as session:
            assert await seed_calendar(session, tables) == 0  # idempotent

        async with factory() as session:
            calendar = await load_calendar(session, tables)
            bureau_row = (
                await session.execute(sa.select(tables.days).where(tables.days.c.day == D(2026, 10, 1)))
            ).one()
        assert bureau_row.source == SOURCE_BUREAU and bureau_row.updated_at.tzinfo is not None
        assert calendar.confirmed_years == SEEDED.confirmed_years
        assert calendar.is_workday(D(2026, 10, 1))  # the bureau's edit was kept
        assert calendar.is_workday(D(2026, 10, 2))  # the soft-deleted holiday stays gone
        assert calendar.add_working_days(D(2026, 4, 30), 5) == SEEDED.add_working_days(D(2026, 4, 30), 5)

        # The cache serves one calendar until invalidated or stale.
        clock = [0.0]
        cache = CalendarCache(tables, max_age_seconds=60, clock=lambda: clock[0])
        first = await cache.get(factory)
        assert await cache.get(factory) is first
        async with transaction(factory) as session:
            await session.execute(sa.insert(tables.years).values(year=2027, confirmed=True, source="bureau"))
        assert await cache.get(factory) is first
        cache.invalidate()
        second = await cache.get(factory)
        assert second is not first and second.is_confirmed(2027)
        clock[0] = 61.0
        assert await cache.get(factory) is not second
    finally:
        await engine.dispose()
