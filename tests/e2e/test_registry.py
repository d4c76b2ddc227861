"""The registry service as its users meet it (issue #3): through the Hive gateway, with real side effects.

Admission, staff and noncompliance, Keycloak accounts, work permits, contracts and their filing with
the bureau, the filings inbox, the working-day calendar and who may do what. Every test makes its own
data (uuid-based names and codes, a jurisdiction of its own where it counts filings) and checks what
really happened: rows in PostgreSQL (``e2e_registry``), events on JetStream (``ECOSTEWARD_REGISTRY``)
and users in Keycloak (realm ``ecosteward``, removed again at the end of each test).

Dates are relative to ``china_today()``; the fixed calendar examples of 2026 lie in the past (signing may
be backdated, never future-dated). The test that confirms next year's calendar is the last of the file:
confirming is one-way, and no other test depends on that year.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import nats
import pytest

from ecosteward.clock import china_date, china_today
from ecosteward.demo import DEMO_AGENCY_ID, DEMO_JURISDICTION_ID
from ecosteward.events import EventEnvelope
from tests.e2e.helpers import (
    Api,
    Keycloak,
    credit_code,
    day,
    db,
    db_value,
    events,
    iso,
    outbox_count,
    unique,
    violations,
    wait_for_events,
)
from tests.support import Infra, error_codes, wait_for

DEMO_J = str(DEMO_JURISDICTION_ID)
DEMO_AGENCY = str(DEMO_AGENCY_ID)
BUREAU, TOWN, ADMIN, STAFF, PROCUREMENT, ENTERPRISE = (
    "demo-bureau",
    "demo-town",
    "demo-agency-admin",
    "demo-agency-staff",
    "demo-procurement",
    "demo-enterprise",
)
ALL_USERS = (BUREAU, TOWN, ADMIN, STAFF, PROCUREMENT, ENTERPRISE)

# ------------------------------------------------------------------------------------------ GraphQL

AGENCY_FIELDS = """
fragment AgencyFields on Agency {
  id name creditCode adminUsername status statusReason statusChangedAt rulesMet noncompliantSince
  admissionCheck { code message }
  statusHistory { fromStatus toStatus reason changedAt changedBy }
  creditListings { id source listedOn delistedOn active }
}"""
FILING_FIELDS = """
fragment FilingFields on Filing {
  id status standing signedOn dueOn dueProvisional workingDaysLeft firstFiledOn filedLate
  acknowledgedAt returnReason
  contract { id status }
  jurisdiction { id }
  history { action by reason }
}"""

CREATE_JURISDICTION = """
mutation($input: CreateJurisdictionInput!) { createJurisdiction(input: $input) { id code name } }"""
REGISTER_AGENCY = (
    "mutation($input: RegisterAgencyInput!) { registerAgency(input: $input) { ...AgencyFields } }"
    + AGENCY_FIELDS
)
CHANGE_STATUS = (
    "mutation($input: ChangeAgencyStatusInput!) { changeAgencyStatus(input: $input) { ...AgencyFields } }"
    + AGENCY_FIELDS
)
AGENCY = "query($id: ID!) { agency(id: $id) { ...AgencyFields } }" + AGENCY_FIELDS
ADD_STAFF = """
mutation($input: AddStaffInput!) {
  addStaff(input: $input) { id username title professional qualityManager joinedOn leftOn }
}"""
UPDATE_STAFF = """
mutation($id: ID!, $input: UpdateStaffInput!) { updateStaff(id: $id, input: $input) { id qualityManager } }"""
DEPART = """
mutation($id: ID!, $leftOn: Date!) { recordStaffDeparture(id: $id, leftOn: $leftOn) { id leftOn qualityManager } }"""
LIST_CREDIT = """
mutation($agencyId: ID!, $listedOn: Date!) {
  recordCreditListing(agencyId: $agencyId, source: "信用中国", listedOn: $listedOn, note: "test listing") {
    id source listedOn delistedOn active
  }
}"""
END_CREDIT = """
mutation($id: ID!, $on: Date!) { endCreditListing(listingId: $id, delistedOn: $on) { id delistedOn active } }"""
STAFF_OF = """
query($agencyId: ID!) { staff(filter: {agencyId: $agencyId}, first: 100) { totalCount edges { node { id username } } } }"""
ISSUE_PERMIT = """
mutation($input: IssuePermitInput!) {
  issueWorkPermit(input: $input) { id number validFrom validTo state revokedAt issuedBy { id } staff { id } }
}"""
REVOKE_PERMIT = """
mutation($id: ID!, $reason: String!) { revokeWorkPermit(id: $id, reason: $reason) { id state revokedAt revokedReason } }"""
HAS_PERMIT = """
query($staffId: ID!, $on: Date) { hasValidWorkPermit(staffId: $staffId, on: $on) { valid on permit { id } } }"""
PERMITS_OF = """
query($staffId: ID!) { workPermits(filter: {staffId: $staffId}) { totalCount edges { node { id state } } } }"""
CREATE_CONTRACT = """
mutation($input: CreateContractInput!) {
  createServiceContract(input: $input) { id status price title signedOn filing { id } }
}"""
SIGN = (
    "mutation($id: ID!, $on: Date!) { signServiceContract(id: $id, signedOn: $on) "
    "{ id status signedOn filing { ...FilingFields } } }" + FILING_FIELDS
)
FILE = "mutation($id: ID!) { fileServiceContract(id: $id) { ...FilingFields } }" + FILING_FIELDS
RETURN = (
    "mutation($id: ID!, $reason: String!) { returnFiling(contractId: $id, reason: $reason) { ...FilingFields } }"
    + FILING_FIELDS
)
ACKNOWLEDGE = "mutation($id: ID!) { acknowledgeFiling(contractId: $id) { ...FilingFields } }" + FILING_FIELDS
END_CONTRACT = """
mutation($id: ID!, $on: Date!) { endServiceContract(id: $id, endedOn: $on) { id status closedOn } }"""
CONTRACT = (
    "query($id: ID!) { serviceContract(id: $id) { id status signedOn closedOn filing { ...FilingFields } } }"
    + FILING_FIELDS
)
CONTRACTS_IN = """
query($j: ID!) { serviceContracts(filter: {jurisdictionId: $j}) { totalCount edges { node { id } } } }"""
FILINGS = (
    """
