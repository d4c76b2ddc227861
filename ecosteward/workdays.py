"""The Chinese working-day calendar (工作日历) behind every deadline in the system.

A day is a working day (工作日) when it is Monday to Friday and not a statutory holiday (法定节假日),
or when it is a weekend day declared a make-up working day (调休上班日). The State Council publishes a
year's schedule late in the year before, so the registry keeps its own calendar tables (``services/registry/calendar/``: tables, seeding,
loading, cache): seeded from the ``chinese-calendar`` package for the years it knows, extended and
corrected by bureau officers. This module is the pure calculation.

A year whose schedule is not yet known (not *confirmed*) has only weekends off, plus whatever entries
an officer already added for it; a deadline that counts any day of such a year is *provisional*. The
calendar answers for any date ``datetime.date`` can hold and never consults ``chinese-calendar`` at
run time (1.11 raises ``NotImplementedError`` from 2027 on): only :func:`seed_from_chinese_calendar`
reads that package.

Counting rule (seed 000 §三(三), "within 10 working days after signing"): the start day never counts;
the due date is the n-th working day strictly after it.

Speed: a calendar keeps a sorted array of the working days' ordinals over a span of years, extended
lazily when a query goes past it; a deadline is then two ``bisect`` look-ups (well under 10 µs).
"""

from __future__ import annotations

import datetime as dt
import logging
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ecosteward.errors import BadUserInput

log = logging.getLogger(__name__)

SOURCE_SEED = "chinese-calendar"
"""``source`` of rows seeded from the ``chinese-calendar`` package."""
SOURCE_BUREAU = "bureau"
"""``source`` of rows a bureau officer entered or corrected."""

_MAX_ORDINAL = dt.date.max.toordinal()
_SPAN_MARGIN_YEARS = 4
"""Extra years built around a query that falls outside the span, so neighbours need no rebuild."""


class DayKind(StrEnum):
    """How a calendar entry changes the weekday rule."""

    HOLIDAY = "HOLIDAY"
    """法定节假日: a day off (only meaningful on Monday–Friday, harmless on a weekend)."""
    MAKEUP_WORKDAY = "MAKEUP_WORKDAY"
    """调休上班日: a weekend day worked in exchange for a longer holiday."""


_KIND_ALIASES: dict[str, DayKind] = {
    "HOLIDAY": DayKind.HOLIDAY,
    "法定节假日": DayKind.HOLIDAY,
    "MAKEUP_WORKDAY": DayKind.MAKEUP_WORKDAY,
    "调休上班日": DayKind.MAKEUP_WORKDAY,
}


def parse_day_kind(text: str) -> DayKind:
    """The :class:`DayKind` named by ``text`` (``HOLIDAY``/``MAKEUP_WORKDAY``, any case, or 法定节假日/调休上班日).

    Raises :class:`~ecosteward.errors.BadUserInput` (code ``UNKNOWN_DAY_KIND``, field ``kind``) for
    anything else.
    """
    kind = _KIND_ALIASES.get(text.strip().upper()) if isinstance(text, str) else None
    if kind is None:
        raise BadUserInput(
            f"Unknown day kind {text!r}: use HOLIDAY (法定节假日) or MAKEUP_WORKDAY (调休上班日).",
            code="UNKNOWN_DAY_KIND",
            field="kind",
        )
    return kind


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """One calendar entry: a holiday or a make-up working day, with its readable name."""

    day: dt.date
    kind: DayKind
    name: str


@dataclass(frozen=True, slots=True)
class Deadline:
    """A due date; ``provisional`` when a counted day lies in a year whose schedule is not confirmed."""

    due_on: dt.date
    provisional: bool


def _is_weekday(ordinal: int) -> bool:
    # Ordinal 1 (0001-01-01) is a Monday, so (ordinal - 1) % 7 is date.weekday().
    return (ordinal - 1) % 7 < 5


