"""Jurisdictions in GraphQL: the directory type, its queries and ``createJurisdiction``."""

from __future__ import annotations

from enum import Enum

import sqlalchemy as sa
import strawberry
from strawberry.types import Info

from ecosteward.fields import PageRequest, entity_field, guarded_mutation, list_field, reference_reader
from ecosteward.graphql import Connection, SortDirection
from ecosteward.identity import Role
from ecosteward.listing import page_of
from ecosteward.mapping import from_row, perform
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
        return from_row(cls, row)

    resolve_reference = reference_reader(access.read_jurisdiction)


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


async def _jurisdiction_page(info: Info, request: PageRequest[Jurisdiction]) -> Connection[Jurisdiction]:
    filter: JurisdictionFilter | None = request.filter
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
        request.sort.value,
        request.direction,
        JurisdictionRow.id,
    )
    return await page_of(info, stmt, request.first, request.after, Jurisdiction.from_row)


@strawberry.type
class Query:
    jurisdiction = entity_field(Jurisdiction, description="One managing unit by id.")

    jurisdictions = list_field(
        Jurisdiction,
        _jurisdiction_page,
        filter=JurisdictionFilter,
        sort=JurisdictionSortField.CODE,
        direction=SortDirection.ASC,
        description="The jurisdictions directory (district, towns, streets, parks); readable by every signed-in user.",
    )


@strawberry.type
class Mutation:
    @guarded_mutation("Add a managing unit to the directory (bureau only).", Role.BUREAU_OFFICER)
    async def create_jurisdiction(self, info: Info, input: CreateJurisdictionInput) -> Jurisdiction:
        row = await perform(
            info, service.create_jurisdiction, input.code, input.name, input.kind, name_en=input.name_en
        )
        return Jurisdiction.from_row(row)
