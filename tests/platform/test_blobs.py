"""The blob stores for real: files on disk (LocalBlobStore) and an S3 API (S3BlobStore against moto's
standalone server, started here on a free 127.0.0.1 port and stopped at the end)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import time
import urllib.request
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from ecosteward.blobs import (
    BlobExists,
    BlobNotFound,
    BlobStore,
    BlobTooLarge,
    InvalidBlobKey,
    LocalBlobStore,
    S3BlobStore,
    StoredBlob,
    blob_store_from_env,
)
from tests.support import free_port

MiB = 1 << 20


async def chunks_of(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read_all(store: BlobStore, key: str, chunk_size: int = 1 << 16) -> bytes:
    return b"".join([chunk async for chunk in store.open(key, chunk_size)])


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*")) if root.exists() else []


class Boom(Exception):
    pass


async def failing_after(data: bytes, error: Exception) -> AsyncIterator[bytes]:
    async for chunk in chunks_of(data):
        yield chunk
    raise error


# ------------------------------------------------------------------------------------------ local


async def test_local_put_then_open_streams_the_same_bytes(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    data = os.urandom(3 * MiB + 17)
    key = f"enterprises/{uuid.uuid4()}/2-1/{uuid.uuid4()}"
    stored = await store.put(key, chunks_of(data), max_bytes=len(data))
    assert stored == StoredBlob(
        key=key, size=len(data), sha256=hashlib.sha256(data).hexdigest(), crc32=zlib.crc32(data)
    )
    assert await store.exists(key)
    assert (tmp_path / "blobs" / key).read_bytes() == data
    assert await read_all(store, key) == data
    chunks = [c async for c in store.open(key, 1000)]
    assert max(len(c) for c in chunks) == 1000 and b"".join(chunks) == data
    # Only the blob itself is left: no temporary files.
    assert [p.name for p in files_under(tmp_path / "blobs") if p.is_file()] == [key.rsplit("/", 1)[1]]


async def test_local_empty_blob(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    stored = await store.put("a/empty", chunks_of(b""), max_bytes=10)
    assert stored.size == 0 and stored.sha256 == hashlib.sha256(b"").hexdigest()
    assert await read_all(store, "a/empty") == b""


async def test_local_too_large_leaves_nothing_behind(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    (tmp_path / "blobs" / "enterprises").mkdir(parents=True)
    with pytest.raises(BlobTooLarge) as raised:
        await store.put("enterprises/e1/1/v1", chunks_of(os.urandom(2 * MiB)), max_bytes=2 * MiB - 1)
    assert raised.value.max_bytes == 2 * MiB - 1
    assert not await store.exists("enterprises/e1/1/v1")
    # The directories the failed put made are gone again; the one that existed stays.
    assert files_under(tmp_path / "blobs") == [tmp_path / "blobs" / "enterprises"]
    # Exactly at the limit is fine.
    data = os.urandom(MiB)
    assert (await store.put("enterprises/e1/1/v2", chunks_of(data), max_bytes=MiB)).size == MiB


async def test_local_a_failing_source_leaves_nothing_behind(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    with pytest.raises(Boom):
        await store.put("x/y/z", failing_after(os.urandom(300_000), Boom()), max_bytes=MiB)
    assert files_under(tmp_path) == []


async def test_local_put_is_atomic(tmp_path: Path) -> None:
    """Until put returns, the key does not exist: readers never see a partial blob."""
    store = LocalBlobStore(tmp_path)
    release = asyncio.Event()
    halfway = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield b"%PDF-first half "
        halfway.set()
        await release.wait()
        yield b"second half"

    task = asyncio.create_task(store.put("docs/slow", slow(), max_bytes=MiB))
    await halfway.wait()
    await asyncio.sleep(0.05)
    assert not await store.exists("docs/slow")
    with pytest.raises(BlobNotFound):
        await read_all(store, "docs/slow")
    # The partial content sits in a hidden temporary file beside the target.
    assert [p.name.startswith(".tmp-") for p in (tmp_path / "docs").iterdir()] == [True]
    release.set()
    await task
    assert await read_all(store, "docs/slow") == b"%PDF-first half second half"
    assert [p.name for p in (tmp_path / "docs").iterdir()] == ["slow"]


async def test_local_cancelled_put_leaves_nothing(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    started = asyncio.Event()

    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield b"x" * 1000
            started.set()
            await asyncio.sleep(0.01)

    task = asyncio.create_task(store.put("p/q", endless(), max_bytes=100 * MiB))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert files_under(tmp_path) == []


async def test_local_keys_are_written_once(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    await store.put("k/1", chunks_of(b"original"), max_bytes=100)
    with pytest.raises(BlobExists):
        await store.put("k/1", chunks_of(b"replacement"), max_bytes=100)
    assert await read_all(store, "k/1") == b"original"
    # Two concurrent puts of one key: one wins, the other is refused, nothing is mixed.
    results = await asyncio.gather(
        store.put("k/2", chunks_of(b"a" * 200_000, 1000), max_bytes=MiB),
        store.put("k/2", chunks_of(b"b" * 200_000, 1000), max_bytes=MiB),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["BlobExists", "StoredBlob"]
    assert await read_all(store, "k/2") in (b"a" * 200_000, b"b" * 200_000)
    assert sorted(p.name for p in (tmp_path / "k").iterdir()) == ["1", "2"]


@pytest.mark.parametrize("key", ["../escape", "/etc/passwd", "a/../../b", "a/.tmp-x", "a b", "a//b", ""])
async def test_local_refuses_unsafe_keys(tmp_path: Path, key: str) -> None:
    store = LocalBlobStore(tmp_path / "root")
    with pytest.raises(InvalidBlobKey):
        await store.put(key, chunks_of(b"x"), max_bytes=10)
    with pytest.raises(InvalidBlobKey):
        await store.exists(key)
    with pytest.raises(InvalidBlobKey):
        await read_all(store, key)
    assert files_under(tmp_path) == []


async def test_local_missing_blob(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    assert not await store.exists("no/such/blob")
    with pytest.raises(BlobNotFound):
        await read_all(store, "no/such/blob")


def test_blob_store_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ECOSTEWARD_BLOB_BACKEND", raising=False)
    store = blob_store_from_env(tmp_path)
    assert isinstance(store, LocalBlobStore) and store.root == tmp_path / "blobs"
    assert isinstance(store, BlobStore)
    monkeypatch.setenv("ECOSTEWARD_BLOB_BACKEND", "s3")
    monkeypatch.delenv("ECOSTEWARD_S3_BUCKET", raising=False)
    with pytest.raises(ValueError, match="ECOSTEWARD_S3_BUCKET"):
        blob_store_from_env(tmp_path)
    monkeypatch.setenv("ECOSTEWARD_BLOB_BACKEND", "ftp")
    with pytest.raises(ValueError, match="unknown"):
        blob_store_from_env(tmp_path)


# ------------------------------------------------------------------------------------------ S3 (moto)


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    """moto's standalone S3-compatible server on a free local port, for this module."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


