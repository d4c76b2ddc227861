"""A ZIP written on the fly, in constant memory, as an async stream of byte chunks.

Each member is written as it is read and nothing is ever rewritten; the central directory (one small
record per member) follows at the end. Two kinds of member:

* **Stored, size and CRC-32 known up front** (documents, whose CRC-32 is recorded at upload, and the
  in-memory cover sheet): the CRC-32 and sizes go into the local header (general-purpose bit 3 clear,
  no data descriptor), so streaming readers — Java's ``ZipInputStream``, ``stream-unzip`` — know where
  the member ends. The data is still checksummed on the way out: a damaged blob fails the stream
  (:class:`MemberCrcMismatch`) rather than leaving a silently wrong file in the archive.
* **Deflated with a data descriptor**: members worth compressing, and versions without a recorded
  CRC-32 (level 0, i.e. stored blocks inside a deflate stream: one pass, constant memory). Streaming
  readers find a deflated member's end from the deflate stream, so the descriptor is fine for them.

ZIP64 records are used only where needed: for members of 2 GiB or more, offsets past 2 GiB and more
than 65,535 members (2 GiB like Python's :mod:`zipfile`, because some readers treat the 32-bit fields
as signed); the ZIP64 end records also follow any member in ZIP64 form. A deflated member of
unknown size is written in ZIP64 form. Small members keep 32-bit descriptors, which Java 17's
``ZipInputStream`` needs (it picks the descriptor size from the bytes it inflated). Names are UTF-8 with the language-encoding flag set, as Windows, macOS and Info-ZIP expect.

The CRC-32 is ISA-L's when installed (``ecosteward.blobs.crc32``, several times faster than zlib's).
Large chunks are checksummed (and compressed) in a worker thread while the next chunk is being read,
so the event loop stays free and both cores work.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import struct
import zlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ecosteward.blobs import crc32

CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "CST")
"""ZIP timestamps are local wall-clock times without a zone: the users are in China (UTC+8)."""
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

ZIP64_LIMIT = (1 << 31) - 1
"""Sizes and offsets above this go into ZIP64 records (module-level so tests can lower it)."""
ZIP_FILECOUNT_LIMIT = (1 << 16) - 1
"""More members than this need the ZIP64 end records (module-level so tests can lower it)."""
OFFLOAD_BYTES = 256 << 10
"""Chunks this big are checksummed (and compressed) in a worker thread; zlib and ISA-L run without
the GIL, so this overlaps with reading the next chunk."""
CENTRAL_DIRECTORY_BATCH = 64 << 10
COMPRESS_LEVEL = 6
"""Members worth compressing (CSV, text, Office XML)."""
UNKNOWN_CRC_LEVEL = 0
"""Members without a known CRC-32 or size: deflate's stored blocks, as cheap as a copy."""

_LOCAL = struct.Struct("<4s5H3L2H")
_DESCRIPTOR32 = struct.Struct("<4s3L")
_DESCRIPTOR64 = struct.Struct("<4sL2Q")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END64 = struct.Struct("<4sQ2H2L4Q")
_LOCATOR64 = struct.Struct("<4sLQL")
_END = struct.Struct("<4s4H2LH")
_ZIP64_EXTRA = 0x0001
_FLAG_DESCRIPTOR = 0x0008
_FLAG_UTF8 = 0x0800
_STORED, _DEFLATED = 0, 8
_VERSION_DEFAULT, _VERSION_ZIP64 = 20, 45
_UNIX = 3
_MASK32 = 0xFFFFFFFF


class MemberSizeMismatch(RuntimeError):
    """A member's source gave a different number of bytes than announced (the blob is damaged)."""


class MemberCrcMismatch(RuntimeError):
    """A stored member's bytes do not match the CRC-32 recorded at upload (the blob is damaged)."""


@dataclass(frozen=True)
class ZipMember:
    """One file of the ZIP: its path, announced size and CRC-32 (None when unknown), and its chunks."""

    path: str
    size: int | None
    modified: dt.datetime
    chunks: Callable[[], AsyncIterator[bytes]]
    compress: bool = False
    crc32: int | None = None


def bytes_member(path: str, data: bytes, modified: dt.datetime, compress: bool = False) -> ZipMember:
    """A member whose content is already in memory (the cover sheet)."""

    async def chunks() -> AsyncIterator[bytes]:
        yield data

    return ZipMember(
        path=path, size=len(data), modified=modified, chunks=chunks, compress=compress, crc32=zlib.crc32(data)
    )


