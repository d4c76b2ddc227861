"""Bulk import of pollution sources against real PostgreSQL: all or none, outbox events, the CLI."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecosteward.config import REPO_ROOT
from ecosteward.db import create_engine, run_migrations, session_factory
from ecosteward.devstack.components import create_databases
from services.archive.imports import samples, service
from services.archive.imports.domain import FIELDS, LABELS, canonical_industry_code
from services.archive.imports.service import ImportConflictError, import_sources
from services.archive.models import TABLES, EnterpriseRow, KnownJurisdictionRow
from tests.support import Infra

MIGRATIONS = REPO_ROOT / "services" / "archive" / "migrations"
HEADERS = [LABELS[f] for f in FIELDS]
TOWNS = [(uuid.uuid4(), f"3101151{i:02d}", f"测试{i}镇") for i in range(5)]


async def _fresh_database(infra: Infra, migrate: bool = True) -> str:
    name = f"archive_import_{uuid.uuid4().hex[:8]}"
    await create_databases(infra.ports.postgres, [name])
    url = infra.pg_url(name)
    if migrate:
        await asyncio.to_thread(run_migrations, "archive", url, MIGRATIONS)
    return url


async def _add_towns(factory: async_sessionmaker[AsyncSession]) -> None:
    async with factory() as session, session.begin():
        session.add_all([KnownJurisdictionRow(id=i, code=c, name=n) for i, c, n in TOWNS])


@pytest.fixture
async def archive_db(infra: Infra) -> AsyncIterator[tuple[str, async_sessionmaker[AsyncSession]]]:
    url = await _fresh_database(infra)
    engine = create_engine(url)
    factory = session_factory(engine)
    await _add_towns(factory)
    yield url, factory
    await engine.dispose()


def _rows(count: int, salt: str, invalid_share: float = 0.0) -> tuple[list[list[str]], list[int]]:
    return samples.sample_rows(
        count, [n for _, _, n in TOWNS] + [c for _, c, _ in TOWNS], invalid_share=invalid_share, salt=salt
    )


async def _counts(factory: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with factory() as session:
        enterprises = await session.scalar(sa.select(sa.func.count()).select_from(EnterpriseRow))
        events = await session.scalar(sa.select(sa.func.count()).select_from(TABLES.outbox))
    return int(enterprises or 0), int(events or 0)


async def _outbox(factory: async_sessionmaker[AsyncSession]) -> list[Any]:
    async with factory() as session:
        result = await session.execute(
            sa.select(TABLES.outbox.c.seq, TABLES.outbox.c.event_type, TABLES.outbox.c.envelope).order_by(
                TABLES.outbox.c.seq
            )
        )
        return list(result.all())


async def test_one_bad_row_blocks_everything_then_good_rows_are_written_with_their_events(
    archive_db: tuple[str, async_sessionmaker[AsyncSession]], tmp_path: Path
) -> None:
    _, factory = archive_db
    rows, _ = _rows(1500, "all-or-none")
    rows[1234][3] = "不存在的街镇"
    path = samples.write_sheet(tmp_path / "sources.xlsx", HEADERS, rows)

    blocked = await import_sources(factory, path, dry_run=False, accept_good_rows=False, actor="bureau")
    assert blocked.blocked and not blocked.written
    assert [(r.row, r.field) for r in blocked.rejections] == [(1236, "jurisdiction")]
    assert await _counts(factory) == (0, 0)

    report = await import_sources(factory, path, dry_run=False, accept_good_rows=True, actor="bureau")
    assert (report.status, report.written_rows, report.rejected_rows) == ("WRITTEN", 1499, 1)
    assert await _counts(factory) == (1499, 1500)

    events = await _outbox(factory)
    assert [seq for seq, _, _ in events] == list(range(1, 1501))
    registered = [env for _, kind, env in events if kind == "archive.enterprise.registered"]
    assert len(registered) == 1499
    async with factory() as session:
        stored = {str(r.id): r for r in (await session.execute(sa.select(EnterpriseRow))).scalars().all()}
    for envelope in registered:
        data = envelope["data"]
        assert set(data) == {"id", "credit_code", "name", "jurisdiction_id"}
        row = stored[data["id"]]
        assert envelope["subject"] == data["id"]
        assert (row.credit_code, row.name, str(row.jurisdiction_id)) == (
            data["credit_code"],
            data["name"],
            data["jurisdiction_id"],
        )
    _, kind, summary = events[-1]
    assert kind == "archive.enterprise.import_completed"
    assert summary["data"]["written_rows"] == 1499
    assert summary["data"]["actor"] == "bureau"
    assert summary["subject"] == str(report.import_id)

    first = rows[0]
    async with factory() as session:
        row = (
            await session.execute(sa.select(EnterpriseRow).where(EnterpriseRow.credit_code == first[0]))
        ).scalar_one()
    assert row.name == first[1] and row.address == first[2]
    assert row.latitude == pytest.approx(float(first[6])) and row.longitude == pytest.approx(float(first[5]))
    assert row.industry_code == canonical_industry_code(first[4])
    assert row.status in ("OPERATING", "RELOCATING", "CLOSED") and row.deleted_at is None


async def test_a_failure_during_the_write_leaves_nothing_behind(
    archive_db: tuple[str, async_sessionmaker[AsyncSession]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, factory = archive_db
    rows, _ = _rows(2500, "conflict")
    # Another writer registers the last row's code after validation looked: the unique constraint
    # fails in the third chunk, after two chunks were inserted — and all of it rolls back.
    path = samples.write_sheet(tmp_path / "sources.csv", HEADERS, rows)
    real_known = service._known

    async def known_then_race(*args: Any) -> Any:
        result = await real_known(*args)
        async with factory() as session, session.begin():
            session.add(
                EnterpriseRow(
                    credit_code=rows[-1][0],
                    name="抢先登记",
                    jurisdiction_id=TOWNS[0][0],
                    permit_category="KEY",
                    status="OPERATING",
                )
            )
        return result

    monkeypatch.setattr(service, "_known", known_then_race)
    with pytest.raises(ImportConflictError):
        await import_sources(factory, path, dry_run=False, accept_good_rows=False, actor="bureau")
    assert await _counts(factory) == (1, 0)


async def test_dry_run_writes_nothing(
    archive_db: tuple[str, async_sessionmaker[AsyncSession]], tmp_path: Path
) -> None:
    _, factory = archive_db
    rows, invalid = _rows(300, "dry", invalid_share=0.05)
    path = samples.write_sheet(tmp_path / "sources.xlsx", HEADERS, rows)
    report = await import_sources(factory, path, dry_run=True, accept_good_rows=True, actor="bureau")
    assert report.status == "DRY_RUN" and not report.written
    assert sorted({r.row for r in report.rejections}) == invalid
    assert report.accepted_rows == 300 - len(invalid)
    assert await _counts(factory) == (0, 0)


async def test_gb18030_csv_with_english_headers(
    archive_db: tuple[str, async_sessionmaker[AsyncSession]], tmp_path: Path
) -> None:
    _, factory = archive_db
    rows, _ = _rows(200, "gb")
    path = samples.write_sheet(tmp_path / "sources.csv", list(FIELDS), rows, encoding="gb18030")
    report = await import_sources(factory, path, dry_run=False, accept_good_rows=False, actor="bureau")
    assert (report.status, report.encoding, report.written_rows) == ("WRITTEN", "gb18030", 200)
    async with factory() as session:
        names = set((await session.execute(sa.select(EnterpriseRow.name))).scalars())
    assert names == {r[1] for r in rows}
    again = await import_sources(factory, path, dry_run=False, accept_good_rows=True, actor="bureau")
    assert again.blocked and again.rejected_rows == 200
    assert all("already registered" in r.reason_en for r in again.rejections)
    assert await _counts(factory) == (200, 201)


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO_ROOT / ".venv" / "bin" / "ecosteward"), "import-sources", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        timeout=300,
        check=False,
    )


async def test_cli_migrates_imports_and_reports_with_exit_codes(infra: Infra, tmp_path: Path) -> None:
    url = await _fresh_database(infra, migrate=False)
    rows, _ = _rows(400, "cli")
    rows[10][0] = rows[10][0][:17] + ("0" if rows[10][0][17] != "0" else "1")
    bad = samples.write_sheet(tmp_path / "bad.xlsx", HEADERS, rows)
    good = samples.write_sheet(tmp_path / "good.csv", HEADERS, rows[:10] + rows[11:], encoding="gb18030")

    # A fresh database: the CLI applies the migrations; no jurisdictions are known yet.
    first = await asyncio.to_thread(_cli, str(good), "--dry-run", "--database-url", url)
    assert first.returncode == 2, first.stdout + first.stderr
    assert "no jurisdictions" in first.stdout

    engine = create_engine(url)
    factory = session_factory(engine)
    try:
        await _add_towns(factory)
        report = tmp_path / "out" / "report.xlsx"
        blocked = await asyncio.to_thread(_cli, str(bad), "--database-url", url, "--report", str(report))
        assert blocked.returncode == 2, blocked.stdout + blocked.stderr
        assert "第12行" in blocked.stdout and "A12" in blocked.stdout
        assert "校验 validating" in blocked.stderr
        sheets = pd.read_excel(report, sheet_name=None, dtype=str)
        assert sheets["拒绝 rejected"]["行号 row"].tolist() == ["12"]
        assert sheets["拒绝 rejected"]["列 column"].tolist() == ["统一社会信用代码"]
        assert await _counts(factory) == (0, 0)

        dry = await asyncio.to_thread(_cli, str(good), "--dry-run", "--database-url", url)
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert await _counts(factory) == (0, 0)

        csv_report = tmp_path / "report.csv"
        partial = await asyncio.to_thread(
            _cli,
            str(bad),
            "--accept-good-rows",
            "--database-url",
            url,
            "--report",
            str(csv_report),
            "--actor",
            "tester",
        )
        assert partial.returncode == 0, partial.stdout + partial.stderr
        assert "written 399" in partial.stdout
        assert pd.read_csv(csv_report, encoding="utf-8-sig")["行号 row"].tolist() == [12]
        assert await _counts(factory) == (399, 400)

        missing = await asyncio.to_thread(_cli, str(tmp_path / "nope.xlsx"), "--database-url", url)
        assert missing.returncode == 1 and "no such file" in missing.stderr

        # The database URL comes from the archive's settings by default.
        env = {"ECOSTEWARD_ARCHIVE_DATABASE_URL": url}
        via_settings = await asyncio.to_thread(_cli, str(good), "--dry-run", env=env)
        assert via_settings.returncode == 2 and "already registered" in via_settings.stdout
    finally:
        await engine.dispose()


def test_cli_help_is_reachable_from_the_main_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ecosteward.cli", "import-sources", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert result.returncode == 0
    assert "--accept-good-rows" in result.stdout and "--dry-run" in result.stdout
