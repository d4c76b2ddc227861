"""Registry trust (issue 7): contract scope inside the managing jurisdiction, one read rule per entity
for by-id queries and ``_entities``, "not yours" answered like "not there", no 500 on extreme
arguments, no calendar year confirmed without holidays by accident, no signing in the future.

Against the whole stack (PostgreSQL ``e2e_registry``, JetStream, Keycloak, the gateway), with data of
its own: towns, enterprises and agencies made here. A year confirmed here lies far ahead (2097/2098),
so the calendar the other registry tests rely on is untouched.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ecosteward.clock import china_today
from ecosteward.config import REPO_ROOT
from ecosteward.demo import DEMO_AGENCY_ID, DEMO_ENTERPRISE_ID, DEMO_JURISDICTION_ID
from tests.e2e.helpers import (
    Api,
    Keycloak,
    archive_town,
    credit_code,
    db,
    db_value,
    iso,
    outbox_count,
    unique,
    violations,
    wait_for_events,
    wait_for_value,
)
from tests.e2e.registry.documents import (
    ADD_STAFF_ID,
    CALENDAR_YEAR_OVERRIDE,
    CONFIRM_WITH_REASON,
    CREATE_CONTRACT_ID,
    JURISDICTIONS_OF_KIND,
    REGISTER_AGENCY_ID,
    REGISTER_ENTERPRISE,
    SET_TEST_HOLIDAY,
    SIGN_STATUS,
)
from tests.e2e.registry.support import contract_input as registry_contract_input
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
from tests.support import Infra, error_codes, wait_for


def contract_input(jurisdiction_id: str, **changes: Any) -> dict[str, Any]:
    """A small remote contract of the demo agency with nothing in its scope unless ``changes`` adds it."""
    return registry_contract_input(
        DEMO_AGENCY,
        jurisdiction_id,
        **{
            "title": f"信任测试{uuid.uuid4().hex[:8]}",
            "price": "50000.00",
            "serviceMode": "REMOTE",
            "contractedTasks": 4,
            "scopeJurisdictionIds": [],
            "scopeEnterpriseIds": [],
            "catalogueCodes": [],
            **changes,
        },
    )


def contracts_titled(stack: Infra, title: str) -> int:
    return int(db_value(stack, "SELECT count(*) FROM service_contracts WHERE title = $1", title))


@dataclass
class World:
    api: Api
    other_town: str
    district: str
    stranger: str
    """An enterprise of ``other_town``, known to the registry."""
    other_agency: str
    """An agency (applied, not admitted) that is none of the demo users'."""
    other_staff: str
    demo_staff: str
    town_draft: str
    """A draft of the demo town with the demo agency."""
    elsewhere_draft: str
    """A draft of ``other_town`` with the demo agency (the bureau's)."""


@pytest.fixture(scope="module")
def api(stack: Infra) -> Api:
    return Api(stack)


