"""Reporting rules: pure functions, no I/O."""

from __future__ import annotations

import datetime as dt
import uuid

from ecosteward.auth import Principal
from ecosteward.errors import Forbidden, ValidationFailed

REPORT_KINDS: dict[str, str] = {"QUARTERLY": "季度工作报告", "ANNUAL": "年度执行报告"}
"""Seed 000 §四(四): each town reports at the end of each quarter, and an annual report at year end."""

REPORT_STATUSES = ("DRAFT", "SUBMITTED")
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_SUMMARY = 20000

READER_ROLES = ("bureau_officer", "town_officer")
SUBMITTER_ROLES = ("bureau_officer", "town_officer")

Scope = dict[str, uuid.UUID]
"""Column → value a report must have for a caller to see it; empty = everything."""


def period_violations(kind: str, year: int, quarter: int | None) -> list[dict[str, str]]:
    """What is wrong with a reporting period (empty when it is a real one)."""
    problems: list[dict[str, str]] = []
    if kind not in REPORT_KINDS:
        problems.append({"field": "kind", "message": f"Unknown report kind {kind!r}."})
    if not MIN_YEAR <= year <= MAX_YEAR:
        problems.append({"field": "year", "message": f"The year must be between {MIN_YEAR} and {MAX_YEAR}."})
    if kind == "QUARTERLY" and (quarter is None or not 1 <= quarter <= 4):
        problems.append(
            {"field": "quarter", "message": "A quarterly report names a quarter from 1 to 4 (季度)."}
        )
    if kind == "ANNUAL" and quarter is not None:
        problems.append(
            {"field": "quarter", "message": "An annual report covers the whole year: no quarter."}
        )
    return problems


def check_period(kind: str, year: int, quarter: int | None) -> None:
    problems = period_violations(kind, year, quarter)
    if problems:
        raise ValidationFailed("The reporting period is not valid (报告期间有误).", problems)


def period_label(kind: str, year: int, quarter: int | None) -> str:
    """``2026-Q3`` for a quarter, ``2026`` for a year (valid periods only)."""
    check_period(kind, year, quarter)
    return f"{year}-Q{quarter}" if kind == "QUARTERLY" else str(year)


def period_start(kind: str, year: int, quarter: int | None) -> dt.date:
    """First day of a valid period."""
    check_period(kind, year, quarter)
    return dt.date(year, 3 * (quarter or 1) - 2, 1)


def due_date(kind: str, year: int, quarter: int | None) -> dt.date:
    """When a valid period's report is due: the last day of the quarter, or 31 December for a year."""
    check_period(kind, year, quarter)
    if kind == "ANNUAL" or quarter == 4:
        return dt.date(year, 12, 31)
    assert quarter is not None
    return dt.date(year, 3 * quarter + 1, 1) - dt.timedelta(days=1)


def submission_violations(
    kind: str, year: int, quarter: int | None, summary: str, today: dt.date
) -> list[dict[str, str]]:
    """What stops a report from being submitted today (empty when nothing does)."""
    problems = period_violations(kind, year, quarter)
    if not problems and period_start(kind, year, quarter) > today:
        problems.append({"field": "year", "message": "The period has not begun yet (报告期间尚未开始)."})
    if not summary.strip():
        problems.append({"field": "summary", "message": "A summary of the work is required."})
    elif len(summary) > MAX_SUMMARY:
        problems.append({"field": "summary", "message": f"The summary has at most {MAX_SUMMARY} characters."})
    return problems


def check_submission(kind: str, year: int, quarter: int | None, summary: str, today: dt.date) -> None:
    problems = submission_violations(kind, year, quarter, summary, today)
    if problems:
        raise ValidationFailed("The report cannot be submitted (报告有误).", problems)


def is_late(due_on: dt.date, submitted_on: dt.date | None) -> bool | None:
    """Whether a report came in after its due date (None while it is not submitted)."""
    return None if submitted_on is None else submitted_on > due_on


def data_scope(user: Principal) -> Scope:
    """Which reports ``user`` may see: all for the bureau, its own jurisdiction's for a town."""
    if user.has_role("bureau_officer"):
        return {}
    if user.has_role("town_officer"):
        if user.jurisdiction_id is None:
            raise Forbidden(
                "Your account has no jurisdiction_id attribute, so it sees no data (账号未配置数据范围)."
            )
        return {"jurisdiction_id": user.jurisdiction_id}
    raise Forbidden("Reports are outside your role's scope (无权查看报告).")


def in_scope(scope: Scope, jurisdiction_id: uuid.UUID) -> bool:
    """Whether a report of ``jurisdiction_id`` lies inside ``scope``."""
    return all(value == jurisdiction_id for value in scope.values())


def check_may_submit(user: Principal, jurisdiction_id: uuid.UUID) -> None:
    """A town submits for its own jurisdiction only; the bureau may submit for any."""
    if not in_scope(data_scope(user), jurisdiction_id):
        raise Forbidden("A town submits reports for its own jurisdiction only (仅限本辖区).")
