"""Bulk import of pollution sources: the row model and its validation (pure, no I/O).

Sources arrive as spreadsheets exported from older systems. A sheet is a list of rows of cell texts
(row ``i`` of the list is spreadsheet row ``i + 1``); :func:`read_sheet` finds the header row and maps
its Chinese or English headers to the fields below; :func:`validate` checks every data row and returns
the good records and one :class:`Rejection` per problem, each with the row number the user sees in the
spreadsheet (the header is row 1 in the usual layout, so the first data row is row 2).

What the database knows is passed in: the archive's local copy of the jurisdictions (a lookup built
with :func:`jurisdiction_lookup`) and the credit codes already registered.
"""

from __future__ import annotations

import math
import re
import unicodedata
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ecosteward.identifiers import credit_code_problem
from services.archive.enterprises.domain import (
    CHINA_LATITUDE,
    CHINA_LONGITUDE,
    PermitCategory,
    SourceStatus,
    canonical_industry_code,
    industry_code_problem,
)

FIELDS = (
    "credit_code",
    "name",
    "address",
    "jurisdiction",
    "industry_code",
    "longitude",
    "latitude",
    "permit_category",
    "status",
)
"""The columns of a source list, by canonical (English) name."""

REQUIRED_FIELDS = ("credit_code", "name", "jurisdiction", "permit_category")

LABELS = {
    "credit_code": "统一社会信用代码",
    "name": "企业名称",
    "address": "地址",
    "jurisdiction": "所属街镇",
    "industry_code": "行业代码",
    "longitude": "经度",
    "latitude": "纬度",
    "permit_category": "排污许可类别",
    "status": "状态",
}
"""The Chinese header of each field (used in templates and when a column is missing)."""

_ALIASES: dict[str, tuple[str, ...]] = {
    "credit_code": (
        "统一社会信用代码",
        "社会信用代码",
        "信用代码",
        "credit_code",
        "credit code",
        "unified social credit code",
        "uscc",
    ),
    "name": (
        "企业名称",
        "单位名称",
        "排污单位名称",
        "污染源名称",
        "名称",
        "name",
        "enterprise name",
        "company name",
    ),
    "address": ("地址", "企业地址", "详细地址", "生产经营场所地址", "address"),
    "jurisdiction": (
        "所属街镇",
        "街镇",
        "所属辖区",
        "辖区",
        "所属街道",
        "jurisdiction",
        "jurisdiction_code",
        "jurisdiction_id",
        "town",
    ),
    "industry_code": (
        "行业代码",
        "行业类别代码",
        "国民经济行业代码",
        "industry_code",
        "industry code",
        "industry",
    ),
    "longitude": ("经度", "longitude", "lng", "lon"),
    "latitude": ("纬度", "latitude", "lat"),
    "permit_category": (
        "排污许可类别",
        "排污许可管理类别",
        "许可管理类别",
        "许可类别",
        "permit_category",
        "permit category",
    ),
    "status": ("状态", "生产状态", "运营状态", "企业状态", "status"),
}


def normalise_header(text: str) -> str:
    """A header as looked up in the alias table: NFKC, case-folded, without spaces, ``_``, ``-``,
    ``*`` (the "required" mark of many templates) or a trailing note in brackets ("经度(WGS-84)")."""
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    text = re.sub(r"\([^()]*\)$", "", text)
    return re.sub(r"[\s_\-*]", "", text)


HEADER_ALIASES: dict[str, str] = {
    normalise_header(alias): name for name, aliases in _ALIASES.items() for alias in aliases
}
"""Normalised header → field: every Chinese and English header the importer accepts."""

PERMIT_CATEGORY_LABELS: dict[str, PermitCategory] = {
    "重点管理": PermitCategory.KEY,
    "重点": PermitCategory.KEY,
    "key": PermitCategory.KEY,
    "简化管理": PermitCategory.SIMPLIFIED,
    "简化": PermitCategory.SIMPLIFIED,
    "simplified": PermitCategory.SIMPLIFIED,
    "登记管理": PermitCategory.REGISTRATION,
    "登记": PermitCategory.REGISTRATION,
    "registration": PermitCategory.REGISTRATION,
}
"""排污许可管理类别 (Chinese or English) → the category (:class:`PermitCategory`)."""

