"""Start-up work of the calendar area."""

from __future__ import annotations

from ecosteward.runtime import ServiceRuntime
from services.registry.calendar.service import seed_calendar


async def seed_working_day_calendar(runtime: ServiceRuntime) -> None:
    """Seed the calendar table from chinese-calendar (years it knows; never overwrites bureau edits)."""
    async with runtime.sessions() as session, session.begin():
        await seed_calendar(session)
