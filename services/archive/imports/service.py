"""Bulk import of pollution sources (批量导入污染源): read, validate every row, then write all or none.

:func:`import_sources` reads an XLSX or CSV source list with pandas (every cell as text, so leading
zeros survive), validates all rows (:mod:`services.archive.imports.domain`) against the archive's
local jurisdictions and the credit codes already registered, and then

* on a dry run writes nothing;
* when any row is rejected writes nothing — unless ``accept_good_rows``, which writes the good ones;
* otherwise inserts every good row in ONE transaction (chunked bulk inserts) together with one
  ``enterprise.registered`` outbox event per enterprise (the shape ``registerEnterprise`` emits) and
  one ``enterprise.import_completed`` summary event.

The :class:`ImportReport` says what happened and lists each rejected cell (spreadsheet row number,
column, value, reason in Chinese and English); ``write_report`` saves it as CSV or XLSX.
"""

from __future__ import annotations

import asyncio
import codecs
import io
import logging
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecosteward.db import utcnow
from ecosteward.outbox import PlatformTables, UnitOfWork, store_events
from services.archive.base import TABLES
from services.archive.copies import KnownJurisdictionRow
from services.archive.enterprises.events import EnterpriseChanged
from services.archive.enterprises.models import EnterpriseRow
from services.archive.imports import domain
from services.archive.imports.domain import Rejection, SourceRecord

if TYPE_CHECKING:
    from ecosteward.runtime import ServiceRuntime

log = logging.getLogger(__name__)

SERVICE = "archive"
CHUNK_ROWS = 1000
"""Rows per bulk INSERT statement (and per progress step while writing)."""
LOOKUP_CHUNK = 1000
"""Credit codes per ``IN (...)`` query when looking for those already registered."""
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")