CREDENTIALS: dict[str, Any] = {
    "region": "us-east-1",
    "access_key_id": "testing",
    "secret_access_key": "testing",
}


@pytest.fixture
def bucket(moto_server: str) -> str:
    name = f"archive-{uuid.uuid4().hex[:12]}"
    S3BlobStore(name, endpoint_url=moto_server, **CREDENTIALS).client.create_bucket(Bucket=name)
    return name


def s3_store(url: str, bucket: str, **extra: Any) -> S3BlobStore:
    return S3BlobStore(bucket, endpoint_url=url, part_size=5 * MiB, **CREDENTIALS, **extra)


def objects(store: S3BlobStore) -> list[str]:
    listed = store.client.list_objects_v2(Bucket=store.bucket)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def pending_uploads(store: S3BlobStore) -> list[str]:
    return [u["Key"] for u in store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", [])]


async def test_s3_small_blob_round_trip_with_prefix(moto_server: str, bucket: str) -> None:
    store = s3_store(moto_server, bucket, prefix="district-a/")
    data = b"%PDF-1.7 small" * 100
    stored = await store.put("enterprises/e/1/v", chunks_of(data, 100), max_bytes=len(data))
    assert stored == StoredBlob(
        "enterprises/e/1/v", len(data), hashlib.sha256(data).hexdigest(), zlib.crc32(data)
    )
    assert objects(store) == ["district-a/enterprises/e/1/v"]
    assert await store.exists("enterprises/e/1/v")
    assert not await store.exists("enterprises/e/1/other")
    assert await read_all(store, "enterprises/e/1/v", 333) == data
    with pytest.raises(BlobNotFound):
        await read_all(store, "enterprises/e/1/other")


async def test_s3_large_blob_goes_up_in_parts(moto_server: str, bucket: str) -> None:
    store = s3_store(moto_server, bucket)
    data = os.urandom(12 * MiB + 5)
    stored = await store.put("big/one", chunks_of(data, MiB), max_bytes=20 * MiB)
    assert stored.size == len(data) and stored.sha256 == hashlib.sha256(data).hexdigest()
    head = store.client.head_object(Bucket=bucket, Key="big/one")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"').endswith("-3")  # a multipart object of three parts
    assert await read_all(store, "big/one", MiB) == data
    assert pending_uploads(store) == []


async def test_s3_too_large_aborts_and_leaves_nothing(moto_server: str, bucket: str) -> None:
    store = s3_store(moto_server, bucket)
    with pytest.raises(BlobTooLarge):
        await store.put("big/too", chunks_of(os.urandom(11 * MiB), MiB), max_bytes=11 * MiB - 1)
    with pytest.raises(BlobTooLarge):
        await store.put("small/too", chunks_of(os.urandom(1000)), max_bytes=999)
    assert objects(store) == [] and pending_uploads(store) == []


async def test_s3_a_failing_source_aborts_the_upload(moto_server: str, bucket: str) -> None:
    store = s3_store(moto_server, bucket)
    with pytest.raises(Boom):
        await store.put("big/failed", failing_after(os.urandom(6 * MiB), Boom()), max_bytes=50 * MiB)
    assert objects(store) == [] and pending_uploads(store) == []


async def test_s3_keys_are_written_once_and_validated(moto_server: str, bucket: str) -> None:
    store = s3_store(moto_server, bucket)
    await store.put("k/1", chunks_of(b"original"), max_bytes=100)
    with pytest.raises(BlobExists):
        await store.put("k/1", chunks_of(b"replacement"), max_bytes=100)
    assert await read_all(store, "k/1") == b"original"
    with pytest.raises(InvalidBlobKey):
        await store.put("../k", chunks_of(b"x"), max_bytes=100)
    assert objects(store) == ["k/1"]


async def test_s3_from_env(
    moto_server: str, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECOSTEWARD_BLOB_BACKEND", "s3")
    monkeypatch.setenv("ECOSTEWARD_S3_BUCKET", bucket)
    monkeypatch.setenv("ECOSTEWARD_S3_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("ECOSTEWARD_S3_PREFIX", "env")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    store = blob_store_from_env(tmp_path)
    assert isinstance(store, S3BlobStore)
    await store.put("a/b", chunks_of(b"via env"), max_bytes=100)
    assert await read_all(store, "a/b") == b"via env"
    assert objects(store) == ["env/a/b"]
    assert files_under(tmp_path) == []


def test_s3_store_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        S3BlobStore("")
    with pytest.raises(ValueError):
        S3BlobStore("b", part_size=MiB)
    with pytest.raises(InvalidBlobKey):
        S3BlobStore("b", prefix="../x")
