"""Who may do what in the registry: the table-driven access test (role × operation × own/other scope).

The conventions of every registry e2e test are in ``tests.e2e.registry`` (its docstring)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from ecosteward.clock import china_today
from tests.e2e.helpers import (
    Api,
)
from tests.e2e.registry.documents import (
    CHANGE_STATUS,
    STAFF_OF,
)
from tests.e2e.registry.support import (
    AgencyMade,
    contract_input,
    new_jurisdiction,
    register_agency,
    signed,
)
from tests.e2e.users import (
    ADMIN,
    ALL_USERS,
    BUREAU,
    DEMO_AGENCY,
    DEMO_J,
    ENTERPRISE,
    PROCUREMENT,
    STAFF,
    TOWN,
    per_user,
)
from tests.support import error_codes

# ------------------------------------------------------------------------------------------ 9 authorization


@dataclass
class World:
    """What the authorization matrix reads: owned by the demo users' scopes, or not."""

    api: Api
    jurisdiction: str
    scratch: str
    other_agency: AgencyMade
    demo_staff: str
    town_contract: str
    other_contract: str


@pytest.fixture(scope="module")
def world(api: Api, shared_agency: AgencyMade) -> World:
    today = china_today()
    jurisdiction = new_jurisdiction(api)
    demo_staff = api.ok(BUREAU, STAFF_OF, {"agencyId": DEMO_AGENCY})["staff"]["edges"][0]["node"]["id"]
    town_contract, _ = signed(api, DEMO_AGENCY, DEMO_J, today, user=TOWN)
    other_contract, _ = signed(api, shared_agency.id, jurisdiction, today)
    # The other agency serves the demo town too, so the demo enterprise may read its directory fields.
    signed(api, shared_agency.id, DEMO_J, today, user=TOWN)
    scratch = new_jurisdiction(api)  # where the allowed mutations leave their contracts
    return World(api, jurisdiction, scratch, shared_agency, demo_staff, town_contract, other_contract)


Expect = str | int | None
"""'ok' (no error), an error code, or an int: the totalCount/total the caller sees. None: not asked."""


@dataclass(frozen=True)
class Case:
    name: str
    query: str
    variables: Callable[[World], dict[str, Any]]
    expect: dict[str, Expect]


def _fresh_signed_contract(w: World) -> dict[str, Any]:
    contract_id, _ = signed(w.api, w.other_agency.id, w.scratch, china_today())
    return {"id": contract_id}


def _fresh_application(w: World) -> dict[str, Any]:
    return {"input": {"agencyId": register_agency(w.api).id, "status": "REFUSED", "reason": "材料不全"}}


F = "FORBIDDEN"
NF = "NOT_FOUND"  # an id outside the caller's scope answers like an unknown one (issue 7)
CASES = [
    Case(
        "own-agency-with-history",
        "query($id: ID!) { agency(id: $id) { id statusHistory { toStatus reason } creditListings { source } } }",
        lambda w: {"id": DEMO_AGENCY},
        # The enterprise reads the name of the agency serving it, not its status history or credit record.
        per_user("ok", "ok", "ok", "ok", "ok", F),
    ),
    Case(
        "other-agency-with-history",
        "query($id: ID!) { agency(id: $id) { id statusHistory { toStatus reason } creditListings { source } } }",
        lambda w: {"id": w.other_agency.id},
        per_user("ok", "ok", NF, NF, "ok", F),
    ),
    Case(
        "agencies-searched-for-the-other-one",
        "query($q: String) { agencies(filter: {search: $q}) { totalCount } }",
        lambda w: {"q": w.other_agency.credit_code},
        per_user(1, 1, 0, 0, 1, F),
    ),
    Case(
        "other-agencys-staff-file",
        "query($id: ID!) { staffMember(id: $id) { id username } }",
        lambda w: {"id": w.other_agency.staff[0]["id"]},
        per_user("ok", "ok", NF, NF, "ok", F),
    ),
    Case(
        "own-staff-file",
        "query($id: ID!) { staffMember(id: $id) { id username } }",
        lambda w: {"id": w.demo_staff},
        per_user("ok", "ok", "ok", "ok", "ok", F),
    ),
    Case(
        "other-agencys-staff-list",
        "query($a: ID!) { staff(filter: {agencyId: $a}) { totalCount } }",
        lambda w: {"a": w.other_agency.id},
        per_user(5, 5, 0, 0, 5, F),
    ),
    Case(
        "town-contract-of-own-agency",
        "query($id: ID!) { serviceContract(id: $id) { id filing { id } } }",
        lambda w: {"id": w.town_contract},
        per_user("ok", "ok", "ok", "ok", F, F),
    ),
    Case(
        "contract-elsewhere-of-other-agency",
        "query($id: ID!) { serviceContract(id: $id) { id filing { id } } }",
        lambda w: {"id": w.other_contract},
        per_user("ok", NF, NF, NF, F, F),
    ),
    Case(
        "contracts-elsewhere",
        "query($j: ID!) { serviceContracts(filter: {jurisdictionId: $j}) { totalCount } }",
        lambda w: {"j": w.jurisdiction},
        per_user(1, 0, 0, 0, F, F),
    ),
    Case(
        "filings-elsewhere",
        "query($j: ID!) { filings(filter: {jurisdictionId: $j}) { totalCount } }",
        lambda w: {"j": w.jurisdiction},
        per_user(1, 0, 0, F, F, F),
    ),
    Case(
        "filing-counts-of-the-town",
        "query($j: ID!) { filingCounts(filter: {jurisdictionId: $j}) { total } }",
        lambda w: {"j": DEMO_J},
        per_user("ok", "ok", "ok", F, F, F),
    ),
    Case(
        "jurisdictions-directory",
        "{ jurisdictions(first: 3) { totalCount edges { node { name } } } }",
        lambda w: {},
        per_user("ok", "ok", "ok", "ok", "ok", "ok"),
    ),
    Case(
        "permit-check-of-other-agencys-staff",
        "query($id: ID!) { hasValidWorkPermit(staffId: $id) { valid } }",
        lambda w: {"id": w.other_agency.staff[0]["id"]},
        per_user("ok", "ok", NF, NF, F, F),
    ),
    Case(
        "education-record-for-own-staff",
        'mutation($id: ID!) { addStaffRecord(input: {staffId: $id, kind: EDUCATION, on: "2026-03-01", topic: "排污许可培训", hours: "8"}) { id } }',
        lambda w: {"id": w.demo_staff},
        per_user("ok", F, "ok", F, F, F),
    ),
    Case(
        "education-record-for-other-agencys-staff",
        'mutation($id: ID!) { addStaffRecord(input: {staffId: $id, kind: EDUCATION, on: "2026-03-01", topic: "排污许可培训", hours: "8"}) { id } }',
        lambda w: {"id": w.other_agency.staff[0]["id"]},
        per_user("ok", F, NF, F, F, F),
    ),
    Case(
        "refuse-an-application",
        CHANGE_STATUS,
        _fresh_application,
        per_user("ok", F, F, F, F, F),
    ),
    Case(
        "draft-a-contract-elsewhere",
        "mutation($input: CreateContractInput!) { createServiceContract(input: $input) { id } }",
        lambda w: {"input": contract_input(w.other_agency.id, w.scratch)},
        per_user("ok", F, F, F, F, F),
    ),
    Case(
        "file-a-contract-elsewhere",
        "mutation($id: ID!) { fileServiceContract(id: $id) { id } }",
        _fresh_signed_contract,
        per_user("ok", NF, F, F, F, F),
    ),
    Case(
        # Authorised, but there is nothing to remove: proves the role check without changing the calendar.
        "edit-the-calendar",
        'mutation { removeCalendarEntry(day: "2005-03-15") { year } }',
        lambda w: {},
        per_user("NOT_FOUND", F, F, F, F, F),
    ),
]