STATUS_LABELS: dict[str, SourceStatus] = {
    "在产": SourceStatus.OPERATING,
    "生产": SourceStatus.OPERATING,
    "运营": SourceStatus.OPERATING,
    "operating": SourceStatus.OPERATING,
    "搬迁": SourceStatus.RELOCATING,
    "relocating": SourceStatus.RELOCATING,
    "关停": SourceStatus.CLOSED,
    "关闭": SourceStatus.CLOSED,
    "closed": SourceStatus.CLOSED,
}
"""Operating status (Chinese or English) → the archive's value; a blank cell means operating."""

DEFAULT_STATUS = SourceStatus.OPERATING

NAME_MAX = 200
ADDRESS_MAX = 300
"""Column lengths of ``enterprises.name`` and ``.address`` (a unit test keeps them in step)."""

LONGITUDE_RANGE = CHINA_LONGITUDE
LATITUDE_RANGE = CHINA_LATITUDE
"""WGS-84 bounds that contain China (the archive's rule for a source's position)."""

_HEADER_SCAN_ROWS = 10
_SPACE = re.compile(r"\s")
_SPACES = re.compile(r"\s+")
_SCIENTIFIC = re.compile(r"\d(\.\d+)?E\+\d+")
_WHOLE_FLOAT = re.compile(r"\d+\.0")


@dataclass(frozen=True)
class Rejection:
    """One problem with one cell (or with the header row): where, what, and why in both languages."""

    row: int
    """Row number as shown in the spreadsheet (1-based; the header row for file-level problems)."""
    column: str
    """The column's header as written in the file (the Chinese label when the column is missing)."""
    value: str
    reason_zh: str
    reason_en: str
    field: str = ""
    """The canonical field name (``credit_code``…); empty for a problem with the whole row."""
    cell: str = ""
    """The spreadsheet cell, e.g. ``A7`` (empty when the column is missing)."""

    @property
    def reason(self) -> str:
        return f"{self.reason_zh} ({self.reason_en})"


@dataclass(frozen=True)
class SourceRecord:
    """A validated row, ready to become an enterprise."""

    row: int
    credit_code: str
    name: str
    address: str
    jurisdiction_id: uuid.UUID
    industry_code: str
    latitude: float | None
    longitude: float | None
    permit_category: str
    status: str


@dataclass(frozen=True)
class SourceSheet:
    """A sheet with its header mapped: which column holds which field, and the data rows."""

    header_row: int
    columns: Mapping[str, int]
    """field → 0-based column index."""
    headers: Mapping[str, str]
    """field → the header text as written in the file."""
    rows: Sequence[tuple[int, Sequence[str]]]
    """(spreadsheet row number, cells) of every non-blank data row."""
    problems: Sequence[Rejection] = ()
    """Header problems: a required column missing, a field given twice, no header at all."""
    ignored_headers: Sequence[str] = ()
    """Headers the importer does not know (their columns are not imported)."""

    def cell(self, cells: Sequence[str], name: str) -> str:
        index = self.columns.get(name)
        if index is None or index >= len(cells):
            return ""
        return cells[index]

    def credit_codes(self) -> set[str]:
        """The normalised credit codes of the data rows (to look up those already registered)."""
        return {code for _, cells in self.rows if (code := normalise_code(self.cell(cells, "credit_code")))}


@dataclass
class Validation:
    """The outcome of validating a sheet: good records, rejections, and counts."""

    records: list[SourceRecord]
    rejections: list[Rejection]
    total_rows: int
    sheet: SourceSheet

    @property
    def rejected_rows(self) -> list[int]:
        """The data rows with at least one problem (header problems count every row as rejected)."""
        if self.sheet.problems:
            return [row for row, _ in self.sheet.rows]
        return sorted({r.row for r in self.rejections})


def clean(text: object) -> str:
    """A cell's text: ``None`` and NaN become empty; surrounding whitespace (including the ideographic
    space) is removed."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return str(text).strip()


def normalise_code(text: str) -> str:
    """A credit code as stored: full-width characters folded, spaces removed, upper case."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text)).upper()


def _key(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text)).casefold()


def jurisdiction_lookup(entries: Iterable[tuple[uuid.UUID, str, str]]) -> dict[str, uuid.UUID | None]:
    """Lookup of jurisdictions by code, name or id from ``(id, code, name)`` entries.

    Keys ignore case, spaces and full-width forms. A key two jurisdictions share maps to None
    (ambiguous: such a cell is rejected rather than guessed).
    """
    lookup: dict[str, uuid.UUID | None] = {}
    for jurisdiction_id, code, name in entries:
        for key in {_key(str(jurisdiction_id)), _key(code), _key(name)} - {""}:
            if key in lookup and lookup[key] != jurisdiction_id:
                lookup[key] = None
            else:
                lookup[key] = jurisdiction_id
    return lookup


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _is_blank(cells: Sequence[str]) -> bool:
    return all(not c for c in cells)


