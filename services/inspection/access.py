"""The inspection service's one access policy (访问控制): who sees which visits and findings, who may
record them, and which enterprises an agency may work on.

Built on :mod:`ecosteward.scope`. Reads: :data:`SCOPE_POLICY` through :func:`data_scope` (the bureau
all; a town its jurisdiction's; an agency its own agency's work; an enterprise only itself). Writes:
:func:`recording_agency` and :func:`check_field_work` (an agency's field work needs a live contract
covering the enterprise and a valid work permit on the day). Entity references:
:func:`enterprise_visible` (the archive's by-id rule). The contract and permit data come from the
local copies of the registry's contracts, permits and jurisdictions (``copies.py``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from ecosteward import scope
from ecosteward.errors import Forbidden, ValidationFailed
from ecosteward.graphql import context_of
from ecosteward.identity import Principal, Role
from ecosteward.scope import Scope, ScopePolicy
from services.inspection.copies import ContractScopeRow, KnownJurisdictionRow, WorkPermitRow
from services.inspection.visits import domain
from services.inspection.visits.domain import ContractScope, Permit

READER_ROLES = (
    Role.BUREAU_OFFICER,
    Role.TOWN_OFFICER,
    Role.AGENCY_ADMIN,
    Role.AGENCY_STAFF,
    Role.ENTERPRISE_USER,
)
RECORDER_ROLES = (Role.AGENCY_STAFF, Role.BUREAU_OFFICER)
AGENCY_ROLES = (Role.AGENCY_STAFF, Role.AGENCY_ADMIN)

SCOPE_POLICY: ScopePolicy = {
    Role.BUREAU_OFFICER: None,
    Role.TOWN_OFFICER: "jurisdiction_id",
    Role.AGENCY_ADMIN: "agency_id",
    Role.AGENCY_STAFF: "agency_id",
    Role.ENTERPRISE_USER: "enterprise_id",
}
"""Who sees which inspections and findings: the bureau all; a town its jurisdiction's; an agency its
own agency's work; an enterprise only itself. A procurement officer sees none."""


# ------------------------------------------------------------------------------------------ reads


def data_scope(user: Principal) -> Scope:
    """Which inspections and findings ``user`` may see (FORBIDDEN for roles that see none)."""
    return scope.data_scope(user, SCOPE_POLICY, "Inspections", "无权查看巡查记录")


def owners(
    enterprise_id: uuid.UUID, agency_id: uuid.UUID, jurisdiction_id: uuid.UUID
) -> dict[str, uuid.UUID]:
    """The scope owners of an inspection or finding."""
    return {"enterprise_id": enterprise_id, "agency_id": agency_id, "jurisdiction_id": jurisdiction_id}


def may_see_enterprise(user: Principal, enterprise_id: uuid.UUID, jurisdiction_id: uuid.UUID) -> bool:
    """Whether ``user`` may look at an enterprise's inspections at all.

    Agency users may: their view of the enterprise's inspections is limited to their own agency's.
    """
    caller_scope = data_scope(user)
    if "agency_id" in caller_scope:
        return True
    return scope.in_scope(caller_scope, {"enterprise_id": enterprise_id, "jurisdiction_id": jurisdiction_id})


def enterprise_visible(
    user: Principal,
    enterprise_id: uuid.UUID,
    jurisdiction_id: uuid.UUID,
    contracts: Iterable[ContractScope],
) -> bool:
    """Whether ``user`` may resolve the enterprise here: the archive's by-id rule (the bureau all, a
    town its own, an enterprise itself, an agency what its live contracts cover); FORBIDDEN for
    roles that see none."""
    if not may_see_enterprise(user, enterprise_id, jurisdiction_id):
        return False
    caller_scope = data_scope(user)
    if "agency_id" in caller_scope:
        return domain.agency_sees_enterprise(
            contracts, caller_scope["agency_id"], enterprise_id, jurisdiction_id
        )
    return True


# ------------------------------------------------------------------------------------------ writes


