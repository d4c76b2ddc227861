"""Classification rules (seed 000 §三(一)) and risk labels (seed 003): pure functions, no I/O.

A pollution source is a **key source** (重点污染源) when a standing attribute makes it one — a key
discharge unit (重点排污单位), under key or simplified permit management (排污许可重点/简化管理), a
class-I pollutant unit (涉一类污染物), a key solid-waste producer (重点固废产生单位) — or when within the
past three years it was penalised (行政处罚), named or had a violation record (通报/违法记录), had a
verified complaint (属实投诉), had three or more exceedances in normal production (正常生产工况下超标
≥ 3 次), or was assessed as high risk (风险评估为高). Every other source is a **general source**.

**The three-year window.** A fact dated D counts on every day from D through D + 3 years inclusive,
where D + 3 years is the same calendar day three years later, or 28 February when D is 29 February
and that later year has no 29 February. So a penalty of 2023-05-10 counts through 2026-05-10 and has
aged out on 2026-05-11; a penalty of 2024-02-29 counts through 2027-02-28 and has aged out on
2027-03-01. A fact dated after ``today`` does not count yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

WINDOW_YEARS = 3
EXCEEDANCE_THRESHOLD = 3
"""Exceedances in normal production within the window that make a key source (≥ 3)."""


class FactKind(StrEnum):
    """Dated facts about an enterprise that may make it a key source for three years."""

    PENALTY = "PENALTY"
    """Administrative penalty (行政处罚)."""
    NAMED_OR_VIOLATION = "NAMED_OR_VIOLATION"
    """Publicly named (通报) or a violation record (违法记录)."""
    COMPLAINT = "COMPLAINT"
    """A complaint (信访投诉); only a verified one (属实) counts."""
    EXCEEDANCE = "EXCEEDANCE"
    """An emission exceedance (超标); only one in normal production (正常生产工况) counts."""
    RISK_ASSESSMENT = "RISK_ASSESSMENT"
    """An environmental risk assessment (风险评估); only a HIGH result counts."""


class RiskLevel(StrEnum):
    """High / medium / low: a risk assessment's result and the per-medium risk labels (高/中/低)."""

    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class ReasonCode(StrEnum):
    """Why a source is a key source; the order here is the order of the reasons."""

    KEY_DISCHARGE_UNIT = "KEY_DISCHARGE_UNIT"
    PERMIT_KEY = "PERMIT_KEY"
    PERMIT_SIMPLIFIED = "PERMIT_SIMPLIFIED"
    CLASS_I_POLLUTANT_UNIT = "CLASS_I_POLLUTANT_UNIT"
    KEY_SOLID_WASTE_PRODUCER = "KEY_SOLID_WASTE_PRODUCER"
    PENALTY = "PENALTY"
    NAMED_OR_VIOLATION = "NAMED_OR_VIOLATION"
    VERIFIED_COMPLAINT = "VERIFIED_COMPLAINT"
    EXCEEDANCES = "EXCEEDANCES"
    HIGH_RISK_ASSESSMENT = "HIGH_RISK_ASSESSMENT"


REASON_ORDER = {code: index for index, code in enumerate(ReasonCode)}


@dataclass(frozen=True)
class Standing:
    """Standing attributes of a source: its permit category and designations (with the date made).

    ``*_since`` is the date the designation took effect, None when the source is not designated.
    """

    permit_category: str
    key_discharge_unit_since: dt.date | None = None
    class_i_pollutant_unit_since: dt.date | None = None
    key_solid_waste_producer_since: dt.date | None = None


@dataclass(frozen=True)
class Fact:
    """A dated fact about an enterprise (withdrawn facts are never passed in)."""

    kind: FactKind
    occurred_on: dt.date
    verified: bool | None = None
    """Complaints only: verified (属实)."""
    normal_production: bool | None = None
    """Exceedances only: during normal production (正常生产工况)."""
    assessment_result: RiskLevel | None = None
    """Risk assessments only: the result."""
    id: str = ""


