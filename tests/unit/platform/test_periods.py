"""Periods (pure): text form, labels, first and last days."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecosteward.periods import (
    MAX_YEAR,
    MIN_YEAR,
    Period,
    parse_period,
    period_problem,
    quarter_problem,
    year_problem,
)

years = st.integers(min_value=MIN_YEAR, max_value=MAX_YEAR)
quarters = st.none() | st.integers(min_value=1, max_value=4)
periods = st.builds(Period, years, quarters)


@given(periods)
def test_every_period_round_trips_through_its_label(period: Period) -> None:
    assert parse_period(period.label) == period
    assert parse_period(f"  {period.label.lower()} ") == period


@given(st.text(alphabet="0123456789-Qq ", max_size=10) | st.text(max_size=10))
def test_period_text_is_accepted_exactly_when_it_is_a_year_or_a_quarter(text: str) -> None:
    match = re.fullmatch(r"(\d{4})(-Q[1-4])?", text.strip().upper())
    expected_ok = match is not None and MIN_YEAR <= int(match.group(1)) <= MAX_YEAR
    assert (period_problem(text) is None) == expected_ok
    if not expected_ok:
        with pytest.raises(ValueError):
            parse_period(text)


def test_period_examples() -> None:
    assert parse_period("2026") == Period(2026)
    assert parse_period("2026-Q3").label == "2026-Q3"
    for bad in ("2026-Q5", "2026-Q0", "1999", "2101-Q1", "2026Q3", "26-Q3", "2026-H1", ""):
        assert period_problem(bad) is not None, bad
    assert (
        period_problem("2026/3") == "Write the period as a year (2026) or a quarter (2026-Q3) (期间格式有误)."
    )
    assert period_problem("2026/3", "考核期间") == (
        "Write the period as a year (2026) or a quarter (2026-Q3) (考核期间格式有误)."
    )
    assert period_problem("1999") == "The year must be between 2000 and 2100."
    assert period_problem("2026-Q5") == "The quarter must be Q1 to Q4."


@given(st.integers(-5, 3000), st.none() | st.integers(-2, 7))
def test_a_period_exists_exactly_when_its_year_and_quarter_do(year: int, quarter: int | None) -> None:
    valid = MIN_YEAR <= year <= MAX_YEAR and (quarter is None or 1 <= quarter <= 4)
    assert (year_problem(year) is None and (quarter is None or quarter_problem(quarter) is None)) == valid
    if valid:
        assert Period(year, quarter).year == year
    else:
        with pytest.raises(ValueError):
            Period(year, quarter)


@given(periods)
def test_a_period_runs_from_its_first_to_its_last_day(period: Period) -> None:
    start, end = period.start, period.end
    assert start.day == 1 and start.year == end.year == period.year
    after = end + dt.timedelta(days=1)
    assert after.day == 1  # the last day is a month's last day …
    if period.quarter is None or period.quarter == 4:
        assert end == dt.date(period.year, 12, 31)
    else:
        assert after == dt.date(period.year, 3 * period.quarter + 1, 1)  # … and the quarter's last day
    if period.quarter is None:
        assert start == dt.date(period.year, 1, 1)
    else:
        assert start.month == 3 * period.quarter - 2
        assert 89 <= (end - start).days <= 91


@given(periods, periods)
def test_labels_tell_periods_apart(first: Period, second: Period) -> None:
    assert (first.label == second.label) == (first == second)


def test_day_examples() -> None:
    assert Period(2026, 1).end == dt.date(2026, 3, 31)
    assert Period(2026, 2).end == dt.date(2026, 6, 30)
    assert Period(2026, 3).start == dt.date(2026, 7, 1)
    assert Period(2026, 3).end == dt.date(2026, 9, 30)
    assert Period(2024, 4).end == dt.date(2024, 12, 31)
    assert Period(2026).start == dt.date(2026, 1, 1)
    assert Period(2026).end == dt.date(2026, 12, 31)
