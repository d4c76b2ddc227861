"""Issue 7, items 3 and 11, for the inspection, appraisal and reporting subgraphs.

Every entity resolver (``_entities``, what the gateway calls) applies exactly the by-id query's rule,
straight at each subgraph with each demo user's token; and "not yours" answers like "not there"
(NOT_FOUND), so ids cannot be probed. A role that sees none of a kind is FORBIDDEN for every id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ecosteward.clock import china_today
from ecosteward.demo import DEMO_AGENCY_ID, DEMO_ENTERPRISE_ID, DEMO_USERS
from tests.e2e.appraisal.documents import APPRAISALS_OF_AGENCY, CREATE_APPRAISAL
from tests.e2e.helpers import (
    QUALIFYING_STAFF,
    Api,
    Keycloak,
    archive_town,
    credit_code,
    iso,
    staff_input,
    unique,
    wait_for_value,
)
from tests.e2e.inspection.documents import (
    ADD_STAFF,
    CHANGE_AGENCY_STATUS,
    CREATE_CONTRACT,
    RECORD_FINDING,
    RECORD_INSPECTION,
    REGISTER_AGENCY,
    REGISTER_ENTERPRISE,
)
from tests.e2e.reporting.documents import SUBMIT_REPORT
from tests.e2e.users import ADMIN, BUREAU, DEMO_J, ENTERPRISE, PROCUREMENT, STAFF, TOWN, per_user
from tests.support import Infra, error_codes, gql, wait_for

USERS = list(DEMO_USERS)
assert set(USERS) == {BUREAU, TOWN, ADMIN, STAFF, PROCUREMENT, ENTERPRISE}

DEMO_INSPECTION = str(uuid.uuid5(uuid.NAMESPACE_URL, "ecosteward:demo:inspection:1"))
DEMO_FINDING = str(uuid.uuid5(uuid.NAMESPACE_URL, "ecosteward:demo:finding:1"))
DEMO_REPORT = str(uuid.uuid5(uuid.NAMESPACE_URL, f"ecosteward:demo:report:{DEMO_J}:2026-Q1"))
OK, NF, F = "ok", "NOT_FOUND", "FORBIDDEN"


@dataclass
class World:
    """One record of each kind outside every demo user's scope (bar the bureau's and procurement's)."""

    town: str
    enterprise: str
    agency: str
    inspection: str
    finding: str
    appraisal: str
    demo_appraisal: str
    report: str


def _wait_known(stack: Infra, database: str, table: str, row_id: str) -> None:
    wait_for_value(
        stack,
        f"SELECT count(*) FROM {table} WHERE id = $1",
        uuid.UUID(row_id),
        database=database,
        timeout=60,
        what=f"{row_id} in {database}.{table}",
    )


def _admitted_agency(api: Api, usernames: list[str]) -> str:
    """Another admitted agency: five professionals, two senior, one quality manager."""
    admin = unique("adm")
    usernames.append(admin)
    agency = api.ok(
        BUREAU,
        REGISTER_AGENCY,
        {
            "input": {
                "name": f"外来环保科技有限公司{uuid.uuid4().hex[:6]}",
                "creditCode": credit_code(),
                "adminUsername": admin,
                "adminEmail": f"{admin}@test.ecosteward.local",
                "contactName": "周测试",
            }
        },
    )["registerAgency"]["id"]
    for title, manager in QUALIFYING_STAFF:
        username = unique("stf")
        usernames.append(username)
        api.ok(
            BUREAU,
            ADD_STAFF,
            {"input": staff_input(agency, username, title=title, qualityManager=manager)},
        )
    api.ok(
        BUREAU,
        CHANGE_AGENCY_STATUS,
        {"input": {"agencyId": agency, "status": "ADMITTED", "reason": "符合入库条件"}},
    )
    return str(agency)


@pytest.fixture(scope="module")
def api(stack: Infra) -> Api:
    return Api(stack)