@dataclass(frozen=True)
class Reason:
    """One reason a source is a key source.

    For a fact-based reason ``since`` is a date from which the reason has held without a break (the
    earliest supporting fact still in the window; for exceedances the date of the third one) and
    ``until`` the last day it holds unless new facts arrive; ``fact_ids`` are the supporting facts.
    For a standing attribute ``since`` is the designation date (None for the permit category) and
    ``until`` is None.
    """

    code: ReasonCode
    message: str
    since: dt.date | None = None
    until: dt.date | None = None
    fact_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Classification:
    """Key or general source, and why (a general source has no reasons)."""

    key: bool
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def codes(self) -> tuple[ReasonCode, ...]:
        return tuple(r.code for r in self.reasons)


# ------------------------------------------------------------------------------------------ window


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → a year without it
        return day.replace(year=day.year + years, day=28)


def last_day_counted(occurred_on: dt.date) -> dt.date:
    """The last day a fact dated ``occurred_on`` counts: ``occurred_on`` + 3 years (inclusive)."""
    return add_years(occurred_on, WINDOW_YEARS)


def in_window(occurred_on: dt.date, today: dt.date) -> bool:
    """Whether a fact dated ``occurred_on`` counts on ``today``: D ≤ today ≤ D + 3 years."""
    return occurred_on <= today <= last_day_counted(occurred_on)


def qualifies(fact: Fact) -> bool:
    """Whether the fact can make a key source at all (ignoring its date).

    Penalties and named/violation records always do; a complaint only when verified; an exceedance
    only in normal production; a risk assessment only with a HIGH result.
    """
    if fact.kind is FactKind.COMPLAINT:
        return fact.verified is True
    if fact.kind is FactKind.EXCEEDANCE:
        return fact.normal_production is True
    if fact.kind is FactKind.RISK_ASSESSMENT:
        return fact.assessment_result is RiskLevel.HIGH
    return True


def counts(fact: Fact, today: dt.date) -> bool:
    """Whether the fact makes a key source on ``today``."""
    return qualifies(fact) and in_window(fact.occurred_on, today)


# ------------------------------------------------------------------------------------------ classify

PERMIT_REASONS = {
    "KEY": (ReasonCode.PERMIT_KEY, "Under key permit management (排污许可重点管理)."),
    "SIMPLIFIED": (ReasonCode.PERMIT_SIMPLIFIED, "Under simplified permit management (排污许可简化管理)."),
}

_STANDING_MESSAGES = {
    ReasonCode.KEY_DISCHARGE_UNIT: "Designated a key discharge unit (重点排污单位).",
    ReasonCode.CLASS_I_POLLUTANT_UNIT: "Discharges class-I pollutants (涉一类污染物排放单位).",
    ReasonCode.KEY_SOLID_WASTE_PRODUCER: "Designated a key solid-waste producer (重点固体废物产生单位).",
}

_FACT_REASONS = {
    FactKind.PENALTY: (ReasonCode.PENALTY, "administrative penalty (行政处罚)", "administrative penalties"),
    FactKind.NAMED_OR_VIOLATION: (
        ReasonCode.NAMED_OR_VIOLATION,
        "public naming or violation record (通报/违法记录)",
        "public namings or violation records",
    ),
    FactKind.COMPLAINT: (
        ReasonCode.VERIFIED_COMPLAINT,
        "verified complaint (属实投诉)",
        "verified complaints",
    ),
    FactKind.RISK_ASSESSMENT: (
        ReasonCode.HIGH_RISK_ASSESSMENT,
        "high-risk assessment (风险评估为高风险)",
        "high-risk assessments",
    ),
}


def _fact_reason(kind: FactKind, supporting: Sequence[Fact]) -> Reason:
    code, one, many = _FACT_REASONS[kind]
    latest = max(f.occurred_on for f in supporting)
    text = f"1 {one}" if len(supporting) == 1 else f"{len(supporting)} {many}"
    return Reason(
        code=code,
        message=f"{text} in the past three years, the latest on {latest.isoformat()} (近三年内).",
        since=min(f.occurred_on for f in supporting),
        until=max(last_day_counted(f.occurred_on) for f in supporting),
        fact_ids=tuple(f.id for f in supporting),
    )


