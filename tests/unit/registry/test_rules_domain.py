"""Registry rules as properties (services/registry/<area>/domain.py): admission, standing, permits, workflows.

Each expectation is written from the rule text (seed 004 §4, seed 000 §三(三), /work/shared/domain.md),
not from the implementation, so the two can disagree.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Collection, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ecosteward.errors import Conflict
from ecosteward.workdays import WorkdayCalendar
from services.registry.agencies.domain import (
    AGENCY_TRANSITIONS,
    AgencyStatus,
    StaffFacts,
    admission_failures,
    check_agency_transition,
    listing_active,
)
from services.registry.contracts.domain import (
    CONTRACT_TRANSITIONS,
    DUE_SOON_WORKING_DAYS,
    ContractStatus,
    FilingStanding,
    check_contract_transition,
    contract_violations,
    filing_standing,
    scope_violations,
)
from services.registry.permits.domain import permit_valid_on, permit_violations
from services.registry.staff.domain import Title, staff_active

SENIOR_TITLES = {Title.ASSOCIATE_SENIOR, Title.SENIOR}
RULE_ORDER = ["CREDIT_BLACKLISTED", "TOO_FEW_PROFESSIONALS", "TOO_FEW_SENIOR_TITLES", "QUALITY_MANAGER"]

dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
staff_facts = st.builds(
    StaffFacts,
    professional=st.booleans(),
    title=st.sampled_from(list(Title)),
    quality_manager=st.booleans(),
    active=st.booleans(),
)
staff_lists = st.lists(staff_facts, max_size=14)


def expected_failures(blacklisted: bool, staff: list[StaffFacts]) -> list[str]:
    """The unmet rules, straight from seed 004 §4."""
    active = [s for s in staff if s.active]
    professionals = [s for s in active if s.professional]
    seniors = [s for s in professionals if s.title in SENIOR_TITLES]
    managers = [s for s in active if s.quality_manager]
    unmet = {
        "CREDIT_BLACKLISTED": blacklisted,
        "TOO_FEW_PROFESSIONALS": len(professionals) < 5,
        "TOO_FEW_SENIOR_TITLES": len(seniors) < 2,
        "QUALITY_MANAGER": len(managers) != 1,
    }
    return [code for code in RULE_ORDER if unmet[code]]


# ------------------------------------------------------------------------------ admission


@given(st.booleans(), staff_lists)
def test_every_unmet_admission_rule_is_listed_and_nothing_else(
    blacklisted: bool, staff: list[StaffFacts]
) -> None:
    failures = admission_failures(blacklisted, staff)
    assert [f.code for f in failures] == expected_failures(blacklisted, staff)
    assert all(f.message for f in failures)


@given(st.booleans(), staff_lists)
def test_admitted_iff_clean_five_professionals_two_seniors_one_manager(
    blacklisted: bool, staff: list[StaffFacts]
) -> None:
    active = [s for s in staff if s.active]
    professionals = [s for s in active if s.professional]
    admissible = (
        not blacklisted
        and len(professionals) >= 5
        and sum(1 for s in professionals if s.title in SENIOR_TITLES) >= 2
        and sum(1 for s in active if s.quality_manager) == 1
    )
    assert (admission_failures(blacklisted, staff) == []) == admissible


@given(st.booleans(), staff_lists, staff_lists)
def test_former_staff_never_count(
    blacklisted: bool, staff: list[StaffFacts], former: list[StaffFacts]
) -> None:
    gone = [StaffFacts(s.professional, s.title, s.quality_manager, active=False) for s in former]
    assert admission_failures(blacklisted, staff + gone) == admission_failures(blacklisted, staff)


@given(staff_lists)
def test_the_messages_state_what_the_agency_has(staff: list[StaffFacts]) -> None:
    active = [s for s in staff if s.active]
    professionals = [s for s in active if s.professional]
    by_code = {f.code: f.message for f in admission_failures(False, staff)}
    if "TOO_FEW_PROFESSIONALS" in by_code:
        assert f"it has {len(professionals)}" in by_code["TOO_FEW_PROFESSIONALS"]
    if "QUALITY_MANAGER" in by_code:
        assert f"it has {sum(1 for s in active if s.quality_manager)}" in by_code["QUALITY_MANAGER"]


def _person(
    title: Title, professional: bool = True, manager: bool = False, active: bool = True
) -> StaffFacts:
    return StaffFacts(professional=professional, title=title, quality_manager=manager, active=active)


def test_admission_examples() -> None:
    ok = [
        _person(Title.SENIOR, manager=True),
        _person(Title.ASSOCIATE_SENIOR),
        _person(Title.INTERMEDIATE),
        _person(Title.JUNIOR),
        _person(Title.NONE),
    ]
    assert admission_failures(False, ok) == []
    assert [f.code for f in admission_failures(True, ok)] == ["CREDIT_BLACKLISTED"]
    # A senior who does not do consulting work is not one of the two senior professionals.
    not_consulting = [*ok[:1], _person(Title.SENIOR, professional=False), *ok[2:], _person(Title.JUNIOR)]
    assert [f.code for f in admission_failures(False, not_consulting)] == ["TOO_FEW_SENIOR_TITLES"]
    # The quality manager must be a current employee, and only one may be named.
    assert [f.code for f in admission_failures(False, [*ok, _person(Title.NONE, manager=True)])] == [
        "QUALITY_MANAGER"
    ]
    former_manager = [_person(Title.SENIOR, manager=True, active=False), *ok[1:], _person(Title.SENIOR)]
    assert [f.code for f in admission_failures(False, former_manager)] == ["QUALITY_MANAGER"]
    assert [f.code for f in admission_failures(True, [])] == RULE_ORDER


@given(dates, st.none() | dates, dates)
def test_staff_are_active_from_joining_until_the_day_they_leave(
    joined: dt.date, left: dt.date | None, on: dt.date
) -> None:
    assert staff_active(joined, left, on) == (joined <= on and (left is None or on < left))


@given(dates, st.none() | dates, dates)
def test_a_listing_is_in_force_from_listing_until_delisting(
    listed: dt.date, delisted: dt.date | None, on: dt.date
) -> None:
    assert listing_active(listed, delisted, on) == (listed <= on and (delisted is None or on < delisted))


# ------------------------------------------------------------------------------ filing standing


@given(dates, st.none() | dates, dates, st.integers(min_value=-400, max_value=400))
def test_filing_standing_follows_the_inbox_rules(
    due: dt.date, filed: dt.date | None, today: dt.date, left: int
) -> None:
    standing = filing_standing(due, filed, today, left)
    if filed is not None:
        assert standing is (FilingStanding.FILED_LATE if filed > due else FilingStanding.FILED_ON_TIME)
    elif today > due:
        assert standing is FilingStanding.OVERDUE
    elif left <= DUE_SOON_WORKING_DAYS:
        assert standing is FilingStanding.DUE_SOON
    else:
        assert standing is FilingStanding.AWAITING


@given(dates, st.integers(min_value=0, max_value=30), st.integers(min_value=-40, max_value=40))
def test_standing_on_a_weekday_calendar(signed: dt.date, skip: int, offset: int) -> None:
    """With real working-day counts: due soon means at most 3 working days to go, not overdue."""
    calendar = WorkdayCalendar([], range(1990, 2110))
    due = calendar.add_working_days(signed, 10).due_on
    today = due + dt.timedelta(days=offset)
    left = calendar.working_days_between(today, due)
    standing = filing_standing(due, None, today, left)
    if today > due:
        assert standing is FilingStanding.OVERDUE and left <= 0  # 0 on the weekend right after it
    elif left <= 3:
        assert standing is FilingStanding.DUE_SOON
        assert due <= calendar.add_working_days(today, 3).due_on
    else:
        assert standing is FilingStanding.AWAITING
        assert due > calendar.add_working_days(today, 3).due_on
    # A filing is judged by its first filing day, whatever today is.
    filed_on = signed + dt.timedelta(days=skip)
    expected = FilingStanding.FILED_LATE if filed_on > due else FilingStanding.FILED_ON_TIME
    assert filing_standing(due, filed_on, today, left) is expected


def test_standing_examples() -> None:
    due = dt.date(2026, 10, 15)
    assert filing_standing(due, None, dt.date(2026, 10, 16), -1) is FilingStanding.OVERDUE
    assert filing_standing(due, None, due, 0) is FilingStanding.DUE_SOON
    assert filing_standing(due, None, dt.date(2026, 10, 12), 3) is FilingStanding.DUE_SOON
    assert filing_standing(due, None, dt.date(2026, 10, 9), 4) is FilingStanding.AWAITING
    assert filing_standing(due, due, dt.date(2027, 1, 1), -50) is FilingStanding.FILED_ON_TIME
    assert filing_standing(due, dt.date(2026, 10, 16), due, 0) is FilingStanding.FILED_LATE


# ------------------------------------------------------------------------------ work permits


@given(dates, dates, st.none() | dates, dates)
def test_a_permit_is_valid_inside_its_term_until_revoked(
    valid_from: dt.date, valid_to: dt.date, revoked: dt.date | None, day: dt.date
) -> None:
    expected = valid_from <= day <= valid_to and (revoked is None or day < revoked)
    assert permit_valid_on(valid_from, valid_to, revoked, day) == expected


@given(dates, st.integers(min_value=0, max_value=400))
def test_a_permit_is_valid_on_its_first_and_last_day(start: dt.date, length: int) -> None:
    end = start + dt.timedelta(days=length)
    assume(end.year <= 2100)
    assert permit_valid_on(start, end, None, start)
    assert permit_valid_on(start, end, None, end)
    assert not permit_valid_on(start, end, None, start - dt.timedelta(days=1))
    assert not permit_valid_on(start, end, None, end + dt.timedelta(days=1))
    # Revoked on its first day: never valid from then on.
    assert not permit_valid_on(start, end, start, start)


@given(dates, st.integers(min_value=-3000, max_value=3000))
def test_permit_terms(valid_from: dt.date, days: int) -> None:
    valid_to = valid_from + dt.timedelta(days=days)
    fields = [p["field"] for p in permit_violations(valid_from, valid_to)]
    assert fields == (["validTo"] if days < 0 or days > 5 * 366 else [])


# ------------------------------------------------------------------------------ contracts


@given(st.lists(st.uuids(), max_size=3), st.lists(st.uuids(), max_size=3))
def test_a_contract_must_name_what_it_serves(jurisdictions: list[object], enterprises: list[object]) -> None:
    fields = [p["field"] for p in scope_violations(jurisdictions, enterprises)]
    assert fields == ([] if jurisdictions or enterprises else ["scope"])


@pytest.mark.parametrize("price", ["100.005", "0", "-0.01", "-100", "NaN", "Infinity", "1E-3"])
def test_prices_that_are_refused(price: str) -> None:
    problems = contract_violations(Decimal(price), dt.date(2026, 1, 1), dt.date(2026, 12, 31), 1)
    assert [p["field"] for p in problems] == ["price"]


# ------------------------------------------------------------------------------ workflows

# Every (current, target) pair of both workflows, with the check and the transitions it follows.
TRANSITION_PAIRS = [
    pytest.param(
        check_agency_transition, AGENCY_TRANSITIONS, current, target, id=f"agency-{current}-{target}"
    )
    for current, target in itertools.product(AgencyStatus, AgencyStatus)
] + [
    pytest.param(
        check_contract_transition, CONTRACT_TRANSITIONS, current, target, id=f"contract-{current}-{target}"
    )
    for current, target in itertools.product(ContractStatus, ContractStatus)
]
# The contract path as the README states it: DRAFT → SIGNED → FILED (→ RETURNED → FILED) → ACTIVE → ENDED.
README_CONTRACT_PATH = ["DRAFT", "SIGNED", "FILED", "RETURNED", "FILED", "ACTIVE", "ENDED"]


@pytest.mark.parametrize(("check", "transitions", "current", "target"), TRANSITION_PAIRS)
def test_a_move_outside_the_workflow_is_an_invalid_transition(
    check: Callable[[Any, Any], None],
    transitions: Mapping[Any, Collection[Any]],
    current: StrEnum,
    target: StrEnum,
) -> None:
    if target in transitions[current]:
        check(current, target)
    else:
        with pytest.raises(Conflict) as caught:
            check(current, target)
        assert caught.value.extensions == {"code": "INVALID_TRANSITION", "current": current.value}


def test_the_documented_contract_path_is_allowed_and_termination_is_open_until_the_end() -> None:
    for current, target in itertools.pairwise(README_CONTRACT_PATH):
        check_contract_transition(ContractStatus(current), ContractStatus(target))
    for state in ContractStatus:
        final = state in (ContractStatus.ENDED, ContractStatus.TERMINATED)
        assert (ContractStatus.TERMINATED in CONTRACT_TRANSITIONS[state]) is not final


def _reachable(table: dict[object, frozenset[object]], start: object) -> set[object]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in table[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_every_state_is_reachable_and_the_final_ones_are_final() -> None:
    agency: dict[object, frozenset[object]] = dict(AGENCY_TRANSITIONS.items())
    contract: dict[object, frozenset[object]] = dict(CONTRACT_TRANSITIONS.items())
    assert _reachable(agency, AgencyStatus.APPLIED) == set(AgencyStatus)
    assert _reachable(contract, ContractStatus.DRAFT) == set(ContractStatus)
    assert _reachable(agency, AgencyStatus.REMOVED) == {AgencyStatus.REMOVED}
    for final in (ContractStatus.ENDED, ContractStatus.TERMINATED):
        assert _reachable(contract, final) == {final}
    # Nothing moves to itself (a repeated request is a conflict, not a silent success).
    assert all(state not in moves for state, moves in agency.items())
    assert all(state not in moves for state, moves in contract.items())


# ------------------------------------------------------------------------------ contract terms

prices = st.decimals(
    min_value=Decimal("-1000000"),
    max_value=Decimal("100000000"),
    allow_nan=False,
    allow_infinity=False,
    places=3,
)


@given(prices, dates, dates, st.integers(min_value=-5, max_value=10_000))
def test_contract_terms_are_accepted_exactly_when_every_rule_holds(
    price: Decimal, start: dt.date, end: dt.date, tasks: int
) -> None:
    fields = {p["field"] for p in contract_violations(price, start, end, tasks)}
    assert ("price" in fields) == (price <= 0 or price != price.quantize(Decimal("0.01")))
    assert ("endsOn" in fields) == (end < start)
    assert ("contractedTasks" in fields) == (tasks < 0)


def test_contract_term_examples() -> None:
    ok = contract_violations(Decimal("960000.00"), dt.date(2026, 1, 1), dt.date(2026, 12, 31), 400)
    assert ok == []
    bad = contract_violations(Decimal("-1"), dt.date(2026, 12, 31), dt.date(2026, 1, 1), -1)
    assert [p["field"] for p in bad] == ["price", "endsOn", "contractedTasks"]
