"""Registry data for the service tests, made through the use cases: a town, an admitted agency."""

from __future__ import annotations

import datetime as dt
import uuid

from ecosteward.outbox import UnitOfWork
from services.registry.agencies import service as agencies
from services.registry.agencies.domain import AgencyStatus
from services.registry.agencies.models import AgencyRow
from services.registry.jurisdictions import service as jurisdictions
from services.registry.jurisdictions.domain import JurisdictionKind
from services.registry.staff import service as staff_files
from services.registry.staff.domain import Title
from tests.service.registry.conftest import BUREAU, JOINED
from tests.service.support import ServiceDb

TODAY = dt.date(2026, 9, 30)
STAFF = [  # (title, professional, quality manager)
    (Title.SENIOR, True, True),
    (Title.ASSOCIATE_SENIOR, True, False),
    (Title.INTERMEDIATE, True, False),
    (Title.INTERMEDIATE, True, False),
    (Title.JUNIOR, True, False),
]


async def make_town(db: ServiceDb, code: str = "310115125") -> uuid.UUID:
    async with db.unit_of_work() as uow:
        row = await jurisdictions.create_jurisdiction(uow, BUREAU, code, "张江镇", JurisdictionKind.TOWN)
    return row.id


async def register(
    uow: UnitOfWork, name: str, credit_code: str, admin_username: str, admin_email: str
) -> AgencyRow:
    """An agency's application, registered by the bureau (no Keycloak here)."""
    return await agencies.register_agency(
        uow,
        BUREAU,
        agencies.AgencyInput(
            name=name, credit_code=credit_code, admin_username=admin_username, admin_email=admin_email
        ),
        check_keycloak=False,
    )


async def make_agency(db: ServiceDb, admit: bool = True) -> tuple[uuid.UUID, list[uuid.UUID]]:
    async with db.unit_of_work() as uow:
        agency = await register(uow, "绿管家", "91310115MA1H7GXQ2B", "green-admin", "admin@example.com")
        staff = []
        for k, (title, professional, manager) in enumerate(STAFF):
            member = await staff_files.add_staff(
                uow,
                BUREAU,
                agency.id,
                staff_files.StaffInput(
                    name=f"员工{k}",
                    username=f"staff-{k}",
                    email=f"staff{k}@example.com",
                    title=title,
                    professional=professional,
                    joined_on=JOINED,
                    quality_manager=manager,
                ),
                check_keycloak=False,
            )
            staff.append(member.id)
        if admit:
            await agencies.change_agency_status(
                uow, BUREAU, agency.id, AgencyStatus.ADMITTED, "", today=TODAY
            )
    return agency.id, staff


def event_types(events: list[dict[str, object]]) -> list[str]:
    return [str(e["type"]) for e in events]
