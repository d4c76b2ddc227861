"""Work permits: issue, revoke, distinct numbers.

The conventions of every registry e2e test are in ``tests.e2e.registry`` (its docstring)."""

from __future__ import annotations

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ecosteward.clock import china_date, china_today
from tests.e2e.helpers import (
    Api,
    db,
    db_value,
    iso,
    wait_for_events,
)
from tests.e2e.registry.documents import (
    HAS_PERMIT,
    ISSUE_PERMIT,
    PERMITS_OF,
    REVOKE_PERMIT,
    STAFF_OF,
)
from tests.e2e.registry.support import AgencyMade, new_jurisdiction
from tests.e2e.users import (
    BUREAU,
    DEMO_AGENCY,
    DEMO_J,
    TOWN,
)
from tests.support import Infra, error_codes

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
