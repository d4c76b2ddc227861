"""Demo data: a few pollution sources in the demo town (once the registry has announced it)."""

from __future__ import annotations

import logging
import uuid

from ecosteward.app import ServiceRuntime
from ecosteward.demo import DEMO_ENTERPRISE_ID, DEMO_JURISDICTION_ID
from ecosteward.demo_support import has_rows, wait_until_known
from ecosteward.identifiers import with_check_character
from services.archive.models import EnterpriseRow, KnownJurisdictionRow

log = logging.getLogger(__name__)

SOURCES = [
    ("91310115MA1K4ABC1", "上海张江精细化工有限公司", "张江路 100 号", "KEY"),
    ("91310115MA1K4ABD2", "上海浦东电镀厂", "科苑路 88 号", "SIMPLIFIED"),
    ("91310115MA1K4ABE3", "张江生物医药中试基地", "蔡伦路 1 号", "REGISTRATION"),
]


async def load(runtime: ServiceRuntime, wait_seconds: float = 120.0) -> None:
    """Register the demo sources once the demo town is known locally (it arrives as an event)."""
    if not await wait_until_known(runtime, KnownJurisdictionRow, DEMO_JURISDICTION_ID, wait_seconds):
        log.warning("demo town not announced by the registry; demo enterprises not loaded")
        return
    async with runtime.unit_of_work() as uow:
        if await has_rows(uow.session, EnterpriseRow):
            return
        for index, (first17, name, address, category) in enumerate(SOURCES):
            row_id = (
                DEMO_ENTERPRISE_ID
                if index == 0
                else uuid.uuid5(uuid.NAMESPACE_URL, f"ecosteward:enterprise:{first17}")
            )
            code = with_check_character(first17)
            uow.session.add(
                EnterpriseRow(
                    id=row_id,
                    credit_code=code,
                    name=name,
                    address=address,
                    jurisdiction_id=DEMO_JURISDICTION_ID,
                    permit_category=category,
                    status="OPERATING",
                )
            )
            uow.emit(
                "enterprise",
                "registered",
                row_id,
                {"id": row_id, "credit_code": code, "name": name, "jurisdiction_id": DEMO_JURISDICTION_ID},
            )
