"""The working-day calendar (工作日历): examples and properties against a naive reference (pure).

The calendar tables (seed, load, cache) are tested on SQLite in ``tests/service/platform/test_workdays_tables.py``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosteward.errors import BadUserInput
from ecosteward.workdays import (
    CalendarDay,
    DayKind,
    Deadline,
    WorkdayCalendar,
    parse_day_kind,
    seed_from_chinese_calendar,
)

SEED_DAYS, SEED_YEARS = seed_from_chinese_calendar()
SEEDED = WorkdayCalendar(SEED_DAYS, SEED_YEARS)
D = dt.date


# -- examples with the seeded calendar ---------------------------------------------------------------


def test_contract_signed_before_national_day_is_due_ten_working_days_later() -> None:
    # Fri 25 Sep 2026 (中秋) → 28, 29, 30 Sep; 1–7 Oct off; 8, 9, Sat 10 (调休), 12, 13, 14, 15 Oct.
    assert SEEDED.add_working_days(D(2026, 9, 25), 10) == Deadline(D(2026, 10, 15), provisional=False)
    assert SEEDED.working_days_between(D(2026, 9, 25), D(2026, 10, 15)) == 10
    assert SEEDED.working_days_between(D(2026, 10, 15), D(2026, 9, 25)) == -10


def test_spring_festival_2026_counts_both_makeup_saturdays() -> None:
    # Fri 13 Feb → Sat 14 Feb (调休) 1; 15–23 Feb off; 24–27 Feb 2–5; Sat 28 Feb (调休) 6; 2–5 Mar 7–10.
    assert SEEDED.add_working_days(D(2026, 2, 13), 1).due_on == D(2026, 2, 14)
    assert SEEDED.add_working_days(D(2026, 2, 14), 1).due_on == D(2026, 2, 24)
    assert SEEDED.add_working_days(D(2026, 2, 13), 6).due_on == D(2026, 2, 28)
    assert SEEDED.add_working_days(D(2026, 2, 13), 10).due_on == D(2026, 3, 5)


def test_labour_day_2026_counts_the_makeup_saturday() -> None:
    # Thu 30 Apr → 1–5 May off; 6, 7, 8 May; Sat 9 May (调休); Mon 11 May.
    assert SEEDED.add_working_days(D(2026, 4, 30), 4).due_on == D(2026, 5, 9)
    assert SEEDED.add_working_days(D(2026, 4, 30), 5).due_on == D(2026, 5, 11)


def test_an_ordinary_weekend_is_skipped_and_the_start_day_never_counts() -> None:
    assert SEEDED.add_working_days(D(2026, 3, 13), 1).due_on == D(2026, 3, 16)  # Fri → Mon
    assert SEEDED.add_working_days(D(2026, 3, 14), 1).due_on == D(2026, 3, 16)  # Sat → Mon
    assert SEEDED.add_working_days(D(2026, 3, 13), 10).due_on == D(2026, 3, 27)
    assert SEEDED.add_working_days(D(2026, 3, 16), 0) == Deadline(D(2026, 3, 16), provisional=False)
    assert SEEDED.add_working_days(D(2026, 3, 15), 0).due_on == D(2026, 3, 15)  # n = 0: start itself
    with pytest.raises(ValueError):
        SEEDED.add_working_days(D(2026, 3, 16), -1)


def test_single_days() -> None:
    assert SEEDED.is_workday(D(2026, 10, 10))  # Saturday, 调休上班
    assert not SEEDED.is_workday(D(2026, 10, 1))  # Thursday, National Day
    assert not SEEDED.is_workday(D(2026, 10, 11))  # Sunday
    assert SEEDED.is_workday(D(2026, 10, 12))
    assert SEEDED.is_confirmed(2026) and not SEEDED.is_confirmed(2027)
    assert SEEDED.working_days_between(D(2026, 5, 5), D(2026, 5, 5)) == 0


def test_the_seed_keeps_only_entries_that_change_the_weekday_rule() -> None:
    assert list(range(2004, 2027)) == SEED_YEARS
    assert SEEDED.confirmed_years == frozenset(range(2004, 2027))
    for entry in SEED_DAYS:
        if entry.kind == DayKind.HOLIDAY:
            assert entry.day.weekday() < 5, entry
        else:
            assert entry.kind == DayKind.MAKEUP_WORKDAY and entry.day.weekday() >= 5, entry
        assert 0 < len(entry.name) <= 100
    by_day = {entry.day: entry for entry in SEED_DAYS}
    assert by_day[D(2026, 10, 1)] == CalendarDay(D(2026, 10, 1), DayKind.HOLIDAY, "国庆节 National Day")
    assert by_day[D(2026, 10, 10)].kind == DayKind.MAKEUP_WORKDAY
    assert "国庆节" in by_day[D(2026, 10, 10)].name
    assert D(2026, 10, 3) not in by_day  # a Saturday holiday changes nothing
    assert SEEDED.entry(D(2026, 5, 9)) == by_day[D(2026, 5, 9)]
    assert [e.day for e in SEEDED.entries] == sorted(by_day)


def test_parse_day_kind() -> None:
    assert parse_day_kind("HOLIDAY") is DayKind.HOLIDAY
    assert parse_day_kind(" makeup_workday ") is DayKind.MAKEUP_WORKDAY
    assert parse_day_kind("调休上班日") is DayKind.MAKEUP_WORKDAY
    for bad in ("", "WORKDAY", "holiday!", "MAKEUP"):
        with pytest.raises(BadUserInput) as caught:
            parse_day_kind(bad)
        assert caught.value.extensions == {"code": "UNKNOWN_DAY_KIND", "field": "kind"}


# -- unknown years -----------------------------------------------------------------------------------


def test_a_2027_deadline_works_and_is_provisional() -> None:
    deadline = SEEDED.add_working_days(D(2027, 3, 1), 10)
    assert deadline == Deadline(D(2027, 3, 15), provisional=True)
    # Counting from 2026 into 2027 is provisional too; 1 Jan 2027 (Friday) counts as a weekday for now.
    assert SEEDED.add_working_days(D(2026, 12, 31), 1) == Deadline(D(2027, 1, 1), provisional=True)
    # The start day is not counted, so its year does not matter.
    assert SEEDED.add_working_days(D(2026, 12, 30), 1) == Deadline(D(2026, 12, 31), provisional=False)


def test_confirming_2027_changes_a_deadline_across_a_holiday() -> None:
    # Entries for 2027 as a bureau officer would enter them (元旦 Fri 1 Jan 2027 is a statutory holiday).
    new_year = CalendarDay(D(2027, 1, 1), DayKind.HOLIDAY, "元旦 New Year's Day")
    unconfirmed = WorkdayCalendar([*SEED_DAYS, new_year], SEED_YEARS)
    confirmed = WorkdayCalendar([*SEED_DAYS, new_year], [*SEED_YEARS, 2027])
    assert SEEDED.add_working_days(D(2026, 12, 31), 1) == Deadline(D(2027, 1, 1), provisional=True)
    # The officer's entry counts at once; the result stays provisional until the year is confirmed.
    assert unconfirmed.add_working_days(D(2026, 12, 31), 1) == Deadline(D(2027, 1, 4), provisional=True)
    assert confirmed.add_working_days(D(2026, 12, 31), 1) == Deadline(D(2027, 1, 4), provisional=False)
    assert confirmed.add_working_days(D(2026, 12, 25), 10) == Deadline(D(2027, 1, 11), provisional=False)
    assert SEEDED.add_working_days(D(2026, 12, 25), 10).due_on == D(2027, 1, 8)


@given(st.dates(D(1900, 1, 1), D(2200, 12, 31)), st.integers(0, 400))
def test_any_year_from_1900_to_2200_works(start: dt.date, n: int) -> None:
    deadline = SEEDED.add_working_days(start, n)
    assert SEEDED.working_days_between(start, deadline.due_on) == n
    assert deadline.provisional == (
        n > 0 and any(not SEEDED.is_confirmed(y) for y in _years(start, deadline))
    )


def test_huge_offsets_grow_the_span_and_only_year_9999_overflows() -> None:
    calendar = WorkdayCalendar(SEED_DAYS, SEED_YEARS)
    far = calendar.add_working_days(D(2026, 1, 1), 100_000)
    assert calendar.working_days_between(D(2026, 1, 1), far.due_on) == 100_000
    assert calendar.add_working_days(D(1, 1, 1), 1).due_on == D(1, 1, 2)
    with pytest.raises(OverflowError):
        calendar.add_working_days(D(9999, 12, 30), 5)


# -- properties against a naive reference ------------------------------------------------------------

YEARS = (2018, 2030)
dates = st.dates(D(YEARS[0], 1, 1), D(YEARS[1], 12, 31))
entries = st.lists(
    st.builds(CalendarDay, dates, st.sampled_from(list(DayKind)), st.just("test")), max_size=120
)
confirmed_years = st.frozensets(st.integers(YEARS[0] - 2, YEARS[1] + 2))
offsets = st.integers(0, 60)


def _naive_is_workday(kinds: dict[dt.date, DayKind], day: dt.date) -> bool:
    kind = kinds.get(day)
    if kind is not None:
        return kind == DayKind.MAKEUP_WORKDAY
    return day.weekday() < 5


def _naive_add(
    days: list[CalendarDay], confirmed: frozenset[int], start: dt.date, n: int
) -> tuple[dt.date, bool]:
    kinds = {entry.day: entry.kind for entry in days}  # a later entry for a day wins
    day, counted, provisional = start, 0, False
    while counted < n:
        day += dt.timedelta(days=1)
        provisional = provisional or day.year not in confirmed
        if _naive_is_workday(kinds, day):
            counted += 1
    return day, provisional


def _naive_between(days: list[CalendarDay], start: dt.date, end: dt.date) -> int:
    kinds = {entry.day: entry.kind for entry in days}
    low, high, sign = (start, end, 1) if start <= end else (end, start, -1)
    count, day = 0, low
    while day < high:
        day += dt.timedelta(days=1)
        count += _naive_is_workday(kinds, day)
    return sign * count


def _years(start: dt.date, deadline: Deadline) -> range:
    return range((start + dt.timedelta(days=1)).year, deadline.due_on.year + 1)


@settings(max_examples=300)
@given(entries, confirmed_years, dates, offsets)
def test_agrees_with_a_naive_day_by_day_count(
    days: list[CalendarDay], confirmed: frozenset[int], start: dt.date, n: int
) -> None:
    calendar = WorkdayCalendar(days, confirmed)
    due_on, provisional = _naive_add(days, confirmed, start, n)
    assert calendar.add_working_days(start, n) == Deadline(due_on, provisional)


@given(entries, dates, dates)
def test_working_days_between_agrees_with_a_naive_count(
    days: list[CalendarDay], start: dt.date, end: dt.date
) -> None:
    calendar = WorkdayCalendar(days, [])
    assert calendar.working_days_between(start, end) == _naive_between(days, start, end)
    assert calendar.working_days_between(end, start) == -calendar.working_days_between(start, end)


@given(entries, confirmed_years, dates, st.integers(1, 60))
def test_the_due_date_is_a_working_day_strictly_after_the_start(
    days: list[CalendarDay], confirmed: frozenset[int], start: dt.date, n: int
) -> None:
    calendar = WorkdayCalendar(days, confirmed)
    deadline = calendar.add_working_days(start, n)
    assert deadline.due_on > start
    assert calendar.is_workday(deadline.due_on)
    assert calendar.working_days_between(start, deadline.due_on) == n
    # Provisional exactly when a counted day falls in an unconfirmed year.
    assert deadline.provisional == any(year not in confirmed for year in _years(start, deadline))


@given(entries, dates, offsets, offsets)
def test_more_working_days_never_give_an_earlier_date(
    days: list[CalendarDay], start: dt.date, n: int, m: int
) -> None:
    calendar = WorkdayCalendar(days, [])
    low, high = sorted((n, m))
    assert calendar.add_working_days(start, low).due_on <= calendar.add_working_days(start, high).due_on
    if low < high:
        assert calendar.add_working_days(start, low).due_on < calendar.add_working_days(start, high).due_on


@given(dates, offsets)
def test_the_seeded_calendar_round_trips(start: dt.date, n: int) -> None:
    deadline = SEEDED.add_working_days(start, n)
    assert SEEDED.working_days_between(start, deadline.due_on) == n
    assert deadline.due_on == _naive_add(SEED_DAYS, frozenset(SEED_YEARS), start, n)[0]
