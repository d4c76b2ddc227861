"""China's date (北京时间), pure checks at both clock pins (the ``china_clock`` fixture, 00:30 and 23:30 CST).

The services' use cases at the same pins: ``tests/service/platform/test_china_dates.py``.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import strawberry

from ecosteward.clock import CHINA, china_date, china_today
from ecosteward.db import utcnow
from services.reporting.reports import domain as reporting_domain
from services.reporting.reports.schema import Report, ReportKind, ReportStatus


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