def read_sheet(rows: Sequence[Sequence[object]]) -> SourceSheet:
    """Find the header row (the first of the first ten rows naming two or more known columns, so a
    title row above the table is tolerated), map its headers, and collect the non-blank data rows."""
    cleaned = [[clean(c) for c in row] for row in rows]
    header_index = next(
        (
            i
            for i, cells in enumerate(cleaned[:_HEADER_SCAN_ROWS])
            if sum(normalise_header(c) in HEADER_ALIASES for c in cells if c) >= 2
        ),
        None,
    )
    if header_index is None:
        first = next((i for i, cells in enumerate(cleaned) if not _is_blank(cells)), 0)
        problem = Rejection(
            row=first + 1,
            column="",
            value=" | ".join(c for c in cleaned[first] if c)[:200] if cleaned else "",
            reason_zh="未找到表头：前10行中没有可识别的列名（如 统一社会信用代码、企业名称）",
            reason_en="No header row found: none of the first 10 rows names the known columns (credit_code, name, ...)",
        )
        data = [(i + 1, cells) for i, cells in enumerate(cleaned) if i > first and not _is_blank(cells)]
        return SourceSheet(header_row=first + 1, columns={}, headers={}, rows=data, problems=[problem])

    header_row = header_index + 1
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    ignored: list[str] = []
    problems: list[Rejection] = []
    for index, text in enumerate(cleaned[header_index]):
        if not text:
            continue
        name = HEADER_ALIASES.get(normalise_header(text))
        if name is None:
            ignored.append(text)
        elif name in columns:
            problems.append(
                Rejection(
                    row=header_row,
                    column=text,
                    value=text,
                    reason_zh=f"列重复：「{headers[name]}」与「{text}」都表示{LABELS[name]}",
                    reason_en=f"Two columns mean {name}: {headers[name]!r} and {text!r}",
                    field=name,
                    cell=f"{column_letter(index)}{header_row}",
                )
            )
        else:
            columns[name] = index
            headers[name] = text
    for name in REQUIRED_FIELDS:
        if name not in columns:
            problems.append(
                Rejection(
                    row=header_row,
                    column=LABELS[name],
                    value="",
                    reason_zh=f"缺少必填列「{LABELS[name]}」",
                    reason_en=f"The required column {name} ({LABELS[name]}) is missing",
                    field=name,
                )
            )
    data = [(i + 1, cells) for i, cells in enumerate(cleaned) if i > header_index and not _is_blank(cells)]
    return SourceSheet(
        header_row=header_row,
        columns=columns,
        headers=headers,
        rows=data,
        problems=problems,
        ignored_headers=ignored,
    )


# ------------------------------------------------------------------------------------------ cells


def _split_bilingual(message: str) -> tuple[str, str]:
    """Split ``credit_code_problem``'s "English (中文)." into its two halves."""
    found = re.match(r"^(.*) \(([^()]*)\)\.?$", message)
    if found is None:
        return message, message
    return found.group(2), found.group(1)


def _number(text: str) -> float | None:
    text = unicodedata.normalize("NFKC", text).strip().rstrip("°").strip()
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class _RowChecker:
    """Collects the rejections of one row."""

    def __init__(self, sheet: SourceSheet, row: int, cells: Sequence[str]) -> None:
        self.sheet = sheet
        self.row = row
        self.cells = cells
        self.rejections: list[Rejection] = []

    def value(self, name: str) -> str:
        return self.sheet.cell(self.cells, name)

    def reject(self, name: str, zh: str, en: str, value: str | None = None) -> None:
        index = self.sheet.columns.get(name)
        if index is None and name in REQUIRED_FIELDS:
            return  # the missing column is reported once, on the header row
        self.rejections.append(
            Rejection(
                row=self.row,
                column=self.sheet.headers.get(name, LABELS[name]),
                value=self.value(name) if value is None else value,
                reason_zh=zh,
                reason_en=en,
                field=name,
                cell="" if index is None else f"{column_letter(index)}{self.row}",
            )
        )


