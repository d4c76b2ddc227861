"""The reports use case on SQLite with the real unit of work and the reporting migrations.

The row it writes, the event it leaves in the outbox (exact wire data), refusals that change
nothing, and the service's access table: role × operation × own/other scope.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from ecosteward.identity import Principal, Role
from services.reporting import access
from services.reporting.base import TABLES
from services.reporting.copies import KnownJurisdictionRow
from services.reporting.reports import service
from services.reporting.reports.models import ReportRow
from tests.service.support import ServiceDb, allowed, refusal_code, refused_without_change, service_db

TOWN, OTHER_TOWN = uuid.UUID(int=11), uuid.UUID(int=12)
TODAY = dt.date(2026, 10, 8)
SUBMITTED_AT = dt.datetime(2026, 10, 8, 2, 30, tzinfo=dt.UTC)


def person(role: Role, **claims: uuid.UUID) -> Principal:
    return Principal(subject="sub", username="someone", roles=frozenset({role}), **claims)


BUREAU = person(Role.BUREAU_OFFICER)
TOWN_OFFICER = person(Role.TOWN_OFFICER, jurisdiction_id=TOWN)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[ServiceDb]:
    async with service_db("reporting", TABLES, tmp_path) as database:
        async with database.unit_of_work() as uow:
            uow.session.add_all(
                [
                    KnownJurisdictionRow(id=TOWN, code="T1", name="甲镇", kind="TOWN"),
                    KnownJurisdictionRow(id=OTHER_TOWN, code="T2", name="乙镇", kind="TOWN"),
                ]
            )
        yield database


async def submit(db: ServiceDb, actor: Principal = TOWN_OFFICER, **changes: Any) -> ReportRow:
    values: dict[str, Any] = {
        "jurisdiction_id": TOWN,
        "kind": "QUARTERLY",
        "year": 2026,
        "quarter": 3,
        "summary": "  三季度工作总结  ",
        "today": TODAY,
        "submitted_at": SUBMITTED_AT,
    }
    return await db.call(service.submit_report, actor, **(values | changes))


async def test_a_town_submits_its_quarterly_report_and_the_event_carries_it(db: ServiceDb) -> None:
    row = await submit(db)
    assert (row.period, row.status, row.summary, row.submitted_at) == (
        "2026-Q3",
        "SUBMITTED",
        "三季度工作总结",
        SUBMITTED_AT,
    )
    (event,) = await db.events("reporting.report.submitted")
    assert event["subject"] == str(row.id)
    assert event["data"] == {
        "id": str(row.id),
        "jurisdiction_id": str(TOWN),
        "kind": "QUARTERLY",
        "year": 2026,
        "quarter": 3,
        "period": "2026-Q3",
        "submitted_at": "2026-10-08T02:30:00+00:00",
        "due_on": "2026-09-30",
    }


async def test_an_annual_report_has_no_quarter(db: ServiceDb) -> None:
    await submit(db, BUREAU, kind="ANNUAL", quarter=None, jurisdiction_id=OTHER_TOWN)
    (event,) = await db.events()
    assert (event["data"]["quarter"], event["data"]["period"], event["data"]["due_on"]) == (
        None,
        "2026",
        "2026-12-31",
    )


@pytest.mark.parametrize(
    ("actor", "changes", "code"),
    [
        (TOWN_OFFICER, {"jurisdiction_id": OTHER_TOWN}, "FORBIDDEN"),
        (BUREAU, {"jurisdiction_id": uuid.UUID(int=99)}, "UNKNOWN_JURISDICTION"),
        (TOWN_OFFICER, {"year": 2027, "quarter": 1}, "VALIDATION_FAILED"),  # not begun yet
        (TOWN_OFFICER, {"kind": "ANNUAL"}, "VALIDATION_FAILED"),  # an annual report names no quarter
        (TOWN_OFFICER, {"summary": " "}, "VALIDATION_FAILED"),
        (person(Role.AGENCY_ADMIN, agency_id=uuid.UUID(int=21)), {}, "FORBIDDEN"),
    ],
)
async def test_refused_reports_change_nothing(
    db: ServiceDb, actor: Principal, changes: dict[str, Any], code: str
) -> None:
    assert await refused_without_change(db, submit(db, actor, **changes), ReportRow) == code


async def test_a_second_report_for_the_period_is_a_conflict_and_changes_nothing(db: ServiceDb) -> None:
    await submit(db)
    assert await refusal_code(submit(db, BUREAU, summary="again")) == "CONFLICT"
    assert await db.count(ReportRow) == 1
    assert len(await db.events()) == 1


# ------------------------------------------------------------------------------------------ access table

OWN, OTHER = "own", "other"

ACTORS: dict[str, Callable[[str], Principal]] = {
    "bureau": lambda _: BUREAU,
    "town": lambda side: person(Role.TOWN_OFFICER, jurisdiction_id=TOWN if side == OWN else OTHER_TOWN),
    "agency_admin": lambda _: person(Role.AGENCY_ADMIN, agency_id=uuid.UUID(int=21)),
    "procurement": lambda _: person(Role.PROCUREMENT_OFFICER),
    "enterprise": lambda _: person(Role.ENTERPRISE_USER, enterprise_id=uuid.UUID(int=31)),
}

# role, scope side → (read the town's report, submit the town's next report)
CASES: dict[tuple[str, str], tuple[bool, bool]] = {
    ("bureau", OWN): (True, True),
    ("town", OWN): (True, True),
    ("town", OTHER): (False, False),
    ("agency_admin", OWN): (False, False),
    ("procurement", OWN): (False, False),
    ("enterprise", OWN): (False, False),
}


@pytest.mark.parametrize(("who", "side"), list(CASES))
async def test_access_table(db: ServiceDb, who: str, side: str) -> None:
    report = await submit(db, quarter=2)
    actor = ACTORS[who](side)

    async def read() -> object:
        return await db.load_in_scope(ReportRow, report.id, "Report", access.data_scope(actor))

    async def submit_next() -> object:
        return await submit(db, actor, quarter=3)

    outcome = (
        await allowed(read, actor, access.READER_ROLES),
        await allowed(submit_next, actor, access.SUBMITTER_ROLES),
    )
    assert outcome == CASES[(who, side)]
