"""Archive documents, the pure parts: the E.1 catalogue, completeness, file names, file types,
blob keys, item-state rules, retention and the streaming multipart reader."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import re
import string
import unicodedata
import uuid
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ecosteward.blobs import LocalBlobStore, key_problem, validate_key
from ecosteward.errors import BadUserInput
from services.archive.documents import catalogue, domain
from services.archive.documents.domain import Completeness, ItemFacts
from services.archive.documents.routes import MultipartFile

CODES = catalogue.item_codes()
SEED_TABLE_E1 = Path(__file__).resolve().parent / "data" / "seed_004_table_e1.txt"
"""Table E.1 as printed in seed 004, copied into the repository so the check never depends on where
the seed set happens to be."""

# ------------------------------------------------------------------------------------------ catalogue


def test_the_catalogue_has_table_e1s_items_in_order() -> None:
    expected = (
        ["1", "2-1", "2-2", "2-3", "3-1", "3-2", "4-1", "4-2", "5"]
        + [f"6-{i}" for i in range(1, 7)]
        + ["7"]
        + [f"8-{i}" for i in range(1, 6)]
        + [f"9-{i}" for i in range(1, 15)]
    )
    assert list(CODES) == expected
    items = catalogue.catalogue()
    # The one place the size is asserted: 35 items, as many as seed 004's Table E.1 lists.
    assert (
        len(items)
        == len(re.findall(r"^\t\d(?:-\d+)?$", SEED_TABLE_E1.read_text(encoding="utf-8"), re.M))
        == 35
    )
    assert sorted({i.category_no for i in items}) == list(range(1, 10))
    by_code = catalogue.items_by_code()
    assert by_code["1"].name == "营业执照"
    assert by_code["6-3"].name == "危险废物接收方的危险废物安全处置经营许可证书"
    assert by_code["9-14"].name == "污染痕迹照片（若有）"
    assert by_code["9-1"].category_name == "图片资料"
    assert by_code["2-1"].category_name == "执行“环评”、“三同时”情况"
    assert all(i.name_en and i.required_when for i in items)
    assert by_code["1"].always_required and not by_code["6-1"].always_required


def test_catalogue_names_match_the_seed() -> None:
    text = SEED_TABLE_E1.read_text(encoding="utf-8")
    for item in catalogue.catalogue():
        assert item.name in text and item.category_name in text, item


def test_an_unknown_item_code_is_refused_with_its_own_code() -> None:
    for code in ("10", "9-15", "2", "6-0", "", "1 ", "../1"):
        if code.strip() in CODES:
            assert catalogue.get_item(code).code == code.strip()
            continue
        with pytest.raises(BadUserInput) as raised:
            catalogue.get_item(code)
        assert raised.value.extensions == {"code": "UNKNOWN_ITEM_CODE", "field": "itemCode"}


def test_a_malformed_catalogue_is_refused() -> None:
    header = "code,category_no,category_name,name,name_en,required_when\n"
    with pytest.raises(ValueError, match="duplicate"):
        catalogue.parse_catalogue(header + "1,1,a,b,c,always\n1,1,a,b,c,always\n")
    with pytest.raises(ValueError, match="category"):
        catalogue.parse_catalogue(header + "2-1,3,a,b,c,always\n")
    with pytest.raises(ValueError, match="value"):
        catalogue.parse_catalogue(header + "1,1,a,,c,always\n")


# ------------------------------------------------------------------------------------------ completeness

facts_strategy = st.builds(
    ItemFacts,
    has_current_version=st.booleans(),
    electronic=st.none() | st.booleans(),
    missing_reason=st.sampled_from(["", "  ", "不适用：非危废产生单位", "lost in the 2021 move"]),
)
archives = st.dictionaries(st.sampled_from(CODES) | st.sampled_from(["10", "x"]), facts_strategy)


@given(archives)
def test_completeness_counts_accounted_items_of_the_whole_catalogue(facts: dict[str, ItemFacts]) -> None:
    figure = domain.completeness(CODES, facts)
    assert figure.total == len(CODES)
    assert figure.accounted + len(figure.missing) == len(CODES)
    assert 0.0 <= figure.ratio <= 1.0
    assert figure.ratio == figure.accounted / len(CODES)
    assert figure.complete == (not figure.missing)
    # The definition, item by item; codes outside table E.1 never count.
    expected = sum(
        1
        for code in CODES
        if code in facts
        and (
            facts[code].has_current_version
            or (facts[code].electronic is False and facts[code].missing_reason.strip() != "")
        )
    )
    assert figure.accounted == expected
    assert list(figure.missing) == [c for c in CODES if c in figure.missing]  # table order


@given(archives, st.sampled_from(CODES))
def test_filing_a_version_never_lowers_completeness(facts: dict[str, ItemFacts], code: str) -> None:
    before = domain.completeness(CODES, facts)
    after = domain.completeness(CODES, {**facts, code: ItemFacts(has_current_version=True)})
    assert after.accounted >= before.accounted
    assert code not in after.missing


@given(st.sampled_from(CODES), st.none() | st.booleans())
def test_a_blank_reason_or_an_unrecorded_item_does_not_count(code: str, electronic: bool | None) -> None:
    assert not domain.item_accounted(None)
    assert not domain.item_accounted(ItemFacts(electronic=electronic, missing_reason="   "))
    # A reason explains a missing electronic copy only when electronic is recorded as "no".
    assert domain.item_accounted(ItemFacts(electronic=electronic, missing_reason="why")) == (
        electronic is False
    )


def test_empty_and_full_archives() -> None:
    assert domain.completeness(CODES, {}).ratio == 0.0
    full = domain.completeness(CODES, {c: ItemFacts(has_current_version=True) for c in CODES})
    assert full.complete and full.ratio == 1.0
    assert domain.completeness((), {}).ratio == 0.0


@given(st.lists(archives, max_size=12))
def test_jurisdiction_completeness_pools_its_sources(archives_: list[dict[str, ItemFacts]]) -> None:
    figures = [domain.completeness(CODES, f) for f in archives_]
    pooled = domain.jurisdiction_completeness(figures)
    assert pooled.enterprises == len(figures)
    assert pooled.complete_enterprises == sum(f.complete for f in figures)
    assert pooled.accounted == sum(f.accounted for f in figures)
    assert pooled.total == len(CODES) * len(figures)
    if figures:
        mean = sum(f.ratio for f in figures) / len(figures)
        assert pooled.ratio == pytest.approx(mean)
    else:
        assert pooled.ratio == 0.0
    assert 0.0 <= pooled.ratio <= 1.0


def test_completeness_of_an_archive_with_reasons() -> None:
    facts = {
        "1": ItemFacts(has_current_version=True),
        "6-1": ItemFacts(electronic=False, missing_reason="非危废产生单位"),
        "6-2": ItemFacts(electronic=None, missing_reason="纸质档遗失"),
    }
    figure = domain.completeness(CODES, facts)
    assert figure == Completeness(
        accounted=2, total=len(CODES), missing=tuple(c for c in CODES if c not in {"1", "6-1"})
    )


# ------------------------------------------------------------------------------------------ item states


@given(st.booleans(), st.booleans(), st.sampled_from([None, "", "  ", "不适用"]), st.booleans())
def test_a_missing_copy_needs_a_reason(
    electronic: bool, paper: bool, reason: str | None, has_current: bool
) -> None:
    problems = domain.state_violations(electronic, paper, reason, has_current)
    fields = [p["field"] for p in problems]
    needs_reason = (not electronic or not paper) and not (reason or "").strip()
    assert ("missingReason" in fields) == needs_reason
    assert ("electronic" in fields) == (electronic != has_current)
    assert all(p["message"] for p in problems)


def test_an_overlong_reason_is_refused() -> None:
    problems = domain.state_violations(False, False, "x" * (domain.MAX_REASON_LENGTH + 1), False)
    assert [p["field"] for p in problems] == ["missingReason"]


# ------------------------------------------------------------------------------------------ file names

REFUSED_NAMES = [
    "../../etc/passwd",
    "..\\..\\windows\\system32\\config",
    "a/../../b.pdf",
    "/etc/passwd",
    "\\\\server\\share\\x.pdf",
    "C:\\Users\\x\\licence.pdf",
    "c:licence.pdf",
    "licence\x00.pdf",
    "licence\n.pdf",
    "evil\u202egpj.pdf",
    "",
    "   ",
    "..",
    "scans/",
]


@pytest.mark.parametrize("name", REFUSED_NAMES)
def test_dangerous_file_names_are_refused(name: str) -> None:
    assert domain.file_name_problem(name) is not None
    with pytest.raises(BadUserInput) as raised:
        domain.sanitise_file_name(name)
    assert raised.value.extensions == {"code": "BAD_USER_INPUT", "field": "file"}


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("营业执照.pdf", "营业执照.pdf"),
        ("  排污许可证（副本）.pdf ", "排污许可证（副本）.pdf"),
        ("scans/licence.pdf", "licence.pdf"),
        ('what?<is>:"this"|*.png', "what__is___this___.png"),
        ("..hidden..pdf", "..hidden..pdf"),
        ("e\u0301tude.pdf", "\u00e9tude.pdf"),
    ],
)
def test_safe_display_names(raw: str, shown: str) -> None:
    assert domain.sanitise_file_name(raw) == shown


name_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=300
)


@given(name_text)
def test_any_accepted_name_becomes_a_safe_display_name(raw: str) -> None:
    problem = domain.file_name_problem(raw)
    segments = raw.replace("\\", "/").split("/")
    if any(s.strip() == ".." for s in segments) or raw.strip().startswith(("/", "\\")):
        assert problem is not None
    if any(unicodedata.category(c) == "Cc" for c in raw):
        assert problem is not None
    if problem is not None:
        return
    shown = domain.sanitise_file_name(raw)
    assert shown and len(shown) <= domain.MAX_FILE_NAME_LENGTH
    assert "/" not in shown and "\\" not in shown and shown != ".."
    assert not any(c in shown for c in '<>:"|?*')
    assert not any(unicodedata.category(c) == "Cc" for c in shown)
    assert domain.sanitise_file_name(shown) == shown  # idempotent


@given(name_text.filter(lambda n: domain.file_name_problem(n) is None))
def test_content_disposition_is_ascii_and_round_trips(raw: str) -> None:
    shown = domain.sanitise_file_name(raw)
    header = domain.content_disposition(shown)
    assert header.isascii() and "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="')
    assert unquote(header.split("filename*=UTF-8''", 1)[1]) == shown


def test_long_names_keep_their_extension() -> None:
    shown = domain.sanitise_file_name("很" * 400 + ".pdf")
    assert len(shown) == 255 and shown.endswith(".pdf")


# ------------------------------------------------------------------------------------------ file types

SAMPLES = {
    "application/pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "image/png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "application/ofd": b"PK\x03\x04\x14\x00\x00\x00OFD.xml",
    "application/msword": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": b"PK\x03\x04\x14\x00\x06\x00",
    "application/vnd.ms-excel": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": b"PK\x03\x04\x14\x00\x06\x00",
    "application/zip": b"PK\x05\x06" + b"\x00" * 18,
}


@given(st.sampled_from(domain.FILE_KINDS), st.binary(max_size=2048))
def test_each_accepted_type_is_recognised_by_its_first_bytes(kind: domain.FileKind, tail: bytes) -> None:
    head = SAMPLES[kind.content_type] + tail
    assert domain.content_matches(kind, head[: domain.SNIFF_BYTES])
    assert domain.resolve_kind(kind.content_type, "x") == kind
    assert domain.resolve_kind("application/octet-stream", "scan" + kind.extensions[0].upper()) == kind


@given(st.binary(max_size=64))
def test_other_content_matches_no_kind(data: bytes) -> None:
    assume(
        not data.startswith((b"\xff\xd8\xff", b"\x89PNG", b"PK", b"\xd0\xcf\x11\xe0"))
        and b"%PDF-" not in data
    )
    assert domain.signature_family(data) is None
    assert not any(domain.content_matches(kind, data) for kind in domain.FILE_KINDS)


def test_mismatched_and_refused_types() -> None:
    pdf = domain.KINDS_BY_TYPE["application/pdf"]
    assert not domain.content_matches(pdf, SAMPLES["image/png"])
    assert not domain.content_matches(pdf, b"MZ\x90\x00 an executable")
    assert domain.content_matches(pdf, b"\xef\xbb\xbf  junk before the header %PDF-1.4")
    png = domain.KINDS_BY_TYPE["image/png"]
    assert not domain.content_matches(png, SAMPLES["image/jpeg"])
    for declared in ("text/html", "application/x-msdownload", "image/svg+xml", "text/plain"):
        assert domain.resolve_kind(declared, "x.pdf") is None
    assert domain.resolve_kind("application/octet-stream", "x.exe") is None
    assert domain.resolve_kind(None, "noextension") is None
    assert domain.resolve_kind("IMAGE/JPG; name=x", "x") == domain.KINDS_BY_TYPE["image/jpeg"]
    assert domain.resolve_kind("application/x-zip-compressed", "x") == domain.KINDS_BY_TYPE["application/zip"]


# ------------------------------------------------------------------------------------------ keys, retention

segment = st.text(alphabet=string.ascii_letters + string.digits + "._-", min_size=1, max_size=20).filter(
    lambda s: not s.startswith(".")
)


@given(st.lists(segment, min_size=1, max_size=6))
def test_valid_keys_stay_inside_the_store(segments: list[str]) -> None:
    key = "/".join(segments)
    assert key_problem(key) is None
    root = Path("/srv/blobs")
    path = LocalBlobStore(root).path_of(key)
    assert path.is_relative_to(root) and ".." not in path.parts


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/abs",
        "a//b",
        "../a",
        "a/../b",
        "a/..",
        ".",
        "a/.hidden",
        "a b",
        "a\\b",
        "é",
        "a/b\n",
        "x" * 513,
        "a/",
    ],
)
def test_unsafe_keys_are_refused(key: str) -> None:
    assert key_problem(key) is not None
    with pytest.raises(ValueError):
        validate_key(key)


@given(st.text(max_size=40))
def test_keys_with_traversal_or_odd_characters_never_pass(key: str) -> None:
    if key_problem(key) is None:
        assert not key.startswith("/") and ".." not in key.split("/")
        assert set(key) <= set(string.ascii_letters + string.digits + "/._-")


@given(st.uuids(), st.sampled_from(CODES), st.uuids())
def test_storage_keys_are_valid_and_made_of_ids(enterprise: uuid.UUID, code: str, version: uuid.UUID) -> None:
    key = domain.storage_key(enterprise, code, version)
    assert validate_key(key) == key == f"enterprises/{enterprise}/{code}/{version}"


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)))
def test_documents_are_kept_at_least_five_years(day: dt.date) -> None:
    until = domain.retain_until(day)
    assert until.year == day.year + 5
    assert (until - day).days >= 5 * 365 + 1
    if (day.month, day.day) != (2, 29):
        assert until == day.replace(year=day.year + 5)


def test_leap_day_retention() -> None:
    assert domain.retain_until(dt.date(2028, 2, 29)) == dt.date(2033, 3, 1)
    assert domain.retain_until(dt.date(2026, 11, 23)) == dt.date(2031, 11, 23)


def test_version_status() -> None:
    now = dt.datetime.now(dt.UTC)
    assert domain.version_status(None, None) is domain.VersionStatus.CURRENT
    assert domain.version_status(now, None) is domain.VersionStatus.SUPERSEDED
    assert domain.version_status(now, now) is domain.VersionStatus.WITHDRAWN
    assert domain.version_status(None, now) is domain.VersionStatus.WITHDRAWN


# ------------------------------------------------------------------------------------------ multipart


class Chunks:
    def __init__(self, data: bytes, cuts: list[int]) -> None:
        points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
        self.parts = [data[a:b] for a, b in itertools.pairwise(points) if b > a]

    async def read(self) -> bytes | None:
        return self.parts.pop(0) if self.parts else None


def multipart(parts: list[tuple[str, str | None, str | None, bytes]], boundary: str = "XyZ") -> bytes:
    out = b""
    for name, filename, content_type, data in parts:
        disposition = f'form-data; name="{name}"' + (
            f'; filename="{filename}"' if filename is not None else ""
        )
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if content_type:
            out += f"Content-Type: {content_type}\r\n".encode()
        out += b"\r\n" + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


async def read_upload(body: bytes, cuts: list[int]) -> tuple[str, str, bytes, bytes]:
    reader = MultipartFile(Chunks(body, cuts), b"XyZ")
    part = await reader.open()
    head = await reader.read_head(domain.SNIFF_BYTES)
    data = b"".join([chunk async for chunk in reader.chunks()])
    return part.file_name, part.content_type, head, data


@given(st.binary(max_size=5000), st.lists(st.integers(min_value=0, max_value=6000), max_size=8))
def test_the_multipart_reader_streams_the_file_exactly(data: bytes, cuts: list[int]) -> None:
    body = multipart([("note", None, None, b"hello"), ("file", "排污许可证.pdf", "application/pdf", data)])
    name, content_type, head, got = asyncio.run(read_upload(body, cuts))
    assert (name, content_type) == ("排污许可证.pdf", "application/pdf")
    assert got == data and head == data[: domain.SNIFF_BYTES]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (multipart([("note", None, None, b"x")]), "no 'file' part"),
        (multipart([("file", None, None, b"x")]), "file name"),
        (multipart([("file", "a.pdf", None, b"%PDF-"), ("file", "b.pdf", None, b"%PDF-")]), "one file"),
        (multipart([("file", "a.pdf", None, b"%PDF-")])[:-10], "ended"),
        (multipart([("note", None, None, b"x" * 70_000), ("file", "a.pdf", None, b"%PDF-")]), "too large"),
        (b"garbage without boundaries", "ended|malformed"),
    ],
)
def test_bad_multipart_bodies_are_refused(body: bytes, message: str) -> None:
    with pytest.raises(BadUserInput, match=message):
        asyncio.run(read_upload(body, [7, 100]))