def _check_credit_code(check: _RowChecker) -> str | None:
    raw = check.value("credit_code")
    if not raw:
        check.reject("credit_code", "统一社会信用代码为必填项", "A credit code is required")
        return None
    code = normalise_code(raw)
    if _SCIENTIFIC.fullmatch(code):
        check.reject(
            "credit_code",
            "统一社会信用代码被Excel存成了数字（科学计数法），请将该列设为文本后重新导出",
            "The credit code was stored as a number by Excel (scientific notation); format the column as text",
        )
        return None
    problem = credit_code_problem(code)
    if problem is not None:
        zh, en = _split_bilingual(problem)
        check.reject("credit_code", zh, en)
        return None
    return code


def _check_text(check: _RowChecker, name: str, limit: int, required: bool) -> str:
    text = _SPACES.sub(" ", check.value(name))
    if not text and required:
        check.reject(name, f"{LABELS[name]}为必填项", f"{name} is required")
    elif len(text) > limit:
        check.reject(
            name,
            f"{LABELS[name]}过长：{len(text)}个字符，最多{limit}个",
            f"{name} is too long: {len(text)} characters, at most {limit}",
        )
    return text


def _check_jurisdiction(check: _RowChecker, lookup: Mapping[str, uuid.UUID | None]) -> uuid.UUID | None:
    raw = check.value("jurisdiction")
    if not raw:
        check.reject("jurisdiction", "所属街镇为必填项", "A jurisdiction is required")
        return None
    key = _key(raw)
    if key not in lookup:
        check.reject(
            "jurisdiction",
            "所属街镇不存在：辖区目录中没有此代码或名称",
            "Unknown jurisdiction: no jurisdiction has this code or name",
        )
        return None
    found = lookup[key]
    if found is None:
        check.reject(
            "jurisdiction",
            "所属街镇不明确：多个辖区使用此名称，请填写辖区代码",
            "Ambiguous jurisdiction: several jurisdictions share this name; give the code",
        )
    return found


def _check_industry(check: _RowChecker) -> str:
    raw = check.value("industry_code")
    if not raw:
        return ""
    code = _SPACE.sub("", unicodedata.normalize("NFKC", raw)).upper()
    if _WHOLE_FLOAT.fullmatch(code):  # a code Excel kept as a number
        code = code[:-2]
    problem = industry_code_problem(code)
    if problem is not None:
        check.reject("industry_code", *problem)
        return ""
    return canonical_industry_code(code)


def _check_coordinates(check: _RowChecker) -> tuple[float | None, float | None]:
    raw_lon, raw_lat = check.value("longitude"), check.value("latitude")
    if not raw_lon and not raw_lat:
        return None, None
    if not raw_lon or not raw_lat:
        missing = "longitude" if not raw_lon else "latitude"
        check.reject(
            missing,
            "经度和纬度须同时填写或同时留空",
            "Give both longitude and latitude, or neither",
        )
        return None, None
    lon, lat = _number(raw_lon), _number(raw_lat)
    ok = True
    for name, value in (("longitude", lon), ("latitude", lat)):
        if value is None:
            check.reject(name, f"{LABELS[name]}不是数字", f"{name} is not a number")
            ok = False
    if lon is None or lat is None or not ok:
        return None, None
    lon_ok = LONGITUDE_RANGE[0] <= lon <= LONGITUDE_RANGE[1]
    lat_ok = LATITUDE_RANGE[0] <= lat <= LATITUDE_RANGE[1]
    if lon_ok and lat_ok:
        return lon, lat
    swapped = (
        LONGITUDE_RANGE[0] <= lat <= LONGITUDE_RANGE[1] and LATITUDE_RANGE[0] <= lon <= LATITUDE_RANGE[1]
    )
    if swapped:
        check.reject(
            "longitude",
            "经纬度可能填反了（经度应在73–136之间，纬度在3–54之间）",
            "Longitude and latitude look swapped (longitude 73–136, latitude 3–54)",
        )
        return None, None
    if not lon_ok:
        check.reject(
            "longitude",
            "经度超出中国范围（WGS-84，东经73–136度）",
            "Longitude outside China (WGS-84, 73–136 °E)",
        )
    if not lat_ok:
        check.reject(
            "latitude",
            "纬度超出中国范围（WGS-84，北纬3–54度）",
            "Latitude outside China (WGS-84, 3–54 °N)",
        )
    return None, None


def _check_choice(
    check: _RowChecker, name: str, choices: Mapping[str, str], default: str | None
) -> str | None:
    raw = check.value(name)
    if not raw:
        if default is None:
            check.reject(name, f"{LABELS[name]}为必填项", f"{name} is required")
        return default
    found = choices.get(_key(raw))
    if found is None:
        allowed_zh = "、".join(k for k in choices if not k.isascii())
        allowed_en = ", ".join(sorted(set(choices.values())))
        check.reject(
            name,
            f"{LABELS[name]}无法识别，应为：{allowed_zh}",
            f"Unknown {name}; use one of {allowed_en}",
        )
    return found