REPORT_COLUMNS = ("行号 row", "单元格 cell", "列 column", "值 value", "原因 reason", "reason (English)")
"""Columns of :meth:`ImportReport.to_frame`."""

Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``; phases ``read``, ``validate``, ``write``."""

T = TypeVar("T")


class SourceImportError(Exception):
    """The import could not run (an unreadable file, a database conflict); nothing was written."""


class ImportFileError(SourceImportError):
    """The file cannot be read as a source list."""


class ImportConflictError(SourceImportError):
    """The write transaction failed (e.g. another import registered one of the codes meanwhile)."""


@dataclass
class ImportReport:
    """What an import did: totals, the rejected cells, whether anything was written, how long it took."""

    import_id: uuid.UUID
    source: str
    actor: str
    dry_run: bool
    accept_good_rows: bool
    total_rows: int = 0
    """Non-blank data rows in the file."""
    accepted_rows: int = 0
    """Rows that passed validation."""
    rejected_rows: int = 0
    """Rows with at least one rejection."""
    rejections: list[Rejection] = field(default_factory=list)
    written: bool = False
    written_rows: int = 0
    blocked: bool = False
    """Rejected rows left nothing to write (all or none; or every row was rejected)."""
    duration_seconds: float = 0.0
    encoding: str | None = None
    """The text encoding a CSV was read with (None for XLSX)."""
    header_row: int = 1
    ignored_headers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    enterprise_ids: list[uuid.UUID] = field(default_factory=list)
    source_headers: list[str] = field(default_factory=list)
    """The header row as written in the file (for the "to fix" sheet)."""
    rejected_source_rows: list[tuple[int, list[str]]] = field(default_factory=list)
    """The rejected rows' original cells, so they can be fixed and imported again."""

    @property
    def status(self) -> str:
        """``WRITTEN``, ``DRY_RUN``, ``BLOCKED`` (rejections stopped it) or ``NOTHING_TO_WRITE``."""
        if self.written:
            return "WRITTEN"
        if self.blocked:
            return "BLOCKED"
        if self.dry_run:
            return "DRY_RUN"
        return "NOTHING_TO_WRITE"

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.duration_seconds if self.duration_seconds > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "import_id": str(self.import_id),
            "source": self.source,
            "actor": self.actor,
            "status": self.status,
            "dry_run": self.dry_run,
            "accept_good_rows": self.accept_good_rows,
            "total_rows": self.total_rows,
            "accepted_rows": self.accepted_rows,
            "rejected_rows": self.rejected_rows,
            "rejections": len(self.rejections),
            "written": self.written,
            "written_rows": self.written_rows,
            "duration_seconds": round(self.duration_seconds, 3),
            "encoding": self.encoding or "",
            "header_row": self.header_row,
            "ignored_headers": ", ".join(self.ignored_headers),
        }

    def summary_lines(self) -> list[str]:
        verdict = {
            "WRITTEN": f"已导入 {self.written_rows} 条 (written {self.written_rows} enterprises)",
            "DRY_RUN": "试运行，未写入 (dry run: nothing written)",
            "BLOCKED": "有被拒绝的行，未写入任何数据 (rejected rows blocked the import: nothing written)",
            "NOTHING_TO_WRITE": "没有可导入的行 (nothing to import)",
        }[self.status]
        lines = [
            f"{self.source}: {verdict}",
            f"  总行数 rows {self.total_rows} · 通过 accepted {self.accepted_rows} · "
            f"拒绝 rejected {self.rejected_rows} ({len(self.rejections)} problems) · "
            f"{self.duration_seconds:.2f}s ({self.rows_per_second:,.0f} rows/s)",
        ]
        if self.ignored_headers:
            lines.append(f"  忽略的列 ignored columns: {', '.join(self.ignored_headers)}")
        lines.extend(f"  注意 warning: {w}" for w in self.warnings)
        return lines

    def to_frame(self) -> pd.DataFrame:
        """The rejected cells, one per line, in row order."""
        return pd.DataFrame(
            [(r.row, r.cell, r.column, r.value, r.reason_zh, r.reason_en) for r in self.rejections],
            columns=list(REPORT_COLUMNS),
        )

    def to_fix_frame(self) -> pd.DataFrame:
        """The rejected rows as they were in the file, with their reasons: fix and import again."""
        width = max([len(self.source_headers), *(len(c) for _, c in self.rejected_source_rows)], default=0)
        headers = [*self.source_headers, *[f"列{i + 1}" for i in range(len(self.source_headers), width)]]
        reasons: dict[int, list[str]] = {}
        for r in self.rejections:
            reasons.setdefault(r.row, []).append(f"{r.column}: {r.reason}" if r.column else r.reason)
        data = [
            [row, *cells, *[""] * (width - len(cells)), "；".join(reasons.get(row, []))]
            for row, cells in self.rejected_source_rows
        ]
        return pd.DataFrame(data, columns=["行号 row", *headers, "原因 reasons"])

    def write_report(self, path: str | Path) -> Path:
        """Save the report: ``.xlsx`` (summary, rejected cells, rows to fix) or ``.csv`` (rejected
        cells, UTF-8 with BOM so Excel shows the Chinese)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".csv":
            self.to_frame().to_csv(path, index=False, encoding="utf-8-sig")
            return path
        if path.suffix.lower() not in EXCEL_SUFFIXES:
            raise ValueError(f"report must be .xlsx or .csv, not {path.suffix or 'no suffix'}")
        summary = pd.DataFrame(list(self.summary().items()), columns=["项目 item", "值 value"])
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            summary.to_excel(writer, sheet_name="汇总 summary", index=False)
            self.to_frame().to_excel(writer, sheet_name="拒绝 rejected", index=False)
            self.to_fix_frame().to_excel(writer, sheet_name="待修正 to fix", index=False)
        return path


# ------------------------------------------------------------------------------------------ reading


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a CSV: UTF-16 with a BOM, UTF-8 with or without a BOM, else GB18030 (covers GBK and
    GB2312, what older Chinese systems and Excel "CSV" on Chinese Windows write)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            "无法识别文件编码，请另存为 UTF-8 或 GB18030 编码的 CSV "
            f"(cannot decode the file as UTF-8 or GB18030: {exc.reason} at byte {exc.start})"
        ) from exc


def _read_text(data: bytes, suffix: str) -> tuple[list[list[object]], str]:
    text, encoding = decode_text(data)
    lines = text.splitlines()
    if not lines:
        return [], encoding
    first = lines[0]
    sep = "\t" if suffix == ".tsv" or first.count("\t") > first.count(",") else ","
    # Name enough columns for the widest line, so rows longer than the header do not fail.
    width = max(line.count(sep) for line in lines) + 1
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            names=list(range(width)),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise ImportFileError(f"CSV 文件格式错误 (the CSV cannot be parsed: {exc})") from exc
    return frame.fillna("").to_numpy(dtype=object).tolist(), encoding


def read_rows(path: str | Path) -> tuple[list[list[object]], str | None]:
    """Every row of the file's first sheet as text cells, and the encoding of a CSV."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ImportFileError(f"文件不存在 (no such file: {path})")
    if suffix == ".xls":
        raise ImportFileError(
            "不支持旧版 .xls 格式，请另存为 .xlsx (legacy .xls is not supported; save as .xlsx)"
        )
    if suffix in TEXT_SUFFIXES:
        return _read_text(path.read_bytes(), suffix)
    if suffix in EXCEL_SUFFIXES:
        try:
            frame = pd.read_excel(path, sheet_name=0, header=None, dtype=str, engine="openpyxl")
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise ImportFileError(f"无法读取 Excel 文件 (not a readable .xlsx file: {exc})") from exc
        return frame.fillna("").to_numpy(dtype=object).tolist(), None
    raise ImportFileError(
        f"不支持的文件类型 {suffix or '(无扩展名)'}，请使用 .xlsx 或 .csv (use .xlsx or .csv, not {suffix or 'no suffix'})"
    )


