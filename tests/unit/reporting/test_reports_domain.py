"""Reporting rules (pure): periods, due dates, submission, data scope."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecosteward.auth import Principal
from ecosteward.errors import Forbidden, ValidationFailed
from ecosteward.periods import MAX_YEAR, MIN_YEAR, Period
from services.reporting.access import check_may_submit, data_scope, owners
from services.reporting.reports.domain import (
    check_submission,
    due_date,
    is_late,
    period_label,
    period_start,
    period_violations,
    submission_violations,
)
from tests.unit.strategies import principals, user, visibility

years = st.integers(min_value=MIN_YEAR, max_value=MAX_YEAR)
quarters = st.integers(min_value=1, max_value=4)
valid_periods = st.tuples(st.just("QUARTERLY"), years, quarters) | st.tuples(
    st.just("ANNUAL"), years, st.none()
)
dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2110, 12, 31))
A, B = uuid.UUID(int=1), uuid.UUID(int=2)


@given(
    st.sampled_from(["QUARTERLY", "ANNUAL", "MONTHLY"]), st.integers(-5, 3000), st.none() | st.integers(-2, 7)
)
def test_a_period_is_valid_exactly_when_it_names_a_real_quarter_or_year(
    kind: str, year: int, quarter: int | None
) -> None:
    quarterly_ok = kind == "QUARTERLY" and quarter is not None and 1 <= quarter <= 4
    annual_ok = kind == "ANNUAL" and quarter is None
    valid = MIN_YEAR <= year <= MAX_YEAR and (quarterly_ok or annual_ok)
    assert (period_violations(kind, year, quarter) == []) == valid
    if not valid:
        with pytest.raises(ValidationFailed):
            due_date(kind, year, quarter)


@given(valid_periods)
def test_a_report_is_due_on_the_last_day_of_its_period(period: tuple[str, int, int | None]) -> None:
    _, year, quarter = period
    assert period_start(*period) == Period(year, quarter).start
    assert due_date(*period) == Period(year, quarter).end
    assert period_label(*period) == Period(year, quarter).label


@given(valid_periods, valid_periods)
def test_labels_tell_periods_apart(
    first: tuple[str, int, int | None], second: tuple[str, int, int | None]
) -> None:
    assert (period_label(*first) == period_label(*second)) == (first == second)


@given(valid_periods, dates)
def test_a_report_cannot_be_submitted_before_its_period_begins(
    period: tuple[str, int, int | None], today: dt.date
) -> None:
    problems = submission_violations(*period, "本季度完成巡查120家次。", today)
    assert (problems != []) == (period_start(*period) > today)


def test_examples() -> None:
    assert due_date("QUARTERLY", 2026, 1) == dt.date(2026, 3, 31)
    assert due_date("QUARTERLY", 2026, 2) == dt.date(2026, 6, 30)
    assert due_date("QUARTERLY", 2026, 3) == dt.date(2026, 9, 30)
    assert due_date("QUARTERLY", 2024, 4) == dt.date(2024, 12, 31)
    assert due_date("ANNUAL", 2026, None) == dt.date(2026, 12, 31)
    assert period_label("QUARTERLY", 2026, 3) == "2026-Q3"
    assert period_label("ANNUAL", 2026, None) == "2026"
    check_submission("QUARTERLY", 2026, 3, "三季度工作总结", dt.date(2026, 9, 30))
    with pytest.raises(ValidationFailed) as caught:
        check_submission("ANNUAL", 2026, 2, "  ", dt.date(2026, 9, 30))
    assert [v["field"] for v in (caught.value.extensions or {})["violations"]] == ["quarter", "summary"]
    assert is_late(dt.date(2026, 3, 31), None) is None
    assert is_late(dt.date(2026, 3, 31), dt.date(2026, 3, 31)) is False
    assert is_late(dt.date(2026, 3, 31), dt.date(2026, 4, 1)) is True


@given(principals, st.uuids())
def test_scope_and_submission_match_the_role_table(p: Principal, juris: uuid.UUID) -> None:
    if "bureau_officer" in p.roles:
        expected: bool | None = True
    elif "town_officer" in p.roles and p.jurisdiction_id is not None:
        expected = p.jurisdiction_id == juris
    else:
        expected = None
    assert visibility(data_scope, p, owners(juris)) is expected
    if expected:
        check_may_submit(p, juris)
    else:
        with pytest.raises(Forbidden):
            check_may_submit(p, juris)


def test_scope_examples() -> None:
    town = user("town_officer", jurisdiction=A)
    assert data_scope(town) == {"jurisdiction_id": A}
    check_may_submit(town, A)
    with pytest.raises(Forbidden) as caught:
        check_may_submit(town, B)
    assert caught.value.message == "A town submits reports for its own jurisdiction only (仅限本辖区)."
    for roles in ({"agency_admin"}, {"procurement_officer"}, {"enterprise_user"}, {"town_officer"}):
        with pytest.raises(Forbidden):
            data_scope(user(*roles))
    with pytest.raises(Forbidden) as caught:
        data_scope(user("enterprise_user"))
    assert caught.value.message == "Reports are outside your role's scope (无权查看报告)."
