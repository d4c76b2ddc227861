"""China's date (北京时间), everywhere a timestamp becomes a date.

The date-sensitive tests run twice, with the clock pinned (time-machine) at 00:30 and at 23:30 in
China (the ``china_clock`` fixture of ``tests/conftest.py``): at 00:30 China's date is one day after
UTC's, so a date taken from a UTC timestamp is caught whatever hour CI runs at. The services' use cases
run here in-process, where the pinned clock reaches them; the e2e suite (services in subprocesses,
real clock) checks the same relation against the stored timestamps instead. A static check keeps new
code from turning timestamps into dates outside ``ecosteward.clock``.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import strawberry
import time_machine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from ecosteward.auth import Principal
from ecosteward.clock import CHINA, china_date, china_today
from ecosteward.config import REPO_ROOT
from ecosteward.db import utcnow
from ecosteward.outbox import UnitOfWork, unit_of_work
from services.archive import models as archive_models
from services.archive.base import TABLES as ARCHIVE_TABLES
from services.archive.classification import service as classification
from services.archive.classification.domain import FactKind, last_day_counted
from services.archive.models import EnterpriseRow
from services.registry import service as registry
from services.registry.models import TABLES as REGISTRY_TABLES
from services.registry.models import Base as RegistryBase
from services.registry.models import FilingRow, ServiceContractRow, StaffRow, WorkPermitRow
from services.reporting import domain as reporting_domain
from services.reporting.schema import Report, ReportKind, ReportStatus


@pytest.mark.usefixtures("china_clock")
def test_china_today_is_the_pinned_china_date(china_clock: dt.datetime) -> None:
    assert china_today() == china_clock.date()
    assert china_date(utcnow()) == china_clock.date()
    if china_clock.hour == 0:
        # The pin that matters: UTC is still on the day before.
        assert dt.datetime.now(dt.UTC).date() == china_clock.date() - dt.timedelta(days=1)
    else:
        assert dt.datetime.now(dt.UTC).date() == china_clock.date()
    assert dt.datetime.now(CHINA).hour == china_clock.hour


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
        revoked = await registry.revoke_permit(uow, permit.id, "违规作业")
        (event,) = uow.events
        uow.events.clear()  # the use case is under test, not the outbox

    assert revoked.revoked_at is not None
    assert china_date(revoked.revoked_at) == today
    assert event.type == "registry.permit.revoked"
    assert event.data["revoked_on"] == today.isoformat()  # China's date, not the UTC timestamp's
    # The rule agrees with the event: not valid from today on, valid the day before.
    assert not registry.permit_valid(revoked, today)
    assert registry.permit_valid(revoked, today - dt.timedelta(days=1))


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
        filing = await registry.file_contract(uow, town, contract.id)
        (event,) = uow.events
        uow.events.clear()
    assert filing.first_filed_on == today
    assert filing.filed_late is True
    assert event.data["first_filed_on"] == today.isoformat() and event.data["filed_late"] is True


def test_a_report_submitted_just_after_midnight_in_china_is_late(china_clock: dt.datetime) -> None:
    # The Q2 report is due 30 June; at the pins it is already 1 July in China (at 00:30 not yet in UTC).
    report = Report(
        id=strawberry.ID(str(uuid.uuid4())),
        kind=ReportKind.QUARTERLY,
        year=2026,
        quarter=2,
        period="2026-Q2",
        status=ReportStatus.SUBMITTED,
        submitted_at=utcnow(),
        summary="",
        due_on=reporting_domain.due_date("QUARTERLY", 2026, 2),
        jurisdiction_id=uuid.uuid4(),
    )
    assert report.due_on == dt.date(2026, 6, 30) and china_clock.date() == dt.date(2026, 7, 1)
    assert report.submitted_late() is True


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


# ------------------------------------------------------------------------------------ static check

SCANNED = ("ecosteward", "services", "bench", "tests/e2e", "tests/platform")
ALLOWED = {Path("ecosteward/clock.py")}


def _date_conversions(path: Path) -> list[str]:
    """Calls that turn a timestamp (or the wall clock) into a date without ``ecosteward.clock``."""
    found: list[tuple[int, str]] = []
    tree = ast.parse((REPO_ROOT / path).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name, args = node.func.attr, node.args or node.keywords
            receiver = ast.unparse(node.func.value)
            if name == "date" and not args and receiver not in {"dt", "datetime", "sa", "sqlalchemy"}:
                found.append((node.lineno, f"{path}:{node.lineno}: {receiver}.date()"))
            elif name == "today" and receiver.endswith(("date", "datetime")):
                found.append((node.lineno, f"{path}:{node.lineno}: {receiver}.today()"))
            elif name == "utcnow" and receiver.endswith("datetime"):
                found.append((node.lineno, f"{path}:{node.lineno}: {receiver}.utcnow()"))
            elif name == "now" and receiver.endswith("datetime") and not args:
                found.append((node.lineno, f"{path}:{node.lineno}: {receiver}.now() without a zone"))
        elif isinstance(node, ast.Attribute) and node.attr == "current_date":
            found.append((node.lineno, f"{path}:{node.lineno}: func.current_date (the database's zone)"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.upper()
            if "CURRENT_DATE" in text or "NOW()::DATE" in text or "LOCALTIMESTAMP" in text:
                found.append((node.lineno, f"{path}:{node.lineno}: SQL date of the database's clock"))
    return [text for _, text in sorted(found)]


def test_no_timestamp_becomes_a_date_outside_the_china_clock() -> None:
    offences: list[str] = []
    for folder in SCANNED:
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            relative = path.relative_to(REPO_ROOT)
            if relative in ALLOWED or "migrations" in relative.parts:
                continue
            offences += _date_conversions(relative)
    assert offences == [], "use ecosteward.clock.china_date / china_today:\n" + "\n".join(offences)


def test_the_static_check_sees_a_utc_date(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import datetime as dt\n"
        "def f(row):\n"
        "    a = row.revoked_at.date()\n"
        "    b = dt.date.today()\n"
        "    c = dt.datetime.utcnow()\n"
        "    d = sa.func.current_date()\n"
        "    e = 'SELECT CURRENT_DATE'\n"
        "    f = dt.date(2026, 1, 1)\n"
        "    g = dt.datetime.now(dt.UTC)\n",
        encoding="utf-8",
    )
    assert [line.split(": ", 1)[1] for line in _date_conversions(sample)] == [
        "row.revoked_at.date()",
        "dt.date.today()",
        "dt.datetime.utcnow()",
        "func.current_date (the database's zone)",
        "SQL date of the database's clock",
    ]
