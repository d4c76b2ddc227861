"""Appraisals GraphQL fragment (thin): types, inputs, and resolvers that check roles, parse input, call
``service`` / ``access`` and map rows to types. Merged into the service schema by ``../schema.py``."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
import strawberry
from strawberry.types import Info

from ecosteward.fields import entity_field, guarded_mutation, list_field
from ecosteward.graphql import SortDirection, context_of, roles
from ecosteward.listing import Listing, read_in_scope
from ecosteward.mapping import from_row, perform
from ecosteward.references import Agency, ServiceContract
from ecosteward.repository import parse_id
from services.appraisal import access
from services.appraisal.appraisals import domain, service
from services.appraisal.appraisals.models import AppraisalRow

# ------------------------------------------------------------------------------------------ enums


@strawberry.enum(description="State of an appraisal (考核状态).")
class AppraisalStatus(Enum):
    DRAFT = strawberry.enum_value("DRAFT", description="Being prepared; the score may still change (草稿).")
    FINAL = strawberry.enum_value("FINAL", description="Confirmed by the bureau; never changed (已确定).")


@strawberry.enum(description="Sort keys for appraisals.")
class AppraisalSortField(Enum):
    PERIOD = strawberry.enum_value("PERIOD", description="Appraisal period (years before their quarters).")
    TOTAL_SCORE = strawberry.enum_value("TOTAL_SCORE", description="Total score.")
    CREATED_AT = strawberry.enum_value("CREATED_AT", description="When the appraisal was created.")


# ------------------------------------------------------------------------------------------ types


@strawberry.federation.type(
    keys=["id"],
    description="A performance appraisal (绩效考核) of one contract for one period, out of 100 points.",
)
class Appraisal:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    period: str = strawberry.field(description="The period appraised: a year (2026) or a quarter (2026-Q3).")
    total_score: Decimal = strawberry.field(description="Total score, 0–100 with one decimal place (总分).")
    status: AppraisalStatus = strawberry.field(description="Draft or final.")
    created_at: dt.datetime = strawberry.field(description="When the appraisal was created (UTC).")
    contract_id: strawberry.Private[uuid.UUID]
    agency_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The contract appraised.")
    def contract(self) -> ServiceContract:
        return ServiceContract(id=strawberry.ID(str(self.contract_id)))

    @strawberry.field(description="The contracted agency (taken from the contract).")
    def agency(self) -> Agency:
        return Agency(id=strawberry.ID(str(self.agency_id)))

    @classmethod
    def from_row(cls, row: AppraisalRow) -> Appraisal:
        return from_row(cls, row, total_score=domain.tenths_to_score(row.total_score_tenths))

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Appraisal:
        """Used by ``appraisal(id)`` and ``_entities`` alike: one rule for both."""
        caller_scope = access.data_scope(context_of(info).user)  # a role that sees none: FORBIDDEN first
        return cls.from_row(await read_in_scope(info, AppraisalRow, id, "Appraisal", caller_scope))


APPRAISALS = Listing(
    AppraisalRow,
    {
        "PERIOD": AppraisalRow.period,
        "TOTAL_SCORE": AppraisalRow.total_score_tenths,
        "CREATED_AT": AppraisalRow.created_at,
    },
    Appraisal.from_row,
)


# ------------------------------------------------------------------------------------------ inputs


@strawberry.input(description="Filters for appraisals.")
class AppraisalFilter:
    contract_id: strawberry.ID | None = strawberry.field(default=None, description="Only this contract.")
    agency_id: strawberry.ID | None = strawberry.field(default=None, description="Only this agency.")
    jurisdiction_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this jurisdiction."
    )
    period: str | None = strawberry.field(default=None, description="Only this period (2026 or 2026-Q3).")
    status: AppraisalStatus | None = strawberry.field(default=None, description="Only this state.")
    min_score: Decimal | None = strawberry.field(default=None, description="Only scores at or above this.")

    def apply(self, stmt: sa.Select[Any]) -> sa.Select[Any]:
        if self.contract_id is not None:
            stmt = stmt.where(AppraisalRow.contract_id == parse_id(self.contract_id, "ServiceContract"))
        if self.agency_id is not None:
            stmt = stmt.where(AppraisalRow.agency_id == parse_id(self.agency_id, "Agency"))
        if self.jurisdiction_id is not None:
            stmt = stmt.where(AppraisalRow.jurisdiction_id == parse_id(self.jurisdiction_id, "Jurisdiction"))
        if self.period is not None:
            stmt = stmt.where(AppraisalRow.period == domain.parse_period(self.period).label)
        if self.status is not None:
            stmt = stmt.where(AppraisalRow.status == self.status.name)
        if self.min_score is not None:
            stmt = stmt.where(AppraisalRow.total_score_tenths >= domain.tenths_at_least(self.min_score))
        return stmt


@strawberry.input(description="A new appraisal, created as a draft.")
class CreateAppraisalInput:
    contract_id: strawberry.ID = strawberry.field(description="The contract appraised (must be known).")
    period: str = strawberry.field(description="A year (2026) or a quarter (2026-Q3); one appraisal each.")
    total_score: Decimal = strawberry.field(description="Total score, 0–100, at most one decimal place.")


# ------------------------------------------------------------------------------------------ root


@strawberry.type(description="Appraisal queries (merged into the service's Query).")
class Query:
    appraisal = entity_field(Appraisal, description="One appraisal by id (within your scope).")

    appraisals = list_field(
        Appraisal,
        lambda info, request: APPRAISALS.answer(info, access.data_scope(context_of(info).user), request),
        filter=AppraisalFilter,
        sort=AppraisalSortField.PERIOD,
        direction=SortDirection.DESC,
        description="Appraisals in your scope: all for the bureau and procurement, your agency's for an "
        "agency admin, your jurisdiction's for a town.",
        extensions=[roles(*access.READER_ROLES)],
    )


@strawberry.type(description="Appraisal mutations (merged into the service's Mutation).")
class Mutation:
    @guarded_mutation(
        "Appraise a contract for a period (bureau only); the agency is taken from the contract.",
        *access.APPRAISER_ROLES,
    )
    async def create_appraisal(self, info: Info, input: CreateAppraisalInput) -> Appraisal:
        contract_id = parse_id(input.contract_id, "ServiceContract")
        row = await perform(
            info,
            service.create_appraisal,
            contract_id=contract_id,
            period=input.period,
            total_score=input.total_score,
        )
        return Appraisal.from_row(row)

    @guarded_mutation(
        "Confirm a draft appraisal as final (bureau only); a final appraisal never changes.",
        *access.APPRAISER_ROLES,
    )
    async def finalise_appraisal(self, info: Info, id: strawberry.ID) -> Appraisal:
        return Appraisal.from_row(await perform(info, service.finalise_appraisal, parse_id(id, "Appraisal")))


TYPES: list[type] = [Appraisal, ServiceContract, Agency]
"""The entity types this area adds to the service schema (federation keys and references)."""
