"""Pure rules behind the registry's trust fixes (issue 7): a contract's scope stays inside its managing
department's jurisdiction, and coverage never reaches beyond it."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from services.registry.contracts import domain

TOWNS = [uuid.UUID(int=k) for k in range(1, 6)]
DISTRICT = uuid.UUID(int=99)
KNOWN = {DISTRICT, *TOWNS}
ENTERPRISES = [uuid.UUID(int=1000 + k) for k in range(8)]

towns = st.sampled_from(TOWNS)
some_towns = st.lists(st.sampled_from([*TOWNS, uuid.UUID(int=77)]), max_size=4)  # 77: unknown
some_enterprises = st.lists(st.sampled_from(ENTERPRISES), max_size=5)
placements = st.dictionaries(st.sampled_from(ENTERPRISES), towns)  # missing key: not announced


@given(towns, some_towns, some_enterprises, placements)
def test_a_towns_contract_may_name_only_itself_and_its_own_enterprises(
    managing: uuid.UUID,
    scope_towns: list[uuid.UUID],
    scope_enterprises: list[uuid.UUID],
    where: dict[uuid.UUID, uuid.UUID],
) -> None:
    offence = domain.scope_offence(managing, False, scope_towns, scope_enterprises, KNOWN, where)
    # Oracle: written from the rule, id by id.
    assert set(offence.jurisdiction_ids) == {j for j in scope_towns if j != managing}
    assert set(offence.enterprise_ids) == {e for e in scope_enterprises if where.get(e) != managing}
    assert bool(offence) == bool(offence.jurisdiction_ids or offence.enterprise_ids)
    assert list(offence.jurisdiction_ids) == sorted(set(offence.jurisdiction_ids))


@given(some_towns, some_enterprises, placements)
def test_the_bureaus_contract_may_name_anything_known_in_the_district(
    scope_towns: list[uuid.UUID], scope_enterprises: list[uuid.UUID], where: dict[uuid.UUID, uuid.UUID]
) -> None:
    offence = domain.scope_offence(DISTRICT, True, scope_towns, scope_enterprises, KNOWN, where)
    assert set(offence.jurisdiction_ids) == {j for j in scope_towns if j not in KNOWN}
    assert set(offence.enterprise_ids) == {e for e in scope_enterprises if e not in where}


def test_violations_name_each_offending_id_under_its_field() -> None:
    town, other = TOWNS[0], TOWNS[1]
    stranger, unknown = ENTERPRISES[0], ENTERPRISES[1]
    offence = domain.scope_offence(town, False, [town, other], [stranger, unknown], KNOWN, {stranger: other})
    found = domain.scope_offence_violations(offence, "张江镇")
    assert [(v["field"], v["id"]) for v in found] == [
        ("scopeJurisdictionIds", str(other)),
        ("scopeEnterpriseIds", str(stranger)),
        ("scopeEnterpriseIds", str(unknown)),
    ]
    assert all("张江镇" in v["message"] for v in found)


@given(towns, towns, st.booleans(), some_towns, some_enterprises)
def test_coverage_never_reaches_outside_the_managing_jurisdiction(
    enterprise_town: uuid.UUID,
    managing: uuid.UUID,
    whole_district: bool,
    scope_towns: list[uuid.UUID],
    scope_enterprises: list[uuid.UUID],
) -> None:
    enterprise = ENTERPRISES[0]
    covered = domain.contract_covers(
        enterprise, enterprise_town, managing, whole_district, set(scope_towns), set(scope_enterprises)
    )
    named = enterprise in scope_enterprises or enterprise_town in scope_towns
    inside = whole_district or enterprise_town == managing
    assert covered == (named and inside)
