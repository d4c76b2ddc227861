"""Appraisal GraphQL schema (thin: scope checks, then models and domain rules)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
import strawberry
from strawberry.types import Info

from ecosteward.errors import BadUserInput, Conflict, NotFound
from ecosteward.graphql import Connection, SortDirection, connection, context_of, paginate, roles
from ecosteward.references import Agency, ServiceContract
from ecosteward.repository import get_live, live, order_by, parse_id
from ecosteward.schema import build_schema
from ecosteward.scope import in_scope, restrict
from ecosteward.uniqueness import add_unique
from services.appraisal import domain
from services.appraisal.events import emit_appraisal
from services.appraisal.models import AppraisalRow, KnownContractRow

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
        return cls(
            id=strawberry.ID(str(row.id)),
            period=row.period,
            total_score=domain.tenths_to_score(row.total_score_tenths),
            status=AppraisalStatus[row.status],
            created_at=row.created_at,
            contract_id=row.contract_id,
            agency_id=row.agency_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Appraisal:
        """Used by ``appraisal(id)`` and ``_entities`` alike: one rule for both."""
        ctx = context_of(info)
        caller_scope = domain.data_scope(ctx.user)  # a role that sees none: FORBIDDEN before any look-up
        appraisal_id = parse_id(id, "Appraisal")
        async with ctx.runtime.sessions() as session:
            row = await session.get(AppraisalRow, appraisal_id)
        if (
            row is None
            or row.deleted_at is not None
            or not in_scope(caller_scope, domain.owners(row.agency_id, row.jurisdiction_id))
        ):
            # "Not yours" answers like "not there", so ids cannot be probed.
            raise NotFound(f"Appraisal {appraisal_id} does not exist (不存在).", id=str(appraisal_id))
        return cls.from_row(row)


_SCOPE_COLUMNS = {"agency_id": AppraisalRow.agency_id, "jurisdiction_id": AppraisalRow.jurisdiction_id}


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


@strawberry.type(description="Appraisal queries.")
class Query:
    @strawberry.field(description="One appraisal by id (within your scope).")
    async def appraisal(self, info: Info, id: strawberry.ID) -> Appraisal:
        return await Appraisal.resolve_reference(info, id)

    @strawberry.field(
        description="Appraisals in your scope: all for the bureau and procurement, your agency's for an "
        "agency admin, your jurisdiction's for a town.",
        extensions=[roles(*domain.READER_ROLES)],
    )
    async def appraisals(
        self,
        info: Info,
        filter: AppraisalFilter | None = None,
        sort: AppraisalSortField = AppraisalSortField.PERIOD,
        direction: SortDirection = SortDirection.DESC,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Appraisal]:
        ctx = context_of(info)
        stmt = restrict(live(AppraisalRow), domain.data_scope(ctx.user), _SCOPE_COLUMNS)
        if filter is not None:
            stmt = filter.apply(stmt)
        columns = {
            "PERIOD": AppraisalRow.period,
            "TOTAL_SCORE": AppraisalRow.total_score_tenths,
            "CREATED_AT": AppraisalRow.created_at,
        }
        stmt = order_by(stmt, columns, sort.name, direction, AppraisalRow.id)
        async with ctx.runtime.sessions() as session:
            rows, page, total = await paginate(session, stmt, first, after)
        return connection([Appraisal.from_row(r) for r in rows], page, total)


@strawberry.type(description="Appraisal mutations.")
class Mutation:
    @strawberry.mutation(
        description="Appraise a contract for a period (bureau only); the agency is taken from the contract.",
        extensions=[roles(*domain.APPRAISER_ROLES)],
    )
    async def create_appraisal(self, info: Info, input: CreateAppraisalInput) -> Appraisal:
        ctx = context_of(info)
        contract_id = parse_id(input.contract_id, "ServiceContract")
        period, tenths = domain.check_appraisal(input.period, input.total_score)
        async with ctx.runtime.unit_of_work() as uow:
            contract = await uow.session.get(KnownContractRow, contract_id)
            if contract is None:
                raise BadUserInput(
                    "Unknown contract: the registry has not announced it (合同不存在).",
                    code="UNKNOWN_CONTRACT",
                    field="contractId",
                )
            row = AppraisalRow(
                contract_id=contract_id,
                agency_id=contract.agency_id,
                jurisdiction_id=contract.jurisdiction_id,
                period=period.label,
                total_score_tenths=tenths,
                status=AppraisalStatus.DRAFT.name,
            )
            twin = sa.select(AppraisalRow.id).where(
                AppraisalRow.contract_id == contract_id, AppraisalRow.period == period.label
            )
            already = Conflict(
                f"The contract already has an appraisal for {period.label} (重复考核).", field="period"
            )
            await add_unique(uow.session, row, twin, already)
            emit_appraisal(uow, "created", row)
        return Appraisal.from_row(row)

    @strawberry.mutation(
        description="Confirm a draft appraisal as final (bureau only); a final appraisal never changes.",
        extensions=[roles(*domain.APPRAISER_ROLES)],
    )
    async def finalise_appraisal(self, info: Info, id: strawberry.ID) -> Appraisal:
        ctx = context_of(info)
        async with ctx.runtime.unit_of_work() as uow:
            row = await get_live(uow.session, AppraisalRow, parse_id(id, "Appraisal"), "Appraisal")
            domain.check_can_finalise(row.status)
            row.status = AppraisalStatus.FINAL.name
            await uow.session.flush()
            emit_appraisal(uow, "finalised", row)
        return Appraisal.from_row(row)


schema = build_schema(Query, Mutation, types=[Appraisal, ServiceContract, Agency])
