"""Calendar use cases: the bureau's entries and confirmations, and seeding from chinese-calendar.

A change moves the due dates of the filings still owed (``contracts.service.recompute_pending_deadlines``)
in the same transaction; the caller invalidates ``queries.CALENDAR_CACHE`` after the commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from ecosteward.db import utcnow
from ecosteward.errors import BadUserInput, Conflict, NotFound, ValidationFailed
from ecosteward.identity import Principal
from ecosteward.outbox import UnitOfWork
from ecosteward.workdays import SOURCE_SEED, DayKind, seed_from_chinese_calendar
from services.registry.calendar import domain
from services.registry.calendar.events import CalendarChanged
from services.registry.calendar.models import CALENDAR, CalendarConfirmationRow, CalendarTables
from services.registry.calendar.queries import holiday_entries, load_calendar
from services.registry.contracts.events import DeadlineChange
from services.registry.contracts.service import recompute_pending_deadlines

log = logging.getLogger(__name__)


async def set_calendar_day(uow: UnitOfWork, user: Principal, day: dt.date, kind: DayKind, name: str) -> None:
    days = CALENDAR.days
    if not name.strip():
        raise ValidationFailed(
            "A name is required (须填写名称).",
            [{"field": "name", "message": "A name is required (须填写名称)."}],
        )
    if not domain.entry_changes_the_weekday_rule(day, kind):
        raise BadUserInput(
            "A holiday entry is for a Monday–Friday, a make-up workday (调休) for a Saturday or Sunday.",
            code="CALENDAR_ENTRY_REDUNDANT",
            field="kind",
        )
    values = {
        "kind": kind.value,
        "name": name.strip(),
        "source": "bureau",
        "updated_at": utcnow(),
        "updated_by": user.actor,
        "deleted_at": None,
    }
    exists = await uow.session.scalar(sa.select(days.c.day).where(days.c.day == day))
    if exists is None:
        await uow.session.execute(days.insert().values(day=day, **values))
    else:
        await uow.session.execute(days.update().where(days.c.day == day).values(**values))
    uow.publish(
        "day_set", CalendarChanged(day=day, kind=kind.value, name=name.strip()), subject=day.isoformat()
    )


async def remove_calendar_day(uow: UnitOfWork, user: Principal, day: dt.date) -> None:
    days = CALENDAR.days
    result = await uow.session.execute(
        days.update()
        .where(days.c.day == day, days.c.deleted_at.is_(None))
        .values(deleted_at=utcnow(), updated_by=user.actor, updated_at=utcnow())
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"There is no calendar entry on {day.isoformat()} (该日无条目).", field="day")
    uow.publish("day_removed", CalendarChanged(day=day), subject=day.isoformat())


async def confirm_year(
    uow: UnitOfWork, user: Principal, year: int, override_reason: str | None = None
) -> CalendarConfirmationRow:
    """Confirm a year's schedule; a year without any HOLIDAY entry only with the bureau's reason."""
    domain.check_calendar_year(year)
    years = CALENDAR.years
    row = (await uow.session.execute(sa.select(years).where(years.c.year == year))).first()
    if row is not None and row.confirmed:
        raise Conflict(f"{year} is already confirmed (已确认).", code="ALREADY_CONFIRMED")
    reason = (override_reason or "").strip()
    if override_reason is not None and not reason:
        raise ValidationFailed(
            "A reason is required (须填写原因).",
            [
                {
                    "field": "overrideReason",
                    "message": "Say why the year is confirmed without holidays (须说明无节假日的原因).",
                }
            ],
        )
    holidays = await holiday_entries(uow.session, year)
    if holidays == 0 and not reason:
        raise Conflict(
            f"{year} has no holiday entries: enter its holidays first, or confirm it with an "
            f"overrideReason (该年度无节假日条目).",
            code="NO_HOLIDAYS",
            field="year",
        )
    confirmation = CalendarConfirmationRow(
        year=year,
        holiday_entries=holidays,
        override_reason=reason,
        confirmed_at=utcnow(),
        confirmed_by=user.actor,
    )
    uow.session.add(confirmation)
    values = {"confirmed": True, "confirmed_at": utcnow(), "confirmed_by": user.actor, "source": "bureau"}
    if row is None:
        await uow.session.execute(years.insert().values(year=year, **values))
    else:
        await uow.session.execute(years.update().where(years.c.year == year).values(**values))
    return confirmation


async def after_calendar_change(
    uow: UnitOfWork,
    confirmed_year: int | None = None,
    confirmation: CalendarConfirmationRow | None = None,
) -> list[DeadlineChange]:
    """Reload the calendar inside the transaction and move the pending deadlines with it."""
    calendar = await load_calendar(uow.session)
    changed = await recompute_pending_deadlines(uow, calendar)
    if confirmed_year is not None:
        uow.publish(
            "year_confirmed",
            CalendarChanged(
                year=confirmed_year,
                changed_filings=[change.to_data() for change in changed],
                holiday_entries=confirmation.holiday_entries if confirmation else None,
                override_reason=confirmation.override_reason if confirmation else "",
            ),
            subject=str(confirmed_year),
        )
    return changed


# -- seed from the chinese-calendar package ---------------------------------------------------------

_INSERT_CHUNK = 500  # rows per INSERT: well under PostgreSQL's 32,767 bind parameters


async def _insert_missing(session: AsyncSession, table: sa.Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows``, skipping any whose primary key exists (even a soft-deleted row); count inserted."""
    dialect = session.get_bind().dialect.name
    inserted = 0
    for i in range(0, len(rows), _INSERT_CHUNK):
        chunk = list(rows[i : i + _INSERT_CHUNK])
        # ON CONFLICT DO NOTHING where available: two replicas seeding at once never fail on the key.
        stmt: sa.Executable
        if dialect == "postgresql":
            stmt = postgresql.insert(table).values(chunk).on_conflict_do_nothing()
        elif dialect == "sqlite":
            stmt = sqlite.insert(table).values(chunk).on_conflict_do_nothing()
        else:
            stmt = sa.insert(table).values(chunk)
        result = await session.execute(stmt)
        inserted += max(getattr(result, "rowcount", 0) or 0, 0)
    return inserted


async def seed_calendar(session: AsyncSession, tables: CalendarTables = CALENDAR) -> int:
    """Insert the ``chinese-calendar`` entries and years not present at all; return rows inserted.

    Idempotent. Never overwrites a bureau edit or revives a soft-deleted row. Runs in the caller's
    transaction (the caller commits).
    """
    entries, years = seed_from_chinese_calendar()
    now = utcnow()
    present_days = set((await session.execute(sa.select(tables.days.c.day))).scalars())
    present_years = set((await session.execute(sa.select(tables.years.c.year))).scalars())
    day_rows = [
        {
            "day": e.day,
            "kind": e.kind.value,
            "name": e.name[:100],
            "source": SOURCE_SEED,
            "updated_at": now,
            "updated_by": None,
            "deleted_at": None,
        }
        for e in entries
        if e.day not in present_days
    ]
    year_rows = [
        {"year": y, "confirmed": True, "confirmed_at": now, "confirmed_by": None, "source": SOURCE_SEED}
        for y in years
        if y not in present_years
    ]
    inserted = await _insert_missing(session, tables.days, day_rows)
    inserted += await _insert_missing(session, tables.years, year_rows)
    if inserted:
        log.info("calendar seeded from chinese-calendar: %d rows inserted", inserted)
    return inserted
