"""Appraisal rules: scores, periods and the draft → final step. Pure: no I/O, no framework."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal, InvalidOperation
from enum import StrEnum

from ecosteward import periods
from ecosteward.errors import Conflict, ValidationFailed
from ecosteward.periods import Period

MIN_SCORE = Decimal("0")
MAX_SCORE = Decimal("100")
SCORE_STEP = Decimal("0.1")
"""Scores run 0–100 (seed 004 table G.1) with at most one decimal place."""


class AppraisalStatus(StrEnum):
    """State of an appraisal (考核状态): a draft may still change; a final one never does."""

    DRAFT = "DRAFT"
    FINAL = "FINAL"


PERIOD_ZH = "考核期间"


def parse_period(text: str) -> Period:
    """The appraisal period written in ``text`` (``2026`` or ``2026-Q3``); VALIDATION_FAILED if none."""
    try:
        return periods.parse_period(text, PERIOD_ZH)
    except ValueError as exc:
        raise ValidationFailed(
            "The period is not valid (考核期间有误).", [{"field": "period", "message": str(exc)}]
        ) from exc


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
            "The score is not valid (分数有误).",
            [{"field": "minScore", "message": "Give a number (请填写数字)."}],
        )
    clamped = min(max(score, MIN_SCORE), MAX_SCORE + SCORE_STEP)
    return int((clamped * 10).to_integral_value(rounding=ROUND_CEILING))


def check_appraisal(period_text: str, score: Decimal) -> tuple[Period, int]:
    """The period and stored score of a new appraisal; every problem at once as VALIDATION_FAILED."""
    problems = [
        {"field": field, "message": problem}
        for field, problem in (
            ("period", periods.period_problem(period_text, PERIOD_ZH)),
            ("totalScore", score_problem(score)),
        )
        if problem is not None
    ]
    if problems:
        raise ValidationFailed("The appraisal is not valid (考核信息有误).", problems)
    return parse_period(period_text), score_to_tenths(score)


def check_can_finalise(status: str) -> None:
    """Only a draft becomes final; a final appraisal is never changed."""
    if status != AppraisalStatus.DRAFT:
        raise Conflict("The appraisal is already final (考核结果已确定).", code="ALREADY_FINAL")
