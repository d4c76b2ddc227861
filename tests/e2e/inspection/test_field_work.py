"""Issue 7, item 2: agency field work needs a contract covering the enterprise and a valid work permit.

Through the gateway as the demo users, on real PostgreSQL, NATS and Keycloak: the inspection service
learns contracts and permits from the registry's events, refuses what the rule refuses (nothing
written), and answers an unknown and an out-of-scope enterprise alike.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ecosteward.clock import china_today
from ecosteward.demo import DEMO_CONTRACT_ID, DEMO_PASSWORD
from tests.e2e.helpers import Api, Keycloak, credit_code, db_value, iso, staff_input, unique, wait_for_value
from tests.e2e.inspection.documents import (
    ADD_STAFF,
    CREATE_CONTRACT,
    ISSUE_PERMIT,
    JURISDICTIONS,
    RECORD_FINDING,
    RECORD_INSPECTION,
    REGISTER_ENTERPRISE,
    REVOKE_PERMIT,
    SIGN,
)
from tests.e2e.users import ADMIN, BUREAU, DEMO_AGENCY, DEMO_ENTERPRISE, DEMO_J, STAFF, TOWN
from tests.support import Infra, wait_for

INSPECTION_DB = "e2e_inspection"


def visit(enterprise: str, on: dt.date, summary: str = "例行巡查") -> dict[str, Any]:
    return {"input": {"enterpriseId": enterprise, "visitedOn": iso(on), "summary": summary}}


def finding(inspection: str) -> dict[str, Any]:
    return {
        "input": {
            "inspectionId": inspection,
            "category": "WASTE_GAS_FACILITIES",
            "description": "废气收集罩破损",
            "handlingClass": "IMMEDIATE_FIX",
        }
    }


def written(stack: Infra) -> tuple[int, int, int, int]:
    """Rows and outbox events of the inspection service: none may appear on a refusal."""

    def count(sql: str) -> int:
        return int(db_value(stack, sql, database=INSPECTION_DB))

    return (
        count("SELECT count(*) FROM inspections"),
        count("SELECT count(*) FROM findings"),
        count("SELECT count(*) FROM outbox_events WHERE event_type = 'inspection.inspection.recorded'"),
        count("SELECT count(*) FROM outbox_events WHERE event_type = 'inspection.finding.recorded'"),
    )


def error(body: dict[str, Any]) -> tuple[str, str]:
    (only,) = body["errors"]
    return only["extensions"]["code"], only["message"]


def known_here(stack: Infra, table: str, row_id: str, condition: str = "TRUE") -> bool:
    sql = f"SELECT count(*) FROM {table} WHERE id = $1 AND {condition}"
    return bool(db_value(stack, sql, uuid.UUID(row_id), database=INSPECTION_DB))


@pytest.fixture(scope="module")
def api(stack: Infra) -> Api:
    api = Api(stack)
    # The demo's contract, the demo worker's permit and the demo enterprise arrive as events.
    wait_for(lambda: known_here(stack, "contract_scopes", str(DEMO_CONTRACT_ID), "status = 'ACTIVE'"), 90)
    wait_for(lambda: known_here(stack, "known_enterprises", DEMO_ENTERPRISE), 90)
    wait_for_value(
        stack,
        "SELECT count(*) FROM work_permits WHERE staff_username = 'demo-agency-staff'",
        database=INSPECTION_DB,
        timeout=90,
        what="the demo worker's permit",
    )
    return api


@pytest.fixture(scope="module")
def cleanup(stack: Infra) -> Iterator[list[str]]:
    """Keycloak accounts the tests cause (enterprise and staff accounts), removed at the end."""
    names: list[str] = []
    yield names
    keycloak = Keycloak(stack)
    for name in names:
        for found in keycloak.users(name):
            keycloak.delete(found["id"])


@pytest.fixture(scope="module")
def foreign_enterprise(stack: Infra, api: Api, cleanup: list[str]) -> str:
    """An enterprise of another town of the district, known to the inspection service."""
    towns = [
        e["node"]["id"]
        for e in api.ok(BUREAU, JURISDICTIONS)["jurisdictions"]["edges"]
        if e["node"]["kind"] == "TOWN" and e["node"]["id"] != DEMO_J
    ]
    created = api.ok(
        BUREAU,
        REGISTER_ENTERPRISE,
        {
            "input": {
                "creditCode": credit_code(),
                "name": f"外镇企业{uuid.uuid4().hex[:6]}",
                "jurisdictionId": towns[0],
                "permitCategory": "SIMPLIFIED",
            }
        },
    )["registerEnterprise"]
    cleanup.append(created["creditCode"].lower())
    wait_for(lambda: known_here(stack, "known_enterprises", created["id"]), 30, what="enterprise announced")
    return str(created["id"])


@dataclass
class Worker:
    username: str
    staff_id: str


@pytest.fixture(scope="module")
def worker(stack: Infra, api: Api, cleanup: list[str]) -> Worker:
    """A new field worker of the demo agency, with a Keycloak account, and no permit yet."""
    username = unique("fw")
    cleanup.append(username)
    staff = api.ok(
        ADMIN,
        ADD_STAFF,
        {"input": staff_input(DEMO_AGENCY, username, name="巡查员")},
    )["addStaff"]
    # A password, so the test can sign in as that person.
    Keycloak(stack).give_password(username, DEMO_PASSWORD)
    return Worker(username=username, staff_id=staff["id"])


def issue_permit(stack: Infra, api: Api, worker: Worker, valid_from: dt.date, valid_to: dt.date) -> str:
    """A permit issued by the demo town, once the inspection service has learnt of it."""
    variables = {
        "input": {
            "staffId": worker.staff_id,
            "agencyId": DEMO_AGENCY,
            "validFrom": iso(valid_from),
            "validTo": iso(valid_to),
        }
    }
    permit_id = str(api.ok(TOWN, ISSUE_PERMIT, variables)["issueWorkPermit"]["id"])
    wait_for(lambda: known_here(stack, "work_permits", permit_id), 30, what="permit announced")
    return permit_id


def test_demo_staff_in_scope_with_a_permit_records_a_visit_and_a_finding(stack: Infra, api: Api) -> None:
    today = china_today()
    recorded = api.ok(STAFF, RECORD_INSPECTION, visit(DEMO_ENTERPRISE, today))["recordInspection"]
    assert recorded["enterprise"]["id"] == DEMO_ENTERPRISE and recorded["inspectorUsername"] == STAFF
    assert api.ok(STAFF, RECORD_FINDING, finding(recorded["id"]))["recordFinding"]["category"]
    # The bureau records for an agency without the agency's contract or permit rules.
    by_bureau = visit(DEMO_ENTERPRISE, today)
    by_bureau["input"]["agencyId"] = DEMO_AGENCY
    assert api.ok(BUREAU, RECORD_INSPECTION, by_bureau)["recordInspection"]["id"]
    # An agency admin does not do field work.
    assert api.codes(ADMIN, RECORD_INSPECTION, visit(DEMO_ENTERPRISE, today)) == ["FORBIDDEN"]


def test_another_towns_enterprise_and_an_unknown_id_answer_alike(
    stack: Infra, api: Api, foreign_enterprise: str
) -> None:
    today = china_today()
    before = written(stack)
    unknown = str(uuid.uuid4())
    outside = error(api.call(STAFF, RECORD_INSPECTION, visit(foreign_enterprise, today)))
    missing = error(api.call(STAFF, RECORD_INSPECTION, visit(unknown, today)))
    assert outside[0] == missing[0] == "NOT_FOUND"
    assert outside[1].replace(foreign_enterprise, "<id>") == missing[1].replace(unknown, "<id>")
    assert "(" in outside[1] and "企业" in outside[1]  # bilingual
    assert written(stack) == before
    # The bureau may record there (for a named agency); the town may not record at all.
    by_bureau = visit(foreign_enterprise, today)
    by_bureau["input"]["agencyId"] = DEMO_AGENCY
    inspection = api.ok(BUREAU, RECORD_INSPECTION, by_bureau)["recordInspection"]["id"]
    assert api.codes(TOWN, RECORD_INSPECTION, visit(DEMO_ENTERPRISE, today)) == ["FORBIDDEN"]
    # That visit belongs to the demo agency, but its enterprise is outside every contract of it:
    # agency staff may not add field findings to it.
    before = written(stack)
    assert api.codes(STAFF, RECORD_FINDING, finding(inspection)) == ["OUT_OF_CONTRACT_SCOPE"]
    assert written(stack) == before


def test_a_visit_outside_every_contract_term_is_out_of_contract_scope(stack: Infra, api: Api) -> None:
    before = written(stack)
    body = api.call(STAFF, RECORD_INSPECTION, visit(DEMO_ENTERPRISE, dt.date(2003, 6, 2)))
    code, message = error(body)
    assert code == "OUT_OF_CONTRACT_SCOPE" and "委托合同" in message and "contract" in message
    assert written(stack) == before


def test_permits_bite_outside_their_validity_and_soon_after_revocation(
    stack: Infra, api: Api, worker: Worker
) -> None:
    today = china_today()
    # A contract of the demo agency running ±60 days around today, so the days below are covered.
    contract = api.ok(
        TOWN,
        CREATE_CONTRACT,
        {
            "input": {
                "title": f"巡查服务{uuid.uuid4().hex[:6]}",
                "agencyId": DEMO_AGENCY,
                "jurisdictionId": DEMO_J,
                "price": "50000.00",
                "startsOn": iso(today - dt.timedelta(days=60)),
                "endsOn": iso(today + dt.timedelta(days=60)),
                "serviceMode": "ON_SITE",
                "contractedTasks": 10,
                "scopeJurisdictionIds": [DEMO_J],
                "catalogueCodes": ["B1-8"],
            }
        },
    )["createServiceContract"]["id"]
    api.ok(TOWN, SIGN, {"id": contract, "on": iso(today)})
    wait_for(lambda: known_here(stack, "contract_scopes", contract, "status = 'SIGNED'"), 30)

    # No permit at all yet.
    before = written(stack)
    code, message = error(api.call(worker.username, RECORD_INSPECTION, visit(DEMO_ENTERPRISE, today)))
    assert code == "PERMIT_INVALID" and "工作证" in message and "permit" in message
    assert written(stack) == before

    permit = issue_permit(stack, api, worker, today - dt.timedelta(days=5), today + dt.timedelta(days=30))
    ok = api.ok(worker.username, RECORD_INSPECTION, visit(DEMO_ENTERPRISE, today))["recordInspection"]
    assert ok["inspectorUsername"] == worker.username
    # A day before the permit's validity: refused, nothing written.
    before = written(stack)
    early = today - dt.timedelta(days=10)
    assert api.codes(worker.username, RECORD_INSPECTION, visit(DEMO_ENTERPRISE, early)) == ["PERMIT_INVALID"]
    assert written(stack) == before

    # The issuing town revokes the permit: within a few seconds the worker's field work is refused.
    revoked_at = time.monotonic()
    assert (
        api.ok(TOWN, REVOKE_PERMIT, {"id": permit, "reason": "违规作业"})["revokeWorkPermit"]["state"]
        == "REVOKED"
    )
    wait_for(
        lambda: known_here(stack, "work_permits", permit, "revoked_on IS NOT NULL"),
        timeout=5,
        interval=0.2,
        what="revocation applied by the inspection service",
    )
    before = written(stack)
    assert api.codes(worker.username, RECORD_INSPECTION, visit(DEMO_ENTERPRISE, today)) == ["PERMIT_INVALID"]
    assert api.codes(worker.username, RECORD_FINDING, finding(ok["id"])) == ["PERMIT_INVALID"]
    assert time.monotonic() - revoked_at < 10
    assert written(stack) == before
    # Another person's permit is untouched.
    assert api.ok(STAFF, RECORD_INSPECTION, visit(DEMO_ENTERPRISE, today))["recordInspection"]["id"]
