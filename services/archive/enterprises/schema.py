"""Enterprises GraphQL: the Enterprise entity, the list and map queries, the master-data mutations."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from ecosteward.clock import china_today
from ecosteward.fields import PageRequest, children_field, entity_field, guarded_mutation, list_field
from ecosteward.graphql import Connection, SortDirection, context_of, roles
from ecosteward.identity import Role
from ecosteward.listing import page_of
from ecosteward.mapping import copy_into, from_row, perform
from ecosteward.references import Jurisdiction
from ecosteward.repository import parse_id
from services.archive import access
from services.archive.classification.schema import (
    Classification,
    RiskLabels,
    classification_of,
    risk_labels_of,
)
from services.archive.documents.schema import EnterpriseArchive, archive_of
from services.archive.enterprises import domain, queries, service
from services.archive.enterprises.domain import PermitCategory, SourceStatus
from services.archive.enterprises.models import EnterpriseRow, EnterpriseStatusChangeRow

READERS = (Role.BUREAU_OFFICER, Role.TOWN_OFFICER, Role.AGENCY_ADMIN, Role.AGENCY_STAFF, Role.ENTERPRISE_USER)
EDITORS = (Role.BUREAU_OFFICER, Role.TOWN_OFFICER)

# The domain's enums, registered with strawberry once, here.
strawberry.enum(PermitCategory, description="Pollutant discharge permit category (排污许可管理类别).")
strawberry.enum(SourceStatus, description="Operating status of a pollution source.")


@strawberry.type(description="A status change of a pollution source, with its reason.")
class EnterpriseStatusChange:
    from_status: SourceStatus | None = strawberry.field(description="Status before (none at registration).")
    to_status: SourceStatus = strawberry.field(description="Status after.")
    reason: str = strawberry.field(description="Why.")
    changed_at: dt.datetime = strawberry.field(description="When (UTC).")
    changed_by: str = strawberry.field(description="Who (username).")


@strawberry.federation.type(keys=["id"], description="An enterprise / pollution source (排污单位, 污染源).")
class Enterprise:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    credit_code: str = strawberry.field(description="Unified social credit code (统一社会信用代码).")
    name: str = strawberry.field(description="Registered name.")
    address: str = strawberry.field(description="Site address.")
    industry_code: str = strawberry.field(
        description="GB/T 4754-2017 industry code (国民经济行业分类), e.g. C2614."
    )
    latitude: float | None = strawberry.field(description="WGS-84 latitude of the site (for the map).")
    longitude: float | None = strawberry.field(description="WGS-84 longitude of the site (for the map).")
    permit_category: PermitCategory = strawberry.field(description="Permit management category.")
    status: SourceStatus = strawberry.field(description="Operating status.")
    status_changed_at: dt.datetime | None = strawberry.field(
        description="When the status last changed (UTC)."
    )
    key_source: bool = strawberry.field(
        description="Classified as a key source (重点污染源); reasons under classification."
    )
    jurisdiction_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The jurisdiction the source belongs to.")
    def jurisdiction(self) -> Jurisdiction:
        return Jurisdiction(id=strawberry.ID(str(self.jurisdiction_id)))

    @strawberry.field(description="Key or general source today, and why (重点/一般污染源).")
    async def classification(self, info: Info) -> Classification:
        return await classification_of(info, self.id)

    @strawberry.field(description="Current risk labels (null: never labelled).")
    async def risk_labels(self, info: Info) -> RiskLabels | None:
        return await risk_labels_of(info, self.id)

    @strawberry.field(
        description="The one file per source (一源一档): E.1 items, documents and completeness."
    )
    async def archive(self, info: Info) -> EnterpriseArchive:
        return await archive_of(info, self.id)

    status_history = children_field(
        EnterpriseStatusChange,
        EnterpriseStatusChangeRow.enterprise_id,
        "Enterprise",
        EnterpriseStatusChangeRow.changed_at,
        description="Status history, oldest first.",
    )

    @classmethod
    def from_row(cls, row: EnterpriseRow) -> Enterprise:
        return from_row(cls, row)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Enterprise:
        """``_entities`` and ``enterprise(id)``: one rule (:func:`access.load_visible_enterprise`)."""
        return cls.from_row(await access.load_visible_enterprise(info, parse_id(id, "Enterprise")))


@strawberry.input(description="A rectangle on the map, in WGS-84 degrees.")
class BoundingBox:
    min_latitude: float = strawberry.field(description="Southern edge.")
    min_longitude: float = strawberry.field(description="Western edge.")
    max_latitude: float = strawberry.field(description="Northern edge.")
    max_longitude: float = strawberry.field(description="Eastern edge.")


@strawberry.input(description="Filters for the enterprise list and the map.")
class EnterpriseFilter:
    jurisdiction_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this jurisdiction."
    )
    permit_category: PermitCategory | None = strawberry.field(
        default=None, description="Only this permit category."
    )
    status: SourceStatus | None = strawberry.field(default=None, description="Only this status.")
    key_source: bool | None = strawberry.field(
        default=None, description="Only key (true) or general (false) sources."
    )
    industry_code: str | None = strawberry.field(
        default=None, description="Only industry codes starting with this prefix."
    )
    bounding_box: BoundingBox | None = strawberry.field(
        default=None, description="Only sources located inside this box."
    )
    search: str | None = strawberry.field(default=None, description="Substring of the name or credit code.")


@strawberry.enum(description="Sort keys for enterprises.")
class EnterpriseSortField(Enum):
    NAME = "NAME"
    CREDIT_CODE = "CREDIT_CODE"
    STATUS_CHANGED_AT = "STATUS_CHANGED_AT"


@strawberry.input(description="A new pollution source.")
class RegisterEnterpriseInput:
    credit_code: str = strawberry.field(description="Unified social credit code (validated, unique).")
    name: str = strawberry.field(description="Registered name.")
    jurisdiction_id: strawberry.ID = strawberry.field(
        description="The jurisdiction (must exist in the registry)."
    )
    permit_category: PermitCategory = strawberry.field(description="Permit management category.")
    address: str = strawberry.field(default="", description="Site address.")
    industry_code: str = strawberry.field(default="", description="GB/T 4754 industry code, e.g. C2614.")
    latitude: float | None = strawberry.field(default=None, description="WGS-84 latitude.")
    longitude: float | None = strawberry.field(default=None, description="WGS-84 longitude.")


@strawberry.input(description="Changes to a source's master data (unset fields stay).")
class UpdateEnterpriseInput:
    name: str | None = strawberry.field(default=None, description="Registered name.")
    address: str | None = strawberry.field(default=None, description="Site address.")
    industry_code: str | None = strawberry.field(default=None, description="GB/T 4754 industry code.")
    latitude: float | None = strawberry.field(default=None, description="WGS-84 latitude (with longitude).")
    longitude: float | None = strawberry.field(default=None, description="WGS-84 longitude (with latitude).")
    permit_category: PermitCategory | None = strawberry.field(
        default=None, description="Permit category (re-classifies)."
    )


def _criteria(filter: EnterpriseFilter | None) -> queries.EnterpriseCriteria:
    if filter is None:
        return queries.EnterpriseCriteria()
    box = filter.bounding_box
    return queries.EnterpriseCriteria(
        jurisdiction_id=(
            parse_id(filter.jurisdiction_id, "Jurisdiction") if filter.jurisdiction_id is not None else None
        ),
        permit_category=filter.permit_category,
        status=filter.status,
        key_source=filter.key_source,
        industry_code=filter.industry_code,
        bounding_box=(
            domain.BoundingBox(box.min_latitude, box.min_longitude, box.max_latitude, box.max_longitude)
            if box is not None
            else None
        ),
        search=filter.search,
    )


async def _visible_statement(info: Info, filter: EnterpriseFilter | None) -> Any:
    seen = await access.request_visibility(info)
    return queries.enterprise_statement(seen, _criteria(filter))


async def _enterprise_page(info: Info, request: PageRequest[Enterprise]) -> Connection[Enterprise]:
    statement = await _visible_statement(info, request.filter)
    statement = queries.sorted_statement(statement, request.sort.value, request.direction)
    return await page_of(info, statement, request.first, request.after, Enterprise.from_row)


def _feature(row: EnterpriseRow) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": str(row.id),
        "geometry": {"type": "Point", "coordinates": [row.longitude, row.latitude]},
        "properties": {
            "name": row.name,
            "creditCode": row.credit_code,
            "jurisdictionId": str(row.jurisdiction_id),
            "permitCategory": row.permit_category,
            "status": row.status,
            "keySource": row.key_source,
            "industryCode": row.industry_code,
        },
    }


@strawberry.type(description="Archive queries: enterprises and the map.")
class Query:
    enterprise = entity_field(
        Enterprise,
        description="One enterprise by id, within your scope (NOT_FOUND alike for an unknown id and for one "
        "outside your scope).",
    )

    enterprises = list_field(
        Enterprise,
        _enterprise_page,
        filter=EnterpriseFilter,
        sort=EnterpriseSortField.NAME,
        direction=SortDirection.ASC,
        description="Pollution sources in your scope: all for the bureau, your jurisdiction's for a town, your "
        "contracts' for an agency, your own for an enterprise.",
        extensions=[roles(*READERS)],
    )

    @strawberry.field(
        description=f"Sources with a position for the map (filters as for `enterprises`, at most "
        f"{queries.MAP_LIMIT}).",
        extensions=[roles(*READERS)],
    )
    async def enterprise_map(self, info: Info, filter: EnterpriseFilter | None = None) -> list[Enterprise]:
        rows = await _map_rows(info, filter)
        return [Enterprise.from_row(r) for r in rows]

    @strawberry.field(
        description="The same sources as a GeoJSON FeatureCollection (points, with labels as properties).",
        extensions=[roles(*READERS)],
    )
    async def enterprises_geo_json(self, info: Info, filter: EnterpriseFilter | None = None) -> JSON:
        rows = await _map_rows(info, filter)
        collection: dict[str, Any] = {"type": "FeatureCollection", "features": [_feature(r) for r in rows]}
        return collection  # type: ignore[return-value]  # JSON is a scalar alias of Any-shaped data


async def _map_rows(info: Info, filter: EnterpriseFilter | None) -> list[EnterpriseRow]:
    stmt = queries.map_statement(await _visible_statement(info, filter))
    async with context_of(info).runtime.sessions() as session:
        return list((await session.execute(stmt)).scalars().all())


@strawberry.type(description="Archive mutations: enterprises.")
class Mutation:
    @guarded_mutation(
        "Register a pollution source (the bureau, or a town for its own jurisdiction); its enterprise "
        "account (username = credit code) is created in Keycloak.",
        *EDITORS,
    )
    async def register_enterprise(self, info: Info, input: RegisterEnterpriseInput) -> Enterprise:
        data = copy_into(
            service.EnterpriseInput, input, jurisdiction_id=parse_id(input.jurisdiction_id, "Jurisdiction")
        )
        return Enterprise.from_row(await perform(info, service.register_enterprise, data, china_today()))

    @guarded_mutation("Change a source's master data (the bureau, or its town).", *EDITORS)
    async def update_enterprise(
        self, info: Info, id: strawberry.ID, input: UpdateEnterpriseInput
    ) -> Enterprise:
        enterprise_id = parse_id(id, "Enterprise")
        changes = copy_into(service.EnterpriseChanges, input)
        row = await perform(info, service.update_enterprise, enterprise_id, changes, china_today())
        return Enterprise.from_row(row)

    @guarded_mutation(
        "Record that a source relocates, closes (its account is disabled) or operates again, with a reason.",
        *EDITORS,
    )
    async def change_enterprise_status(
        self, info: Info, id: strawberry.ID, status: SourceStatus, reason: str
    ) -> Enterprise:
        enterprise_id = parse_id(id, "Enterprise")
        return Enterprise.from_row(await perform(info, service.change_status, enterprise_id, status, reason))
