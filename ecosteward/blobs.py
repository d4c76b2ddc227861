"""Blob storage (文件存储): the bytes of archive documents, behind one small interface.

Every service that stores or serves files goes through :class:`BlobStore`:

* ``put(key, chunks, max_bytes)`` streams the content to storage, hashing it on the way (SHA-256),
  and publishes it under ``key`` only when it is complete. Past ``max_bytes`` it raises
  :class:`BlobTooLarge`; on that or any other failure (including an exception raised by ``chunks``
  itself, e.g. a client that disconnects or content that fails a check) nothing is left behind.
  A key is written once: putting an existing key raises :class:`BlobExists`.
* ``open(key, chunk_size)`` streams the content back (:class:`BlobNotFound` when missing).
* ``exists(key)``.

Nothing is ever deleted through this interface: archives are kept at least five years (seed 004 §8).

Two backends:

* :class:`LocalBlobStore` — files under a root directory (the embedded default,
  ``<data dir>/blobs``): a temporary file in the target directory, fsync'd, then published
  atomically (a hard link, which never replaces an existing file, or a rename where the file system
  has no hard links) and the directory fsync'd.
* :class:`S3BlobStore` — any S3-compatible object store (the scale-out option: AWS S3, MinIO, Ceph
  RGW, OSS/COS with S3 APIs), through boto3 run in worker threads; large blobs go up as a multipart
  upload that is aborted on failure.

:func:`blob_store_from_env` picks one from ``ECOSTEWARD_BLOB_BACKEND``.

Keys are chosen by the system, never by users (e.g. ``enterprises/<id>/<item>/<version id>``), and
are validated anyway: relative, ``/``-separated segments of ``[A-Za-z0-9._-]``, no empty segment and
no segment starting with ``.`` (so no ``.``/``..`` and no clash with the local store's temporary
files), at most 512 characters.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import uuid
import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ecosteward.config import BlobSettings

MAX_KEY_LENGTH = 512
DEFAULT_CHUNK = 1 << 16
S3_MIN_PART = 5 * 1024 * 1024
"""S3 refuses multipart parts below 5 MiB (except the last one)."""

try:  # ISA-L's CRC-32: the same results as zlib's, several times faster
    from isal.isal_zlib import crc32 as _crc32
except ImportError:  # pragma: no cover - depends on the environment
    _crc32 = zlib.crc32

crc32: Callable[[Any, int], int] = _crc32
"""CRC-32 of a chunk, continuing from a running value (``crc32(chunk, 0)`` starts)."""

_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class StoredBlob:
    """A blob as stored: its key, size in bytes, SHA-256 (lower-case hex) and CRC-32.

    The CRC-32 is computed in the same pass as the SHA-256: a ZIP can then store the file with its
    size and checksum in the local header (readable by streaming unzippers) without reading it twice.
    """

    key: str
    size: int
    sha256: str
    crc32: int | None = None


class _Tally:
    """Size, SHA-256 and CRC-32 of a blob as its chunks stream in; more than ``max_bytes`` is refused."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.digest = hashlib.sha256()
        self.crc32 = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise BlobTooLarge(self.max_bytes)
        self.digest.update(chunk)
        self.crc32 = crc32(chunk, self.crc32)

    def stored(self, key: str) -> StoredBlob:
        return StoredBlob(key=key, size=self.size, sha256=self.digest.hexdigest(), crc32=self.crc32)


class BlobError(Exception):
    """Base class of the blob store's errors."""


class BlobTooLarge(BlobError):
    """The content exceeded ``max_bytes``; nothing was stored."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"the content is larger than {max_bytes} bytes")
        self.max_bytes = max_bytes


class BlobExists(BlobError):
    """A blob with this key exists already (keys are written once, never replaced)."""


class BlobNotFound(BlobError):
    """No blob has this key."""


class InvalidBlobKey(BlobError, ValueError):
    """The key is not a safe relative key (see the module docstring)."""


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid blob key, or None when it is."""
    if not isinstance(key, str) or not key:
        return "the key is empty"
    if len(key) > MAX_KEY_LENGTH:
        return f"the key is longer than {MAX_KEY_LENGTH} characters"
    if key.startswith("/"):
        return "the key is an absolute path"
    for segment in key.split("/"):
        if not segment:
            return "the key has an empty segment"
        if segment.startswith("."):
            return "a key segment starts with '.' ('.', '..' and hidden names are not allowed)"
        if not _SEGMENT.fullmatch(segment):
            return "only letters, digits, '/', '.', '_' and '-' are allowed"
    return None


def validate_key(key: str) -> str:
    """``key`` itself, or :class:`InvalidBlobKey`."""
    problem = key_problem(key)
    if problem is not None:
        raise InvalidBlobKey(f"invalid blob key {key[:80]!r}: {problem}")
    return key