@pytest.fixture(scope="module")
def world(stack: Infra, api: Api) -> Iterator[World]:
    usernames: list[str] = []
    today = china_today()
    try:
        town = archive_town(api, "外镇")
        _wait_known(stack, "e2e_reporting", "known_jurisdictions", town)
        code = credit_code()
        usernames.append(code.lower())
        enterprise = api.ok(
            BUREAU,
            REGISTER_ENTERPRISE,
            {
                "input": {
                    "creditCode": code,
                    "name": f"外镇企业{uuid.uuid4().hex[:6]}",
                    "jurisdictionId": town,
                    "permitCategory": "SIMPLIFIED",
                }
            },
        )["registerEnterprise"]["id"]
        _wait_known(stack, "e2e_inspection", "known_enterprises", enterprise)
        agency = _admitted_agency(api, usernames)
        contract = api.ok(
            BUREAU,
            CREATE_CONTRACT,
            {
                "input": {
                    "title": "外镇环保管家服务",
                    "agencyId": agency,
                    "jurisdictionId": town,
                    "price": "80000.00",
                    "startsOn": iso(today.replace(month=1, day=1)),
                    "endsOn": iso(today.replace(month=12, day=31)),
                    "serviceMode": "ON_SITE",
                    "contractedTasks": 10,
                    "scopeJurisdictionIds": [town],
                    "catalogueCodes": ["B1-8"],
                }
            },
        )["createServiceContract"]["id"]
        _wait_known(stack, "e2e_appraisal", "known_contracts", contract)
        appraisal = api.ok(
            BUREAU,
            CREATE_APPRAISAL,
            {"input": {"contractId": contract, "period": f"{today.year}-Q1", "totalScore": "80.0"}},
        )["createAppraisal"]["id"]
        inspection = api.ok(
            BUREAU,
            RECORD_INSPECTION,
            {
                "input": {
                    "enterpriseId": enterprise,
                    "visitedOn": iso(today),
                    "summary": "外镇巡查",
                    "agencyId": agency,
                }
            },
        )["recordInspection"]["id"]
        finding = api.ok(
            BUREAU,
            RECORD_FINDING,
            {
                "input": {
                    "inspectionId": inspection,
                    "category": "SELF_MONITORING",
                    "description": "未按期自行监测",
                    "handlingClass": "MAJOR",
                }
            },
        )["recordFinding"]["id"]
        report = api.ok(
            BUREAU,
            SUBMIT_REPORT,
            {
                "input": {
                    "jurisdictionId": town,
                    "kind": "QUARTERLY",
                    "year": 2026,
                    "quarter": 1,
                    "summary": "外镇一季度",
                }
            },
        )["submitReport"]["id"]
        demo_appraisal = wait_for(
            lambda: api.ok(
                BUREAU,
                APPRAISALS_OF_AGENCY,
                {"a": str(DEMO_AGENCY_ID)},
            )["appraisals"]["edges"],
            timeout=60,
            what="demo appraisal",
        )[0]["node"]["id"]
        yield World(town, enterprise, agency, inspection, finding, appraisal, demo_appraisal, report)
    finally:
        keycloak = Keycloak(stack)
        for name in usernames:
            for found in keycloak.users(name):
                keycloak.delete(found["id"])


@dataclass(frozen=True)
class Case:
    name: str
    service: str
    typename: str
    by_id: str | None  # the subgraph's by-id query field, if it has one
    pick: Callable[[World], str]
    expect: dict[str, str]


def _unknown(_: World) -> str:
    return str(uuid.UUID(int=uuid.uuid4().int))


