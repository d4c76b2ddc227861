"""Who may read and change what in the registry (数据范围): one rule per entity, used everywhere.

The by-id queries, the federation reference resolvers (``_entities``, what the gateway calls when
another subgraph points at a registry entity) and the mutations all go through these functions, so
a rule cannot differ between paths. Answers:

* a role that reads none of an entity: ``FORBIDDEN``, for every id alike (it tells nothing);
* an id the caller may not read: ``NOT_FOUND``, word for word what a missing id gets;
* a row the caller may read but not change: ``FORBIDDEN``.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from ecosteward.auth import Principal
from ecosteward.errors import Forbidden, NotFound
from ecosteward.graphql import context_of
from ecosteward.repository import load_live, parse_id, row_loader
from services.registry import service
from services.registry.models import AgencyRow, JurisdictionRow, ServiceContractRow, StaffRow

AGENCY_DIRECTORY = ("bureau_officer", "procurement_officer", "town_officer")
"""Roles that read every agency and staff file (towns contract agencies and issue permits)."""
DIRECTORY_READERS = (*AGENCY_DIRECTORY, "agency_admin", "agency_staff")
"""Roles that read agencies and staff files at all (agency users: their own)."""
AGENCY_READERS = (*DIRECTORY_READERS, "enterprise_user")
"""An enterprise reads the directory fields of the agencies that serve it (or served it)."""
CONTRACT_READERS = ("bureau_officer", "town_officer", "agency_admin", "agency_staff")
"""Roles that read contracts and filings at all (a town: its own; an agency: its own)."""
STAFF_EDITORS = ("bureau_officer", "agency_admin")

_SERVING = "registry:agencies-serving"


def hidden(what: str, entity_id: uuid.UUID) -> NotFound:
    """The answer for an id the caller may not see: the same as for an id that does not exist."""
    return NotFound(f"{what} {entity_id} does not exist (不存在).", id=str(entity_id))


# ------------------------------------------------------------------------------ jurisdictions


async def read_jurisdiction(info: Info[Any, Any], id: str | uuid.UUID) -> JurisdictionRow:
    """The directory is reference data: every signed-in user reads it (an enterprise its own town)."""
    return await load_live(info, JurisdictionRow, parse_id(id, "Jurisdiction"), "Jurisdiction")


# ------------------------------------------------------------------------------ agencies and staff


def agency_in_directory_scope(user: Principal, agency_id: uuid.UUID) -> bool:
    """Bureau, procurement and towns: every agency; agency users: their own."""
    if user.has_role(*AGENCY_DIRECTORY):
        return True
    return user.has_role("agency_admin", "agency_staff") and user.agency_id == agency_id


async def agency_visible(info: Info[Any, Any], user: Principal, agency_id: uuid.UUID) -> bool:
    if agency_in_directory_scope(user, agency_id):
        return True
    if user.has_role("enterprise_user") and user.enterprise_id is not None:
        ctx = context_of(info)
        serving = ctx.extras.get(_SERVING)
        if serving is None:  # once per request, however many agencies it resolves
            async with ctx.runtime.sessions() as session:
                serving = await service.agencies_serving(session, user.enterprise_id)
            ctx.extras[_SERVING] = serving
        return agency_id in serving
    return False


async def read_agency(info: Info[Any, Any], id: str | uuid.UUID) -> AgencyRow:
    """``agency(id)`` and ``Agency`` references."""
    user = context_of(info).user
    user.require_role(*AGENCY_READERS)
    agency_id = parse_id(id, "Agency")
    row = await row_loader(info, AgencyRow).load(agency_id)
    if row is None or row.deleted_at is not None or not await agency_visible(info, user, agency_id):
        raise hidden("Agency", agency_id)
    return row


def check_agency_editable(user: Principal, agency_id: uuid.UUID) -> None:
    """The bureau, or the agency's own admin; another agency's id is as good as unknown."""
    if user.has_role("bureau_officer") or (user.has_role("agency_admin") and user.agency_id == agency_id):
        return
    if not agency_in_directory_scope(user, agency_id):
        raise hidden("Agency", agency_id)
    raise Forbidden("Only the bureau or the agency's own admin may change this (无权修改).")


async def read_staff(info: Info[Any, Any], id: str | uuid.UUID) -> StaffRow:
    """``staffMember(id)``, ``hasValidWorkPermit(staffId)`` and ``Staff`` references."""
    user = context_of(info).user
    user.require_role(*DIRECTORY_READERS)
    staff_id = parse_id(id, "Staff")
    row = await row_loader(info, StaffRow).load(staff_id)
    if row is None or row.deleted_at is not None or not agency_in_directory_scope(user, row.agency_id):
        raise hidden("Staff", staff_id)
    return row


async def staff_for_change(session: AsyncSession, user: Principal, staff_id: uuid.UUID) -> StaffRow:
    row = await session.get(StaffRow, staff_id)
    # Missing and out of scope take the same path, so the answers cannot drift apart.
    if row is None or row.deleted_at is not None or not agency_in_directory_scope(user, row.agency_id):
        raise hidden("Staff", staff_id)
    check_agency_editable(user, row.agency_id)
    return row


# ------------------------------------------------------------------------------ contracts and filings


def contract_visible(user: Principal, jurisdiction_id: uuid.UUID, agency_id: uuid.UUID) -> bool:
    """Bureau: all. Town: its jurisdiction's. Agency users: their agency's."""
    if user.has_role("bureau_officer"):
        return True
    if user.has_role("town_officer") and user.jurisdiction_id == jurisdiction_id:
        return True
    return user.has_role("agency_admin", "agency_staff") and user.agency_id == agency_id


def contract_scope(statement: sa.Select[Any], user: Principal, model: Any) -> sa.Select[Any]:
    """The list form of :func:`contract_visible` (contracts and filings share the columns)."""
    if user.has_role("bureau_officer"):
        return statement
    clauses = []
    if user.has_role("town_officer") and user.jurisdiction_id is not None:
        clauses.append(model.jurisdiction_id == user.jurisdiction_id)
    if user.has_role("agency_admin", "agency_staff") and user.agency_id is not None:
        clauses.append(model.agency_id == user.agency_id)
    return statement.where(sa.or_(*clauses) if clauses else sa.false())


async def read_contract(info: Info[Any, Any], id: str | uuid.UUID) -> ServiceContractRow:
    """``serviceContract(id)`` and ``ServiceContract`` references (e.g. ``appraisals { contract }``)."""
    user = context_of(info).user
    user.require_role(*CONTRACT_READERS)
    contract_id = parse_id(id, "ServiceContract")
    row = await row_loader(info, ServiceContractRow).load(contract_id)
    if (
        row is None
        or row.deleted_at is not None
        or not contract_visible(user, row.jurisdiction_id, row.agency_id)
    ):
        raise hidden("ServiceContract", contract_id)
    return row


async def contract_for_change(
    session: AsyncSession, user: Principal, contract_id: uuid.UUID
) -> ServiceContractRow:
    """A contract the managing department changes: the bureau, or the town for its own."""
    row = await session.get(ServiceContractRow, contract_id)
    if (
        row is None
        or row.deleted_at is not None
        or not contract_visible(user, row.jurisdiction_id, row.agency_id)
    ):
        raise hidden("ServiceContract", contract_id)
    if not (
        user.has_role("bureau_officer")
        or (user.has_role("town_officer") and user.jurisdiction_id == row.jurisdiction_id)
    ):
        raise Forbidden("Only the managing department may change this contract (仅限本辖区).")
    return row