query($filter: FilingFilter, $first: Int, $after: String) {
  filings(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { ...FilingFields } }
  }
}"""
    + FILING_FIELDS
)
FILING_COUNTS = """
query($filter: FilingFilter) { filingCounts(filter: $filter) { total awaiting dueSoon overdue filedOnTime filedLate } }"""
CALENDAR_YEAR = "query($y: Int!) { calendarYear(year: $y) { year confirmed entries { day kind name } } }"
SET_ENTRY = """
mutation($day: Date!, $kind: String!, $name: String!) {
  setCalendarEntry(day: $day, kind: $kind, name: $name) { year confirmed entries { day kind name } }
}"""
REMOVE_ENTRY = "mutation($day: Date!) { removeCalendarEntry(day: $day) { year } }"
CONFIRM_YEAR = "mutation($y: Int!) { confirmCalendarYear(year: $y) { year confirmed entries { day kind } } }"
ADD_WORKING_DAYS = (
    "query($start: Date!, $n: Int!) { addWorkingDays(start: $start, days: $n) { dueOn provisional } }"
)


# ------------------------------------------------------------------------------------------ plumbing


class Accounts:
    """Usernames a test caused to be provisioned; their Keycloak users are deleted at the end."""

    def __init__(self, stack: Infra) -> None:
        self.stack = stack
        self.usernames: set[str] = set()

    def track(self, *usernames: str) -> None:
        self.usernames.update(usernames)

    def _settled(self) -> bool:
        names = sorted(self.usernames)
        pending = db_value(
            self.stack,
            "SELECT count(*) FROM keycloak_accounts WHERE username = ANY($1::text[]) AND status = 'PENDING'",
            names,
        )
        unconsumed = db_value(
            self.stack,
            "SELECT count(*) FROM outbox_events o WHERE (o.event_type IN ('registry.agency.admitted', "
            "'registry.agency.suspended', 'registry.agency.removed', 'registry.agency.updated') "
            "OR o.event_type LIKE 'registry.staff.%') "
            "AND NOT EXISTS (SELECT 1 FROM inbox_events i WHERE i.event_id = o.id)",
        )
        return pending == 0 and unconsumed == 0

    def cleanup(self) -> None:
        if not self.usernames:
            return
        # Let provisioning settle first, or the sync job would re-create a user deleted under it.
        # On a timeout delete what is there anyway; the test itself reports provisioning failures.
        with contextlib.suppress(AssertionError):
            wait_for(self._settled, timeout=20, interval=0.5, what="account provisioning settled")
        keycloak = Keycloak(self.stack)
        for name in sorted(self.usernames):
            for found in keycloak.users(name):
                keycloak.delete(found["id"])


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def api(stack: Infra) -> Api:
    return Api(stack)


@pytest.fixture
def accounts(stack: Infra) -> Iterator[Accounts]:
    tracked = Accounts(stack)
    yield tracked
    tracked.cleanup()


@dataclass
class AgencyMade:
    id: str
    admin: str
    credit_code: str
    staff: list[dict[str, Any]] = field(default_factory=list)

    @property
    def usernames(self) -> list[str]:
        return [self.admin, *(s["username"] for s in self.staff)]


def new_jurisdiction(api: Api, name: str = "测试镇") -> str:
    data = api.ok(
        BUREAU,
        CREATE_JURISDICTION,
        {"input": {"code": unique("T"), "name": f"{name}{uuid.uuid4().hex[:4]}", "kind": "TOWN"}},
    )
    return str(data["createJurisdiction"]["id"])


def register_agency(api: Api, accounts: Accounts | None = None) -> AgencyMade:
    admin, code = unique("adm"), credit_code()
    data = api.ok(
        BUREAU,
        REGISTER_AGENCY,
        {
            "input": {
                "name": f"测试环保科技有限公司{uuid.uuid4().hex[:6]}",
                "creditCode": code,
                "adminUsername": admin,
                "adminEmail": f"{admin}@test.ecosteward.local",
                "contactName": "周测试",
            }
        },
    )
    if accounts is not None:
        accounts.track(admin)
    return AgencyMade(id=data["registerAgency"]["id"], admin=admin, credit_code=code)


def add_staff(
    api: Api,
    agency: AgencyMade,
    title: str,
    professional: bool = True,
    manager: bool = False,
    accounts: Accounts | None = None,
    user: str = BUREAU,
) -> dict[str, Any]:
    username = unique("stf")
    data = api.ok(
        user,
        ADD_STAFF,
        {
            "input": {
                "agencyId": agency.id,
                "name": f"测{uuid.uuid4().hex[:3]}",
                "username": username,
                "email": f"{username}@test.ecosteward.local",
                "title": title,
                "professional": professional,
                "joinedOn": "2024-03-01",
                "qualityManager": manager,
            }
        },
    )
    if accounts is not None:
        accounts.track(username)
    staff: dict[str, Any] = data["addStaff"]
    agency.staff.append(staff)
    return staff


QUALIFYING_STAFF = [("SENIOR", True), ("ASSOCIATE_SENIOR", False), ("INTERMEDIATE", False)] + [
    ("JUNIOR", False)
] * 2
"""Exactly enough: five professionals, two of them senior, one quality manager."""


def admitted_agency(api: Api, accounts: Accounts) -> AgencyMade:
    agency = register_agency(api, accounts)
    for title, manager in QUALIFYING_STAFF:
        add_staff(api, agency, title, manager=manager, accounts=accounts)
    data = api.ok(
        BUREAU,
        CHANGE_STATUS,
        {"input": {"agencyId": agency.id, "status": "ADMITTED", "reason": "符合入库条件"}},
    )
    assert data["changeAgencyStatus"]["status"] == "ADMITTED"
    return agency


def contract_input(agency_id: str, jurisdiction_id: str, **changes: Any) -> dict[str, Any]:
    today = china_today()
    values: dict[str, Any] = {
        "title": f"环保管家服务{uuid.uuid4().hex[:6]}",
        "agencyId": agency_id,
        "jurisdictionId": jurisdiction_id,
        "price": "120000.50",
        "startsOn": iso(dt.date(today.year, 1, 1)),
        "endsOn": iso(dt.date(today.year, 12, 31)),
        "serviceMode": "ON_SITE",
        "contractedTasks": 40,
        "scopeJurisdictionIds": [jurisdiction_id],
        "catalogueCodes": ["B1-8"],
    }
    values.update(changes)
    return values


def draft(api: Api, agency_id: str, jurisdiction_id: str, user: str = BUREAU, **changes: Any) -> str:
    data = api.ok(user, CREATE_CONTRACT, {"input": contract_input(agency_id, jurisdiction_id, **changes)})
    assert data["createServiceContract"]["status"] == "DRAFT"
    return str(data["createServiceContract"]["id"])


def signed(
    api: Api, agency_id: str, jurisdiction_id: str, on: dt.date, user: str = BUREAU
) -> tuple[str, dict[str, Any]]:
    """A contract drafted and signed on ``on``: (contract id, its filing)."""
    contract_id = draft(api, agency_id, jurisdiction_id, user)
    data = api.ok(user, SIGN, {"id": contract_id, "on": iso(on)})
    assert data["signServiceContract"]["status"] == "SIGNED"
    filing: dict[str, Any] = data["signServiceContract"]["filing"]
    return contract_id, filing


@pytest.fixture(scope="module")
def shared_agency(stack: Infra, api: Api) -> Iterator[AgencyMade]:
    """One admitted agency for the tests that only need *an* admitted agency (permits, contracts)."""
    tracked = Accounts(stack)
    try:
        yield admitted_agency(api, tracked)
    finally:
        tracked.cleanup()


# ------------------------------------------------------------------------------------------ 1 admission


def test_admission_lists_every_unmet_rule_and_changes_nothing_until_they_hold(
    stack: Infra, api: Api, accounts: Accounts
) -> None:
    agency = register_agency(api, accounts)
    # Rule breakers: three professionals (one senior), a senior who does no consulting work, no manager.
    add_staff(api, agency, "SENIOR", accounts=accounts)
    add_staff(api, agency, "INTERMEDIATE", accounts=accounts)
    add_staff(api, agency, "JUNIOR", accounts=accounts)
    add_staff(api, agency, "SENIOR", professional=False, accounts=accounts)
    admit = {"input": {"agencyId": agency.id, "status": "ADMITTED", "reason": "申请入库"}}

    body = api.call(BUREAU, CHANGE_STATUS, admit)
    assert error_codes(body) == ["VALIDATION_FAILED"], body
    assert sorted(violations(body)) == ["QUALITY_MANAGER", "TOO_FEW_PROFESSIONALS", "TOO_FEW_SENIOR_TITLES"]
    current = api.ok(BUREAU, AGENCY, {"id": agency.id})["agency"]
    assert current["status"] == "APPLIED" and current["rulesMet"] is None
    assert [c["code"] for c in current["admissionCheck"]] == [
        "TOO_FEW_PROFESSIONALS",
        "TOO_FEW_SENIOR_TITLES",
        "QUALITY_MANAGER",
    ]
    assert [h["toStatus"] for h in current["statusHistory"]] == ["APPLIED"]
    # Nothing was written by the refused admission.
    row = db(stack, "SELECT status, rules_met FROM agencies WHERE id = $1", uuid.UUID(agency.id))[0]
    assert (row["status"], row["rules_met"]) == ("APPLIED", None)
    agency_uuid = uuid.UUID(agency.id)
    assert (
        db_value(stack, "SELECT count(*) FROM agency_status_changes WHERE agency_id = $1", agency_uuid) == 1
    )
    assert outbox_count(stack, "registry.agency.admitted", agency.id) == 0

    # Add staff until every rule holds; each refusal lists exactly what is still missing.
    add_staff(api, agency, "ASSOCIATE_SENIOR", accounts=accounts)
    body = api.call(BUREAU, CHANGE_STATUS, admit)
    assert sorted(violations(body)) == ["QUALITY_MANAGER", "TOO_FEW_PROFESSIONALS"]
    add_staff(api, agency, "INTERMEDIATE", manager=True, accounts=accounts)
    admitted = api.ok(BUREAU, CHANGE_STATUS, admit)["changeAgencyStatus"]
    assert admitted["status"] == "ADMITTED" and admitted["rulesMet"] is True
    assert admitted["statusReason"] == "申请入库" and admitted["admissionCheck"] == []
    assert outbox_count(stack, "registry.agency.admitted", agency.id) == 1
    (event,) = wait_for_events(stack, "agency.admitted", agency.id)
    assert event.data["admin_username"] == agency.admin and event.data["from_status"] == "APPLIED"

    # Refusing, suspending and removing need a reason; removal is final.
    for status in ("SUSPENDED", "REMOVED"):
        body = api.call(
            BUREAU, CHANGE_STATUS, {"input": {"agencyId": agency.id, "status": status, "reason": " "}}
        )
        assert error_codes(body) == ["VALIDATION_FAILED"] and violations(body) == ["reason"]
    steps = [("SUSPENDED", "年度考评不合格"), ("ADMITTED", "整改完成"), ("REMOVED", "严重失信")]
    for status, reason in steps:
        result = api.ok(
            BUREAU, CHANGE_STATUS, {"input": {"agencyId": agency.id, "status": status, "reason": reason}}
        )
        assert result["changeAgencyStatus"]["status"] == status
    for status in ("ADMITTED", "APPLIED", "SUSPENDED"):
        body = api.call(
            BUREAU, CHANGE_STATUS, {"input": {"agencyId": agency.id, "status": status, "reason": "x"}}
        )
        assert error_codes(body) == ["INVALID_TRANSITION"], body
    final = api.ok(BUREAU, AGENCY, {"id": agency.id})["agency"]
    assert final["status"] == "REMOVED" and final["statusReason"] == "严重失信"
    history = [(h["fromStatus"], h["toStatus"], h["reason"]) for h in final["statusHistory"]]
    assert history == [
        (None, "APPLIED", "applied"),
        ("APPLIED", "ADMITTED", "申请入库"),
        ("ADMITTED", "SUSPENDED", "年度考评不合格"),
        ("SUSPENDED", "ADMITTED", "整改完成"),
        ("ADMITTED", "REMOVED", "严重失信"),
    ]
    assert {h["changedBy"] for h in final["statusHistory"][1:]} == {BUREAU}
    changed = [dt.datetime.fromisoformat(h["changedAt"]) for h in final["statusHistory"]]
    assert changed == sorted(changed)
    assert all(abs((dt.datetime.now(dt.UTC) - c).total_seconds()) < 600 for c in changed)
    stored = db(
        stack,
        "SELECT to_status, reason FROM agency_status_changes WHERE agency_id = $1 ORDER BY changed_at",
        uuid.UUID(agency.id),
    )
    assert [(r["to_status"], r["reason"]) for r in stored] == [h[1:] for h in history]


def test_a_refused_agency_may_apply_again_but_not_jump_to_admitted(stack: Infra, api: Api) -> None:
    agency = register_agency(api)
    body = api.call(BUREAU, CHANGE_STATUS, {"input": {"agencyId": agency.id, "status": "REFUSED"}})
    assert error_codes(body) == ["VALIDATION_FAILED"] and violations(body) == ["reason"]
    refused = api.ok(
        BUREAU, CHANGE_STATUS, {"input": {"agencyId": agency.id, "status": "REFUSED", "reason": "材料不全"}}
    )
    assert refused["changeAgencyStatus"]["status"] == "REFUSED"
    body = api.call(
        BUREAU, CHANGE_STATUS, {"input": {"agencyId": agency.id, "status": "ADMITTED", "reason": "x"}}
    )
    assert error_codes(body) == ["INVALID_TRANSITION"]
    again = api.ok(
        BUREAU, CHANGE_STATUS, {"input": {"agencyId": agency.id, "status": "APPLIED", "reason": "补齐材料"}}
    )
    history = again["changeAgencyStatus"]["statusHistory"]
    assert [(h["toStatus"], h["reason"]) for h in history] == [
        ("APPLIED", "applied"),
        ("REFUSED", "材料不全"),
        ("APPLIED", "补齐材料"),
    ]
    wait_for_events(stack, "agency.reapplied", agency.id)


def test_a_credit_listing_blocks_admission_and_flags_an_admitted_agency(
    stack: Infra, api: Api, accounts: Accounts
) -> None:
    today = china_today()
    agency = register_agency(api, accounts)
    add_staff(api, agency, "SENIOR", professional=False, accounts=accounts)
    admit = {"input": {"agencyId": agency.id, "status": "ADMITTED", "reason": "申请入库"}}
    listing = api.ok(
        BUREAU, LIST_CREDIT, {"agencyId": agency.id, "listedOn": iso(today - dt.timedelta(days=30))}
    )
    listing_id = listing["recordCreditListing"]["id"]
    assert listing["recordCreditListing"]["active"] is True
    body = api.call(BUREAU, CHANGE_STATUS, admit)
    assert error_codes(body) == ["VALIDATION_FAILED"]
    assert sorted(violations(body)) == [
        "CREDIT_BLACKLISTED",
        "QUALITY_MANAGER",
        "TOO_FEW_PROFESSIONALS",
        "TOO_FEW_SENIOR_TITLES",
    ]
    # The first person is no professional; five qualifying professionals (with the manager) join.
    for title, manager in QUALIFYING_STAFF:
        add_staff(api, agency, title, manager=manager, accounts=accounts)
    body = api.call(BUREAU, CHANGE_STATUS, admit)
    assert violations(body) == ["CREDIT_BLACKLISTED"]
    assert api.ok(BUREAU, AGENCY, {"id": agency.id})["agency"]["status"] == "APPLIED"

    ended = api.ok(BUREAU, END_CREDIT, {"id": listing_id, "on": iso(today)})["endCreditListing"]
    assert ended["active"] is False and ended["delistedOn"] == iso(today)
    admitted = api.ok(BUREAU, CHANGE_STATUS, admit)["changeAgencyStatus"]
    assert admitted["status"] == "ADMITTED"
    assert [(c["source"], c["active"]) for c in admitted["creditListings"]] == [("信用中国", False)]
    for verb in ("credit_listed", "credit_delisted"):
        wait_for_events(stack, f"agency.{verb}", agency.id)

    # Listed again while admitted: flagged as no longer meeting the rules, and cleared when lifted.
    again = api.ok(BUREAU, LIST_CREDIT, {"agencyId": agency.id, "listedOn": iso(today)})[
        "recordCreditListing"
    ]
    flagged = api.ok(BUREAU, AGENCY, {"id": agency.id})["agency"]
    assert flagged["rulesMet"] is False and flagged["noncompliantSince"] is not None
    assert [c["code"] for c in flagged["admissionCheck"]] == ["CREDIT_BLACKLISTED"]
    (event,) = wait_for_events(stack, "agency.noncompliant", agency.id)
    assert event.data["unmet_rules"] == ["CREDIT_BLACKLISTED"]
    api.ok(BUREAU, END_CREDIT, {"id": again["id"], "on": iso(today)})
    assert api.ok(BUREAU, AGENCY, {"id": agency.id})["agency"]["rulesMet"] is True
    wait_for_events(stack, "agency.compliant", agency.id)


def test_credit_listing_events_are_consumed_by_the_accounts_consumer(stack: Infra, api: Api) -> None:
    """The registry consumes its own ``agency.*`` events; a listing event must not end as a dead letter."""
    agency = register_agency(api)
    today = china_today()
    listing = api.ok(BUREAU, LIST_CREDIT, {"agencyId": agency.id, "listedOn": iso(today)})
    api.ok(BUREAU, END_CREDIT, {"id": listing["recordCreditListing"]["id"], "on": iso(today)})
    for verb in ("credit_listed", "credit_delisted"):
        (event,) = wait_for_events(stack, f"agency.{verb}", agency.id)

        def handled(event_id: uuid.UUID = event.id) -> bool:
            return bool(
                db_value(
                    stack,
                    "SELECT count(*) FROM inbox_events WHERE consumer = 'registry--accounts-agencies' "
                    "AND event_id = $1",
                    event_id,
                )
            )

        wait_for(handled, timeout=20, what=f"agency.{verb} handled by registry--accounts-agencies")


# ------------------------------------------------------------------------------------------ 2 noncompliance


def test_an_admitted_agency_whose_staff_leave_is_flagged_noncompliant(
    stack: Infra, api: Api, accounts: Accounts
) -> None:
    today = china_today()
    agency = admitted_agency(api, accounts)
    junior = next(s for s in agency.staff if s["title"] == "JUNIOR")
    left = api.ok(BUREAU, DEPART, {"id": junior["id"], "leftOn": iso(today)})["recordStaffDeparture"]
    assert left["leftOn"] == iso(today)

    flagged = api.ok(BUREAU, AGENCY, {"id": agency.id})["agency"]
    assert flagged["status"] == "ADMITTED"
    assert flagged["rulesMet"] is False
    since = dt.datetime.fromisoformat(flagged["noncompliantSince"])
    assert abs((dt.datetime.now(dt.UTC) - since).total_seconds()) < 600
    assert [c["code"] for c in flagged["admissionCheck"]] == ["TOO_FEW_PROFESSIONALS"]
    search = (
        "query($q: String, $met: Boolean) { agencies(filter: {search: $q, rulesMet: $met}) { totalCount } }"
    )
    for met, count in ((False, 1), (True, 0)):
        found = api.ok(BUREAU, search, {"q": agency.credit_code, "met": met})["agencies"]["totalCount"]
        assert found == count, met
    row = db(
        stack,
        "SELECT rules_met, unmet_rules, noncompliant_since FROM agencies WHERE id = $1",
        uuid.UUID(agency.id),
    )[0]
    assert row["rules_met"] is False and row["noncompliant_since"] is not None
    assert "TOO_FEW_PROFESSIONALS" in str(row["unmet_rules"])

    (event,) = wait_for_events(stack, "agency.noncompliant", agency.id)
    assert event.type == "registry.agency.noncompliant"
    assert event.data["id"] == agency.id and event.data["unmet_rules"] == ["TOO_FEW_PROFESSIONALS"]

    # The quality manager leaving too: still flagged (since the first slip), announced once.
    manager = next(s for s in agency.staff if s["qualityManager"])
    api.ok(BUREAU, DEPART, {"id": manager["id"], "leftOn": iso(today)})
    again = api.ok(BUREAU, AGENCY, {"id": agency.id})["agency"]
    assert again["noncompliantSince"] == flagged["noncompliantSince"]
    assert [c["code"] for c in again["admissionCheck"]] == [
        "TOO_FEW_PROFESSIONALS",
        "TOO_FEW_SENIOR_TITLES",
        "QUALITY_MANAGER",
    ]
    assert outbox_count(stack, "registry.agency.noncompliant", agency.id) == 1

    # Hiring back to the rules clears the flag and says so.
    add_staff(api, agency, "SENIOR", manager=True, accounts=accounts)
    add_staff(api, agency, "INTERMEDIATE", accounts=accounts)
    restored = api.ok(BUREAU, AGENCY, {"id": agency.id})["agency"]
    assert restored["rulesMet"] is True and restored["noncompliantSince"] is None
    wait_for_events(stack, "agency.compliant", agency.id)


# ------------------------------------------------------------------------------------------ 3 Keycloak


def _account(keycloak: Keycloak, username: str, enabled: bool = True) -> dict[str, Any] | None:
    user = keycloak.user(username)
    return user if user is not None and user["enabled"] is enabled else None


def test_admission_provisions_keycloak_accounts_once_and_removal_disables_them(
    stack: Infra, api: Api, accounts: Accounts
) -> None:
    keycloak = Keycloak(stack)
    agency = register_agency(api, accounts)
    for title, manager in QUALIFYING_STAFF:
        add_staff(api, agency, title, manager=manager, accounts=accounts)
    # Not admitted yet: no accounts.
    assert db_value(stack, "SELECT count(*) FROM keycloak_accounts WHERE username = $1", agency.admin) == 0
    api.ok(BUREAU, CHANGE_STATUS, {"input": {"agencyId": agency.id, "status": "ADMITTED", "reason": "ok"}})

    admin = wait_for(lambda: _account(keycloak, agency.admin), timeout=30, what="agency admin account")
    assert admin["attributes"]["agency_id"] == [agency.id]
    assert admin["email"] == f"{agency.admin}@test.ecosteward.local"
    assert "agency_admin" in keycloak.realm_roles(admin["id"])
    staff_ids: dict[str, str] = {}
    for member in agency.staff:
        user = wait_for(lambda m=member: _account(keycloak, m["username"]), timeout=30, what="staff account")
        assert user["attributes"]["agency_id"] == [agency.id]
        roles = keycloak.realm_roles(user["id"])
        assert "agency_staff" in roles and "agency_admin" not in roles
        staff_ids[member["username"]] = user["id"]

    # Suspension disables every account; re-admission enables the same users again (no duplicates).
    api.ok(BUREAU, CHANGE_STATUS, {"input": {"agencyId": agency.id, "status": "SUSPENDED", "reason": "整改"}})
    wait_for(lambda: _account(keycloak, agency.admin, enabled=False), timeout=30, what="admin disabled")
    for name in staff_ids:
        wait_for(lambda n=name: _account(keycloak, n, enabled=False), timeout=30, what="staff disabled")
    api.ok(BUREAU, CHANGE_STATUS, {"input": {"agencyId": agency.id, "status": "ADMITTED", "reason": "恢复"}})
    again = wait_for(lambda: _account(keycloak, agency.admin), timeout=30, what="admin enabled again")
    assert again["id"] == admin["id"] and len(keycloak.users(agency.admin)) == 1
    for name, user_id in staff_ids.items():
        user = wait_for(lambda n=name: _account(keycloak, n), timeout=30, what="staff enabled again")
        assert user["id"] == user_id and len(keycloak.users(name)) == 1

    # The same admission event delivered a second time (as a new message): still one user each.
    original = [e for e in events(stack, "agency.admitted", agency.id)][-1]
    copy = EventEnvelope(
        type=original.type, source=original.source, subject=original.subject, data=original.data
    )

    async def publish() -> None:
        nc = await nats.connect(stack.nats_url)
        try:
            await nc.jetstream().publish(
                copy.nats_subject, copy.to_bytes(), headers={"Nats-Msg-Id": str(copy.id)}
            )
        finally:
            await nc.close()

    asyncio.run(publish())
    wait_for(
        lambda: db_value(stack, "SELECT count(*) FROM inbox_events WHERE event_id = $1", copy.id),
        timeout=20,
        what="redelivered admission handled",
    )
    wait_for(
        lambda: (
            db_value(stack, "SELECT status FROM keycloak_accounts WHERE username = $1", agency.admin)
            == "SYNCED"
        ),
        timeout=30,
        what="account re-applied",
    )
    assert [u["id"] for u in keycloak.users(agency.admin)] == [admin["id"]]
    for name, user_id in staff_ids.items():
        assert [u["id"] for u in keycloak.users(name)] == [user_id]

    # A newcomer gets an account at once; a leaver's account is disabled.
    newcomer = add_staff(api, agency, "JUNIOR", accounts=accounts)
    wait_for(lambda: _account(keycloak, newcomer["username"]), timeout=30, what="newcomer account")
    leaver = agency.staff[3]
    api.ok(BUREAU, DEPART, {"id": leaver["id"], "leftOn": iso(china_today())})
    wait_for(
        lambda: _account(keycloak, leaver["username"], enabled=False), timeout=30, what="leaver disabled"
    )

    # Removal disables them all (kept, not deleted).
    api.ok(BUREAU, CHANGE_STATUS, {"input": {"agencyId": agency.id, "status": "REMOVED", "reason": "移出"}})
    for name in agency.usernames:
        wait_for(lambda n=name: _account(keycloak, n, enabled=False), timeout=30, what=f"{name} disabled")
    assert (
        db_value(
            stack,
            "SELECT count(*) FROM keycloak_accounts WHERE username = ANY($1::text[]) AND enabled",
            agency.usernames,
        )
        == 0
    )


RESET_PASSWORD = "mutation($u: String!) { resetAccountPassword(username: $u) }"


@pytest.fixture
def foreign_officer(stack: Infra) -> Iterator[dict[str, Any]]:
    keycloak = Keycloak(stack)
    user = keycloak.create_officer(unique("town"))
    try:
        yield user
    finally:
        keycloak.delete(user["id"])


def test_provisioning_never_takes_over_an_account_it_does_not_own(
    stack: Infra, api: Api, accounts: Accounts, foreign_officer: dict[str, Any]
) -> None:
    """A staff username that already belongs to another Keycloak user (here a town officer's)."""
    keycloak = Keycloak(stack)
    agency = admitted_agency(api, accounts)
    username = foreign_officer["username"]
    body = api.call(
        BUREAU,
        ADD_STAFF,
        {
            "input": {
                "agencyId": agency.id,
                "name": "冒名者",
                "username": username,
                "email": f"{username}@agency.ecosteward.local",
                "title": "JUNIOR",
                "professional": False,
                "joinedOn": "2024-03-01",
            }
        },
    )
    if "errors" not in body:
        staff_id = body["data"]["addStaff"]["id"]
        (added,) = wait_for_events(stack, "staff.added", staff_id)
        wait_for(
            lambda: db_value(stack, "SELECT count(*) FROM inbox_events WHERE event_id = $1", added.id),
            timeout=20,
            what="staff.added handled",
        )
        wait_for(
            lambda: db_value(
                stack,
                "SELECT count(*) FROM keycloak_accounts WHERE username = $1 AND (status = 'SYNCED' OR attempts > 0)",
                username,
            ),
            timeout=30,
            what="the sync job had its go at the account",
        )
    after = keycloak.user(username)
    assert after is not None and after["id"] == foreign_officer["id"]
    assert keycloak.realm_roles(after["id"]) >= {"town_officer"}
    assert "agency_staff" not in keycloak.realm_roles(after["id"])
    assert after["attributes"].get("jurisdiction_id") == [DEMO_J]
    assert "agency_id" not in after["attributes"]
    assert after["email"] == foreign_officer["email"] and after["enabled"] is True


def test_a_password_is_reset_for_agency_accounts_only(
    stack: Infra, api: Api, accounts: Accounts, foreign_officer: dict[str, Any]
) -> None:
    keycloak = Keycloak(stack)
    agency = admitted_agency(api, accounts)
    admin = wait_for(lambda: _account(keycloak, agency.admin), timeout=30, what="agency admin account")
    assert keycloak.credentials(admin["id"]) == []
    password = api.ok(BUREAU, RESET_PASSWORD, {"u": agency.admin})["resetAccountPassword"]
    assert len(password) >= 12
    assert keycloak.credentials(admin["id"]) == ["password"]
    assert "UPDATE_PASSWORD" in (keycloak.user(agency.admin) or {}).get("requiredActions", [])
    for role in (TOWN, ADMIN, PROCUREMENT):
        assert api.codes(role, RESET_PASSWORD, {"u": agency.admin}) == ["FORBIDDEN"]
    # Not an account the registry hands out: nobody's password is reset through the registry.
    codes = api.codes(BUREAU, RESET_PASSWORD, {"u": foreign_officer["username"]})
    assert codes in (["NOT_FOUND"], ["FORBIDDEN"]), codes
    assert keycloak.credentials(foreign_officer["id"]) == []
    assert api.codes(BUREAU, RESET_PASSWORD, {"u": unique("nobody")}) == ["NOT_FOUND"]


# ------------------------------------------------------------------------------------------ 4 permits


def test_a_town_issues_and_revokes_work_permits(stack: Infra, api: Api, shared_agency: AgencyMade) -> None:
    today = china_today()
    holder = shared_agency.staff[2]
    valid_from, valid_to = today - dt.timedelta(days=10), today + dt.timedelta(days=30)
    issue = {
        "staffId": holder["id"],
        "agencyId": shared_agency.id,
        "validFrom": iso(valid_from),
        "validTo": iso(valid_to),
    }

    # A person of another agency: refused, nothing written.
    demo_staff = api.ok(BUREAU, STAFF_OF, {"agencyId": DEMO_AGENCY})["staff"]["edges"][0]["node"]
    before = db_value(stack, "SELECT count(*) FROM work_permits")
    for wrong in (
        {**issue, "staffId": demo_staff["id"]},
        {**issue, "agencyId": DEMO_AGENCY},
    ):
        assert api.codes(TOWN, ISSUE_PERMIT, {"input": wrong}) == ["STAFF_NOT_IN_AGENCY"]
    # A town issues in its own name only.
    other_town = new_jurisdiction(api)
    assert api.codes(TOWN, ISSUE_PERMIT, {"input": {**issue, "issuedById": other_town}}) == ["FORBIDDEN"]
    assert db_value(stack, "SELECT count(*) FROM work_permits") == before
    assert (
        db_value(
            stack,
            "SELECT count(*) FROM outbox_events WHERE event_type = 'registry.permit.issued' AND envelope->'data'->>'staff_id' = $1",
            demo_staff["id"],
        )
        == 0
    )

    permit = api.ok(TOWN, ISSUE_PERMIT, {"input": issue})["issueWorkPermit"]
    assert permit["state"] == "VALID" and permit["issuedBy"]["id"] == DEMO_J
    row = db(
        stack,
        "SELECT staff_id, agency_id, issued_by_id, valid_from, valid_to FROM work_permits WHERE id = $1",
        uuid.UUID(permit["id"]),
    )[0]
    assert (str(row["staff_id"]), str(row["agency_id"]), str(row["issued_by_id"])) == (
        holder["id"],
        shared_agency.id,
        DEMO_J,
    )
    assert (row["valid_from"], row["valid_to"]) == (valid_from, valid_to)
    (issued,) = wait_for_events(stack, "permit.issued", permit["id"])
    assert issued.data["staff_id"] == holder["id"] and issued.data["agency_id"] == shared_agency.id
    assert (issued.data["valid_from"], issued.data["valid_to"]) == (iso(valid_from), iso(valid_to))
    assert issued.data["staff_username"] == holder["username"]

    def valid_on(on: dt.date | None, user: str = TOWN) -> bool:
        variables = {"staffId": holder["id"], "on": iso(on) if on else None}
        return bool(api.ok(user, HAS_PERMIT, variables)["hasValidWorkPermit"]["valid"])

    assert valid_on(None) and valid_on(today)
    assert valid_on(valid_from) and valid_on(valid_to)
    assert not valid_on(valid_from - dt.timedelta(days=1))
    assert not valid_on(valid_to + dt.timedelta(days=1))
    assert valid_on(today, BUREAU)

    # A permit that starts later is not valid yet.
    later = api.ok(
        BUREAU,
        ISSUE_PERMIT,
        {
            "input": {
                "staffId": shared_agency.staff[3]["id"],
                "agencyId": shared_agency.id,
                "validFrom": iso(today + dt.timedelta(days=5)),
                "validTo": iso(today + dt.timedelta(days=9)),
            }
        },
    )["issueWorkPermit"]
    assert later["state"] == "NOT_YET_VALID"
    # Only the issuing department (or the bureau) revokes.
    assert api.codes(TOWN, REVOKE_PERMIT, {"id": later["id"], "reason": "not ours"}) == ["FORBIDDEN"]
    check = api.ok(TOWN, HAS_PERMIT, {"staffId": shared_agency.staff[3]["id"], "on": None})[
        "hasValidWorkPermit"
    ]
    assert check["valid"] is False and check["on"] == iso(today)

    # Revocation needs a reason, then ends the validity from today on.
    assert api.codes(TOWN, REVOKE_PERMIT, {"id": permit["id"], "reason": " "}) == ["VALIDATION_FAILED"]
    assert valid_on(today)
    revoked = api.ok(TOWN, REVOKE_PERMIT, {"id": permit["id"], "reason": "违规作业"})["revokeWorkPermit"]
    assert revoked["state"] == "REVOKED" and revoked["revokedReason"] == "违规作业"
    assert not valid_on(today) and not valid_on(valid_to)
    assert valid_on(today - dt.timedelta(days=1))  # it was valid before the revocation
    states = api.ok(TOWN, PERMITS_OF, {"staffId": holder["id"]})["workPermits"]["edges"]
    assert [e["node"]["state"] for e in states] == ["REVOKED"]
    assert (
        db_value(stack, "SELECT revoked_reason FROM work_permits WHERE id = $1", uuid.UUID(permit["id"]))
        == "违规作业"
    )
    (event,) = wait_for_events(stack, "permit.revoked", permit["id"])
    assert event.data["revoked_on"] == iso(today) and event.data["reason"] == "违规作业"
    # The day announced is China's date of the stored revocation moment (not the UTC timestamp's).
    revoked_at = db_value(stack, "SELECT revoked_at FROM work_permits WHERE id = $1", uuid.UUID(permit["id"]))
    assert event.data["revoked_on"] == iso(china_date(revoked_at)) == iso(china_date(event.time))
    assert api.codes(TOWN, REVOKE_PERMIT, {"id": permit["id"], "reason": "again"}) == ["ALREADY_REVOKED"]


def test_permits_issued_at_the_same_time_get_distinct_numbers(
    stack: Infra, api: Api, shared_agency: AgencyMade
) -> None:
    today = china_today()
    api.token(TOWN)  # warm the token cache before the threads use it

    def issue(staff: dict[str, Any]) -> dict[str, Any]:
        variables = {
            "input": {
                "staffId": staff["id"],
                "agencyId": shared_agency.id,
                "validFrom": iso(today + dt.timedelta(days=100)),
                "validTo": iso(today + dt.timedelta(days=200)),
            }
        }
        return api.call(TOWN, ISSUE_PERMIT, variables)

    with ThreadPoolExecutor(max_workers=10) as pool:
        bodies = list(pool.map(issue, shared_agency.staff * 2))
    assert [error_codes(b) for b in bodies] == [[]] * len(bodies), [b.get("errors") for b in bodies]
    numbers = [b["data"]["issueWorkPermit"]["number"] for b in bodies]
    assert len(set(numbers)) == len(numbers)


# ------------------------------------------------------------------------------------------ 5 contracts


def test_bad_contracts_are_refused_with_a_coded_error_and_nothing_written(
    stack: Infra, api: Api, shared_agency: AgencyMade
) -> None:
    jurisdiction = new_jurisdiction(api)
    applied = register_agency(api)
    cases: list[tuple[str, dict[str, Any], str, str | None]] = [
        ("negative price", {"price": "-100.00"}, "VALIDATION_FAILED", "price"),
        ("zero price", {"price": "0"}, "VALIDATION_FAILED", "price"),
        ("three decimals", {"price": "100.005"}, "VALIDATION_FAILED", "price"),
        (
            "ends before it starts",
            {"startsOn": "2026-06-01", "endsOn": "2026-05-31"},
            "VALIDATION_FAILED",
            "endsOn",
        ),
        ("empty scope", {"scopeJurisdictionIds": [], "scopeEnterpriseIds": []}, "VALIDATION_FAILED", "scope"),
        (
            "unknown catalogue item",
            {"catalogueCodes": ["B1-8", "Z9-99"]},
            "VALIDATION_FAILED",
            "catalogueCodes",
        ),
        ("agency not admitted", {"agencyId": applied.id}, "AGENCY_NOT_ADMITTED", None),
    ]
    for name, changes, code, bad_field in cases:
        body = api.call(
            BUREAU, CREATE_CONTRACT, {"input": contract_input(shared_agency.id, jurisdiction, **changes)}
        )
        assert error_codes(body) == [code], (name, body)
        if bad_field is not None:
            assert violations(body) == [bad_field], (name, body)
    # A town drafting for another jurisdiction.
    body = api.call(TOWN, CREATE_CONTRACT, {"input": contract_input(DEMO_AGENCY, jurisdiction)})
    assert error_codes(body) == ["FORBIDDEN"], body
    # Every problem at once is listed at once.
    body = api.call(
        BUREAU,
        CREATE_CONTRACT,
        {
            "input": contract_input(
                shared_agency.id,
                jurisdiction,
                price="-1",
                startsOn="2026-06-01",
                endsOn="2026-05-01",
                scopeJurisdictionIds=[],
            )
        },
    )
    assert sorted(violations(body)) == ["endsOn", "price", "scope"]

    assert (
        db_value(
            stack,
            "SELECT count(*) FROM service_contracts WHERE jurisdiction_id = $1",
            uuid.UUID(jurisdiction),
        )
        == 0
    )
    assert (
        db_value(
            stack,
            "SELECT count(*) FROM outbox_events WHERE event_type = 'registry.contract.drafted' AND envelope->'data'->>'jurisdiction_id' = $1",
            jurisdiction,
        )
        == 0
    )
    assert api.ok(BUREAU, CONTRACTS_IN, {"j": jurisdiction})["serviceContracts"]["totalCount"] == 0

    # The same input with the problems fixed goes through (and its event reaches the stream).
    contract_id = draft(api, shared_agency.id, jurisdiction)
    assert (
        db_value(
            stack,
            "SELECT count(*) FROM service_contracts WHERE jurisdiction_id = $1",
            uuid.UUID(jurisdiction),
        )
        == 1
    )
    (drafted,) = wait_for_events(stack, "contract.drafted", contract_id)
    assert drafted.data["jurisdiction_id"] == jurisdiction and drafted.data["price"] == "120000.50"


def test_a_contract_goes_from_draft_to_ended_through_filing(
    stack: Infra, api: Api, shared_agency: AgencyMade
) -> None:
    today = china_today()
    jurisdiction = new_jurisdiction(api)
    contract_id = draft(api, shared_agency.id, jurisdiction)

    assert api.codes(BUREAU, ACKNOWLEDGE, {"id": contract_id}) == ["NOT_FILED"]
    assert api.codes(BUREAU, FILE, {"id": contract_id}) == ["INVALID_TRANSITION"]
    body = api.call(BUREAU, SIGN, {"id": contract_id, "on": iso(today + dt.timedelta(days=1))})
    assert error_codes(body) == ["VALIDATION_FAILED"] and violations(body) == ["signedOn"]

    signed_contract = api.ok(BUREAU, SIGN, {"id": contract_id, "on": iso(today)})["signServiceContract"]
    filing = signed_contract["filing"]
    assert signed_contract["status"] == "SIGNED"
    assert filing["status"] == "PENDING" and filing["standing"] == "AWAITING"
    assert filing["workingDaysLeft"] == 10 and filing["firstFiledOn"] is None
    assert api.codes(BUREAU, ACKNOWLEDGE, {"id": contract_id}) == ["NOT_FILED"]

    filed = api.ok(BUREAU, FILE, {"id": contract_id})["fileServiceContract"]
    assert (filed["status"], filed["contract"]["status"]) == ("FILED", "FILED")
    assert filed["firstFiledOn"] == iso(today) and filed["filedLate"] is False
    assert filed["standing"] == "FILED_ON_TIME"
    assert api.codes(BUREAU, FILE, {"id": contract_id}) == ["ALREADY_FILED"]

    assert api.codes(BUREAU, RETURN, {"id": contract_id, "reason": ""}) == ["VALIDATION_FAILED"]
    returned = api.ok(BUREAU, RETURN, {"id": contract_id, "reason": "缺少服务清单附件"})["returnFiling"]
    assert (returned["status"], returned["contract"]["status"]) == ("RETURNED", "RETURNED")
    assert returned["returnReason"] == "缺少服务清单附件"
    assert api.codes(BUREAU, ACKNOWLEDGE, {"id": contract_id}) == ["NOT_FILED"]
    assert api.codes(BUREAU, RETURN, {"id": contract_id, "reason": "again"}) == ["NOT_FILED"]

    refiled = api.ok(BUREAU, FILE, {"id": contract_id})["fileServiceContract"]
    assert (refiled["status"], refiled["contract"]["status"]) == ("FILED", "FILED")
    assert refiled["firstFiledOn"] == iso(today)

    acknowledged = api.ok(BUREAU, ACKNOWLEDGE, {"id": contract_id})["acknowledgeFiling"]
    assert (acknowledged["status"], acknowledged["contract"]["status"]) == ("ACKNOWLEDGED", "ACTIVE")
    assert acknowledged["acknowledgedAt"] is not None
    assert [(h["action"], h["by"], h["reason"]) for h in acknowledged["history"]] == [
        ("FILED", BUREAU, ""),
        ("RETURNED", BUREAU, "缺少服务清单附件"),
        ("REFILED", BUREAU, ""),
        ("ACKNOWLEDGED", BUREAU, ""),
    ]
    assert api.codes(BUREAU, FILE, {"id": contract_id}) == ["ALREADY_FILED"]

    ended = api.ok(BUREAU, END_CONTRACT, {"id": contract_id, "on": iso(today)})["endServiceContract"]
    assert ended["status"] == "ENDED" and ended["closedOn"] == iso(today)
    assert api.codes(BUREAU, END_CONTRACT, {"id": contract_id, "on": iso(today)}) == ["INVALID_TRANSITION"]
    assert api.codes(BUREAU, FILE, {"id": contract_id}) == ["ALREADY_FILED"]

    row = db(
        stack,
        "SELECT c.status, f.status AS filing, f.first_filed_on, f.filed_late FROM service_contracts c JOIN filings f ON f.contract_id = c.id WHERE c.id = $1",
        uuid.UUID(contract_id),
    )[0]
    assert (row["status"], row["filing"], row["first_filed_on"], row["filed_late"]) == (
        "ENDED",
        "ACKNOWLEDGED",
        today,
        False,
    )
    filing_id = filed["id"]
    for entity_verb, subject in [
        ("contract.drafted", contract_id),
        ("contract.signed", contract_id),
        ("filing.filed", filing_id),
        ("filing.returned", filing_id),
        ("filing.refiled", filing_id),
        ("filing.acknowledged", filing_id),
        ("contract.activated", contract_id),
        ("contract.ended", contract_id),
    ]:
        wait_for_events(stack, entity_verb, subject)
    (signed_event,) = events(stack, "contract.signed", contract_id)
    assert signed_event.data["filing_due_on"] == filing["dueOn"]
    assert events(stack, "filing.returned", filing_id)[0].data["reason"] == "缺少服务清单附件"


def test_a_town_files_its_own_contracts_only(stack: Infra, api: Api, shared_agency: AgencyMade) -> None:
    today = china_today()
    own_id, own_filing = signed(api, shared_agency.id, DEMO_J, today, user=TOWN)
    assert own_filing["jurisdiction"]["id"] == DEMO_J
    filed = api.ok(TOWN, FILE, {"id": own_id})["fileServiceContract"]
    assert filed["status"] == "FILED" and filed["history"][0]["by"] == TOWN
    # Only the bureau returns or acknowledges.
    assert api.codes(TOWN, ACKNOWLEDGE, {"id": own_id}) == ["FORBIDDEN"]
    assert api.codes(TOWN, RETURN, {"id": own_id, "reason": "x"}) == ["FORBIDDEN"]

    elsewhere = new_jurisdiction(api)
    other_id = draft(api, shared_agency.id, elsewhere)
    # Another town's contract is, to this town, as unknown as an id that does not exist (issue 7).
    assert api.codes(TOWN, SIGN, {"id": other_id, "on": iso(today)}) == ["NOT_FOUND"]
    api.ok(BUREAU, SIGN, {"id": other_id, "on": iso(today)})
    assert api.codes(TOWN, FILE, {"id": other_id}) == ["NOT_FOUND"]
    assert api.codes(TOWN, CONTRACT, {"id": other_id}) == ["NOT_FOUND"]
    row = db(
        stack,
        "SELECT c.status, f.status AS filing, f.first_filed_on FROM service_contracts c JOIN filings f ON f.contract_id = c.id WHERE c.id = $1",
        uuid.UUID(other_id),
    )[0]
    assert (row["status"], row["filing"], row["first_filed_on"]) == ("SIGNED", "PENDING", None)
    assert (
        db_value(
            stack,
            "SELECT count(*) FROM filing_actions a JOIN filings f ON f.id = a.filing_id WHERE f.contract_id = $1",
            uuid.UUID(other_id),
        )
        == 0
    )


# ------------------------------------------------------------------------------------------ 6 due dates

DUE_DATES = [
    # signed on, due on (the 10th Chinese working day after, counted by hand on the 2026 schedule)
    pytest.param("2026-09-25", "2026-10-15", id="national-day: Sep 28-30, Oct 8, 9, Sat 10 (make-up), 12-15"),
    pytest.param("2026-02-12", "2026-03-04", id="spring-festival: Feb 13, Sat 14, 24-27, Sat 28, Mar 2-4"),
    pytest.param("2026-02-13", "2026-03-05", id="spring-festival: Sat Feb 14, 24-27, Sat 28, Mar 2-5"),
    pytest.param("2026-02-15", "2026-03-06", id="signed-on-a-holiday: Feb 24-27, Sat 28, Mar 2-6"),
    pytest.param("2026-04-29", "2026-05-15", id="labour-day: Apr 30, May 6-8, Sat 9 (make-up), 11-15"),
    pytest.param("2026-05-09", "2026-05-22", id="signed-on-a-make-up-day: May 11-15, 18-22"),
    pytest.param("2026-03-02", "2026-03-16", id="ordinary-fortnight"),
]


@pytest.mark.parametrize(("signed_on", "due_on"), DUE_DATES)
def test_filing_is_due_on_the_tenth_chinese_working_day(
    api: Api, shared_agency: AgencyMade, signed_on: str, due_on: str
) -> None:
    jurisdiction = new_jurisdiction(api)
    _, filing = signed(api, shared_agency.id, jurisdiction, day(signed_on))
    assert (filing["signedOn"], filing["dueOn"], filing["dueProvisional"]) == (signed_on, due_on, False)
    deadline = api.ok(BUREAU, ADD_WORKING_DAYS, {"start": signed_on, "n": 10})["addWorkingDays"]
    assert deadline == {"dueOn": due_on, "provisional": False}
    assert filing["standing"] == "OVERDUE" and filing["workingDaysLeft"] < 0


def test_a_contract_filed_after_its_due_date_is_filed_late(
    stack: Infra, api: Api, shared_agency: AgencyMade
) -> None:
    jurisdiction = new_jurisdiction(api)
    contract_id, filing = signed(api, shared_agency.id, jurisdiction, day("2026-09-25"))
    filed = api.ok(BUREAU, FILE, {"id": contract_id})["fileServiceContract"]
    assert filed["dueOn"] == "2026-10-15"
    assert filed["filedLate"] is True and filed["standing"] == "FILED_LATE"
    assert filed["firstFiledOn"] == iso(china_today())
    assert db_value(stack, "SELECT filed_late FROM filings WHERE id = $1", uuid.UUID(filing["id"])) is True
    (event,) = wait_for_events(stack, "filing.filed", filing["id"])
    assert event.data["filed_late"] is True


# ------------------------------------------------------------------------------------------ 7 the inbox


def _due_soon_signing_day(api: Api) -> dt.date:
    """The latest signing day whose filing is due within the next 3 working days (and not before today)."""
    today = china_today()
    starts = [today - dt.timedelta(days=k) for k in range(25)]
    aliases = " ".join(
        f'd{k}: addWorkingDays(start: "{iso(s)}", days: 10) {{ dueOn }}' for k, s in enumerate(starts)
    )
    data = api.ok(BUREAU, f'{{ soon: addWorkingDays(start: "{iso(today)}", days: 3) {{ dueOn }} {aliases} }}')
    soon = day(data["soon"]["dueOn"])
    for k, start in enumerate(starts):
        due = day(data[f"d{k}"]["dueOn"])
        if today < due <= soon:
            return start
    raise AssertionError("no signing day gives a due-soon filing")


def test_the_filings_inbox_by_standing_with_counts_filters_and_paging(
    api: Api, shared_agency: AgencyMade
) -> None:
    today = china_today()
    jurisdiction = new_jurisdiction(api)
    long_ago = today - dt.timedelta(days=45)
    made: dict[str, str] = {}
    for standing, on in [
        ("OVERDUE", long_ago),
        ("DUE_SOON", _due_soon_signing_day(api)),
        ("AWAITING", today),
        ("FILED_ON_TIME", today),
        ("FILED_LATE", long_ago),
    ]:
        contract_id, filing = signed(api, shared_agency.id, jurisdiction, on)
        if standing.startswith("FILED"):
            api.ok(BUREAU, FILE, {"id": contract_id})
        made[standing] = filing["id"]
    mine = {"jurisdictionId": jurisdiction}

    everything = api.ok(BUREAU, FILINGS, {"filter": mine, "first": 50})["filings"]
    assert everything["totalCount"] == 5
    by_id = {e["node"]["id"]: e["node"] for e in everything["edges"]}
    assert {by_id[i]["standing"]: i for i in made.values()} == made
    assert by_id[made["OVERDUE"]]["workingDaysLeft"] < 0
    assert 0 < by_id[made["DUE_SOON"]]["workingDaysLeft"] <= 3
    assert by_id[made["AWAITING"]]["workingDaysLeft"] == 10
    dues = [e["node"]["dueOn"] for e in everything["edges"]]
    assert dues == sorted(dues)  # DUE_ON ascending by default

    def ids(extra: dict[str, Any]) -> set[str]:
        page = api.ok(BUREAU, FILINGS, {"filter": {**mine, **extra}, "first": 50})["filings"]
        assert page["totalCount"] == len(page["edges"])
        return {e["node"]["id"] for e in page["edges"]}

    for standing, filing_id in made.items():
        assert ids({"standing": standing}) == {filing_id}, standing
    assert ids({"overdue": True}) == {made["OVERDUE"]}
    assert ids({"overdue": False}) == set(made.values()) - {made["OVERDUE"]}
    assert ids({"filedLate": True}) == {made["FILED_LATE"]}
    assert ids({"filedLate": False}) == {made["FILED_ON_TIME"]}
    assert ids({"dueWithinWorkingDays": 3}) == {made["DUE_SOON"]}
    assert ids({"dueWithinWorkingDays": 10}) == {made["DUE_SOON"], made["AWAITING"]}
    assert ids({"status": "PENDING"}) == {made["OVERDUE"], made["DUE_SOON"], made["AWAITING"]}
    assert ids({"status": "FILED"}) == {made["FILED_ON_TIME"], made["FILED_LATE"]}
    assert ids({"provisional": False}) == {i for i, n in by_id.items() if not n["dueProvisional"]}
    assert api.codes(BUREAU, FILINGS, {"filter": {**mine, "dueWithinWorkingDays": -1}}) == ["BAD_USER_INPUT"]

    counts = api.ok(BUREAU, FILING_COUNTS, {"filter": mine})["filingCounts"]
    assert counts == {"total": 5, "awaiting": 1, "dueSoon": 1, "overdue": 1, "filedOnTime": 1, "filedLate": 1}
    assert (
        api.ok(BUREAU, FILING_COUNTS, {"filter": {**mine, "status": "PENDING"}})["filingCounts"]["total"] == 3
    )

    # Relay paging: 2 + 2 + 1, in the same order as the whole list.
    seen: list[str] = []
    after: str | None = None
    pages = []
    while True:
        page = api.ok(BUREAU, FILINGS, {"filter": mine, "first": 2, "after": after})["filings"]
        assert page["totalCount"] == 5
        pages.append(page)
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [len(p["edges"]) for p in pages] == [2, 2, 1]
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True]
    assert seen == [e["node"]["id"] for e in everything["edges"]]
    assert pages[0]["pageInfo"]["startCursor"] == pages[0]["edges"][0]["cursor"]
    assert pages[0]["pageInfo"]["endCursor"] == pages[0]["edges"][-1]["cursor"]


