"""Archive downloads on SQLite with the real unit of work: the CRC-32 recorded at upload lets the ZIP
store documents with size and CRC up front (no data descriptor), and versions uploaded before it was
recorded are still streamed whole."""

from __future__ import annotations

import datetime as dt
import io
import struct
import uuid
import zipfile
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from stream_unzip import stream_unzip

from ecosteward.blobs import LocalBlobStore, StoredBlob
from ecosteward.identity import Principal, Role
from services.archive.base import TABLES
from services.archive.documents import domain as documents_domain
from services.archive.documents import service as documents
from services.archive.documents.catalogue import catalogue
from services.archive.documents.models import DocumentVersionRow
from services.archive.downloads import service as downloads
from services.archive.downloads.streaming import stream_archive
from services.archive.enterprises import service as enterprises
from services.archive.enterprises.domain import PermitCategory
from tests.service.archive.test_enterprises_service import TOWN_A, announce_jurisdiction, credit_code
from tests.service.support import ServiceDb, service_db

BUREAU = Principal("sub-bureau", "bureau", frozenset({Role.BUREAU_OFFICER.value}))
TODAY = dt.date(2026, 11, 30)
DATA_DESCRIPTOR_FLAG = 0x0008


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[ServiceDb]:
    async with service_db("archive", TABLES, tmp_path) as database:
        await announce_jurisdiction(database, TOWN_A, "TOWN")
        yield database


async def upload(
    db: ServiceDb,
    store: LocalBlobStore,
    enterprise_id: uuid.UUID,
    item: str,
    name: str,
    data: bytes,
    legacy: bool,
) -> DocumentVersionRow:
    version_id = uuid.uuid4()
    key = documents_domain.storage_key(enterprise_id, item, version_id)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 1000):
            yield data[start : start + 1000]

    stored = await store.put(key, chunks(), max_bytes=1 << 20)
    if legacy:  # as uploaded before CRC-32s were recorded
        stored = StoredBlob(stored.key, stored.size, stored.sha256)
    async with db.unit_of_work() as uow:
        result = await documents.record_upload(
            uow, BUREAU, enterprise_id, item, version_id, name, "application/pdf", stored
        )
    return result.version


async def test_uploads_record_the_crc32_and_the_zip_stores_documents_for_streaming_readers(
    db: ServiceDb, tmp_path: Path
) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    data = {
        "licence.pdf": b"%PDF-1.7\n" + bytes(range(256)) * 30,
        "permit.pdf": b"%PDF-1.7\n" + b"legacy" * 900,
    }
    async with db.unit_of_work() as uow:
        enterprise = await enterprises.register_enterprise(
            uow,
            BUREAU,
            enterprises.EnterpriseInput(credit_code(77), "企业", TOWN_A, PermitCategory.KEY),
            TODAY,
        )
    recorded = await upload(db, store, enterprise.id, "1", "licence.pdf", data["licence.pdf"], legacy=False)
    legacy = await upload(db, store, enterprise.id, "3-1", "permit.pdf", data["permit.pdf"], legacy=True)
    assert recorded.crc32 == zlib.crc32(data["licence.pdf"])
    async with db.sessions() as session:
        stored_row = await session.get(DocumentVersionRow, recorded.id)
        legacy_row = await session.get(DocumentVersionRow, legacy.id)
        assert stored_row is not None and legacy_row is not None
        assert (stored_row.crc32, legacy_row.crc32) == (zlib.crc32(data["licence.pdf"]), None)

    async with db.unit_of_work() as uow:
        download = await downloads.request_download(uow, BUREAU, enterprise, 600)
    now = dt.datetime.now(dt.UTC)
    async with db.sessions() as session:
        plan = await downloads.plan_archive(session, lambda: store, download, catalogue(), now)
    archive = b"".join([chunk async for chunk in stream_archive(plan.members)])

    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert opened.testzip() is None
        contents = {info.filename.rsplit("/", 1)[-1]: opened.read(info) for info in opened.infolist()}
        headers = {
            info.filename.rsplit("/", 1)[-1]: struct.unpack_from("<4sHHH", archive, info.header_offset)
            for info in opened.infolist()
        }
    assert {name: contents[name] for name in data} == data
    signature, _, flags, method = headers["licence.pdf"]
    assert signature == b"PK\x03\x04" and method == zipfile.ZIP_STORED and not flags & DATA_DESCRIPTOR_FLAG
    # The legacy version has no CRC-32 to announce: deflated (level 0), which streaming readers accept.
    assert headers["permit.pdf"][3] == zipfile.ZIP_DEFLATED
    streamed = {
        name.decode().rsplit("/", 1)[-1]: b"".join(chunks)
        for name, _, chunks in stream_unzip(iter([archive]))
    }
    assert {name: streamed[name] for name in data} == data