@runtime_checkable
class BlobStore(Protocol):
    """Where document contents live (see the module docstring for the contract)."""

    async def put(self, key: str, chunks: AsyncIterator[bytes], max_bytes: int) -> StoredBlob: ...

    def open(self, key: str, chunk_size: int = DEFAULT_CHUNK) -> AsyncIterator[bytes]: ...

    async def exists(self, key: str) -> bool: ...


# ----------------------------------------------------------------------------------------------- local


class LocalBlobStore(BlobStore):
    """Blobs as files under ``root`` (created on first write); never deletes a published blob."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def path_of(self, key: str) -> Path:
        """The file of ``key`` (validated, always inside ``root``)."""
        return self.root.joinpath(*validate_key(key).split("/"))

    async def put(self, key: str, chunks: AsyncIterator[bytes], max_bytes: int) -> StoredBlob:
        target = self.path_of(key)
        if await asyncio.to_thread(target.exists):
            raise BlobExists(f"blob {key} exists already")
        created = await asyncio.to_thread(_make_directories, target.parent)
        temp = target.parent / f".tmp-{uuid.uuid4().hex}"
        tally = _Tally(max_bytes)
        handle = await asyncio.to_thread(open, temp, "xb")
        published = False
        try:
            try:
                async for chunk in chunks:
                    if not chunk:
                        continue
                    tally.add(chunk)
                    await asyncio.to_thread(handle.write, chunk)
                await asyncio.to_thread(_flush_and_sync, handle)
            finally:
                await asyncio.to_thread(handle.close)
            await asyncio.to_thread(_publish, temp, target)
            published = True
        finally:
            if not published:
                await asyncio.to_thread(_discard, temp, created)
        return tally.stored(key)

    async def open(self, key: str, chunk_size: int = DEFAULT_CHUNK) -> AsyncIterator[bytes]:
        path = self.path_of(key)
        try:
            handle = await asyncio.to_thread(open, path, "rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise BlobNotFound(f"no blob {key}") from exc
        async with contextlib.aclosing(_read_chunks(handle, chunk_size)) as chunks:
            async for chunk in chunks:  # closed as soon as the reader stops, not at garbage collection
                yield chunk

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path_of(key).is_file)


async def _read_chunks(source: Any, chunk_size: int) -> AsyncGenerator[bytes, None]:
    """Read a blocking file-like ``source`` (a file, an S3 body) off the event loop, then close it."""
    try:
        while True:
            chunk = await asyncio.to_thread(source.read, chunk_size)
            if not chunk:
                break
            yield chunk
    finally:
        await asyncio.to_thread(source.close)


def _make_directories(directory: Path) -> list[Path]:
    """Create ``directory`` and its missing parents; returns those created, deepest first."""
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        current = current.parent
    directory.mkdir(parents=True, exist_ok=True)
    return missing


def _discard(temp: Path, created: list[Path]) -> None:
    """Remove a failed put's temporary file and the (still empty) directories it created."""
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()
    for directory in created:
        try:
            directory.rmdir()
        except OSError:  # not empty: another put is using it
            break


def _flush_and_sync(handle: Any) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _publish(temp: Path, target: Path) -> None:
    """Make ``temp`` visible as ``target`` atomically, never replacing an existing ``target``."""
    try:
        os.link(temp, target)  # atomic, and fails if target exists
    except FileExistsError as exc:
        raise BlobExists(f"blob {target.name} exists already") from exc
    except OSError:
        # A file system without hard links: rename (atomic; the existence was checked before).
        if target.exists():
            raise BlobExists(f"blob {target.name} exists already") from None
        os.replace(temp, target)
    else:
        temp.unlink()
    _sync_directory(target.parent)


def _sync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems that refuse fsync on directories
        pass
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------------------------- S3


