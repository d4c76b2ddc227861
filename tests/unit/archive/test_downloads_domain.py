"""Archive downloads (pure parts): signed links, the ZIP layout, the cover sheet, the ZIP stream."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import os
import shutil
import subprocess
import uuid
import zipfile
import zlib
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from services.archive.downloads import domain, service
from services.archive.downloads.coversheet import HEADER_ROWS, CoverHeader, cover_sheet_xlsx
from services.archive.downloads.domain import (
    COVER_SHEET_NAME,
    NO_REASON,
    FileRef,
    ItemState,
    LinkStatus,
    Outcome,
    VersionFacts,
    check_link,
    cover_rows,
    cover_table,
    item_sort_key,
    safe_name,
    sign_link,
    zip_paths,
)
from services.archive.downloads.routes import ZipStreamResponse
from services.archive.downloads.streaming import (
    MemberCrcMismatch,
    MemberSizeMismatch,
    ZipMember,
    bytes_member,
    stream_archive,
    zip_time,
)

SECRET = b"unit-test-secret"
NOW = 1_800_000_000
secrets_ = st.binary(min_size=1, max_size=64)
expiries = st.integers(min_value=0, max_value=10**11)
E1 = service.catalogue()
CATALOGUE = {item.code: item for item in E1}


def link(
    download: uuid.UUID, enterprise: uuid.UUID, expires: int, secret: bytes = SECRET
) -> tuple[str, str, str, str]:
    return str(download), str(enterprise), str(expires), sign_link(secret, download, enterprise, expires)


# --------------------------------------------------------------------------------------- signed links


@given(secrets_, st.uuids(), st.uuids(), expiries, st.integers(min_value=1, max_value=10**6))
def test_a_genuine_link_is_valid_until_its_expiry(
    secret: bytes, download: uuid.UUID, enterprise: uuid.UUID, expires: int, before: int
) -> None:
    parts = link(download, enterprise, expires, secret)
    check = check_link(secret, *parts, now=expires - before)
    assert check.status is LinkStatus.VALID
    assert (check.download_id, check.enterprise_id, check.expires) == (download, enterprise, expires)
    # The edge: valid while now < expires, expired from the expiry second on.
    assert check_link(secret, *parts, now=expires - 0.001).status is LinkStatus.VALID
    assert check_link(secret, *parts, now=expires).status is LinkStatus.EXPIRED
    assert check_link(secret, *parts, now=expires + before).status is LinkStatus.EXPIRED


@given(st.uuids(), st.uuids(), st.uuids(), expiries)
def test_a_link_for_one_enterprise_never_serves_another(
    download: uuid.UUID, enterprise: uuid.UUID, other: uuid.UUID, expires: int
) -> None:
    assume(other != enterprise)
    d, _, e, sig = link(download, enterprise, expires)
    assert check_link(SECRET, d, str(other), e, sig, now=0).status is LinkStatus.INVALID


@given(st.uuids(), st.uuids(), st.uuids(), expiries, expiries)
def test_altering_the_download_or_the_expiry_breaks_the_signature(
    download: uuid.UUID, other: uuid.UUID, enterprise: uuid.UUID, expires: int, later: int
) -> None:
    assume(other != download and later != expires)
    _, ent, e, sig = link(download, enterprise, expires)
    assert check_link(SECRET, str(other), ent, e, sig, now=0).status is LinkStatus.INVALID
    # Extending an expired link is the classic tamper: it is INVALID, never merely EXPIRED.
    assert check_link(SECRET, str(download), ent, str(later), sig, now=0).status is LinkStatus.INVALID


@given(st.uuids(), st.uuids(), expiries, st.data())
def test_any_change_to_the_signature_is_refused(
    download: uuid.UUID, enterprise: uuid.UUID, expires: int, data: st.DataObject
) -> None:
    d, ent, e, sig = link(download, enterprise, expires)
    forged = data.draw(st.text(max_size=60).filter(lambda s: s != sig))
    assert check_link(SECRET, d, ent, e, forged, now=0).status is LinkStatus.INVALID
    position = data.draw(st.integers(min_value=0, max_value=len(sig) - 1))
    flipped = sig[:position] + ("A" if sig[position] != "A" else "B") + sig[position + 1 :]
    assert check_link(SECRET, d, ent, e, flipped, now=0).status is LinkStatus.INVALID


@given(secrets_, secrets_, st.uuids(), st.uuids(), expiries)
def test_a_link_signed_with_another_secret_is_refused(
    secret: bytes, other: bytes, download: uuid.UUID, enterprise: uuid.UUID, expires: int
) -> None:
    assume(secret != other)
    parts = link(download, enterprise, expires, other)
    assert check_link(secret, *parts, now=0).status is LinkStatus.INVALID


def test_an_expired_link_is_reported_expired_only_when_genuine() -> None:
    download, enterprise = uuid.uuid4(), uuid.uuid4()
    d, ent, e, sig = link(download, enterprise, NOW - 1)
    assert check_link(SECRET, d, ent, e, sig, now=NOW).status is LinkStatus.EXPIRED
    assert check_link(SECRET, d, ent, e, sig[:-1] + "x", now=NOW).status is LinkStatus.INVALID


@pytest.mark.parametrize(
    ("download", "enterprise", "expires"),
    [
        ("not-a-uuid", None, None),
        (None, "", None),
        (None, None, ""),
        (None, None, "-5"),
        (None, None, "1e9"),
        (None, None, "0012"),
        (None, None, "１２３"),  # full-width digits
        (None, None, "9" * 13),
        ("{UUID}", None, None),  # braces: not the canonical form that was signed
        ("UPPER", None, None),
        ("urn", None, None),
    ],
)
def test_malformed_links_are_invalid(
    download: str | None, enterprise: str | None, expires: str | None
) -> None:
    real_download, real_enterprise = uuid.uuid4(), uuid.uuid4()
    d, ent, e, sig = link(real_download, real_enterprise, NOW + 60)
    variants = {"{UUID}": "{" + d + "}", "UPPER": d.upper(), "urn": f"urn:uuid:{d}"}
    d = variants.get(download or "", download) if download is not None else d
    ent = enterprise if enterprise is not None else ent
    e = expires if expires is not None else e
    assert check_link(SECRET, d, ent, e, sig, now=NOW).status is LinkStatus.INVALID


def test_signatures_are_url_safe_and_fixed_length() -> None:
    sig = sign_link(SECRET, uuid.uuid4(), uuid.uuid4(), NOW)
    assert len(sig) == 43 and all(c.isalnum() or c in "-_" for c in sig)
    with pytest.raises(ValueError):
        sign_link(b"", uuid.uuid4(), uuid.uuid4(), NOW)


def test_expiry_is_whole_seconds_after_now() -> None:
    assert domain.expiry_for(1000.9, 300) == 1300
    with pytest.raises(ValueError):
        domain.expiry_for(1000, 0)


def test_the_secret_is_generated_once_and_kept(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ECOSTEWARD_DOWNLOAD_SECRET", raising=False)
    first = service.download_secret(tmp_path)
    service._secrets.clear()
    assert service.download_secret(tmp_path) == first and len(first) == 64
    assert (tmp_path / service.SECRET_FILE).stat().st_mode & 0o077 == 0
    monkeypatch.setenv("ECOSTEWARD_DOWNLOAD_SECRET", "from-env")
    assert service.download_secret(tmp_path) == b"from-env"


def test_the_link_ttl_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ECOSTEWARD_DOWNLOAD_TTL_SECONDS", raising=False)
    assert service.ttl_seconds() == 300
    monkeypatch.setenv("ECOSTEWARD_DOWNLOAD_TTL_SECONDS", "30")
    assert service.ttl_seconds() == 30
    for bad in ("0", "-5", "soon"):
        monkeypatch.setenv("ECOSTEWARD_DOWNLOAD_TTL_SECONDS", bad)
        assert service.ttl_seconds() == 300


# --------------------------------------------------------------------------------------- ZIP layout


def test_the_catalogue_has_the_e1_items_in_9_categories_in_natural_order() -> None:
    assert [c.code for c in E1][:4] == ["1", "2-1", "2-2", "2-3"]
    assert {str(c.category_no) for c in E1} == {str(n) for n in range(1, 10)}
    assert [c.code for c in E1] == sorted((c.code for c in E1), key=item_sort_key)


def test_files_are_laid_out_by_category_and_item() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    files = [
        FileRef(a, "1", "营业执照.pdf", 2),
        FileRef(b, "9-10", "正门.jpg", 1),
        FileRef(c, "2-1", "环评批复.pdf", 3),
    ]
    paths = zip_paths(files, CATALOGUE)
    assert paths[a] == "1 企业基本信息/1 营业执照/营业执照.pdf"
    assert paths[b] == "9 图片资料/9-10 企业正门照片/正门.jpg"
    assert paths[c] == (
        "2 执行“环评”、“三同时”情况/2-1 环境影响评价登记表、环境影响评价报告书（表）及批复/环评批复.pdf"
    )


def test_clashing_names_in_one_folder_are_told_apart() -> None:
    ids = [uuid.uuid4() for _ in range(4)]
    files = [
        FileRef(ids[0], "9-11", "photo.jpg", 1),
        FileRef(ids[1], "9-11", "PHOTO.JPG", 2),
        FileRef(ids[2], "9-11", "photo.jpg", 3),
        FileRef(ids[3], "9-12", "photo.jpg", 1),
    ]
    paths = zip_paths(files, CATALOGUE)
    assert paths[ids[0]].endswith("/photo.jpg")
    assert paths[ids[1]].endswith("/PHOTO (v2).JPG")
    assert paths[ids[2]].endswith("/photo (v3).jpg")
    assert paths[ids[3]].startswith("9 图片资料/9-12 ") and paths[ids[3]].endswith("/photo.jpg")


def test_unknown_codes_go_to_other_not_lost() -> None:
    file_id = uuid.uuid4()
    assert zip_paths([FileRef(file_id, "10-1", "x.pdf", 1)], CATALOGUE)[file_id] == "99 其他 Other/10-1/x.pdf"


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\报告.pdf", "报告.pdf"),
        ("..", "file"),
        ('a<b>c:d"e|f?g*h.pdf', "a_b_c_d_e_f_g_h.pdf"),
        ("bad\x00name\n.txt", "bad_name_.txt"),
        (" trailing. ", "trailing"),
        ("CON.txt", "_CON.txt"),
        ("", "file"),
        (".hidden", "hidden"),
    ],
)
def test_names_are_made_safe(given_name: str, expected: str) -> None:
    assert safe_name(given_name) == expected


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(st.sampled_from([*CATALOGUE, "0", "x-1"]), st.text(max_size=300), st.integers(1, 50)),
        max_size=30,
    )
)
def test_every_path_is_safe_and_unique(specs: list[tuple[str, str, int]]) -> None:
    files = [FileRef(uuid.uuid4(), code, name, version) for code, name, version in specs]
    paths = zip_paths(files, CATALOGUE)
    assert len(paths) == len(files)
    assert len({p.casefold() for p in paths.values()}) == len(files)
    for path in paths.values():
        parts = path.split("/")
        assert len(parts) == 3
        for part in parts:
            assert part and part not in {".", ".."} and part == part.strip(" .")
            assert not set(part) & set('<>:"\\|?*') and all(ord(ch) >= 32 for ch in part)
            assert len(part) <= domain.MAX_NAME_CHARS
        assert path.casefold() != COVER_SHEET_NAME.casefold()


def test_codes_sort_naturally() -> None:
    codes = ["9-10", "1", "9-2", "2-1", "10", "x"]
    assert sorted(codes, key=item_sort_key) == ["1", "2-1", "9-2", "9-10", "10", "x"]


def test_only_compressible_types_are_deflated() -> None:
    assert domain.worth_compressing("text/csv; charset=utf-8")
    assert domain.worth_compressing("application/json")
    assert not domain.worth_compressing("application/pdf")
    assert not domain.worth_compressing("image/jpeg")
    assert not domain.worth_compressing(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )


# --------------------------------------------------------------------------------------- cover sheet rows


def facts(item: str, name: str, version: int = 1, size: int = 10) -> VersionFacts:
    return VersionFacts(uuid.uuid4(), item, name, version, size, "ab" * 32)


def test_cover_rows_say_what_is_filed_and_what_is_missing_and_why() -> None:
    licence, permit = facts("1", "营业执照.pdf", 2), facts("3-1", "排污许可证.pdf")
    paths = {licence.id: "1 企业基本信息/1 营业执照/营业执照.pdf", permit.id: "3/3-1/排污许可证.pdf"}
    states = {
        "1": ItemState(electronic=True, paper=True, missing_reason=""),
        "3-1": ItemState(electronic=True, paper=False, missing_reason="原件在总部"),
        "5": ItemState(electronic=False, paper=False, missing_reason="非清洁生产审核企业"),
    }
    rows = {r.code: r for r in cover_rows(E1, [licence, permit], states, paths)}
    assert len(rows) == len(E1)
    assert rows["1"].electronic and rows["1"].paper is True and rows["1"].missing == ""
    assert rows["1"].files[0].file_name == "营业执照.pdf" and rows["1"].files[0].version == 2
    assert rows["3-1"].electronic and rows["3-1"].paper is False
    assert rows["3-1"].missing == "纸质档 paper：原件在总部"
    assert not rows["5"].electronic
    assert rows["5"].missing == "电子档 electronic、纸质档 paper：非清洁生产审核企业"
    assert rows["2-2"].paper is None
    assert rows["2-2"].missing == f"电子档 electronic、纸质档未登记 paper not recorded：{NO_REASON}"


def test_a_file_missing_from_storage_is_not_an_electronic_copy() -> None:
    gone = facts("4-1", "预案.pdf")
    rows = {r.code: r for r in cover_rows(E1, [gone], {}, {gone.id: "p"}, frozenset({gone.id}))}
    assert not rows["4-1"].electronic
    assert rows["4-1"].files[0].path == "" and "missing from storage" in rows["4-1"].files[0].note


def test_unknown_codes_get_their_own_cover_rows() -> None:
    odd = facts("10-1", "x.pdf")
    rows = cover_rows(E1, [odd], {}, {odd.id: "99 其他 Other/10-1/x.pdf"})
    assert rows[-1].code == "10-1" and rows[-1].category_no == "99" and rows[-1].electronic


def test_the_cover_table_has_one_text_row_per_item() -> None:
    licence = facts("1", "营业执照.pdf", 3, 1234)
    table = cover_table(cover_rows(E1, [licence], {}, {licence.id: "p"}))
    assert len(table) == len(E1) and all(len(row) == len(domain.COVER_COLUMNS) for row in table)
    assert table[0][:5] == ("1 企业基本信息", "1", "营业执照", "是 yes", "未登记 not recorded")
    assert table[0][5] == f"营业执照.pdf · v3 · 1234 B · sha256 {'ab' * 32}"


def test_the_cover_sheet_workbook_holds_the_rows_as_text() -> None:
    sneaky = facts("1", '=HYPERLINK("http://evil")\x07.pdf')
    rows = cover_rows(E1, [sneaky], {}, {sneaky.id: "p"})
    header = CoverHeader("上海张江精细化工有限公司", "91310115MA1K4ABC10", dt.datetime.now(dt.UTC), "id", "u")
    sheet = load_workbook(io.BytesIO(cover_sheet_xlsx(header, rows))).active
    assert sheet is not None
    assert sheet["B2"].value == "上海张江精细化工有限公司"
    first = HEADER_ROWS + 2
    assert sheet.cell(row=first, column=2).value == "1"
    files_cell = sheet.cell(row=first, column=6)
    assert files_cell.data_type == "s" and str(files_cell.value).startswith("=HYPERLINK")
    assert sheet.max_row == HEADER_ROWS + 1 + len(E1)


# --------------------------------------------------------------------------------------- the ZIP stream


def chunked(data: bytes, size: int = 7) -> Any:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), size):
            yield data[start : start + size]

    return chunks


async def collect(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in stream])


WHEN = dt.datetime(2026, 5, 1, 4, 30, tzinfo=dt.UTC)


async def test_the_stream_is_a_valid_zip_with_every_member() -> None:
    payloads = {
        "1 企业基本信息/1 营业执照/营业执照.pdf": b"%PDF" + bytes(range(256)) * 10,
        "8 x/8-2 y/监测.csv": "日期,值\n".encode() * 500,
        "9 图片资料/9-10 z/empty.jpg": b"",
    }
    members = [bytes_member(COVER_SHEET_NAME, b"cover", WHEN)] + [
        ZipMember(path, len(data), WHEN, chunked(data), compress=path.endswith(".csv"))
        for path, data in payloads.items()
    ]
    data = await collect(stream_archive(members))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == [COVER_SHEET_NAME, *payloads]
        for path, payload in payloads.items():
            assert hashlib.sha256(archive.read(path)).digest() == hashlib.sha256(payload).digest()
        csv = archive.getinfo("8 x/8-2 y/监测.csv")
        assert csv.compress_type == zipfile.ZIP_DEFLATED and csv.compress_size < csv.file_size
        assert archive.getinfo(COVER_SHEET_NAME).compress_type == zipfile.ZIP_STORED
        assert archive.getinfo(COVER_SHEET_NAME).date_time == (2026, 5, 1, 12, 30, 0)  # UTC+8
        assert archive.getinfo(COVER_SHEET_NAME).flag_bits & 0x800  # UTF-8 names


async def test_zip64_records_are_written_for_every_kind_of_member() -> None:
    # Stored documents (size and CRC-32 known), legacy versions without a CRC-32, unknown sizes:
    # every member is written in ZIP64 form, so sizes and offsets past 4 GiB need no special case.
    blobs = [bytes([i]) * (700 + 300 * i) for i in range(5)]
    members = [
        ZipMember(f"d/f{i}.bin", len(b), WHEN, chunked(b, 256), crc32=zlib.crc32(b) if i % 2 else None)
        for i, b in enumerate(blobs)
    ]
    members.append(ZipMember("d/unknown-size.bin", None, WHEN, chunked(b"u" * 50)))
    data = await collect(stream_archive(members))
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data  # ZIP64 end record and locator
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert [archive.read(f"d/f{i}.bin") for i in range(5)] == blobs
        assert archive.read("d/unknown-size.bin") == b"u" * 50
        assert archive.infolist()[-1].header_offset > 1000


@pytest.mark.skipif(shutil.which("unzip") is None, reason="Info-ZIP unzip is not installed")
async def test_info_zip_accepts_the_archive(tmp_path: Any) -> None:
    payloads = {f"9 图片资料/9-1{i} 照片/现场{i}.jpg": os.urandom(900 + 400 * i) for i in range(5)}
    members = [bytes_member(COVER_SHEET_NAME, b"cover" * 100, WHEN, compress=True)] + [
        ZipMember(path, len(data), WHEN, chunked(data, 333), crc32=zlib.crc32(data) if i else None)
        for i, (path, data) in enumerate(payloads.items())
    ]
    target = tmp_path / "archive.zip"
    target.write_bytes(await collect(stream_archive(members)))
    checked = subprocess.run(["unzip", "-t", str(target)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No errors detected" in checked.stdout
    out = tmp_path / "out"
    subprocess.run(["unzip", "-q", str(target), "-d", str(out)], check=True)
    for path, data in payloads.items():
        assert (out / path).read_bytes() == data


@pytest.mark.parametrize("crc", [None, zlib.crc32(b"x" * 100)])
async def test_a_source_shorter_than_announced_fails_the_stream(crc: int | None) -> None:
    member = ZipMember("a/b/c.pdf", 100, WHEN, chunked(b"x" * 60), crc32=crc)
    with pytest.raises(MemberSizeMismatch):
        await collect(stream_archive([member]))


async def test_a_source_longer_than_announced_fails_the_stream() -> None:
    member = ZipMember("a/b/c.pdf", 10, WHEN, chunked(b"x" * 60), crc32=zlib.crc32(b"x" * 10))
    with pytest.raises(MemberSizeMismatch):
        await collect(stream_archive([member]))


async def test_a_damaged_blob_fails_the_stream_on_its_recorded_crc() -> None:
    member = ZipMember("a/b/c.pdf", 60, WHEN, chunked(b"y" * 60), crc32=zlib.crc32(b"x" * 60))
    with pytest.raises(MemberCrcMismatch):
        await collect(stream_archive([member]))


def test_zip_times_are_china_wall_clock_and_never_before_1980() -> None:
    assert zip_time(dt.datetime(2026, 1, 1, 16, 0, tzinfo=dt.UTC)) == (2026, 1, 2, 0, 0, 0)
    assert zip_time(dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) == (1980, 1, 1, 0, 0, 0)


# --------------------------------------------------------------------------------------- the response


class FakeClient:
    """An ASGI server side: collects what is sent, disconnects after ``disconnect_after`` body chunks."""

    def __init__(self, disconnect_after: int | None = None) -> None:
        self.body = bytearray()
        self.chunks = 0
        self.status: int | None = None
        self.finished = False
        self.disconnect_after = disconnect_after
        self.gone = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        if not hasattr(self, "_requested"):
            self._requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            return
        self.body += message.get("body", b"")
        self.chunks += 1
        self.finished = not message.get("more_body", False)
        if self.disconnect_after is not None and self.chunks >= self.disconnect_after:
            self.gone.set()
            await asyncio.sleep(0.01)


async def endless() -> AsyncIterator[bytes]:
    while True:
        yield b"z" * 1000
        await asyncio.sleep(0)


async def test_the_response_reports_a_completed_stream() -> None:
    ended: list[tuple[Outcome, int]] = []

    async def body() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"a" * 100

    async def on_end(outcome: Outcome, sent: int) -> None:
        ended.append((outcome, sent))

    client = FakeClient()
    await ZipStreamResponse(body(), {}, on_end)({"type": "http"}, client.receive, client.send)
    assert client.status == 200 and client.finished and len(client.body) == 500
    assert ended == [(Outcome.COMPLETED, 500)]


async def test_the_response_reports_a_client_that_went_away() -> None:
    ended: list[tuple[Outcome, int]] = []

    async def on_end(outcome: Outcome, sent: int) -> None:
        ended.append((outcome, sent))

    client = FakeClient(disconnect_after=3)
    await asyncio.wait_for(
        ZipStreamResponse(endless(), {}, on_end)({"type": "http"}, client.receive, client.send), 5
    )
    assert not client.finished
    # The chunk whose send was interrupted by the disconnect does not count as sent.
    assert ended and ended[0][0] is Outcome.ABORTED and 2000 <= ended[0][1] < 10_000


async def test_the_response_reports_a_failed_source() -> None:
    ended: list[tuple[Outcome, int]] = []

    async def broken() -> AsyncIterator[bytes]:
        yield b"a" * 10
        raise OSError("disk gone")

    async def on_end(outcome: Outcome, sent: int) -> None:
        ended.append((outcome, sent))

    client = FakeClient()
    await ZipStreamResponse(broken(), {}, on_end)({"type": "http"}, client.receive, client.send)
    assert not client.finished and ended == [(Outcome.FAILED, 10)]