def recording_agency(user: Principal, requested: uuid.UUID | None) -> uuid.UUID:
    """The agency an inspection is recorded for.

    Agency staff record for their own agency (from the token; a different ``agencyId`` is refused);
    a bureau officer must name the agency whose work is recorded.
    """
    if user.has_role(Role.AGENCY_STAFF):
        own = scope.claim_value(user, "agency_id")
        if requested is not None and requested != own:
            raise Forbidden("Agency staff record inspections for their own agency only (仅限本机构).")
        return own
    if requested is None:
        raise ValidationFailed(
            "Name the agency whose inspection this is (请指定服务机构).",
            [
                {
                    "field": "agencyId",
                    "message": "Required when a bureau officer records an inspection (须指定服务机构).",
                }
            ],
        )
    return requested


def is_agency_caller(user: Principal) -> bool:
    """Whether the field-work rule applies: an agency role, not the bureau (which sees everything)."""
    return user.has_role(*AGENCY_ROLES) and not user.has_role(Role.BUREAU_OFFICER)


async def check_field_work(
    session: AsyncSession,
    user: Principal,
    agency_id: uuid.UUID,
    enterprise_id: uuid.UUID,
    jurisdiction_id: uuid.UUID,
    day: dt.date,
    *,
    hide_unseen: bool = True,
) -> None:
    """For an agency caller, :func:`domain.check_field_work` on the agency's contracts and the caller's
    permits (the bureau is not bound by it)."""
    if not is_agency_caller(user):
        return
    domain.check_field_work(
        agency_id,
        enterprise_id,
        jurisdiction_id,
        day,
        await agency_contracts(session, agency_id),
        await permits_of(session, user.username, agency_id),
        hide_unseen=hide_unseen,
    )


# ------------------------------------------------------------------------------------------ data the rules need


def _ids(values: list[str] | None) -> frozenset[uuid.UUID]:
    return frozenset(uuid.UUID(str(v)) for v in values or [])


async def agency_contracts(session: AsyncSession, agency_id: uuid.UUID) -> list[ContractScope]:
    """The agency's live contracts, each with whether the district manages it."""
    rows = (
        (
            await session.execute(
                sa.select(ContractScopeRow).where(
                    ContractScopeRow.agency_id == agency_id,
                    ContractScopeRow.status.in_(domain.LIVE_CONTRACT_STATES),
                )
            )
        )
        .scalars()
        .all()
    )
    managing = {row.jurisdiction_id for row in rows}
    districts = (
        set(
            (
                await session.execute(
                    sa.select(KnownJurisdictionRow.id).where(
                        KnownJurisdictionRow.id.in_(sorted(managing)),
                        KnownJurisdictionRow.kind == domain.DISTRICT_KIND,
                    )
                )
            )
            .scalars()
            .all()
        )
        if managing
        else set()
    )
    return [
        ContractScope(
            agency_id=row.agency_id,
            managing_jurisdiction_id=row.jurisdiction_id,
            managed_by_district=row.jurisdiction_id in districts,
            status=row.status,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            jurisdiction_ids=_ids(row.scope_jurisdiction_ids),
            enterprise_ids=_ids(row.scope_enterprise_ids),
        )
        for row in rows
    ]


async def request_agency_contracts(info: Info[Any, Any], agency_id: uuid.UUID) -> list[ContractScope]:
    """:func:`agency_contracts`, loaded once per GraphQL request (entity batches resolve many ids)."""
    ctx = context_of(info)
    key = f"inspection:contracts:{agency_id}"
    cached: list[ContractScope] | None = ctx.extras.get(key)
    if cached is None:
        async with ctx.runtime.sessions() as session:
            cached = await agency_contracts(session, agency_id)
        ctx.extras[key] = cached
    return cached


async def permits_of(session: AsyncSession, username: str, agency_id: uuid.UUID) -> list[Permit]:
    """The work permits of the account ``username`` as a member of ``agency_id``."""
    rows = (
        (
            await session.execute(
                sa.select(WorkPermitRow).where(
                    WorkPermitRow.staff_username == username.strip().lower(),
                    WorkPermitRow.agency_id == agency_id,
                )
            )
        )
        .scalars()
        .all()
    )
    return [Permit(r.valid_from, r.valid_to, r.revoked_on) for r in rows]
