"""Appraisal rules: pure functions, no I/O."""

from __future__ import annotations

import uuid
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from ecosteward import periods, scope
from ecosteward.auth import Principal
from ecosteward.errors import Conflict, ValidationFailed
from ecosteward.periods import Period
from ecosteward.scope import Scope, ScopePolicy

MIN_SCORE = Decimal("0")
MAX_SCORE = Decimal("100")
SCORE_STEP = Decimal("0.1")
"""Scores run 0–100 (seed 004 table G.1) with at most one decimal place."""

APPRAISAL_STATUSES = ("DRAFT", "FINAL")

READER_ROLES = ("bureau_officer", "procurement_officer", "agency_admin", "town_officer")
APPRAISER_ROLES = ("bureau_officer",)

SCOPE_POLICY: ScopePolicy = {
    "bureau_officer": None,
    "procurement_officer": None,
    "agency_admin": "agency_id",
    "town_officer": "jurisdiction_id",
}
"""Who sees which appraisals: the bureau and procurement officers all (past results inform
procurement); an agency admin its own agency's; a town its jurisdiction's contracts'."""

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


def data_scope(user: Principal) -> Scope:
    """Which appraisals ``user`` may see (FORBIDDEN for roles that see none)."""
    return scope.data_scope(user, SCOPE_POLICY, "Appraisals", "无权查看考核结果")


def owners(agency_id: uuid.UUID, jurisdiction_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """The scope owners of an appraisal: the contract's agency and jurisdiction."""
    return {"agency_id": agency_id, "jurisdiction_id": jurisdiction_id}


def check_can_finalise(status: str) -> None:
    """Only a draft becomes final; a final appraisal is never changed."""
    if status != "DRAFT":
        raise Conflict("The appraisal is already final (考核结果已确定).", code="ALREADY_FINAL")
