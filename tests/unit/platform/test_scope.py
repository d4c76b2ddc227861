"""Data scope (pure): policies and record checks agree with each other.

The SQL narrowing (``restrict``) is checked against ``in_scope`` on SQLite in
``tests/service/platform/test_scope_restrict.py``.
"""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecosteward.auth import ROLES, Principal
from ecosteward.errors import Forbidden
from ecosteward.scope import (
    Claim,
    Scope,
    ScopePolicy,
    check_in_scope,
    claim_value,
    data_scope,
    in_scope,
)
from tests.unit.strategies import ids, principals, user

CLAIMS: tuple[Claim, ...] = ("jurisdiction_id", "agency_id", "enterprise_id")
A, B = uuid.UUID(int=1), uuid.UUID(int=2)

POLICY: ScopePolicy = {
    "bureau_officer": None,
    "town_officer": "jurisdiction_id",
    "agency_admin": "agency_id",
    "enterprise_user": "enterprise_id",
}

policies = st.lists(
    st.tuples(st.sampled_from(ROLES), st.none() | st.sampled_from(CLAIMS)), unique_by=lambda rc: rc[0]
).map(dict)
owner_maps = st.fixed_dictionaries({claim: ids for claim in CLAIMS})
scopes = st.dictionaries(st.sampled_from(CLAIMS), st.sampled_from([A, B]))


def _claims(p: Principal) -> dict[str, uuid.UUID | None]:
    return {"jurisdiction_id": p.jurisdiction_id, "agency_id": p.agency_id, "enterprise_id": p.enterprise_id}


# ------------------------------------------------------------------------------------------ data_scope


def test_the_first_role_of_the_policy_the_caller_holds_decides() -> None:
    assert data_scope(user("bureau_officer", "town_officer"), POLICY, "Things", "无权") == {}
    assert data_scope(
        user("town_officer", "agency_admin", jurisdiction=A, agency=B), POLICY, "T", "无权"
    ) == {"jurisdiction_id": A}
    assert data_scope(user("agency_admin", agency=B), POLICY, "T", "无权") == {"agency_id": B}
    assert data_scope(user("enterprise_user", enterprise=A), POLICY, "T", "无权") == {"enterprise_id": A}


def test_a_role_outside_the_policy_is_refused_in_the_services_words() -> None:
    with pytest.raises(Forbidden) as caught:
        data_scope(user("procurement_officer"), POLICY, "Inspections", "无权查看巡查记录")
    assert caught.value.message == "Inspections are outside your role's scope (无权查看巡查记录)."
    assert (caught.value.extensions or {})["code"] == "FORBIDDEN"
    with pytest.raises(Forbidden):
        data_scope(user(), POLICY, "Inspections", "无权查看巡查记录")


@pytest.mark.parametrize("claim", CLAIMS)
def test_an_account_without_its_claim_sees_nothing(claim: Claim) -> None:
    role = next(role for role, restricting in POLICY.items() if restricting == claim)
    with pytest.raises(Forbidden) as caught:
        data_scope(user(role), POLICY, "Things", "无权")
    assert caught.value.message == (
        f"Your account has no {claim} attribute, so it sees no data (账号未配置数据范围)."
    )
    with pytest.raises(Forbidden):
        claim_value(user(role), claim)


def test_claim_value_reads_the_named_claim() -> None:
    caller = user(jurisdiction=A, agency=B, enterprise=uuid.UUID(int=3))
    assert [claim_value(caller, claim) for claim in CLAIMS] == [A, B, uuid.UUID(int=3)]


@given(principals, policies)
def test_data_scope_follows_the_policy_table(p: Principal, policy: dict[str, Claim | None]) -> None:
    held = [(role, claim) for role, claim in policy.items() if role in p.roles]
    if not held:
        expected: Scope | None = None
    else:
        claim = held[0][1]
        value = None if claim is None else _claims(p)[claim]
        expected = {} if claim is None else (None if value is None else {claim: value})
    if expected is None:
        with pytest.raises(Forbidden):
            data_scope(p, policy, "Things", "无权")
    else:
        assert data_scope(p, policy, "Things", "无权") == expected


# ------------------------------------------------------------------------------------------ in_scope


@given(owner_maps)
def test_an_empty_scope_sees_everything(owners: dict[str, uuid.UUID]) -> None:
    assert in_scope({}, owners)
    check_in_scope({}, owners, "never raised")


@given(scopes, st.fixed_dictionaries({claim: st.sampled_from([A, B]) for claim in CLAIMS}))
def test_a_record_is_in_scope_exactly_when_every_claim_matches_its_owner(
    scope: Scope, owners: dict[str, uuid.UUID]
) -> None:
    expected = all(owners[claim] == value for claim, value in scope.items())
    assert in_scope(scope, owners) is expected
    if expected:
        check_in_scope(scope, owners, "outside")
    else:
        with pytest.raises(Forbidden) as caught:
            check_in_scope(scope, owners, "This record is outside your scope (超出数据范围).")
        assert caught.value.message == "This record is outside your scope (超出数据范围)."


def test_a_claim_without_an_owner_keeps_the_record_out() -> None:
    assert not in_scope({"agency_id": A}, {"jurisdiction_id": A, "enterprise_id": A})
    assert in_scope({"agency_id": A}, {"agency_id": A})