@pytest.fixture(scope="module")
def world(stack: Infra, api: Api) -> Iterator[World]:
    other_town = archive_town(api, "外镇")
    code = credit_code()
    stranger = api.ok(
        BUREAU,
        REGISTER_ENTERPRISE,
        {
            "input": {
                "creditCode": code,
                "name": f"外镇企业{uuid.uuid4().hex[:6]}",
                "jurisdictionId": other_town,
                "permitCategory": "SIMPLIFIED",
                "address": "外镇路 1 号",
                "industryCode": "C2614",
            }
        },
    )["registerEnterprise"]["id"]
    wait_for_value(
        stack,
        "SELECT count(*) FROM known_enterprises WHERE id = $1",
        uuid.UUID(stranger),
        timeout=30,
        what="the archive's enterprise copied into the registry",
    )
    district = api.ok(BUREAU, JURISDICTIONS_OF_KIND, {"kind": "DISTRICT"})["jurisdictions"]["edges"][0][
        "node"
    ]["id"]
    other_agency = api.ok(
        BUREAU,
        REGISTER_AGENCY_ID,
        {
            "input": {
                "name": f"别家机构{uuid.uuid4().hex[:6]}",
                "creditCode": credit_code(),
                "adminUsername": unique("adm"),
                "adminEmail": f"{unique('a')}@example.org",
            }
        },
    )["registerAgency"]["id"]
    other_staff = api.ok(
        BUREAU,
        ADD_STAFF_ID,
        {
            "input": {
                "agencyId": other_agency,
                "name": "钱多多",
                "username": unique("stf"),
                "email": f"{unique('s')}@example.org",
                "title": "SENIOR",
                "professional": True,
                "joinedOn": "2024-01-01",
            }
        },
    )["addStaff"]["id"]
    demo_staff = api.ok(
        BUREAU,
        "query($a: ID!) { staff(filter: {agencyId: $a}, first: 1) { edges { node { id } } } }",
        {"a": DEMO_AGENCY},
    )["staff"]["edges"][0]["node"]["id"]
    town_draft = api.ok(
        TOWN, CREATE_CONTRACT_ID, {"input": contract_input(DEMO_J, scopeJurisdictionIds=[DEMO_J])}
    )["createServiceContract"]["id"]
    elsewhere_draft = api.ok(
        BUREAU, CREATE_CONTRACT_ID, {"input": contract_input(other_town, scopeJurisdictionIds=[other_town])}
    )["createServiceContract"]["id"]
    yield World(
        api,
        other_town,
        district,
        stranger,
        other_agency,
        other_staff,
        demo_staff,
        town_draft,
        elsewhere_draft,
    )
    keycloak = Keycloak(stack)
    for found in keycloak.users(code.lower()):
        keycloak.delete(found["id"])


# ------------------------------------------------------------------------------------------ 1 contract scope


def test_a_town_cannot_put_another_towns_enterprise_or_town_in_its_contract(
    stack: Infra, world: World
) -> None:
    api = world.api
    unknown = str(uuid.uuid4())
    cases = [
        ({"scopeEnterpriseIds": [world.stranger]}, "scopeEnterpriseIds", world.stranger),
        ({"scopeJurisdictionIds": [DEMO_J, world.other_town]}, "scopeJurisdictionIds", world.other_town),
        # An id the registry never heard of is refused like one of another town: ids cannot be probed.
        ({"scopeEnterpriseIds": [unknown]}, "scopeEnterpriseIds", unknown),
    ]
    for changes, field, offending in cases:
        data = contract_input(DEMO_J, **changes)
        body = api.call(TOWN, CREATE_CONTRACT_ID, {"input": data})
        assert error_codes(body) == ["VALIDATION_FAILED"], body
        (violation,) = body["errors"][0]["extensions"]["violations"]
        assert (violation["field"], violation["id"]) == (field, offending), body
        assert contracts_titled(stack, data["title"]) == 0
    # Stranger and unknown id: the same answer but for the id itself.
    stranger = api.call(
        TOWN, CREATE_CONTRACT_ID, {"input": contract_input(DEMO_J, scopeEnterpriseIds=[world.stranger])}
    )
    nobody = api.call(
        TOWN, CREATE_CONTRACT_ID, {"input": contract_input(DEMO_J, scopeEnterpriseIds=[unknown])}
    )
    assert json.dumps(stranger["errors"]).replace(world.stranger, "X") == json.dumps(
        nobody["errors"]
    ).replace(unknown, "X")
    assert outbox_count(stack, "registry.contract.drafted", world.stranger) == 0

    # Its own enterprise is fine; so is the bureau's contract for the whole district naming the stranger.
    own = api.ok(
        TOWN,
        CREATE_CONTRACT_ID,
        {"input": contract_input(DEMO_J, scopeEnterpriseIds=[str(DEMO_ENTERPRISE_ID)])},
    )
    assert own["createServiceContract"]["status"] == "DRAFT"
    district = api.ok(
        BUREAU,
        CREATE_CONTRACT_ID,
        {
            "input": contract_input(
                world.district, scopeEnterpriseIds=[world.stranger], scopeJurisdictionIds=[DEMO_J]
            )
        },
    )
    assert district["createServiceContract"]["status"] == "DRAFT"
    # The bureau drafting in a town's name is held to that town's jurisdiction.
    body = api.call(
        BUREAU, CREATE_CONTRACT_ID, {"input": contract_input(DEMO_J, scopeEnterpriseIds=[world.stranger])}
    )
    assert error_codes(body) == ["VALIDATION_FAILED"] and violations(body) == ["scopeEnterpriseIds"], body


