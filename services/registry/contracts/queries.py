"""Read side of contracts and filings: the filings inbox's filters and counts in SQL.

The standing of a filing (``domain.filing_standing``) is decided in Python for one row and in SQL
for a page or a count; both forms live here and in ``domain.py`` side by side, and
``tests/service/registry/test_contracts_queries.py`` checks that they agree.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa

from ecosteward.identity import Principal
from ecosteward.repository import live
from ecosteward.workdays import WorkdayCalendar
from services.registry import access
from services.registry.calendar.domain import check_working_days
from services.registry.contracts.domain import DUE_SOON_WORKING_DAYS, FilingStanding, FilingStatus
from services.registry.contracts.models import FilingRow


def awaiting_filing() -> Any:
    """Filings still owed: not filed yet, and not cancelled by an early termination."""
    return FilingRow.first_filed_on.is_(None) & (FilingRow.status != FilingStatus.CANCELLED.value)


@dataclass(frozen=True)
class FilingQuery:
    """The inbox filters (all optional; every one given must hold)."""

    status: FilingStatus | None = None
    standing: FilingStanding | None = None
    jurisdiction_id: uuid.UUID | None = None
    due_within_working_days: int | None = None
    overdue: bool | None = None
    filed_late: bool | None = None
    provisional: bool | None = None


def due_soon_limit(today: dt.date, calendar: WorkdayCalendar) -> dt.date:
    """The last due date that counts as "due soon" today."""
    return calendar.add_working_days(today, DUE_SOON_WORKING_DAYS).due_on


def standing_clause(standing: FilingStanding, today: dt.date, calendar: WorkdayCalendar) -> Any:
    """SQL form of ``domain.filing_standing``: the filings that stand at ``standing`` today."""
    unfiled = awaiting_filing()
    soon = due_soon_limit(today, calendar)
    clauses = {
        FilingStanding.OVERDUE: unfiled & (FilingRow.due_on < today),
        FilingStanding.DUE_SOON: unfiled & (FilingRow.due_on >= today) & (FilingRow.due_on <= soon),
        FilingStanding.AWAITING: unfiled & (FilingRow.due_on > soon),
        FilingStanding.FILED_ON_TIME: FilingRow.filed_late.is_(False),
        FilingStanding.FILED_LATE: FilingRow.filed_late.is_(True),
        FilingStanding.CANCELLED: FilingRow.first_filed_on.is_(None)
        & (FilingRow.status == FilingStatus.CANCELLED.value),
    }
    return clauses[standing]


def filing_statement(
    user: Principal, query: FilingQuery | None, today: dt.date, calendar: WorkdayCalendar
) -> sa.Select[Any]:
    """The live filings ``user`` may read that match ``query``."""
    stmt = access.contract_scope(live(FilingRow), user, FilingRow)
    if query is None:
        return stmt
    unfiled = awaiting_filing()
    if query.status is not None:
        stmt = stmt.where(FilingRow.status == query.status.value)
    if query.jurisdiction_id is not None:
        stmt = stmt.where(FilingRow.jurisdiction_id == query.jurisdiction_id)
    if query.provisional is not None:
        stmt = stmt.where(FilingRow.due_provisional.is_(query.provisional))
    if query.filed_late is not None:
        stmt = stmt.where(FilingRow.filed_late.is_(query.filed_late))
    if query.overdue is not None:
        late = unfiled & (FilingRow.due_on < today)
        stmt = stmt.where(late if query.overdue else ~late)
    if query.due_within_working_days is not None:
        check_working_days(query.due_within_working_days, "dueWithinWorkingDays")
        limit = calendar.add_working_days(today, query.due_within_working_days).due_on
        stmt = stmt.where(unfiled, FilingRow.due_on >= today, FilingRow.due_on <= limit)
    if query.standing is not None:
        stmt = stmt.where(standing_clause(query.standing, today, calendar))
    return stmt


@dataclass(frozen=True)
class FilingCountsRow:
    total: int
    awaiting: int
    due_soon: int
    overdue: int
    filed_on_time: int
    filed_late: int


COUNTED = (
    FilingStanding.AWAITING,
    FilingStanding.DUE_SOON,
    FilingStanding.OVERDUE,
    FilingStanding.FILED_ON_TIME,
    FilingStanding.FILED_LATE,
)
"""The standings :class:`FilingCountsRow` counts, in its field order after ``total``."""


def filing_counts_statement(
    filings: sa.Select[Any], today: dt.date, calendar: WorkdayCalendar
) -> sa.Select[Any]:
    """Counts of the filings ``filings`` selects: all, then one per :data:`COUNTED` standing
    (through :func:`standing_clause`, so the counts and the filters cannot disagree)."""
    count = sa.func.count
    columns = [count(), *(count().filter(standing_clause(s, today, calendar)) for s in COUNTED)]
    counts = filings.with_only_columns(*columns, maintain_column_froms=True).order_by(None)
    return cast(sa.Select[Any], counts)


async def filing_counts(
    session: Any, filings: sa.Select[Any], today: dt.date, calendar: WorkdayCalendar
) -> FilingCountsRow:
    row = (await session.execute(filing_counts_statement(filings, today, calendar))).one()
    return FilingCountsRow(*row)
