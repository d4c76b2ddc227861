"""The archive ZIP stream (our writer, ``zipstream``): any members round-trip, and streaming readers
(``stream-unzip``, Java's ``ZipInputStream``) accept it, in the ZIP32 and the ZIP64 forms."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import shutil
import struct
import subprocess
import zipfile
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stream_unzip import stream_unzip

from services.archive.downloads import zipstream
from services.archive.downloads.streaming import (
    MemberCrcMismatch,
    ZipMember,
    bytes_member,
    stored_up_front,
    stream_archive,
)

WHEN = dt.datetime(2026, 5, 1, 4, 30, tzinfo=dt.UTC)
DATA_DESCRIPTOR_FLAG = 0x0008
LOWERED_ZIP64_LIMIT = 1000
"""With the ZIP64 threshold this low, members over 1000 bytes, later offsets and more than three
members take the ZIP64 paths, without gigabytes of data."""


@contextlib.contextmanager
def zip64_limits(lowered: bool) -> Iterator[None]:
    """The writer's real ZIP64 thresholds, or lowered ones (a context manager, so hypothesis can use it)."""
    if not lowered:
        yield
        return
    with (
        mock.patch.object(zipstream, "ZIP64_LIMIT", LOWERED_ZIP64_LIMIT),
        mock.patch.object(zipstream, "ZIP_FILECOUNT_LIMIT", 3),
    ):
        yield


def chunks_of(data: bytes, size: int) -> Callable[[], AsyncIterator[bytes]]:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), size):
            yield data[start : start + size]

    return chunks


def zipped(members: list[ZipMember]) -> bytes:
    async def collect() -> bytes:
        return b"".join([chunk async for chunk in stream_archive(members)])

    return asyncio.run(collect())


names = st.lists(
    st.text(st.characters(codec="utf-8", exclude_characters="/\\\x00"), min_size=1, max_size=20),
    min_size=1,
    max_size=6,
    unique=True,
)
# Each member: its bytes, the read chunk size, and how it is written (0 stored with CRC-32,
# 1 deflated, 2 a legacy version without a recorded CRC-32, 3 the in-memory cover sheet).
contents = st.tuples(st.binary(max_size=3000), st.integers(min_value=1, max_value=700), st.integers(0, 3))


def member(name: str, data: bytes, chunk: int, kind: int) -> ZipMember:
    if kind == 3:
        return bytes_member(name, data, WHEN)
    return ZipMember(
        name,
        len(data),
        WHEN,
        chunks_of(data, chunk),
        compress=kind == 1,
        crc32=zlib.crc32(data) if kind == 0 else None,
    )


@pytest.mark.parametrize("lowered", [False, True], ids=["zip32", "zip64"])
@settings(max_examples=40, deadline=None)
@given(names.flatmap(lambda n: st.tuples(st.just(n), st.lists(contents, min_size=len(n), max_size=len(n)))))
def test_any_members_round_trip_through_zipfile_and_a_streaming_reader(
    lowered: bool,
    drawn: tuple[list[str], list[tuple[bytes, int, int]]],
) -> None:
    paths, specs = drawn
    expected = {f"d/{name}": data for name, (data, _, _) in zip(paths, specs, strict=True)}
    members = [member(path, *spec) for path, spec in zip(expected, specs, strict=True)]
    with zip64_limits(lowered):
        archive_bytes = zipped(members)
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == list(expected)
        assert {info.filename: archive.read(info) for info in archive.infolist()} == expected
    # A streaming reader sees the same members, reading local headers front to back.
    streamed = {name.decode(): b"".join(chunks) for name, _, chunks in stream_unzip(iter([archive_bytes]))}
    assert streamed == expected
    # Stored members announce their CRC-32 and sizes in the local header: no data descriptor.
    for written, (name, flags, method) in zip(members, local_headers(archive_bytes), strict=True):
        assert name == written.path
        if stored_up_front(written):
            assert method == zipfile.ZIP_STORED and not flags & DATA_DESCRIPTOR_FLAG
            assert local_announcement(archive_bytes, name) == (written.crc32, written.size, written.size)
        else:
            assert method == zipfile.ZIP_DEFLATED and flags & DATA_DESCRIPTOR_FLAG
    # Under the lowered threshold a deflated or large member is in ZIP64 form, and so are the end records.
    if lowered and any(not stored_up_front(m) or (m.size or 0) > LOWERED_ZIP64_LIMIT for m in members):
        assert b"PK\x06\x06" in archive_bytes and b"PK\x06\x07" in archive_bytes


def local_headers(data: bytes) -> list[tuple[str, int, int]]:
    """(name, flags, method) of each local header, read sequentially as a streaming reader does."""
    found = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            signature, _, flags, method = struct.unpack_from("<4sHHH", data, info.header_offset)
            assert signature == b"PK\x03\x04"
            found.append((info.filename, flags, method))
    return found


