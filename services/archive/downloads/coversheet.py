"""The E.1 cover sheet (一企一档资料存档表) as a small XLSX, built in memory."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from services.archive.downloads.domain import COVER_COLUMNS, CoverRow, cover_table
from services.archive.downloads.streaming import CHINA_TIME

SHEET_TITLE = "E.1 一企一档资料存档表"
HEADER_ROWS = 6
"""Rows above the table: title, enterprise, credit code, generated, download id, blank."""
COLUMN_WIDTHS = (26, 8, 40, 12, 18, 70, 50)
MISSING_FILL = PatternFill("solid", fgColor="FFF2CC")


def _put(sheet: Worksheet, row: int, column: int, value: str) -> Any:
    """Write ``value`` as plain text: never a formula (a file named ``=HYPERLINK(...)`` stays a name),
    without the control characters XLSX cannot hold."""
    cell = sheet.cell(row=row, column=column, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"
    return cell


@dataclass(frozen=True)
class CoverHeader:
    enterprise_name: str
    credit_code: str
    generated_at: dt.datetime
    download_id: str
    requested_by: str


def cover_sheet_xlsx(header: CoverHeader, rows: Sequence[CoverRow]) -> bytes:
    """The workbook bytes: a header block, then one row per E.1 item (``COVER_COLUMNS``)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_TITLE[:31]
    sheet["A1"] = "一企一档资料存档表 (seed 004 Annex E, table E.1) — archive cover sheet"
    sheet["A1"].font = Font(bold=True, size=14)
    filed = sum(1 for r in rows if r.electronic)
    facts = (
        ("企业名称 Enterprise", header.enterprise_name),
        ("统一社会信用代码 Credit code", header.credit_code),
        (
            "生成时间 Generated",
            f"{header.generated_at.astimezone(CHINA_TIME):%Y-%m-%d %H:%M:%S} (UTC+8) by {header.requested_by}",
        ),
        ("下载编号 Download id", f"{header.download_id} · 电子档 {filed}/{len(rows)} items filed"),
    )
    for offset, (label, value) in enumerate(facts, start=2):
        _put(sheet, offset, 1, label).font = Font(bold=True)
        _put(sheet, offset, 2, value)
    top = HEADER_ROWS + 1
    for column, title in enumerate(COVER_COLUMNS, start=1):
        cell = _put(sheet, top, column, title)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, (row, cells) in enumerate(zip(rows, cover_table(rows), strict=True), start=top + 1):
        for column, value in enumerate(cells, start=1):
            cell = _put(sheet, index, column, value)
            cell.alignment = wrap
            if row.missing:
                cell.fill = MISSING_FILL
    for column, width in enumerate(COLUMN_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(row=top + 1, column=1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
