"""Bulk import of pollution sources: row validation (pure, hypothesis) and reading files; the import
itself runs on SQLite in ``tests/service/archive/test_imports_service.py``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecosteward.identifiers import ALPHABET, with_check_character
from services.archive.enterprises import domain as archive_domain
from services.archive.imports import domain, samples
from services.archive.imports.domain import FIELDS, LABELS, Rejection, read_sheet, validate
from services.archive.imports.service import (
    ImportFileError,
    decode_text,
    enterprise_values,
    read_rows,
)
from services.archive.models import EnterpriseRow

ZJ = uuid.UUID("00000000-0000-0000-0000-0000000000a1")
HN = uuid.UUID("00000000-0000-0000-0000-0000000000a2")
JURISDICTIONS = [(ZJ, "310115125", "张江镇"), (HN, "310115103", "惠南镇")]
LOOKUP = domain.jurisdiction_lookup(JURISDICTIONS)
HEADERS = [LABELS[f] for f in FIELDS]

first17 = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


def code(n: int) -> str:
    return samples.credit_code(n, "unit")


def good(n: int = 0, **changes: str) -> list[str]:
    """A valid row in FIELDS order, with some cells changed."""
    cells = {
        "credit_code": code(n),
        "name": f"上海测试{n}化工有限公司",
        "address": "张江路 1 号",
        "jurisdiction": "张江镇",
        "industry_code": "C2614",
        "longitude": "121.60",
        "latitude": "31.20",
        "permit_category": "重点管理",
        "status": "在产",
    }
    cells.update(changes)
    return [cells[f] for f in FIELDS]


def check(
    rows: Sequence[Sequence[object]],
    headers: Sequence[str] = HEADERS,
    existing: set[str] | None = None,
) -> domain.Validation:
    return validate(read_sheet([list(headers), *rows]), LOOKUP, existing or set())


def only(validation: domain.Validation) -> Rejection:
    assert len(validation.rejections) == 1, validation.rejections
    return validation.rejections[0]


# ------------------------------------------------------------------------------------------ headers


def test_chinese_and_english_headers_map_to_the_same_fields() -> None:
    chinese = check([good(1)])
    english = check([good(1)], headers=list(FIELDS))
    assert chinese.records and english.records
    assert chinese.records[0] == english.records[0]
    assert chinese.records[0].row == 2  # header is row 1, first data row is row 2


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("统一社会信用代码", "credit_code"),
        ("Credit Code", "credit_code"),
        ("*统一社会信用代码", "credit_code"),
        ("企业名称", "name"),
        ("单位名称", "name"),
        ("NAME", "name"),
        ("所属街镇", "jurisdiction"),
        ("jurisdiction_code", "jurisdiction"),
        ("行业代码", "industry_code"),
        ("经度(WGS-84)", "longitude"),
        ("纬度（WGS-84）", "latitude"),
        ("lat", "latitude"),
        ("排污许可管理类别", "permit_category"),
        ("Permit Category", "permit_category"),
        ("状态", "status"),
        ("地址", "address"),
    ],
)
def test_header_aliases(header: str, field: str) -> None:
    assert domain.HEADER_ALIASES[domain.normalise_header(header)] == field


def test_columns_may_come_in_any_order_and_unknown_ones_are_ignored() -> None:
    headers = ["备注", "企业名称", "permit_category", "统一社会信用代码", "所属街镇"]
    validation = check([["随便", "甲公司", "KEY", code(5), "310115125"]], headers=headers)
    assert validation.rejections == []
    record = validation.records[0]
    assert (record.name, record.permit_category, record.jurisdiction_id) == ("甲公司", "KEY", ZJ)
    assert (record.status, record.industry_code, record.latitude) == ("OPERATING", "", None)
    assert list(validation.sheet.ignored_headers) == ["备注"]


def test_a_title_row_above_the_header_is_tolerated_and_row_numbers_follow_the_sheet() -> None:
    rows = [["浦东新区污染源清单（2026）"], [], HEADERS, good(1), [], good(2, name="")]
    validation = validate(read_sheet(rows), LOOKUP, set())
    assert validation.sheet.header_row == 3
    assert [r.row for r in validation.records] == [4]
    assert only(validation).row == 6  # the blank row 5 is skipped but still counted
    assert validation.total_rows == 2


def test_missing_required_columns_reject_the_file_on_the_header_row() -> None:
    headers = [LABELS[f] for f in FIELDS if f not in ("jurisdiction", "permit_category")]
    rows = [[c for f, c in zip(FIELDS, good(1), strict=True) if f not in ("jurisdiction", "permit_category")]]
    validation = check(rows, headers=headers)
    assert validation.records == []
    assert {(r.row, r.field) for r in validation.rejections} == {(1, "jurisdiction"), (1, "permit_category")}
    assert validation.rejected_rows == [2]
    outcome = domain.decide(validation, dry_run=False, accept_good_rows=True)
    assert (outcome.write, outcome.blocked) == (False, True)


def test_two_columns_for_one_field_are_refused() -> None:
    validation = check([[*good(1), "乙公司"]], headers=[*HEADERS, "name"])
    problem = only(validation)
    assert (problem.row, problem.field, problem.cell) == (1, "name", "J1")
    assert validation.records == []


def test_a_sheet_without_a_recognisable_header() -> None:
    validation = validate(read_sheet([["a", "b"], ["1", "2"]]), LOOKUP, set())
    assert only(validation).row == 1
    assert "header" in only(validation).reason_en


# ------------------------------------------------------------------------------------------ each rejection


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"credit_code": ""}, "credit_code", "required"),
        ({"credit_code": "9131011512345"}, "credit_code", "18 characters"),
        ({"credit_code": "91310115MA1K4ABCIO"}, "credit_code", "not allowed"),
        ({"credit_code": "9.13101E+17"}, "credit_code", "scientific"),
        ({"name": ""}, "name", "required"),
        ({"name": "名" * 201}, "name", "too long"),
        ({"address": "路" * 301}, "address", "too long"),
        ({"jurisdiction": ""}, "jurisdiction", "required"),
        ({"jurisdiction": "不存在镇"}, "jurisdiction", "Unknown jurisdiction"),
        ({"industry_code": "C26141"}, "industry_code", "section letter"),
        ({"industry_code": "Z26"}, "industry_code", "A–T"),
        ({"industry_code": "98"}, "industry_code", "division 98"),
        ({"industry_code": "00"}, "industry_code", "division 00"),
        ({"industry_code": "A2614"}, "industry_code", "does not contain"),
        ({"longitude": "", "latitude": "31.2"}, "longitude", "both"),
        ({"latitude": ""}, "latitude", "both"),
        ({"longitude": "东经121"}, "longitude", "not a number"),
        ({"longitude": "nan"}, "longitude", "not a number"),
        ({"longitude": "150.1"}, "longitude", "outside China"),
        ({"latitude": "60"}, "latitude", "outside China"),
        ({"longitude": "31.2", "latitude": "121.6"}, "longitude", "swapped"),
        ({"permit_category": ""}, "permit_category", "required"),
        ({"permit_category": "特别管理"}, "permit_category", "Unknown permit_category"),
        ({"status": "歇业"}, "status", "Unknown status"),
    ],
)
def test_every_kind_of_rejection_names_row_column_value_and_reason(
    changes: dict[str, str], field: str, fragment: str
) -> None:
    rows = [good(1), good(2, **changes), good(3)]
    validation = check(rows)
    problem = only(validation)
    assert problem.row == 3
    assert problem.field == field
    assert problem.column == LABELS[field]
    assert problem.cell == f"{'ABCDEFGHI'[FIELDS.index(field)]}3"
    assert problem.value == changes.get(field, "")
    assert fragment in problem.reason_en
    assert problem.reason_zh and not problem.reason_zh.isascii()
    assert problem.reason == f"{problem.reason_zh} ({problem.reason_en})"
    assert [r.row for r in validation.records] == [2, 4]


def test_bad_check_character_is_explained_in_both_languages() -> None:
    valid = code(7)
    wrong = valid[:17] + ("0" if valid[17] != "0" else "1")
    problem = only(check([good(7, credit_code=wrong)]))
    assert problem.reason_zh == "校验位错误"
    assert problem.reason_en == "The check character does not match"


def test_duplicates_within_the_file_are_rejected_after_the_first() -> None:
    rows = [good(1), good(2), good(1, name="另一家"), good(1, name="第三家")]
    validation = check(rows)
    assert [r.row for r in validation.records] == [2, 3]
    assert [(r.row, r.field) for r in validation.rejections] == [(4, "credit_code"), (5, "credit_code")]
    assert all("row 2" in r.reason_en and "第2行" in r.reason_zh for r in validation.rejections)


def test_duplicates_are_found_after_normalisation() -> None:
    spaced = " " + code(1).lower()[:9] + " " + code(1).lower()[9:]
    validation = check([good(1), good(2, credit_code=spaced)])
    assert [r.row for r in validation.rejections] == [3]


def test_codes_already_registered_are_rejected() -> None:
    validation = check([good(1), good(2)], existing={code(2)})
    problem = only(validation)
    assert (problem.row, problem.field) == (3, "credit_code")
    assert "already registered" in problem.reason_en


def test_a_row_with_several_problems_lists_each() -> None:
    validation = check([good(1, name="", jurisdiction="火星", permit_category="?")])
    assert {r.field for r in validation.rejections} == {"name", "jurisdiction", "permit_category"}
    assert validation.rejected_rows == [2]


# ------------------------------------------------------------------------------------------ values


def test_jurisdiction_by_code_name_or_id_ignoring_case_and_width() -> None:
    for given_ in ("张江镇", " 张江镇 ", "310115125", "３１０１１５１２５", str(ZJ).upper()):
        validation = check([good(1, jurisdiction=given_)])
        assert validation.records[0].jurisdiction_id == ZJ, given_


def test_a_name_two_jurisdictions_share_is_ambiguous() -> None:
    lookup = domain.jurisdiction_lookup([*JURISDICTIONS, (uuid.uuid4(), "310115999", "张江镇")])
    validation = validate(read_sheet([HEADERS, good(1)]), lookup, set())
    assert "Ambiguous" in only(validation).reason_en
    ok = validate(read_sheet([HEADERS, good(1, jurisdiction="310115125")]), lookup, set())
    assert ok.records[0].jurisdiction_id == ZJ


@pytest.mark.parametrize(
    ("given_", "stored"),
    [
        ("C2614", "C2614"),
        ("2614", "C2614"),
        ("c 26", "C26"),
        ("C", "C"),
        ("0111", "A0111"),
        ("97", "T97"),
        ("2614.0", "C2614"),
        ("", ""),
    ],
)
def test_industry_codes_are_stored_with_their_section(given_: str, stored: str) -> None:
    validation = check([good(1, industry_code=given_)])
    assert validation.records[0].industry_code == stored


@pytest.mark.parametrize(
    ("given_", "value"),
    [("重点管理", "KEY"), ("简化", "SIMPLIFIED"), ("registration", "REGISTRATION"), ("Key", "KEY")],
)
def test_permit_categories_in_chinese_or_english(given_: str, value: str) -> None:
    assert check([good(1, permit_category=given_)]).records[0].permit_category == value


@pytest.mark.parametrize(
    ("given_", "value"),
    [
        ("在产", "OPERATING"),
        ("", "OPERATING"),
        ("搬迁", "RELOCATING"),
        ("CLOSED", "CLOSED"),
        ("关停", "CLOSED"),
    ],
)
def test_statuses_default_to_operating(given_: str, value: str) -> None:
    assert check([good(1, status=given_)]).records[0].status == value


def test_coordinates_are_optional_as_a_pair_and_kept_as_numbers() -> None:
    record = check([good(1, longitude="121.5°", latitude=" 31.25 ")]).records[0]
    assert (record.longitude, record.latitude) == (121.5, 31.25)
    none = check([good(1, longitude="", latitude="")]).records[0]
    assert (none.longitude, none.latitude) == (None, None)


def test_text_is_trimmed_and_full_width_codes_are_folded() -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code(3))
    record = check([good(3, credit_code=full_width, name="  甲  公司\u3000")]).records[0]
    assert (record.credit_code, record.name) == (code(3), "甲 公司")


def test_column_letters() -> None:
    assert [domain.column_letter(i) for i in (0, 8, 25, 26, 27, 701, 702)] == [
        "A",
        "I",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


# ------------------------------------------------------------------------------------------ decisions


def test_all_or_none() -> None:
    validation = check([good(1), good(2, name=""), good(3)])
    assert domain.decide(validation, dry_run=False, accept_good_rows=False).write is False
    assert domain.decide(validation, dry_run=False, accept_good_rows=False).blocked is True
    accepted = domain.decide(validation, dry_run=False, accept_good_rows=True)
    assert (accepted.write, accepted.blocked, [r.row for r in accepted.records]) == (True, False, [2, 4])
    assert domain.decide(validation, dry_run=True, accept_good_rows=True).write is False
    clean = check([good(1)])
    assert domain.decide(clean, dry_run=False, accept_good_rows=False).write is True
    assert domain.decide(clean, dry_run=True, accept_good_rows=False).blocked is False
    nothing_good = check([good(1, name="")])
    assert domain.decide(nothing_good, dry_run=False, accept_good_rows=True).blocked is True


# ------------------------------------------------------------------------------------------ properties


def _valid_row(prefix: str, jurisdiction: str, category: str, division: int, coords: bool) -> list[str]:
    section = next(s for s, low, high in archive_domain.INDUSTRY_SECTIONS if low <= division <= high)
    return good(
        0,
        credit_code=with_check_character(prefix),
        jurisdiction=jurisdiction,
        permit_category=category,
        industry_code=f"{section}{division:02d}",
        longitude="121.5" if coords else "",
        latitude="31.2" if coords else "",
    )


valid_rows = st.builds(
    _valid_row,
    first17,
    st.sampled_from(["张江镇", "惠南镇", "310115125", "310115103"]),
    st.sampled_from(list(domain.PERMIT_CATEGORY_LABELS)),
    st.integers(min_value=1, max_value=97),
    st.booleans(),
)


@given(st.lists(valid_rows, min_size=1, max_size=30, unique_by=lambda r: r[0]))
def test_valid_rows_are_all_accepted_in_order(rows: list[list[str]]) -> None:
    validation = check(rows)
    assert validation.rejections == []
    assert [r.row for r in validation.records] == list(range(2, len(rows) + 2))
    assert [r.credit_code for r in validation.records] == [r[0] for r in rows]


@given(
    st.lists(valid_rows, min_size=2, max_size=20, unique_by=lambda r: r[0]),
    st.data(),
)
def test_a_broken_row_is_reported_at_its_spreadsheet_row(rows: list[list[str]], data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
    field = data.draw(
        st.sampled_from(["credit_code", "name", "jurisdiction", "permit_category", "industry_code"])
    )
    bad = {
        "credit_code": "X",
        "name": "",
        "jurisdiction": "无此镇",
        "permit_category": "无",
        "industry_code": "99",
    }
    rows[index][FIELDS.index(field)] = bad[field]
    validation = check(rows)
    assert [(r.row, r.field) for r in validation.rejections] == [(index + 2, field)]
    assert len(validation.records) == len(rows) - 1


@given(st.lists(st.lists(st.text(max_size=12), max_size=11), max_size=8))
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_any_cells_never_crash_validation(cells: list[list[str]]) -> None:
    validation = check(cells)
    assert len(validation.records) + len(validation.rejected_rows) == validation.total_rows
    assert all(r.row >= 2 for r in validation.rejections)


@given(st.integers(min_value=1, max_value=97), st.sampled_from(["", "1", "12"]))
def test_every_division_with_its_section_is_valid(division: int, tail: str) -> None:
    section = domain.canonical_industry_code(f"{division:02d}")[0]
    assert domain.industry_code_problem(f"{section}{division:02d}{tail}") is None
    assert domain.industry_code_problem(f"{division:02d}{tail}") is None


# ------------------------------------------------------------------------------------------ model mirror


def test_lengths_match_the_enterprises_table() -> None:
    columns = EnterpriseRow.__table__.c
    assert columns.name.type.length == domain.NAME_MAX  # type: ignore[attr-defined]
    assert columns.address.type.length == domain.ADDRESS_MAX  # type: ignore[attr-defined]
    assert columns.industry_code.type.length >= len("C2614")  # type: ignore[attr-defined]
    for value in (*domain.PERMIT_CATEGORY_LABELS.values(), *domain.STATUS_LABELS.values()):
        assert len(value) <= 16


def test_import_sets_every_column_of_the_enterprises_table() -> None:
    record = check([good(1)]).records[0]
    values = enterprise_values(record, uuid.uuid4(), None)
    assert set(values) == {c.name for c in EnterpriseRow.__table__.columns}


# ------------------------------------------------------------------------------------------ files and SQLite


def test_csv_encodings() -> None:
    text = "统一社会信用代码,企业名称\n"
    assert decode_text(text.encode("utf-8")) == (text, "utf-8")
    assert decode_text(b"\xef\xbb\xbf" + text.encode("utf-8")) == (text, "utf-8-sig")
    assert decode_text(text.encode("gb18030")) == (text, "gb18030")
    assert decode_text(text.encode("utf-16")) == (text, "utf-16")


def test_leading_zeros_survive_in_csv_and_xlsx(tmp_path: Path) -> None:
    rows = [good(1, industry_code="0111", address="007")]
    for name in ("s.csv", "s.xlsx"):
        path = samples.write_sheet(tmp_path / name, HEADERS, rows)
        cells, _ = read_rows(path)
        assert cells[1][FIELDS.index("industry_code")] == "0111"
        assert cells[1][FIELDS.index("address")] == "007"


def test_unreadable_files_are_explained(tmp_path: Path) -> None:
    for name, content in (("a.xls", b"x"), ("a.pdf", b"x"), ("a.xlsx", b"not a zip")):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ImportFileError):
            read_rows(tmp_path / name)
    with pytest.raises(ImportFileError):
        read_rows(tmp_path / "missing.csv")


def test_csv_rows_longer_than_the_header_and_tabs(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("\n".join([",".join(HEADERS), ",".join(good(1)) + ",", ",".join(good(2)) + ",,"]) + "\n")
    cells, _ = read_rows(path)
    assert check(cells[1:]).rejections == []
    tsv = tmp_path / "b.tsv"
    tsv.write_text("\n".join(["\t".join(HEADERS), "\t".join(good(1))]) + "\n")
    cells, _ = read_rows(tsv)
    assert len(check(cells[1:]).records) == 1


def test_text_progress_bar() -> None:
    import io

    from services.archive.imports.cli import TextProgress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    bar = TextProgress(tty, width=10)
    bar("validate", 500, 1000)
    bar("validate", 1000, 1000)
    assert "[#####.....]" in tty.getvalue() and "[##########] 100%" in tty.getvalue()
    assert tty.getvalue().endswith("\n")
    plain = io.StringIO()
    quiet = TextProgress(plain)
    quiet("write", 10, 20)
    quiet("write", 20, 20)
    assert plain.getvalue() == "写入 writing: 20/20\n"
