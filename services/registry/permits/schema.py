"""Work permits in GraphQL: the permit type, the permit check, issue and revoke."""

from __future__ import annotations

import datetime as dt
import uuid

import strawberry
from strawberry.types import Info

from ecosteward.clock import china_today
from ecosteward.fields import PageRequest, guarded_mutation, list_field, parent_field
from ecosteward.graphql import Connection, context_of, roles
from ecosteward.listing import page_of
from ecosteward.mapping import from_row, perform
from ecosteward.repository import live, parse_id
from services.registry import access
from services.registry.jurisdictions.models import JurisdictionRow
from services.registry.jurisdictions.schema import Jurisdiction
from services.registry.permits import domain, service
from services.registry.permits.models import WorkPermitRow
from services.registry.staff.models import StaffRow
from services.registry.staff.schema import Staff

strawberry.enum(domain.PermitState, name="PermitState", description="A work permit's state on a given day.")

PermitState = domain.PermitState


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
    revoked_on: strawberry.Private[dt.date | None]

    @strawberry.field(description="State today (China time).")
    def state(self) -> PermitState:
        return domain.permit_state(self.valid_from, self.valid_to, self.revoked_on, china_today())

    staff = parent_field(Staff, StaffRow, "staff_id", description="The holder.")

    issued_by = parent_field(
        Jurisdiction, JurisdictionRow, "issued_by_id", description="The managing department that issued it."
    )

    @classmethod
    def from_row(cls, row: WorkPermitRow) -> WorkPermit:
        return from_row(cls, row, revoked_on=service.revoked_on(row))


@strawberry.type(description="The answer to: does this person hold a valid work permit on that day?")
class PermitCheck:
    staff_id: strawberry.ID = strawberry.field(description="The staff member asked about.")
    on: dt.date = strawberry.field(description="The day asked about.")
    valid: bool = strawberry.field(description="A valid permit covers that day.")
    permit: WorkPermit | None = strawberry.field(description="The permit that covers it.")


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


async def _permit_page(info: Info, request: PageRequest[WorkPermit]) -> Connection[WorkPermit]:
    filter: PermitFilter | None = request.filter
    stmt = access.permit_scope(live(WorkPermitRow), context_of(info).user, WorkPermitRow.agency_id)
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
    return await page_of(info, stmt, request.first, request.after, WorkPermit.from_row)


@strawberry.type
class Query:
    work_permits = list_field(
        WorkPermit,
        _permit_page,
        filter=PermitFilter,
        description="Work permits; agency users see their own staff's.",
        extensions=[roles(*access.CONTRACT_READERS)],
    )

    @strawberry.field(
        description="Does this staff member hold a valid work permit on that day (default: today)?",
        extensions=[roles(*access.CONTRACT_READERS)],
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


@strawberry.type
class Mutation:
    @guarded_mutation("Issue a work permit (bureau, or a town in its own name).", *access.PERMIT_ISSUERS)
    async def issue_work_permit(self, info: Info, input: IssuePermitInput) -> WorkPermit:
        issuer = parse_id(input.issued_by_id, "Jurisdiction") if input.issued_by_id is not None else None
        staff_id, agency_id = parse_id(input.staff_id, "Staff"), parse_id(input.agency_id, "Agency")
        row = await perform(
            info, service.issue_permit, staff_id, agency_id, issuer, input.valid_from, input.valid_to
        )
        return WorkPermit.from_row(row)

    @guarded_mutation("Revoke a work permit (bureau, or the town that issued it).", *access.PERMIT_ISSUERS)
    async def revoke_work_permit(self, info: Info, id: strawberry.ID, reason: str) -> WorkPermit:
        permit_id = parse_id(id, "Work permit")
        return WorkPermit.from_row(await perform(info, service.revoke_permit, permit_id, reason))
