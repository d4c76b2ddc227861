"""The working-day calendar in GraphQL: a year's entries, deadlines, and the bureau's corrections."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry.types import Info

from ecosteward.errors import BadUserInput
from ecosteward.fields import guarded_mutation
from ecosteward.graphql import context_of
from ecosteward.identity import Role
from ecosteward.mapping import from_row
from ecosteward.workdays import parse_day_kind
from services.registry.calendar import domain, queries, service
from services.registry.calendar.queries import CALENDAR_CACHE


@strawberry.type(
    description="An entry of the working-day calendar: a weekday holiday or a weekend make-up workday (调休)."
)
class CalendarEntry:
    day: dt.date = strawberry.field(description="The day.")
    kind: str = strawberry.field(description="HOLIDAY or MAKEUP_WORKDAY.")
    name: str = strawberry.field(description="Name, e.g. 国庆节 National Day.")


@strawberry.type(description="One year of the working-day calendar.")
class CalendarYear:
    year: int = strawberry.field(description="The year.")
    confirmed: bool = strawberry.field(
        description="The official schedule is confirmed; deadlines in it are final."
    )
    entries: list[CalendarEntry] = strawberry.field(
        description="Holidays on weekdays and make-up workdays on weekends."
    )
    override_reason: str | None = strawberry.field(
        default=None,
        description="Why the bureau confirmed the year although it had no HOLIDAY entry (the override), if it did.",
    )


@strawberry.type(description="A deadline computed on the working-day calendar.")
class Deadline:
    due_on: dt.date = strawberry.field(description="The due day.")
    provisional: bool = strawberry.field(
        description="Counts days in a year whose schedule is not confirmed yet."
    )


def _year(view: queries.YearView) -> CalendarYear:
    return from_row(CalendarYear, view, entries=[from_row(CalendarEntry, r) for r in view.entries])


async def _year_after_change(info: Info, year: int) -> CalendarYear:
    """``year`` as it stands after a change: the cached calendars are dropped first, so deadlines move."""
    CALENDAR_CACHE.invalidate()
    return _year(await queries.calendar_year(context_of(info).runtime.sessions, year))


@strawberry.type
class Query:
    @strawberry.field(description="One year of the working-day calendar (法定节假日 and 调休), 2000–2100.")
    async def calendar_year(self, info: Info, year: int) -> CalendarYear:
        return _year(await queries.calendar_year(context_of(info).runtime.sessions, year))

    @strawberry.field(description="The n-th Chinese working day after a day (the day itself is not counted).")
    async def add_working_days(self, info: Info, start: dt.date, days: int) -> Deadline:
        domain.check_working_days(days, "days")
        calendar = await CALENDAR_CACHE.get(context_of(info).runtime.sessions)
        try:
            deadline = calendar.add_working_days(start, days)
        except (OverflowError, ValueError) as exc:
            raise BadUserInput(
                "The answer would lie past the last representable day (日期超出范围).", field="start"
            ) from exc
        return from_row(Deadline, deadline)


@strawberry.type
class Mutation:
    @guarded_mutation(
        "Add or correct a calendar entry: a weekday holiday (HOLIDAY) or a weekend make-up workday (MAKEUP_WORKDAY). Pending deadlines move with it.",
        Role.BUREAU_OFFICER,
    )
    async def set_calendar_entry(self, info: Info, day: dt.date, kind: str, name: str) -> CalendarYear:
        day_kind = parse_day_kind(kind)
        async with context_of(info).runtime.unit_of_work() as uow:
            await service.set_calendar_day(uow, context_of(info).user, day, day_kind, name)
            await service.after_calendar_change(uow)
        return await _year_after_change(info, day.year)

    @guarded_mutation(
        "Remove a calendar entry (kept in history). Pending deadlines move with it.", Role.BUREAU_OFFICER
    )
    async def remove_calendar_entry(self, info: Info, day: dt.date) -> CalendarYear:
        async with context_of(info).runtime.unit_of_work() as uow:
            await service.remove_calendar_day(uow, context_of(info).user, day)
            await service.after_calendar_change(uow)
        return await _year_after_change(info, day.year)

    @guarded_mutation(
        "Confirm a year's official schedule: provisional deadlines in it are recomputed and an event lists those that moved. A year without any HOLIDAY entry is refused (NO_HOLIDAYS) unless overrideReason is given.",
        Role.BUREAU_OFFICER,
    )
    async def confirm_calendar_year(
        self,
        info: Info,
        year: int,
        override_reason: Annotated[
            str | None,
            strawberry.argument(
                description="Confirm even though the year has no HOLIDAY entry (an explicit override), saying why; kept in the calendar history (CalendarYear.overrideReason) and in the year_confirmed event."
            ),
        ] = None,
    ) -> CalendarYear:
        async with context_of(info).runtime.unit_of_work() as uow:
            confirmation = await service.confirm_year(uow, context_of(info).user, year, override_reason)
            await service.after_calendar_change(uow, confirmed_year=year, confirmation=confirmation)
        return await _year_after_change(info, year)
