"""Contracts and filings: the contract workflow, due dates, the filings inbox, and next year's calendar.

The conventions of every registry e2e test are in ``tests.e2e.registry`` (its docstring).

The fixed calendar examples of 2026 lie in the past (signing may be backdated, never future-dated). The
test that confirms next year's calendar is the last of the file: confirming is one-way, and no other
test depends on that year."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from ecosteward.clock import china_today
from tests.e2e.helpers import (
    Api,
    day,
    db,
    db_value,
    events,
    iso,
    outbox_count,
    violations,
    wait_for_events,
)
from tests.e2e.registry.documents import (
    ACKNOWLEDGE,
    ADD_WORKING_DAYS,
    CALENDAR_YEAR,
    CONFIRM_YEAR,
    CONTRACT,
    CONTRACTS_IN,
    CREATE_CONTRACT,
    END_CONTRACT,
    FILE,
    FILING_COUNTS,
    FILINGS,
    REMOVE_ENTRY,
    RETURN,
    SET_ENTRY,
    SIGN,
)
from tests.e2e.registry.support import (
    AgencyMade,
    contract_input,
    draft,
    new_jurisdiction,
    register_agency,
    signed,
)
from tests.e2e.users import (
    BUREAU,
    DEMO_AGENCY,
    DEMO_J,
    TOWN,
)
from tests.support import Infra, error_codes, wait_for

# ------------------------------------------------------------------------------------------ 5 contracts


def contract_and_filing(stack: Infra, contract_id: str) -> tuple[str, str, dt.date | None, bool | None]:
    """(contract status, filing status, first filed on, filed late) as stored."""
    row = db(
        stack,
        "SELECT c.status, f.status AS filing, f.first_filed_on, f.filed_late FROM service_contracts c"
        " JOIN filings f ON f.contract_id = c.id WHERE c.id = $1",
        uuid.UUID(contract_id),
    )[0]
    return (row["status"], row["filing"], row["first_filed_on"], row["filed_late"])


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

    assert contract_and_filing(stack, contract_id) == ("ENDED", "ACKNOWLEDGED", today, False)
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
    assert contract_and_filing(stack, other_id)[:3] == ("SIGNED", "PENDING", None)
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

    # The example, signing on 28 December, cannot be recorded before that day comes.
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