def test_a_town_sees_only_its_own_jurisdictions_filings(api: Api, shared_agency: AgencyMade) -> None:
    today = china_today()
    elsewhere = new_jurisdiction(api)
    _, foreign = signed(api, shared_agency.id, elsewhere, today)
    _, own = signed(api, shared_agency.id, DEMO_J, today, user=TOWN)

    town = api.ok(TOWN, FILINGS, {"filter": None, "first": 200})["filings"]
    town_ids = {e["node"]["id"] for e in town["edges"]}
    assert own["id"] in town_ids and foreign["id"] not in town_ids
    assert {e["node"]["jurisdiction"]["id"] for e in town["edges"]} == {DEMO_J}
    assert api.ok(TOWN, FILINGS, {"filter": {"jurisdictionId": elsewhere}})["filings"]["totalCount"] == 0
    assert (
        api.ok(TOWN, FILING_COUNTS, {"filter": {"jurisdictionId": elsewhere}})["filingCounts"]["total"] == 0
    )
    town_counts = api.ok(TOWN, FILING_COUNTS, {"filter": None})["filingCounts"]
    bureau_counts = api.ok(BUREAU, FILING_COUNTS, {"filter": {"jurisdictionId": DEMO_J}})["filingCounts"]
    assert town_counts == bureau_counts and town_counts["total"] == town["totalCount"]
    bureau_all = api.ok(BUREAU, FILING_COUNTS, {"filter": None})["filingCounts"]
    assert bureau_all["total"] > town_counts["total"]


