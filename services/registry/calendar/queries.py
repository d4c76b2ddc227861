"""Read side of the calendar: the stored calendar, its per-process cache, and a year's entries."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecosteward.errors import BadUserInput
from ecosteward.workdays import CalendarDay, DayKind, WorkdayCalendar, parse_day_kind
from services.registry.calendar.domain import check_calendar_year
from services.registry.calendar.models import CALENDAR, CalendarConfirmationRow, CalendarTables

log = logging.getLogger(__name__)


async def load_calendar(session: AsyncSession, tables: CalendarTables = CALENDAR) -> WorkdayCalendar:
    """The calendar as stored: live (not soft-deleted) entries and the confirmed years."""
    days_t, years_t = tables.days, tables.years
    rows = await session.execute(
        sa.select(days_t.c.day, days_t.c.kind, days_t.c.name).where(days_t.c.deleted_at.is_(None))
    )
    entries: list[CalendarDay] = []
    for day, kind, name in rows:
        try:
            entries.append(CalendarDay(day, parse_day_kind(kind), name))
        except BadUserInput:
            # A bad row must not take every deadline down with it; log it and count the day normally.
            log.warning("calendar day %s has an unknown kind %r; ignored", day, kind)
    confirmed = (
        await session.execute(sa.select(years_t.c.year).where(years_t.c.confirmed == sa.true()))
    ).scalars()
    return WorkdayCalendar(entries, confirmed)


@dataclass(frozen=True)
class _Loaded:
    calendar: WorkdayCalendar
    loaded_at: float
    generation: int


class CalendarCache:
    """One in-memory calendar per process, reloaded when invalidated or older than ``max_age_seconds``.

    Call :meth:`invalidate` after this process edits the calendar; other replicas pick the edit up
    within ``max_age_seconds``. ``clock`` (monotonic seconds) is replaceable for tests.
    """

    def __init__(
        self,
        tables: CalendarTables,
        max_age_seconds: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_age_seconds < 0:
            raise ValueError("max_age_seconds must be ≥ 0")
        self._tables = tables
        self._max_age = max_age_seconds
        self._clock = clock
        self._loaded: _Loaded | None = None
        self._generation = 0
        self._lock = asyncio.Lock()  # one reload at a time; waiters reuse its result

    def _fresh(self) -> WorkdayCalendar | None:
        loaded = self._loaded
        if (
            loaded is not None
            and loaded.generation == self._generation
            and self._clock() - loaded.loaded_at < self._max_age
        ):
            return loaded.calendar
        return None

    async def get(self, factory: async_sessionmaker[AsyncSession]) -> WorkdayCalendar:
        """The cached calendar, loading it first when missing, stale or invalidated."""
        calendar = self._fresh()
        if calendar is not None:
            return calendar
        async with self._lock:
            calendar = self._fresh()
            if calendar is not None:
                return calendar
            # Note the generation and time before reading: an invalidation during the load makes
            # this result stale at once rather than hiding the edit for max_age_seconds.
            generation, started = self._generation, self._clock()
            async with factory() as session:
                calendar = await load_calendar(session, self._tables)
            self._loaded = _Loaded(calendar, started, generation)
            return calendar

    def invalidate(self) -> None:
        """Forget the cached calendar; the next :meth:`get` reloads it."""
        self._generation += 1


CALENDAR_CACHE = CalendarCache(CALENDAR)
"""The registry's calendar in this process."""


async def holiday_entries(session: AsyncSession, year: int) -> int:
    """How many live HOLIDAY entries ``year`` has."""
    days = CALENDAR.days
    count = await session.scalar(
        sa.select(sa.func.count())
        .select_from(days)
        .where(
            days.c.day >= dt.date(year, 1, 1),
            days.c.day <= dt.date(year, 12, 31),
            days.c.kind == DayKind.HOLIDAY.value,
            days.c.deleted_at.is_(None),
        )
    )
    return int(count or 0)


async def latest_confirmation(session: AsyncSession, year: int) -> CalendarConfirmationRow | None:
    result = await session.scalars(
        sa.select(CalendarConfirmationRow)
        .where(CalendarConfirmationRow.year == year)
        .order_by(CalendarConfirmationRow.confirmed_at.desc())
        .limit(1)
    )
    return result.first()


@dataclass(frozen=True)
class YearView:
    """One year of the calendar as the bureau sees it."""

    year: int
    confirmed: bool
    entries: list[Any]
    override_reason: str | None


async def calendar_year(sessions: async_sessionmaker[AsyncSession], year: int) -> YearView:
    """A year's live entries, whether it is confirmed, and the override reason of its confirmation."""
    check_calendar_year(year)
    calendar = await CALENDAR_CACHE.get(sessions)
    days = CALENDAR.days
    async with sessions() as session:
        confirmation = await latest_confirmation(session, year)
        rows = (
            await session.execute(
                sa.select(days)
                .where(
                    days.c.day >= dt.date(year, 1, 1),
                    days.c.day <= dt.date(year, 12, 31),
                    days.c.deleted_at.is_(None),
                )
                .order_by(days.c.day)
            )
        ).all()
    return YearView(
        year=year,
        confirmed=calendar.is_confirmed(year),
        entries=list(rows),
        override_reason=(confirmation.override_reason or None) if confirmation else None,
    )
