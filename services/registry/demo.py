"""Demo data for the embedded default: a Pudong-shaped directory, one admitted agency, one contract."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import sqlalchemy as sa

from ecosteward.app import ServiceRuntime
from ecosteward.demo import DEMO_AGENCY_ID, DEMO_CONTRACT_ID, DEMO_JURISDICTION_ID
from services.registry.models import AgencyRow, JurisdictionRow, ServiceContractRow

# (code, name, kind) — shaped like Pudong's units; the first town is the demo town officer's.
JURISDICTIONS: list[tuple[str, str, str]] = [
    ("310115", "浦东新区", "DISTRICT"),
    ("310115125", "张江镇", "TOWN"),
    ("310115103", "川沙新镇", "TOWN"),
    ("310115131", "高桥镇", "TOWN"),
    ("310115006", "潍坊新村街道", "STREET"),
    ("310115007", "陆家嘴街道", "STREET"),
    ("310115P01", "张江科学城管理局", "PARK"),
]


async def load(runtime: ServiceRuntime) -> None:
    """Insert the demo rows once (idempotent), emitting the same events as the mutations would."""
    async with runtime.unit_of_work() as uow:
        session = uow.session
        if await session.scalar(sa.select(sa.func.count()).select_from(JurisdictionRow)):
            return
        for index, (code, name, kind) in enumerate(JURISDICTIONS):
            row_id = (
                DEMO_JURISDICTION_ID
                if index == 1
                else uuid.uuid5(uuid.NAMESPACE_URL, f"ecosteward:jurisdiction:{code}")
            )
            session.add(JurisdictionRow(id=row_id, code=code, name=name, kind=kind))
            uow.emit(
                "jurisdiction", "created", row_id, {"id": row_id, "code": code, "name": name, "kind": kind}
            )
        session.add(
            AgencyRow(
                id=DEMO_AGENCY_ID,
                name="上海绿管家环境科技有限公司",
                credit_code="91310115MA1H7GXQ2B",
                status="ADMITTED",
            )
        )
        uow.emit(
            "agency",
            "registered",
            DEMO_AGENCY_ID,
            {"id": DEMO_AGENCY_ID, "name": "上海绿管家环境科技有限公司"},
        )
        await session.flush()
        session.add(
            ServiceContractRow(
                id=DEMO_CONTRACT_ID,
                title="张江镇2026年度环保管家服务",
                agency_id=DEMO_AGENCY_ID,
                jurisdiction_id=DEMO_JURISDICTION_ID,
                price=Decimal("960000.00"),
                starts_on=dt.date(2026, 1, 1),
                ends_on=dt.date(2026, 12, 31),
                contracted_tasks=400,
                status="DRAFT",
            )
        )
        uow.emit(
            "contract",
            "drafted",
            DEMO_CONTRACT_ID,
            {
                "id": DEMO_CONTRACT_ID,
                "agency_id": DEMO_AGENCY_ID,
                "jurisdiction_id": DEMO_JURISDICTION_ID,
                "price": Decimal("960000.00"),
            },
        )
