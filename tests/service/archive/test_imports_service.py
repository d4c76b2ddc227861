"""The bulk import of pollution sources on SQLite (the archive's migrations, the real outbox): all or
nothing, dry runs and report files, empty files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.archive.base import TABLES
from services.archive.copies import KnownJurisdictionRow
from services.archive.enterprises.models import EnterpriseRow
from services.archive.imports import samples
from services.archive.imports.domain import FIELDS
from services.archive.imports.service import REPORT_COLUMNS, import_sources
from tests.service.support import service_db
from tests.unit.archive.test_imports_domain import HEADERS, JURISDICTIONS, code, good


@pytest.fixture
async def sqlite_sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with service_db("archive", TABLES, tmp_path) as db:
        async with db.sessions() as session, session.begin():
            session.add_all([KnownJurisdictionRow(id=i, code=c, name=n) for i, c, n in JURISDICTIONS])
        yield db.sessions


async def _counts(factory: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with factory() as session:
        enterprises = await session.scalar(sa.select(sa.func.count()).select_from(EnterpriseRow))
        events = await session.scalar(sa.select(sa.func.count()).select_from(TABLES.outbox))
    return int(enterprises or 0), int(events or 0)


async def test_one_bad_row_writes_nothing_and_accept_good_rows_writes_the_rest(
    sqlite_sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    path = samples.write_sheet(tmp_path / "s.xlsx", HEADERS, [good(1), good(2, jurisdiction="火星"), good(3)])
    report = await import_sources(sqlite_sessions, path, dry_run=False, accept_good_rows=False, actor="t")
    assert (report.status, report.written, report.blocked) == ("BLOCKED", False, True)
    assert (report.total_rows, report.accepted_rows, report.rejected_rows) == (3, 2, 1)
    assert await _counts(sqlite_sessions) == (0, 0)

    report = await import_sources(sqlite_sessions, path, dry_run=False, accept_good_rows=True, actor="t")
    assert (report.status, report.written_rows) == ("WRITTEN", 2)
    assert await _counts(sqlite_sessions) == (2, 3)  # two registered + one import_completed

    again = await import_sources(sqlite_sessions, path, dry_run=False, accept_good_rows=False, actor="t")
    assert again.blocked and {r.row for r in again.rejections} == {2, 3, 4}
    assert await _counts(sqlite_sessions) == (2, 3)


async def test_dry_run_and_report_files(
    sqlite_sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    path = samples.write_sheet(
        tmp_path / "s.csv", list(FIELDS), [good(1), good(2, latitude="")], encoding="gb18030"
    )
    calls: list[tuple[str, int, int]] = []
    report = await import_sources(
        sqlite_sessions,
        path,
        dry_run=True,
        accept_good_rows=True,
        actor="t",
        progress=lambda *a: calls.append(a),
    )
    assert (report.status, report.encoding, report.accepted_rows) == ("DRY_RUN", "gb18030", 1)
    assert await _counts(sqlite_sessions) == (0, 0)
    assert ("validate", 2, 2) in calls and ("read", 1, 1) in calls

    frame = report.to_frame()
    assert list(frame.columns) == list(REPORT_COLUMNS)
    assert frame.iloc[0].tolist()[:4] == [3, "G3", "latitude", ""]
    csv_path = report.write_report(tmp_path / "out" / "r.csv")
    assert pd.read_csv(csv_path, encoding="utf-8-sig").shape == (1, len(REPORT_COLUMNS))
    xlsx = pd.read_excel(report.write_report(tmp_path / "r.xlsx"), sheet_name=None, dtype=str)
    assert list(xlsx) == ["汇总 summary", "拒绝 rejected", "待修正 to fix"]
    to_fix = xlsx["待修正 to fix"]
    assert to_fix["credit_code"].tolist() == [code(2)]
    assert "latitude" in to_fix["原因 reasons"].iloc[0]


async def test_empty_and_header_only_files(
    sqlite_sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    report = await import_sources(sqlite_sessions, empty, dry_run=False, accept_good_rows=False, actor="t")
    assert report.blocked and report.rejections[0].row == 1
    header_only = samples.write_template(tmp_path / "template.xlsx")
    report = await import_sources(
        sqlite_sessions, header_only, dry_run=False, accept_good_rows=False, actor="t"
    )
    assert (report.status, report.total_rows, report.blocked) == ("NOTHING_TO_WRITE", 0, False)
    assert await _counts(sqlite_sessions) == (0, 0)