# ------------------------------------------------------------------------------------------ writing


def enterprise_values(record: SourceRecord, enterprise_id: uuid.UUID, now: Any) -> dict[str, Any]:
    """The ``enterprises`` row of a validated record — every column of ``EnterpriseRow``."""
    return {
        "id": enterprise_id,
        "credit_code": record.credit_code,
        "name": record.name,
        "address": record.address,
        "jurisdiction_id": record.jurisdiction_id,
        "industry_code": record.industry_code,
        "latitude": record.latitude,
        "longitude": record.longitude,
        "permit_category": record.permit_category,
        "status": record.status,
        "status_changed_at": None,
        "key_source": False,  # the classification area decides, as for registerEnterprise
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
    }


def registered_event(enterprise_id: uuid.UUID, record: SourceRecord) -> EnterpriseChanged:
    """``enterprise.registered`` of an imported source: its id, credit code, name and jurisdiction
    (what the other services copy; ``registerEnterprise`` also sends the rest of the master data)."""
    return EnterpriseChanged(
        id=enterprise_id,
        credit_code=record.credit_code,
        name=record.name,
        jurisdiction_id=record.jurisdiction_id,
    )


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ------------------------------------------------------------------------------------------ import


def _target(
    runtime_or_sessions: ServiceRuntime | async_sessionmaker[AsyncSession],
) -> tuple[async_sessionmaker[AsyncSession], PlatformTables, Callable[[], None] | None]:
    if isinstance(runtime_or_sessions, async_sessionmaker):
        return runtime_or_sessions, TABLES, None
    runtime = runtime_or_sessions
    return runtime.sessions, runtime.definition.tables, runtime.relay.wake


async def _known(
    sessions: async_sessionmaker[AsyncSession], codes: set[str]
) -> tuple[dict[str, uuid.UUID | None], set[str], int]:
    """The jurisdiction lookup, which of ``codes`` are registered already, and how many
    jurisdictions the archive knows."""
    async with sessions() as session:
        known = (
            await session.execute(
                sa.select(KnownJurisdictionRow.id, KnownJurisdictionRow.code, KnownJurisdictionRow.name)
            )
        ).all()
        existing: set[str] = set()
        # Soft-deleted enterprises count: the credit code stays unique across all rows.
        for chunk in _chunks(sorted(codes), LOOKUP_CHUNK):
            found = await session.execute(
                sa.select(EnterpriseRow.credit_code).where(EnterpriseRow.credit_code.in_(chunk))
            )
            existing.update(found.scalars())
    lookup = domain.jurisdiction_lookup((r.id, r.code, r.name) for r in known)
    return lookup, existing, len(known)


def _report_rows(report: ImportReport, validation: domain.Validation) -> None:
    sheet = validation.sheet
    report.header_row = sheet.header_row
    report.ignored_headers = list(sheet.ignored_headers)
    report.total_rows = validation.total_rows
    report.accepted_rows = len(validation.records)
    rejected = set(validation.rejected_rows)
    report.rejected_rows = len(rejected)
    report.rejections = sorted(validation.rejections, key=lambda r: r.row)
    report.rejected_source_rows = [(row, list(cells)) for row, cells in sheet.rows if row in rejected]


