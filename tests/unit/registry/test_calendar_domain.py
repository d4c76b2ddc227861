"""Calendar entry rules: a HOLIDAY only on Monday–Friday, a make-up workday only on a weekend."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecosteward.errors import BadUserInput
from ecosteward.workdays import DayKind
from services.registry.calendar.domain import (
    CALENDAR_YEARS,
    MAX_WORKING_DAYS,
    check_calendar_year,
    check_working_days,
    entry_changes_the_weekday_rule,
)


@given(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31)), st.sampled_from(list(DayKind))
)
def test_an_entry_must_change_the_weekday_rule(day: dt.date, kind: DayKind) -> None:
    weekend = day.isoweekday() in (6, 7)
    expected = (not weekend) if kind is DayKind.HOLIDAY else weekend
    assert entry_changes_the_weekday_rule(day, kind) is expected


@pytest.mark.parametrize("year", [CALENDAR_YEARS[0] - 1, CALENDAR_YEARS[-1] + 1])
def test_years_outside_the_calendar_are_bad_input(year: int) -> None:
    with pytest.raises(BadUserInput) as caught:
        check_calendar_year(year)
    assert caught.value.extensions["field"] == "year"


@pytest.mark.parametrize("days", [-1, MAX_WORKING_DAYS + 1])
def test_a_working_day_count_outside_the_range_names_its_argument(days: int) -> None:
    with pytest.raises(BadUserInput) as caught:
        check_working_days(days, "dueWithinWorkingDays")
    assert caught.value.extensions["field"] == "dueWithinWorkingDays"
    check_working_days(MAX_WORKING_DAYS, "days")
