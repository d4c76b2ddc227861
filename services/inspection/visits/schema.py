"""Visits GraphQL fragment (thin): types, inputs, and resolvers that check roles, parse input, call
``service`` / ``access`` and map rows to types. Merged into the service schema by ``../schema.py``."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum
from typing import Any

import sqlalchemy as sa
import strawberry
from strawberry.types import Info

from ecosteward.clock import china_today
from ecosteward.fields import entity_field, guarded_mutation, list_field
from ecosteward.graphql import Connection, SortDirection, context_of, roles
from ecosteward.listing import Listing, read_in_scope
from ecosteward.mapping import from_row, perform
from ecosteward.references import Agency, Jurisdiction
from ecosteward.repository import get_live, parse_id
from ecosteward.scope import Scope
from services.inspection import access
from services.inspection.copies import KnownEnterpriseRow
from services.inspection.visits import domain, service
from services.inspection.visits.models import FindingRow, InspectionRow

# ------------------------------------------------------------------------------------------ enums


@strawberry.enum(description="State of an inspection record.")
class InspectionStatus(Enum):
    RECORDED = strawberry.enum_value("RECORDED", description="Recorded after the visit (已记录).")


def _category(code: str) -> Any:
    return strawberry.enum_value(code, description=domain.FINDING_CATEGORIES[code])


@strawberry.enum(
    description="Survey category of a finding: the 11 categories of seed 004 table B-2 (调查类别)."
)
class FindingCategory(Enum):
    PERMITS_AND_PROCEDURES = _category("PERMITS_AND_PROCEDURES")
    PRODUCTION_STATUS = _category("PRODUCTION_STATUS")
    SELF_MONITORING = _category("SELF_MONITORING")
    ENVIRONMENTAL_LEDGERS = _category("ENVIRONMENTAL_LEDGERS")
    INFORMATION_DISCLOSURE = _category("INFORMATION_DISCLOSURE")
    EMERGENCY_MANAGEMENT = _category("EMERGENCY_MANAGEMENT")
    INTERNAL_MANAGEMENT = _category("INTERNAL_MANAGEMENT")
    WASTE_GAS_FACILITIES = _category("WASTE_GAS_FACILITIES")
    WASTE_WATER_FACILITIES = _category("WASTE_WATER_FACILITIES")
    SOLID_AND_HAZARDOUS_WASTE = _category("SOLID_AND_HAZARDOUS_WASTE")
    SOIL_POLLUTION_HAZARDS = _category("SOIL_POLLUTION_HAZARDS")


@strawberry.enum(description="How a finding is handled (处置类别).")
class HandlingClass(Enum):
    IMMEDIATE_FIX = strawberry.enum_value("IMMEDIATE_FIX", description="Fixed on the spot (即知即改).")
    FIX_BY_DEADLINE = strawberry.enum_value(
        "FIX_BY_DEADLINE", description="Rectify by a deadline (限期整改)."
    )
    MAJOR = strawberry.enum_value(
        "MAJOR",
        description="Major problem: special assistance and hand-over to enforcement (重大问题, 管执联动).",
    )


@strawberry.enum(description="Where a finding is in its closed loop (闭环状态).")
class FindingStatus(Enum):
    FOUND = strawberry.enum_value("FOUND", description="Found and recorded (已发现).")


@strawberry.enum(description="Sort keys for inspections.")
class InspectionSortField(Enum):
    VISITED_ON = strawberry.enum_value("VISITED_ON", description="Date of the visit.")
    RECORDED_AT = strawberry.enum_value("RECORDED_AT", description="When the record was made.")


@strawberry.enum(description="Sort keys for findings.")
class FindingSortField(Enum):
    RECORDED_AT = strawberry.enum_value("RECORDED_AT", description="When the finding was recorded.")
    DEADLINE = strawberry.enum_value("DEADLINE", description="Rectification deadline.")
    CATEGORY = strawberry.enum_value("CATEGORY", description="Survey category.")


# ------------------------------------------------------------------------------------------ types


@strawberry.federation.type(
    keys=["id"],
    description="An enterprise / pollution source (排污单位), owned by the archive; "
    "this service adds its inspections.",
)
class Enterprise:
    id: strawberry.ID = strawberry.field(description="Stable id (the archive's).")

    @strawberry.field(
        description="Inspections of this enterprise within your scope (an agency sees only its own visits).",
        extensions=[roles(*access.READER_ROLES)],
    )
    async def inspections(
        self,
        info: Info,
        filter: InspectionFilter | None = None,
        sort: InspectionSortField = InspectionSortField.VISITED_ON,
        direction: SortDirection = SortDirection.DESC,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Inspection]:
        where = [InspectionRow.enterprise_id == parse_id(self.id, "Enterprise")]
        return await INSPECTIONS.page(info, _caller_scope(info), filter, sort, direction, first, after, where)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Enterprise:
        """The archive's by-id rule; an enterprise out of scope answers like an unknown one."""
        ctx = context_of(info)
        caller_scope = access.data_scope(ctx.user)  # a role that sees none: FORBIDDEN before any look-up
        enterprise_id = parse_id(id, "Enterprise")
        async with ctx.runtime.sessions() as session:
            known = await session.get(KnownEnterpriseRow, enterprise_id)
        contracts = (
            await access.request_agency_contracts(info, caller_scope["agency_id"])
            if known is not None and "agency_id" in caller_scope
            else []
        )
        if known is None or not access.enterprise_visible(
            ctx.user, known.id, known.jurisdiction_id, contracts
        ):
            raise domain.enterprise_not_found(enterprise_id)
        return cls(id=strawberry.ID(str(known.id)))


