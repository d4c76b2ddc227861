"""Demo data for the embedded default: a Pudong-shaped directory, one admitted agency with its staff,
contracts in every filing standing (so the bureau's inbox has something to show)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ecosteward.clock import china_today
from ecosteward.demo import DEMO_AGENCY_ID, DEMO_CONTRACT_ID, DEMO_JURISDICTION_ID, demo_id
from ecosteward.demo_support import has_rows
from ecosteward.identity import Principal, Role
from ecosteward.runtime import ServiceRuntime
from services.registry.agencies import service as agencies
from services.registry.agencies.domain import AgencyStatus
from services.registry.calendar.queries import CALENDAR_CACHE
from services.registry.contracts import service as contracts
from services.registry.contracts.domain import ServiceMode
from services.registry.jurisdictions import service as jurisdictions
from services.registry.jurisdictions.domain import JurisdictionKind
from services.registry.jurisdictions.models import JurisdictionRow
from services.registry.permits import service as permits
from services.registry.reference import pudong_directory
from services.registry.staff import service as staff_files
from services.registry.staff.domain import SENIOR_OR_HIGHER, Title

DEMO_TOWN_CODE = "310115125"  # 张江镇, the demo town officer's jurisdiction
SYSTEM = Principal(subject="system", username="demo-loader", roles=frozenset({Role.BUREAU_OFFICER.value}))

STAFF = [
    # name, username, title, professional, quality manager
    ("王建国", "demo-agency-staff", Title.SENIOR, True, True),
    ("李晓梅", "zhang.li", Title.ASSOCIATE_SENIOR, True, False),
    ("陈志强", "chen.zq", Title.INTERMEDIATE, True, False),
    ("刘芳", "liu.fang", Title.INTERMEDIATE, True, False),
    ("赵磊", "zhao.lei", Title.JUNIOR, True, False),
    ("孙悦", "sun.yue", Title.NONE, False, False),
]


async def load(runtime: ServiceRuntime) -> None:
    """Insert the demo data once (idempotent), through the same use cases as the API."""
    async with runtime.unit_of_work() as uow:
        if await has_rows(uow.session, JurisdictionRow):
            return
        for entry in pudong_directory():
            row_id = (
                DEMO_JURISDICTION_ID if entry.code == DEMO_TOWN_CODE else demo_id("jurisdiction", entry.code)
            )
            await jurisdictions.create_jurisdiction(
                uow,
                SYSTEM,
                entry.code,
                entry.name,
                JurisdictionKind(entry.kind),
                name_en=entry.name_en,
                jurisdiction_id=row_id,
            )
        await agencies.register_agency(
            uow,
            SYSTEM,
            agencies.AgencyInput(
                name="上海绿管家环境科技有限公司",
                credit_code="91310115MA1H7GXQ2B",
                admin_username="demo-agency-admin",
                admin_email="demo-agency-admin@demo.ecosteward.local",
                address="上海市浦东新区张江路 1 号",
                contact_name="周敏",
                contact_phone="021-5000 0000",
            ),
            agency_id=DEMO_AGENCY_ID,  # the demo users' agency_id claim points at it
            check_keycloak=False,  # the development realm already holds the demo accounts
        )
        for name, username, title, professional, manager in STAFF:
            staff = await staff_files.add_staff(
                uow,
                SYSTEM,
                DEMO_AGENCY_ID,
                staff_files.StaffInput(
                    name=name,
                    username=username,
                    email=f"{username}@demo.ecosteward.local",
                    title=title,
                    professional=professional,
                    joined_on=dt.date(2022, 3, 1),
                    specialty="环境工程",
                    quality_manager=manager,
                    qualifications=["环境影响评价工程师"] if title in SENIOR_OR_HIGHER else [],
                ),
                check_keycloak=False,
            )
            if username == "demo-agency-staff":
                field_staff = staff
        await agencies.change_agency_status(
            uow, SYSTEM, DEMO_AGENCY_ID, AgencyStatus.ADMITTED, "demo: meets every rule"
        )
        # The demo field worker holds a work permit from the demo town, so the demo can record visits.
        year = china_today().year
        await permits.issue_permit(
            uow,
            SYSTEM,
            field_staff.id,
            DEMO_AGENCY_ID,
            DEMO_JURISDICTION_ID,
            dt.date(year, 1, 1),
            dt.date(year + 1, 12, 31),
        )
    await _contracts(runtime)


async def _contracts(runtime: ServiceRuntime) -> None:
    today = china_today()
    calendar = await CALENDAR_CACHE.get(runtime.sessions)
    # (id, title, signed this many calendar days ago, then: None | "filed" | "acknowledged")
    plan = [
        (DEMO_CONTRACT_ID, "张江镇2026年度环保管家服务", 40, "acknowledged"),
        (demo_id("contract", "due-soon"), "张江镇重点源专项巡查服务", 9, None),
        (demo_id("contract", "overdue"), "张江镇夜查专项服务", 30, None),
        (demo_id("contract", "late"), "张江镇危废规范化管理咨询", 60, "filed-late"),
        (demo_id("contract", "awaiting"), "张江镇培训服务", 1, None),
    ]
    async with runtime.unit_of_work() as uow:
        for contract_id, title, days_ago, outcome in plan:
            await contracts.create_contract(
                uow,
                SYSTEM,
                contracts.ContractInput(
                    title=title,
                    agency_id=DEMO_AGENCY_ID,
                    jurisdiction_id=DEMO_JURISDICTION_ID,
                    price=Decimal("960000.00") if contract_id == DEMO_CONTRACT_ID else Decimal("120000.00"),
                    starts_on=dt.date(today.year, 1, 1),
                    ends_on=dt.date(today.year, 12, 31),
                    service_mode=ServiceMode.ON_SITE,
                    contracted_tasks=400 if contract_id == DEMO_CONTRACT_ID else 40,
                    scope_jurisdiction_ids=[DEMO_JURISDICTION_ID],
                    scope_enterprise_ids=[],
                    catalogue_codes=["B1-8", "B1-16"],
                    attachments=[],
                ),
                contract_id=contract_id,
            )
            signed_on = today - dt.timedelta(days=days_ago)
            await contracts.sign_contract(uow, SYSTEM, contract_id, signed_on, calendar, today=today)
            if outcome in ("acknowledged", "filed-late"):
                await contracts.file_contract(uow, SYSTEM, contract_id, today=today)
                filing = await contracts.filing_of(uow.session, contract_id)
                # Backdate the first filing: on time for one, late for the other.
                filed_on = (
                    signed_on + dt.timedelta(days=3)
                    if outcome == "acknowledged"
                    else filing.due_on + dt.timedelta(days=5)
                )
                filing.first_filed_on, filing.filed_late = filed_on, filed_on > filing.due_on
                if outcome == "acknowledged":
                    await contracts.acknowledge_filing(uow, SYSTEM, contract_id)
