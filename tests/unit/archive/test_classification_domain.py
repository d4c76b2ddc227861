"""Key / general source classification (seed 000 §三(一)) and risk labels (seed 003).

The pure rules (services/archive/classification/domain.py) as examples and hypothesis properties,
written from the rule text in /work/shared/domain.md; then the use cases (evaluate, the periodic
re-classification, facts, standing attributes, risk labels) are in
``tests/service/archive/test_classification_service.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.archive.classification import jobs, service
from services.archive.classification.domain import (
    EXCEEDANCE_THRESHOLD,
    Fact,
    FactKind,
    OverallRisk,
    ReasonCode,
    RiskLevel,
    Standing,
    add_years,
    changed_labels,
    classify,
    counts,
    fact_violations,
    in_window,
    last_day_counted,
    next_change,
    qualifies,
    required_inspections_per_year,
    window_start,
)

D = dt.date
GENERAL = Standing(permit_category="REGISTRATION")


def penalty(day: dt.date, id: str = "p") -> Fact:
    return Fact(kind=FactKind.PENALTY, occurred_on=day, id=id)


def exceedance(day: dt.date, normal: bool = True, id: str = "") -> Fact:
    return Fact(kind=FactKind.EXCEEDANCE, occurred_on=day, normal_production=normal, id=id or f"x{day}")


def complaint(day: dt.date, verified: bool) -> Fact:
    return Fact(kind=FactKind.COMPLAINT, occurred_on=day, verified=verified, id=f"c{day}{verified}")


# ------------------------------------------------------------------------------------------ examples


@pytest.mark.parametrize(
    ("standing", "code"),
    [
        (Standing("REGISTRATION", key_discharge_unit_since=D(2020, 1, 1)), ReasonCode.KEY_DISCHARGE_UNIT),
        (Standing("KEY"), ReasonCode.PERMIT_KEY),
        (Standing("SIMPLIFIED"), ReasonCode.PERMIT_SIMPLIFIED),
        (
            Standing("REGISTRATION", class_i_pollutant_unit_since=D(2020, 1, 1)),
            ReasonCode.CLASS_I_POLLUTANT_UNIT,
        ),
        (
            Standing("REGISTRATION", key_solid_waste_producer_since=D(2020, 1, 1)),
            ReasonCode.KEY_SOLID_WASTE_PRODUCER,
        ),
    ],
)
def test_each_standing_attribute_makes_a_key_source_on_its_own(standing: Standing, code: ReasonCode) -> None:
    result = classify(standing, [], D(2026, 6, 1))
    assert result.key
    assert result.codes == (code,)


def test_registration_permit_alone_is_a_general_source_without_reasons() -> None:
    result = classify(GENERAL, [], D(2026, 6, 1))
    assert not result.key and result.reasons == ()


@pytest.mark.parametrize(
    ("fact", "code"),
    [
        (penalty(D(2025, 1, 1)), ReasonCode.PENALTY),
        (Fact(FactKind.NAMED_OR_VIOLATION, D(2025, 1, 1)), ReasonCode.NAMED_OR_VIOLATION),
        (complaint(D(2025, 1, 1), verified=True), ReasonCode.VERIFIED_COMPLAINT),
        (
            Fact(FactKind.RISK_ASSESSMENT, D(2025, 1, 1), assessment_result=RiskLevel.HIGH),
            ReasonCode.HIGH_RISK_ASSESSMENT,
        ),
    ],
)
def test_each_recent_fact_makes_a_key_source(fact: Fact, code: ReasonCode) -> None:
    result = classify(GENERAL, [fact], D(2026, 6, 1))
    assert result.key and result.codes == (code,)


@pytest.mark.parametrize(
    "fact",
    [
        complaint(D(2025, 1, 1), verified=False),
        exceedance(D(2025, 1, 1), normal=False),
        Fact(FactKind.RISK_ASSESSMENT, D(2025, 1, 1), assessment_result=RiskLevel.MEDIUM),
        Fact(FactKind.RISK_ASSESSMENT, D(2025, 1, 1), assessment_result=RiskLevel.LOW),
    ],
)
def test_facts_that_do_not_qualify_never_count(fact: Fact) -> None:
    assert not qualifies(fact)
    assert not classify(GENERAL, [fact], D(2025, 1, 1)).key


def test_two_exceedances_are_not_enough_the_third_makes_a_key_source() -> None:
    today = D(2026, 6, 1)
    two = [exceedance(D(2025, 1, 1)), exceedance(D(2025, 2, 1))]
    assert not classify(GENERAL, two, today).key
    three = [*two, exceedance(D(2025, 3, 1))]
    result = classify(GENERAL, three, today)
    assert result.codes == (ReasonCode.EXCEEDANCES,)
    reason = result.reasons[0]
    assert reason.since == D(2025, 3, 1)  # held since the third
    assert reason.until == D(2028, 1, 1)  # until the first ages out (2025-01-01 + 3 years)
    assert set(reason.fact_ids) == {f.id for f in three}
    # Exceedances outside normal production never help reach three.
    assert not classify(GENERAL, [*two, exceedance(D(2025, 3, 1), normal=False)], today).key


def test_reasons_are_kept_in_a_fixed_order_with_their_dates() -> None:
    standing = Standing("KEY", key_discharge_unit_since=D(2021, 3, 4))
    facts = [penalty(D(2025, 5, 1), "p2"), penalty(D(2024, 1, 1), "p1"), complaint(D(2025, 1, 1), True)]
    result = classify(standing, facts, D(2026, 1, 1))
    assert result.codes == (
        ReasonCode.KEY_DISCHARGE_UNIT,
        ReasonCode.PERMIT_KEY,
        ReasonCode.PENALTY,
        ReasonCode.VERIFIED_COMPLAINT,
    )
    designation, _, penalties, _ = result.reasons
    assert designation.since == D(2021, 3, 4) and designation.until is None
    assert penalties.since == D(2024, 1, 1) and penalties.until == D(2028, 5, 1)
    assert penalties.fact_ids == ("p1", "p2")
    assert "2 administrative penalties" in penalties.message


# ------------------------------------------------------------------------------------------ the window


@pytest.mark.parametrize(
    ("occurred", "last_counted"),
    [
        (D(2023, 5, 10), D(2026, 5, 10)),
        (D(2024, 2, 29), D(2027, 2, 28)),  # no 29 Feb in 2027: counts through 28 Feb
        (D(2025, 2, 28), D(2028, 2, 28)),  # a leap year later: still the same calendar day
        (D(2020, 2, 29), D(2023, 2, 28)),
        (D(2021, 12, 31), D(2024, 12, 31)),
    ],
)
def test_a_fact_counts_through_its_date_plus_three_years_and_ages_out_the_day_after(
    occurred: dt.date, last_counted: dt.date
) -> None:
    assert last_day_counted(occurred) == last_counted
    fact = penalty(occurred)
    assert not classify(GENERAL, [fact], occurred - dt.timedelta(days=1)).key  # not yet
    assert classify(GENERAL, [fact], occurred).key  # from its own day
    assert classify(GENERAL, [fact], last_counted).key  # through the last day
    assert not classify(GENERAL, [fact], last_counted + dt.timedelta(days=1)).key  # aged out
    assert next_change([fact], occurred) == last_counted + dt.timedelta(days=1)


def test_leap_day_arithmetic() -> None:
    assert add_years(D(2024, 2, 29), 3) == D(2027, 2, 28)
    assert add_years(D(2024, 2, 29), 4) == D(2028, 2, 29)
    assert add_years(D(2028, 2, 29), -3) == D(2025, 2, 28)
    # On 29 Feb 2028 a fact of 28 Feb 2025 has aged out (it counted through 28 Feb 2028).
    assert window_start(D(2028, 2, 29)) == D(2025, 3, 1)
    assert not in_window(D(2025, 2, 28), D(2028, 2, 29))
    assert in_window(D(2025, 3, 1), D(2028, 2, 29))


def test_next_change_ignores_what_cannot_count_and_names_future_facts() -> None:
    today = D(2026, 1, 1)
    assert next_change([], today) is None
    assert next_change([complaint(D(2025, 1, 1), verified=False)], today) is None
    assert next_change([penalty(D(2020, 1, 1))], today) is None  # aged out long ago
    assert next_change([penalty(D(2026, 3, 1))], today) == D(2026, 3, 1)  # starts to count then
    assert next_change([penalty(D(2024, 6, 1)), penalty(D(2023, 7, 1))], today) == D(2026, 7, 2)


# ------------------------------------------------------------------------------------------ properties

days = st.dates(min_value=D(2015, 1, 1), max_value=D(2032, 12, 31))
leapish = st.sampled_from([D(2016, 2, 29), D(2020, 2, 29), D(2024, 2, 29), D(2028, 2, 29), D(2019, 2, 28)])
fact_days = days | leapish


@st.composite
def facts_strategy(draw: st.DrawFn) -> Fact:
    kind = draw(st.sampled_from(list(FactKind)))
    day = draw(fact_days)
    fid = draw(st.uuids()).hex[:8]
    if kind is FactKind.COMPLAINT:
        return Fact(kind, day, verified=draw(st.booleans()), id=fid)
    if kind is FactKind.EXCEEDANCE:
        return Fact(kind, day, normal_production=draw(st.booleans()), id=fid)
    if kind is FactKind.RISK_ASSESSMENT:
        return Fact(kind, day, assessment_result=draw(st.sampled_from(list(RiskLevel))), id=fid)
    return Fact(kind, day, id=fid)


facts = facts_strategy()
fact_lists = st.lists(facts, max_size=12)
standings = st.builds(
    Standing,
    permit_category=st.sampled_from(["KEY", "SIMPLIFIED", "REGISTRATION"]),
    key_discharge_unit_since=st.none() | days,
    class_i_pollutant_unit_since=st.none() | days,
    key_solid_waste_producer_since=st.none() | days,
)
general_standings = st.just(GENERAL)


@given(standings, fact_lists, days)
def test_reasons_are_non_empty_exactly_when_key(standing: Standing, fs: list[Fact], today: dt.date) -> None:
    result = classify(standing, fs, today)
    assert result.key == bool(result.reasons)
    assert len(set(result.codes)) == len(result.codes)


@given(standings, fact_lists, facts, days)
def test_adding_a_fact_never_turns_a_key_source_general_on_the_same_day(
    standing: Standing, fs: list[Fact], extra: Fact, today: dt.date
) -> None:
    before = classify(standing, fs, today)
    after = classify(standing, [*fs, extra], today)
    if before.key:
        assert after.key
        assert set(before.codes) <= set(after.codes)


@given(standings, fact_lists, days)
def test_the_result_depends_only_on_facts_within_the_window(
    standing: Standing, fs: list[Fact], today: dt.date
) -> None:
    inside = [f for f in fs if in_window(f.occurred_on, today)]
    assert classify(standing, fs, today) == classify(standing, inside, today)


@given(fact_days, days)
def test_window_edge(occurred: dt.date, today: dt.date) -> None:
    expected = occurred <= today <= last_day_counted(occurred)
    assert in_window(occurred, today) == expected
    assert (window_start(today) <= occurred <= today) == expected
    # The last day counted is three years on, never more, and the same calendar day when it exists.
    last = last_day_counted(occurred)
    assert last.year == occurred.year + 3
    assert (last.month, last.day) == (occurred.month, occurred.day) or (occurred.month, occurred.day) == (
        2,
        29,
    )


@given(st.integers(min_value=0, max_value=8), st.integers(min_value=0, max_value=5), days, st.randoms())
def test_key_by_exceedances_exactly_from_the_third_in_normal_production(
    normal: int, other: int, today: dt.date, rng: Any
) -> None:
    window = (today - window_start(today)).days
    within = [window_start(today) + dt.timedelta(days=rng.randint(0, window)) for _ in range(normal + other)]
    fs = [exceedance(d, normal=i < normal, id=f"x{i}") for i, d in enumerate(within)]
    result = classify(GENERAL, fs, today)
    assert result.key == (normal >= EXCEEDANCE_THRESHOLD)
    assert result.codes == ((ReasonCode.EXCEEDANCES,) if normal >= EXCEEDANCE_THRESHOLD else ())


@given(standings, fact_lists, st.lists(fact_days, max_size=5), days)
def test_unverified_complaints_never_count(
    standing: Standing, fs: list[Fact], complaint_days: list[dt.date], today: dt.date
) -> None:
    unverified = [complaint(d, verified=False) for d in complaint_days]
    assert classify(standing, [*fs, *unverified], today) == classify(standing, fs, today)
    assert all(not counts(c, today) for c in unverified)


@given(standings, fact_lists, days, st.data())
def test_nothing_changes_before_next_change_and_the_window_moves_on_it(
    standing: Standing, fs: list[Fact], today: dt.date, data: st.DataObject
) -> None:
    result = classify(standing, fs, today)
    change = next_change(fs, today)
    if change is None:
        later = data.draw(st.dates(min_value=today, max_value=D(2040, 12, 31)))
        assert classify(standing, fs, later) == result
        return
    assert change > today
    between = data.draw(st.dates(min_value=today, max_value=change - dt.timedelta(days=1)))
    assert classify(standing, fs, between) == result
    assert classify(standing, fs, change - dt.timedelta(days=1)) == result
    counting_now = {f for f in fs if counts(f, today)}
    counting_then = {f for f in fs if counts(f, change)}
    assert counting_now != counting_then


@given(fact_lists, days)
def test_a_fact_reason_holds_from_since_through_until_and_not_a_day_longer(
    fs: list[Fact], today: dt.date
) -> None:
    past = [f for f in fs if f.occurred_on <= today]
    for reason in classify(GENERAL, past, today).reasons:
        assert reason.since is not None and reason.until is not None
        assert reason.since <= today <= reason.until
        for day in (reason.since, reason.until):
            assert reason.code in classify(GENERAL, past, day).codes
        assert reason.code not in classify(GENERAL, past, reason.until + dt.timedelta(days=1)).codes


# ------------------------------------------------------------------------------------------ validation


def test_fact_validation_names_every_problem() -> None:
    today = D(2026, 6, 1)
    assert fact_violations(FactKind.PENALTY, today, today) == []
    assert fact_violations(FactKind.COMPLAINT, today, today, verified=False) == []
    fields = [
        v["field"]
        for v in fact_violations(
            FactKind.COMPLAINT,
            today + dt.timedelta(days=1),
            today,
            normal_production=True,
            reference="x" * 121,
        )
    ]
    assert fields == ["occurredOn", "verified", "normalProduction", "reference"]
    assert [v["field"] for v in fact_violations(FactKind.EXCEEDANCE, today, today)] == ["normalProduction"]
    assert [v["field"] for v in fact_violations(FactKind.RISK_ASSESSMENT, today, today)] == [
        "assessmentResult"
    ]


def test_inspections_per_year_follow_the_overall_grade() -> None:
    assert [required_inspections_per_year(g) for g in OverallRisk] == [2, 2, 1, 1]
    assert required_inspections_per_year(None) is None


def test_changed_labels() -> None:
    after: dict[str, str | None] = {"overall_risk": "MAJOR", "water_risk": "HIGH"}
    assert changed_labels(None, after) == ["overall_risk", "water_risk"]
    assert changed_labels(after, {**after, "water_risk": "LOW"}) == ["water_risk"]
    assert changed_labels(after, dict(after)) == []


def test_the_job_interval_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ECOSTEWARD_ARCHIVE_RECLASSIFY_SECONDS", raising=False)
    assert jobs.interval_seconds() == 3600.0
    monkeypatch.setenv("ECOSTEWARD_ARCHIVE_RECLASSIFY_SECONDS", "5")
    assert jobs.interval_seconds() == 5.0
    monkeypatch.setenv("ECOSTEWARD_ARCHIVE_RECLASSIFY_SECONDS", "soon")
    assert jobs.interval_seconds() == 3600.0
    assert [job.name for job in jobs.JOBS] == ["reclassify"]


@settings(max_examples=25, deadline=None)
@given(fact_lists)
def test_stored_reasons_round_trip(fs: list[Fact]) -> None:
    assume(fs)
    today = max(f.occurred_on for f in fs)
    result = classify(Standing("KEY"), fs, today)
    stored = [service.reason_to_dict(r) for r in result.reasons]
    assert tuple(service.reason_from_dict(r) for r in stored) == result.reasons