async def import_sources(
    runtime_or_sessions: ServiceRuntime | async_sessionmaker[AsyncSession],
    path: str | Path,
    *,
    dry_run: bool,
    accept_good_rows: bool,
    actor: str,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the source list at ``path`` into the archive (see the module docstring).

    ``runtime_or_sessions`` is the archive's :class:`ServiceRuntime` (its relay is woken after the
    commit) or a session factory for the archive database. Raises :class:`ImportFileError` for a
    file that cannot be read and :class:`ImportConflictError` when the write transaction fails;
    either way nothing is written.
    """
    began = time.perf_counter()
    path = Path(path)
    sessions, tables, wake = _target(runtime_or_sessions)
    report = ImportReport(
        import_id=uuid.uuid4(),
        source=path.name,
        actor=actor,
        dry_run=dry_run,
        accept_good_rows=accept_good_rows,
    )

    def tick(phase: str, done: int, total: int) -> None:
        if progress is not None:
            progress(phase, done, total)

    tick("read", 0, 1)
    rows, report.encoding = await asyncio.to_thread(read_rows, path)
    sheet = await asyncio.to_thread(domain.read_sheet, rows)
    report.source_headers = [domain.clean(c) for c in rows[sheet.header_row - 1]] if rows else []
    tick("read", 1, 1)

    lookup, existing, known_count = await _known(sessions, sheet.credit_codes())
    if known_count == 0:
        report.warnings.append(
            "档案服务尚未收到任何辖区（请先启动登记服务）"
            " (the archive knows no jurisdictions yet: the registry has not announced them)"
        )
    validation = await asyncio.to_thread(
        domain.validate, sheet, lookup, existing, lambda done, total: tick("validate", done, total)
    )
    _report_rows(report, validation)
    outcome = domain.decide(validation, dry_run=dry_run, accept_good_rows=accept_good_rows)
    report.blocked = outcome.blocked

    if outcome.write:
        await _write(report, sessions, tables, outcome.records, tick)
        if wake is not None:
            wake()
    report.duration_seconds = time.perf_counter() - began
    log.info(
        "source import %s by %s: %s, %d rows, %d accepted, %d rejected, %d written in %.2fs",
        report.source,
        actor,
        report.status,
        report.total_rows,
        report.accepted_rows,
        report.rejected_rows,
        report.written_rows,
        report.duration_seconds,
    )
    return report


async def _write(
    report: ImportReport,
    sessions: async_sessionmaker[AsyncSession],
    tables: PlatformTables,
    records: Sequence[SourceRecord],
    tick: Progress,
) -> None:
    """Insert the enterprises and their events in ONE transaction."""
    ids = [uuid.uuid4() for _ in records]
    now = utcnow()
    total = len(records)
    try:
        async with sessions() as session, session.begin():
            uow = UnitOfWork(session, tables, SERVICE)
            done = 0
            tick("write", 0, total)
            for chunk in _chunks(list(zip(ids, records, strict=True)), CHUNK_ROWS):
                await session.execute(
                    sa.insert(EnterpriseRow), [enterprise_values(record, eid, now) for eid, record in chunk]
                )
                for eid, record in chunk:
                    uow.publish("registered", registered_event(eid, record), subject=eid)
                done += len(chunk)
                tick("write", done, total)
            uow.publish(
                "import_completed",
                EnterpriseChanged.from_attributes(
                    report,
                    *("import_id", "source", "actor", "total_rows", "accepted_rows", "rejected_rows"),
                    "accept_good_rows",
                    written_rows=total,
                ),
                subject=report.import_id,
            )
            await store_events(session, tables, uow.events)
            uow.events.clear()
    except IntegrityError as exc:
        raise ImportConflictError(
            "写入失败，未导入任何数据：部分统一社会信用代码已被同时登记，请重新运行导入 "
            "(the write failed and nothing was imported: some credit codes were registered meanwhile; run again)"
        ) from exc
    report.written = True
    report.written_rows = total
    report.enterprise_ids = ids
