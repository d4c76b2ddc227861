"""Report rules: reporting periods, due dates, what a submission needs. Pure: no I/O, no clock
(``today`` is a parameter), no framework."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from ecosteward import periods
from ecosteward.errors import ValidationFailed
from ecosteward.periods import Period

REPORT_KINDS: dict[str, str] = {"QUARTERLY": "季度工作报告", "ANNUAL": "年度执行报告"}
"""Seed 000 §四(四): each town reports at the end of each quarter, and an annual report at year end."""


class ReportStatus(StrEnum):
    """State of a report (报告状态)."""

    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"


MAX_SUMMARY = 20000


def period_violations(kind: str, year: int, quarter: int | None) -> list[dict[str, str]]:
    """What is wrong with a reporting period (empty when it is a real one)."""
    problems: list[dict[str, str]] = []
    if kind not in REPORT_KINDS:
        problems.append({"field": "kind", "message": f"Unknown report kind {kind!r} (报告类型未知)."})
    if (problem := periods.year_problem(year)) is not None:
        problems.append({"field": "year", "message": problem})
    if kind == "QUARTERLY" and (quarter is None or periods.quarter_problem(quarter) is not None):
        problems.append(
            {"field": "quarter", "message": "A quarterly report names a quarter from 1 to 4 (季度)."}
        )
    if kind == "ANNUAL" and quarter is not None:
        problems.append(
            {
                "field": "quarter",
                "message": "An annual report covers the whole year: no quarter (年度报告不分季度).",
            }
        )
    return problems


def reporting_period(kind: str, year: int, quarter: int | None) -> Period:
    """The period a report of ``kind`` covers; VALIDATION_FAILED unless it is a real one."""
    problems = period_violations(kind, year, quarter)
    if problems:
        raise ValidationFailed("The reporting period is not valid (报告期间有误).", problems)
    return Period(year, quarter)


def period_label(kind: str, year: int, quarter: int | None) -> str:
    """``2026-Q3`` for a quarter, ``2026`` for a year (valid periods only)."""
    return reporting_period(kind, year, quarter).label


def period_start(kind: str, year: int, quarter: int | None) -> dt.date:
    """First day of a valid period."""
    return reporting_period(kind, year, quarter).start


def due_date(kind: str, year: int, quarter: int | None) -> dt.date:
    """When a valid period's report is due: the last day of the quarter, or 31 December for a year."""
    return reporting_period(kind, year, quarter).end


def submission_violations(
    kind: str, year: int, quarter: int | None, summary: str, today: dt.date
) -> list[dict[str, str]]:
    """What stops a report from being submitted today (empty when nothing does)."""
    problems = period_violations(kind, year, quarter)
    if not problems and period_start(kind, year, quarter) > today:
        problems.append({"field": "year", "message": "The period has not begun yet (报告期间尚未开始)."})
    if not summary.strip():
        problems.append(
            {"field": "summary", "message": "A summary of the work is required (须填写工作总结)."}
        )
    elif len(summary) > MAX_SUMMARY:
        problems.append(
            {"field": "summary", "message": f"The summary has at most {MAX_SUMMARY} characters (总结过长)."}
        )
    return problems


def check_submission(kind: str, year: int, quarter: int | None, summary: str, today: dt.date) -> None:
    problems = submission_violations(kind, year, quarter, summary, today)
    if problems:
        raise ValidationFailed("The report cannot be submitted (报告有误).", problems)


def is_late(due_on: dt.date, submitted_on: dt.date | None) -> bool | None:
    """Whether a report came in after its due date (None while it is not submitted)."""
    return None if submitted_on is None else submitted_on > due_on