@strawberry.federation.type(keys=["id"], description="An on-site inspection visit (现场检查, HJ 606).")
class Inspection:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    visited_on: dt.date = strawberry.field(description="Day of the visit.")
    inspector_username: str = strawberry.field(description="Username of the person who recorded the visit.")
    summary: str = strawberry.field(description="What was checked and seen (检查情况).")
    status: InspectionStatus = strawberry.field(description="State of the record.")
    recorded_at: dt.datetime = strawberry.field(description="When the record was made (UTC).")
    enterprise_id: strawberry.Private[uuid.UUID]
    agency_id: strawberry.Private[uuid.UUID]
    jurisdiction_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The enterprise visited.")
    def enterprise(self) -> Enterprise:
        return Enterprise(id=strawberry.ID(str(self.enterprise_id)))

    @strawberry.field(description="The agency whose staff made the visit.")
    def agency(self) -> Agency:
        return Agency(id=strawberry.ID(str(self.agency_id)))

    @strawberry.field(description="The enterprise's jurisdiction on the day of the visit.")
    def jurisdiction(self) -> Jurisdiction:
        return Jurisdiction(id=strawberry.ID(str(self.jurisdiction_id)))

    @strawberry.field(description="Findings (问题隐患) recorded on this visit, oldest first.")
    async def findings(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Finding]:
        where = [FindingRow.inspection_id == parse_id(self.id, "Inspection")]
        sort, direction = FindingSortField.RECORDED_AT, SortDirection.ASC
        return await FINDINGS.page(info, _caller_scope(info), None, sort, direction, first, after, where)

    @classmethod
    def from_row(cls, row: InspectionRow) -> Inspection:
        return from_row(cls, row, recorded_at=row.created_at)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Inspection:
        """Used by ``inspection(id)`` and ``_entities`` alike: one rule for both."""
        return cls.from_row(await read_in_scope(info, InspectionRow, id, "Inspection", _caller_scope(info)))


@strawberry.federation.type(keys=["id"], description="A problem or hazard found on a visit (问题隐患).")
class Finding:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    category: FindingCategory = strawberry.field(description="Survey category (table B-2).")
    description: str = strawberry.field(description="What is wrong (问题描述).")
    legal_basis: str = strawberry.field(
        description="The law or standard it breaches (法规依据); may be empty."
    )
    handling_class: HandlingClass = strawberry.field(description="How it is handled.")
    deadline: dt.date | None = strawberry.field(description="Rectification deadline (整改期限), if any.")
    status: FindingStatus = strawberry.field(description="Where it is in the closed loop.")
    recorded_at: dt.datetime = strawberry.field(description="When the finding was recorded (UTC).")
    inspection_id: strawberry.Private[uuid.UUID]
    enterprise_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The visit on which it was found.")
    async def inspection(self, info: Info) -> Inspection:
        async with context_of(info).runtime.sessions() as session:
            return Inspection.from_row(
                await get_live(session, InspectionRow, self.inspection_id, "Inspection")
            )

    @strawberry.field(description="The enterprise concerned.")
    def enterprise(self) -> Enterprise:
        return Enterprise(id=strawberry.ID(str(self.enterprise_id)))

    @classmethod
    def from_row(cls, row: FindingRow) -> Finding:
        return from_row(cls, row, recorded_at=row.created_at)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Finding:
        """Used by ``finding(id)`` and ``_entities`` alike: one rule for both."""
        return cls.from_row(await read_in_scope(info, FindingRow, id, "Finding", _caller_scope(info)))


