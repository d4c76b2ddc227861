"""Demo data: a few pollution sources in the demo town (once the registry has announced it)."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import AsyncIterator

from ecosteward.clock import china_today
from ecosteward.demo import DEMO_ENTERPRISE_ID, DEMO_JURISDICTION_ID, demo_id
from ecosteward.demo_support import demo_loader, has_rows, known_row
from ecosteward.identifiers import with_check_character
from ecosteward.identity import Principal, Role
from ecosteward.outbox import UnitOfWork
from ecosteward.runtime import ServiceRuntime
from services.archive.copies import KnownJurisdictionRow
from services.archive.enterprises.domain import PermitCategory
from services.archive.enterprises.models import EnterpriseRow
from services.archive.enterprises.service import EnterpriseInput, register_enterprise

SOURCES = [
    # first 17 of the credit code, name, address, permit category, industry, latitude, longitude
    ("91310115MA1K4ABC1", "上海张江精细化工有限公司", "张江路 100 号", "KEY", "C2614", 31.2035, 121.5903),
    ("91310115MA1K4ABD2", "上海浦东电镀厂", "科苑路 88 号", "SIMPLIFIED", "C3360", 31.2101, 121.6011),
    ("91310115MA1K4ABE3", "张江生物医药中试基地", "蔡伦路 1 号", "REGISTRATION", "C2710", 31.2178, 121.6082),
    (
        "91310115MA1K4ABF4",
        "上海华印包装印刷有限公司",
        "郭守敬路 35 号",
        "SIMPLIFIED",
        "C2319",
        31.1989,
        121.5957,
    ),
    ("91310115MA1K4ABG5", "张江汽修服务中心", "龙东大道 3000 号", "REGISTRATION", "O8111", 31.2210, 121.6150),
    ("91310115MA1K4ABH6", "上海芯联半导体材料有限公司", "高斯路 200 号", "KEY", "C3985", 31.1952, 121.6044),
]
SYSTEM = Principal(subject="system", username="demo-loader", roles=frozenset({Role.BUREAU_OFFICER.value}))


async def _register_sources(uow: UnitOfWork, town: KnownJurisdictionRow) -> None:
    for index, (first17, name, address, category, industry, latitude, longitude) in enumerate(SOURCES):
        row_id = DEMO_ENTERPRISE_ID if index == 0 else demo_id("enterprise", first17)
        data = EnterpriseInput(
            credit_code=with_check_character(first17),
            name=name,
            jurisdiction_id=town.id,
            permit_category=PermitCategory(category),
            address=address,
            industry_code=industry,
            latitude=latitude,
            longitude=longitude,
        )
        await register_enterprise(uow, SYSTEM, data, china_today(), enterprise_id=row_id)


DEMO_DOCUMENTS = [
    # item code, file name, body
    ("1", "营业执照.pdf", b"%PDF-1.4\n% demo business licence\n"),
    ("3-1", "排污许可证.pdf", b"%PDF-1.4\n% demo discharge permit\n"),
    ("4-1", "突发环境事件应急预案.pdf", b"%PDF-1.4\n% demo emergency plan\n"),
]


async def load_documents(runtime: ServiceRuntime) -> None:
    """A few filed documents and one recorded gap for the demo enterprise (so a download shows both)."""
    from ecosteward.blobs import BlobExists, StoredBlob
    from services.archive.documents import domain as documents_domain
    from services.archive.documents import service as documents
    from services.archive.documents.models import DocumentVersionRow

    store = documents.blob_store(runtime.settings.data_dir)
    async with runtime.unit_of_work() as uow:
        if await has_rows(uow.session, DocumentVersionRow):
            return
        for item_code, file_name, body in DEMO_DOCUMENTS:
            version_id = demo_id("demo-document", item_code)
            key = documents_domain.storage_key(DEMO_ENTERPRISE_ID, item_code, version_id)

            async def chunks(data: bytes = body) -> AsyncIterator[bytes]:
                yield data

            try:
                stored = await store.put(key, chunks(), max_bytes=1 << 20)
            except BlobExists:
                # Left by an earlier run whose database was reset: the same bytes, so reuse them.
                stored = StoredBlob(
                    key=key, size=len(body), sha256=hashlib.sha256(body).hexdigest(), crc32=zlib.crc32(body)
                )
            await documents.record_upload(
                uow, SYSTEM, DEMO_ENTERPRISE_ID, item_code, version_id, file_name, "application/pdf", stored
            )
        await documents.set_item_state(
            uow,
            SYSTEM,
            DEMO_ENTERPRISE_ID,
            "5",
            False,
            False,
            "未纳入强制性清洁生产审核 (not subject to a mandatory audit)",
        )


load = demo_loader(
    known_row(KnownJurisdictionRow, DEMO_JURISDICTION_ID),
    EnterpriseRow,
    _register_sources,
    "demo town not announced by the registry; demo enterprises not loaded",
    then=load_documents,
)
"""Register the demo sources once the demo town is known locally (it arrives as an event), then
file a few documents for the demo enterprise."""