def _check_unique(
    check: _RowChecker, code: str, existing_codes: Collection[str], first_row_of: dict[str, int]
) -> None:
    earlier = first_row_of.setdefault(code, check.row)
    if earlier != check.row:
        check.reject(
            "credit_code",
            f"与第{earlier}行的统一社会信用代码重复",
            f"Duplicate credit code: same as row {earlier}",
        )
    elif code in existing_codes:
        check.reject(
            "credit_code",
            "该统一社会信用代码的企业已登记",
            "An enterprise with this credit code is already registered",
        )


def check_row(
    sheet: SourceSheet,
    row: int,
    cells: Sequence[str],
    jurisdictions: Mapping[str, uuid.UUID | None],
    existing_codes: Collection[str] = (),
    first_row_of: dict[str, int] | None = None,
) -> tuple[SourceRecord | None, list[Rejection]]:
    """Validate one data row: the record, or its rejections.

    ``first_row_of`` (credit code → first row seen, updated here) finds duplicates within the file;
    a row whose code is valid claims it even when the row is rejected for another reason.
    """
    check = _RowChecker(sheet, row, cells)
    code = _check_credit_code(check)
    if code is not None:
        _check_unique(check, code, existing_codes, {} if first_row_of is None else first_row_of)
    name = _check_text(check, "name", NAME_MAX, required=True)
    address = _check_text(check, "address", ADDRESS_MAX, required=False)
    jurisdiction_id = _check_jurisdiction(check, jurisdictions)
    industry = _check_industry(check)
    longitude, latitude = _check_coordinates(check)
    permit = _check_choice(check, "permit_category", PERMIT_CATEGORY_LABELS, None)
    status = _check_choice(check, "status", STATUS_LABELS, DEFAULT_STATUS)
    if check.rejections or code is None or jurisdiction_id is None or permit is None or status is None:
        return None, check.rejections  # without rejections: a required column is missing (see header)
    record = SourceRecord(
        row=row,
        credit_code=code,
        name=name,
        address=address,
        jurisdiction_id=jurisdiction_id,
        industry_code=industry,
        latitude=latitude,
        longitude=longitude,
        permit_category=permit,
        status=status,
    )
    return record, []


def validate(
    sheet: SourceSheet,
    jurisdictions: Mapping[str, uuid.UUID | None],
    existing_codes: Collection[str],
    progress: Callable[[int, int], None] | None = None,
) -> Validation:
    """Validate every data row of ``sheet``.

    ``jurisdictions`` comes from :func:`jurisdiction_lookup`; ``existing_codes`` are the credit codes
    already registered. A credit code repeated in the file is accepted on its first row and
    rejected on later ones (naming the first row). With header problems no row is accepted.
    """
    records: list[SourceRecord] = []
    rejections: list[Rejection] = list(sheet.problems)
    first_row_of: dict[str, int] = {}
    total = len(sheet.rows)
    for done, (row, cells) in enumerate(sheet.rows, start=1):
        record, problems = check_row(sheet, row, cells, jurisdictions, existing_codes, first_row_of)
        if problems:
            rejections.extend(problems)
        elif record is not None:
            records.append(record)
        if progress is not None and (done % 1000 == 0 or done == total):
            progress(done, total)
    if sheet.problems:
        records = []
    return Validation(records=records, rejections=rejections, total_rows=total, sheet=sheet)


@dataclass(frozen=True)
class ImportOutcome:
    """What the import does with a validation, given the options (pure decision)."""

    write: bool
    blocked: bool
    """True when rejected rows stopped the import (all or none)."""
    records: list[SourceRecord] = field(default_factory=list)


def decide(validation: Validation, *, dry_run: bool, accept_good_rows: bool) -> ImportOutcome:
    """All or none: with any rejection nothing is written unless ``accept_good_rows``; a dry run never
    writes; a file with a header problem never writes. ``blocked``: rejections left nothing to write."""
    to_write = validation.records if accept_good_rows or not validation.rejections else []
    if validation.sheet.problems:
        to_write = []
    blocked = bool(validation.rejections) and not to_write
    return ImportOutcome(write=not dry_run and bool(to_write), blocked=blocked, records=to_write)
