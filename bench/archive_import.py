"""Bulk import of pollution sources: rows/s for XLSX and CSV, written and dry run.

Generates 50,000 valid rows plus 1 % invalid ones (500, each with one problem) with Pudong's
jurisdictions, as an XLSX and as a GB18030 CSV, and imports each into a fresh SQLite database (the
embedded default) with ``accept_good_rows`` — reading, validating every row, and writing the
enterprises and one outbox event each in one transaction. Then a dry run of each (read and validate
only). Target: ≥ 2,000 rows/s including validation. ``BENCH_IMPORT_ROWS`` changes the valid count.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from ecosteward.config import REPO_ROOT
from ecosteward.db import create_engine, run_migrations, session_factory
from services.archive.imports import samples
from services.archive.imports.service import ImportReport, import_sources
from services.archive.models import TABLES, EnterpriseRow, KnownJurisdictionRow
from services.registry.reference import pudong_directory

VALID_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "50000"))
INVALID_ROWS = VALID_ROWS // 100
TARGET_ROWS_PER_SECOND = 2000.0
WORK = REPO_ROOT / ".data" / "bench" / "archive_import"
MIGRATIONS = REPO_ROOT / "services" / "archive" / "migrations"


def _run(database: Path, source: Path, dry_run: bool) -> tuple[ImportReport, int, int]:
    url = f"sqlite+aiosqlite:///{database}"
    if not database.exists():
        run_migrations("archive", url, MIGRATIONS)
    return asyncio.run(_import(url, source, dry_run))


async def _import(url: str, source: Path, dry_run: bool) -> tuple[ImportReport, int, int]:
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        async with sessions() as session, session.begin():
            if not await session.scalar(sa.select(sa.func.count()).select_from(KnownJurisdictionRow)):
                session.add_all(
                    KnownJurisdictionRow(id=uuid.uuid5(uuid.NAMESPACE_URL, e.code), code=e.code, name=e.name)
                    for e in pudong_directory()
                )
        report = await import_sources(sessions, source, dry_run=dry_run, accept_good_rows=True, actor="bench")
        async with sessions() as session:
            enterprises = await session.scalar(sa.select(sa.func.count()).select_from(EnterpriseRow))
            events = await session.scalar(sa.select(sa.func.count()).select_from(TABLES.outbox))
        return report, int(enterprises or 0), int(events or 0)
    finally:
        await engine.dispose()


def _line(label: str, report: ImportReport, extra: str = "") -> None:
    rate = report.rows_per_second
    verdict = "ok" if rate >= TARGET_ROWS_PER_SECOND else "SLOW"
    print(
        f"  {label:<24} {report.duration_seconds:6.2f} s  {rate:9,.0f} rows/s  "
        f"(target ≥ {TARGET_ROWS_PER_SECOND:,.0f}: {verdict}){extra}"
    )


def main() -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    total = VALID_ROWS + INVALID_ROWS
    towns = [e.name for e in pudong_directory()] + [e.code for e in pudong_directory()]
    began = time.perf_counter()
    rows, invalid = samples.sample_rows(total, towns, invalid_share=INVALID_ROWS / total, seed=2026)
    xlsx = samples.write_sheet(WORK / "sources.xlsx", samples.CHINESE_HEADERS, rows)
    csv = samples.write_sheet(WORK / "sources.csv", samples.CHINESE_HEADERS, rows, encoding="gb18030")
    print(
        f"archive_import: {total:,} rows ({total - len(invalid):,} valid, {len(invalid):,} invalid), "
        f"SQLite, accept good rows; files generated in {time.perf_counter() - began:.1f}s "
        f"(xlsx {xlsx.stat().st_size / 1e6:.1f} MB, csv {csv.stat().st_size / 1e6:.1f} MB)"
    )
    for label, source in (("xlsx", xlsx), ("csv gb18030", csv)):
        database = WORK / f"archive-{source.suffix[1:]}.db"
        report, enterprises, events = _run(database, source, dry_run=False)
        assert report.written_rows == enterprises == total - len(invalid), report.summary()
        assert report.rejected_rows == len(invalid), report.summary()
        _line(f"{label} import", report, f"  {enterprises:,} enterprises, {events:,} outbox events")
    for label, source in (("xlsx", xlsx), ("csv gb18030", csv)):
        report, enterprises, _ = _run(WORK / "archive-dry.db", source, dry_run=True)
        assert enterprises == 0 and report.accepted_rows == total - len(invalid), report.summary()
        _line(f"{label} dry run", report)


if __name__ == "__main__":
    main()
