"""Jurisdictions in GraphQL: the directory type, its queries and ``createJurisdiction``."""

from __future__ import annotations

from enum import Enum

import sqlalchemy as sa
import strawberry
from strawberry.types import Info

from ecosteward.graphql import Connection, SortDirection, context_of, roles
from ecosteward.identity import Role
from ecosteward.listing import page_of
from ecosteward.repository import contains, live, order_by
from services.registry import access
from services.registry.jurisdictions import domain, service
from services.registry.jurisdictions.models import JurisdictionRow

strawberry.enum(
    domain.JurisdictionKind,
    name="JurisdictionKind",
    description="Kind of managing unit: the district, a town (镇), a street (街道) or a park committee (管委会).",
)

JurisdictionKind = domain.JurisdictionKind


@strawberry.federation.type(
    keys=["id"],
    description="A managing unit: the district, a town/street or a park committee (街镇、管委会).",
)
class Jurisdiction:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    code: str = strawberry.field(description="Administrative code, unique.")
    name: str = strawberry.field(description="Name, e.g. 张江镇.")
    name_en: str = strawberry.field(description="English name.")
    kind: JurisdictionKind = strawberry.field(description="District, town, street or park.")

    @classmethod
    def from_row(cls, row: JurisdictionRow) -> Jurisdiction:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            name=row.name,
            name_en=row.name_en,
            kind=domain.JurisdictionKind(row.kind),
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Jurisdiction:
        """``jurisdiction(id)`` and ``_entities`` alike (``access.read_jurisdiction``)."""
        return cls.from_row(await access.read_jurisdiction(info, id))


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
    name_en: str = strawberry.field(default="", description="English name.")
    kind: JurisdictionKind = strawberry.field(description="Kind of unit.")


@strawberry.type
class Query:
    @strawberry.field(description="One managing unit by id.")
    async def jurisdiction(self, info: Info, id: strawberry.ID) -> Jurisdiction:
        return await Jurisdiction.resolve_reference(info, id)

    @strawberry.field(
        description="The jurisdictions directory (district, towns, streets, parks); readable by every signed-in user."
    )
    async def jurisdictions(
        self,
        info: Info,
        filter: JurisdictionFilter | None = None,
        sort: JurisdictionSortField = JurisdictionSortField.CODE,
        direction: SortDirection = SortDirection.ASC,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Jurisdiction]:
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
        stmt = order_by(
            stmt,
            {"CODE": JurisdictionRow.code, "NAME": JurisdictionRow.name},
            sort.value,
            direction,
            JurisdictionRow.id,
        )
        return await page_of(info, stmt, first, after, Jurisdiction.from_row)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Add a managing unit to the directory (bureau only).",
        extensions=[roles(Role.BUREAU_OFFICER)],
    )
    async def create_jurisdiction(self, info: Info, input: CreateJurisdictionInput) -> Jurisdiction:
        async with context_of(info).runtime.unit_of_work() as uow:
            row = await service.create_jurisdiction(
                uow, context_of(info).user, input.code, input.name, input.kind, name_en=input.name_en
            )
        return Jurisdiction.from_row(row)