LEGACY_CONTRACT = """
INSERT INTO service_contracts (id, title, agency_id, jurisdiction_id, price, starts_on, ends_on, service_mode,
  contracted_tasks, scope_jurisdiction_ids, scope_enterprise_ids, catalogue_codes, attachments, status,
  closed_reason, created_at, updated_at)
VALUES ($1, $2, $3, $4, 1000, $5, $6, 'REMOTE', 1, $7::json, $8::json, '[]'::json, '[]'::json, 'DRAFT', '', now(), now())
"""


def run_check(stack: Infra) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ECOSTEWARD_REGISTRY_DATABASE_URL": stack.pg_url("e2e_registry"),
    }
    return subprocess.run(
        [sys.executable, "-m", "services.registry.checks", "contract-scopes"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=60,
        check=False,
    )


def test_a_stored_contract_outside_its_jurisdiction_is_reported_and_cannot_be_signed(
    stack: Infra, world: World
) -> None:
    api = world.api
    clean = run_check(stack)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Every contract's scope lies inside" in clean.stdout

    # A draft written before the rule (straight into the table): another town and its enterprise in scope.
    legacy = uuid.uuid4()
    today = china_today()
    db(
        stack,
        LEGACY_CONTRACT,
        legacy,
        f"旧合同{legacy.hex[:6]}",
        DEMO_AGENCY_ID,
        DEMO_JURISDICTION_ID,
        dt.date(today.year, 1, 1),
        dt.date(today.year, 12, 31),
        json.dumps([DEMO_J, world.other_town]),
        json.dumps([world.stranger]),
    )
    try:
        found = run_check(stack)
        assert found.returncode == 1, found.stdout + found.stderr
        assert str(legacy) in found.stdout
        assert f"scope jurisdiction {world.other_town}" in found.stdout
        assert f"scope enterprise {world.stranger}" in found.stdout
        assert f"scope jurisdiction {DEMO_J}" not in found.stdout  # its own town is no offence

        # Signing checks the scope again: refused, naming both ids, and nothing changes.
        body = api.call(TOWN, SIGN_STATUS, {"id": str(legacy), "on": iso(today)})
        assert error_codes(body) == ["VALIDATION_FAILED"], body
        ids = {v["id"] for v in body["errors"][0]["extensions"]["violations"]}
        assert ids == {world.other_town, world.stranger}
        assert db_value(stack, "SELECT status FROM service_contracts WHERE id = $1", legacy) == "DRAFT"
        assert db_value(stack, "SELECT count(*) FROM filings WHERE contract_id = $1", legacy) == 0
        assert outbox_count(stack, "registry.contract.signed", str(legacy)) == 0
    finally:
        db(stack, "UPDATE service_contracts SET deleted_at = now() WHERE id = $1", legacy)
    again = run_check(stack)
    assert again.returncode == 0 and str(legacy) not in again.stdout, again.stdout + again.stderr


def test_signing_in_the_future_is_refused(stack: Infra, world: World) -> None:
    tomorrow = china_today() + dt.timedelta(days=1)
    body = world.api.call(TOWN, SIGN_STATUS, {"id": world.town_draft, "on": iso(tomorrow)})
    assert error_codes(body) == ["VALIDATION_FAILED"] and violations(body) == ["signedOn"], body
    contract = uuid.UUID(world.town_draft)
    assert db_value(stack, "SELECT status FROM service_contracts WHERE id = $1", contract) == "DRAFT"
    assert db_value(stack, "SELECT count(*) FROM filings WHERE contract_id = $1", contract) == 0


# ------------------------------------------------------------------------------------------ 2 one read rule


OK, NF, F = "ok", "NOT_FOUND", "FORBIDDEN"


@dataclass(frozen=True)
class Entity:
    name: str
    typename: str
    by_id: str
    """The root query reading one by id (``$id``)."""
    fields: str
    id_of: Callable[[World], str]
    expect: dict[str, str]


ENTITIES = [
    Entity(
        "jurisdiction",
        "Jurisdiction",
        "jurisdiction",
        "id name",
        lambda w: w.other_town,
        per_user(OK, OK, OK, OK, OK, OK),
    ),
    Entity(
        "unknown-jurisdiction",
        "Jurisdiction",
        "jurisdiction",
        "id",
        lambda w: str(uuid.uuid4()),
        per_user(NF, NF, NF, NF, NF, NF),
    ),
    # The demo agency serves the demo enterprise (the demo town's signed contract): it may read the name.
    Entity(
        "own-agency",
        "Agency",
        "agency",
        "id name status",
        lambda w: DEMO_AGENCY,
        per_user(OK, OK, OK, OK, OK, OK),
    ),
    Entity(
        "other-agency",
        "Agency",
        "agency",
        "id name",
        lambda w: w.other_agency,
        per_user(OK, OK, NF, NF, OK, NF),
    ),
    Entity(
        "unknown-agency",
        "Agency",
        "agency",
        "id name",
        lambda w: str(uuid.uuid4()),
        per_user(NF, NF, NF, NF, NF, NF),
    ),
    Entity(
        "own-staff",
        "Staff",
        "staffMember",
        "id username",
        lambda w: w.demo_staff,
        per_user(OK, OK, OK, OK, OK, F),
    ),
    Entity(
        "other-staff",
        "Staff",
        "staffMember",
        "id username",
        lambda w: w.other_staff,
        per_user(OK, OK, NF, NF, OK, F),
    ),
    Entity(
        "unknown-staff",
        "Staff",
        "staffMember",
        "id",
        lambda w: str(uuid.uuid4()),
        per_user(NF, NF, NF, NF, NF, F),
    ),
    # A draft never appraised: procurement reads contracts no more through _entities than by id.
    Entity(
        "town-draft",
        "ServiceContract",
        "serviceContract",
        "id status",
        lambda w: w.town_draft,
        per_user(OK, OK, OK, OK, F, F),
    ),
    Entity(
        "elsewhere-draft",
        "ServiceContract",
        "serviceContract",
        "id",
        lambda w: w.elsewhere_draft,
        per_user(OK, NF, OK, OK, F, F),
    ),
    Entity(
        "unknown-contract",
        "ServiceContract",
        "serviceContract",
        "id",
        lambda w: str(uuid.uuid4()),
        per_user(NF, NF, NF, NF, F, F),
    ),
]


def _outcome(body: dict[str, Any]) -> str:
    codes = error_codes(body)
    if not codes:
        return OK
    assert len(set(codes)) == 1, body
    return str(codes[0])


@pytest.mark.parametrize("user", ALL_USERS)
@pytest.mark.parametrize("entity", ENTITIES, ids=[e.name for e in ENTITIES])
def test_entities_and_by_id_queries_apply_one_rule(world: World, entity: Entity, user: str) -> None:
    """``_entities`` straight at the registry subgraph answers exactly what the by-id query answers."""
    api = world.api
    entity_id = entity.id_of(world)
    representation = {"__typename": entity.typename, "id": entity_id}
    by_reference = api.call(
        user,
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on %s { %s } } }"  # noqa: UP031
        % (entity.typename, entity.fields),
        {"r": [representation]},
        url=api.subgraph,
    )
    by_id = api.call(
        user,
        "query($id: ID!) { " + entity.by_id + "(id: $id) { " + entity.fields + " } }",
        {"id": entity_id},
        url=api.subgraph,
    )
    expected = entity.expect[user]
    assert (_outcome(by_reference), _outcome(by_id)) == (expected, expected), (by_reference, by_id)
    if expected == OK:
        assert by_reference["data"]["_entities"][0]["id"] == entity_id
        assert by_id["data"][entity.by_id]["id"] == entity_id
    else:
        assert entity_id not in json.dumps(by_reference.get("data")), by_reference


