"""Demo data: the demo town's first two quarterly reports of 2026 (once the registry has announced the
town), submitted through the reports use case."""

from __future__ import annotations

import datetime as dt

from ecosteward.clock import china_date
from ecosteward.demo import DEMO_JURISDICTION_ID, demo_id
from ecosteward.demo_support import demo_loader, known_row
from ecosteward.identity import Principal, Role
from ecosteward.outbox import UnitOfWork
from services.reporting.copies import KnownJurisdictionRow
from services.reporting.reports import service
from services.reporting.reports.domain import period_label
from services.reporting.reports.models import ReportRow

SUBMITTER = Principal(
    subject="demo-loader",
    username="demo-town",
    roles=frozenset({Role.TOWN_OFFICER}),
    jurisdiction_id=DEMO_JURISDICTION_ID,
)

# (quarter, submitted at (UTC), summary) — the second one came in a few days late.
REPORTS = [
    (
        1,
        dt.datetime(2026, 3, 30, 8, 0, tzinfo=dt.UTC),
        "一季度完成企业巡查120家次，发现问题58项，已整改51项。",
    ),
    (
        2,
        dt.datetime(2026, 7, 3, 9, 30, tzinfo=dt.UTC),
        "二季度完成企业巡查135家次，发现问题64项，已整改60项。",
    ),
]


async def _submit_reports(uow: UnitOfWork, town: KnownJurisdictionRow) -> None:
    for quarter, submitted_at, summary in REPORTS:
        period = period_label("QUARTERLY", 2026, quarter)
        await service.submit_report(
            uow,
            SUBMITTER,
            jurisdiction_id=town.id,
            kind="QUARTERLY",
            year=2026,
            quarter=quarter,
            summary=summary,
            today=china_date(submitted_at),
            submitted_at=submitted_at,
            new_id=demo_id("demo", "report", town.id, period),
        )


load = demo_loader(
    known_row(KnownJurisdictionRow, DEMO_JURISDICTION_ID),
    ReportRow,
    _submit_reports,
    "demo town not announced by the registry; demo reports not loaded",
)
"""Submit the demo reports once the demo town is known locally (it arrives as an event)."""