class WorkdayCalendar:
    """Working days (工作日) from calendar entries and the set of confirmed years.

    Immutable from the outside; the internal array of working days grows lazily (swapped in whole,
    so a concurrent reader always sees a consistent span).
    """

    def __init__(self, days: Iterable[CalendarDay], confirmed_years: Iterable[int]) -> None:
        entries: dict[dt.date, CalendarDay] = {}
        for entry in days:
            entries[entry.day] = entry  # a later entry for the same day wins
        self._entries = entries
        self._holidays = frozenset(d.toordinal() for d, e in entries.items() if e.kind == DayKind.HOLIDAY)
        self._makeups = frozenset(
            d.toordinal() for d, e in entries.items() if e.kind == DayKind.MAKEUP_WORKDAY
        )
        self._confirmed = frozenset(int(year) for year in confirmed_years)
        # (first ordinal, last ordinal, sorted working-day ordinals in between); empty until first use.
        self._span: tuple[int, int, list[int]] = (1, 0, [])

    # -- single days -------------------------------------------------------------------------------

    def is_workday(self, day: dt.date) -> bool:
        """True for a make-up working day (调休), False for a holiday (法定节假日), else Monday–Friday."""
        return self._is_workday_ordinal(day.toordinal())

    def _is_workday_ordinal(self, ordinal: int) -> bool:
        if ordinal in self._makeups:
            return True
        return ordinal not in self._holidays and _is_weekday(ordinal)

    def entry(self, day: dt.date) -> CalendarDay | None:
        """The calendar entry for ``day`` (holiday or make-up day, with its name), if any."""
        return self._entries.get(day)

    @property
    def entries(self) -> tuple[CalendarDay, ...]:
        """Every entry, in date order."""
        return tuple(self._entries[d] for d in sorted(self._entries))

    def is_confirmed(self, year: int) -> bool:
        """Whether ``year``'s official schedule is known (published and entered)."""
        return year in self._confirmed

    @property
    def confirmed_years(self) -> frozenset[int]:
        """The years whose schedule is confirmed."""
        return self._confirmed

    # -- counting ----------------------------------------------------------------------------------

    def add_working_days(self, start: dt.date, n: int) -> Deadline:
        """The n-th working day strictly after ``start`` (``start`` itself when n = 0).

        ``provisional`` is True when any counted day — (start, due_on] — lies in an unconfirmed year.
        ValueError when n < 0; OverflowError only past year 9999.
        """
        if n < 0:
            raise ValueError(f"the number of working days must be ≥ 0, not {n}")
        if n == 0:
            return Deadline(start, False)  # nothing counted, so nothing provisional
        s = start.toordinal()
        lo, hi, work = self._span
        if s < lo or s > hi:
            lo, hi, work = self._extend(s, s)
        index = bisect_right(work, s) + n - 1  # first working day after s, then n - 1 more
        while index >= len(work):
            # Past the span: grow forward by at least the days n working days could need.
            missing = index - len(work) + 1
            if hi >= _MAX_ORDINAL:
                raise OverflowError(f"{n} working days after {start} is past year 9999")
            lo, hi, work = self._extend(s, min(_MAX_ORDINAL, hi + missing * 2 + 14))
            index = bisect_right(work, s) + n - 1
        due = dt.date.fromordinal(work[index])
        first_year = start.year + 1 if (start.month == 12 and start.day == 31) else start.year
        return Deadline(due, self._any_unconfirmed(first_year, due.year))

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; the negative count of (end, start] when end < start; 0 when equal."""
        s, e = start.toordinal(), end.toordinal()
        lo, hi, work = self._span
        low, high = (s, e) if s <= e else (e, s)
        if low < lo or high > hi:
            lo, hi, work = self._extend(low, high)
        # bisect_right(x) = working days ≤ x within the span; the difference is the signed count.
        return bisect_right(work, e) - bisect_right(work, s)

    def _any_unconfirmed(self, first_year: int, last_year: int) -> bool:
        confirmed = self._confirmed
        if first_year == last_year:  # the common case: one year
            return first_year not in confirmed
        return any(year not in confirmed for year in range(first_year, last_year + 1))

    # -- the precomputed span ----------------------------------------------------------------------

    def _extend(self, low: int, high: int) -> tuple[int, int, list[int]]:
        """Grow the span to cover ordinals [low, high] (plus a margin of whole years); return it."""
        lo, hi, work = self._span
        new_lo = _year_start(dt.date.fromordinal(low).year - _SPAN_MARGIN_YEARS)
        new_hi = _year_end(dt.date.fromordinal(high).year + _SPAN_MARGIN_YEARS)
        if hi < lo:  # still empty
            span = (new_lo, new_hi, self._working_ordinals(new_lo, new_hi))
        else:
            new_lo, new_hi = min(lo, new_lo), max(hi, new_hi)
            below = self._working_ordinals(new_lo, lo - 1)
            above = self._working_ordinals(hi + 1, new_hi)
            span = (new_lo, new_hi, below + work + above)
        self._span = span  # one assignment: readers see the old span or the new one, never a mix
        return span

    def _working_ordinals(self, first: int, last: int) -> list[int]:
        is_workday = self._is_workday_ordinal
        return [o for o in range(first, last + 1) if is_workday(o)]


def _year_start(year: int) -> int:
    """Ordinal of 1 January of ``year``, clamped to the years ``datetime.date`` can hold."""
    return dt.date(max(dt.MINYEAR, min(dt.MAXYEAR, year)), 1, 1).toordinal()


def _year_end(year: int) -> int:
    """Ordinal of 31 December of ``year``, clamped likewise."""
    return dt.date(max(dt.MINYEAR, min(dt.MAXYEAR, year)), 12, 31).toordinal()


# -- seed from the chinese-calendar package --------------------------------------------------------

_CHINESE_NAMES: dict[str, str] = {
    # Fuller or shorter Chinese names than the package's own.
    "Tomb-sweeping Day": "清明节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}
_ENGLISH_NAMES: dict[str, str] = {"Mid-autumn Festival": "Mid-Autumn Festival"}


def _holiday_names() -> Callable[[Any], tuple[str, str]]:
    """A function from a package label (enum member or its English value) to (Chinese, English)."""
    from chinese_calendar.constants import Holiday  # only the seed reads the package

    chinese_of = {member.value: getattr(member, "chinese", "") for member in Holiday}

    def names(label: Any) -> tuple[str, str]:
        english = str(label.value if isinstance(label, Holiday) else label)
        chinese = _CHINESE_NAMES.get(english) or chinese_of.get(english, "")
        return chinese, _ENGLISH_NAMES.get(english, english)

    return names


def seed_from_chinese_calendar() -> tuple[list[CalendarDay], list[int]]:
    """Entries and confirmed years from the ``chinese-calendar`` package.

    Keeps only the entries that change the weekday rule: a holiday on Monday–Friday (HOLIDAY) and a
    working day on a weekend (MAKEUP_WORKDAY, 调休). Confirmed years are those the package fully
    covers: every year from its first to its last holiday entry (2004–2026 in 1.11).
    """
    import chinese_calendar

    names = _holiday_names()
    days: list[CalendarDay] = []
    for day, label in chinese_calendar.holidays.items():
        if day.weekday() < 5:
            chinese, english = names(label)
            days.append(CalendarDay(day, DayKind.HOLIDAY, f"{chinese} {english}".strip()))
    for day, label in chinese_calendar.workdays.items():
        if day.weekday() >= 5:
            chinese, english = names(label)
            name = f"{chinese}调休上班 {english} make-up workday" if chinese else f"{english} make-up workday"
            days.append(CalendarDay(day, DayKind.MAKEUP_WORKDAY, name))
    days.sort(key=lambda entry: entry.day)
    with_holidays = {day.year for day in chinese_calendar.holidays}
    years = (
        [y for y in range(min(with_holidays), max(with_holidays) + 1) if y in with_holidays]
        if with_holidays
        else []
    )
    return days, years
