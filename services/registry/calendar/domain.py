"""Calendar rules: which years the calendar answers for, and which entries change the weekday rule."""

from __future__ import annotations

import datetime as dt

from ecosteward.errors import BadUserInput
from ecosteward.workdays import DayKind

MAX_WORKING_DAYS = 3650
"""The most working days a question may count ahead (``addWorkingDays``, ``dueWithinWorkingDays``)."""
CALENDAR_YEARS = range(2000, 2101)
"""Years the working-day calendar answers for (asking, correcting or confirming)."""


def check_calendar_year(year: int) -> None:
    if year not in CALENDAR_YEARS:
        first, last = CALENDAR_YEARS[0], CALENDAR_YEARS[-1]
        raise BadUserInput(f"The year must be between {first} and {last} (年份超出范围).", field="year")


def check_working_days(days: int, field: str) -> None:
    """A count of working days a question may ask about: 0 to :data:`MAX_WORKING_DAYS`."""
    if not 0 <= days <= MAX_WORKING_DAYS:
        raise BadUserInput(f"{field} must be between 0 and {MAX_WORKING_DAYS} (天数超出范围).", field=field)


def entry_changes_the_weekday_rule(day: dt.date, kind: DayKind) -> bool:
    """A HOLIDAY entry only on Monday–Friday, a make-up workday (调休) only on a Saturday or Sunday."""
    natural_workday = day.weekday() < 5
    return natural_workday if kind is DayKind.HOLIDAY else not natural_workday
