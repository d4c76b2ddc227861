"""The visits use cases on SQLite with the real unit of work and the inspection migrations.

Each use case: the row it writes, the event it leaves in the outbox (exact wire data), and refusals
that change nothing (no row, no event). Ends with the service's access table: role × operation ×
own/other scope → allowed or refused.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ecosteward.identity import Principal, Role
from services.inspection import access
from services.inspection.base import TABLES
from services.inspection.copies import (
    ContractScopeRow,
    KnownEnterpriseRow,
    KnownJurisdictionRow,
    WorkPermitRow,
)
from services.inspection.visits import service
from services.inspection.visits.models import FindingRow, InspectionRow
from tests.service.support import ServiceDb, allowed, refusal_code, refused_without_change, service_db

TODAY = dt.date(2026, 5, 20)
VISIT = dt.date(2026, 5, 18)
TOWN, OTHER_TOWN = uuid.UUID(int=11), uuid.UUID(int=12)
AGENCY, OTHER_AGENCY = uuid.UUID(int=21), uuid.UUID(int=22)
ENTERPRISE, OTHER_ENTERPRISE = uuid.UUID(int=31), uuid.UUID(int=32)
STAFF_NAME = "field.worker"


def person(role: Role, *, username: str = "someone", **claims: uuid.UUID) -> Principal:
    return Principal(subject=f"sub-{username}", username=username, roles=frozenset({role}), **claims)


BUREAU = person(Role.BUREAU_OFFICER, username="bureau")
STAFF = person(Role.AGENCY_STAFF, username=STAFF_NAME, agency_id=AGENCY)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[ServiceDb]:
    """Two enterprises in two towns; the agency's live contract (managed by the first town) covers the
    first; the staff member holds a permit valid all year."""
    async with service_db("inspection", TABLES, tmp_path) as database:
        async with database.unit_of_work() as uow:
            uow.session.add_all(
                [
                    KnownJurisdictionRow(id=TOWN, kind="TOWN"),
                    KnownJurisdictionRow(id=OTHER_TOWN, kind="TOWN"),
                    KnownEnterpriseRow(id=ENTERPRISE, jurisdiction_id=TOWN, name="甲企业"),
                    KnownEnterpriseRow(id=OTHER_ENTERPRISE, jurisdiction_id=OTHER_TOWN, name="乙企业"),
                    ContractScopeRow(
                        id=uuid.UUID(int=41),
                        agency_id=AGENCY,
                        jurisdiction_id=TOWN,
                        status="ACTIVE",
                        starts_on=dt.date(2026, 1, 1),
                        ends_on=dt.date(2026, 12, 31),
                        scope_jurisdiction_ids=[str(TOWN)],
                        scope_enterprise_ids=[],
                    ),
                    WorkPermitRow(
                        id=uuid.UUID(int=51),
                        staff_id=uuid.UUID(int=52),
                        staff_username=STAFF_NAME,
                        agency_id=AGENCY,
                        valid_from=dt.date(2026, 1, 1),
                        valid_to=dt.date(2026, 12, 31),
                    ),
                ]
            )
        yield database


async def record(db: ServiceDb, actor: Principal, **changes: Any) -> InspectionRow:
    values: dict[str, Any] = {
        "enterprise_id": ENTERPRISE,
        "visited_on": VISIT,
        "summary": "  例行巡查  ",
        "agency_id": None,
        "today": TODAY,
    }
    return await db.call(service.record_inspection, actor, **(values | changes))


async def find(db: ServiceDb, actor: Principal, inspection_id: uuid.UUID, **changes: Any) -> FindingRow:
    values: dict[str, Any] = {
        "inspection_id": inspection_id,
        "category": "WASTE_GAS_FACILITIES",
        "description": " 活性炭未更换 ",
        "legal_basis": " 大气法第四十五条 ",
        "handling_class": "FIX_BY_DEADLINE",
        "deadline": dt.date(2026, 6, 30),
    }
    return await db.call(service.record_finding, actor, **(values | changes))


# ------------------------------------------------------------------------------------------ record_inspection


async def test_staff_record_a_visit_for_their_agency_and_the_event_carries_it(db: ServiceDb) -> None:
    row = await record(db, STAFF)
    assert (row.agency_id, row.jurisdiction_id, row.inspector_username) == (AGENCY, TOWN, STAFF_NAME)
    assert (row.summary, row.status, row.visited_on) == ("例行巡查", "RECORDED", VISIT)
    (event,) = await db.events("inspection.inspection.recorded")
    assert event["subject"] == str(row.id)
    assert event["data"] == {
        "id": str(row.id),
        "enterprise_id": str(ENTERPRISE),
        "agency_id": str(AGENCY),
        "jurisdiction_id": str(TOWN),
        "inspector_username": STAFF_NAME,
        "visited_on": "2026-05-18",
    }


async def test_the_bureau_names_the_agency_and_is_not_bound_by_contracts(db: ServiceDb) -> None:
    row = await record(db, BUREAU, enterprise_id=OTHER_ENTERPRISE, agency_id=OTHER_AGENCY)
    assert (row.agency_id, row.jurisdiction_id, row.inspector_username) == (
        OTHER_AGENCY,
        OTHER_TOWN,
        "bureau",
    )
    assert len(await db.events()) == 1


@pytest.mark.parametrize(
    ("actor", "changes", "code"),
    [
        (BUREAU, {}, "VALIDATION_FAILED"),  # the bureau must name the agency
        (STAFF, {"visited_on": TODAY + dt.timedelta(days=1)}, "VALIDATION_FAILED"),
        (STAFF, {"summary": "   "}, "VALIDATION_FAILED"),
        (STAFF, {"agency_id": OTHER_AGENCY}, "FORBIDDEN"),
        (STAFF, {"enterprise_id": uuid.UUID(int=99)}, "NOT_FOUND"),
        (STAFF, {"enterprise_id": OTHER_ENTERPRISE}, "NOT_FOUND"),  # outside the contract: unseen
        (STAFF, {"visited_on": dt.date(2025, 12, 31)}, "OUT_OF_CONTRACT_SCOPE"),
        (
            person(Role.AGENCY_STAFF, username="no.permit", agency_id=AGENCY),
            {},
            "PERMIT_INVALID",
        ),
        (person(Role.AGENCY_STAFF, username="no.claim"), {}, "FORBIDDEN"),
    ],
)
async def test_refused_visits_change_nothing(
    db: ServiceDb, actor: Principal, changes: dict[str, Any], code: str
) -> None:
    assert await refused_without_change(db, record(db, actor, **changes), InspectionRow) == code


# ------------------------------------------------------------------------------------------ record_finding


async def test_a_finding_copies_the_visit_owners_and_the_event_carries_it(db: ServiceDb) -> None:
    visit = await record(db, STAFF)
    row = await find(db, STAFF, visit.id)
    assert (row.inspection_id, row.enterprise_id, row.agency_id, row.jurisdiction_id) == (
        visit.id,
        ENTERPRISE,
        AGENCY,
        TOWN,
    )
    assert (row.description, row.legal_basis, row.status) == ("活性炭未更换", "大气法第四十五条", "FOUND")
    (event,) = await db.events("inspection.finding.recorded")
    assert event["data"] == {
        "id": str(row.id),
        "inspection_id": str(visit.id),
        "enterprise_id": str(ENTERPRISE),
        "agency_id": str(AGENCY),
        "jurisdiction_id": str(TOWN),
        "category": "WASTE_GAS_FACILITIES",
        "handling_class": "FIX_BY_DEADLINE",
        "deadline": "2026-06-30",
    }
    immediate = await find(db, BUREAU, visit.id, handling_class="IMMEDIATE_FIX", deadline=None)
    (_, second) = await db.events("inspection.finding.recorded")
    assert second["data"]["id"] == str(immediate.id) and second["data"]["deadline"] is None


@pytest.mark.parametrize(
    ("actor", "changes", "code"),
    [
        (STAFF, {"deadline": None}, "VALIDATION_FAILED"),  # fix-by-deadline needs one
        (STAFF, {"deadline": VISIT - dt.timedelta(days=1)}, "VALIDATION_FAILED"),
        (STAFF, {"handling_class": "IMMEDIATE_FIX"}, "VALIDATION_FAILED"),
        (STAFF, {"description": ""}, "VALIDATION_FAILED"),
        (STAFF, {"inspection_id": uuid.UUID(int=98)}, "NOT_FOUND"),
        (person(Role.AGENCY_STAFF, username="x", agency_id=OTHER_AGENCY), {}, "NOT_FOUND"),
        (person(Role.AGENCY_STAFF, username="no.permit", agency_id=AGENCY), {}, "PERMIT_INVALID"),
        (person(Role.PROCUREMENT_OFFICER), {}, "FORBIDDEN"),
    ],
)
async def test_refused_findings_change_nothing(
    db: ServiceDb, actor: Principal, changes: dict[str, Any], code: str
) -> None:
    visit = await record(db, STAFF)
    target = changes.pop("inspection_id", visit.id)
    assert await refusal_code(find(db, actor, target, **changes)) == code
    assert await db.count(FindingRow) == 0
    assert [e["type"] for e in await db.events()] == ["inspection.inspection.recorded"]


async def test_a_finding_on_a_visit_whose_contract_lapsed_is_out_of_contract_scope(db: ServiceDb) -> None:
    visit = await record(db, STAFF)
    async with db.unit_of_work() as uow:
        await uow.session.execute(sa.update(ContractScopeRow).values(status="TERMINATED"))
    assert (
        await refusal_code(find(db, STAFF, visit.id)) == "OUT_OF_CONTRACT_SCOPE"
    )  # the visit is visible: no NOT_FOUND
    assert await db.count(FindingRow) == 0


# ------------------------------------------------------------------------------------------ access table

OWN, OTHER = "own", "other"

ACTORS: dict[str, Callable[[str], Principal]] = {
    "bureau": lambda _: BUREAU,
    "town": lambda side: person(Role.TOWN_OFFICER, jurisdiction_id=TOWN if side == OWN else OTHER_TOWN),
    "agency_admin": lambda side: person(
        Role.AGENCY_ADMIN, username="admin", agency_id=AGENCY if side == OWN else OTHER_AGENCY
    ),
    "agency_staff": lambda side: person(
        Role.AGENCY_STAFF, username=STAFF_NAME, agency_id=AGENCY if side == OWN else OTHER_AGENCY
    ),
    "procurement": lambda _: person(Role.PROCUREMENT_OFFICER),
    "enterprise": lambda side: person(
        Role.ENTERPRISE_USER, enterprise_id=ENTERPRISE if side == OWN else OTHER_ENTERPRISE
    ),
}

# role, scope side → (read the visit, record a visit, record a finding on the visit)
CASES: dict[tuple[str, str], tuple[bool, bool, bool]] = {
    ("bureau", OWN): (True, True, True),
    ("town", OWN): (True, False, False),
    ("town", OTHER): (False, False, False),
    ("agency_admin", OWN): (True, False, False),
    ("agency_admin", OTHER): (False, False, False),
    ("agency_staff", OWN): (True, True, True),
    ("agency_staff", OTHER): (False, False, False),
    ("procurement", OWN): (False, False, False),
    ("enterprise", OWN): (True, False, False),
    ("enterprise", OTHER): (False, False, False),
}


@pytest.mark.parametrize(("who", "side"), list(CASES))
async def test_access_table(db: ServiceDb, who: str, side: str) -> None:
    visit = await record(db, STAFF)  # the own agency's visit to the own town's enterprise
    actor = ACTORS[who](side)

    async def read() -> object:
        return await db.load_in_scope(InspectionRow, visit.id, "Inspection", access.data_scope(actor))

    async def record_visit() -> object:
        return await record(db, actor, agency_id=AGENCY if who == "bureau" else None)

    async def record_finding() -> object:
        return await find(db, actor, visit.id)

    outcome = (
        await allowed(read, actor, access.READER_ROLES),
        await allowed(record_visit, actor, access.RECORDER_ROLES),
        await allowed(record_finding, actor, access.RECORDER_ROLES),
    )
    assert outcome == CASES[(who, side)]
