"""Appraisal rules (pure): periods, exact scores, data scope."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecosteward.auth import Principal
from ecosteward.errors import Conflict, Forbidden, ValidationFailed
from ecosteward.periods import Period
from services.appraisal.access import data_scope, owners
from services.appraisal.appraisals.domain import (
    check_appraisal,
    check_can_finalise,
    parse_period,
    score_problem,
    score_to_tenths,
    tenths_at_least,
    tenths_to_score,
)
from tests.unit.strategies import ids, principals, user, visibility

scores = st.decimals(
    min_value=Decimal("-20"), max_value=Decimal("120"), allow_nan=False, allow_infinity=False, places=3
)
A, B = uuid.UUID(int=1), uuid.UUID(int=2)


def test_an_appraisal_period_is_a_year_or_a_quarter() -> None:
    assert parse_period(" 2026-q3 ") == Period(2026, 3)
    assert parse_period("2026") == Period(2026)
    with pytest.raises(ValidationFailed) as caught:
        parse_period("2026/3")
    assert caught.value.message == "The period is not valid (考核期间有误)."
    assert (caught.value.extensions or {})["violations"] == [
        {
            "field": "period",
            "message": "Write the period as a year (2026) or a quarter (2026-Q3) (考核期间格式有误).",
        }
    ]


@given(scores)
def test_a_score_is_valid_exactly_when_it_is_0_to_100_in_tenths(score: Decimal) -> None:
    ok = Decimal(0) <= score <= Decimal(100) and (score * 10) == (score * 10).to_integral_value()
    assert (score_problem(score) is None) == ok
    if ok:
        tenths = score_to_tenths(score)
        assert 0 <= tenths <= 1000
        assert tenths_to_score(tenths) == score
    else:
        with pytest.raises(ValidationFailed):
            score_to_tenths(score)


@given(st.integers(min_value=0, max_value=1000))
def test_stored_tenths_come_back_with_one_place(tenths: int) -> None:
    score = tenths_to_score(tenths)
    assert isinstance(score, Decimal)
    assert score.as_tuple().exponent == -1
    assert score_to_tenths(score) == tenths


@given(st.integers(min_value=0, max_value=1000), scores)
def test_min_score_filter_agrees_with_comparing_scores(tenths: int, bound: Decimal) -> None:
    assert (tenths >= tenths_at_least(bound)) == (tenths_to_score(tenths) >= bound)


def test_score_examples() -> None:
    assert score_to_tenths(Decimal("87.5")) == 875
    assert score_to_tenths(Decimal("100")) == 1000
    assert score_to_tenths(Decimal("0.0")) == 0
    for bad in ("87.55", "-0.1", "100.1", "NaN", "Infinity"):
        assert score_problem(Decimal(bad)) is not None, bad


@given(principals, ids, ids)
def test_scope_matches_the_role_table(p: Principal, agency: uuid.UUID, juris: uuid.UUID) -> None:
    if {"bureau_officer", "procurement_officer"} & p.roles:
        expected: bool | None = True
    elif "agency_admin" in p.roles:
        expected = None if p.agency_id is None else p.agency_id == agency
    elif "town_officer" in p.roles:
        expected = None if p.jurisdiction_id is None else p.jurisdiction_id == juris
    else:
        expected = None
    assert visibility(data_scope, p, owners(agency, juris)) is expected


def test_scope_examples() -> None:
    assert data_scope(user("procurement_officer")) == {}
    assert data_scope(user("agency_admin", agency=A)) == {"agency_id": A}
    assert data_scope(user("town_officer", jurisdiction=B)) == {"jurisdiction_id": B}
    for roles in ({"agency_staff"}, {"enterprise_user"}, set()):
        with pytest.raises(Forbidden) as caught:
            data_scope(user(*roles, agency=A, enterprise=A, jurisdiction=A))
        assert caught.value.message == "Appraisals are outside your role's scope (无权查看考核结果)."


def test_only_a_draft_becomes_final() -> None:
    check_can_finalise("DRAFT")
    with pytest.raises(Conflict):
        check_can_finalise("FINAL")


def test_an_appraisal_reports_every_problem_at_once() -> None:
    assert check_appraisal(" 2026-q3 ", Decimal("88.5")) == (Period(2026, 3), 885)
    with pytest.raises(ValidationFailed) as caught:
        check_appraisal("2026-Q5", Decimal("88.55"))
    assert [v["field"] for v in (caught.value.extensions or {})["violations"]] == ["period", "totalScore"]
