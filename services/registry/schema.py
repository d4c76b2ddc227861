"""Registry GraphQL schema: root queries and mutations (thin — roles and scope, then ``service``)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import sqlalchemy as sa
import strawberry
from strawberry.types import Info

from ecosteward.auth import Principal
from ecosteward.clock import china_today
from ecosteward.errors import BadUserInput, Forbidden
from ecosteward.graphql import Connection, SortDirection, connection, context_of, paginate, roles
from ecosteward.repository import contains, get_live, live, order_by, parse_id
from ecosteward.schema import build_schema
from ecosteward.workdays import parse_day_kind
from services.registry import access, domain, service
from services.registry.access import DIRECTORY_READERS, STAFF_EDITORS
from services.registry.models import (
    CALENDAR,
    AgencyRow,
    FilingRow,
    JurisdictionRow,
    ServiceContractRow,
    StaffRow,
    WorkPermitRow,
)
from services.registry.reference import service_catalogue
from services.registry.types import (
    Agency,
    AgencyStatus,
    CalendarEntry,
    CalendarYear,
    ContractStatus,
    CreditListing,
    Deadline,
    Filing,
    FilingCounts,
    FilingStanding,
    FilingStatus,
    Jurisdiction,
    JurisdictionKind,
    PermitCheck,
    ServiceCatalogueItem,
    ServiceContract,
    ServiceMode,
    Staff,
    StaffRecord,
    StaffRecordKind,
    Title,
    WorkPermit,
)


def _user(info: Info) -> Principal:
    return context_of(info).user


# ------------------------------------------------------------------------------------------ inputs


@strawberry.input(description="Filters for the jurisdictions directory.")
class JurisdictionFilter:
    kind: JurisdictionKind | None = strawberry.field(default=None, description="Only this kind.")
    search: str | None = strawberry.field(default=None, description="Substring of the name or code.")


@strawberry.enum(description="Sort keys for jurisdictions.")
class JurisdictionSortField(Enum):
    CODE = "CODE"
    NAME = "NAME"


@strawberry.input(description="A new managing unit.")
class CreateJurisdictionInput:
    code: str = strawberry.field(description="Administrative code, unique.")
    name: str = strawberry.field(description="Name.")
    name_en: str = strawberry.field(default="", description="English name.")
    kind: JurisdictionKind = strawberry.field(description="Kind of unit.")


@strawberry.input(description="Filters for agencies.")
class AgencyFilter:
    status: AgencyStatus | None = strawberry.field(default=None, description="Only this admission status.")
    rules_met: bool | None = strawberry.field(
        default=None,
        description="Only admitted agencies that do (true) or no longer do (false) meet the rules.",
    )
    search: str | None = strawberry.field(default=None, description="Substring of the name or credit code.")


@strawberry.enum(description="Sort keys for agencies.")
class AgencySortField(Enum):
    NAME = "NAME"
    STATUS_CHANGED_AT = "STATUS_CHANGED_AT"


@strawberry.input(description="An agency applying to the agency database (入库申请).")
class RegisterAgencyInput:
    name: str = strawberry.field(description="Registered name.")
    credit_code: str = strawberry.field(
        description="Unified social credit code, 18 characters with a valid check character."
    )
    admin_username: str = strawberry.field(
        description="Username for the agency's admin account (created on admission)."
    )
    admin_email: str = strawberry.field(description="E-mail of the admin account.")
    address: str = strawberry.field(default="", description="Address.")
    contact_name: str = strawberry.field(default="", description="Contact person.")
    contact_phone: str = strawberry.field(default="", description="Contact phone.")


@strawberry.input(description="Changes to an agency's contact details (unset fields stay).")
class UpdateAgencyInput:
    name: str | None = strawberry.field(default=None, description="Registered name.")
    address: str | None = strawberry.field(default=None, description="Address.")
    contact_name: str | None = strawberry.field(default=None, description="Contact person.")
    contact_phone: str | None = strawberry.field(default=None, description="Contact phone.")


@strawberry.input(description="A step in the admission workflow.")
class ChangeAgencyStatusInput:
    agency_id: strawberry.ID = strawberry.field(description="The agency.")
    status: AgencyStatus = strawberry.field(
        description="ADMITTED (checked against every admission rule), REFUSED, SUSPENDED, REMOVED (final) or APPLIED (a refused agency applies again)."
    )
    reason: str = strawberry.field(default="", description="Reason; required to refuse, suspend or remove.")


@strawberry.input(description="A staff member joining an agency.")
class AddStaffInput:
    agency_id: strawberry.ID = strawberry.field(description="The agency.")
    name: str = strawberry.field(description="Full name.")
    username: str = strawberry.field(
        description="Username of the staff account (created while the agency is admitted)."
    )
    email: str = strawberry.field(description="E-mail of the staff account.")
    title: Title = strawberry.field(description="Technical title.")
    professional: bool = strawberry.field(description="Does environmental consulting work (专业技术人员).")
    joined_on: dt.date = strawberry.field(description="Joined the agency.")
    specialty: str = strawberry.field(default="", description="Specialty.")
    quality_manager: bool = strawberry.field(
        default=False, description="Name this person the quality manager (replaces any other)."
    )
    qualifications: list[str] = strawberry.field(
        default_factory=list, description="Qualifications and certificates."
    )


@strawberry.input(description="Changes to a staff file (unset fields stay).")
class UpdateStaffInput:
    name: str | None = strawberry.field(default=None, description="Full name.")
    specialty: str | None = strawberry.field(default=None, description="Specialty.")
    title: Title | None = strawberry.field(default=None, description="Technical title.")
    professional: bool | None = strawberry.field(
        default=None, description="Does environmental consulting work."
    )
    quality_manager: bool | None = strawberry.field(
        default=None, description="Quality manager (true replaces any other)."
    )
    qualifications: list[str] | None = strawberry.field(
        default=None, description="Qualifications (replaces the list)."
    )


@strawberry.input(description="A continuing-education or evaluation record.")
class StaffRecordInput:
    staff_id: strawberry.ID = strawberry.field(description="The staff member.")
    kind: StaffRecordKind = strawberry.field(description="Education or evaluation.")
    on: dt.date = strawberry.field(description="Date.")
    topic: str = strawberry.field(description="Course or evaluation topic.")
    hours: Decimal | None = strawberry.field(default=None, description="Hours (education).")
    rating: str | None = strawberry.field(default=None, description="Result (evaluation).")
    note: str = strawberry.field(default="", description="Notes.")


@strawberry.input(description="Filters for staff.")
class StaffFilter:
    agency_id: strawberry.ID | None = strawberry.field(default=None, description="Only this agency.")
    active: bool | None = strawberry.field(
        default=None, description="Only current (true) or former (false) staff."
    )
    title: Title | None = strawberry.field(default=None, description="Only this title.")
    search: str | None = strawberry.field(default=None, description="Substring of the name or username.")


@strawberry.input(description="A work permit to issue.")
class IssuePermitInput:
    staff_id: strawberry.ID = strawberry.field(description="The holder.")
    agency_id: strawberry.ID = strawberry.field(
        description="The holder's agency (must match the staff file)."
    )
    valid_from: dt.date = strawberry.field(description="First valid day.")
    valid_to: dt.date = strawberry.field(description="Last valid day.")
    issued_by_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Issuing department; a town issues as itself, the bureau as the district by default.",
    )


@strawberry.input(description="Filters for work permits.")
class PermitFilter:
    agency_id: strawberry.ID | None = strawberry.field(default=None, description="Only this agency's staff.")
    staff_id: strawberry.ID | None = strawberry.field(default=None, description="Only this person.")
    valid_on: dt.date | None = strawberry.field(default=None, description="Only permits valid on this day.")


@strawberry.input(description="An attachment's metadata.")
class AttachmentInput:
    name: str = strawberry.field(description="File name.")
    url: str = strawberry.field(description="Download link.")
    sha256: str = strawberry.field(description="SHA-256 of the content (64 hex digits).")
    size: int = strawberry.field(description="Size in bytes.")


@strawberry.input(description="A new contract, in draft.")
class CreateContractInput:
    title: str = strawberry.field(description="Contract title.")
    agency_id: strawberry.ID = strawberry.field(description="The agency (must be admitted).")
    jurisdiction_id: strawberry.ID = strawberry.field(
        description="The managing department (a town only for itself)."
    )
    price: Decimal = strawberry.field(description="Price in CNY, positive, at most 2 decimals.")
    starts_on: dt.date = strawberry.field(description="First day of the term.")
    ends_on: dt.date = strawberry.field(description="Last day of the term.")
    service_mode: ServiceMode = strawberry.field(description="On-site or remote.")
    contracted_tasks: int = strawberry.field(description="Number of contracted tasks.")
    scope_jurisdiction_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Jurisdictions served as a whole."
    )
    scope_enterprise_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Enterprises explicitly served."
    )
    catalogue_codes: list[str] = strawberry.field(
        default_factory=list, description="Service catalogue item codes (see serviceCatalogue)."
    )
    attachments: list[AttachmentInput] = strawberry.field(
        default_factory=list, description="Attached documents."
    )


@strawberry.input(description="Filters for contracts.")
class ContractFilter:
    status: ContractStatus | None = strawberry.field(default=None, description="Only this state.")
    jurisdiction_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this managing department."
    )
    agency_id: strawberry.ID | None = strawberry.field(default=None, description="Only this agency.")
    search: str | None = strawberry.field(default=None, description="Substring of the title.")


@strawberry.enum(description="Sort keys for contracts.")
class ContractSortField(Enum):
    STARTS_ON = "STARTS_ON"
    SIGNED_ON = "SIGNED_ON"
    PRICE = "PRICE"


@strawberry.input(description="Filters for the bureau's filings inbox.")
class FilingFilter:
    status: FilingStatus | None = strawberry.field(default=None, description="Only this filing state.")
    standing: FilingStanding | None = strawberry.field(
        default=None, description="Only this standing against the due date."
    )
    jurisdiction_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this jurisdiction."
    )
    due_within_working_days: int | None = strawberry.field(
        default=None, description="Only unfiled filings due within N working days from today."
    )
    overdue: bool | None = strawberry.field(
        default=None, description="Only unfiled filings past their due date."
    )
    filed_late: bool | None = strawberry.field(
        default=None, description="Only filings first filed after (true) or by (false) the due date."
    )
    provisional: bool | None = strawberry.field(
        default=None, description="Only filings whose due date is (not) provisional."
    )


@strawberry.enum(description="Sort keys for filings.")
class FilingSortField(Enum):
    DUE_ON = "DUE_ON"
    SIGNED_ON = "SIGNED_ON"


# ------------------------------------------------------------------------------------------ helpers


async def _filing_statement(info: Info, filter: FilingFilter | None) -> sa.Select[Any]:
    user = _user(info)
    stmt = access.contract_scope(live(FilingRow), user, FilingRow)
    if filter is None:
        return stmt
    today = china_today()
    unfiled = service.awaiting_filing()
    if filter.status is not None:
        stmt = stmt.where(FilingRow.status == filter.status.value)
    if filter.jurisdiction_id is not None:
        stmt = stmt.where(FilingRow.jurisdiction_id == parse_id(filter.jurisdiction_id, "Jurisdiction"))
    if filter.provisional is not None:
        stmt = stmt.where(FilingRow.due_provisional.is_(filter.provisional))
    if filter.filed_late is not None:
        stmt = stmt.where(FilingRow.filed_late.is_(filter.filed_late))
    if filter.overdue is not None:
        late = unfiled & (FilingRow.due_on < today)
        stmt = stmt.where(late if filter.overdue else ~late)
    if filter.due_within_working_days is not None:
        if not 0 <= filter.due_within_working_days <= domain.MAX_WORKING_DAYS:
            raise BadUserInput(
                f"dueWithinWorkingDays must be between 0 and {domain.MAX_WORKING_DAYS} (天数超出范围).",
                field="dueWithinWorkingDays",
            )
        calendar = await service.CALENDAR_CACHE.get(context_of(info).runtime.sessions)
        limit = calendar.add_working_days(today, filter.due_within_working_days).due_on
        stmt = stmt.where(unfiled, FilingRow.due_on >= today, FilingRow.due_on <= limit)
    if filter.standing is not None:
        stmt = stmt.where(await _standing_clause(info, filter.standing, today))
    return stmt


async def _standing_clause(info: Info, standing: Any, today: dt.date) -> Any:
    unfiled = service.awaiting_filing()
    calendar = await service.CALENDAR_CACHE.get(context_of(info).runtime.sessions)
    soon = calendar.add_working_days(today, domain.DUE_SOON_WORKING_DAYS).due_on
    clauses = {
        domain.FilingStanding.OVERDUE: unfiled & (FilingRow.due_on < today),
        domain.FilingStanding.DUE_SOON: unfiled & (FilingRow.due_on >= today) & (FilingRow.due_on <= soon),
        domain.FilingStanding.AWAITING: unfiled & (FilingRow.due_on > soon),
        domain.FilingStanding.FILED_ON_TIME: FilingRow.filed_late.is_(False),
        domain.FilingStanding.FILED_LATE: FilingRow.filed_late.is_(True),
        domain.FilingStanding.CANCELLED: FilingRow.first_filed_on.is_(None)
        & (FilingRow.status == domain.FilingStatus.CANCELLED.value),
    }
    return clauses[domain.FilingStanding(standing.value)]


async def _filings_page(info: Info, rows: list[FilingRow]) -> list[Filing]:
    calendar = await service.CALENDAR_CACHE.get(context_of(info).runtime.sessions)
    today = china_today()
    return [Filing.from_row(r, calendar.working_days_between(today, r.due_on)) for r in rows]


async def _check_username(username: str, role: str, agency_id: uuid.UUID) -> None:
    from ecosteward.accounts import AccountSpec
    from services.registry.accounts import check_username

    try:
        spec = AccountSpec(
            username=username.strip().lower(), role=role, attributes={"agency_id": str(agency_id)}
        )
    except ValueError:
        return  # the use case reports a malformed username with the other input problems
    await check_username(spec)


def _issuer_for(user: Principal, requested: strawberry.ID | None) -> uuid.UUID | None:
    if user.has_role("bureau_officer"):
        return parse_id(requested, "Jurisdiction") if requested is not None else None
    if requested is not None and parse_id(requested, "Jurisdiction") != user.jurisdiction_id:
        raise Forbidden("A town issues permits in its own name only (仅限本辖区).")
    return user.jurisdiction_id


# ------------------------------------------------------------------------------------------ root


@strawberry.type(description="Registry queries.")
class Query:
    @strawberry.field(description="One managing unit by id.")
    async def jurisdiction(self, info: Info, id: strawberry.ID) -> Jurisdiction:
        return await Jurisdiction.resolve_reference(info, id)

    @strawberry.field(
        description="The jurisdictions directory (district, towns, streets, parks); readable by every signed-in user."
    )
    async def jurisdictions(
        self,
        info: Info,
        filter: JurisdictionFilter | None = None,
        sort: JurisdictionSortField = JurisdictionSortField.CODE,
        direction: SortDirection = SortDirection.ASC,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Jurisdiction]:
        stmt = live(JurisdictionRow)
        if filter is not None:
            if filter.kind is not None:
                stmt = stmt.where(JurisdictionRow.kind == filter.kind.value)
            if filter.search:
                stmt = stmt.where(
                    sa.or_(
                        contains(JurisdictionRow.name, filter.search),
                        contains(JurisdictionRow.code, filter.search),
                    )
                )
        stmt = order_by(
            stmt,
            {"CODE": JurisdictionRow.code, "NAME": JurisdictionRow.name},
            sort.value,
            direction,
            JurisdictionRow.id,
        )
        async with context_of(info).runtime.sessions() as session:
            rows, page, total = await paginate(session, stmt, first, after)
        return connection([Jurisdiction.from_row(r) for r in rows], page, total)

    @strawberry.field(
        description="One agency by id. An enterprise user reads the directory fields of the agencies whose signed contracts cover it.",
        extensions=[roles(*access.AGENCY_READERS)],
    )
    async def agency(self, info: Info, id: strawberry.ID) -> Agency:
        return await Agency.resolve_reference(info, id)

    @strawberry.field(
        description="The agency database; agency users see only their own agency.",
        extensions=[roles(*DIRECTORY_READERS)],
    )
    async def agencies(
        self,
        info: Info,
        filter: AgencyFilter | None = None,
        sort: AgencySortField = AgencySortField.NAME,
        direction: SortDirection = SortDirection.ASC,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Agency]:
        user = _user(info)
        stmt = live(AgencyRow)
        if not user.has_role(*access.AGENCY_DIRECTORY):
            stmt = stmt.where(AgencyRow.id == user.agency_id)
        if filter is not None:
            if filter.status is not None:
                stmt = stmt.where(AgencyRow.status == filter.status.value)
            if filter.rules_met is not None:
                stmt = stmt.where(AgencyRow.status == "ADMITTED", AgencyRow.rules_met.is_(filter.rules_met))
            if filter.search:
                stmt = stmt.where(
                    sa.or_(
                        contains(AgencyRow.name, filter.search),
                        contains(AgencyRow.credit_code, filter.search),
                    )
                )
        columns = {"NAME": AgencyRow.name, "STATUS_CHANGED_AT": AgencyRow.status_changed_at}
        stmt = order_by(stmt, columns, sort.value, direction, AgencyRow.id)
        async with context_of(info).runtime.sessions() as session:
            rows, page, total = await paginate(session, stmt, first, after)
        return connection([Agency.from_row(r) for r in rows], page, total)

    @strawberry.field(description="One staff file by id.", extensions=[roles(*DIRECTORY_READERS)])
    async def staff_member(self, info: Info, id: strawberry.ID) -> Staff:
        return await Staff.resolve_reference(info, id)

    @strawberry.field(
        description="Staff files; agency users see only their own agency's.",
        extensions=[roles(*DIRECTORY_READERS)],
    )
    async def staff(
        self,
        info: Info,
        filter: StaffFilter | None = None,
        direction: SortDirection = SortDirection.ASC,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Staff]:
        user = _user(info)
        stmt = live(StaffRow)
        if not user.has_role(*access.AGENCY_DIRECTORY):
            stmt = stmt.where(StaffRow.agency_id == user.agency_id)
        if filter is not None:
            if filter.agency_id is not None:
                stmt = stmt.where(StaffRow.agency_id == parse_id(filter.agency_id, "Agency"))
            if filter.active is not None:
                stmt = stmt.where(
                    StaffRow.left_on.is_(None) if filter.active else StaffRow.left_on.is_not(None)
                )
            if filter.title is not None:
                stmt = stmt.where(StaffRow.title == filter.title.value)
            if filter.search:
                stmt = stmt.where(
                    sa.or_(contains(StaffRow.name, filter.search), contains(StaffRow.username, filter.search))
                )
        stmt = order_by(stmt, {"NAME": StaffRow.name}, "NAME", direction, StaffRow.id)
        async with context_of(info).runtime.sessions() as session:
            rows, page, total = await paginate(session, stmt, first, after)
        return connection([Staff.from_row(r) for r in rows], page, total)

    @strawberry.field(
        description="Work permits; agency users see their own staff's.",
        extensions=[roles("bureau_officer", "town_officer", "agency_admin", "agency_staff")],
    )
    async def work_permits(
        self,
        info: Info,
        filter: PermitFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[WorkPermit]:
        user = _user(info)
        stmt = live(WorkPermitRow)
        if not user.has_role("bureau_officer", "town_officer"):
            stmt = stmt.where(WorkPermitRow.agency_id == user.agency_id)
        if filter is not None:
            if filter.agency_id is not None:
                stmt = stmt.where(WorkPermitRow.agency_id == parse_id(filter.agency_id, "Agency"))
            if filter.staff_id is not None:
                stmt = stmt.where(WorkPermitRow.staff_id == parse_id(filter.staff_id, "Staff"))
            if filter.valid_on is not None:
                day = filter.valid_on
                stmt = stmt.where(
                    WorkPermitRow.valid_from <= day,
                    WorkPermitRow.valid_to >= day,
                    WorkPermitRow.revoked_at.is_(None),
                )
        stmt = stmt.order_by(WorkPermitRow.valid_from.desc(), WorkPermitRow.id)
        async with context_of(info).runtime.sessions() as session:
            rows, page, total = await paginate(session, stmt, first, after)
        return connection([WorkPermit.from_row(r) for r in rows], page, total)

    @strawberry.field(
        description="Does this staff member hold a valid work permit on that day (default: today)?",
        extensions=[roles("bureau_officer", "town_officer", "agency_admin", "agency_staff")],
    )
    async def has_valid_work_permit(
        self, info: Info, staff_id: strawberry.ID, on: dt.date | None = None
    ) -> PermitCheck:
        day = on or china_today()
        staff = await access.read_staff(info, staff_id)
        async with context_of(info).runtime.sessions() as session:
            permit = await service.valid_permit(session, staff.id, day)
        return PermitCheck(
            staff_id=staff_id,
            on=day,
            valid=permit is not None,
            permit=WorkPermit.from_row(permit) if permit else None,
        )

    @strawberry.field(
        description="One contract by id (within your scope).",
        extensions=[roles("bureau_officer", "town_officer", "agency_admin", "agency_staff")],
    )
    async def service_contract(self, info: Info, id: strawberry.ID) -> ServiceContract:
        return await ServiceContract.resolve_reference(info, id)

    @strawberry.field(
        description="Contracts in your scope: all for the bureau, your jurisdiction's for a town, your agency's for an agency.",
        extensions=[roles("bureau_officer", "town_officer", "agency_admin", "agency_staff")],
    )
    async def service_contracts(
        self,
        info: Info,
        filter: ContractFilter | None = None,
        sort: ContractSortField = ContractSortField.STARTS_ON,
        direction: SortDirection = SortDirection.DESC,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ServiceContract]:
        stmt = access.contract_scope(live(ServiceContractRow), _user(info), ServiceContractRow)
        if filter is not None:
            if filter.status is not None:
                stmt = stmt.where(ServiceContractRow.status == filter.status.value)
            if filter.jurisdiction_id is not None:
                stmt = stmt.where(
                    ServiceContractRow.jurisdiction_id == parse_id(filter.jurisdiction_id, "Jurisdiction")
                )
            if filter.agency_id is not None:
                stmt = stmt.where(ServiceContractRow.agency_id == parse_id(filter.agency_id, "Agency"))
            if filter.search:
                stmt = stmt.where(contains(ServiceContractRow.title, filter.search))
        columns = {
            "STARTS_ON": ServiceContractRow.starts_on,
            "SIGNED_ON": ServiceContractRow.signed_on,
            "PRICE": ServiceContractRow.price,
        }
        stmt = order_by(stmt, columns, sort.value, direction, ServiceContractRow.id)
        async with context_of(info).runtime.sessions() as session:
            rows, page, total = await paginate(session, stmt, first, after)
        return connection([ServiceContract.from_row(r) for r in rows], page, total)

    @strawberry.field(
        description="The filings inbox: the bureau sees all, a town its own, an agency its contracts'.",
        extensions=[roles("bureau_officer", "town_officer", "agency_admin")],
    )
    async def filings(
        self,
        info: Info,
        filter: FilingFilter | None = None,
        sort: FilingSortField = FilingSortField.DUE_ON,
        direction: SortDirection = SortDirection.ASC,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Filing]:
        stmt = await _filing_statement(info, filter)
        stmt = order_by(
            stmt,
            {"DUE_ON": FilingRow.due_on, "SIGNED_ON": FilingRow.signed_on},
            sort.value,
            direction,
            FilingRow.id,
        )
        async with context_of(info).runtime.sessions() as session:
            rows, page, total = await paginate(session, stmt, first, after)
        return connection(await _filings_page(info, rows), page, total)

    @strawberry.field(
        description="Counts of the filings matching the filters, by standing.",
        extensions=[roles("bureau_officer", "town_officer", "agency_admin")],
    )
    async def filing_counts(self, info: Info, filter: FilingFilter | None = None) -> FilingCounts:
        base = (await _filing_statement(info, filter)).subquery()
        today = china_today()
        calendar = await service.CALENDAR_CACHE.get(context_of(info).runtime.sessions)
        soon = calendar.add_working_days(today, domain.DUE_SOON_WORKING_DAYS).due_on
        unfiled = base.c.first_filed_on.is_(None) & (base.c.status != domain.FilingStatus.CANCELLED.value)
        count = sa.func.count
        stmt = sa.select(
            count(),
            count().filter(unfiled & (base.c.due_on > soon)),
            count().filter(unfiled & (base.c.due_on >= today) & (base.c.due_on <= soon)),
            count().filter(unfiled & (base.c.due_on < today)),
            count().filter(base.c.filed_late.is_(False)),
            count().filter(base.c.filed_late.is_(True)),
        ).select_from(base)
        async with context_of(info).runtime.sessions() as session:
            row = (await session.execute(stmt)).one()
        return FilingCounts(
            total=row[0],
            awaiting=row[1],
            due_soon=row[2],
            overdue=row[3],
            filed_on_time=row[4],
            filed_late=row[5],
        )

    @strawberry.field(description="The service catalogue of seed 004 Annexes B–D.")
    def service_catalogue(self, annex: str | None = None) -> list[ServiceCatalogueItem]:
        items = service_catalogue().values()
        return [ServiceCatalogueItem.from_item(i) for i in items if annex is None or i.annex == annex.upper()]

    @strawberry.field(description="One year of the working-day calendar (法定节假日 and 调休), 2000–2100.")
    async def calendar_year(self, info: Info, year: int) -> CalendarYear:
        service.check_calendar_year(year)
        calendar = await service.CALENDAR_CACHE.get(context_of(info).runtime.sessions)
        days = CALENDAR.days
        async with context_of(info).runtime.sessions() as session:
            confirmation = await service.latest_confirmation(session, year)
            rows = (
                await session.execute(
                    sa.select(days)
                    .where(
                        days.c.day >= dt.date(year, 1, 1),
                        days.c.day <= dt.date(year, 12, 31),
                        days.c.deleted_at.is_(None),
                    )
                    .order_by(days.c.day)
                )
            ).all()
        return CalendarYear(
            year=year,
            confirmed=calendar.is_confirmed(year),
            entries=[CalendarEntry(day=r.day, kind=r.kind, name=r.name) for r in rows],
            override_reason=(confirmation.override_reason or None) if confirmation else None,
        )

    @strawberry.field(description="The n-th Chinese working day after a day (the day itself is not counted).")
    async def add_working_days(self, info: Info, start: dt.date, days: int) -> Deadline:
        if not 0 <= days <= domain.MAX_WORKING_DAYS:
            raise BadUserInput(
                f"days must be between 0 and {domain.MAX_WORKING_DAYS} (天数超出范围).", field="days"
            )
        calendar = await service.CALENDAR_CACHE.get(context_of(info).runtime.sessions)
        try:
            deadline = calendar.add_working_days(start, days)
        except (OverflowError, ValueError) as exc:
            raise BadUserInput(
                "The answer would lie past the last representable day (日期超出范围).", field="start"
            ) from exc
        return Deadline(due_on=deadline.due_on, provisional=deadline.provisional)


@strawberry.type(description="Registry mutations.")
class Mutation:
    @strawberry.mutation(
        description="Add a managing unit to the directory (bureau only).",
        extensions=[roles("bureau_officer")],
    )
    async def create_jurisdiction(self, info: Info, input: CreateJurisdictionInput) -> Jurisdiction:
        from ecosteward.errors import Conflict, ValidationFailed

        code, name = input.code.strip(), input.name.strip()
        problems = []
        if not domain.JURISDICTION_CODE.match(code):
            problems.append(
                {"field": "code", "message": "Use 2–32 letters, digits or dashes (编码格式有误)."}
            )
        if not name:
            problems.append({"field": "name", "message": "A name is required (须填写名称)."})
        if problems:
            raise ValidationFailed("The jurisdiction is not valid (行政区划信息有误).", problems)
        async with context_of(info).runtime.unit_of_work() as uow:
            if (
                await uow.session.scalar(sa.select(JurisdictionRow.id).where(JurisdictionRow.code == code))
                is not None
            ):
                raise Conflict(f"A jurisdiction with code {code} already exists (编码已存在).", field="code")
            row = JurisdictionRow(code=code, name=name, name_en=input.name_en.strip(), kind=input.kind.value)
            uow.session.add(row)
            await uow.session.flush()
            uow.emit(
                "jurisdiction",
                "created",
                row.id,
                {"id": row.id, "code": code, "name": name, "kind": row.kind},
            )
        return Jurisdiction.from_row(row)

    @strawberry.mutation(
        description="Register an agency's application to the agency database (bureau).",
        extensions=[roles("bureau_officer")],
    )
    async def register_agency(self, info: Info, input: RegisterAgencyInput) -> Agency:
        data = service.AgencyInput(
            name=input.name,
            credit_code=input.credit_code,
            admin_username=input.admin_username,
            admin_email=input.admin_email,
            address=input.address,
            contact_name=input.contact_name,
            contact_phone=input.contact_phone,
        )
        agency_id = uuid.uuid4()
        await _check_username(input.admin_username, "agency_admin", agency_id)
        async with context_of(info).runtime.unit_of_work() as uow:
            row = await service.register_agency(uow, _user(info), data, agency_id=agency_id)
        return Agency.from_row(row)

    @strawberry.mutation(
        description="Change an agency's contact details (bureau, or the agency's admin).",
        extensions=[roles(*STAFF_EDITORS)],
    )
    async def update_agency(self, info: Info, id: strawberry.ID, input: UpdateAgencyInput) -> Agency:
        agency_id = parse_id(id, "Agency")
        access.check_agency_editable(_user(info), agency_id)
        changes = {
            "name": input.name,
            "address": input.address,
            "contact_name": input.contact_name,
            "contact_phone": input.contact_phone,
        }
        async with context_of(info).runtime.unit_of_work() as uow:
            row = await service.update_agency(uow, agency_id, changes)
        return Agency.from_row(row)

    @strawberry.mutation(
        description="Admit, refuse, suspend, remove or re-open an agency (bureau). Admission lists every unmet rule when refused.",
        extensions=[roles("bureau_officer")],
    )
    async def change_agency_status(self, info: Info, input: ChangeAgencyStatusInput) -> Agency:
        async with context_of(info).runtime.unit_of_work() as uow:
            row = await service.change_agency_status(
                uow,
                _user(info),
                parse_id(input.agency_id, "Agency"),
                domain.AgencyStatus(input.status.value),
                input.reason,
            )
        return Agency.from_row(row)

    @strawberry.mutation(
        description="Record a credit blacklist listing of an agency, with its source (bureau).",
        extensions=[roles("bureau_officer")],
    )
    async def record_credit_listing(
        self,
        info: Info,
        agency_id: strawberry.ID,
        # Not named `source` in Python: the permission extension takes that name for the parent value.
        listing_source: Annotated[
            str, strawberry.argument(name="source", description="Where the listing was published.")
        ],
        listed_on: dt.date,
        note: str = "",
    ) -> CreditListing:
        async with context_of(info).runtime.unit_of_work() as uow:
            row = await service.record_credit_listing(
                uow, parse_id(agency_id, "Agency"), listing_source, listed_on, note
            )
        return CreditListing.from_row(row)

    @strawberry.mutation(
        description="Record that a listing was lifted (bureau).", extensions=[roles("bureau_officer")]
    )
    async def end_credit_listing(
        self, info: Info, listing_id: strawberry.ID, delisted_on: dt.date
    ) -> CreditListing:
        async with context_of(info).runtime.unit_of_work() as uow:
            row = await service.end_credit_listing(uow, parse_id(listing_id, "Credit listing"), delisted_on)
        return CreditListing.from_row(row)

    @strawberry.mutation(
        description="Add a staff member to an agency (bureau, or the agency's admin).",
        extensions=[roles(*STAFF_EDITORS)],
    )
    async def add_staff(self, info: Info, input: AddStaffInput) -> Staff:
        agency_id = parse_id(input.agency_id, "Agency")
        access.check_agency_editable(_user(info), agency_id)
        data = service.StaffInput(
            name=input.name,
            username=input.username,
            email=input.email,
            title=domain.Title(input.title.value),
            professional=input.professional,
            joined_on=input.joined_on,
            specialty=input.specialty,
            quality_manager=input.quality_manager,
            qualifications=list(input.qualifications),
        )
        await _check_username(input.username, "agency_staff", agency_id)
        async with context_of(info).runtime.unit_of_work() as uow:
            row = await service.add_staff(uow, agency_id, data)
        return Staff.from_row(row)

    @strawberry.mutation(
        description="Change a staff file (bureau, or the agency's admin).", extensions=[roles(*STAFF_EDITORS)]
    )
    async def update_staff(self, info: Info, id: strawberry.ID, input: UpdateStaffInput) -> Staff:
        staff_id = parse_id(id, "Staff")
        async with context_of(info).runtime.unit_of_work() as uow:
            await access.staff_for_change(uow.session, _user(info), staff_id)
            changes = {
                "name": input.name,
                "specialty": input.specialty,
                "title": domain.Title(input.title.value) if input.title is not None else None,
                "professional": input.professional,
                "quality_manager": input.quality_manager,
                "qualifications": input.qualifications,
            }
            row = await service.update_staff(uow, staff_id, changes)
        return Staff.from_row(row)

    @strawberry.mutation(
        description="Record that a staff member left; the agency is flagged if it no longer meets the rules (bureau, or the agency's admin).",
        extensions=[roles(*STAFF_EDITORS)],
    )
    async def record_staff_departure(self, info: Info, id: strawberry.ID, left_on: dt.date) -> Staff:
        staff_id = parse_id(id, "Staff")
        async with context_of(info).runtime.unit_of_work() as uow:
            await access.staff_for_change(uow.session, _user(info), staff_id)
            row = await service.staff_left(uow, staff_id, left_on)
        return Staff.from_row(row)

    @strawberry.mutation(
        description="Add continuing education or an evaluation to a staff file.",
        extensions=[roles(*STAFF_EDITORS)],
    )
    async def add_staff_record(self, info: Info, input: StaffRecordInput) -> StaffRecord:
        staff_id = parse_id(input.staff_id, "Staff")
        async with context_of(info).runtime.unit_of_work() as uow:
            await access.staff_for_change(uow.session, _user(info), staff_id)
            row = await service.add_staff_record(
                uow, staff_id, input.kind.value, input.on, input.topic, input.hours, input.rating, input.note
            )
        return StaffRecord.from_row(row)

    @strawberry.mutation(
        description="Issue a work permit (bureau, or a town in its own name).",
        extensions=[roles("bureau_officer", "town_officer")],
    )
    async def issue_work_permit(self, info: Info, input: IssuePermitInput) -> WorkPermit:
        user = _user(info)
        issuer = _issuer_for(user, input.issued_by_id)
        async with context_of(info).runtime.unit_of_work() as uow:
            if issuer is None:
                issuer = await uow.session.scalar(
                    sa.select(JurisdictionRow.id).where(JurisdictionRow.kind == "DISTRICT").limit(1)
                )
                if issuer is None:
                    raise BadUserInput(
                        "Name the issuing department, `issuedById` (请指定签发部门).", field="issuedById"
                    )
            row = await service.issue_permit(
                uow,
                user,
                parse_id(input.staff_id, "Staff"),
                parse_id(input.agency_id, "Agency"),
                issuer,
                input.valid_from,
                input.valid_to,
            )
        return WorkPermit.from_row(row)

    @strawberry.mutation(
        description="Revoke a work permit (bureau, or the town that issued it).",
        extensions=[roles("bureau_officer", "town_officer")],
    )
    async def revoke_work_permit(self, info: Info, id: strawberry.ID, reason: str) -> WorkPermit:
        user = _user(info)
        async with context_of(info).runtime.unit_of_work() as uow:
            permit = await get_live(uow.session, WorkPermitRow, parse_id(id, "Work permit"), "Work permit")
            if not user.has_role("bureau_officer") and permit.issued_by_id != user.jurisdiction_id:
                raise Forbidden("Only the issuing department may revoke this permit (仅签发部门可吊销).")
            row = await service.revoke_permit(uow, permit.id, reason)
        return WorkPermit.from_row(row)

    @strawberry.mutation(
        description="Draft a service contract; a town only for its own jurisdiction.",
        extensions=[roles("bureau_officer", "town_officer")],
    )
    async def create_service_contract(self, info: Info, input: CreateContractInput) -> ServiceContract:
        user = _user(info)
        jurisdiction_id = parse_id(input.jurisdiction_id, "Jurisdiction")
        if not user.has_role("bureau_officer") and user.jurisdiction_id != jurisdiction_id:
            raise Forbidden("A town may only sign its own jurisdiction's contracts (仅限本辖区).")
        data = service.ContractInput(
            title=input.title,
            agency_id=parse_id(input.agency_id, "Agency"),
            jurisdiction_id=jurisdiction_id,
            price=input.price,
            starts_on=input.starts_on,
            ends_on=input.ends_on,
            service_mode=domain.ServiceMode(input.service_mode.value),
            contracted_tasks=input.contracted_tasks,
            scope_jurisdiction_ids=service.parse_ids(input.scope_jurisdiction_ids, "Jurisdiction"),
            scope_enterprise_ids=service.parse_ids(input.scope_enterprise_ids, "Enterprise"),
            catalogue_codes=[c.strip().upper() for c in input.catalogue_codes],
            attachments=[_attachment(a) for a in input.attachments],
        )
        runtime = context_of(info).runtime
        await service.await_enterprise_copies(runtime.sessions, jurisdiction_id, data.scope_enterprise_ids)
        async with runtime.unit_of_work() as uow:
            row = await service.create_contract(uow, data)
        return ServiceContract.from_row(row)

    @strawberry.mutation(
        description="Record the signing; the filing is then due on the 10th working day after it.",
        extensions=[roles("bureau_officer", "town_officer")],
    )
    async def sign_service_contract(
        self, info: Info, id: strawberry.ID, signed_on: dt.date
    ) -> ServiceContract:
        runtime = context_of(info).runtime
        calendar = await service.CALENDAR_CACHE.get(runtime.sessions)
        async with runtime.unit_of_work() as uow:
            current = await access.contract_for_change(
                uow.session, _user(info), parse_id(id, "ServiceContract")
            )
            row, _ = await service.sign_contract(uow, current.id, signed_on, calendar)
        return ServiceContract.from_row(row)

    @strawberry.mutation(
        description="File (or re-file) a signed contract with the bureau (the managing town).",
        extensions=[roles("bureau_officer", "town_officer")],
    )
    async def file_service_contract(self, info: Info, id: strawberry.ID) -> Filing:
        runtime = context_of(info).runtime
        async with runtime.unit_of_work() as uow:
            current = await access.contract_for_change(
                uow.session, _user(info), parse_id(id, "ServiceContract")
            )
            row = await service.file_contract(uow, _user(info), current.id)
        return (await _filings_page(info, [row]))[0]

    @strawberry.mutation(
        description="Return a filing for correction, with a reason (bureau).",
        extensions=[roles("bureau_officer")],
    )
    async def return_filing(self, info: Info, contract_id: strawberry.ID, reason: str) -> Filing:
        async with context_of(info).runtime.unit_of_work() as uow:
            row = await service.return_filing(
                uow, _user(info), parse_id(contract_id, "ServiceContract"), reason
            )
        return (await _filings_page(info, [row]))[0]

    @strawberry.mutation(
        description="Acknowledge a filing; the contract becomes active (bureau).",
        extensions=[roles("bureau_officer")],
    )
    async def acknowledge_filing(self, info: Info, contract_id: strawberry.ID) -> Filing:
        async with context_of(info).runtime.unit_of_work() as uow:
            row = await service.acknowledge_filing(uow, _user(info), parse_id(contract_id, "ServiceContract"))
        return (await _filings_page(info, [row]))[0]

    @strawberry.mutation(
        description="End an active contract at the end of its term.",
        extensions=[roles("bureau_officer", "town_officer")],
    )
    async def end_service_contract(self, info: Info, id: strawberry.ID, ended_on: dt.date) -> ServiceContract:
        async with context_of(info).runtime.unit_of_work() as uow:
            current = await access.contract_for_change(
                uow.session, _user(info), parse_id(id, "ServiceContract")
            )
            row = await service.close_contract(uow, current.id, domain.ContractStatus.ENDED, ended_on, "")
        return ServiceContract.from_row(row)

    @strawberry.mutation(
        description="Terminate a contract early, with a reason.",
        extensions=[roles("bureau_officer", "town_officer")],
    )
    async def terminate_service_contract(self, info: Info, id: strawberry.ID, reason: str) -> ServiceContract:
        async with context_of(info).runtime.unit_of_work() as uow:
            current = await access.contract_for_change(
                uow.session, _user(info), parse_id(id, "ServiceContract")
            )
            row = await service.close_contract(
                uow, current.id, domain.ContractStatus.TERMINATED, china_today(), reason
            )
        return ServiceContract.from_row(row)

    @strawberry.mutation(
        description="Add or correct a calendar entry: a weekday holiday (HOLIDAY) or a weekend make-up workday (MAKEUP_WORKDAY). Pending deadlines move with it.",
        extensions=[roles("bureau_officer")],
    )
    async def set_calendar_entry(self, info: Info, day: dt.date, kind: str, name: str) -> CalendarYear:
        day_kind = parse_day_kind(kind)
        runtime = context_of(info).runtime
        async with runtime.unit_of_work() as uow:
            await service.set_calendar_day(uow, _user(info), day, day_kind, name)
            await service.after_calendar_change(runtime, uow)
        service.CALENDAR_CACHE.invalidate()
        return await Query.calendar_year(Query(), info, day.year)

    @strawberry.mutation(
        description="Remove a calendar entry (kept in history). Pending deadlines move with it.",
        extensions=[roles("bureau_officer")],
    )
    async def remove_calendar_entry(self, info: Info, day: dt.date) -> CalendarYear:
        runtime = context_of(info).runtime
        async with runtime.unit_of_work() as uow:
            await service.remove_calendar_day(uow, _user(info), day)
            await service.after_calendar_change(runtime, uow)
        service.CALENDAR_CACHE.invalidate()
        return await Query.calendar_year(Query(), info, day.year)

    @strawberry.mutation(
        description="Confirm a year's official schedule: provisional deadlines in it are recomputed and an event lists those that moved. A year without any HOLIDAY entry is refused (NO_HOLIDAYS) unless overrideReason is given.",
        extensions=[roles("bureau_officer")],
    )
    async def confirm_calendar_year(
        self,
        info: Info,
        year: int,
        override_reason: Annotated[
            str | None,
            strawberry.argument(
                description="Confirm even though the year has no HOLIDAY entry (an explicit override), saying why; kept in the calendar history (CalendarYear.overrideReason) and in the year_confirmed event."
            ),
        ] = None,
    ) -> CalendarYear:
        runtime = context_of(info).runtime
        async with runtime.unit_of_work() as uow:
            confirmation = await service.confirm_year(uow, _user(info), year, override_reason)
            await service.after_calendar_change(runtime, uow, confirmed_year=year, confirmation=confirmation)
        service.CALENDAR_CACHE.invalidate()
        return await Query.calendar_year(Query(), info, year)

    @strawberry.mutation(
        description="Set a new temporary password for an agency account and return it once, to hand over in person (bureau).",
        extensions=[roles("bureau_officer")],
    )
    async def reset_account_password(self, info: Info, username: str) -> str:
        from services.registry.accounts import reset_password

        return await reset_password(context_of(info).runtime, username)


def _attachment(a: AttachmentInput) -> dict[str, Any]:
    import re

    if (
        not re.fullmatch(r"[0-9a-f]{64}", a.sha256.lower())
        or a.size < 0
        or not a.name.strip()
        or "/" in a.name
    ):
        raise BadUserInput(
            "An attachment needs a file name, a 64-hex SHA-256 and a size (附件信息不完整).",
            field="attachments",
        )
    return {"name": a.name.strip(), "url": a.url.strip(), "sha256": a.sha256.lower(), "size": a.size}


schema = build_schema(Query, Mutation, types=[Jurisdiction, Agency, Staff, ServiceContract])
