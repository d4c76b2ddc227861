"""Contracts and filings in GraphQL: contracts, the filings inbox and the contract workflow."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa
import strawberry
from strawberry.types import Info

from ecosteward.clock import china_today
from ecosteward.fields import (
    PageRequest,
    children_field,
    entity_field,
    guarded_mutation,
    list_field,
    parent_field,
    reference_reader,
)
from ecosteward.graphql import Connection, SortDirection, connection, context_of, paginate, roles
from ecosteward.identity import Role
from ecosteward.listing import page_of
from ecosteward.mapping import copy_into, from_row, perform
from ecosteward.repository import contains, live, order_by, parse_id
from ecosteward.workdays import WorkdayCalendar
from services.registry import access
from services.registry.agencies.models import AgencyRow
from services.registry.agencies.schema import Agency
from services.registry.calendar.queries import CALENDAR_CACHE
from services.registry.contracts import domain, queries, service
from services.registry.contracts.models import FilingActionRow, FilingRow, ServiceContractRow
from services.registry.jurisdictions.models import JurisdictionRow
from services.registry.jurisdictions.schema import Jurisdiction
from services.registry.reference import CatalogueItem, service_catalogue

strawberry.enum(
    domain.ContractStatus,
    name="ContractStatus",
    description="Contract lifecycle: DRAFT → SIGNED → FILED (→ RETURNED → FILED) → ACTIVE → ENDED, or TERMINATED.",
)
strawberry.enum(
    domain.FilingStatus,
    name="FilingStatus",
    description="State of a contract's filing (报备) with the bureau.",
)
strawberry.enum(
    domain.FilingStanding,
    name="FilingStanding",
    description="Where a filing stands against its due date (the bureau's inbox categories).",
)
strawberry.enum(
    domain.ServiceMode, name="ServiceMode", description="On-site (驻点) or remote (非驻点) service."
)

ContractStatus = domain.ContractStatus
FilingStatus = domain.FilingStatus
FilingStanding = domain.FilingStanding
ServiceMode = domain.ServiceMode


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
        return from_row(cls, item)


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

    agency = parent_field(Agency, AgencyRow, "agency_id", description="The contracted agency.")

    jurisdiction = parent_field(
        Jurisdiction,
        JurisdictionRow,
        "jurisdiction_id",
        description="The managing department that signed the contract.",
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
        extensions=[roles(*access.CONTRACT_READERS)],
    )
    async def filing(self, info: Info) -> Filing | None:
        async with context_of(info).runtime.sessions() as session:
            row = await session.scalar(
                sa.select(FilingRow).where(FilingRow.contract_id == parse_id(self.id, "ServiceContract"))
            )
            if row is None:
                return None
        return (await _filings(info, [row]))[0]

    resolve_reference = reference_reader(access.read_contract)

    @classmethod
    def from_row(cls, row: ServiceContractRow) -> ServiceContract:
        return from_row(
            cls,
            row,
            scope_enterprise_ids=[strawberry.ID(x) for x in row.scope_enterprise_ids or []],
            attachments=[
                Attachment(name=a["name"], url=a["url"], sha256=a["sha256"], size=int(a["size"]))
                for a in row.attachments or []
            ],
            scope_jurisdiction_ids=list(row.scope_jurisdiction_ids or []),
            catalogue_codes=list(row.catalogue_codes or []),
        )


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

    contract = parent_field(
        ServiceContract, ServiceContractRow, "contract_id", description="The contract filed."
    )

    jurisdiction = parent_field(
        Jurisdiction, JurisdictionRow, "jurisdiction_id", description="The filing jurisdiction."
    )

    history = children_field(
        FilingAction,
        FilingActionRow.filing_id,
        "Filing",
        FilingActionRow.at,
        description="History, oldest first.",
    )

    @classmethod
    def from_row(cls, row: FilingRow, working_days_left: int) -> Filing:
        return from_row(
            cls,
            row,
            standing=domain.filing_standing(
                row.due_on,
                row.first_filed_on,
                china_today(),
                working_days_left,
                cancelled=row.status == domain.FilingStatus.CANCELLED.value,
            ),
            working_days_left=working_days_left,
        )


@strawberry.type(description="Counts of the filings matching the inbox filters, by standing.")
class FilingCounts:
    total: int = strawberry.field(description="All matching filings.")
    awaiting: int = strawberry.field(description="Not filed, more than 3 working days left.")
    due_soon: int = strawberry.field(description="Not filed, due within 3 working days.")
    overdue: int = strawberry.field(description="Not filed, due date passed.")
    filed_on_time: int = strawberry.field(description="First filed on or before the due date.")
    filed_late: int = strawberry.field(description="First filed after the due date.")


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


def _filing_query(filter: FilingFilter | None) -> queries.FilingQuery | None:
    if filter is None:
        return None
    return queries.FilingQuery(
        status=filter.status,
        standing=filter.standing,
        jurisdiction_id=(
            parse_id(filter.jurisdiction_id, "Jurisdiction") if filter.jurisdiction_id is not None else None
        ),
        due_within_working_days=filter.due_within_working_days,
        overdue=filter.overdue,
        filed_late=filter.filed_late,
        provisional=filter.provisional,
    )


def _filings_on(calendar: WorkdayCalendar, rows: list[FilingRow]) -> list[Filing]:
    today = china_today()
    return [Filing.from_row(r, calendar.working_days_between(today, r.due_on)) for r in rows]


async def _filings(info: Info, rows: list[FilingRow]) -> list[Filing]:
    return _filings_on(await CALENDAR_CACHE.get(context_of(info).runtime.sessions), rows)


async def _contract_page(info: Info, request: PageRequest[ServiceContract]) -> Connection[ServiceContract]:
    filter: ContractFilter | None = request.filter
    stmt = access.contract_scope(live(ServiceContractRow), context_of(info).user, ServiceContractRow)
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
    stmt = order_by(stmt, columns, request.sort.value, request.direction, ServiceContractRow.id)
    return await page_of(info, stmt, request.first, request.after, ServiceContract.from_row)


async def _filing_page(info: Info, request: PageRequest[Filing]) -> Connection[Filing]:
    calendar = await CALENDAR_CACHE.get(context_of(info).runtime.sessions)
    stmt = queries.filing_statement(
        context_of(info).user, _filing_query(request.filter), china_today(), calendar
    )
    stmt = order_by(
        stmt,
        {"DUE_ON": FilingRow.due_on, "SIGNED_ON": FilingRow.signed_on},
        request.sort.value,
        request.direction,
        FilingRow.id,
    )
    async with context_of(info).runtime.sessions() as session:
        rows, page, total = await paginate(session, stmt, request.first, request.after)
    return connection(_filings_on(calendar, rows), page, total)


@strawberry.type
class Query:
    service_contract = entity_field(
        ServiceContract,
        description="One contract by id (within your scope).",
        extensions=[roles(*access.CONTRACT_READERS)],
    )

    service_contracts = list_field(
        ServiceContract,
        _contract_page,
        filter=ContractFilter,
        sort=ContractSortField.STARTS_ON,
        direction=SortDirection.DESC,
        description="Contracts in your scope: all for the bureau, your jurisdiction's for a town, your agency's for an agency.",
        extensions=[roles(*access.CONTRACT_READERS)],
    )
    filings = list_field(
        Filing,
        _filing_page,
        filter=FilingFilter,
        sort=FilingSortField.DUE_ON,
        direction=SortDirection.ASC,
        description="The filings inbox: the bureau sees all, a town its own, an agency its contracts'.",
        extensions=[roles(*access.FILING_READERS)],
    )

    @strawberry.field(
        description="Counts of the filings matching the filters, by standing.",
        extensions=[roles(*access.FILING_READERS)],
    )
    async def filing_counts(self, info: Info, filter: FilingFilter | None = None) -> FilingCounts:
        today = china_today()
        calendar = await CALENDAR_CACHE.get(context_of(info).runtime.sessions)
        filings = queries.filing_statement(context_of(info).user, _filing_query(filter), today, calendar)
        async with context_of(info).runtime.sessions() as session:
            counts = await queries.filing_counts(session, filings, today, calendar)
        return from_row(FilingCounts, counts)

    @strawberry.field(description="The service catalogue of seed 004 Annexes B–D.")
    def service_catalogue(self, annex: str | None = None) -> list[ServiceCatalogueItem]:
        items = service_catalogue().values()
        return [ServiceCatalogueItem.from_item(i) for i in items if annex is None or i.annex == annex.upper()]


@strawberry.type
class Mutation:
    @guarded_mutation(
        "Draft a service contract; a town only for its own jurisdiction.", *access.CONTRACT_EDITORS
    )
    async def create_service_contract(self, info: Info, input: CreateContractInput) -> ServiceContract:
        user = context_of(info).user
        jurisdiction_id = parse_id(input.jurisdiction_id, "Jurisdiction")
        access.check_contract_creatable(user, jurisdiction_id)
        data = copy_into(
            service.ContractInput,
            input,
            agency_id=parse_id(input.agency_id, "Agency"),
            jurisdiction_id=jurisdiction_id,
            service_mode=domain.ServiceMode(input.service_mode.value),
            scope_jurisdiction_ids=[parse_id(x, "Jurisdiction") for x in input.scope_jurisdiction_ids],
            scope_enterprise_ids=[parse_id(x, "Enterprise") for x in input.scope_enterprise_ids],
            catalogue_codes=[domain.catalogue_code(c) for c in input.catalogue_codes],
            attachments=[domain.attachment(a.name, a.url, a.sha256, a.size) for a in input.attachments],
        )
        sessions = context_of(info).runtime.sessions
        await service.await_enterprise_copies(sessions, jurisdiction_id, data.scope_enterprise_ids)
        return ServiceContract.from_row(await perform(info, service.create_contract, data))

    @guarded_mutation(
        "Record the signing; the filing is then due on the 10th working day after it.",
        *access.CONTRACT_EDITORS,
    )
    async def sign_service_contract(
        self, info: Info, id: strawberry.ID, signed_on: dt.date
    ) -> ServiceContract:
        contract_id = parse_id(id, "ServiceContract")
        calendar = await CALENDAR_CACHE.get(context_of(info).runtime.sessions)
        row, _ = await perform(info, service.sign_contract, contract_id, signed_on, calendar)
        return ServiceContract.from_row(row)

    @guarded_mutation(
        "File (or re-file) a signed contract with the bureau (the managing town).", *access.CONTRACT_EDITORS
    )
    async def file_service_contract(self, info: Info, id: strawberry.ID) -> Filing:
        contract_id = parse_id(id, "ServiceContract")
        return (await _filings(info, [await perform(info, service.file_contract, contract_id)]))[0]

    @guarded_mutation("Return a filing for correction, with a reason (bureau).", Role.BUREAU_OFFICER)
    async def return_filing(self, info: Info, contract_id: strawberry.ID, reason: str) -> Filing:
        row = await perform(info, service.return_filing, parse_id(contract_id, "ServiceContract"), reason)
        return (await _filings(info, [row]))[0]

    @guarded_mutation("Acknowledge a filing; the contract becomes active (bureau).", Role.BUREAU_OFFICER)
    async def acknowledge_filing(self, info: Info, contract_id: strawberry.ID) -> Filing:
        row = await perform(info, service.acknowledge_filing, parse_id(contract_id, "ServiceContract"))
        return (await _filings(info, [row]))[0]

    @guarded_mutation("End an active contract at the end of its term.", *access.CONTRACT_EDITORS)
    async def end_service_contract(self, info: Info, id: strawberry.ID, ended_on: dt.date) -> ServiceContract:
        contract_id = parse_id(id, "ServiceContract")
        ended = domain.ContractStatus.ENDED
        return ServiceContract.from_row(
            await perform(info, service.close_contract, contract_id, ended, ended_on, "")
        )

    @guarded_mutation("Terminate a contract early, with a reason.", *access.CONTRACT_EDITORS)
    async def terminate_service_contract(self, info: Info, id: strawberry.ID, reason: str) -> ServiceContract:
        contract_id = parse_id(id, "ServiceContract")
        terminated, today = domain.ContractStatus.TERMINATED, china_today()
        row = await perform(info, service.close_contract, contract_id, terminated, today, reason)
        return ServiceContract.from_row(row)