class S3BlobStore(BlobStore):
    """Blobs as objects of an S3-compatible bucket, under an optional key ``prefix``.

    Small blobs (up to ``part_size``) are one ``PutObject``; larger ones a multipart upload of
    ``part_size`` parts (≥ 5 MiB), aborted when anything fails so no parts are left behind. At most
    one part is held in memory. boto3 is synchronous, so each call runs in a worker thread.
    Credentials: explicit, else boto3's usual chain (``AWS_ACCESS_KEY_ID`` … , profiles, roles).
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        prefix: str = "",
        part_size: int = 8 * 1024 * 1024,
        client: Any = None,
    ) -> None:
        if not bucket:
            raise ValueError("an S3 bucket name is required")
        if part_size < S3_MIN_PART:
            raise ValueError(f"part_size must be at least {S3_MIN_PART} bytes (S3's minimum)")
        prefix = prefix.strip("/")
        if prefix:
            validate_key(prefix)
        self.bucket = bucket
        self.prefix = prefix
        self.part_size = part_size
        self._client = client
        self._client_args = {
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "aws_access_key_id": access_key_id or None,
            "aws_secret_access_key": secret_access_key or None,
            "aws_session_token": session_token or None,
        }

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    @property
    def client(self) -> Any:
        """The boto3 S3 client (made on first use; boto3 clients are thread-safe)."""
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.session.Session().client(
                "s3",
                config=Config(
                    signature_version="s3v4",
                    s3={"addressing_style": "path"},
                    retries={"max_attempts": 5, "mode": "standard"},
                ),
                **self._client_args,
            )
        return self._client

    def object_key(self, key: str) -> str:
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    async def put(self, key: str, chunks: AsyncIterator[bytes], max_bytes: int) -> StoredBlob:
        name = self.object_key(key)
        if await self._head(name):
            raise BlobExists(f"blob {key} exists already")
        tally = _Tally(max_bytes)
        buffer = bytearray()
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        try:
            async for chunk in chunks:
                if not chunk:
                    continue
                tally.add(chunk)
                buffer += chunk
                while len(buffer) >= self.part_size:
                    if upload_id is None:
                        upload_id = await asyncio.to_thread(self._start_multipart, name)
                    part = bytes(buffer[: self.part_size])
                    del buffer[: self.part_size]
                    parts.append(
                        await asyncio.to_thread(self._upload_part, name, upload_id, len(parts) + 1, part)
                    )
            if upload_id is None:
                await asyncio.to_thread(self._put_object, name, bytes(buffer))
            else:
                if buffer:
                    parts.append(
                        await asyncio.to_thread(
                            self._upload_part, name, upload_id, len(parts) + 1, bytes(buffer)
                        )
                    )
                await asyncio.to_thread(self._complete, name, upload_id, parts)
                upload_id = None
        except BaseException:
            if upload_id is not None:
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self._abort, name, upload_id)
            raise
        return tally.stored(key)

    async def open(self, key: str, chunk_size: int = DEFAULT_CHUNK) -> AsyncIterator[bytes]:
        name = self.object_key(key)
        try:
            response = await asyncio.to_thread(self.client.get_object, Bucket=self.bucket, Key=name)
        except Exception as exc:
            if _is_missing(exc):
                raise BlobNotFound(f"no blob {key}") from exc
            raise
        async with contextlib.aclosing(_read_chunks(response["Body"], chunk_size)) as chunks:
            async for chunk in chunks:  # closed as soon as the reader stops, not at garbage collection
                yield chunk

    async def exists(self, key: str) -> bool:
        return await self._head(self.object_key(key))

    async def _head(self, name: str) -> bool:
        try:
            await asyncio.to_thread(self.client.head_object, Bucket=self.bucket, Key=name)
        except Exception as exc:
            if _is_missing(exc):
                return False
            raise
        return True

    def _put_object(self, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=name, Body=data)

    def _start_multipart(self, name: str) -> str:
        return str(self.client.create_multipart_upload(Bucket=self.bucket, Key=name)["UploadId"])

    def _upload_part(self, name: str, upload_id: str, number: int, data: bytes) -> dict[str, Any]:
        response = self.client.upload_part(
            Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=data
        )
        return {"PartNumber": number, "ETag": response["ETag"]}

    def _complete(self, name: str, upload_id: str, parts: list[dict[str, Any]]) -> None:
        self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=name, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )

    def _abort(self, name: str, upload_id: str) -> None:
        self.client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)


def _is_missing(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in {"404", "NoSuchKey", "NotFound"} or status == 404


# ----------------------------------------------------------------------------------------------- config


def blob_store_from_env(data_dir: Path) -> BlobStore:
    """The blob store the environment asks for.

    ``ECOSTEWARD_BLOB_BACKEND``: ``local`` (default) → :class:`LocalBlobStore` at
    ``<data_dir>/blobs``; ``s3`` → :class:`S3BlobStore` with ``ECOSTEWARD_S3_BUCKET`` (required),
    ``ECOSTEWARD_S3_ENDPOINT_URL`` (empty: AWS), ``ECOSTEWARD_S3_REGION`` (else ``AWS_REGION`` /
    ``AWS_DEFAULT_REGION``, else ``us-east-1``), ``ECOSTEWARD_S3_PREFIX`` and the ``AWS_*``
    credentials (boto3's usual chain).
    """
    settings = BlobSettings()
    backend = settings.backend.strip().lower() or "local"
    if backend == "local":
        return LocalBlobStore(Path(data_dir) / "blobs")
    if backend == "s3":
        bucket = settings.s3_bucket.strip()
        if not bucket:
            raise ValueError("ECOSTEWARD_BLOB_BACKEND=s3 needs ECOSTEWARD_S3_BUCKET")
        return S3BlobStore(
            bucket,
            endpoint_url=settings.s3_endpoint_url.strip() or None,
            region=settings.s3_region,
            prefix=settings.s3_prefix,
        )
    raise ValueError(f"unknown ECOSTEWARD_BLOB_BACKEND {backend!r}: use 'local' or 's3'")
