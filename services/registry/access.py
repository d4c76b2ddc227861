"""Who may read and change what in the registry (数据范围): the service's one access policy.

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

from ecosteward.errors import Forbidden, NotFound
from ecosteward.graphql import context_of
from ecosteward.identity import Principal, Role
from ecosteward.repository import load_live, parse_id, row_loader
from ecosteward.scope import Scope, ScopePolicy, in_scope, restrict
from services.registry.agencies.models import AgencyRow
from services.registry.contracts import domain as contracts
from services.registry.contracts.models import ServiceContractRow
from services.registry.copies import KnownEnterpriseRow
from services.registry.jurisdictions.domain import JurisdictionKind
from services.registry.jurisdictions.models import JurisdictionRow
from services.registry.staff.models import StaffRow

AGENCY_DIRECTORY = (Role.BUREAU_OFFICER, Role.PROCUREMENT_OFFICER, Role.TOWN_OFFICER)
"""Roles that read every agency and staff file (towns contract agencies and issue permits)."""
DIRECTORY_READERS = (*AGENCY_DIRECTORY, Role.AGENCY_ADMIN, Role.AGENCY_STAFF)
"""Roles that read agencies and staff files at all (agency users: their own)."""
AGENCY_READERS = (*DIRECTORY_READERS, Role.ENTERPRISE_USER)
"""An enterprise reads the directory fields of the agencies that serve it (or served it)."""
CONTRACT_READERS = (Role.BUREAU_OFFICER, Role.TOWN_OFFICER, Role.AGENCY_ADMIN, Role.AGENCY_STAFF)
"""Roles that read contracts and filings at all (a town: its own; an agency: its own)."""
CONTRACT_EDITORS = (Role.BUREAU_OFFICER, Role.TOWN_OFFICER)
"""Managing departments: the bureau for every contract, a town for its own."""
FILING_READERS = (Role.BUREAU_OFFICER, Role.TOWN_OFFICER, Role.AGENCY_ADMIN)
"""Roles that read the filings inbox."""
STAFF_EDITORS = (Role.BUREAU_OFFICER, Role.AGENCY_ADMIN)
PERMIT_ISSUERS = (Role.BUREAU_OFFICER, Role.TOWN_OFFICER)
"""Roles that issue (and revoke) work permits: the bureau, or a town in its own name."""

DIRECTORY_POLICY: ScopePolicy = {
    Role.BUREAU_OFFICER: None,
    Role.PROCUREMENT_OFFICER: None,
    Role.TOWN_OFFICER: None,
    Role.AGENCY_ADMIN: "agency_id",
    Role.AGENCY_STAFF: "agency_id",
}
"""Agencies, staff files and work permits: the directory roles see all, agency users their own."""
PERMIT_POLICY: ScopePolicy = {
    Role.BUREAU_OFFICER: None,
    Role.TOWN_OFFICER: None,
    Role.AGENCY_ADMIN: "agency_id",
    Role.AGENCY_STAFF: "agency_id",
}

_SERVING = "registry:agencies-serving"


def hidden(what: str, entity_id: uuid.UUID) -> NotFound:
    """The answer for an id the caller may not see: the same as for an id that does not exist."""
    return NotFound(f"{what} {entity_id} does not exist (不存在).", id=str(entity_id))


# ------------------------------------------------------------------------------ jurisdictions


async def read_jurisdiction(info: Info[Any, Any], id: str | uuid.UUID) -> JurisdictionRow:
    """The directory is reference data: every signed-in user reads it (an enterprise its own town)."""
    return await load_live(info, JurisdictionRow, parse_id(id, "Jurisdiction"), "Jurisdiction")


# ------------------------------------------------------------------------------ agencies and staff


def _scope(user: Principal, policy: ScopePolicy) -> Scope | None:
    """The caller's scope under ``policy`` (first role held decides); None: it sees none of it.

    Unlike ``ecosteward.scope.data_scope`` a missing claim hides everything instead of refusing, so
    an unknown id and an out-of-scope id answer alike.
    """
    for role, claim in policy.items():
        if user.has_role(role):
            if claim is None:
                return {}
            value = {"agency_id": user.agency_id, "jurisdiction_id": user.jurisdiction_id}.get(claim)
            return None if value is None else {claim: value}
    return None


def agency_in_directory_scope(user: Principal, agency_id: uuid.UUID) -> bool:
    """Bureau, procurement and towns: every agency; agency users: their own."""
    scope = _scope(user, DIRECTORY_POLICY)
    return scope is not None and in_scope(scope, {"agency_id": agency_id})


def _restrict(
    statement: sa.Select[Any], user: Principal, policy: ScopePolicy, agency_column: Any
) -> sa.Select[Any]:
    scope = _scope(user, policy)
    if scope is None:
        return statement.where(sa.false())
    return restrict(statement, scope, {"agency_id": agency_column})


def directory_scope(statement: sa.Select[Any], user: Principal, agency_column: Any) -> sa.Select[Any]:
    """The list form of :func:`agency_in_directory_scope` (agencies by id, staff by agency)."""
    return _restrict(statement, user, DIRECTORY_POLICY, agency_column)


def permit_scope(statement: sa.Select[Any], user: Principal, agency_column: Any) -> sa.Select[Any]:
    """Work permits: the bureau and towns read all, agency users their own staff's."""
    return _restrict(statement, user, PERMIT_POLICY, agency_column)