# ------------------------------------------------------------------------------------------ inputs


@strawberry.input(description="Filters for inspections.")
class InspectionFilter:
    enterprise_id: strawberry.ID | None = strawberry.field(default=None, description="Only this enterprise.")
    agency_id: strawberry.ID | None = strawberry.field(default=None, description="Only this agency's visits.")
    jurisdiction_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this jurisdiction."
    )
    status: InspectionStatus | None = strawberry.field(default=None, description="Only this state.")
    visited_from: dt.date | None = strawberry.field(default=None, description="Visits on or after this day.")
    visited_to: dt.date | None = strawberry.field(default=None, description="Visits on or before this day.")

    def apply(self, stmt: sa.Select[Any]) -> sa.Select[Any]:
        if self.enterprise_id is not None:
            stmt = stmt.where(InspectionRow.enterprise_id == parse_id(self.enterprise_id, "Enterprise"))
        if self.agency_id is not None:
            stmt = stmt.where(InspectionRow.agency_id == parse_id(self.agency_id, "Agency"))
        if self.jurisdiction_id is not None:
            stmt = stmt.where(InspectionRow.jurisdiction_id == parse_id(self.jurisdiction_id, "Jurisdiction"))
        if self.status is not None:
            stmt = stmt.where(InspectionRow.status == self.status.name)
        if self.visited_from is not None:
            stmt = stmt.where(InspectionRow.visited_on >= self.visited_from)
        if self.visited_to is not None:
            stmt = stmt.where(InspectionRow.visited_on <= self.visited_to)
        return stmt


@strawberry.input(description="Filters for findings.")
class FindingFilter:
    inspection_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this visit's findings."
    )
    enterprise_id: strawberry.ID | None = strawberry.field(default=None, description="Only this enterprise.")
    agency_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this agency's findings."
    )
    jurisdiction_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this jurisdiction."
    )
    category: FindingCategory | None = strawberry.field(
        default=None, description="Only this survey category."
    )
    handling_class: HandlingClass | None = strawberry.field(
        default=None, description="Only this handling class."
    )
    status: FindingStatus | None = strawberry.field(default=None, description="Only this state.")
    deadline_before: dt.date | None = strawberry.field(
        default=None, description="Only findings with a deadline on or before this day."
    )

    def apply(self, stmt: sa.Select[Any]) -> sa.Select[Any]:
        if self.inspection_id is not None:
            stmt = stmt.where(FindingRow.inspection_id == parse_id(self.inspection_id, "Inspection"))
        if self.enterprise_id is not None:
            stmt = stmt.where(FindingRow.enterprise_id == parse_id(self.enterprise_id, "Enterprise"))
        if self.agency_id is not None:
            stmt = stmt.where(FindingRow.agency_id == parse_id(self.agency_id, "Agency"))
        if self.jurisdiction_id is not None:
            stmt = stmt.where(FindingRow.jurisdiction_id == parse_id(self.jurisdiction_id, "Jurisdiction"))
        if self.category is not None:
            stmt = stmt.where(FindingRow.category == self.category.name)
        if self.handling_class is not None:
            stmt = stmt.where(FindingRow.handling_class == self.handling_class.name)
        if self.status is not None:
            stmt = stmt.where(FindingRow.status == self.status.name)
        if self.deadline_before is not None:
            stmt = stmt.where(FindingRow.deadline <= self.deadline_before)
        return stmt