def test_procurement_reads_appraisals_but_not_the_contracts_behind_them_through_the_gateway(
    world: World,
) -> None:
    api = world.api
    query = "{ appraisals(first: 5) { totalCount edges { node { id contract { id title price } } } } }"
    seen = wait_for(
        lambda: api.ok(BUREAU, query)["appraisals"]["edges"] or None, timeout=60, what="demo appraisals"
    )
    assert all(e["node"]["contract"]["id"] for e in seen)
    body = api.call(PROCUREMENT, query)
    assert "FORBIDDEN" in error_codes(body), body
    contract_ids = {e["node"]["contract"]["id"] for e in seen}
    assert not any(cid in json.dumps(body.get("data")) for cid in contract_ids), body


def test_an_enterprise_sees_the_name_of_the_agency_that_serves_it_and_nothing_more(world: World) -> None:
    api = world.api
    name = api.ok(BUREAU, "query($id: ID!) { agency(id: $id) { name } }", {"id": DEMO_AGENCY})["agency"][
        "name"
    ]
    visits = wait_for(
        lambda: (
            api.ok(ENTERPRISE, "{ inspections(first: 5) { edges { node { id agency { name } } } } }")[
                "inspections"
            ]["edges"]
            or None
        ),
        timeout=60,
        what="the demo inspection",
    )
    assert {e["node"]["agency"]["name"] for e in visits} == {name}
    # The directory fields only: the admin's username and the credit record stay restricted.
    for field in (
        "adminUsername",
        "statusHistory { reason }",
        "creditListings { source }",
        "admissionCheck { code }",
    ):
        body = api.call(
            ENTERPRISE, "query($id: ID!) { agency(id: $id) { name " + field + " } }", {"id": DEMO_AGENCY}
        )
        assert error_codes(body) == ["FORBIDDEN"], (field, body)
    # An agency with no contract covering it: as unknown as an id that does not exist.
    assert api.codes(
        ENTERPRISE, "query($id: ID!) { agency(id: $id) { name } }", {"id": world.other_agency}
    ) == [NF]