@pytest.mark.parametrize("endpoint", ["gateway", "subgraph"])
@pytest.mark.parametrize("user", ALL_USERS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_who_may_do_what(world: World, case: Case, user: str, endpoint: str) -> None:
    expected = case.expect[user]
    api = world.api
    url = api.gateway if endpoint == "gateway" else api.subgraph
    body = api.call(user, case.query, case.variables(world), url=url)
    if expected == "ok":
        assert "errors" not in body, body
    elif isinstance(expected, int):
        assert "errors" not in body, body
        (result,) = body["data"].values()
        assert result.get("totalCount", result.get("total")) == expected, body
    else:
        assert error_codes(body) == [expected], body


ENTITY_CASES = [
    # typename, id of, fields, who may resolve it, the roles refused outright (FORBIDDEN; the rest of
    # the refused get NOT_FOUND, as for an unknown id)
    ("Agency", lambda w: w.other_agency.id, "id name", {BUREAU, TOWN, PROCUREMENT, ENTERPRISE}, set()),
    # The demo agency serves the demo enterprise (the demo town's signed contract): it may read the name.
    (
        "Agency",
        lambda w: DEMO_AGENCY,
        "id name",
        {BUREAU, TOWN, PROCUREMENT, ADMIN, STAFF, ENTERPRISE},
        set(),
    ),
    (
        "Staff",
        lambda w: w.other_agency.staff[0]["id"],
        "id username",
        {BUREAU, TOWN, PROCUREMENT},
        {ENTERPRISE},
    ),
    (
        "ServiceContract",
        lambda w: w.town_contract,
        "id",
        {BUREAU, TOWN, ADMIN, STAFF},
        {PROCUREMENT, ENTERPRISE},
    ),
    ("ServiceContract", lambda w: w.other_contract, "id", {BUREAU}, {PROCUREMENT, ENTERPRISE}),
    ("Jurisdiction", lambda w: w.jurisdiction, "id name", set(ALL_USERS), set()),
]


@pytest.mark.parametrize("user", ALL_USERS)
@pytest.mark.parametrize(
    ("typename", "id_of", "fields", "allowed", "refused_by_role"),
    ENTITY_CASES,
    ids=["other-agency", "own-agency", "other-staff", "town-contract", "contract-elsewhere", "jurisdiction"],
)
def test_entity_resolution_on_the_subgraph_is_no_back_door(
    world: World,
    user: str,
    typename: str,
    id_of: Callable[[World], str],
    fields: str,
    allowed: set[str],
    refused_by_role: set[str],
) -> None:
    """The gateway's ``_entities`` path applies the same rule as the root fields (issue 7: procurement
    officers no longer read contracts by reference)."""
    query = (
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on %s { %s } } }"  # noqa: UP031
        % (typename, fields)
    )
    body = world.api.call(
        user, query, {"r": [{"__typename": typename, "id": id_of(world)}]}, url=world.api.subgraph
    )
    if user in allowed:
        assert "errors" not in body, body
        assert body["data"]["_entities"][0]["id"] == id_of(world)
    else:
        assert error_codes(body) == ["FORBIDDEN" if user in refused_by_role else "NOT_FOUND"], body