def test_an_overdue_filing_is_announced_exactly_once(
    stack: Infra, api: Api, shared_agency: AgencyMade
) -> None:
    today = china_today()
    jurisdiction = new_jurisdiction(api)
    _, first = signed(api, shared_agency.id, jurisdiction, today - dt.timedelta(days=40))
    _, current = signed(api, shared_agency.id, jurisdiction, today)
    (event,) = wait_for_events(stack, "filing.overdue", first["id"])
    assert event.data["id"] == first["id"] and event.data["due_on"] == first["dueOn"]
    announced = db_value(
        stack, "SELECT overdue_announced_at FROM filings WHERE id = $1", uuid.UUID(first["id"])
    )
    assert announced is not None
    # A second overdue filing announced later proves the check ran again after the first announcement.
    _, second = signed(api, shared_agency.id, jurisdiction, today - dt.timedelta(days=40))
    wait_for_events(stack, "filing.overdue", second["id"])
    wait_for(
        lambda: db_value(stack, "SELECT count(*) FROM outbox_events WHERE published_at IS NULL") == 0,
        timeout=20,
        what="outbox drained",
    )
    assert len(events(stack, "filing.overdue", first["id"])) == 1
    assert outbox_count(stack, "registry.filing.overdue", first["id"]) == 1
    assert events(stack, "filing.overdue", current["id"]) == []


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