def _exceedance_reason(supporting: Sequence[Fact]) -> Reason:
    dates = sorted(f.occurred_on for f in supporting)
    ends = sorted((last_day_counted(d) for d in dates), reverse=True)
    return Reason(
        code=ReasonCode.EXCEEDANCES,
        message=(
            f"{len(supporting)} exceedances in normal production in the past three years, the latest on "
            f"{dates[-1].isoformat()} (近三年内正常生产工况下超标 ≥ {EXCEEDANCE_THRESHOLD} 次)."
        ),
        since=dates[EXCEEDANCE_THRESHOLD - 1],
        until=ends[EXCEEDANCE_THRESHOLD - 1],
        fact_ids=tuple(f.id for f in supporting),
    )


def classify(standing: Standing, facts: Iterable[Fact], today: dt.date) -> Classification:
    """Key or general source on ``today``, with every reason that applies (see the module doc)."""
    reasons: list[Reason] = []
    designations = (
        (ReasonCode.KEY_DISCHARGE_UNIT, standing.key_discharge_unit_since),
        (ReasonCode.CLASS_I_POLLUTANT_UNIT, standing.class_i_pollutant_unit_since),
        (ReasonCode.KEY_SOLID_WASTE_PRODUCER, standing.key_solid_waste_producer_since),
    )
    for code, since in designations:
        if since is not None:
            reasons.append(Reason(code=code, message=_STANDING_MESSAGES[code], since=since))
    permit = PERMIT_REASONS.get(standing.permit_category)
    if permit is not None:
        reasons.append(Reason(code=permit[0], message=permit[1]))
    counting: dict[FactKind, list[Fact]] = {}
    for fact in facts:
        if counts(fact, today):
            counting.setdefault(fact.kind, []).append(fact)
    for kind, supporting in counting.items():
        supporting.sort(key=lambda f: (f.occurred_on, f.id))
        if kind is FactKind.EXCEEDANCE:
            if len(supporting) >= EXCEEDANCE_THRESHOLD:
                reasons.append(_exceedance_reason(supporting))
        else:
            reasons.append(_fact_reason(kind, supporting))
    reasons.sort(key=lambda r: REASON_ORDER[r.code])
    return Classification(key=bool(reasons), reasons=tuple(reasons))


def next_change(facts: Iterable[Fact], today: dt.date) -> dt.date | None:
    """The first day after ``today`` on which a fact enters or leaves the window, or None.

    On every day from ``today`` up to the day before this one, :func:`classify` gives exactly the
    result it gives today (reasons included); on this day a fact ages out (the day after D + 3 years)
    or a future-dated fact starts to count, so the result may change and must be evaluated again.
    Only facts that :func:`qualifies` matter.
    """
    candidates: list[dt.date] = []
    for fact in facts:
        if not qualifies(fact):
            continue
        if fact.occurred_on > today:
            candidates.append(fact.occurred_on)
            continue
        last = last_day_counted(fact.occurred_on)
        if last >= today:
            candidates.append(last + dt.timedelta(days=1))
    return min(candidates, default=None)


# ------------------------------------------------------------------------------------------ labels


class OverallRisk(StrEnum):
    """Overall environmental risk grade of a source (环保综合风险, seed 003)."""

    MAJOR = "MAJOR"
    """重大"""
    SIGNIFICANT = "SIGNIFICANT"
    """较大"""
    GENERAL = "GENERAL"
    """一般"""
    MINOR = "MINOR"
    """轻微"""


REQUIRED_INSPECTIONS_PER_YEAR = {
    OverallRisk.MAJOR: 2,
    OverallRisk.SIGNIFICANT: 2,
    OverallRisk.GENERAL: 1,
    OverallRisk.MINOR: 1,
}
"""Routine inspections a year at least (例行检查): 重大/较大 twice, 一般/轻微 once (seed 003)."""


def required_inspections_per_year(overall: OverallRisk | None) -> int | None:
    """How many routine inspections a year the overall grade needs (None while unassessed)."""
    return None if overall is None else REQUIRED_INSPECTIONS_PER_YEAR[overall]


class PollutionMedium(StrEnum):
    """The media of the special (per-medium) risk labels (环保专项风险)."""

    WATER = "WATER"
    AIR = "AIR"
    NOISE = "NOISE"
    HAZARDOUS_WASTE = "HAZARDOUS_WASTE"


