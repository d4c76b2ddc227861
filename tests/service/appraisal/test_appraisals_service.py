"""The appraisals use cases on SQLite with the real unit of work and the appraisal migrations.

Each use case: the row it writes, the event it leaves in the outbox (exact wire data), and refusals
that change nothing. Ends with the service's access table: role × operation × own/other scope.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ecosteward.identity import Principal, Role
from services.appraisal import access
from services.appraisal.appraisals import service
from services.appraisal.appraisals.models import AppraisalRow
from services.appraisal.base import TABLES
from services.appraisal.copies import KnownContractRow
from tests.service.support import ServiceDb, allowed, refusal_code, refused_without_change, service_db

CONTRACT = uuid.UUID(int=1)
TOWN, OTHER_TOWN = uuid.UUID(int=11), uuid.UUID(int=12)
AGENCY, OTHER_AGENCY = uuid.UUID(int=21), uuid.UUID(int=22)


def person(role: Role, **claims: uuid.UUID) -> Principal:
    return Principal(subject="sub", username="someone", roles=frozenset({role}), **claims)


BUREAU = person(Role.BUREAU_OFFICER)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[ServiceDb]:
    async with service_db("appraisal", TABLES, tmp_path) as database:
        async with database.unit_of_work() as uow:
            uow.session.add(KnownContractRow(id=CONTRACT, agency_id=AGENCY, jurisdiction_id=TOWN))
        yield database


async def create(db: ServiceDb, actor: Principal = BUREAU, **changes: Any) -> AppraisalRow:
    values: dict[str, Any] = {"contract_id": CONTRACT, "period": "2026-Q3", "total_score": Decimal("87.5")}
    return await db.call(service.create_appraisal, actor, **(values | changes))


async def finalise(db: ServiceDb, appraisal_id: uuid.UUID, actor: Principal = BUREAU) -> AppraisalRow:
    return await db.call(service.finalise_appraisal, actor, appraisal_id)


async def rows(db: ServiceDb) -> list[tuple[str, int, str]]:
    async with db.sessions() as session:
        result = await session.execute(
            sa.select(AppraisalRow.period, AppraisalRow.total_score_tenths, AppraisalRow.status)
        )
        return [tuple(r) for r in result.all()]  # type: ignore[misc]


async def test_create_takes_agency_and_jurisdiction_from_the_contract_and_publishes_the_draft(
    db: ServiceDb,
) -> None:
    row = await create(db)
    assert (row.agency_id, row.jurisdiction_id, row.period, row.total_score_tenths, row.status) == (
        AGENCY,
        TOWN,
        "2026-Q3",
        875,
        "DRAFT",
    )
    (event,) = await db.events("appraisal.appraisal.created")
    assert event["subject"] == str(row.id)
    assert event["data"] == {
        "id": str(row.id),
        "contract_id": str(CONTRACT),
        "agency_id": str(AGENCY),
        "jurisdiction_id": str(TOWN),
        "period": "2026-Q3",
        "total_score": "87.5",
        "status": "DRAFT",
    }


async def test_finalise_publishes_the_final_appraisal_once(db: ServiceDb) -> None:
    draft = await create(db, total_score=Decimal("90"))
    final = await finalise(db, draft.id)
    assert final.status == "FINAL"
    (event,) = await db.events("appraisal.appraisal.finalised")
    assert event["data"]["status"] == "FINAL" and event["data"]["total_score"] == "90.0"
    assert await refusal_code(finalise(db, draft.id)) == "ALREADY_FINAL"
    assert await rows(db) == [("2026-Q3", 900, "FINAL")]
    assert len(await db.events()) == 2


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"contract_id": uuid.UUID(int=99)}, "UNKNOWN_CONTRACT"),
        ({"period": "2026-Q5"}, "VALIDATION_FAILED"),
        ({"total_score": Decimal("100.1")}, "VALIDATION_FAILED"),
        ({"total_score": Decimal("87.55")}, "VALIDATION_FAILED"),
    ],
)
async def test_refused_appraisals_change_nothing(db: ServiceDb, changes: dict[str, Any], code: str) -> None:
    assert await refused_without_change(db, create(db, **changes), AppraisalRow) == code


async def test_a_second_appraisal_of_the_period_is_a_conflict_and_changes_nothing(db: ServiceDb) -> None:
    await create(db)
    assert await refusal_code(create(db, total_score=Decimal("60"))) == "CONFLICT"
    assert await rows(db) == [("2026-Q3", 875, "DRAFT")]
    assert len(await db.events()) == 1


async def test_finalising_an_unknown_appraisal_is_not_found(db: ServiceDb) -> None:
    assert await refusal_code(finalise(db, uuid.UUID(int=98))) == "NOT_FOUND"
    assert await db.events() == []


# ------------------------------------------------------------------------------------------ access table

OWN, OTHER = "own", "other"

ACTORS: dict[str, Callable[[str], Principal]] = {
    "bureau": lambda _: BUREAU,
    "procurement": lambda _: person(Role.PROCUREMENT_OFFICER),
    "agency_admin": lambda side: person(Role.AGENCY_ADMIN, agency_id=AGENCY if side == OWN else OTHER_AGENCY),
    "agency_staff": lambda side: person(Role.AGENCY_STAFF, agency_id=AGENCY if side == OWN else OTHER_AGENCY),
    "town": lambda side: person(Role.TOWN_OFFICER, jurisdiction_id=TOWN if side == OWN else OTHER_TOWN),
    "enterprise": lambda _: person(Role.ENTERPRISE_USER, enterprise_id=uuid.UUID(int=31)),
}

# role, scope side → (read the appraisal, create one, finalise it)
CASES: dict[tuple[str, str], tuple[bool, bool, bool]] = {
    ("bureau", OWN): (True, True, True),
    ("procurement", OWN): (True, False, False),
    ("agency_admin", OWN): (True, False, False),
    ("agency_admin", OTHER): (False, False, False),
    ("agency_staff", OWN): (False, False, False),
    ("town", OWN): (True, False, False),
    ("town", OTHER): (False, False, False),
    ("enterprise", OWN): (False, False, False),
}


@pytest.mark.parametrize(("who", "side"), list(CASES))
async def test_access_table(db: ServiceDb, who: str, side: str) -> None:
    appraisal = await create(db, period="2026")
    actor = ACTORS[who](side)

    async def read() -> object:
        return await db.load_in_scope(AppraisalRow, appraisal.id, "Appraisal", access.data_scope(actor))

    async def create_one() -> object:
        return await create(db, actor)

    async def finalise_it() -> object:
        return await finalise(db, appraisal.id, actor)

    outcome = (
        await allowed(read, actor, access.READER_ROLES),
        await allowed(create_one, actor, access.APPRAISER_ROLES),
        await allowed(finalise_it, actor, access.APPRAISER_ROLES),
    )
    assert outcome == CASES[(who, side)]