def _matrix(
    bureau: Expect, town: Expect, admin: Expect, staff: Expect, procurement: Expect, enterprise: Expect
) -> dict[str, Expect]:
    return dict(zip(ALL_USERS, (bureau, town, admin, staff, procurement, enterprise), strict=True))


F = "FORBIDDEN"
NF = "NOT_FOUND"  # an id outside the caller's scope answers like an unknown one (issue 7)
CASES = [
    Case(
        "own-agency-with-history",
        "query($id: ID!) { agency(id: $id) { id statusHistory { toStatus reason } creditListings { source } } }",
        lambda w: {"id": DEMO_AGENCY},
        # The enterprise reads the name of the agency serving it, not its status history or credit record.
        _matrix("ok", "ok", "ok", "ok", "ok", F),
    ),
    Case(
        "other-agency-with-history",
        "query($id: ID!) { agency(id: $id) { id statusHistory { toStatus reason } creditListings { source } } }",
        lambda w: {"id": w.other_agency.id},
        _matrix("ok", "ok", NF, NF, "ok", F),
    ),
    Case(
        "agencies-searched-for-the-other-one",
        "query($q: String) { agencies(filter: {search: $q}) { totalCount } }",
        lambda w: {"q": w.other_agency.credit_code},
        _matrix(1, 1, 0, 0, 1, F),
    ),
    Case(
        "other-agencys-staff-file",
        "query($id: ID!) { staffMember(id: $id) { id username } }",
        lambda w: {"id": w.other_agency.staff[0]["id"]},
        _matrix("ok", "ok", NF, NF, "ok", F),
    ),
    Case(
        "own-staff-file",
        "query($id: ID!) { staffMember(id: $id) { id username } }",
        lambda w: {"id": w.demo_staff},
        _matrix("ok", "ok", "ok", "ok", "ok", F),
    ),
    Case(
        "other-agencys-staff-list",
        "query($a: ID!) { staff(filter: {agencyId: $a}) { totalCount } }",
        lambda w: {"a": w.other_agency.id},
        _matrix(5, 5, 0, 0, 5, F),
    ),
    Case(
        "town-contract-of-own-agency",
        "query($id: ID!) { serviceContract(id: $id) { id filing { id } } }",
        lambda w: {"id": w.town_contract},
        _matrix("ok", "ok", "ok", "ok", F, F),
    ),
    Case(
        "contract-elsewhere-of-other-agency",
        "query($id: ID!) { serviceContract(id: $id) { id filing { id } } }",
        lambda w: {"id": w.other_contract},
        _matrix("ok", NF, NF, NF, F, F),
    ),
    Case(
        "contracts-elsewhere",
        "query($j: ID!) { serviceContracts(filter: {jurisdictionId: $j}) { totalCount } }",
        lambda w: {"j": w.jurisdiction},
        _matrix(1, 0, 0, 0, F, F),
    ),
    Case(
        "filings-elsewhere",
        "query($j: ID!) { filings(filter: {jurisdictionId: $j}) { totalCount } }",
        lambda w: {"j": w.jurisdiction},
        _matrix(1, 0, 0, F, F, F),
    ),
    Case(
        "filing-counts-of-the-town",
        "query($j: ID!) { filingCounts(filter: {jurisdictionId: $j}) { total } }",
        lambda w: {"j": DEMO_J},
        _matrix("ok", "ok", "ok", F, F, F),
    ),
    Case(
        "jurisdictions-directory",
        "{ jurisdictions(first: 3) { totalCount edges { node { name } } } }",
        lambda w: {},
        _matrix("ok", "ok", "ok", "ok", "ok", "ok"),
    ),
    Case(
        "permit-check-of-other-agencys-staff",
        "query($id: ID!) { hasValidWorkPermit(staffId: $id) { valid } }",
        lambda w: {"id": w.other_agency.staff[0]["id"]},
        _matrix("ok", "ok", NF, NF, F, F),
    ),
    Case(
        "education-record-for-own-staff",
        'mutation($id: ID!) { addStaffRecord(input: {staffId: $id, kind: EDUCATION, on: "2026-03-01", topic: "排污许可培训", hours: "8"}) { id } }',
        lambda w: {"id": w.demo_staff},
        _matrix("ok", F, "ok", F, F, F),
    ),
    Case(
        "education-record-for-other-agencys-staff",
        'mutation($id: ID!) { addStaffRecord(input: {staffId: $id, kind: EDUCATION, on: "2026-03-01", topic: "排污许可培训", hours: "8"}) { id } }',
        lambda w: {"id": w.other_agency.staff[0]["id"]},
        _matrix("ok", F, NF, F, F, F),
    ),
    Case(
        "refuse-an-application",
        CHANGE_STATUS,
        _fresh_application,
        _matrix("ok", F, F, F, F, F),
    ),
    Case(
        "draft-a-contract-elsewhere",
        "mutation($input: CreateContractInput!) { createServiceContract(input: $input) { id } }",
        lambda w: {"input": contract_input(w.other_agency.id, w.scratch)},
        _matrix("ok", F, F, F, F, F),
    ),
    Case(
        "file-a-contract-elsewhere",
        "mutation($id: ID!) { fileServiceContract(id: $id) { id } }",
        _fresh_signed_contract,
        _matrix("ok", NF, F, F, F, F),
    ),
    Case(
        # Authorised, but there is nothing to remove: proves the role check without changing the calendar.
        "edit-the-calendar",
        'mutation { removeCalendarEntry(day: "2005-03-15") { year } }',
        lambda w: {},
        _matrix("NOT_FOUND", F, F, F, F, F),
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


# ------------------------------------------------------------------------------------------ 8 next year's calendar
# Last in the file: confirming a year is one-way and changes the calendar for the rest of the session.


def test_zz_a_due_date_in_an_unconfirmed_year_is_provisional_until_the_bureau_confirms_it(
    stack: Infra, api: Api, shared_agency: AgencyMade
) -> None:
    today = china_today()
    year = today.year + 1
    assert api.ok(BUREAU, CALENDAR_YEAR, {"y": year})["calendarYear"]["confirmed"] is False, "precondition"
    new_year = next(d for d in (dt.date(year, 1, k) for k in range(1, 8)) if d.weekday() < 5)

    # An unknown kind of day is refused and writes nothing.
    before = api.ok(BUREAU, CALENDAR_YEAR, {"y": year})["calendarYear"]["entries"]
    assert api.codes(BUREAU, SET_ENTRY, {"day": iso(new_year), "kind": "FEIERTAG", "name": "元旦"}) == [
        "UNKNOWN_DAY_KIND"
    ]
    assert api.ok(BUREAU, CALENDAR_YEAR, {"y": year})["calendarYear"]["entries"] == before
    assert db_value(stack, "SELECT count(*) FROM calendar_days WHERE day = $1", new_year) == 0
    assert outbox_count(stack, "registry.calendar.day_set", iso(new_year)) == 0

    # The issue's example, signing on 28 December, cannot be recorded before that day comes.
    jurisdiction = new_jurisdiction(api)
    future = dt.date(today.year, 12, 28)
    if future > today:
        contract_id = draft(api, shared_agency.id, jurisdiction)
        body = api.call(BUREAU, SIGN, {"id": contract_id, "on": iso(future)})
        assert error_codes(body) == ["VALIDATION_FAILED"] and violations(body) == ["signedOn"]

    # So make the rest of this year days off for a moment: a contract signed today is then due in
    # January of next year, on a calendar nobody has confirmed yet.
    days_off = [
        today + dt.timedelta(days=k)
        for k in range(1, (dt.date(today.year, 12, 31) - today).days + 1)
        if (today + dt.timedelta(days=k)).weekday() < 5
    ]
    entries = api.ok(BUREAU, CALENDAR_YEAR, {"y": today.year})["calendarYear"]["entries"]
    taken = {e["day"] for e in entries}
    assert not [e for e in entries if e["kind"] == "MAKEUP_WORKDAY" and e["day"] > iso(today)], "precondition"
    days_off = [d for d in days_off if iso(d) not in taken]
    try:
        for off in days_off:
            api.ok(BUREAU, SET_ENTRY, {"day": iso(off), "kind": "HOLIDAY", "name": "测试停工"})
        contract_id, filing = signed(api, shared_agency.id, jurisdiction, today)
        weekdays = [
            d for d in (dt.date(year, 1, 1) + dt.timedelta(days=k) for k in range(30)) if d.weekday() < 5
        ]
        assert (filing["dueOn"], filing["dueProvisional"]) == (iso(weekdays[9]), True)
        provisional = api.ok(
            BUREAU, FILINGS, {"filter": {"jurisdictionId": jurisdiction, "provisional": True}}
        )
        assert [e["node"]["id"] for e in provisional["filings"]["edges"]] == [filing["id"]]

        # The bureau enters New Year's Day: the pending deadline moves with it, still provisional.
        api.ok(BUREAU, SET_ENTRY, {"day": iso(new_year), "kind": "HOLIDAY", "name": "元旦"})
        expected_due = [d for d in weekdays if d != new_year][9]
        moved = api.ok(BUREAU, CONTRACT, {"id": contract_id})["serviceContract"]["filing"]
        assert (moved["dueOn"], moved["dueProvisional"]) == (iso(expected_due), True)

        # Confirming the year makes the deadline final and the event lists the filing.
        confirmed = api.ok(BUREAU, CONFIRM_YEAR, {"y": year})["confirmCalendarYear"]
        assert confirmed["confirmed"] is True
        assert {"day": iso(new_year), "kind": "HOLIDAY"} in confirmed["entries"]
        final = api.ok(BUREAU, CONTRACT, {"id": contract_id})["serviceContract"]["filing"]
        assert (final["dueOn"], final["dueProvisional"]) == (iso(expected_due), False)
        stored = db(
            stack, "SELECT due_on, due_provisional FROM filings WHERE id = $1", uuid.UUID(filing["id"])
        )
        assert tuple(stored[0]) == (expected_due, False)
        row = db(stack, "SELECT confirmed, confirmed_by FROM calendar_years WHERE year = $1", year)[0]
        assert (row["confirmed"], row["confirmed_by"]) == (True, BUREAU)
        (event,) = wait_for_events(stack, "calendar.year_confirmed", str(year))
        assert event.data["year"] == year
        changes = [c for c in event.data["changed_filings"] if c["filing_id"] == filing["id"]]
        assert changes == [
            {
                "filing_id": filing["id"],
                "contract_id": contract_id,
                "old_due_on": iso(expected_due),
                "new_due_on": iso(expected_due),
                "provisional": False,
            }
        ]
        assert api.codes(BUREAU, CONFIRM_YEAR, {"y": year}) == ["ALREADY_CONFIRMED"]
        assert (
            api.ok(BUREAU, ADD_WORKING_DAYS, {"start": iso(dt.date(year, 1, 4)), "n": 1})["addWorkingDays"][
                "provisional"
            ]
            is False
        )
    finally:
        for off in days_off:
            api.call(BUREAU, REMOVE_ENTRY, {"day": iso(off)})
    # With this year's days back, the pending deadline is back in this year, and final.
    restored = api.ok(BUREAU, CONTRACT, {"id": contract_id})["serviceContract"]["filing"]
    expected = api.ok(BUREAU, ADD_WORKING_DAYS, {"start": iso(today), "n": 10})["addWorkingDays"]
    assert (restored["dueOn"], restored["dueProvisional"]) == (expected["dueOn"], expected["provisional"])
