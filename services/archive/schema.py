"""Archive GraphQL schema."""

from __future__ import annotations

import uuid
from enum import Enum
from typing import Any

import sqlalchemy as sa
import strawberry
from strawberry.tools import merge_types
from strawberry.types import Info

from ecosteward.auth import Principal
from ecosteward.errors import BadUserInput, Conflict, Forbidden, ValidationFailed
from ecosteward.graphql import Connection, SortDirection, connection, context_of, paginate, roles
from ecosteward.identifiers import credit_code_problem, normalise_credit_code
from ecosteward.references import Jurisdiction
from ecosteward.repository import contains, get_live, live, order_by, parse_id
from ecosteward.schema import build_schema
from ecosteward.scope import check_in_scope, restrict
from services.archive import domain
from services.archive.areas import contributions
from services.archive.models import EnterpriseRow, KnownJurisdictionRow


@strawberry.enum(description="Pollutant discharge permit category (排污许可管理类别).")
class PermitCategory(Enum):
    KEY = "KEY"
    SIMPLIFIED = "SIMPLIFIED"
    REGISTRATION = "REGISTRATION"


@strawberry.enum(description="Operating status of a pollution source.")
class SourceStatus(Enum):
    OPERATING = "OPERATING"
    RELOCATING = "RELOCATING"
    CLOSED = "CLOSED"


@strawberry.federation.type(keys=["id"], description="An enterprise / pollution source (排污单位, 污染源).")
class Enterprise:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    credit_code: str = strawberry.field(description="Unified social credit code (统一社会信用代码).")
    name: str = strawberry.field(description="Registered name.")
    address: str = strawberry.field(description="Site address.")
    permit_category: PermitCategory = strawberry.field(description="Permit management category.")
    status: SourceStatus = strawberry.field(description="Operating status.")
    jurisdiction_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The jurisdiction the source belongs to.")
    def jurisdiction(self) -> Jurisdiction:
        return Jurisdiction(id=strawberry.ID(str(self.jurisdiction_id)))

    @classmethod
    def from_row(cls, row: EnterpriseRow) -> Enterprise:
        return cls(
            id=strawberry.ID(str(row.id)),
            credit_code=row.credit_code,
            name=row.name,
            address=row.address,
            permit_category=PermitCategory(row.permit_category),
            status=SourceStatus(row.status),
            jurisdiction_id=row.jurisdiction_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Enterprise:
        ctx = context_of(info)
        async with ctx.runtime.sessions() as session:
            row = await get_live(session, EnterpriseRow, parse_id(id, "Enterprise"), "Enterprise")
        check_enterprise_scope(ctx.user, row)
        return cls.from_row(row)


def check_enterprise_scope(user: Principal, row: EnterpriseRow) -> None:
    """An enterprise never sees another's data; a town sees its own jurisdiction's."""
    owners = {"jurisdiction_id": row.jurisdiction_id, "enterprise_id": row.id}
    check_in_scope(domain.data_scope(user), owners, "This enterprise is outside your scope (超出数据范围).")


def scoped(statement: sa.Select[Any], user: Principal) -> sa.Select[Any]:
    columns = {"jurisdiction_id": EnterpriseRow.jurisdiction_id, "enterprise_id": EnterpriseRow.id}
    return restrict(statement, domain.data_scope(user), columns)


@strawberry.input(description="Filters for the enterprise list.")
class EnterpriseFilter:
    jurisdiction_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this jurisdiction."
    )
    permit_category: PermitCategory | None = strawberry.field(
        default=None, description="Only this permit category."
    )
    status: SourceStatus | None = strawberry.field(default=None, description="Only this status.")
    search: str | None = strawberry.field(default=None, description="Substring of the name or credit code.")


@strawberry.enum(description="Sort keys for enterprises.")
class EnterpriseSortField(Enum):
    NAME = "NAME"
    CREDIT_CODE = "CREDIT_CODE"


@strawberry.input(description="A new pollution source.")
class RegisterEnterpriseInput:
    credit_code: str = strawberry.field(description="Unified social credit code (validated, unique).")
    name: str = strawberry.field(description="Registered name.")
    address: str = strawberry.field(default="", description="Site address.")
    jurisdiction_id: strawberry.ID = strawberry.field(
        description="The jurisdiction (must exist in the registry)."
    )
    permit_category: PermitCategory = strawberry.field(description="Permit management category.")


