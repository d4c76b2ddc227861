"""Staff files in GraphQL: the staff type, its queries and mutations."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import sqlalchemy as sa
import strawberry
from strawberry.types import Info

from ecosteward.graphql import Connection, SortDirection, context_of, roles
from ecosteward.listing import page_of
from ecosteward.repository import children, contains, live, load_live, order_by, parse_id
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

    @classmethod
    def from_row(cls, row: StaffRecordRow) -> StaffRecord:
        return cls(
            id=strawberry.ID(str(row.id)),
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

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Staff:
        """``staffMember(id)`` and ``_entities`` alike (``access.read_staff``)."""
        return cls.from_row(await access.read_staff(info, id))

    @classmethod
    def from_row(cls, row: StaffRow) -> Staff:
        return cls(
            id=strawberry.ID(str(row.id)),
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


@strawberry.type
class Query:
    @strawberry.field(description="One staff file by id.", extensions=[roles(*access.DIRECTORY_READERS)])
    async def staff_member(self, info: Info, id: strawberry.ID) -> Staff:
        return await Staff.resolve_reference(info, id)

    @strawberry.field(
        description="Staff files; agency users see only their own agency's.",
        extensions=[roles(*access.DIRECTORY_READERS)],
    )
    async def staff(
        self,
        info: Info,
        filter: StaffFilter | None = None,
        direction: SortDirection = SortDirection.ASC,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Staff]:
        user = context_of(info).user
        stmt = live(StaffRow)
        stmt = access.directory_scope(stmt, user, StaffRow.agency_id)
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
        return await page_of(info, stmt, first, after, Staff.from_row)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Add a staff member to an agency (bureau, or the agency's admin).",
        extensions=[roles(*access.STAFF_EDITORS)],
    )
    async def add_staff(self, info: Info, input: AddStaffInput) -> Staff:
        agency_id = parse_id(input.agency_id, "Agency")
        data = service.StaffInput(
            name=input.name,
            username=input.username,
            email=input.email,
            title=input.title,
            professional=input.professional,
            joined_on=input.joined_on,
            specialty=input.specialty,
            quality_manager=input.quality_manager,
            qualifications=list(input.qualifications),
        )
        async with context_of(info).runtime.unit_of_work() as uow:
            row = await service.add_staff(uow, context_of(info).user, agency_id, data)
        return Staff.from_row(row)

    @strawberry.mutation(
        description="Change a staff file (bureau, or the agency's admin).",
        extensions=[roles(*access.STAFF_EDITORS)],
    )
    async def update_staff(self, info: Info, id: strawberry.ID, input: UpdateStaffInput) -> Staff:
        staff_id = parse_id(id, "Staff")
        changes = {
            "name": input.name,
            "specialty": input.specialty,
            "title": input.title,
            "professional": input.professional,
            "quality_manager": input.quality_manager,
            "qualifications": input.qualifications,
        }
        async with context_of(info).runtime.unit_of_work() as uow:
            row = await service.update_staff(uow, context_of(info).user, staff_id, changes)
        return Staff.from_row(row)

    @strawberry.mutation(
        description="Record that a staff member left; the agency is flagged if it no longer meets the rules (bureau, or the agency's admin).",
        extensions=[roles(*access.STAFF_EDITORS)],
    )
    async def record_staff_departure(self, info: Info, id: strawberry.ID, left_on: dt.date) -> Staff:
        staff_id = parse_id(id, "Staff")
        async with context_of(info).runtime.unit_of_work() as uow:
            row = await service.staff_left(uow, context_of(info).user, staff_id, left_on)
        return Staff.from_row(row)

    @strawberry.mutation(
        description="Add continuing education or an evaluation to a staff file.",
        extensions=[roles(*access.STAFF_EDITORS)],
    )
    async def add_staff_record(self, info: Info, input: StaffRecordInput) -> StaffRecord:
        staff_id = parse_id(input.staff_id, "Staff")
        async with context_of(info).runtime.unit_of_work() as uow:
            row = await service.add_staff_record(
                uow,
                context_of(info).user,
                staff_id,
                input.kind,
                input.on,
                input.topic,
                input.hours,
                input.rating,
                input.note,
            )
        return StaffRecord.from_row(row)
