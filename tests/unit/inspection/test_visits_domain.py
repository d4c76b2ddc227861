"""Inspection rules (pure): data scope, visits, findings."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecosteward.auth import Principal
from ecosteward.errors import Forbidden, ValidationFailed
from ecosteward.scope import in_scope
from services.inspection.access import data_scope, may_see_enterprise, owners, recording_agency
from services.inspection.visits.domain import (
    FINDING_CATEGORIES,
    HANDLING_CLASSES,
    check_finding,
    check_visit,
    finding_violations,
    visit_violations,
)
from tests.unit.strategies import ids, principals, user, visibility

dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
A, B = uuid.UUID(int=1), uuid.UUID(int=2)


def expected_visibility(
    p: Principal, enterprise: uuid.UUID, agency: uuid.UUID, jurisdiction: uuid.UUID
) -> bool | None:
    """The scope table of the brief, written out plainly; None where the caller is FORBIDDEN."""
    if "bureau_officer" in p.roles:
        return True
    if "town_officer" in p.roles:
        return None if p.jurisdiction_id is None else p.jurisdiction_id == jurisdiction
    if {"agency_admin", "agency_staff"} & p.roles:
        return None if p.agency_id is None else p.agency_id == agency
    if "enterprise_user" in p.roles:
        return None if p.enterprise_id is None else p.enterprise_id == enterprise
    return None


@given(principals, ids, ids, ids)
def test_scope_matches_the_role_table(
    p: Principal, enterprise: uuid.UUID, agency: uuid.UUID, juris: uuid.UUID
) -> None:
    expected = expected_visibility(p, enterprise, agency, juris)
    assert visibility(data_scope, p, owners(enterprise, agency, juris)) is expected


@given(principals, ids, ids, ids)
def test_a_caller_always_sees_its_own_records(
    p: Principal, enterprise: uuid.UUID, agency: uuid.UUID, juris: uuid.UUID
) -> None:
    try:
        scope = data_scope(p)
    except Forbidden:
        return
    # A record owned by exactly the caller's claims is always visible.
    own = (p.enterprise_id or enterprise, p.agency_id or agency, p.jurisdiction_id or juris)
    assert in_scope(scope, owners(*own))


def test_scope_examples() -> None:
    assert data_scope(user("bureau_officer", "procurement_officer")) == {}
    assert data_scope(user("town_officer", jurisdiction=A)) == {"jurisdiction_id": A}
    assert data_scope(user("agency_staff", agency=A)) == {"agency_id": A}
    assert data_scope(user("enterprise_user", enterprise=A)) == {"enterprise_id": A}
    for forbidden in (user("procurement_officer"), user(), user("town_officer"), user("agency_admin")):
        with pytest.raises(Forbidden):
            data_scope(forbidden)
    with pytest.raises(Forbidden) as caught:
        data_scope(user("procurement_officer"))
    assert caught.value.message == "Inspections are outside your role's scope (无权查看巡查记录)."


def test_enterprise_visibility() -> None:
    assert may_see_enterprise(user("bureau_officer"), A, B)
    assert may_see_enterprise(user("town_officer", jurisdiction=B), A, B)
    assert not may_see_enterprise(user("town_officer", jurisdiction=A), A, B)
    assert may_see_enterprise(user("agency_admin", agency=A), A, B)  # filtered to its own visits later
    assert may_see_enterprise(user("enterprise_user", enterprise=A), A, B)
    assert not may_see_enterprise(user("enterprise_user", enterprise=B), A, B)
    with pytest.raises(Forbidden):
        may_see_enterprise(user("procurement_officer"), A, B)


def test_recording_agency() -> None:
    assert recording_agency(user("agency_staff", agency=A), None) == A
    assert recording_agency(user("agency_staff", agency=A), A) == A
    with pytest.raises(Forbidden):
        recording_agency(user("agency_staff", agency=A), B)
    with pytest.raises(Forbidden):
        recording_agency(user("agency_staff"), None)
    assert recording_agency(user("bureau_officer"), B) == B
    with pytest.raises(ValidationFailed):
        recording_agency(user("bureau_officer"), None)


@given(dates, dates, st.text(max_size=50))
def test_a_visit_is_refused_exactly_when_it_is_in_the_future_or_has_no_summary(
    visited: dt.date, today: dt.date, summary: str
) -> None:
    fields = {p["field"] for p in visit_violations(visited, today, summary)}
    assert ("visitedOn" in fields) == (visited > today)
    assert ("summary" in fields) == (not summary.strip())


@given(st.sampled_from(sorted(HANDLING_CLASSES)), st.none() | dates, dates)
def test_deadline_rules(handling_class: str, deadline: dt.date | None, visited: dt.date) -> None:
    fields = {p["field"] for p in finding_violations(handling_class, deadline, visited, "漏气", "")}
    needs_one = handling_class == "FIX_BY_DEADLINE" and deadline is None
    takes_none = handling_class == "IMMEDIATE_FIX" and deadline is not None
    too_early = handling_class != "IMMEDIATE_FIX" and deadline is not None and deadline < visited
    assert ("deadline" in fields) == (needs_one or takes_none or too_early)
    assert fields <= {"deadline"}


def test_finding_examples() -> None:
    visit = dt.date(2026, 3, 12)
    check_finding("FIX_BY_DEADLINE", dt.date(2026, 3, 12), visit, "活性炭未更换", "大气法第四十五条")
    check_finding("MAJOR", None, visit, "暗管排放", "")
    check_finding("IMMEDIATE_FIX", None, visit, "标识缺失", "")
    with pytest.raises(ValidationFailed) as caught:
        check_finding("FIX_BY_DEADLINE", dt.date(2026, 3, 11), visit, " ", "x" * 1001)
    assert [v["field"] for v in (caught.value.extensions or {})["violations"]] == [
        "deadline",
        "description",
        "legalBasis",
    ]
    check_visit(visit, visit, "例行巡查")
    with pytest.raises(ValidationFailed):
        check_visit(visit, visit - dt.timedelta(days=1), "例行巡查")


def test_the_eleven_survey_categories_of_table_b2_in_order() -> None:
    assert len(FINDING_CATEGORIES) == 11
    numbers = [int(label.split()[0]) for label in FINDING_CATEGORIES.values()]
    assert numbers == list(range(1, 12))
    assert FINDING_CATEGORIES["PERMITS_AND_PROCEDURES"].endswith("环保手续合规情况")
    assert FINDING_CATEGORIES["SOIL_POLLUTION_HAZARDS"].endswith("土壤污染隐患排查情况")