CASES = [
    # inspection subgraph: inspections and findings (the bureau all; a town its own; an agency its own
    # agency's; an enterprise its own; procurement none).
    Case(
        "demo-inspection",
        "inspection",
        "Inspection",
        "inspection",
        lambda w: DEMO_INSPECTION,
        per_user(OK, OK, OK, OK, F, OK),
    ),
    Case(
        "foreign-inspection",
        "inspection",
        "Inspection",
        "inspection",
        lambda w: w.inspection,
        per_user(OK, NF, NF, NF, F, NF),
    ),
    Case(
        "unknown-inspection",
        "inspection",
        "Inspection",
        "inspection",
        _unknown,
        per_user(NF, NF, NF, NF, F, NF),
    ),
    Case(
        "demo-finding",
        "inspection",
        "Finding",
        "finding",
        lambda w: DEMO_FINDING,
        per_user(OK, OK, OK, OK, F, OK),
    ),
    Case(
        "foreign-finding",
        "inspection",
        "Finding",
        "finding",
        lambda w: w.finding,
        per_user(OK, NF, NF, NF, F, NF),
    ),
    Case("unknown-finding", "inspection", "Finding", "finding", _unknown, per_user(NF, NF, NF, NF, F, NF)),
    # The inspection subgraph's Enterprise: the archive's by-id rule (an agency: its contracts' sources).
    Case(
        "demo-enterprise",
        "inspection",
        "Enterprise",
        None,
        lambda w: str(DEMO_ENTERPRISE_ID),
        per_user(OK, OK, OK, OK, F, OK),
    ),
    Case(
        "foreign-enterprise",
        "inspection",
        "Enterprise",
        None,
        lambda w: w.enterprise,
        per_user(OK, NF, NF, NF, F, NF),
    ),
    Case("unknown-enterprise", "inspection", "Enterprise", None, _unknown, per_user(NF, NF, NF, NF, F, NF)),
    # appraisal subgraph: the bureau and procurement all; an agency admin its own; a town its own.
    Case(
        "demo-appraisal",
        "appraisal",
        "Appraisal",
        "appraisal",
        lambda w: w.demo_appraisal,
        per_user(OK, OK, OK, F, OK, F),
    ),
    Case(
        "foreign-appraisal",
        "appraisal",
        "Appraisal",
        "appraisal",
        lambda w: w.appraisal,
        per_user(OK, NF, NF, F, OK, F),
    ),
    Case(
        "unknown-appraisal", "appraisal", "Appraisal", "appraisal", _unknown, per_user(NF, NF, NF, F, NF, F)
    ),
    # reporting subgraph: the bureau all; a town its own.
    Case("demo-report", "reporting", "Report", "report", lambda w: DEMO_REPORT, per_user(OK, OK, F, F, F, F)),
    Case("foreign-report", "reporting", "Report", "report", lambda w: w.report, per_user(OK, NF, F, F, F, F)),
    Case("unknown-report", "reporting", "Report", "report", _unknown, per_user(NF, NF, F, F, F, F)),
]


def _outcome(body: dict[str, Any], field: str) -> tuple[str, str | None]:
    """('ok', None) or (code, message) of a one-entity answer."""
    codes = error_codes(body)
    if not codes:
        data = body["data"][field]
        node = data[0] if isinstance(data, list) else data
        assert node is not None and node["id"], body
        return OK, None
    assert len(codes) == 1, body
    return codes[0], body["errors"][0]["message"]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_entity_resolvers_apply_the_by_id_rule(stack: Infra, api: Api, world: World, case: Case) -> None:
    entity_id = case.pick(world)
    url = f"http://127.0.0.1:{stack.ports.service(case.service)}/graphql"
    entities = (
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on " + case.typename + " { id } } }"
    )
    got: dict[str, str] = {}
    for user in USERS:
        token = api.token(user)
        _, body = gql(url, entities, {"r": [{"__typename": case.typename, "id": entity_id}]}, token=token)
        via_entities = _outcome(body, "_entities")
        got[user] = via_entities[0]
        if case.by_id is not None:
            # One rule for both paths: the same answer, down to the message.
            query = "query($id: ID!) { " + case.by_id + "(id: $id) { id } }"
            _, body = gql(url, query, {"id": entity_id}, token=token)
            assert _outcome(body, case.by_id) == via_entities, (user, body)
        if via_entities[0] == NF:
            assert "(" in (via_entities[1] or "") and entity_id in (via_entities[1] or "")
    assert got == case.expect


@pytest.mark.parametrize(
    ("service", "typename", "by_id", "pick"),
    [
        ("inspection", "Inspection", "inspection", lambda w: w.inspection),
        ("inspection", "Finding", "finding", lambda w: w.finding),
        ("appraisal", "Appraisal", "appraisal", lambda w: w.appraisal),
        ("reporting", "Report", "report", lambda w: w.report),
    ],
)
def test_not_yours_reads_exactly_like_not_there(
    stack: Infra,
    api: Api,
    world: World,
    service: str,
    typename: str,
    by_id: str,
    pick: Callable[[World], str],
) -> None:
    """The town sees neither the other town's record nor an unknown id: same code, same message."""
    url = f"http://127.0.0.1:{stack.ports.service(service)}/graphql"
    query = "query($id: ID!) { " + by_id + "(id: $id) { id } }"
    foreign, unknown = pick(world), str(uuid.uuid4())
    answers = []
    for entity_id in (foreign, unknown):
        _, body = gql(url, query, {"id": entity_id}, token=api.token(TOWN))
        code, message = _outcome(body, by_id)
        answers.append((code, (message or "").replace(entity_id, "<id>")))
    assert answers[0] == answers[1] and answers[0][0] == NF
    # Through the gateway as well.
    gateway = api.call(TOWN, query, {"id": foreign})
    assert error_codes(gateway) == [NF]
