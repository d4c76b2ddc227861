"""A ZIP written on the fly, in constant memory, as an async stream of byte chunks.

Each member is written as it is read: a local header, the data (stored, or deflated for members worth
compressing) and a data descriptor with the CRC-32 and sizes, so nothing is ever rewritten and no
member is held in memory; the central directory (one small record per member) follows at the end.
ZIP64 records are used for members of 2 GiB or more, for offsets past 2 GiB and for more than 65,535
members (2 GiB, like Python's :mod:`zipfile`, because some readers treat the 32-bit fields as signed).
Names are UTF-8 with the language-encoding flag set, as Windows, macOS and Info-ZIP expect.

The CRC-32 is the costly part: ISA-L's (the ``isal`` package) runs several times faster than zlib's
and is used when installed. Large chunks are checksummed (and compressed) in a worker thread while
the next chunk is being read, so the event loop stays free and both cores work.
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

try:  # ISA-L's CRC-32 (same polynomial and results as zlib's, several times faster)
    from isal.isal_zlib import crc32 as _crc32
except ImportError:  # pragma: no cover - depends on the environment
    _crc32 = zlib.crc32

crc32: Callable[[Any, int], int] = _crc32

CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "CST")
"""ZIP timestamps are local wall-clock times without a zone: the users are in China (UTC+8)."""
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

ZIP64_LIMIT = (1 << 31) - 1
"""Sizes and offsets above this go into ZIP64 records (module-level so tests can lower it)."""
ZIP_FILECOUNT_LIMIT = (1 << 16) - 1
OFFLOAD_BYTES = 256 << 10
"""Chunks this big are checksummed (and compressed) in a worker thread; zlib and ISA-L run without
the GIL, so this overlaps with reading the next chunk."""
CENTRAL_DIRECTORY_BATCH = 64 << 10

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


class MemberSizeMismatch(RuntimeError):
    """A member's source gave a different number of bytes than announced (the blob is damaged)."""


@dataclass(frozen=True)
class ZipMember:
    """One file of the ZIP: its path, announced size (None when unknown) and a source of chunks."""

    path: str
    size: int | None
    modified: dt.datetime
    chunks: Callable[[], AsyncIterator[bytes]]
    compress: bool = False


def bytes_member(path: str, data: bytes, modified: dt.datetime, compress: bool = False) -> ZipMember:
    """A member whose content is already in memory (the cover sheet)."""

    async def chunks() -> AsyncIterator[bytes]:
        yield data

    return ZipMember(path=path, size=len(data), modified=modified, chunks=chunks, compress=compress)


def zip_time(moment: dt.datetime) -> tuple[int, int, int, int, int, int]:
    """A ZIP date-time tuple (China wall-clock) for ``moment``, never before 1980."""
    local = moment.astimezone(CHINA_TIME) if moment.tzinfo else moment
    stamp = (local.year, local.month, local.day, local.hour, local.minute, local.second)
    return max(stamp, ZIP_EPOCH)


def _dos(moment: dt.datetime) -> tuple[int, int]:
    year, month, day, hour, minute, second = zip_time(moment)
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


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


def _local_header(entry: _Written) -> bytes:
    extra = struct.pack("<2H2Q", _ZIP64_EXTRA, 16, 0, 0) if entry.zip64 else b""
    # With a data descriptor the CRC and sizes follow the data; ZIP64 marks the sizes as in the extra.
    sizes = 0xFFFFFFFF if entry.zip64 else 0
    header = _LOCAL.pack(
        b"PK\x03\x04",
        _VERSION_ZIP64 if entry.zip64 else _VERSION_DEFAULT,
        entry.flags,
        entry.method,
        entry.dos_time,
        entry.dos_date,
        0,
        sizes,
        sizes,
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
        size = 0xFFFFFFFF
    if compressed > ZIP64_LIMIT:
        values.append(compressed)
        compressed = 0xFFFFFFFF
    if offset > ZIP64_LIMIT:
        values.append(offset)
        offset = 0xFFFFFFFF
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


def _end_records(count: int, directory_offset: int, directory_size: int) -> bytes:
    end64 = count > ZIP_FILECOUNT_LIMIT or directory_offset > ZIP64_LIMIT or directory_size > ZIP64_LIMIT
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
        min(directory_size, 0xFFFFFFFF),
        min(directory_offset, 0xFFFFFFFF),
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


async def stream_zip(members: Iterable[ZipMember], compress_level: int = 6) -> AsyncIterator[bytes]:
    """Yield the bytes of a ZIP of ``members`` (in order), chunk by chunk.

    Raises :class:`MemberSizeMismatch` when a source's length differs from its announced size: the
    archive would otherwise silently hold a damaged file.
    """
    offset = 0
    written: list[_Written] = []
    for member in members:
        name = member.path.encode("utf-8")
        dos_time, dos_date = _dos(member.modified)
        announced = member.size
        # Deflate can grow incompressible data a little: leave room, as zipfile does.
        zip64 = announced is None or announced * 1.05 > ZIP64_LIMIT
        entry = _Written(
            name=name,
            flags=_FLAG_DESCRIPTOR | (0 if name.isascii() else _FLAG_UTF8),
            method=_DEFLATED if member.compress else _STORED,
            dos_time=dos_time,
            dos_date=dos_date,
            offset=offset,
            zip64=zip64,
        )
        header = _local_header(entry)
        yield header
        offset += len(header)
        compressor = (
            zlib.compressobj(compress_level, zlib.DEFLATED, -zlib.MAX_WBITS) if member.compress else None
        )
        async for chunk in _read_ahead(member.chunks()):
            if not chunk:
                continue
            entry.size += len(chunk)
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
        if not zip64 and max(entry.size, entry.compressed) > ZIP64_LIMIT:  # pragma: no cover - guarded above
            raise MemberSizeMismatch(f"{member.path}: grew past the ZIP64 threshold")
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
    batch.append(_end_records(len(written), directory_offset, offset - directory_offset))
    yield b"".join(batch)