@strawberry.type(description="Archive queries: enterprises.")
class EnterpriseQuery:
    @strawberry.field(description="One enterprise by id (within your scope).")
    async def enterprise(self, info: Info, id: strawberry.ID) -> Enterprise:
        return await Enterprise.resolve_reference(info, id)

    @strawberry.field(
        description="Enterprises in your scope: all for the bureau, your jurisdiction's for a town, your own for an enterprise.",
        extensions=[roles("bureau_officer", "town_officer", "enterprise_user")],
    )
    async def enterprises(
        self,
        info: Info,
        filter: EnterpriseFilter | None = None,
        sort: EnterpriseSortField = EnterpriseSortField.NAME,
        direction: SortDirection = SortDirection.ASC,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Enterprise]:
        ctx = context_of(info)
        stmt = scoped(live(EnterpriseRow), ctx.user)
        if filter is not None:
            if filter.jurisdiction_id is not None:
                stmt = stmt.where(
                    EnterpriseRow.jurisdiction_id == parse_id(filter.jurisdiction_id, "Jurisdiction")
                )
            if filter.permit_category is not None:
                stmt = stmt.where(EnterpriseRow.permit_category == filter.permit_category.value)
            if filter.status is not None:
                stmt = stmt.where(EnterpriseRow.status == filter.status.value)
            if filter.search:
                stmt = stmt.where(
                    sa.or_(
                        contains(EnterpriseRow.name, filter.search),
                        contains(EnterpriseRow.credit_code, filter.search),
                    )
                )
        columns = {"NAME": EnterpriseRow.name, "CREDIT_CODE": EnterpriseRow.credit_code}
        stmt = order_by(stmt, columns, sort.value, direction, EnterpriseRow.id)
        async with ctx.runtime.sessions() as session:
            rows, page, total = await paginate(session, stmt, first, after)
        return connection([Enterprise.from_row(r) for r in rows], page, total)


@strawberry.type(description="Archive mutations: enterprises.")
class EnterpriseMutation:
    @strawberry.mutation(
        description="Register a pollution source; a town may only register sources in its own jurisdiction.",
        extensions=[roles("bureau_officer", "town_officer")],
    )
    async def register_enterprise(self, info: Info, input: RegisterEnterpriseInput) -> Enterprise:
        ctx = context_of(info)
        user = ctx.user
        code = normalise_credit_code(input.credit_code)
        jurisdiction_id = parse_id(input.jurisdiction_id, "Jurisdiction")
        if not user.has_role("bureau_officer") and user.jurisdiction_id != jurisdiction_id:
            raise Forbidden("A town may only register sources in its own jurisdiction (仅限本辖区).")
        problems = []
        if (problem := credit_code_problem(code)) is not None:
            problems.append({"field": "creditCode", "message": problem})
        if not input.name.strip():
            problems.append({"field": "name", "message": "A name is required."})
        if problems:
            raise ValidationFailed("The enterprise is not valid (企业信息有误).", problems)
        async with ctx.runtime.unit_of_work() as uow:
            if await uow.session.get(KnownJurisdictionRow, jurisdiction_id) is None:
                raise BadUserInput(
                    "Unknown jurisdiction: the registry has not announced it (辖区不存在).",
                    code="UNKNOWN_JURISDICTION",
                    field="jurisdictionId",
                )
            if (
                await uow.session.scalar(sa.select(EnterpriseRow.id).where(EnterpriseRow.credit_code == code))
                is not None
            ):
                raise Conflict(
                    f"An enterprise with credit code {code} is already registered (重复登记).",
                    field="creditCode",
                )
            row = EnterpriseRow(
                credit_code=code,
                name=input.name.strip(),
                address=input.address.strip(),
                jurisdiction_id=jurisdiction_id,
                permit_category=input.permit_category.value,
                status=SourceStatus.OPERATING.value,
            )
            uow.session.add(row)
            await uow.session.flush()
            uow.emit(
                "enterprise",
                "registered",
                row.id,
                {"id": row.id, "credit_code": code, "name": row.name, "jurisdiction_id": jurisdiction_id},
            )
        return Enterprise.from_row(row)


Query = merge_types("Query", (EnterpriseQuery, *contributions("schema", "Query")))
Mutation = merge_types("Mutation", (EnterpriseMutation, *contributions("schema", "Mutation")))
schema = build_schema(Query, Mutation, types=[Enterprise, Jurisdiction])