def local_announcement(data: bytes, name: str) -> tuple[int, int, int]:
    """(CRC-32, compressed size, size) a member's local header announces, from its ZIP64 extra if any."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        offset = archive.getinfo(name).header_offset
    (crc, compressed, size, name_length, extra_length) = struct.unpack_from("<3L2H", data, offset + 14)
    extra = data[offset + 30 + name_length : offset + 30 + name_length + extra_length]
    if (compressed, size) == (0xFFFFFFFF, 0xFFFFFFFF):
        tag, length, size, compressed = struct.unpack_from("<2H2Q", extra)
        assert (tag, length) == (0x0001, 16)  # a local ZIP64 extra holds both sizes
    else:
        assert extra == b""
    return crc, compressed, size


def test_the_zip64_path_announces_large_stored_members_in_a_local_zip64_extra() -> None:
    small, large = b"s" * 500, bytes(range(256)) * 8
    members = [
        ZipMember("small.pdf", len(small), WHEN, chunks_of(small, 100), crc32=zlib.crc32(small)),
        ZipMember("large.pdf", len(large), WHEN, chunks_of(large, 300), crc32=zlib.crc32(large)),
        ZipMember("legacy.pdf", len(large), WHEN, chunks_of(large, 300)),
    ]
    with zip64_limits(True):
        data = zipped(members)
    assert local_announcement(data, "small.pdf") == (zlib.crc32(small), len(small), len(small))
    assert local_announcement(data, "large.pdf") == (zlib.crc32(large), len(large), len(large))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("large.pdf") == large and archive.read("legacy.pdf") == large
        assert archive.getinfo("legacy.pdf").header_offset > LOWERED_ZIP64_LIMIT  # offset in ZIP64 extra
    streamed = {name.decode(): b"".join(chunks) for name, _, chunks in stream_unzip(iter([data]))}
    assert streamed == {"small.pdf": small, "large.pdf": large, "legacy.pdf": large}
    # With the real threshold the same members have no ZIP64 record at all.
    plain = zipped(members[:2])
    assert b"PK\x06\x06" not in plain and b"\xff\xff\xff\xff" not in plain
    assert local_announcement(plain, "large.pdf") == (zlib.crc32(large), len(large), len(large))


def test_a_damaged_blob_fails_the_stream_on_its_recorded_crc() -> None:
    member = ZipMember("a/b/c.pdf", 60, WHEN, chunks_of(b"y" * 60, 7), crc32=zlib.crc32(b"x" * 60))
    with pytest.raises(MemberCrcMismatch):
        zipped([member])


JAVA_READER = """
import java.io.*;
import java.util.zip.*;

public class StreamRead {
    public static void main(String[] args) throws Exception {
        for (String path : args) {
            try (ZipInputStream in = new ZipInputStream(new FileInputStream(path), java.nio.charset.StandardCharsets.UTF_8)) {
                ZipEntry entry;
                byte[] buffer = new byte[8192];
                while ((entry = in.getNextEntry()) != null) {
                    CRC32 crc = new CRC32();
                    long size = 0;
                    int n;
                    while ((n = in.read(buffer)) > 0) { crc.update(buffer, 0, n); size += n; }
                    System.out.println(path + "\t" + entry.getName() + "\t" + size + "\t" + crc.getValue());
                }
            }
        }
    }
}
"""


@pytest.mark.skipif(shutil.which("java") is None, reason="no Java runtime")
def test_javas_zip_input_stream_reads_every_member(tmp_path: Path) -> None:
    payloads = {f"9 图片资料/现场{i}.jpg": bytes(range(i, 256)) * (3 + 5 * i) for i in range(4)}
    members = [bytes_member("封面.xlsx", b"cover" * 300, WHEN)] + [
        ZipMember(path, len(data), WHEN, chunks_of(data, 333), crc32=zlib.crc32(data) if i % 2 else None)
        for i, (path, data) in enumerate(payloads.items())
    ]
    members.append(ZipMember("notes.csv", 4000, WHEN, chunks_of(b"a,b\n" * 1000, 512), compress=True))
    expected = {"封面.xlsx": b"cover" * 300, **payloads, "notes.csv": b"a,b\n" * 1000}
    (tmp_path / "zip32.zip").write_bytes(zipped(members))
    # Java 17 sizes a data descriptor by the bytes it inflated (under 4 GiB: 32-bit), so in the
    # lowered-threshold archive only stored members (ZIP64 extra in the local header) are checked.
    stored = [m for m in members if stored_up_front(m)]
    with zip64_limits(True):
        (tmp_path / "zip64.zip").write_bytes(zipped(stored))
    (tmp_path / "StreamRead.java").write_text(JAVA_READER)
    run = subprocess.run(
        ["java", "StreamRead.java", "zip32.zip", "zip64.zip"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    rows = [line.split("\t") for line in run.stdout.splitlines()]
    read = {(archive, name): (int(size), int(crc)) for archive, name, size, crc in rows}
    want = {("zip32.zip", name): (len(data), zlib.crc32(data)) for name, data in expected.items()}
    want |= {("zip64.zip", m.path): (len(expected[m.path]), zlib.crc32(expected[m.path])) for m in stored}
    assert read == want


def test_stored_documents_carry_size_and_crc_up_front_without_data_descriptors() -> None:
    document = bytes(range(256)) * 40
    members = [
        bytes_member("cover.xlsx", b"cover" * 50, WHEN),
        ZipMember("1/scan.pdf", len(document), WHEN, chunks_of(document, 999), crc32=zlib.crc32(document)),
        ZipMember("2/notes.csv", 5000, WHEN, chunks_of(b"a,b\n" * 1250, 512), compress=True),
    ]
    headers = local_headers(zipped(members))
    stored = [(name, flags) for name, flags, method in headers if method == zipfile.ZIP_STORED]
    assert [name for name, _ in stored] == ["cover.xlsx", "1/scan.pdf"]
    # Java's ZipInputStream rejects STORED entries with a data descriptor (general-purpose bit 3).
    assert all(not flags & DATA_DESCRIPTOR_FLAG for _, flags in stored)
    # Deflated members may use one (streaming readers find their end from the deflate stream).
    assert [method for name, _, method in headers if name == "2/notes.csv"] == [zipfile.ZIP_DEFLATED]
