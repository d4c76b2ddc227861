"""Who may see which pollution sources (数据范围), for every area of the archive.

- bureau_officer: every source;
- town_officer: its jurisdiction's;
- agency_admin / agency_staff: the sources their agency's live contracts cover — the contract's
  jurisdictions as a whole and its explicit enterprise list (kept from ``registry.contract.*`` events);
- enterprise_user: only its own source (a link or id for another is refused);
- anyone else: nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from ecosteward.auth import Principal
from ecosteward.errors import Forbidden
from ecosteward.graphql import context_of
from services.archive.models import ContractScopeRow, EnterpriseRow

LIVE_CONTRACT_STATES = ("SIGNED", "FILED", "RETURNED", "ACTIVE")
"""A contract gives its agency access from signing until it ends or is terminated."""


@dataclass(frozen=True)
class Visibility:
    """The sources one caller may see; ``everything`` or the union of the listed restrictions."""

    everything: bool = False
    jurisdiction_ids: frozenset[uuid.UUID] = frozenset()
    enterprise_ids: frozenset[uuid.UUID] = frozenset()

    def allows(self, enterprise_id: uuid.UUID, jurisdiction_id: uuid.UUID) -> bool:
        return (
            self.everything
            or jurisdiction_id in self.jurisdiction_ids
            or enterprise_id in self.enterprise_ids
        )

    def where(
        self, id_column: Any = EnterpriseRow.id, jurisdiction_column: Any = EnterpriseRow.jurisdiction_id
    ) -> Any:
        """A SQL condition selecting the visible sources (``true`` for everything)."""
        if self.everything:
            return sa.true()
        clauses = []
        if self.jurisdiction_ids:
            clauses.append(jurisdiction_column.in_(sorted(self.jurisdiction_ids)))
        if self.enterprise_ids:
            clauses.append(id_column.in_(sorted(self.enterprise_ids)))
        return sa.or_(*clauses) if clauses else sa.false()


async def visibility(session: AsyncSession, user: Principal) -> Visibility:
    """What ``user`` may see; FORBIDDEN for roles that see no sources at all."""
    if user.has_role("bureau_officer"):
        return Visibility(everything=True)
    jurisdictions: set[uuid.UUID] = set()
    enterprises: set[uuid.UUID] = set()
    if user.has_role("town_officer") and user.jurisdiction_id is not None:
        jurisdictions.add(user.jurisdiction_id)
    if user.has_role("enterprise_user") and user.enterprise_id is not None:
        enterprises.add(user.enterprise_id)
    if user.has_role("agency_admin", "agency_staff") and user.agency_id is not None:
        scopes = (
            await session.execute(
                sa.select(ContractScopeRow).where(
                    ContractScopeRow.agency_id == user.agency_id,
                    ContractScopeRow.status.in_(LIVE_CONTRACT_STATES),
                )
            )
        ).scalars()
        for contract in scopes:
            jurisdictions.update(uuid.UUID(x) for x in contract.jurisdiction_ids)
            enterprises.update(uuid.UUID(x) for x in contract.enterprise_ids)
    elif not user.has_role("town_officer", "enterprise_user"):
        raise Forbidden("Pollution sources are outside your role's scope (无权查看企业档案).")
    return Visibility(jurisdiction_ids=frozenset(jurisdictions), enterprise_ids=frozenset(enterprises))


async def check_access(session: AsyncSession, user: Principal, enterprise: EnterpriseRow) -> None:
    """Refuse (FORBIDDEN) a caller who may not see ``enterprise``."""
    seen = await visibility(session, user)
    if not seen.allows(enterprise.id, enterprise.jurisdiction_id):
        raise Forbidden("This enterprise is outside your scope (超出数据范围).")


def check_can_edit(user: Principal, enterprise: EnterpriseRow) -> None:
    """Who may change a source's master data: the bureau, or the town it belongs to."""
    if user.has_role("bureau_officer"):
        return
    if user.has_role("town_officer") and user.jurisdiction_id == enterprise.jurisdiction_id:
        return
    raise Forbidden("Only the bureau or the source's own town may change it (仅限本辖区).")


async def request_visibility(info: Info[Any, Any]) -> Visibility:
    """The caller's visibility, computed once per GraphQL request (lists check it per row)."""
    ctx = context_of(info)
    cached = ctx.extras.get("archive:visibility")
    if cached is None:
        async with ctx.runtime.sessions() as session:
            cached = await visibility(session, ctx.user)
        ctx.extras["archive:visibility"] = cached
    return cached


async def check_visible(info: Info[Any, Any], enterprise: EnterpriseRow) -> None:
    """FORBIDDEN unless the caller of this GraphQL request may see ``enterprise``."""
    if not (await request_visibility(info)).allows(enterprise.id, enterprise.jurisdiction_id):
        raise Forbidden("This enterprise is outside your scope (超出数据范围).")
