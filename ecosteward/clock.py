"""China's calendar date (北京时间): the day that counts for visits, deadlines and reports."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
"""China Standard Time (UTC+8, no daylight saving)."""


def china_today() -> dt.date:
    """Today's date in China."""
    return dt.datetime.now(CHINA).date()


def china_date(moment: dt.datetime) -> dt.date:
    """The date in China at ``moment`` (an aware timestamp, e.g. a stored UTC one)."""
    return moment.astimezone(CHINA).date()
