"""Enterprises, read side: the filtered, sorted statements behind the list and the map."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ecosteward.errors import BadUserInput
from ecosteward.graphql import SortDirection
from ecosteward.repository import contains, live, order_by
from services.archive.access import Visibility
from services.archive.enterprises.domain import (
    BoundingBox,
    PermitCategory,
    SourceStatus,
    bounding_box_problem,
)
from services.archive.enterprises.models import EnterpriseRow

MAP_LIMIT = 2000
"""Sources on one map at most."""

SORT_COLUMNS: dict[str, Any] = {
    "NAME": EnterpriseRow.name,
    "CREDIT_CODE": EnterpriseRow.credit_code,
    "STATUS_CHANGED_AT": EnterpriseRow.status_changed_at,
}


@dataclass(frozen=True)
class EnterpriseCriteria:
    """Filters of the enterprise list and the map (``None``: no restriction)."""

    jurisdiction_id: uuid.UUID | None = None
    permit_category: PermitCategory | None = None
    status: SourceStatus | None = None
    key_source: bool | None = None
    industry_code: str | None = None
    """Industry codes starting with this prefix."""
    bounding_box: BoundingBox | None = None
    search: str | None = None
    """Substring of the name or credit code."""


def box_clause(box: BoundingBox) -> Any:
    """The sources inside ``box``; BAD_USER_INPUT for a box the map refuses."""
    if (problem := bounding_box_problem(box)) is not None:
        raise BadUserInput(problem, field="boundingBox")
    return sa.and_(
        EnterpriseRow.latitude.between(box.min_latitude, box.max_latitude),
        EnterpriseRow.longitude.between(box.min_longitude, box.max_longitude),
    )


def enterprise_statement(seen: Visibility, criteria: EnterpriseCriteria) -> sa.Select[Any]:
    """The live sources ``seen`` allows that match ``criteria``."""
    stmt = live(EnterpriseRow).where(seen.where())
    if criteria.jurisdiction_id is not None:
        stmt = stmt.where(EnterpriseRow.jurisdiction_id == criteria.jurisdiction_id)
    if criteria.permit_category is not None:
        stmt = stmt.where(EnterpriseRow.permit_category == criteria.permit_category.value)
    if criteria.status is not None:
        stmt = stmt.where(EnterpriseRow.status == criteria.status.value)
    if criteria.key_source is not None:
        stmt = stmt.where(EnterpriseRow.key_source.is_(criteria.key_source))
    if criteria.industry_code:
        stmt = stmt.where(
            EnterpriseRow.industry_code.startswith(criteria.industry_code.strip().upper(), autoescape=True)
        )
    if criteria.bounding_box is not None:
        stmt = stmt.where(box_clause(criteria.bounding_box))
    if criteria.search:
        stmt = stmt.where(
            sa.or_(
                contains(EnterpriseRow.name, criteria.search),
                contains(EnterpriseRow.credit_code, criteria.search),
            )
        )
    return stmt


def sorted_statement(stmt: sa.Select[Any], sort: str, direction: SortDirection) -> sa.Select[Any]:
    return order_by(stmt, SORT_COLUMNS, sort, direction, EnterpriseRow.id)


def map_statement(stmt: sa.Select[Any]) -> sa.Select[Any]:
    """``stmt`` limited to located sources, by name, at most :data:`MAP_LIMIT`."""
    stmt = stmt.where(EnterpriseRow.latitude.is_not(None))
    return stmt.order_by(EnterpriseRow.name, EnterpriseRow.id).limit(MAP_LIMIT)