def zip_time(moment: dt.datetime) -> tuple[int, int, int, int, int, int]:
    """A ZIP date-time tuple (China wall-clock) for ``moment``, never before 1980."""
    local = moment.astimezone(CHINA_TIME) if moment.tzinfo else moment
    stamp = (local.year, local.month, local.day, local.hour, local.minute, local.second)
    return max(stamp, ZIP_EPOCH)


def _dos(moment: dt.datetime) -> tuple[int, int]:
    year, month, day, hour, minute, second = zip_time(moment)
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


def stored_up_front(member: ZipMember) -> bool:
    """Whether ``member`` is stored with its CRC-32 and size in the local header (no descriptor)."""
    return not member.compress and member.size is not None and member.crc32 is not None


@dataclass
class _Written:
    """What the central directory needs to know about a member once it is written."""

    name: bytes
    flags: int
    method: int
    dos_time: int
    dos_date: int
    offset: int
    zip64: bool
    crc: int = 0
    compressed: int = 0
    size: int = 0


def _local_header(entry: _Written, crc: int = 0, size: int = 0) -> bytes:
    """The local header; ``crc`` and ``size`` are the announced values of a stored member."""
    if entry.zip64:
        # The ZIP64 extra of a local header holds both sizes; the 32-bit fields say "see the extra".
        extra = struct.pack("<2H2Q", _ZIP64_EXTRA, 16, size, size)
        size32 = _MASK32
    else:
        extra, size32 = b"", size
    header = _LOCAL.pack(
        b"PK\x03\x04",
        _VERSION_ZIP64 if entry.zip64 else _VERSION_DEFAULT,
        entry.flags,
        entry.method,
        entry.dos_time,
        entry.dos_date,
        crc,
        size32,
        size32,
        len(entry.name),
        len(extra),
    )
    return header + entry.name + extra


def _descriptor(entry: _Written) -> bytes:
    if entry.zip64:
        return _DESCRIPTOR64.pack(b"PK\x07\x08", entry.crc, entry.compressed, entry.size)
    return _DESCRIPTOR32.pack(b"PK\x07\x08", entry.crc, entry.compressed, entry.size)


def _central_record(entry: _Written) -> bytes:
    values = []
    size, compressed, offset = entry.size, entry.compressed, entry.offset
    if size > ZIP64_LIMIT:
        values.append(size)
        size = _MASK32
    if compressed > ZIP64_LIMIT:
        values.append(compressed)
        compressed = _MASK32
    if offset > ZIP64_LIMIT:
        values.append(offset)
        offset = _MASK32
    extra = struct.pack(f"<2H{len(values)}Q", _ZIP64_EXTRA, 8 * len(values), *values) if values else b""
    version = _VERSION_ZIP64 if (values or entry.zip64) else _VERSION_DEFAULT
    header = _CENTRAL.pack(
        b"PK\x01\x02",
        (_UNIX << 8) | version,
        version,
        entry.flags,
        entry.method,
        entry.dos_time,
        entry.dos_date,
        entry.crc,
        compressed,
        size,
        len(entry.name),
        len(extra),
        0,  # comment
        0,  # disk number
        0,  # internal attributes
        (0o100644 << 16),  # a regular file, rw-r--r--
        offset,
    )
    return header + entry.name + extra


def _end_records(count: int, directory_offset: int, directory_size: int, zip64_members: bool) -> bytes:
    """The end of central directory, with the ZIP64 end record and locator when anything needs them
    (and whenever a member is in ZIP64 form: a reader that handles one handles the other)."""
    end64 = (
        zip64_members
        or count > ZIP_FILECOUNT_LIMIT
        or directory_offset > ZIP64_LIMIT
        or directory_size > ZIP64_LIMIT
    )
    records = b""
    if end64:
        end64_offset = directory_offset + directory_size
        records += _END64.pack(
            b"PK\x06\x06",
            _END64.size - 12,
            (_UNIX << 8) | _VERSION_ZIP64,
            _VERSION_ZIP64,
            0,
            0,
            count,
            count,
            directory_size,
            directory_offset,
        )
        records += _LOCATOR64.pack(b"PK\x06\x07", 0, end64_offset, 1)
    return records + _END.pack(
        b"PK\x05\x06",
        0,
        0,
        min(count, 0xFFFF),
        min(count, 0xFFFF),
        min(directory_size, _MASK32),
        min(directory_offset, _MASK32),
        0,
    )


