"""``ecosteward import-sources FILE`` — bulk-import pollution sources into the archive.

Exit codes: 0 written (or a dry run / an import with nothing rejected that would write), 1 the file
or the database could not be used, 2 rejected rows blocked the import (nothing written).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import time
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError

from ecosteward.config import load_settings
from ecosteward.db import create_engine, run_migrations, session_factory
from services.archive.imports.service import ImportReport, SourceImportError, import_sources

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
SHOWN_REJECTIONS = 20
EXIT_OK, EXIT_ERROR, EXIT_BLOCKED = 0, 1, 2

_PHASES = {"read": "读取 reading", "validate": "校验 validating", "write": "写入 writing"}


class TextProgress:
    """A text progress bar on stderr; on a non-terminal, one line per finished phase."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.tty = stream.isatty()
        self._last = 0.0
        self._phase = ""

    def __call__(self, phase: str, done: int, total: int) -> None:
        finished = total > 0 and done >= total
        now = time.monotonic()
        if not finished and phase == self._phase and now - self._last < 0.1:
            return
        self._last, self._phase = now, phase
        label = _PHASES.get(phase, phase)
        if not self.tty:
            if finished:
                self.stream.write(f"{label}: {done:,}/{total:,}\n")
                self.stream.flush()
            return
        share = done / total if total else 0.0
        filled = int(share * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r{label:<16} [{bar}] {share:4.0%} {done:,}/{total:,}")
        if finished:
            self.stream.write("\n")
        self.stream.flush()


def _print_report(report: ImportReport, out: TextIO) -> None:
    for line in report.summary_lines():
        print(line, file=out)
    if report.rejections:
        shown = report.rejections[:SHOWN_REJECTIONS]
        print(f"  前{len(shown)}条被拒绝的单元格 first rejected cells:", file=out)
        for r in shown:
            where = r.cell or f"row {r.row}"
            value = r.value if len(r.value) <= 40 else r.value[:37] + "..."
            print(f"    第{r.row}行 {where} {r.column} {value!r}: {r.reason}", file=out)
        if len(report.rejections) > len(shown):
            print(f"    ... 另有 {len(report.rejections) - len(shown)} 条 (more: see --report)", file=out)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ecosteward import-sources",
        description="Bulk-import pollution sources (批量导入污染源) from an XLSX or CSV source list: every "
        "row is validated first; with any rejected row nothing is written unless --accept-good-rows.",
    )
    p.add_argument("file", type=Path, help="the source list (.xlsx or .csv; UTF-8 or GB18030)")
    p.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
    p.add_argument(
        "--accept-good-rows",
        action="store_true",
        help="write the valid rows even when others are rejected (default: all or none)",
    )
    p.add_argument("--report", type=Path, default=None, help="write the report to OUT.xlsx or OUT.csv")
    p.add_argument(
        "--database-url", default=None, help="the archive database (default: the archive's settings)"
    )
    p.add_argument("--actor", default=None, help="who runs the import (default: cli:<login name>)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


async def _run(args: argparse.Namespace, url: str) -> ImportReport:
    engine = create_engine(url)
    try:
        return await import_sources(
            session_factory(engine),
            args.file,
            dry_run=args.dry_run,
            accept_good_rows=args.accept_good_rows,
            actor=args.actor or f"cli:{getpass.getuser()}",
            progress=None if args.quiet else TextProgress(),
        )
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.report is not None and args.report.suffix.lower() not in (".xlsx", ".csv"):
        print("--report must end in .xlsx or .csv", file=sys.stderr)
        return EXIT_ERROR
    url = args.database_url or load_settings("archive").database_url
    try:
        run_migrations("archive", url, MIGRATIONS)
        report = asyncio.run(_run(args, url))
    except SourceImportError as exc:
        print(f"导入失败 import failed: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (OSError, SQLAlchemyError) as exc:
        print(f"数据库不可用，未导入 database unavailable, nothing imported: {exc}", file=sys.stderr)
        return EXIT_ERROR
    _print_report(report, sys.stdout)
    if args.report is not None:
        written = report.write_report(args.report)
        print(f"  报告 report: {written}")
    return EXIT_BLOCKED if report.blocked else EXIT_OK
