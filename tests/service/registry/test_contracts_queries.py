"""The filing standing in SQL (``contracts.queries``) agrees with the pure rule (``domain.filing_standing``).

Generated cases: due dates around today and the "due soon" limit, unfiled / filed on time / filed
late, cancelled or not; every case is classified both ways on SQLite.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from decimal import Decimal

from ecosteward.db import utcnow
from ecosteward.workdays import WorkdayCalendar
from services.registry.agencies.models import AgencyRow
from services.registry.contracts import queries
from services.registry.contracts.domain import FilingStanding, FilingStatus, filing_standing
from services.registry.contracts.models import FilingRow, ServiceContractRow
from services.registry.jurisdictions.models import JurisdictionRow
from tests.service.registry.conftest import BUREAU
from tests.service.support import ServiceDb

TODAY = dt.date(2026, 9, 30)  # a Wednesday; the calendar has weekends off only
CALENDAR = WorkdayCalendar([], range(2000, 2101))


async def test_sql_and_python_standings_agree(db: ServiceDb) -> None:
    cases = list(
        itertools.product(
            range(-6, 12),  # due date offset from today, in calendar days
            (None, -3, 0, 2),  # first filed: never, or this many days after the due date
            (False, True),  # cancelled (an early termination)
        )
    )
    expected: dict[uuid.UUID, FilingStanding] = {}
    async with db.unit_of_work() as uow:
        town = JurisdictionRow(code="T1", name="镇", kind="TOWN")
        agency = AgencyRow(
            name="机构",
            credit_code="91310115MA1H7GXQ2B",
            admin_username="admin",
            status="ADMITTED",
            status_changed_at=utcnow(),
        )
        uow.session.add_all([town, agency])
        await uow.session.flush()
        for due_offset, filed_offset, cancelled in cases:
            due_on = TODAY + dt.timedelta(days=due_offset)
            first_filed_on = None if filed_offset is None else due_on + dt.timedelta(days=filed_offset)
            status = FilingStatus.CANCELLED if cancelled and first_filed_on is None else FilingStatus.PENDING
            if first_filed_on is not None:
                status = FilingStatus.FILED
            contract = ServiceContractRow(
                title="合同",
                agency_id=agency.id,
                jurisdiction_id=town.id,
                price=Decimal("1.00"),
                starts_on=due_on,
                ends_on=due_on,
                service_mode="ON_SITE",
                contracted_tasks=1,
                status="SIGNED",
            )
            uow.session.add(contract)
            await uow.session.flush()
            row = FilingRow(
                id=uuid.uuid4(),
                contract_id=contract.id,
                jurisdiction_id=town.id,
                agency_id=agency.id,
                signed_on=due_on - dt.timedelta(days=14),
                due_on=due_on,
                due_provisional=False,
                status=status.value,
                first_filed_on=first_filed_on,
                filed_late=None if first_filed_on is None else first_filed_on > due_on,
            )
            uow.session.add(row)
            expected[row.id] = filing_standing(
                due_on,
                first_filed_on,
                TODAY,
                CALENDAR.working_days_between(TODAY, due_on),
                cancelled=status is FilingStatus.CANCELLED,
            )
    async with db.sessions() as session:
        for standing in FilingStanding:
            query = queries.FilingQuery(standing=standing)
            statement = queries.filing_statement(BUREAU, query, TODAY, CALENDAR).with_only_columns(
                FilingRow.id
            )
            found = set((await session.execute(statement)).scalars())
            assert found == {i for i, s in expected.items() if s is standing}, standing
        filings = queries.filing_statement(BUREAU, None, TODAY, CALENDAR)
        counts = await queries.filing_counts(session, filings, TODAY, CALENDAR)
    tally = {s: sum(1 for v in expected.values() if v is s) for s in FilingStanding}
    assert counts.total == len(cases)
    assert (counts.awaiting, counts.due_soon, counts.overdue) == (
        tally[FilingStanding.AWAITING],
        tally[FilingStanding.DUE_SOON],
        tally[FilingStanding.OVERDUE],
    )
    assert (counts.filed_on_time, counts.filed_late) == (
        tally[FilingStanding.FILED_ON_TIME],
        tally[FilingStanding.FILED_LATE],
    )