async def _read_ahead(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``chunks``, with the next one already being read while the caller works on the current one."""
    iterator = aiter(chunks)
    pending: asyncio.Future[bytes | None] = asyncio.ensure_future(anext(iterator, None))
    try:
        while True:
            chunk = await pending
            if chunk is None:
                return
            pending = asyncio.ensure_future(anext(iterator, None))
            yield chunk
    finally:
        if not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pending
        close = getattr(iterator, "aclose", None)
        if close is not None:
            with contextlib.suppress(Exception):
                await close()


def _process(chunk: bytes, crc: int, compressor: Any) -> tuple[int, bytes]:
    """The running CRC-32 after ``chunk`` and the bytes to write for it."""
    return crc32(chunk, crc), (compressor.compress(chunk) if compressor is not None else chunk)


async def stream_zip(
    members: Iterable[ZipMember], compress_level: int = COMPRESS_LEVEL
) -> AsyncIterator[bytes]:
    """Yield the bytes of a ZIP of ``members`` (in order), chunk by chunk.

    Raises :class:`MemberSizeMismatch` when a source's length differs from its announced size (before
    writing a byte past it) and :class:`MemberCrcMismatch` when a stored member's bytes do not match
    its announced CRC-32: the archive would otherwise silently hold a damaged file.
    """
    offset = 0
    written: list[_Written] = []
    for member in members:
        name = member.path.encode("utf-8")
        dos_time, dos_date = _dos(member.modified)
        announced = member.size
        stored = stored_up_front(member)
        if stored and announced is not None:
            zip64 = announced > ZIP64_LIMIT
            flags, method = 0, _STORED
            compressor = None
        else:
            # Deflate can grow incompressible data a little: leave room, as zipfile does.
            zip64 = announced is None or announced * 1.05 + 1024 > ZIP64_LIMIT
            flags, method = _FLAG_DESCRIPTOR, _DEFLATED
            level = compress_level if member.compress else UNKNOWN_CRC_LEVEL
            compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
        entry = _Written(
            name=name,
            flags=flags | (0 if name.isascii() else _FLAG_UTF8),
            method=method,
            dos_time=dos_time,
            dos_date=dos_date,
            offset=offset,
            zip64=zip64,
        )
        header = _local_header(entry, member.crc32 or 0, announced or 0) if stored else _local_header(entry)
        yield header
        offset += len(header)
        async for chunk in _read_ahead(member.chunks()):
            if not chunk:
                continue
            entry.size += len(chunk)
            if announced is not None and entry.size > announced:
                raise MemberSizeMismatch(f"{member.path}: announced {announced} bytes, the source gave more")
            if len(chunk) >= OFFLOAD_BYTES:
                entry.crc, out = await asyncio.to_thread(_process, chunk, entry.crc, compressor)
            else:
                entry.crc, out = _process(chunk, entry.crc, compressor)
            if out:
                entry.compressed += len(out)
                offset += len(out)
                yield out
        if compressor is not None:
            tail = compressor.flush()
            if tail:
                entry.compressed += len(tail)
                offset += len(tail)
                yield tail
        if announced is not None and entry.size != announced:
            raise MemberSizeMismatch(
                f"{member.path}: announced {announced} bytes, the source gave {entry.size}"
            )
        if stored and entry.crc != member.crc32:
            raise MemberCrcMismatch(
                f"{member.path}: recorded CRC-32 {member.crc32:08x}, the source gave {entry.crc:08x}"
            )
        if not zip64 and max(entry.size, entry.compressed) > ZIP64_LIMIT:  # pragma: no cover - guarded above
            raise MemberSizeMismatch(f"{member.path}: grew past the ZIP64 threshold")
        if not stored:
            descriptor = _descriptor(entry)
            yield descriptor
            offset += len(descriptor)
        written.append(entry)

    directory_offset = offset
    batch: list[bytes] = []
    pending = 0
    for entry in written:
        record = _central_record(entry)
        batch.append(record)
        pending += len(record)
        offset += len(record)
        if pending >= CENTRAL_DIRECTORY_BATCH:
            yield b"".join(batch)
            batch, pending = [], 0
    zip64_members = any(entry.zip64 for entry in written)
    batch.append(_end_records(len(written), directory_offset, offset - directory_offset, zip64_members))
    yield b"".join(batch)
