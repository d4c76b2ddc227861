"""Working-day calendar speed: µs per ``add_working_days`` and per ``working_days_between``.

100,000 random calls on the seeded calendar (start dates in 2020–2027, n in 1–30; 2027 is an
unconfirmed year, so provisional results are included). Target: ≤ 10 µs per call.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time

from ecosteward.workdays import WorkdayCalendar, seed_from_chinese_calendar

CALLS = int(os.environ.get("BENCH_WORKDAY_CALLS", "100000"))
TARGET_US = 10.0


def _per_call_us(seconds: float, calls: int) -> float:
    return seconds / calls * 1e6


def main() -> None:
    days, years = seed_from_chinese_calendar()
    calendar = WorkdayCalendar(days, years)
    rng = random.Random(20260925)
    first, last = dt.date(2020, 1, 1).toordinal(), dt.date(2027, 12, 31).toordinal()
    starts = [dt.date.fromordinal(rng.randint(first, last)) for _ in range(CALLS)]
    offsets = [rng.randint(1, 30) for _ in range(CALLS)]
    ends = [dt.date.fromordinal(rng.randint(first, last)) for _ in range(CALLS)]
    calendar.add_working_days(starts[0], 1)  # build the working-day span once, outside the timing

    add = calendar.add_working_days
    began = time.perf_counter()
    for start, n in zip(starts, offsets, strict=True):
        add(start, n)
    add_us = _per_call_us(time.perf_counter() - began, CALLS)

    between = calendar.working_days_between
    began = time.perf_counter()
    for start, end in zip(starts, ends, strict=True):
        between(start, end)
    between_us = _per_call_us(time.perf_counter() - began, CALLS)

    provisional = sum(add(s, n).provisional for s, n in zip(starts, offsets, strict=True))
    print(f"workdays: {CALLS:,} random calls on the seeded calendar (2020–2027, n 1–30)")
    for label, value in (("add_working_days", add_us), ("working_days_between", between_us)):
        verdict = "ok" if value <= TARGET_US else "SLOW"
        print(f"  {label:<22} {value:6.2f} µs/call   (target ≤ {TARGET_US:.0f} µs: {verdict})")
    print(f"  provisional results    {provisional / CALLS:6.1%}   (counted days in unconfirmed 2027)")


if __name__ == "__main__":
    main()