@strawberry.input(description="An on-site visit to record.")
class RecordInspectionInput:
    enterprise_id: strawberry.ID = strawberry.field(description="The enterprise visited (must be known).")
    visited_on: dt.date = strawberry.field(description="Day of the visit (not in the future).")
    summary: str = strawberry.field(description="What was checked and seen.")
    agency_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The agency whose visit this is: required for the bureau; staff use their own.",
    )


@strawberry.input(description="A finding to add to a recorded visit.")
class RecordFindingInput:
    inspection_id: strawberry.ID = strawberry.field(description="The visit (within your scope).")
    category: FindingCategory = strawberry.field(description="Survey category (table B-2).")
    description: str = strawberry.field(description="What is wrong.")
    legal_basis: str = strawberry.field(default="", description="The law or standard it breaches (法规依据).")
    handling_class: HandlingClass = strawberry.field(description="How it is handled.")
    deadline: dt.date | None = strawberry.field(
        default=None,
        description="Rectification deadline: required for FIX_BY_DEADLINE, not before the visit.",
    )


# ------------------------------------------------------------------------------------------ pages


INSPECTIONS = Listing(
    InspectionRow,
    {"VISITED_ON": InspectionRow.visited_on, "RECORDED_AT": InspectionRow.created_at},
    Inspection.from_row,
)
FINDINGS = Listing(
    FindingRow,
    {"RECORDED_AT": FindingRow.created_at, "DEADLINE": FindingRow.deadline, "CATEGORY": FindingRow.category},
    Finding.from_row,
)


def _caller_scope(info: Info) -> Scope:
    """The caller's data scope (a role that sees none: FORBIDDEN before any look-up)."""
    return access.data_scope(context_of(info).user)


@strawberry.type(description="Visit queries (merged into the service's Query).")
class Query:
    inspection = entity_field(Inspection, description="One inspection by id (within your scope).")

    inspections = list_field(
        Inspection,
        lambda info, request: INSPECTIONS.answer(info, _caller_scope(info), request),
        filter=InspectionFilter,
        sort=InspectionSortField.VISITED_ON,
        direction=SortDirection.DESC,
        description="Inspections in your scope: all for the bureau, your jurisdiction's for a town, "
        "your agency's for an agency, your own for an enterprise.",
        extensions=[roles(*access.READER_ROLES)],
    )

    finding = entity_field(Finding, description="One finding by id (within your scope).")

    findings = list_field(
        Finding,
        lambda info, request: FINDINGS.answer(info, _caller_scope(info), request),
        filter=FindingFilter,
        sort=FindingSortField.RECORDED_AT,
        direction=SortDirection.DESC,
        description="Findings in your scope (same rules as inspections).",
        extensions=[roles(*access.READER_ROLES)],
    )


@strawberry.type(description="Visit mutations (merged into the service's Mutation).")
class Mutation:
    @guarded_mutation(
        "Record an on-site visit (staff: for their own agency; the bureau names the agency).",
        *access.RECORDER_ROLES,
    )
    async def record_inspection(self, info: Info, input: RecordInspectionInput) -> Inspection:
        enterprise_id = parse_id(input.enterprise_id, "Enterprise")
        agency_id = None if input.agency_id is None else parse_id(input.agency_id, "Agency")
        row = await perform(
            info,
            service.record_inspection,
            enterprise_id=enterprise_id,
            visited_on=input.visited_on,
            summary=input.summary,
            agency_id=agency_id,
            today=china_today(),
        )
        return Inspection.from_row(row)

    @guarded_mutation(
        "Record a finding on a visit within your scope; FIX_BY_DEADLINE needs a deadline.",
        *access.RECORDER_ROLES,
    )
    async def record_finding(self, info: Info, input: RecordFindingInput) -> Finding:
        inspection_id = parse_id(input.inspection_id, "Inspection")
        row = await perform(
            info,
            service.record_finding,
            inspection_id=inspection_id,
            category=input.category.name,
            description=input.description,
            legal_basis=input.legal_basis,
            handling_class=input.handling_class.name,
            deadline=input.deadline,
        )
        return Finding.from_row(row)


TYPES: list[type] = [Enterprise, Inspection, Finding, Agency, Jurisdiction]
"""The entity types this area adds to the service schema (federation keys and references)."""
