"""Appraisal rules: pure functions, no I/O."""

from __future__ import annotations

import re
import uuid
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import NamedTuple

from ecosteward.auth import Principal
from ecosteward.errors import Conflict, Forbidden, ValidationFailed

MIN_SCORE = Decimal("0")
MAX_SCORE = Decimal("100")
SCORE_STEP = Decimal("0.1")
"""Scores run 0–100 (seed 004 table G.1) with at most one decimal place."""

MIN_YEAR, MAX_YEAR = 2000, 2100
APPRAISAL_STATUSES = ("DRAFT", "FINAL")

READER_ROLES = ("bureau_officer", "procurement_officer", "agency_admin", "town_officer")
APPRAISER_ROLES = ("bureau_officer",)

_PERIOD = re.compile(r"^(\d{4})(?:-Q(\d))?$")

Scope = dict[str, uuid.UUID]
"""Column → value an appraisal must have for a caller to see it; empty = everything."""


class Period(NamedTuple):
    """An appraisal period: a whole year, or one quarter of it."""

    year: int
    quarter: int | None = None

    @property
    def label(self) -> str:
        """The canonical text form: ``2026`` or ``2026-Q3``."""
        return str(self.year) if self.quarter is None else f"{self.year}-Q{self.quarter}"


def period_problem(text: str) -> str | None:
    """Why ``text`` is not an appraisal period, or None when it is."""
    match = _PERIOD.match(text.strip().upper())
    if match is None:
        return "Write the period as a year (2026) or a quarter (2026-Q3) (考核期间格式有误)."
    year, quarter = int(match.group(1)), match.group(2)
    if not MIN_YEAR <= year <= MAX_YEAR:
        return f"The year must be between {MIN_YEAR} and {MAX_YEAR}."
    if quarter is not None and not 1 <= int(quarter) <= 4:
        return "The quarter must be Q1 to Q4."
    return None


def parse_period(text: str) -> Period:
    """The period written in ``text`` (case and surrounding blanks ignored); VALIDATION_FAILED if none."""
    problem = period_problem(text)
    if problem is not None:
        raise ValidationFailed(
            "The period is not valid (考核期间有误).", [{"field": "period", "message": problem}]
        )
    match = _PERIOD.match(text.strip().upper())
    assert match is not None
    quarter = match.group(2)
    return Period(int(match.group(1)), None if quarter is None else int(quarter))


def score_problem(score: Decimal) -> str | None:
    """Why ``score`` is not a total score, or None when it is."""
    if not score.is_finite():
        return "The score must be a number."
    if not MIN_SCORE <= score <= MAX_SCORE:
        return f"The score must be between {MIN_SCORE} and {MAX_SCORE} (总分0–100)."
    try:
        exact = score == score.quantize(SCORE_STEP)
    except InvalidOperation:
        exact = False
    if not exact:
        return "The score has at most one decimal place (精确到0.1分)."
    return None


def score_to_tenths(score: Decimal) -> int:
    """The stored form of a valid score: tenths of a point (87.5 → 875)."""
    problem = score_problem(score)
    if problem is not None:
        raise ValidationFailed(
            "The score is not valid (考核分数有误).", [{"field": "totalScore", "message": problem}]
        )
    return int(score * 10)


def tenths_to_score(tenths: int) -> Decimal:
    """The score of a stored value, always with one decimal place (875 → 87.5)."""
    return (Decimal(tenths) / 10).quantize(SCORE_STEP)


def tenths_at_least(score: Decimal) -> int:
    """The smallest stored value whose score is at least ``score`` (for "score ≥ x" filters).

    Scores are whole tenths, so "at least 85.05" means at least 85.1; bounds outside 0–100 are
    clamped (no score is below 0 or above 100).
    """
    if not score.is_finite():
        raise ValidationFailed(
            "The score is not valid.", [{"field": "minScore", "message": "Give a number."}]
        )
    clamped = min(max(score, MIN_SCORE), MAX_SCORE + SCORE_STEP)
    return int((clamped * 10).to_integral_value(rounding=ROUND_CEILING))


def data_scope(user: Principal) -> Scope:
    """Which appraisals ``user`` may see (FORBIDDEN for roles that see none).

    The bureau and procurement officers see all (past results inform procurement); an agency admin
    its own agency's; a town its jurisdiction's contracts'.
    """
    if user.has_role("bureau_officer", "procurement_officer"):
        return {}
    if user.has_role("agency_admin"):
        if user.agency_id is None:
            raise Forbidden(
                "Your account has no agency_id attribute, so it sees no data (账号未配置数据范围)."
            )
        return {"agency_id": user.agency_id}
    if user.has_role("town_officer"):
        if user.jurisdiction_id is None:
            raise Forbidden(
                "Your account has no jurisdiction_id attribute, so it sees no data (账号未配置数据范围)."
            )
        return {"jurisdiction_id": user.jurisdiction_id}
    raise Forbidden("Appraisals are outside your role's scope (无权查看考核结果).")


def in_scope(scope: Scope, agency_id: uuid.UUID, jurisdiction_id: uuid.UUID) -> bool:
    """Whether an appraisal of this agency under this jurisdiction lies inside ``scope``."""
    owners = {"agency_id": agency_id, "jurisdiction_id": jurisdiction_id}
    return all(owners[column] == value for column, value in scope.items())


def check_can_finalise(status: str) -> None:
    """Only a draft becomes final; a final appraisal is never changed."""
    if status != "DRAFT":
        raise Conflict("The appraisal is already final (考核结果已确定).", code="ALREADY_FINAL")
