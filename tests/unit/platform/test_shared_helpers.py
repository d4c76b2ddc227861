"""The small shared helpers, pure parts: demo waiting (``wait_for``) and China's date."""

from __future__ import annotations

import datetime as dt

from ecosteward.clock import CHINA, china_date, china_today
from ecosteward.demo_support import wait_for

# ------------------------------------------------------------------------------------------ demo support


async def test_wait_for_returns_what_it_found_or_none_after_the_deadline() -> None:
    answers = iter([None, None, "found"])

    async def find() -> str | None:
        return next(answers)

    assert await wait_for(find, 10.0, interval=0.01) == "found"

    async def never() -> str | None:
        return None

    assert await wait_for(never, 0.05, interval=0.01) is None


# ------------------------------------------------------------------------------------------ clock


def test_china_is_eight_hours_ahead_of_utc() -> None:
    assert china_date(dt.datetime(2026, 3, 31, 15, 59, tzinfo=dt.UTC)) == dt.date(2026, 3, 31)
    assert china_date(dt.datetime(2026, 3, 31, 16, 0, tzinfo=dt.UTC)) == dt.date(2026, 4, 1)
    assert china_today() in {
        dt.datetime.now(CHINA).date() - dt.timedelta(days=1),
        dt.datetime.now(CHINA).date(),
    }
