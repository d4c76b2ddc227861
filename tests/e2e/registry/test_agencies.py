"""Agencies: admission, credit listings, noncompliance and the Keycloak accounts of admins and staff.

The conventions of every registry e2e test are in ``tests.e2e.registry`` (its docstring)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ecosteward.clock import china_today
from ecosteward.events import EventEnvelope
from tests.e2e.helpers import (
    QUALIFYING_STAFF,
    Api,
    Keycloak,
    db,
    db_value,
    events,
    iso,
    outbox_count,
    publish_event,
    staff_input,
    unique,
    violations,
    wait_for_events,
    wait_for_value,
)
from tests.e2e.registry.documents import (
    ADD_STAFF,
    AGENCY,
    CHANGE_STATUS,
    DEPART,
    END_CREDIT,
    LIST_CREDIT,
    RESET_PASSWORD,
)
from tests.e2e.registry.support import Accounts, add_staff, admitted_agency, register_agency
from tests.e2e.users import (
    ADMIN,
    BUREAU,
    DEMO_J,
    PROCUREMENT,
    TOWN,
)
from tests.support import Infra, error_codes, wait_for

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

    publish_event(stack, copy)
    wait_for_value(
        stack,
        "SELECT count(*) FROM inbox_events WHERE event_id = $1",
        copy.id,
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
            "input": staff_input(
                agency.id,
                username,
                name="冒名者",
                email=f"{username}@agency.ecosteward.local",
                title="JUNIOR",
                professional=False,
            )
        },
    )
    if "errors" not in body:
        staff_id = body["data"]["addStaff"]["id"]
        (added,) = wait_for_events(stack, "staff.added", staff_id)
        wait_for_value(
            stack,
            "SELECT count(*) FROM inbox_events WHERE event_id = $1",
            added.id,
            timeout=20,
            what="staff.added handled",
        )
        wait_for_value(
            stack,
            "SELECT count(*) FROM keycloak_accounts WHERE username = $1 AND (status = 'SYNCED' OR attempts > 0)",
            username,
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
