"""Report use cases (用例): submit a quarterly or annual report.

Runs inside the caller's unit of work (the row and the event in the outbox, or nothing at all); the
caller checks the role, this checks the scope through ``../access.py``.
"""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa

from ecosteward.errors import BadUserInput, Conflict
from ecosteward.identity import Principal
from ecosteward.outbox import UnitOfWork
from ecosteward.uniqueness import add_unique
from services.reporting import access
from services.reporting.copies import KnownJurisdictionRow
from services.reporting.reports import domain
from services.reporting.reports.events import ReportChanged
from services.reporting.reports.models import ReportRow


async def submit_report(
    uow: UnitOfWork,
    actor: Principal,
    *,
    jurisdiction_id: uuid.UUID,
    kind: str,
    year: int,
    quarter: int | None,
    summary: str,
    today: dt.date,
    submitted_at: dt.datetime,
    new_id: uuid.UUID | None = None,
) -> ReportRow:
    """Submit a report for a known jurisdiction (a town: its own); one per jurisdiction, kind and
    period (CONFLICT otherwise); the period must have begun by ``today`` (China's date)."""
    access.check_may_submit(actor, jurisdiction_id)
    domain.check_submission(kind, year, quarter, summary, today)
    period = domain.period_label(kind, year, quarter)
    already = Conflict(
        f"A {kind.lower()} report for {period} was already submitted (重复报送).", field="year"
    )
    if await uow.session.get(KnownJurisdictionRow, jurisdiction_id) is None:
        raise BadUserInput(
            "Unknown jurisdiction: the registry has not announced it (辖区不存在).",
            code="UNKNOWN_JURISDICTION",
            field="jurisdictionId",
        )
    row = ReportRow(
        jurisdiction_id=jurisdiction_id,
        kind=kind,
        year=year,
        quarter=quarter,
        period=period,
        status=domain.ReportStatus.SUBMITTED,
        submitted_at=submitted_at,
        summary=summary.strip(),
    )
    if new_id is not None:
        row.id = new_id
    twin = sa.select(ReportRow.id).where(
        ReportRow.jurisdiction_id == jurisdiction_id, ReportRow.kind == kind, ReportRow.period == period
    )
    await add_unique(uow.session, row, twin, already)
    uow.publish("submitted", ReportChanged.of(row), subject=row.id)
    return row