# ------------------------------------------------------------------------------------------ 5 not yours = not there


def _same_answer(a: dict[str, Any], a_id: str, b: dict[str, Any], b_id: str) -> None:
    assert error_codes(a) == error_codes(b) == [NF], (a, b)
    assert json.dumps(a["errors"]).replace(a_id, "X") == json.dumps(b["errors"]).replace(b_id, "X")


def test_ids_outside_the_callers_scope_answer_like_unknown_ids(stack: Infra, world: World) -> None:
    api = world.api
    unknown = str(uuid.uuid4())
    today = iso(china_today())
    probes = [  # (caller, operation on `$id`, an id outside the caller's scope)
        (ADMIN, "query($id: ID!) { agency(id: $id) { id } }", world.other_agency),
        (ADMIN, "query($id: ID!) { staffMember(id: $id) { id } }", world.other_staff),
        (STAFF, "query($id: ID!) { hasValidWorkPermit(staffId: $id) { valid } }", world.other_staff),
        (TOWN, "query($id: ID!) { serviceContract(id: $id) { id } }", world.elsewhere_draft),
        (
            ADMIN,
            'mutation($id: ID!) { updateAgency(id: $id, input: {contactName: "x"}) { id } }',
            world.other_agency,
        ),
        (
            ADMIN,
            'mutation($id: ID!) { updateStaff(id: $id, input: {specialty: "x"}) { id } }',
            world.other_staff,
        ),
        (
            ADMIN,
            'mutation($id: ID!) { addStaffRecord(input: {staffId: $id, kind: EDUCATION, on: "2026-03-01", topic: "t", hours: "8"}) { id } }',
            world.other_staff,
        ),
        (TOWN, SIGN_STATUS, world.elsewhere_draft),
        (TOWN, "mutation($id: ID!) { fileServiceContract(id: $id) { id } }", world.elsewhere_draft),
        (
            TOWN,
            'mutation($id: ID!) { terminateServiceContract(id: $id, reason: "x") { id } }',
            world.elsewhere_draft,
        ),
    ]
    for user, query, theirs in probes:
        extra = {"on": today} if query == SIGN_STATUS else {}
        for url in (api.gateway, api.subgraph):
            _same_answer(
                api.call(user, query, {"id": theirs, **extra}, url=url),
                theirs,
                api.call(user, query, {"id": unknown, **extra}, url=url),
                unknown,
            )
    # ... and the refused writes wrote nothing.
    assert (
        db_value(
            stack, "SELECT status FROM service_contracts WHERE id = $1", uuid.UUID(world.elsewhere_draft)
        )
        == "DRAFT"
    )
    assert db_value(stack, "SELECT specialty FROM staff WHERE id = $1", uuid.UUID(world.other_staff)) == ""
    assert (
        db_value(
            stack, "SELECT count(*) FROM staff_records WHERE staff_id = $1", uuid.UUID(world.other_staff)
        )
        == 0
    )


