"""Registry GraphQL types (strawberry): what front ends see. Descriptions on everything."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa
import strawberry
from strawberry.types import Info

from ecosteward.clock import china_today
from ecosteward.graphql import context_of, roles
from ecosteward.repository import children, load_live, parse_id
from services.registry import access, domain
from services.registry.access import DIRECTORY_READERS
from services.registry.models import (
    AgencyRow,
    AgencyStatusChangeRow,
    CreditListingRow,
    FilingActionRow,
    FilingRow,
    JurisdictionRow,
    ServiceContractRow,
    StaffRecordRow,
    StaffRow,
    WorkPermitRow,
)
from services.registry.reference import CatalogueItem, service_catalogue

strawberry.enum(
    domain.JurisdictionKind,
    description="Kind of managing unit: the district, a town (镇), a street (街道) or a park committee (管委会).",
)
strawberry.enum(domain.AgencyStatus, description="Admission status in the agency database (入库状态).")
strawberry.enum(
    domain.ContractStatus,
    description="Contract lifecycle: DRAFT → SIGNED → FILED (→ RETURNED → FILED) → ACTIVE → ENDED, or TERMINATED.",
)
strawberry.enum(domain.FilingStatus, description="State of a contract's filing (报备) with the bureau.")
strawberry.enum(
    domain.FilingStanding,
    description="Where a filing stands against its due date (the bureau's inbox categories).",
)
strawberry.enum(
    domain.Title,
    description="Technical title (技术职称): none, junior 初级, intermediate 中级, associate senior 副高级, senior 正高级.",
)
strawberry.enum(domain.ServiceMode, description="On-site (驻点) or remote (非驻点) service.")
strawberry.enum(
    domain.StaffRecordKind, description="Continuing education (继续教育) or an evaluation (考评)."
)
JurisdictionKind = domain.JurisdictionKind
AgencyStatus = domain.AgencyStatus
ContractStatus = domain.ContractStatus
FilingStatus = domain.FilingStatus
FilingStanding = domain.FilingStanding
Title = domain.Title
ServiceMode = domain.ServiceMode
StaffRecordKind = domain.StaffRecordKind


@strawberry.enum(description="A work permit's state on a given day.")
class PermitState(Enum):
    VALID = "VALID"
    NOT_YET_VALID = "NOT_YET_VALID"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


def _id(value: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.federation.type(
    keys=["id"],
    description="A managing unit: the district, a town/street or a park committee (街镇、管委会).",
)
class Jurisdiction:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    code: str = strawberry.field(description="Administrative code, unique.")
    name: str = strawberry.field(description="Name, e.g. 张江镇.")
    name_en: str = strawberry.field(description="English name.")
    kind: JurisdictionKind = strawberry.field(description="District, town, street or park.")

    @classmethod
    def from_row(cls, row: JurisdictionRow) -> Jurisdiction:
        return cls(
            id=_id(row.id),
            code=row.code,
            name=row.name,
            name_en=row.name_en,
            kind=domain.JurisdictionKind(row.kind),
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Jurisdiction:
        """``jurisdiction(id)`` and ``_entities`` alike (``access.read_jurisdiction``)."""
        return cls.from_row(await access.read_jurisdiction(info, id))


@strawberry.type(description="An unmet admission rule.")
class AdmissionRuleFailure:
    code: str = strawberry.field(
        description="CREDIT_BLACKLISTED, TOO_FEW_PROFESSIONALS, TOO_FEW_SENIOR_TITLES or QUALITY_MANAGER."
    )
    message: str = strawberry.field(description="What is missing, in words.")


@strawberry.type(description="One admission status change, with its reason and date (never deleted).")
class AgencyStatusChange:
    from_status: AgencyStatus | None = strawberry.field(
        description="Status before (none for the application)."
    )
    to_status: AgencyStatus = strawberry.field(description="Status after.")
    reason: str = strawberry.field(description="Why.")
    changed_at: dt.datetime = strawberry.field(description="When (UTC).")
    changed_by: str = strawberry.field(description="Who (username).")

    @classmethod
    def from_row(cls, row: AgencyStatusChangeRow) -> AgencyStatusChange:
        return cls(
            from_status=domain.AgencyStatus(row.from_status) if row.from_status else None,
            to_status=domain.AgencyStatus(row.to_status),
            reason=row.reason,
            changed_at=row.changed_at,
            changed_by=row.changed_by,
        )


@strawberry.type(description="A listing on a credit blacklist (失信名单).")
class CreditListing:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    source: str = strawberry.field(description="Where the listing was published (e.g. 信用中国).")
    listed_on: dt.date = strawberry.field(description="Listed from.")
    delisted_on: dt.date | None = strawberry.field(
        description="Removed from the list on (none while listed)."
    )
    note: str = strawberry.field(description="Notes.")
    active: bool = strawberry.field(description="In force today.")

    @classmethod
    def from_row(cls, row: CreditListingRow) -> CreditListing:
        return cls(
            id=_id(row.id),
            source=row.source,
            listed_on=row.listed_on,
            delisted_on=row.delisted_on,
            note=row.note,
            active=domain.listing_active(row.listed_on, row.delisted_on, china_today()),
        )


@strawberry.federation.type(
    keys=["id"],
    description="A third-party environmental service agency (第三方环保服务机构). Bureau, procurement and towns read every agency, agency users their own, an enterprise user the directory fields of the agencies whose signed contracts cover it.",
)
class Agency:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    name: str = strawberry.field(description="Registered name.")
    credit_code: str = strawberry.field(description="Unified social credit code (统一社会信用代码).")
    address: str = strawberry.field(description="Address.")
    contact_name: str = strawberry.field(description="Contact person.")
    contact_phone: str = strawberry.field(description="Contact phone.")
    admin_username: str = strawberry.field(
        description="Username of the agency's admin account (created on admission). Not for enterprise users.",
        extensions=[roles(*DIRECTORY_READERS)],
    )
    status: AgencyStatus = strawberry.field(description="Admission status.")
    status_reason: str = strawberry.field(
        description="Reason given for the current status. Not for enterprise users.",
        extensions=[roles(*DIRECTORY_READERS)],
    )
    status_changed_at: dt.datetime = strawberry.field(description="When the status last changed (UTC).")
    rules_met: bool | None = strawberry.field(
        description="For an admitted agency: whether it still meets the admission rules. Not for enterprise users.",
        extensions=[roles(*DIRECTORY_READERS)],
    )
    noncompliant_since: dt.datetime | None = strawberry.field(
        description="Since when an admitted agency no longer meets them. Not for enterprise users.",
        extensions=[roles(*DIRECTORY_READERS)],
    )
    unmet_rule_codes: strawberry.Private[list[str]]

    @strawberry.field(
        description="Unmet admission rules (evaluated now). Not for enterprise users.",
        extensions=[roles(*DIRECTORY_READERS)],
    )
    async def admission_check(self, info: Info) -> list[AdmissionRuleFailure]:
        from services.registry.service import admission_failures

        async with context_of(info).runtime.sessions() as session:
            failures = await admission_failures(session, parse_id(self.id, "Agency"), china_today())
        return [AdmissionRuleFailure(code=f.code, message=f.message) for f in failures]

    @strawberry.field(
        description="Admission status history, oldest first. Not for enterprise users.",
        extensions=[roles(*DIRECTORY_READERS)],
    )
    async def status_history(self, info: Info) -> list[AgencyStatusChange]:
        agency_id = parse_id(self.id, "Agency")
        rows = await children(
            info,
            AgencyStatusChangeRow,
            AgencyStatusChangeRow.agency_id,
            agency_id,
            AgencyStatusChangeRow.changed_at,
        )
        return [AgencyStatusChange.from_row(r) for r in rows]

    @strawberry.field(
        description="Credit blacklist listings, current and past. Not for enterprise users.",
        extensions=[roles(*DIRECTORY_READERS)],
    )
    async def credit_listings(self, info: Info) -> list[CreditListing]:
        rows = await children(
            info,
            CreditListingRow,
            CreditListingRow.agency_id,
            parse_id(self.id, "Agency"),
            CreditListingRow.listed_on,
        )
        return [CreditListing.from_row(r) for r in rows]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Agency:
        """``agency(id)`` and ``_entities`` alike (``access.read_agency``)."""
        return cls.from_row(await access.read_agency(info, id))

    @classmethod
    def from_row(cls, row: AgencyRow) -> Agency:
        return cls(
            id=_id(row.id),
            name=row.name,
            credit_code=row.credit_code,
            address=row.address,
            contact_name=row.contact_name,
            contact_phone=row.contact_phone,
            admin_username=row.admin_username,
            status=domain.AgencyStatus(row.status),
            status_reason=row.status_reason,
            status_changed_at=row.status_changed_at,
            rules_met=row.rules_met,
            noncompliant_since=row.noncompliant_since,
            unmet_rule_codes=list(row.unmet_rules or []),
        )


@strawberry.type(description="A continuing-education or evaluation record in a staff file.")
class StaffRecord:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    kind: StaffRecordKind = strawberry.field(description="Education or evaluation.")
    on: dt.date = strawberry.field(description="Date.")
    topic: str = strawberry.field(description="Course or evaluation topic.")
    hours: Decimal | None = strawberry.field(description="Hours of education.")
    rating: str | None = strawberry.field(description="Evaluation result.")
    note: str = strawberry.field(description="Notes.")

    @classmethod
    def from_row(cls, row: StaffRecordRow) -> StaffRecord:
        return cls(
            id=_id(row.id),
            kind=StaffRecordKind(row.kind),
            on=row.on,
            topic=row.topic,
            hours=row.hours,
            rating=row.rating,
            note=row.note,
        )


@strawberry.federation.type(keys=["id"], description="A staff member's file at an agency (人员档案).")
class Staff:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    name: str = strawberry.field(description="Full name.")
    username: str = strawberry.field(description="Username of the staff member's account.")
    email: str | None = strawberry.field(description="E-mail.")
    specialty: str = strawberry.field(description="Specialty (专业).")
    title: Title = strawberry.field(description="Technical title.")
    professional: bool = strawberry.field(description="Does environmental consulting work (专业技术人员).")
    quality_manager: bool = strawberry.field(description="The agency's quality manager (质量负责人).")
    qualifications: list[str] = strawberry.field(description="Qualifications and certificates.")
    joined_on: dt.date = strawberry.field(description="Joined the agency.")
    left_on: dt.date | None = strawberry.field(description="Left the agency (none while employed).")
    agency_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The agency.")
    async def agency(self, info: Info) -> Agency:
        return Agency.from_row(await load_live(info, AgencyRow, self.agency_id, "Agency"))

    @strawberry.field(description="Continuing education and evaluations, newest first.")
    async def records(self, info: Info) -> list[StaffRecord]:
        rows = await children(
            info,
            StaffRecordRow,
            StaffRecordRow.staff_id,
            parse_id(self.id, "Staff"),
            StaffRecordRow.on.desc(),
        )
        return [StaffRecord.from_row(r) for r in rows]

    @strawberry.field(description="Work permits issued to this person, newest first.")
    async def permits(self, info: Info) -> list[WorkPermit]:
        rows = await children(
            info,
            WorkPermitRow,
            WorkPermitRow.staff_id,
            parse_id(self.id, "Staff"),
            WorkPermitRow.valid_from.desc(),
        )
        return [WorkPermit.from_row(r) for r in rows]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Staff:
        """``staffMember(id)`` and ``_entities`` alike (``access.read_staff``)."""
        return cls.from_row(await access.read_staff(info, id))

    @classmethod
    def from_row(cls, row: StaffRow) -> Staff:
        return cls(
            id=_id(row.id),
            name=row.name,
            username=row.username,
            email=row.email,
            specialty=row.specialty,
            title=domain.Title(row.title),
            professional=row.professional,
            quality_manager=row.quality_manager,
            qualifications=list(row.qualifications or []),
            joined_on=row.joined_on,
            left_on=row.left_on,
            agency_id=row.agency_id,
        )


@strawberry.type(description="A work permit (工作证) issued by a managing department to a staff member.")
class WorkPermit:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    number: str = strawberry.field(description="Permit number.")
    valid_from: dt.date = strawberry.field(description="First valid day.")
    valid_to: dt.date = strawberry.field(description="Last valid day.")
    revoked_at: dt.datetime | None = strawberry.field(description="When it was revoked (UTC).")
    revoked_reason: str = strawberry.field(description="Why it was revoked.")
    staff_id: strawberry.Private[uuid.UUID]
    issued_by_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="State today (China time).")
    def state(self) -> PermitState:
        today = china_today()
        if self.revoked_at is not None:
            return PermitState.REVOKED
        if today < self.valid_from:
            return PermitState.NOT_YET_VALID
        return PermitState.EXPIRED if today > self.valid_to else PermitState.VALID

    @strawberry.field(description="The holder.")
    async def staff(self, info: Info) -> Staff:
        return Staff.from_row(await load_live(info, StaffRow, self.staff_id, "Staff"))

    @strawberry.field(description="The managing department that issued it.")
    async def issued_by(self, info: Info) -> Jurisdiction:
        return Jurisdiction.from_row(
            await load_live(info, JurisdictionRow, self.issued_by_id, "Jurisdiction")
        )

    @classmethod
    def from_row(cls, row: WorkPermitRow) -> WorkPermit:
        return cls(
            id=_id(row.id),
            number=row.number,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            revoked_at=row.revoked_at,
            revoked_reason=row.revoked_reason,
            staff_id=row.staff_id,
            issued_by_id=row.issued_by_id,
        )


@strawberry.type(description="The answer to: does this person hold a valid work permit on that day?")
class PermitCheck:
    staff_id: strawberry.ID = strawberry.field(description="The staff member asked about.")
    on: dt.date = strawberry.field(description="The day asked about.")
    valid: bool = strawberry.field(description="A valid permit covers that day.")
    permit: WorkPermit | None = strawberry.field(description="The permit that covers it.")


@strawberry.type(description="A service catalogue item of seed 004 Annexes B–D (服务清单).")
class ServiceCatalogueItem:
    code: str = strawberry.field(description="Stable code, e.g. B1-8 or C-4-2.")
    annex: str = strawberry.field(
        description="Annex B (enterprises), C (parks) or D (government departments)."
    )
    category: str = strawberry.field(description="Category or stage (Chinese).")
    name: str = strawberry.field(description="Item name (Chinese).")
    name_en: str = strawberry.field(description="Item name (English).")

    @classmethod
    def from_item(cls, item: CatalogueItem) -> ServiceCatalogueItem:
        return cls(
            code=item.code, annex=item.annex, category=item.category, name=item.name, name_en=item.name_en
        )


@strawberry.type(description="A document attached to a contract (metadata; the file lives in blob storage).")
class Attachment:
    name: str = strawberry.field(description="File name.")
    url: str = strawberry.field(description="Where to download it.")
    sha256: str = strawberry.field(description="SHA-256 of the content.")
    size: int = strawberry.field(description="Size in bytes.")


@strawberry.federation.type(
    keys=["id"], description="A service contract (委托合同) between a managing department and an agency."
)
class ServiceContract:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    title: str = strawberry.field(description="Contract title.")
    price: Decimal = strawberry.field(description="Contract price in CNY, exact to the fen.")
    starts_on: dt.date = strawberry.field(description="First day of the service term.")
    ends_on: dt.date = strawberry.field(description="Last day of the service term.")
    service_mode: ServiceMode = strawberry.field(description="On-site or remote.")
    contracted_tasks: int = strawberry.field(
        description="Number of contracted tasks (used by the appraisal)."
    )
    status: ContractStatus = strawberry.field(description="Lifecycle state.")
    signed_on: dt.date | None = strawberry.field(
        description="Signing day (starts the 10-working-day filing clock)."
    )
    closed_on: dt.date | None = strawberry.field(description="Day it ended or was terminated.")
    closed_reason: str = strawberry.field(description="Why it was terminated.")
    scope_enterprise_ids: list[strawberry.ID] = strawberry.field(
        description="Enterprises explicitly served (分片区 list)."
    )
    attachments: list[Attachment] = strawberry.field(description="Attached documents.")
    agency_id: strawberry.Private[uuid.UUID]
    jurisdiction_id: strawberry.Private[uuid.UUID]
    scope_jurisdiction_ids: strawberry.Private[list[str]]
    catalogue_codes: strawberry.Private[list[str]]

    @strawberry.field(description="The contracted agency.")
    async def agency(self, info: Info) -> Agency:
        return Agency.from_row(await load_live(info, AgencyRow, self.agency_id, "Agency"))

    @strawberry.field(description="The managing department that signed the contract.")
    async def jurisdiction(self, info: Info) -> Jurisdiction:
        return Jurisdiction.from_row(
            await load_live(info, JurisdictionRow, self.jurisdiction_id, "Jurisdiction")
        )

    @strawberry.field(description="Jurisdictions served as a whole.")
    async def scope_jurisdictions(self, info: Info) -> list[Jurisdiction]:
        ids = [uuid.UUID(x) for x in self.scope_jurisdiction_ids]
        async with context_of(info).runtime.sessions() as session:
            rows = (
                (await session.execute(sa.select(JurisdictionRow).where(JurisdictionRow.id.in_(ids))))
                .scalars()
                .all()
            )
        return [Jurisdiction.from_row(r) for r in sorted(rows, key=lambda r: r.code)]

    @strawberry.field(description="Service catalogue items contracted.")
    def catalogue_items(self) -> list[ServiceCatalogueItem]:
        catalogue = service_catalogue()
        return [ServiceCatalogueItem.from_item(catalogue[c]) for c in self.catalogue_codes if c in catalogue]

    @strawberry.field(
        description="The filing with the bureau (none before signing); not for procurement officers.",
        extensions=[roles("bureau_officer", "town_officer", "agency_admin", "agency_staff")],
    )
    async def filing(self, info: Info) -> Filing | None:
        async with context_of(info).runtime.sessions() as session:
            row = await session.scalar(
                sa.select(FilingRow).where(FilingRow.contract_id == parse_id(self.id, "ServiceContract"))
            )
            if row is None:
                return None
            calendar = await _calendar(info)
        return Filing.from_row(row, calendar.working_days_between(china_today(), row.due_on))

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> ServiceContract:
        """``serviceContract(id)`` and ``_entities`` alike (``access.read_contract``): no other way in."""
        return cls.from_row(await access.read_contract(info, id))

    @classmethod
    def from_row(cls, row: ServiceContractRow) -> ServiceContract:
        return cls(
            id=_id(row.id),
            title=row.title,
            price=row.price,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            service_mode=domain.ServiceMode(row.service_mode),
            contracted_tasks=row.contracted_tasks,
            status=domain.ContractStatus(row.status),
            signed_on=row.signed_on,
            closed_on=row.closed_on,
            closed_reason=row.closed_reason,
            scope_enterprise_ids=[strawberry.ID(x) for x in row.scope_enterprise_ids or []],
            attachments=[
                Attachment(name=a["name"], url=a["url"], sha256=a["sha256"], size=int(a["size"]))
                for a in row.attachments or []
            ],
            agency_id=row.agency_id,
            jurisdiction_id=row.jurisdiction_id,
            scope_jurisdiction_ids=list(row.scope_jurisdiction_ids or []),
            catalogue_codes=list(row.catalogue_codes or []),
        )


async def _calendar(info: Info):  # type: ignore[no-untyped-def]
    from services.registry.service import CALENDAR_CACHE

    return await CALENDAR_CACHE.get(context_of(info).runtime.sessions)


@strawberry.type(description="One step in a filing's history.")
class FilingAction:
    action: str = strawberry.field(description="FILED, RETURNED, REFILED or ACKNOWLEDGED.")
    at: dt.datetime = strawberry.field(description="When (UTC).")
    by: str = strawberry.field(description="Who (username).")
    reason: str = strawberry.field(description="Reason (for a return).")


@strawberry.type(
    description="The filing (报备) of a signed contract with the district bureau, due 10 working days after signing."
)
class Filing:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    status: FilingStatus = strawberry.field(
        description="Pending, filed, returned for correction, or acknowledged."
    )
    standing: FilingStanding = strawberry.field(
        description="On time, due soon, overdue, filed on time or filed late."
    )
    signed_on: dt.date = strawberry.field(description="Signing day (not counted).")
    due_on: dt.date = strawberry.field(description="The 10th Chinese working day after signing.")
    due_provisional: bool = strawberry.field(
        description="The due date lies in a year whose official holiday schedule is not confirmed yet; it may move."
    )
    working_days_left: int = strawberry.field(
        description="Working days left until the due date: 0 on the due day (and on non-working days right after it), negative for working days since it passed."
    )
    first_filed_on: dt.date | None = strawberry.field(description="Day of the first filing.")
    filed_late: bool | None = strawberry.field(description="The first filing came after the due date.")
    acknowledged_at: dt.datetime | None = strawberry.field(
        description="When the bureau acknowledged it (UTC)."
    )
    return_reason: str = strawberry.field(description="Why the bureau returned it, if it did.")
    contract_id: strawberry.Private[uuid.UUID]
    jurisdiction_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The contract filed.")
    async def contract(self, info: Info) -> ServiceContract:
        return ServiceContract.from_row(
            await load_live(info, ServiceContractRow, self.contract_id, "ServiceContract")
        )

    @strawberry.field(description="The filing jurisdiction.")
    async def jurisdiction(self, info: Info) -> Jurisdiction:
        return Jurisdiction.from_row(
            await load_live(info, JurisdictionRow, self.jurisdiction_id, "Jurisdiction")
        )

    @strawberry.field(description="History, oldest first.")
    async def history(self, info: Info) -> list[FilingAction]:
        filing_id = parse_id(self.id, "Filing")
        rows = await children(info, FilingActionRow, FilingActionRow.filing_id, filing_id, FilingActionRow.at)
        return [FilingAction(action=r.action, at=r.at, by=r.by, reason=r.reason) for r in rows]

    @classmethod
    def from_row(cls, row: FilingRow, working_days_left: int) -> Filing:
        return cls(
            id=_id(row.id),
            status=domain.FilingStatus(row.status),
            standing=domain.filing_standing(
                row.due_on,
                row.first_filed_on,
                china_today(),
                working_days_left,
                cancelled=row.status == domain.FilingStatus.CANCELLED.value,
            ),
            signed_on=row.signed_on,
            due_on=row.due_on,
            due_provisional=row.due_provisional,
            working_days_left=working_days_left,
            first_filed_on=row.first_filed_on,
            filed_late=row.filed_late,
            acknowledged_at=row.acknowledged_at,
            return_reason=row.return_reason,
            contract_id=row.contract_id,
            jurisdiction_id=row.jurisdiction_id,
        )


@strawberry.type(description="Counts of the filings matching the inbox filters, by standing.")
class FilingCounts:
    total: int = strawberry.field(description="All matching filings.")
    awaiting: int = strawberry.field(description="Not filed, more than 3 working days left.")
    due_soon: int = strawberry.field(description="Not filed, due within 3 working days.")
    overdue: int = strawberry.field(description="Not filed, due date passed.")
    filed_on_time: int = strawberry.field(description="First filed on or before the due date.")
    filed_late: int = strawberry.field(description="First filed after the due date.")


@strawberry.type(
    description="An entry of the working-day calendar: a weekday holiday or a weekend make-up workday (调休)."
)
class CalendarEntry:
    day: dt.date = strawberry.field(description="The day.")
    kind: str = strawberry.field(description="HOLIDAY or MAKEUP_WORKDAY.")
    name: str = strawberry.field(description="Name, e.g. 国庆节 National Day.")


@strawberry.type(description="One year of the working-day calendar.")
class CalendarYear:
    year: int = strawberry.field(description="The year.")
    confirmed: bool = strawberry.field(
        description="The official schedule is confirmed; deadlines in it are final."
    )
    entries: list[CalendarEntry] = strawberry.field(
        description="Holidays on weekdays and make-up workdays on weekends."
    )
    override_reason: str | None = strawberry.field(
        default=None,
        description="Why the bureau confirmed the year although it had no HOLIDAY entry (the override), if it did.",
    )


@strawberry.type(description="A deadline computed on the working-day calendar.")
class Deadline:
    due_on: dt.date = strawberry.field(description="The due day.")
    provisional: bool = strawberry.field(
        description="Counts days in a year whose schedule is not confirmed yet."
    )
