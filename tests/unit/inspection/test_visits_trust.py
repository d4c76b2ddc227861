"""The field-work rule of the inspection service (issue 7, item 2): contract scope bounded by the
managing jurisdiction, the contract's term, the person's work permit; and the local copies it reads."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecosteward.db import create_engine, session_factory
from ecosteward.errors import AppError, Forbidden
from ecosteward.events import EventEnvelope
from ecosteward.outbox import UnitOfWork
from services.inspection import access
from services.inspection import models as inspection_models
from services.inspection.access import enterprise_visible
from services.inspection.copies import on_contract_changed, on_jurisdiction_changed, on_permit_changed
from services.inspection.visits import domain
from services.inspection.visits.domain import ContractScope, Permit, check_field_work
from services.registry.permits.domain import permit_valid_on as registry_permit_valid_on
from tests.unit.strategies import user

dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
AGENCY, OTHER_AGENCY = uuid.UUID(int=10), uuid.UUID(int=11)
DISTRICT, TOWN, OTHER_TOWN = uuid.UUID(int=20), uuid.UUID(int=21), uuid.UUID(int=22)
ENTERPRISE, FOREIGN_ENTERPRISE = uuid.UUID(int=30), uuid.UUID(int=31)
YEAR_2026 = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
PERMIT_2026 = Permit(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
DAY = dt.date(2026, 6, 1)


def contract(
    managing: uuid.UUID = TOWN,
    *,
    district: bool = False,
    jurisdictions: tuple[uuid.UUID, ...] = (TOWN,),
    enterprises: tuple[uuid.UUID, ...] = (),
    status: str = "ACTIVE",
    agency: uuid.UUID = AGENCY,
    term: tuple[dt.date, dt.date] = YEAR_2026,
) -> ContractScope:
    return ContractScope(
        agency_id=agency,
        managing_jurisdiction_id=managing,
        managed_by_district=district,
        status=status,
        starts_on=term[0],
        ends_on=term[1],
        jurisdiction_ids=frozenset(jurisdictions),
        enterprise_ids=frozenset(enterprises),
    )


def outcome(
    contracts: list[ContractScope],
    permits: list[Permit],
    enterprise: uuid.UUID = ENTERPRISE,
    jurisdiction: uuid.UUID = TOWN,
    day: dt.date = DAY,
    hide_unseen: bool = True,
) -> str:
    try:
        check_field_work(AGENCY, enterprise, jurisdiction, day, contracts, permits, hide_unseen=hide_unseen)
    except AppError as error:
        return str((error.extensions or {})["code"])
    return "ok"


# ------------------------------------------------------------------------------------------ pure rule


def test_field_work_examples() -> None:
    assert outcome([contract()], [PERMIT_2026]) == "ok"
    # Another town's enterprise, and no contract at all: invisible, like an unknown id.
    assert outcome([contract()], [PERMIT_2026], jurisdiction=OTHER_TOWN) == "NOT_FOUND"
    assert outcome([], [PERMIT_2026]) == "NOT_FOUND"
    # Another agency's contract, a draft, an ended contract: not the caller's live contract.
    assert outcome([contract(agency=OTHER_AGENCY)], [PERMIT_2026]) == "NOT_FOUND"
    for status in ("DRAFT", "ENDED", "TERMINATED"):
        assert outcome([contract(status=status)], [PERMIT_2026]) == "NOT_FOUND"
    for status in ("SIGNED", "FILED", "RETURNED", "ACTIVE"):
        assert outcome([contract(status=status)], [PERMIT_2026]) == "ok"
    # Visible, but the contract does not run on the visit day.
    assert outcome([contract()], [PERMIT_2026], day=dt.date(2025, 12, 31)) == "OUT_OF_CONTRACT_SCOPE"
    # On an inspection the caller already sees, no cover is OUT_OF_CONTRACT_SCOPE, not NOT_FOUND.
    assert outcome([], [PERMIT_2026], hide_unseen=False) == "OUT_OF_CONTRACT_SCOPE"
    # The permit: none, revoked on or before the day, outside its validity.
    assert outcome([contract()], []) == "PERMIT_INVALID"
    assert outcome([contract()], [Permit(*YEAR_2026, revoked_on=DAY)]) == "PERMIT_INVALID"
    assert outcome([contract()], [Permit(*YEAR_2026, revoked_on=DAY + dt.timedelta(days=1))]) == "ok"
    assert outcome([contract()], [Permit(dt.date(2026, 6, 2), dt.date(2026, 12, 31))]) == "PERMIT_INVALID"
    # One valid permit among invalid ones is enough.
    assert outcome([contract()], [Permit(*YEAR_2026, revoked_on=DAY), PERMIT_2026]) == "ok"


def test_messages_are_bilingual_and_unknown_equals_invisible() -> None:
    with pytest.raises(Forbidden) as caught:
        check_field_work(AGENCY, ENTERPRISE, TOWN, DAY, [contract()], [])
    assert "(无有效工作证" in caught.value.message and "work permit" in caught.value.message
    with pytest.raises(Forbidden) as caught:
        check_field_work(AGENCY, ENTERPRISE, TOWN, dt.date(2027, 1, 1), [contract()], [PERMIT_2026])
    assert "委托合同" in caught.value.message and "contract" in caught.value.message
    unknown = domain.enterprise_not_found(ENTERPRISE)
    with pytest.raises(AppError) as hidden:
        check_field_work(AGENCY, ENTERPRISE, OTHER_TOWN, DAY, [contract()], [PERMIT_2026])
    assert (hidden.value.message, hidden.value.extensions) == (unknown.message, unknown.extensions)


def test_a_scope_never_reaches_beyond_its_managing_jurisdiction() -> None:
    # A town's contract naming another town, or an enterprise of another town: covers nothing there.
    wide = contract(TOWN, jurisdictions=(TOWN, OTHER_TOWN), enterprises=(FOREIGN_ENTERPRISE,))
    assert wide.covers(ENTERPRISE, TOWN)
    assert not wide.covers(ENTERPRISE, OTHER_TOWN)
    assert not wide.covers(FOREIGN_ENTERPRISE, OTHER_TOWN)
    assert outcome([wide], [PERMIT_2026], FOREIGN_ENTERPRISE, OTHER_TOWN) == "NOT_FOUND"
    # The district's contract reaches every unit it names.
    district = contract(
        DISTRICT, district=True, jurisdictions=(OTHER_TOWN,), enterprises=(FOREIGN_ENTERPRISE,)
    )
    assert district.covers(ENTERPRISE, OTHER_TOWN) and district.covers(FOREIGN_ENTERPRISE, TOWN)
    assert not district.covers(ENTERPRISE, TOWN)  # but only what it names


@given(
    st.uuids(),
    st.uuids(),
    st.booleans(),
    st.frozensets(st.uuids(), max_size=3),
    st.frozensets(st.uuids(), max_size=3),
    st.uuids(),
    st.uuids(),
)
def test_cover_is_the_scope_intersected_with_the_managing_unit(
    managing: uuid.UUID,
    agency: uuid.UUID,
    district: bool,
    jurisdictions: frozenset[uuid.UUID],
    enterprises: frozenset[uuid.UUID],
    enterprise: uuid.UUID,
    jurisdiction: uuid.UUID,
) -> None:
    c = ContractScope(agency, managing, district, "ACTIVE", *YEAR_2026, jurisdictions, enterprises)
    for e, j in (
        (enterprise, jurisdiction),
        (enterprise, managing),
        (next(iter(enterprises), enterprise), jurisdiction),
    ):
        named = e in enterprises or j in jurisdictions
        assert c.covers(e, j) == (named and (district or j == managing))
        if not district and j != managing:
            assert not c.covers(e, j)


@given(dates, dates, st.none() | dates, dates)
def test_permit_validity_is_the_registrys_rule(
    valid_from: dt.date, valid_to: dt.date, revoked_on: dt.date | None, day: dt.date
) -> None:
    assert Permit(valid_from, valid_to, revoked_on).valid_on(day) == registry_permit_valid_on(
        valid_from, valid_to, revoked_on, day
    )


@given(dates, dates, dates, st.booleans(), st.booleans())
def test_the_checks_come_in_order(
    starts: dt.date, ends: dt.date, day: dt.date, covered: bool, permitted: bool
) -> None:
    c = contract(term=(starts, ends), jurisdictions=(TOWN,) if covered else ())
    permits = [Permit(day, day)] if permitted else []
    expected = (
        "NOT_FOUND"
        if not covered
        else "OUT_OF_CONTRACT_SCOPE"
        if not starts <= day <= ends
        else "PERMIT_INVALID"
        if not permitted
        else "ok"
    )
    assert outcome([c], permits, day=day) == expected


def test_enterprise_visibility_with_contracts() -> None:
    contracts = [contract()]
    assert enterprise_visible(user("bureau_officer"), ENTERPRISE, OTHER_TOWN, [])
    assert enterprise_visible(user("town_officer", jurisdiction=TOWN), ENTERPRISE, TOWN, [])
    assert not enterprise_visible(user("town_officer", jurisdiction=TOWN), ENTERPRISE, OTHER_TOWN, [])
    assert enterprise_visible(user("enterprise_user", enterprise=ENTERPRISE), ENTERPRISE, TOWN, [])
    assert not enterprise_visible(
        user("enterprise_user", enterprise=ENTERPRISE), FOREIGN_ENTERPRISE, TOWN, []
    )
    for role in ("agency_staff", "agency_admin"):
        assert enterprise_visible(user(role, agency=AGENCY), ENTERPRISE, TOWN, contracts)
        assert not enterprise_visible(user(role, agency=AGENCY), ENTERPRISE, OTHER_TOWN, contracts)
        assert not enterprise_visible(user(role, agency=OTHER_AGENCY), ENTERPRISE, TOWN, contracts)
    with pytest.raises(Forbidden):
        enterprise_visible(user("procurement_officer"), ENTERPRISE, TOWN, contracts)


def test_the_rule_applies_to_agency_roles_not_the_bureau() -> None:
    assert access.is_agency_caller(user("agency_staff", agency=AGENCY))
    assert access.is_agency_caller(user("agency_admin", agency=AGENCY))
    assert not access.is_agency_caller(user("bureau_officer"))
    assert not access.is_agency_caller(user("bureau_officer", "agency_staff", agency=AGENCY))


# ------------------------------------------------------------------------------------------ local copies


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'inspection.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(inspection_models.Base.metadata.create_all)
    yield session_factory(engine)
    await engine.dispose()


async def _deliver(
    sessions: async_sessionmaker[AsyncSession], handler: Any, entity: str, verb: str, data: dict[str, Any]
) -> None:
    envelope = EventEnvelope.new("registry", entity, verb, data["id"], data)
    async with sessions() as session, session.begin():
        await handler(UnitOfWork(session, inspection_models.TABLES, "inspection"), envelope)


def _contract_event(contract_id: uuid.UUID, managing: uuid.UUID, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(contract_id),
        "title": "环保管家服务",
        "agency_id": str(AGENCY),
        "jurisdiction_id": str(managing),
        "price": "120000.00",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "status": status,
        "scope_jurisdiction_ids": [str(TOWN)],
        "scope_enterprise_ids": [str(FOREIGN_ENTERPRISE)],
        **extra,
    }


async def _check(
    sessions: async_sessionmaker[AsyncSession], enterprise: uuid.UUID, jurisdiction: uuid.UUID
) -> str:
    async with sessions() as session:
        contracts = await access.agency_contracts(session, AGENCY)
        permits = await access.permits_of(session, "Field.Worker", AGENCY)
    return outcome(contracts, permits, enterprise, jurisdiction)


async def test_contract_permit_and_jurisdiction_events_feed_the_rule(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    contract_id, permit_id = uuid.UUID(int=40), uuid.UUID(int=41)
    await _deliver(
        sessions, on_contract_changed, "contract", "drafted", _contract_event(contract_id, TOWN, "DRAFT")
    )
    assert await _check(sessions, ENTERPRISE, TOWN) == "NOT_FOUND"  # a draft gives nothing
    # A malformed id in the scope grants nothing and does not block the event.
    signed = _contract_event(contract_id, TOWN, "SIGNED", scope_jurisdiction_ids=["not-an-id", str(TOWN)])
    await _deliver(sessions, on_contract_changed, "contract", "signed", signed)
    assert await _check(sessions, ENTERPRISE, TOWN) == "PERMIT_INVALID"  # covered, but no permit yet
    permit = {
        "id": str(permit_id),
        "number": "GZ2026-X",
        "staff_id": str(uuid.UUID(int=50)),
        "staff_username": "field.worker",
        "agency_id": str(AGENCY),
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "revoked_on": None,
    }
    await _deliver(sessions, on_permit_changed, "permit", "issued", permit)
    assert await _check(sessions, ENTERPRISE, TOWN) == "ok"
    # The explicit enterprise lies in another town: a town-managed contract does not reach it...
    assert await _check(sessions, FOREIGN_ENTERPRISE, OTHER_TOWN) == "NOT_FOUND"
    # ... and a contract managed by the district does, once the district is known as such.
    district_contract = uuid.UUID(int=42)
    await _deliver(
        sessions,
        on_contract_changed,
        "contract",
        "signed",
        _contract_event(district_contract, DISTRICT, "SIGNED"),
    )
    assert await _check(sessions, FOREIGN_ENTERPRISE, OTHER_TOWN) == "NOT_FOUND"
    await _deliver(
        sessions,
        on_jurisdiction_changed,
        "jurisdiction",
        "created",
        {"id": str(DISTRICT), "code": "310115", "kind": "DISTRICT"},
    )
    assert await _check(sessions, FOREIGN_ENTERPRISE, OTHER_TOWN) == "ok"
    # Revocation bites from its day on; ending the contracts closes the enterprise again.
    await _deliver(
        sessions, on_permit_changed, "permit", "revoked", {**permit, "revoked_on": DAY.isoformat()}
    )
    assert await _check(sessions, ENTERPRISE, TOWN) == "PERMIT_INVALID"
    for cid, managing in ((contract_id, TOWN), (district_contract, DISTRICT)):
        await _deliver(
            sessions, on_contract_changed, "contract", "ended", _contract_event(cid, managing, "ENDED")
        )
    assert await _check(sessions, ENTERPRISE, TOWN) == "NOT_FOUND"


async def test_permits_are_the_callers_own_in_its_own_agency(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    base = {
        "number": "GZ",
        "staff_id": str(uuid.UUID(int=50)),
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "revoked_on": None,
    }
    await _deliver(
        sessions,
        on_permit_changed,
        "permit",
        "issued",
        {**base, "id": str(uuid.UUID(int=60)), "staff_username": "someone.else", "agency_id": str(AGENCY)},
    )
    await _deliver(
        sessions,
        on_permit_changed,
        "permit",
        "issued",
        {
            **base,
            "id": str(uuid.UUID(int=61)),
            "staff_username": "field.worker",
            "agency_id": str(OTHER_AGENCY),
        },
    )
    async with sessions() as session:
        assert await access.permits_of(session, "field.worker", AGENCY) == []
        assert len(await access.permits_of(session, "FIELD.WORKER", OTHER_AGENCY)) == 1
