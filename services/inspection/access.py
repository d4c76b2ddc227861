"""Loads what the field-work rule needs from the local copies of the registry's contracts, permits
and jurisdictions (kept from its events; the registry's tables are never read)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from ecosteward.graphql import context_of
from services.inspection import domain
from services.inspection.models import ContractScopeRow, KnownJurisdictionRow, WorkPermitRow


def _ids(values: list[str] | None) -> frozenset[uuid.UUID]:
    return frozenset(uuid.UUID(str(v)) for v in values or [])


async def agency_contracts(session: AsyncSession, agency_id: uuid.UUID) -> list[domain.ContractScope]:
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
        domain.ContractScope(
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


async def request_agency_contracts(info: Info[Any, Any], agency_id: uuid.UUID) -> list[domain.ContractScope]:
    """:func:`agency_contracts`, loaded once per GraphQL request (entity batches resolve many ids)."""
    ctx = context_of(info)
    key = f"inspection:contracts:{agency_id}"
    cached: list[domain.ContractScope] | None = ctx.extras.get(key)
    if cached is None:
        async with ctx.runtime.sessions() as session:
            cached = await agency_contracts(session, agency_id)
        ctx.extras[key] = cached
    return cached


async def permits_of(session: AsyncSession, username: str, agency_id: uuid.UUID) -> list[domain.Permit]:
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
    return [domain.Permit(r.valid_from, r.valid_to, r.revoked_on) for r in rows]
