"""Enterprise use cases on SQLite with the real unit of work and the archive's migrations: register,
update, status changes with their history, what agency staff see through a contract's scope, and the
archive's access table (role × operation × own/other source → allowed/refused).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ecosteward.errors import AppError, Conflict, Forbidden, NotFound
from ecosteward.events import EventEnvelope
from ecosteward.identity import Principal, Role
from services.archive import access, copies
from services.archive.base import TABLES
from services.archive.classification.models import ClassificationStateRow
from services.archive.documents import service as documents
from services.archive.enterprises import service
from services.archive.enterprises.domain import PermitCategory, SourceStatus
from services.archive.enterprises.models import EnterpriseRow, EnterpriseStatusChangeRow
from tests.service.support import ServiceDb, service_db

TODAY = dt.date(2026, 11, 30)
DISTRICT, TOWN_A, TOWN_B = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)
AGENCY = uuid.UUID(int=40)
MASTER_DATA_KEYS = {
    "id",
    "credit_code",
    "name",
    "jurisdiction_id",
    "industry_code",
    "permit_category",
    "status",
    "latitude",
    "longitude",
}


def principal(role: Role, **claims: uuid.UUID | None) -> Principal:
    return Principal(f"sub-{role}", f"user-{role}", frozenset({role.value}), **claims)


BUREAU = principal(Role.BUREAU_OFFICER)
TOWN = principal(Role.TOWN_OFFICER, jurisdiction_id=TOWN_A)


def credit_code(n: int) -> str:
    from ecosteward.identifiers import with_check_character

    return with_check_character(f"91310115MA1K{n:05d}")


async def announce_jurisdiction(db: ServiceDb, jurisdiction_id: uuid.UUID, kind: str) -> None:
    data = {
        "id": jurisdiction_id,
        "code": f"J{jurisdiction_id.int}",
        "name": f"辖区{jurisdiction_id.int}",
        "kind": kind,
    }
    event = EventEnvelope.new("registry", "jurisdiction", "created", jurisdiction_id, data)
    async with db.unit_of_work() as uow:
        await copies.on_jurisdiction_changed(uow, event)


async def announce_contract(
    db: ServiceDb, managing: uuid.UUID, jurisdictions: list[uuid.UUID], enterprises: list[uuid.UUID]
) -> None:
    contract_id = uuid.uuid4()
    data = {
        "id": contract_id,
        "agency_id": AGENCY,
        "jurisdiction_id": managing,
        "status": "SIGNED",
        "scope_jurisdiction_ids": jurisdictions,
        "scope_enterprise_ids": enterprises,
    }
    event = EventEnvelope.new("registry", "contract", "signed", contract_id, data)
    async with db.unit_of_work() as uow:
        await copies.on_contract_changed(uow, event)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[ServiceDb]:
    async with service_db("archive", TABLES, tmp_path) as database:
        await announce_jurisdiction(database, DISTRICT, "DISTRICT")
        await announce_jurisdiction(database, TOWN_A, "TOWN")
        await announce_jurisdiction(database, TOWN_B, "TOWN")
        yield database


async def register(db: ServiceDb, n: int, jurisdiction: uuid.UUID, by: Principal = BUREAU) -> EnterpriseRow:
    data = service.EnterpriseInput(
        credit_code=credit_code(n),
        name=f" 企业{n} ",
        jurisdiction_id=jurisdiction,
        permit_category=PermitCategory.KEY,
        industry_code="2614",
        latitude=31.2,
        longitude=121.6,
    )
    async with db.unit_of_work() as uow:
        return await service.register_enterprise(uow, by, data, TODAY)


async def outbox_count(db: ServiceDb) -> int:
    return len(await db.events())


# ------------------------------------------------------------------------------------------ use cases


async def test_register_records_the_source_its_history_its_event_and_its_classification(
    db: ServiceDb,
) -> None:
    row = await register(db, 1, TOWN_A, by=TOWN)
    async with db.sessions() as session:
        stored = await session.get(EnterpriseRow, row.id)
        assert stored is not None
        assert (stored.name, stored.industry_code, stored.status) == ("企业1", "C2614", "OPERATING")
        history = list(
            (
                await session.execute(
                    sa.select(EnterpriseStatusChangeRow).where(
                        EnterpriseStatusChangeRow.enterprise_id == row.id
                    )
                )
            ).scalars()
        )
        assert [(h.from_status, h.to_status, h.reason, h.changed_by) for h in history] == [
            (None, "OPERATING", "registered", TOWN.username)
        ]
        assert await session.get(ClassificationStateRow, row.id) is not None
    (registered,) = await db.events("archive.enterprise.registered")
    assert registered["subject"] == str(row.id)
    assert set(registered["data"]) == MASTER_DATA_KEYS
    assert registered["data"]["permit_category"] == "KEY" and registered["data"]["latitude"] == 31.2
    (classified,) = await db.events("archive.enterprise.classified")
    assert classified["data"]["key"] is True and classified["data"]["evaluated_on"] == TODAY.isoformat()


async def test_a_town_cannot_register_elsewhere_and_nothing_is_written(db: ServiceDb) -> None:
    before = await outbox_count(db)
    with pytest.raises(Forbidden):
        await register(db, 2, TOWN_B, by=TOWN)
    async with db.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(EnterpriseRow)) == 0
    assert await outbox_count(db) == before


async def test_update_changes_master_data_and_a_new_category_reclassifies(db: ServiceDb) -> None:
    row = await register(db, 3, TOWN_A)
    changes = service.EnterpriseChanges(name=" 新名称 ", permit_category=PermitCategory.REGISTRATION)
    async with db.unit_of_work() as uow:
        updated = await service.update_enterprise(uow, TOWN, row.id, changes, TODAY)
    assert (updated.name, updated.permit_category, updated.industry_code) == (
        "新名称",
        "REGISTRATION",
        "C2614",
    )
    (event,) = await db.events("archive.enterprise.updated")
    assert set(event["data"]) == MASTER_DATA_KEYS and event["data"]["name"] == "新名称"
    classified = await db.events("archive.enterprise.classified")
    assert [e["data"]["key"] for e in classified] == [True, False]


async def test_status_changes_keep_their_history_and_refuse_invalid_transitions(db: ServiceDb) -> None:
    row = await register(db, 4, TOWN_A)
    async with db.unit_of_work() as uow:
        await service.change_status(uow, TOWN, row.id, SourceStatus.CLOSED, " 停产 ")
    before = await outbox_count(db)
    with pytest.raises(Conflict) as refused:
        async with db.unit_of_work() as uow:
            await service.change_status(uow, TOWN, row.id, SourceStatus.RELOCATING, "搬迁")
    assert refused.value.extensions["code"] == "INVALID_TRANSITION"
    assert await outbox_count(db) == before
    async with db.unit_of_work() as uow:
        await service.change_status(uow, BUREAU, row.id, SourceStatus.OPERATING, "复产")
    async with db.sessions() as session:
        history = list(
            (
                await session.execute(
                    sa.select(EnterpriseStatusChangeRow)
                    .where(EnterpriseStatusChangeRow.enterprise_id == row.id)
                    .order_by(EnterpriseStatusChangeRow.changed_at)
                )
            ).scalars()
        )
    assert [(h.from_status, h.to_status, h.reason) for h in history] == [
        (None, "OPERATING", "registered"),
        ("OPERATING", "CLOSED", "停产"),
        ("CLOSED", "OPERATING", "复产"),
    ]
    events = await db.events("archive.enterprise.status_changed")
    assert [(e["data"]["from_status"], e["data"]["status"], e["data"]["reason"]) for e in events] == [
        ("OPERATING", "CLOSED", "停产"),
        ("CLOSED", "OPERATING", "复产"),
    ]
    assert all(set(e["data"]) == MASTER_DATA_KEYS | {"from_status", "reason"} for e in events)


async def test_agency_staff_see_their_contracts_scope_only_inside_its_managing_jurisdiction(
    db: ServiceDb,
) -> None:
    own = await register(db, 5, TOWN_A)
    listed_elsewhere = await register(db, 6, TOWN_B)
    unlisted = await register(db, 7, TOWN_B)
    # A town-managed contract listing its own town and another town's enterprise: the latter grants nothing.
    await announce_contract(db, TOWN_A, [TOWN_A], [listed_elsewhere.id])
    staff = principal(Role.AGENCY_STAFF, agency_id=AGENCY)
    async with db.sessions() as session:
        seen = await access.visibility(session, staff)
        visible = set((await session.execute(sa.select(EnterpriseRow.id).where(seen.where()))).scalars())
        assert visible == {own.id}
        for hidden in (listed_elsewhere.id, unlisted.id):
            with pytest.raises(NotFound):
                await access.visible_enterprise(session, staff, hidden)
    # A district-managed contract may list enterprises anywhere in the district.
    await announce_contract(db, DISTRICT, [], [listed_elsewhere.id])
    async with db.sessions() as session:
        assert (
            await access.visible_enterprise(session, staff, listed_elsewhere.id)
        ).id == listed_elsewhere.id
        with pytest.raises(NotFound):
            await access.visible_enterprise(session, staff, unlisted.id)


# ------------------------------------------------------------------------------------------ the access table

Operation = Callable[[ServiceDb, Principal, EnterpriseRow], Awaitable[Any]]


async def _read(db: ServiceDb, who: Principal, target: EnterpriseRow) -> Any:
    async with db.sessions() as session:
        return await access.visible_enterprise(session, who, target.id)


async def _register(db: ServiceDb, who: Principal, target: EnterpriseRow) -> Any:
    data = service.EnterpriseInput(
        credit_code(900 + target.jurisdiction_id.int),
        "新企业",
        target.jurisdiction_id,
        PermitCategory.SIMPLIFIED,
    )
    async with db.unit_of_work() as uow:
        return await service.register_enterprise(uow, who, data, TODAY)


async def _update(db: ServiceDb, who: Principal, target: EnterpriseRow) -> Any:
    async with db.unit_of_work() as uow:
        return await service.update_enterprise(
            uow, who, target.id, service.EnterpriseChanges(address="新址"), TODAY
        )


async def _change_status(db: ServiceDb, who: Principal, target: EnterpriseRow) -> Any:
    async with db.unit_of_work() as uow:
        return await service.change_status(uow, who, target.id, SourceStatus.RELOCATING, "搬迁")


async def _classify(db: ServiceDb, who: Principal, target: EnterpriseRow) -> Any:
    async with db.sessions() as session:
        row = await session.get(EnterpriseRow, target.id)
        assert row is not None
        access.check_can_classify(who, row)


async def _file_document(db: ServiceDb, who: Principal, target: EnterpriseRow) -> Any:
    async with db.sessions() as session:
        return await documents.writable_enterprise(session, who, target.id)


OPERATIONS: dict[str, Operation] = {
    "read": _read,
    "register": _register,
    "update": _update,
    "change_status": _change_status,
    "classify": _classify,
    "file_document": _file_document,
}

CALLERS = {
    "bureau": principal(Role.BUREAU_OFFICER),
    "town": principal(Role.TOWN_OFFICER, jurisdiction_id=TOWN_A),
    "agency_staff": principal(Role.AGENCY_STAFF, agency_id=AGENCY),
    "agency_admin": principal(Role.AGENCY_ADMIN, agency_id=AGENCY),
    "enterprise": None,  # its own enterprise's id, filled in once registered
    "procurement": principal(Role.PROCUREMENT_OFFICER),
}

OK, FORBIDDEN, NOT_FOUND = "ok", "FORBIDDEN", "NOT_FOUND"
# (caller, operation) → (own source: in TOWN_A, covered by the agency's contract; other: in TOWN_B).
CASES: dict[tuple[str, str], tuple[str, str]] = {
    ("bureau", "read"): (OK, OK),
    ("bureau", "register"): (OK, OK),
    ("bureau", "update"): (OK, OK),
    ("bureau", "change_status"): (OK, OK),
    ("bureau", "classify"): (OK, OK),
    ("bureau", "file_document"): (OK, OK),
    ("town", "read"): (OK, NOT_FOUND),
    ("town", "register"): (OK, FORBIDDEN),
    ("town", "update"): (OK, NOT_FOUND),
    ("town", "change_status"): (OK, NOT_FOUND),
    ("town", "classify"): (OK, NOT_FOUND),
    ("town", "file_document"): (OK, NOT_FOUND),
    ("agency_staff", "read"): (OK, NOT_FOUND),
    ("agency_staff", "register"): (FORBIDDEN, FORBIDDEN),
    ("agency_staff", "update"): (FORBIDDEN, FORBIDDEN),
    ("agency_staff", "change_status"): (FORBIDDEN, FORBIDDEN),
    ("agency_staff", "classify"): (FORBIDDEN, FORBIDDEN),
    ("agency_staff", "file_document"): (OK, NOT_FOUND),
    ("agency_admin", "read"): (OK, NOT_FOUND),
    ("agency_admin", "register"): (FORBIDDEN, FORBIDDEN),
    ("agency_admin", "update"): (FORBIDDEN, FORBIDDEN),
    ("agency_admin", "change_status"): (FORBIDDEN, FORBIDDEN),
    ("agency_admin", "classify"): (FORBIDDEN, FORBIDDEN),
    ("agency_admin", "file_document"): (FORBIDDEN, FORBIDDEN),
    ("enterprise", "read"): (OK, NOT_FOUND),
    ("enterprise", "register"): (FORBIDDEN, FORBIDDEN),
    ("enterprise", "update"): (FORBIDDEN, FORBIDDEN),
    ("enterprise", "change_status"): (FORBIDDEN, FORBIDDEN),
    ("enterprise", "classify"): (OK, NOT_FOUND),
    ("enterprise", "file_document"): (OK, NOT_FOUND),
    ("procurement", "read"): (FORBIDDEN, FORBIDDEN),
    ("procurement", "register"): (FORBIDDEN, FORBIDDEN),
    ("procurement", "update"): (FORBIDDEN, FORBIDDEN),
    ("procurement", "change_status"): (FORBIDDEN, FORBIDDEN),
    ("procurement", "classify"): (FORBIDDEN, FORBIDDEN),
    ("procurement", "file_document"): (FORBIDDEN, FORBIDDEN),
}


def test_the_access_table_covers_every_caller_and_operation() -> None:
    assert set(CASES) == {(c, o) for c in CALLERS for o in OPERATIONS}


@pytest.mark.parametrize(("caller", "operation"), sorted(CASES))
async def test_access(db: ServiceDb, caller: str, operation: str) -> None:
    own = await register(db, 10, TOWN_A)
    other = await register(db, 11, TOWN_B)
    await announce_contract(db, TOWN_A, [TOWN_A], [])
    who = CALLERS[caller] or principal(Role.ENTERPRISE_USER, enterprise_id=own.id)
    for target, expected in zip((own, other), CASES[caller, operation], strict=True):
        before = await outbox_count(db)
        try:
            await OPERATIONS[operation](db, who, target)
            outcome = OK
        except AppError as error:
            outcome = error.extensions["code"]
            assert await outbox_count(db) == before  # a refusal changes nothing
        assert outcome == expected, f"{caller} {operation} {'own' if target is own else 'other'}"
