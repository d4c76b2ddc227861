"""China's date (北京时间) in the services' use cases (in-process, SQLite), at both clock pins.

The date-sensitive tests run twice, with the clock pinned (time-machine) at 00:30 and at 23:30 in
China (the ``china_clock`` fixture of ``tests/conftest.py``): at 00:30 China's date is one day after
UTC's, so a date taken from a UTC timestamp is caught whatever hour CI runs at. The services' use cases
run here in-process, where the pinned clock reaches them; the e2e suite (services in subprocesses,
real clock) checks the same relation against the stored timestamps instead. The pure checks are in
``tests/unit/platform/test_china_dates.py``; the static check that keeps new code from turning
timestamps into dates outside ``ecosteward.clock`` is ``tests/test_clock_usage.py``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from ecosteward.auth import Principal
from ecosteward.clock import china_date
from ecosteward.outbox import UnitOfWork, unit_of_work
from services.archive import models as archive_models
from services.archive.base import TABLES as ARCHIVE_TABLES
from services.archive.classification import service as classification
from services.archive.classification.domain import FactKind, last_day_counted
from services.archive.models import EnterpriseRow
from services.registry.contracts import service as registry_contracts
from services.registry.contracts.models import FilingRow, ServiceContractRow
from services.registry.models import TABLES as REGISTRY_TABLES
from services.registry.models import Base as RegistryBase
from services.registry.permits import service as registry_permits
from services.registry.permits.models import WorkPermitRow
from services.registry.staff.models import StaffRow

BUREAU = Principal(subject="b", username="bureau", roles=frozenset({"bureau_officer"}))


@pytest.fixture
async def registry_sessions() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The registry's tables in an in-memory SQLite database (in-process: the pinned clock applies)."""
    engine = create_async_engine("sqlite+aiosqlite://")
    async with engine.begin() as conn:
        await conn.run_sync(RegistryBase.metadata.create_all)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def test_a_revoked_permit_announces_and_applies_china_date(
    china_clock: dt.datetime, registry_sessions: async_sessionmaker[AsyncSession]
) -> None:
    today = china_clock.date()
    agency_id, town_id = uuid.uuid4(), uuid.uuid4()
    async with registry_sessions() as session, session.begin():
        staff = StaffRow(
            agency_id=agency_id,
            name="王工",
            username=f"staff-{uuid.uuid4().hex[:8]}",
            title="SENIOR",
            professional=True,
            joined_on=today - dt.timedelta(days=400),
        )
        session.add(staff)
        await session.flush()
        permit = WorkPermitRow(
            number=f"GZ-{uuid.uuid4().hex[:8]}",
            staff_id=staff.id,
            agency_id=agency_id,
            issued_by_id=town_id,
            valid_from=today - dt.timedelta(days=10),
            valid_to=today + dt.timedelta(days=30),
        )
        session.add(permit)

    async with registry_sessions() as session, session.begin():
        uow = UnitOfWork(session, REGISTRY_TABLES, "registry")
        revoked = await registry_permits.revoke_permit(uow, BUREAU, permit.id, "违规作业")
        (event,) = uow.events
        uow.events.clear()  # the use case is under test, not the outbox

    assert revoked.revoked_at is not None
    assert china_date(revoked.revoked_at) == today
    assert event.type == "registry.permit.revoked"
    assert event.data["revoked_on"] == today.isoformat()  # China's date, not the UTC timestamp's
    # The rule agrees with the event: not valid from today on, valid the day before.
    assert not registry_permits.permit_valid(revoked, today)
    assert registry_permits.permit_valid(revoked, today - dt.timedelta(days=1))


async def test_a_filing_is_dated_and_judged_late_by_china_date(
    china_clock: dt.datetime, registry_sessions: async_sessionmaker[AsyncSession]
) -> None:
    today = china_clock.date()
    agency_id, town_id = uuid.uuid4(), uuid.uuid4()
    async with registry_sessions() as session, session.begin():
        contract = ServiceContractRow(
            title="环保管家服务",
            agency_id=agency_id,
            jurisdiction_id=town_id,
            price=Decimal("100000.00"),
            starts_on=today,
            ends_on=today + dt.timedelta(days=365),
            service_mode="RESIDENT",
            contracted_tasks=10,
            status="SIGNED",
            signed_on=today - dt.timedelta(days=20),
        )
        session.add(contract)
        await session.flush()
        # Due yesterday in China, which is still "today" in UTC at 00:30.
        session.add(
            FilingRow(
                contract_id=contract.id,
                jurisdiction_id=town_id,
                agency_id=agency_id,
                signed_on=today - dt.timedelta(days=20),
                due_on=today - dt.timedelta(days=1),
                due_provisional=False,
                status="PENDING",
            )
        )
    town = Principal(subject="t", username="town", roles=frozenset({"town_officer"}), jurisdiction_id=town_id)
    async with registry_sessions() as session, session.begin():
        uow = UnitOfWork(session, REGISTRY_TABLES, "registry")
        filing = await registry_contracts.file_contract(uow, town, contract.id)
        (event,) = uow.events
        uow.events.clear()
    assert filing.first_filed_on == today
    assert filing.filed_late is True
    assert event.data["first_filed_on"] == today.isoformat() and event.data["filed_late"] is True


class ArchiveRuntime:
    """What the archive's periodic review needs of a running service."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    def unit_of_work(self) -> contextlib.AbstractAsyncContextManager[UnitOfWork]:
        return unit_of_work(self.sessions, ARCHIVE_TABLES, "archive")


async def test_the_periodic_review_ages_a_fact_out_on_china_date(china_clock: dt.datetime) -> None:
    today = china_clock.date()
    engine = create_async_engine("sqlite+aiosqlite://")
    async with engine.begin() as conn:
        await conn.run_sync(archive_models.Base.metadata.create_all)
    runtime = ArchiveRuntime(async_sessionmaker(engine, expire_on_commit=False))
    town = uuid.uuid4()
    # A penalty whose three years end yesterday (China): recorded yesterday, it made the source key.
    occurred = dt.date(today.year - 3, today.month, today.day) - dt.timedelta(days=1)
    assert last_day_counted(occurred) == today - dt.timedelta(days=1)
    with time_machine.travel(china_clock - dt.timedelta(days=1), tick=True):
        async with runtime.unit_of_work() as uow:
            enterprise = EnterpriseRow(
                credit_code=uuid.uuid4().hex[:18].upper(),
                name="企业",
                jurisdiction_id=town,
                permit_category="REGISTRATION",
                status="OPERATING",
            )
            uow.session.add(enterprise)
            await uow.session.flush()
        async with runtime.unit_of_work() as uow:
            _, changed = await classification.record_fact(
                uow,
                Principal("s", "u", frozenset({"town_officer"}), jurisdiction_id=town),
                classification.FactInput(
                    enterprise.id, FactKind.PENALTY, occurred, reference="沪环罚〔2023〕1号"
                ),
            )
        assert changed
    # Today in China the penalty no longer counts: the job (which reads today itself) lets it go.
    assert await classification.reclassify_due(runtime) == 1
    async with runtime.sessions() as session:
        row = await session.get(EnterpriseRow, enterprise.id)
        assert row is not None and row.key_source is False
    await engine.dispose()