def test_an_admin_cannot_add_staff_to_another_agency(stack: Infra, world: World) -> None:
    api = world.api
    username = unique("stf")

    def add(agency: str) -> dict[str, Any]:
        return api.call(
            ADMIN,
            ADD_STAFF_ID,
            {
                "input": {
                    "agencyId": agency,
                    "name": "孙某",
                    "username": username,
                    "email": f"{username}@example.org",
                    "title": "JUNIOR",
                    "professional": False,
                    "joinedOn": "2024-01-01",
                }
            },
        )

    unknown = str(uuid.uuid4())
    _same_answer(add(world.other_agency), world.other_agency, add(unknown), unknown)
    assert db_value(stack, "SELECT count(*) FROM staff WHERE username = $1", username) == 0


# ------------------------------------------------------------------------------------------ 4 extreme arguments


@pytest.mark.parametrize(
    ("query", "variables", "argument"),
    [
        (
            "query($s: Date!, $n: Int!) { addWorkingDays(start: $s, days: $n) { dueOn } }",
            {"s": "9999-12-20", "n": 10},
            "start",
        ),
        (
            "query($s: Date!, $n: Int!) { addWorkingDays(start: $s, days: $n) { dueOn } }",
            {"s": "2026-01-05", "n": 2147483647},
            "days",
        ),
        (
            "query($s: Date!, $n: Int!) { addWorkingDays(start: $s, days: $n) { dueOn } }",
            {"s": "2026-01-05", "n": -2147483648},
            "days",
        ),
        ("query($y: Int!) { calendarYear(year: $y) { year } }", {"y": -1}, "year"),
        ("query($y: Int!) { calendarYear(year: $y) { year } }", {"y": 0}, "year"),
        ("query($y: Int!) { calendarYear(year: $y) { year } }", {"y": 2147483647}, "year"),
        ("mutation($y: Int!) { confirmCalendarYear(year: $y) { year } }", {"y": -1}, "year"),
        (
            "query($n: Int!) { filings(filter: {dueWithinWorkingDays: $n}) { totalCount } }",
            {"n": 2147483647},
            "dueWithinWorkingDays",
        ),
        (
            "query($n: Int!) { filingCounts(filter: {dueWithinWorkingDays: $n}) { total } }",
            {"n": -1},
            "dueWithinWorkingDays",
        ),
    ],
)
def test_extreme_arguments_are_bad_user_input_naming_the_argument(
    world: World, query: str, variables: dict[str, Any], argument: str
) -> None:
    api = world.api
    for url in (api.gateway, api.subgraph):
        body = api.call(BUREAU, query, variables, url=url)
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert argument in json.dumps(body["errors"][0]), body


