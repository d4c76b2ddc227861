"""Registry GraphQL schema (thin: checks, then models and domain rules)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
import strawberry
from strawberry.types import Info

from ecosteward.errors import Conflict, Forbidden, ValidationFailed
from ecosteward.graphql import Connection, SortDirection, connection, context_of, paginate, roles
from ecosteward.identifiers import credit_code_problem, normalise_credit_code
from ecosteward.repository import contains, get_live, live, order_by
from ecosteward.schema import build_schema
from services.registry import domain
from services.registry.models import AgencyRow, JurisdictionRow, ServiceContractRow

# ------------------------------------------------------------------------------------------ types


@strawberry.enum(description="Kind of managing unit.")
class JurisdictionKind(Enum):
    DISTRICT = "DISTRICT"
    TOWN = "TOWN"
    STREET = "STREET"
    PARK = "PARK"


@strawberry.enum(description="Admission status of an agency in the agency database (入库状态).")
class AgencyStatus(Enum):
    APPLIED = "APPLIED"
    ADMITTED = "ADMITTED"
    REFUSED = "REFUSED"
    SUSPENDED = "SUSPENDED"
    REMOVED = "REMOVED"


@strawberry.enum(description="Lifecycle state of a service contract.")
class ContractStatus(Enum):
    DRAFT = "DRAFT"
    SIGNED = "SIGNED"
    FILED = "FILED"
    RETURNED = "RETURNED"
    ACTIVE = "ACTIVE"
    ENDED = "ENDED"
    TERMINATED = "TERMINATED"


@strawberry.federation.type(
    keys=["id"],
    description="A managing unit: the district, a town/street or a park committee (街镇、管委会).",
)
class Jurisdiction:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    code: str = strawberry.field(description="Administrative code, unique.")
    name: str = strawberry.field(description="Name, e.g. 张江镇.")
    kind: JurisdictionKind = strawberry.field(description="District, town, street or park.")

    @classmethod
    def from_row(cls, row: JurisdictionRow) -> Jurisdiction:
        return cls(
            id=strawberry.ID(str(row.id)), code=row.code, name=row.name, kind=JurisdictionKind(row.kind)
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Jurisdiction:
        ctx = context_of(info)
        async with ctx.runtime.sessions() as session:
            row = await get_live(session, JurisdictionRow, _uuid(id), "Jurisdiction")
        return cls.from_row(row)


@strawberry.federation.type(
    keys=["id"], description="A third-party environmental service agency (第三方环保服务机构)."
)
class Agency:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    name: str = strawberry.field(description="Registered name.")
    credit_code: str = strawberry.field(description="Unified social credit code (统一社会信用代码).")
    status: AgencyStatus = strawberry.field(description="Admission status.")

    @classmethod
    def from_row(cls, row: AgencyRow) -> Agency:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            credit_code=row.credit_code,
            status=AgencyStatus(row.status),
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Agency:
        ctx = context_of(info)
        agency_id = _uuid(id)
        _check_agency_scope(ctx.user, agency_id)
        async with ctx.runtime.sessions() as session:
            return cls.from_row(await get_live(session, AgencyRow, agency_id, "Agency"))


@strawberry.federation.type(
    keys=["id"], description="A service contract (委托合同) between a managing department and an agency."
)
class ServiceContract:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    title: str = strawberry.field(description="Contract title.")
    price: Decimal = strawberry.field(description="Contract price in CNY, exact to the fen.")
    starts_on: dt.date = strawberry.field(description="First day of the service term.")
    ends_on: dt.date = strawberry.field(description="Last day of the service term.")
    contracted_tasks: int = strawberry.field(
        description="Number of contracted tasks (used by the appraisal)."
    )
    status: ContractStatus = strawberry.field(description="Lifecycle state.")
    agency_id: strawberry.Private[uuid.UUID]
    jurisdiction_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The contracted agency.")
    async def agency(self, info: Info) -> Agency:
        async with context_of(info).runtime.sessions() as session:
            return Agency.from_row(await get_live(session, AgencyRow, self.agency_id, "Agency"))

    @strawberry.field(description="The managing department that signed the contract.")
    async def jurisdiction(self, info: Info) -> Jurisdiction:
        async with context_of(info).runtime.sessions() as session:
            return Jurisdiction.from_row(
                await get_live(session, JurisdictionRow, self.jurisdiction_id, "Jurisdiction")
            )

    @classmethod
    def from_row(cls, row: ServiceContractRow) -> ServiceContract:
        return cls(
            id=strawberry.ID(str(row.id)),
            title=row.title,
            price=row.price,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            contracted_tasks=row.contracted_tasks,
            status=ContractStatus(row.status),
            agency_id=row.agency_id,
            jurisdiction_id=row.jurisdiction_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> ServiceContract:
        ctx = context_of(info)
        async with ctx.runtime.sessions() as session:
            row = await get_live(session, ServiceContractRow, _uuid(id), "ServiceContract")
        _check_contract_scope(ctx.user, row)
        return cls.from_row(row)


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
    kind: JurisdictionKind = strawberry.field(description="Kind of unit.")


@strawberry.input(description="Filters for agencies.")
class AgencyFilter:
    status: AgencyStatus | None = strawberry.field(default=None, description="Only this admission status.")
    search: str | None = strawberry.field(default=None, description="Substring of the name.")


@strawberry.input(description="An agency applying to the agency database.")
class RegisterAgencyInput:
    name: str = strawberry.field(description="Registered name.")
    credit_code: str = strawberry.field(description="Unified social credit code, 18 characters.")


@strawberry.input(description="A new contract, in draft.")
class CreateContractInput:
    title: str = strawberry.field(description="Contract title.")
    agency_id: strawberry.ID = strawberry.field(description="The agency (must be admitted).")
    jurisdiction_id: strawberry.ID = strawberry.field(description="The managing department.")
    price: Decimal = strawberry.field(description="Price in CNY, positive, at most 2 decimals.")
    starts_on: dt.date = strawberry.field(description="First day of the term.")
    ends_on: dt.date = strawberry.field(description="Last day of the term.")
    contracted_tasks: int = strawberry.field(description="Number of contracted tasks.")


@strawberry.input(description="Filters for contracts.")
class ContractFilter:
    status: ContractStatus | None = strawberry.field(default=None, description="Only this state.")
    jurisdiction_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this managing department."
    )
    agency_id: strawberry.ID | None = strawberry.field(default=None, description="Only this agency.")


# ------------------------------------------------------------------------------------------ scope


def _uuid(value: Any) -> uuid.UUID:
    from ecosteward.repository import parse_id

    return parse_id(value, "The")


def _check_agency_scope(user: Any, agency_id: uuid.UUID) -> None:
    if user.has_role("bureau_officer", "procurement_officer", "town_officer"):
        return
    if user.has_role("agency_admin", "agency_staff") and user.agency_id == agency_id:
        return
    raise Forbidden("You may only see your own agency (仅可查看本机构).")


def _check_contract_scope(user: Any, row: ServiceContractRow) -> None:
    if user.has_role("bureau_officer"):
        return
    if user.has_role("town_officer") and user.jurisdiction_id == row.jurisdiction_id:
        return
    if user.has_role("agency_admin", "agency_staff") and user.agency_id == row.agency_id:
        return
    raise Forbidden("This contract is outside your scope (超出数据范围).")


# ------------------------------------------------------------------------------------------ root


@strawberry.type(description="Registry queries.")
class Query:
    @strawberry.field(description="One managing unit by id.")
    async def jurisdiction(self, info: Info, id: strawberry.ID) -> Jurisdiction:
        return await Jurisdiction.resolve_reference(info, id)

    @strawberry.field(description="The jurisdictions directory (district, towns, streets, parks).")
    async def jurisdictions(
        self,
        info: Info,
        filter: JurisdictionFilter | None = None,
        sort: JurisdictionSortField = JurisdictionSortField.CODE,
        direction: SortDirection = SortDirection.ASC,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Jurisdiction]:
        ctx = context_of(info)
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
        columns = {"CODE": JurisdictionRow.code, "NAME": JurisdictionRow.name}
        stmt = order_by(stmt, columns, sort.value, direction, JurisdictionRow.id)
        async with ctx.runtime.sessions() as session:
            rows, page, total = await paginate(session, stmt, first, after)
        return connection([Jurisdiction.from_row(r) for r in rows], page, total)

    @strawberry.field(description="One agency by id.")
    async def agency(self, info: Info, id: strawberry.ID) -> Agency:
        return await Agency.resolve_reference(info, id)

    @strawberry.field(
        description="Agencies in the agency database; agency users see only their own.",
        extensions=[
            roles("bureau_officer", "procurement_officer", "town_officer", "agency_admin", "agency_staff")
        ],
    )
    async def agencies(
        self,
        info: Info,
        filter: AgencyFilter | None = None,
        direction: SortDirection = SortDirection.ASC,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Agency]:
        ctx = context_of(info)
        stmt = live(AgencyRow)
        if not ctx.user.has_role("bureau_officer", "procurement_officer", "town_officer"):
            stmt = stmt.where(AgencyRow.id == ctx.user.agency_id)
        if filter is not None:
            if filter.status is not None:
                stmt = stmt.where(AgencyRow.status == filter.status.value)
            if filter.search:
                stmt = stmt.where(contains(AgencyRow.name, filter.search))
        stmt = order_by(stmt, {"NAME": AgencyRow.name}, "NAME", direction, AgencyRow.id)
        async with ctx.runtime.sessions() as session:
            rows, page, total = await paginate(session, stmt, first, after)
        return connection([Agency.from_row(r) for r in rows], page, total)

    @strawberry.field(description="One contract by id.")
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
        direction: SortDirection = SortDirection.DESC,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ServiceContract]:
        ctx = context_of(info)
        user = ctx.user
        stmt = live(ServiceContractRow)
        if not user.has_role("bureau_officer"):
            if user.has_role("town_officer"):
                stmt = stmt.where(ServiceContractRow.jurisdiction_id == user.jurisdiction_id)
            else:
                stmt = stmt.where(ServiceContractRow.agency_id == user.agency_id)
        if filter is not None:
            if filter.status is not None:
                stmt = stmt.where(ServiceContractRow.status == filter.status.value)
            if filter.jurisdiction_id is not None:
                stmt = stmt.where(ServiceContractRow.jurisdiction_id == _uuid(filter.jurisdiction_id))
            if filter.agency_id is not None:
                stmt = stmt.where(ServiceContractRow.agency_id == _uuid(filter.agency_id))
        stmt = order_by(
            stmt, {"STARTS_ON": ServiceContractRow.starts_on}, "STARTS_ON", direction, ServiceContractRow.id
        )
        async with ctx.runtime.sessions() as session:
            rows, page, total = await paginate(session, stmt, first, after)
        return connection([ServiceContract.from_row(r) for r in rows], page, total)


@strawberry.type(description="Registry mutations.")
class Mutation:
    @strawberry.mutation(
        description="Add a managing unit to the directory (bureau only).",
        extensions=[roles("bureau_officer")],
    )
    async def create_jurisdiction(self, info: Info, input: CreateJurisdictionInput) -> Jurisdiction:
        ctx = context_of(info)
        code, name = input.code.strip(), input.name.strip()
        problems = []
        if not domain.JURISDICTION_CODE.match(code):
            problems.append({"field": "code", "message": "Use 2–32 letters, digits or dashes."})
        if not name:
            problems.append({"field": "name", "message": "A name is required."})
        if problems:
            raise ValidationFailed("The jurisdiction is not valid.", problems)
        async with ctx.runtime.unit_of_work() as uow:
            exists = await uow.session.scalar(
                sa.select(JurisdictionRow.id).where(JurisdictionRow.code == code)
            )
            if exists is not None:
                raise Conflict(f"A jurisdiction with code {code} already exists.", field="code")
            row = JurisdictionRow(code=code, name=name, kind=input.kind.value)
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
        description="Register an agency's application to the agency database (bureau only).",
        extensions=[roles("bureau_officer")],
    )
    async def register_agency(self, info: Info, input: RegisterAgencyInput) -> Agency:
        ctx = context_of(info)
        name, code = input.name.strip(), normalise_credit_code(input.credit_code)
        problems = []
        if not name:
            problems.append({"field": "name", "message": "A name is required."})
        if (problem := credit_code_problem(code)) is not None:
            problems.append({"field": "creditCode", "message": problem})
        if problems:
            raise ValidationFailed("The agency is not valid.", problems)
        async with ctx.runtime.unit_of_work() as uow:
            if (
                await uow.session.scalar(sa.select(AgencyRow.id).where(AgencyRow.credit_code == code))
                is not None
            ):
                raise Conflict(
                    f"An agency with credit code {code} is already registered.", field="creditCode"
                )
            row = AgencyRow(name=name, credit_code=code, status=AgencyStatus.APPLIED.value)
            uow.session.add(row)
            await uow.session.flush()
            uow.emit("agency", "registered", row.id, {"id": row.id, "name": name, "credit_code": code})
        return Agency.from_row(row)

    @strawberry.mutation(
        description="Draft a service contract; a town may only draft its own jurisdiction's contracts.",
        extensions=[roles("bureau_officer", "town_officer")],
    )
    async def create_service_contract(self, info: Info, input: CreateContractInput) -> ServiceContract:
        ctx = context_of(info)
        user = ctx.user
        jurisdiction_id, agency_id = _uuid(input.jurisdiction_id), _uuid(input.agency_id)
        if not user.has_role("bureau_officer") and user.jurisdiction_id != jurisdiction_id:
            raise Forbidden("A town may only sign its own jurisdiction's contracts (仅限本辖区).")
        domain.check_contract_terms(input.price, input.starts_on, input.ends_on, input.contracted_tasks)
        async with ctx.runtime.unit_of_work() as uow:
            await get_live(uow.session, JurisdictionRow, jurisdiction_id, "Jurisdiction")
            agency = await get_live(uow.session, AgencyRow, agency_id, "Agency")
            if agency.status != AgencyStatus.ADMITTED.value:
                raise Conflict(
                    "Contracts may only be signed with admitted agencies (机构未入库).",
                    code="AGENCY_NOT_ADMITTED",
                )
            row = ServiceContractRow(
                title=input.title.strip(),
                agency_id=agency_id,
                jurisdiction_id=jurisdiction_id,
                price=input.price,
                starts_on=input.starts_on,
                ends_on=input.ends_on,
                contracted_tasks=input.contracted_tasks,
                status=ContractStatus.DRAFT.value,
            )
            uow.session.add(row)
            await uow.session.flush()
            uow.emit(
                "contract",
                "drafted",
                row.id,
                {
                    "id": row.id,
                    "agency_id": agency_id,
                    "jurisdiction_id": jurisdiction_id,
                    "price": input.price,
                },
            )
        return ServiceContract.from_row(row)


schema = build_schema(Query, Mutation, types=[Jurisdiction, Agency, ServiceContract])