async def agency_visible(info: Info[Any, Any], user: Principal, agency_id: uuid.UUID) -> bool:
    if agency_in_directory_scope(user, agency_id):
        return True
    if user.has_role(Role.ENTERPRISE_USER) and user.enterprise_id is not None:
        ctx = context_of(info)
        serving = ctx.extras.get(_SERVING)
        if serving is None:  # once per request, however many agencies it resolves
            async with ctx.runtime.sessions() as session:
                serving = await agencies_serving(session, user.enterprise_id)
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
    if user.has_role(Role.BUREAU_OFFICER) or (
        user.has_role(Role.AGENCY_ADMIN) and user.agency_id == agency_id
    ):
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
    if user.has_role(Role.BUREAU_OFFICER):
        return True
    if user.has_role(Role.TOWN_OFFICER) and user.jurisdiction_id == jurisdiction_id:
        return True
    return user.has_role(Role.AGENCY_ADMIN, Role.AGENCY_STAFF) and user.agency_id == agency_id


def contract_scope(statement: sa.Select[Any], user: Principal, model: Any) -> sa.Select[Any]:
    """The list form of :func:`contract_visible` (contracts and filings share the columns).

    A union, not ``ecosteward.scope``'s first-role rule: a caller holding a town's and an agency's
    role sees both sets.
    """
    if user.has_role(Role.BUREAU_OFFICER):
        return statement
    clauses = []
    if user.has_role(Role.TOWN_OFFICER) and user.jurisdiction_id is not None:
        clauses.append(model.jurisdiction_id == user.jurisdiction_id)
    if user.has_role(Role.AGENCY_ADMIN, Role.AGENCY_STAFF) and user.agency_id is not None:
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
        user.has_role(Role.BUREAU_OFFICER)
        or (user.has_role(Role.TOWN_OFFICER) and user.jurisdiction_id == row.jurisdiction_id)
    ):
        raise Forbidden("Only the managing department may change this contract (仅限本辖区).")
    return row


def check_contract_creatable(user: Principal, jurisdiction_id: uuid.UUID) -> None:
    """The bureau drafts for any managing department, a town only for its own jurisdiction."""
    if not user.has_role(Role.BUREAU_OFFICER) and user.jurisdiction_id != jurisdiction_id:
        raise Forbidden("A town may only sign its own jurisdiction's contracts (仅限本辖区).")


async def agencies_serving(session: AsyncSession, enterprise_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """Agencies holding (or having held) a signed contract that covers the enterprise.

    Covered within the contract's managing jurisdiction only (``contracts.contract_covers``); drafts
    cover nothing. An enterprise the archive has not announced is served by no one.
    """
    where = await session.get(KnownEnterpriseRow, enterprise_id)
    if where is None:
        return frozenset()
    districts = set(
        (
            await session.scalars(
                sa.select(JurisdictionRow.id).where(JurisdictionRow.kind == JurisdictionKind.DISTRICT.value)
            )
        ).all()
    )
    rows = await session.execute(
        sa.select(
            ServiceContractRow.agency_id,
            ServiceContractRow.jurisdiction_id,
            ServiceContractRow.scope_jurisdiction_ids,
            ServiceContractRow.scope_enterprise_ids,
        ).where(
            ServiceContractRow.deleted_at.is_(None),
            ServiceContractRow.signed_on.is_not(None),
            ServiceContractRow.jurisdiction_id.in_(districts | {where.jurisdiction_id}),
        )
    )
    return frozenset(
        row.agency_id
        for row in rows
        if contracts.contract_covers(
            enterprise_id,
            where.jurisdiction_id,
            row.jurisdiction_id,
            row.jurisdiction_id in districts,
            set(_uuids(row.scope_jurisdiction_ids)),
            set(_uuids(row.scope_enterprise_ids)),
        )
    )


def _uuids(values: Any) -> list[uuid.UUID]:
    return [uuid.UUID(str(v)) for v in values or []]


# ------------------------------------------------------------------------------ work permits


def permit_issuer(user: Principal, requested: uuid.UUID | None) -> uuid.UUID | None:
    """The department a permit is issued in the name of: a town only its own; the bureau any it names
    (None: the district, chosen by the use case)."""
    if user.has_role(Role.BUREAU_OFFICER):
        return requested
    if requested is not None and requested != user.jurisdiction_id:
        raise Forbidden("A town issues permits in its own name only (仅限本辖区).")
    return user.jurisdiction_id


def check_permit_revocable(user: Principal, issued_by_id: uuid.UUID) -> None:
    """Only the issuing department (or the bureau) may revoke a permit."""
    if not user.has_role(Role.BUREAU_OFFICER) and issued_by_id != user.jurisdiction_id:
        raise Forbidden("Only the issuing department may revoke this permit (仅签发部门可吊销).")