class ManagementGrade(StrEnum):
    """Environmental management grade (环保管理等级 A/B/C; C needs most help)."""

    A = "A"
    B = "B"
    C = "C"


class SocialRisk(StrEnum):
    """Social risk class (社会风险等级 I/II/III类)."""

    I = "I"  # noqa: E741 - the grade is called I
    II = "II"
    III = "III"


class EnvironmentalRisk(StrEnum):
    """Environmental risk colour (环境风险等级 红/黄/绿)."""

    RED = "RED"
    YELLOW = "YELLOW"
    GREEN = "GREEN"


LABEL_NAMES = (
    "overall_risk",
    "water_risk",
    "air_risk",
    "noise_risk",
    "hazardous_waste_risk",
    "management_grade",
    "social_risk",
    "environmental_risk",
)
"""The labels a source carries, as stored (each may be unassessed: None)."""

MEDIUM_LABELS = {
    PollutionMedium.WATER: "water_risk",
    PollutionMedium.AIR: "air_risk",
    PollutionMedium.NOISE: "noise_risk",
    PollutionMedium.HAZARDOUS_WASTE: "hazardous_waste_risk",
}


def changed_labels(before: dict[str, str | None] | None, after: dict[str, str | None]) -> list[str]:
    """The names of the labels whose value differs (all assessed ones when there was nothing before)."""
    previous = before or {}
    return [name for name in LABEL_NAMES if previous.get(name) != after.get(name)]


# ------------------------------------------------------------------------------------------ validation

MAX_REFERENCE = 120
MAX_TEXT = 4000
Violation = dict[str, str]


def fact_violations(
    kind: FactKind,
    occurred_on: dt.date,
    today: dt.date,
    *,
    verified: bool | None = None,
    normal_production: bool | None = None,
    assessment_result: RiskLevel | None = None,
    reference: str = "",
    description: str = "",
) -> list[Violation]:
    """Every problem with a new fact (field names as the API spells them); empty when it is fine.

    A complaint must say whether it was verified, an exceedance whether it happened in normal
    production, a risk assessment its result — and no fact carries another kind's detail. Facts are
    recorded once they happened: never dated after ``today``.
    """
    problems: list[Violation] = []
    if occurred_on > today:
        problems.append(
            {"field": "occurredOn", "message": "A fact cannot be dated in the future (日期不能晚于今天)."}
        )
    needed = {
        FactKind.COMPLAINT: ("verified", verified, "Say whether the complaint was verified (是否属实)."),
        FactKind.EXCEEDANCE: (
            "normalProduction",
            normal_production,
            "Say whether the exceedance happened in normal production (是否正常生产工况).",
        ),
        FactKind.RISK_ASSESSMENT: ("assessmentResult", assessment_result, "Give the assessment's result."),
    }
    for owner, (name, value, message) in needed.items():
        if owner is kind and value is None:
            problems.append({"field": name, "message": message})
        elif owner is not kind and value is not None:
            problems.append(
                {"field": name, "message": f"Only a {owner.value} fact has `{name}` (该字段不适用)."}
            )
    if len(reference) > MAX_REFERENCE:
        problems.append({"field": "reference", "message": f"At most {MAX_REFERENCE} characters (内容过长)."})
    if len(description) > MAX_TEXT:
        problems.append({"field": "description", "message": f"At most {MAX_TEXT} characters (内容过长)."})
    return problems


def reason_violations(reason: str, field: str = "reason") -> list[Violation]:
    """A reason is required (须填写原因) and short enough."""
    if not reason.strip():
        return [{"field": field, "message": "A reason is required (须填写原因)."}]
    if len(reason) > MAX_TEXT:
        return [{"field": field, "message": f"At most {MAX_TEXT} characters (内容过长)."}]
    return []


def window_start(today: dt.date) -> dt.date:
    """The earliest date a fact may carry and still count on ``today`` (for SQL filters).

    A fact dated D counts on ``today`` exactly when ``window_start(today) <= D <= today``.
    """
    start = add_years(today, -WINDOW_YEARS)
    if last_day_counted(start) < today:  # today is 29 February: D + 3 years of 28 February is short
        start += dt.timedelta(days=1)
    return start