# ------------------------------------------------------------------------------------------ 3 calendar confirmation


def test_a_year_without_holidays_is_confirmed_only_with_a_reason(stack: Infra, world: World) -> None:
    api = world.api
    url = api.subgraph  # independent of the committed supergraph
    year = 2098
    assert (
        api.ok(BUREAU, CALENDAR_YEAR_OVERRIDE, {"y": year}, url=url)["calendarYear"]["confirmed"] is False
    ), "precondition"
    assert (
        db_value(
            stack,
            "SELECT count(*) FROM calendar_days WHERE day BETWEEN $1 AND $2",
            dt.date(year, 1, 1),
            dt.date(year, 12, 31),
        )
        == 0
    )

    body = api.call(BUREAU, CONFIRM_WITH_REASON, {"y": year}, url=url)
    assert error_codes(body) == ["NO_HOLIDAYS"], body
    body = api.call(BUREAU, CONFIRM_WITH_REASON, {"y": year, "reason": "   "}, url=url)
    assert error_codes(body) == ["VALIDATION_FAILED"] and violations(body) == ["overrideReason"], body
    assert db_value(stack, "SELECT count(*) FROM calendar_years WHERE year = $1 AND confirmed", year) == 0
    assert db_value(stack, "SELECT count(*) FROM calendar_confirmations WHERE year = $1", year) == 0
    assert outbox_count(stack, "registry.calendar.year_confirmed", str(year)) == 0
    assert api.ok(BUREAU, CALENDAR_YEAR_OVERRIDE, {"y": year}, url=url)["calendarYear"]["confirmed"] is False

    reason = "国务院尚未公布该年度节假日安排，先行确认"
    confirmed = api.ok(BUREAU, CONFIRM_WITH_REASON, {"y": year, "reason": reason}, url=url)[
        "confirmCalendarYear"
    ]
    assert (confirmed["confirmed"], confirmed["overrideReason"]) == (True, reason)
    assert (
        api.ok(BUREAU, CALENDAR_YEAR_OVERRIDE, {"y": year}, url=url)["calendarYear"]["overrideReason"]
        == reason
    )
    row = db(
        stack,
        "SELECT holiday_entries, override_reason, confirmed_by FROM calendar_confirmations WHERE year = $1",
        year,
    )
    assert [tuple(r) for r in row] == [(0, reason, BUREAU)]
    (event,) = wait_for_events(stack, "calendar.year_confirmed", str(year))
    assert (event.data["override_reason"], event.data["holiday_entries"]) == (reason, 0)

    # A year with its holidays entered needs no override.
    other = 2097
    holiday = next(d for d in (dt.date(other, 10, k) for k in range(1, 8)) if d.weekday() < 5)
    api.ok(BUREAU, SET_TEST_HOLIDAY, {"day": iso(holiday)}, url=url)
    plain = api.ok(BUREAU, CONFIRM_WITH_REASON, {"y": other}, url=url)["confirmCalendarYear"]
    assert (plain["confirmed"], plain["overrideReason"]) == (True, None)
    assert db_value(stack, "SELECT holiday_entries FROM calendar_confirmations WHERE year = $1", other) == 1
