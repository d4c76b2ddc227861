"""Periods (期间) of appraisals and work reports: a whole year, or one quarter of it. Pure.

Written ``2026`` or ``2026-Q3``; years run from :data:`MIN_YEAR` to :data:`MAX_YEAR`. A
:class:`Period` is always a real one: it refuses an impossible year or quarter.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MIN_YEAR, MAX_YEAR = 2000, 2100
_TEXT = re.compile(r"^(\d{4})(?:-Q(\d))?$")


def year_problem(year: int) -> str | None:
    """Why ``year`` cannot be a period's year, or None when it can."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        return f"The year must be between {MIN_YEAR} and {MAX_YEAR}."
    return None


def quarter_problem(quarter: int) -> str | None:
    """Why ``quarter`` is not a quarter (季度), or None when it is one of 1–4."""
    if not 1 <= quarter <= 4:
        return "The quarter must be Q1 to Q4."
    return None


@dataclass(frozen=True, slots=True)
class Period:
    """A whole year (``quarter`` None) or one quarter of it; ValueError for an impossible one."""

    year: int
    quarter: int | None = None

    def __post_init__(self) -> None:
        problem = year_problem(self.year)
        if problem is None and self.quarter is not None:
            problem = quarter_problem(self.quarter)
        if problem is not None:
            raise ValueError(problem)

    @property
    def label(self) -> str:
        """The canonical text form: ``2026`` or ``2026-Q3``."""
        return str(self.year) if self.quarter is None else f"{self.year}-Q{self.quarter}"

    @property
    def start(self) -> dt.date:
        """The first day: 1 January, or the quarter's first day."""
        return dt.date(self.year, 3 * (self.quarter or 1) - 2, 1)

    @property
    def end(self) -> dt.date:
        """The last day: 31 December, or the quarter's last day."""
        if self.quarter is None or self.quarter == 4:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, 3 * self.quarter + 1, 1) - dt.timedelta(days=1)


def period_problem(text: str, name_zh: str = "期间") -> str | None:
    """Why ``text`` is not a period, or None when it is (case and surrounding blanks ignored).

    ``name_zh`` names the period in Chinese in the message, e.g. 考核期间 for an appraisal's.
    """
    match = _TEXT.match(text.strip().upper())
    if match is None:
        return f"Write the period as a year (2026) or a quarter (2026-Q3) ({name_zh}格式有误)."
    problem = year_problem(int(match.group(1)))
    if problem is None and match.group(2) is not None:
        problem = quarter_problem(int(match.group(2)))
    return problem


def parse_period(text: str, name_zh: str = "期间") -> Period:
    """The period written in ``text`` (case and surrounding blanks ignored).

    ValueError, with :func:`period_problem`'s message, when ``text`` is not a period.
    """
    problem = period_problem(text, name_zh)
    if problem is not None:
        raise ValueError(problem)
    match = _TEXT.match(text.strip().upper())
    assert match is not None
    quarter = match.group(2)
    return Period(int(match.group(1)), None if quarter is None else int(quarter))
