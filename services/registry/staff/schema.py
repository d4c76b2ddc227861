"""Staff files in GraphQL: the staff type, its queries and mutations."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import sqlalchemy as sa
import strawberry
from strawberry.types import Info

from ecosteward.fields import (
    PageRequest,
    children_field,
    entity_field,
    guarded_mutation,
    list_field,
    parent_field,
    reference_reader,
)
from ecosteward.graphql import Connection, SortDirection, context_of, roles
from ecosteward.listing import page_of
from ecosteward.mapping import copy_into, from_row, perform
from ecosteward.repository import children, contains, live, order_by, parse_id
from services.registry import access
from services.registry.agencies.models import AgencyRow
from services.registry.agencies.schema import Agency
from services.registry.permits.models import WorkPermitRow
from services.registry.staff import domain, service
from services.registry.staff.models import StaffRecordRow, StaffRow

if TYPE_CHECKING:
    from services.registry.permits.schema import WorkPermit

strawberry.enum(
    domain.Title,
    name="Title",
    description="Technical title (技术职称): none, junior 初级, intermediate 中级, associate senior 副高级, senior 正高级.",
)
strawberry.enum(
    domain.StaffRecordKind,
    name="StaffRecordKind",
    description="Continuing education (继续教育) or an evaluation (考评).",
)

Title = domain.Title
StaffRecordKind = domain.StaffRecordKind


@strawberry.type(description="A continuing-education or evaluation record in a staff file.")
class StaffRecord:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    kind: StaffRecordKind = strawberry.field(description="Education or evaluation.")
    on: dt.date = strawberry.field(description="Date.")
    topic: str = strawberry.field(description="Course or evaluation topic.")
    hours: Decimal | None = strawberry.field(description="Hours of education.")
    rating: str | None = strawberry.field(description="Evaluation result.")
    note: str = strawberry.field(description="Notes.")


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

    agency = parent_field(Agency, AgencyRow, "agency_id", description="The agency.")

    records = children_field(
        StaffRecord,
        StaffRecordRow.staff_id,
        "Staff",
        StaffRecordRow.on.desc(),
        description="Continuing education and evaluations, newest first.",
    )

    @strawberry.field(description="Work permits issued to this person, newest first.")
    async def permits(
        self, info: Info
    ) -> list[Annotated[WorkPermit, strawberry.lazy("services.registry.permits.schema")]]:
        # A back-reference: permits.schema imports this module for WorkPermit.staff.
        from services.registry.permits.schema import WorkPermit

        rows = await children(
            info,
            WorkPermitRow,
            WorkPermitRow.staff_id,
            parse_id(self.id, "Staff"),
            WorkPermitRow.valid_from.desc(),
        )
        return [WorkPermit.from_row(r) for r in rows]

    resolve_reference = reference_reader(access.read_staff)

    @classmethod
    def from_row(cls, row: StaffRow) -> Staff:
        return from_row(cls, row, qualifications=list(row.qualifications or []))


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


async def _staff_page(info: Info, request: PageRequest[Staff]) -> Connection[Staff]:
    filter: StaffFilter | None = request.filter
    stmt = access.directory_scope(live(StaffRow), context_of(info).user, StaffRow.agency_id)
    if filter is not None:
        if filter.agency_id is not None:
            stmt = stmt.where(StaffRow.agency_id == parse_id(filter.agency_id, "Agency"))
        if filter.active is not None:
            stmt = stmt.where(StaffRow.left_on.is_(None) if filter.active else StaffRow.left_on.is_not(None))
        if filter.title is not None:
            stmt = stmt.where(StaffRow.title == filter.title.value)
        if filter.search:
            stmt = stmt.where(
                sa.or_(contains(StaffRow.name, filter.search), contains(StaffRow.username, filter.search))
            )
    stmt = order_by(stmt, {"NAME": StaffRow.name}, "NAME", request.direction, StaffRow.id)
    return await page_of(info, stmt, request.first, request.after, Staff.from_row)


@strawberry.type
class Query:
    staff_member = entity_field(
        Staff, description="One staff file by id.", extensions=[roles(*access.DIRECTORY_READERS)]
    )

    staff = list_field(
        Staff,
        _staff_page,
        filter=StaffFilter,
        direction=SortDirection.ASC,
        description="Staff files; agency users see only their own agency's.",
        extensions=[roles(*access.DIRECTORY_READERS)],
    )


@strawberry.type
class Mutation:
    @guarded_mutation(
        "Add a staff member to an agency (bureau, or the agency's admin).", *access.STAFF_EDITORS
    )
    async def add_staff(self, info: Info, input: AddStaffInput) -> Staff:
        agency_id = parse_id(input.agency_id, "Agency")
        data = copy_into(service.StaffInput, input, qualifications=list(input.qualifications))
        return Staff.from_row(await perform(info, service.add_staff, agency_id, data))

    @guarded_mutation("Change a staff file (bureau, or the agency's admin).", *access.STAFF_EDITORS)
    async def update_staff(self, info: Info, id: strawberry.ID, input: UpdateStaffInput) -> Staff:
        staff_id = parse_id(id, "Staff")
        return Staff.from_row(await perform(info, service.update_staff, staff_id, dataclasses.asdict(input)))

    @guarded_mutation(
        "Record that a staff member left; the agency is flagged if it no longer meets the rules (bureau, or the agency's admin).",
        *access.STAFF_EDITORS,
    )
    async def record_staff_departure(self, info: Info, id: strawberry.ID, left_on: dt.date) -> Staff:
        staff_id = parse_id(id, "Staff")
        return Staff.from_row(await perform(info, service.staff_left, staff_id, left_on))

    @guarded_mutation("Add continuing education or an evaluation to a staff file.", *access.STAFF_EDITORS)
    async def add_staff_record(self, info: Info, input: StaffRecordInput) -> StaffRecord:
        staff_id = parse_id(input.staff_id, "Staff")
        row = await perform(
            info,
            service.add_staff_record,
            staff_id,
            input.kind,
            input.on,
            input.topic,
            input.hours,
            input.rating,
            input.note,
        )
        return from_row(StaffRecord, row)
