"""Agencies in GraphQL: the agency database, the admission workflow and credit listings."""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import Enum
from typing import Annotated

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
    reference_reader,
)
from ecosteward.graphql import Connection, SortDirection, context_of, roles
from ecosteward.identity import Role
from ecosteward.listing import page_of
from ecosteward.mapping import copy_into, from_row, perform
from ecosteward.repository import contains, live, order_by, parse_id
from services.registry import access
from services.registry.agencies import domain, service
from services.registry.agencies.models import AgencyRow, AgencyStatusChangeRow, CreditListingRow

strawberry.enum(
    domain.AgencyStatus,
    name="AgencyStatus",
    description="Admission status in the agency database (入库状态).",
)

AgencyStatus = domain.AgencyStatus


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
        return from_row(cls, row, active=domain.listing_active(row.listed_on, row.delisted_on, china_today()))


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
        extensions=[roles(*access.DIRECTORY_READERS)],
    )
    status: AgencyStatus = strawberry.field(description="Admission status.")
    status_reason: str = strawberry.field(
        description="Reason given for the current status. Not for enterprise users.",
        extensions=[roles(*access.DIRECTORY_READERS)],
    )
    status_changed_at: dt.datetime = strawberry.field(description="When the status last changed (UTC).")
    rules_met: bool | None = strawberry.field(
        description="For an admitted agency: whether it still meets the admission rules. Not for enterprise users.",
        extensions=[roles(*access.DIRECTORY_READERS)],
    )
    noncompliant_since: dt.datetime | None = strawberry.field(
        description="Since when an admitted agency no longer meets them. Not for enterprise users.",
        extensions=[roles(*access.DIRECTORY_READERS)],
    )
    unmet_rule_codes: strawberry.Private[list[str]]

    @strawberry.field(
        description="Unmet admission rules (evaluated now). Not for enterprise users.",
        extensions=[roles(*access.DIRECTORY_READERS)],
    )
    async def admission_check(self, info: Info) -> list[AdmissionRuleFailure]:
        async with context_of(info).runtime.sessions() as session:
            failures = await service.admission_failures(session, parse_id(self.id, "Agency"), china_today())
        return [AdmissionRuleFailure(code=f.code, message=f.message) for f in failures]

    status_history = children_field(
        AgencyStatusChange,
        AgencyStatusChangeRow.agency_id,
        "Agency",
        AgencyStatusChangeRow.changed_at,
        description="Admission status history, oldest first. Not for enterprise users.",
        extensions=[roles(*access.DIRECTORY_READERS)],
    )
    credit_listings = children_field(
        CreditListing,
        CreditListingRow.agency_id,
        "Agency",
        CreditListingRow.listed_on,
        description="Credit blacklist listings, current and past. Not for enterprise users.",
        extensions=[roles(*access.DIRECTORY_READERS)],
    )

    resolve_reference = reference_reader(access.read_agency)

    @classmethod
    def from_row(cls, row: AgencyRow) -> Agency:
        return from_row(cls, row, unmet_rule_codes=list(row.unmet_rules or []))


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


async def _agency_page(info: Info, request: PageRequest[Agency]) -> Connection[Agency]:
    filter: AgencyFilter | None = request.filter
    stmt = access.directory_scope(live(AgencyRow), context_of(info).user, AgencyRow.id)
    if filter is not None:
        if filter.status is not None:
            stmt = stmt.where(AgencyRow.status == filter.status.value)
        if filter.rules_met is not None:
            stmt = stmt.where(
                AgencyRow.status == domain.AgencyStatus.ADMITTED.value,
                AgencyRow.rules_met.is_(filter.rules_met),
            )
        if filter.search:
            stmt = stmt.where(
                sa.or_(
                    contains(AgencyRow.name, filter.search),
                    contains(AgencyRow.credit_code, filter.search),
                )
            )
    columns = {"NAME": AgencyRow.name, "STATUS_CHANGED_AT": AgencyRow.status_changed_at}
    stmt = order_by(stmt, columns, request.sort.value, request.direction, AgencyRow.id)
    return await page_of(info, stmt, request.first, request.after, Agency.from_row)


@strawberry.type
class Query:
    agency = entity_field(
        Agency,
        description="One agency by id. An enterprise user reads the directory fields of the agencies whose signed contracts cover it.",
        extensions=[roles(*access.AGENCY_READERS)],
    )

    agencies = list_field(
        Agency,
        _agency_page,
        filter=AgencyFilter,
        sort=AgencySortField.NAME,
        direction=SortDirection.ASC,
        description="The agency database; agency users see only their own agency.",
        extensions=[roles(*access.DIRECTORY_READERS)],
    )


@strawberry.type
class Mutation:
    @guarded_mutation(
        "Register an agency's application to the agency database (bureau).", Role.BUREAU_OFFICER
    )
    async def register_agency(self, info: Info, input: RegisterAgencyInput) -> Agency:
        data = copy_into(service.AgencyInput, input)
        return Agency.from_row(await perform(info, service.register_agency, data))

    @guarded_mutation(
        "Change an agency's contact details (bureau, or the agency's admin).", *access.STAFF_EDITORS
    )
    async def update_agency(self, info: Info, id: strawberry.ID, input: UpdateAgencyInput) -> Agency:
        agency_id = parse_id(id, "Agency")
        return Agency.from_row(
            await perform(info, service.update_agency, agency_id, dataclasses.asdict(input))
        )

    @guarded_mutation(
        "Admit, refuse, suspend, remove or re-open an agency (bureau). Admission lists every unmet rule when refused.",
        Role.BUREAU_OFFICER,
    )
    async def change_agency_status(self, info: Info, input: ChangeAgencyStatusInput) -> Agency:
        agency_id, status = parse_id(input.agency_id, "Agency"), domain.AgencyStatus(input.status.value)
        return Agency.from_row(
            await perform(info, service.change_agency_status, agency_id, status, input.reason)
        )

    @guarded_mutation(
        "Record a credit blacklist listing of an agency, with its source (bureau).", Role.BUREAU_OFFICER
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

    @guarded_mutation("Record that a listing was lifted (bureau).", Role.BUREAU_OFFICER)
    async def end_credit_listing(
        self, info: Info, listing_id: strawberry.ID, delisted_on: dt.date
    ) -> CreditListing:
        async with context_of(info).runtime.unit_of_work() as uow:
            row = await service.end_credit_listing(uow, parse_id(listing_id, "Credit listing"), delisted_on)
        return CreditListing.from_row(row)
