"""Who may see which pollution sources (数据范围), for every area of the archive.

- bureau_officer: every source;
- town_officer: its jurisdiction's;
- agency_admin / agency_staff: the sources their agency's live contracts cover — the contract's
  jurisdictions as a whole and its explicit enterprise list (kept from ``registry.contract.*`` events),
  both only inside the contract's managing jurisdiction (:mod:`services.archive.contract_scope`);
- enterprise_user: only its own source;
- anyone else: nothing (FORBIDDEN, whatever the id).

Writes have named rules here too: master data (:func:`check_can_register`, :func:`check_can_edit`:
the bureau, or the source's own town), classification writes and the download log
(:data:`WRITE_SCOPE_POLICY`: the bureau, a town for its jurisdiction, an enterprise for itself —
agencies only read), document filing (the documents area's roles, then :func:`visible_enterprise`).

A source the caller may not see answers exactly like one that does not exist (NOT_FOUND, same
message): ids cannot be probed. Every by-id read and write of the archive — GraphQL fields, the
``Enterprise`` reference resolver and the plain HTTP routes — goes through :func:`visible_enterprise`
or :func:`load_visible_enterprise`, which check the role first, then existence and scope together.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from ecosteward import scope
from ecosteward.errors import Forbidden, NotFound
from ecosteward.graphql import context_of
from ecosteward.identity import Principal, Role
from ecosteward.repository import row_loader
from ecosteward.scope import Scope, ScopePolicy, in_scope
from services.archive.contract_scope import contract_grant, parse_uuids
from services.archive.copies import ContractScopeRow, KnownJurisdictionRow
from services.archive.enterprises.models import EnterpriseRow

LIVE_CONTRACT_STATES = ("SIGNED", "FILED", "RETURNED", "ACTIVE")
"""A contract gives its agency access from signing until it ends or is terminated."""


def enterprise_not_found(enterprise_id: uuid.UUID | str) -> NotFound:
    """The one answer for an enterprise that does not exist and for one outside the caller's scope."""
    return NotFound(
        f"Enterprise {enterprise_id} does not exist or is outside your scope (企业不存在或超出数据范围).",
        id=str(enterprise_id),
    )


@dataclass(frozen=True)
class Visibility:
    """The sources one caller may see; ``everything`` or the union of the listed restrictions."""

    everything: bool = False
    jurisdiction_ids: frozenset[uuid.UUID] = frozenset()
    """Whole jurisdictions."""
    enterprise_ids: frozenset[uuid.UUID] = frozenset()
    """Enterprises wherever they lie (an enterprise's own; a district-managed contract's list)."""
    enterprises_within: frozenset[tuple[uuid.UUID, uuid.UUID]] = frozenset()
    """(enterprise, jurisdiction): the enterprise only while it lies in that jurisdiction."""

    def allows(self, enterprise_id: uuid.UUID, jurisdiction_id: uuid.UUID) -> bool:
        return (
            self.everything
            or jurisdiction_id in self.jurisdiction_ids
            or enterprise_id in self.enterprise_ids
            or (enterprise_id, jurisdiction_id) in self.enterprises_within
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
        within: dict[uuid.UUID, set[uuid.UUID]] = {}
        for enterprise_id, jurisdiction_id in self.enterprises_within:
            within.setdefault(jurisdiction_id, set()).add(enterprise_id)
        for jurisdiction_id, enterprise_ids in sorted(within.items()):
            clauses.append(
                sa.and_(jurisdiction_column == jurisdiction_id, id_column.in_(sorted(enterprise_ids)))
            )
        return sa.or_(*clauses) if clauses else sa.false()


async def _contract_visibility(session: AsyncSession, agency_id: uuid.UUID) -> Visibility:
    """The union of the agency's live contracts' scopes, each inside its managing jurisdiction."""
    contracts = list(
        (
            await session.execute(
                sa.select(ContractScopeRow).where(
                    ContractScopeRow.agency_id == agency_id,
                    ContractScopeRow.status.in_(LIVE_CONTRACT_STATES),
                )
            )
        ).scalars()
    )
    managing = {c.managing_jurisdiction_id for c in contracts if c.managing_jurisdiction_id is not None}
    kinds: dict[uuid.UUID, str | None] = {}
    if managing:
        rows = await session.execute(
            sa.select(KnownJurisdictionRow.id, KnownJurisdictionRow.kind).where(
                KnownJurisdictionRow.id.in_(sorted(managing))
            )
        )
        kinds = {jurisdiction_id: kind for jurisdiction_id, kind in rows}
    jurisdictions: set[uuid.UUID] = set()
    enterprises: set[uuid.UUID] = set()
    within: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for contract in contracts:
        grant = contract_grant(
            contract.managing_jurisdiction_id,
            kinds.get(contract.managing_jurisdiction_id) if contract.managing_jurisdiction_id else None,
            parse_uuids(contract.jurisdiction_ids or []),
            parse_uuids(contract.enterprise_ids or []),
        )
        jurisdictions |= grant.jurisdiction_ids
        enterprises |= grant.enterprise_ids
        within |= grant.enterprises_within
    return Visibility(
        jurisdiction_ids=frozenset(jurisdictions),
        enterprise_ids=frozenset(enterprises),
        enterprises_within=frozenset(within),
    )


async def visibility(session: AsyncSession, user: Principal) -> Visibility:
    """What ``user`` may see; FORBIDDEN for roles that see no sources at all."""
    if user.has_role(Role.BUREAU_OFFICER):
        return Visibility(everything=True)
    if not user.has_role(Role.TOWN_OFFICER, Role.ENTERPRISE_USER, Role.AGENCY_ADMIN, Role.AGENCY_STAFF):
        raise Forbidden("Pollution sources are outside your role's scope (无权查看企业档案).")
    jurisdictions: set[uuid.UUID] = set()
    enterprises: set[uuid.UUID] = set()
    within: frozenset[tuple[uuid.UUID, uuid.UUID]] = frozenset()
    if user.has_role(Role.TOWN_OFFICER) and user.jurisdiction_id is not None:
        jurisdictions.add(user.jurisdiction_id)
    if user.has_role(Role.ENTERPRISE_USER) and user.enterprise_id is not None:
        enterprises.add(user.enterprise_id)
    if user.has_role(Role.AGENCY_ADMIN, Role.AGENCY_STAFF):
        if user.agency_id is not None:
            contracts = await _contract_visibility(session, user.agency_id)
            jurisdictions |= contracts.jurisdiction_ids
            enterprises |= contracts.enterprise_ids
            within = contracts.enterprises_within
        elif not user.has_role(Role.TOWN_OFFICER, Role.ENTERPRISE_USER):
            raise Forbidden(
                "Your account has no agency_id attribute, so it sees no sources (账号未配置数据范围)."
            )
    return Visibility(
        jurisdiction_ids=frozenset(jurisdictions),
        enterprise_ids=frozenset(enterprises),
        enterprises_within=within,
    )


def _live(row: EnterpriseRow | None) -> EnterpriseRow | None:
    return row if row is not None and row.deleted_at is None else None


async def get_enterprise(session: AsyncSession, enterprise_id: uuid.UUID) -> EnterpriseRow:
    """The live enterprise, or NOT_FOUND with the same answer as an out-of-scope one."""
    row = _live(await session.get(EnterpriseRow, enterprise_id))
    if row is None:
        raise enterprise_not_found(enterprise_id)
    return row


async def visible_enterprise(
    session: AsyncSession, user: Principal, enterprise_id: uuid.UUID
) -> EnterpriseRow:
    """The enterprise ``user`` may see: FORBIDDEN for a role that sees none (whatever the id), else
    NOT_FOUND alike for an unknown, deleted or out-of-scope id."""
    seen = await visibility(session, user)
    row = _live(await session.get(EnterpriseRow, enterprise_id))
    if row is None or not seen.allows(row.id, row.jurisdiction_id):
        raise enterprise_not_found(enterprise_id)
    return row


async def check_access(session: AsyncSession, user: Principal, enterprise: EnterpriseRow) -> None:
    """NOT_FOUND (as if it did not exist) unless ``user`` may see ``enterprise``."""
    seen = await visibility(session, user)
    if not seen.allows(enterprise.id, enterprise.jurisdiction_id):
        raise enterprise_not_found(enterprise.id)


def check_can_register(user: Principal, jurisdiction_id: uuid.UUID) -> None:
    """Who may register a source in ``jurisdiction_id``: the bureau anywhere, a town only in its own."""
    if not user.has_role(Role.BUREAU_OFFICER) and user.jurisdiction_id != jurisdiction_id:
        raise Forbidden("A town may only register sources in its own jurisdiction (仅限本辖区).")


def check_can_edit(user: Principal, enterprise: EnterpriseRow) -> None:
    """Who may change a source's master data: the bureau, or the town it belongs to (another town's
    source answers NOT_FOUND, as it does for reading)."""
    if user.has_role(Role.BUREAU_OFFICER):
        return
    if user.has_role(Role.TOWN_OFFICER) and user.jurisdiction_id == enterprise.jurisdiction_id:
        return
    if user.has_role(Role.TOWN_OFFICER):
        raise enterprise_not_found(enterprise.id)
    raise Forbidden("Only the bureau or the source's own town may change it (仅限本辖区).")


WRITE_SCOPE_POLICY: ScopePolicy = {
    Role.BUREAU_OFFICER.value: None,
    Role.TOWN_OFFICER.value: "jurisdiction_id",
    Role.ENTERPRISE_USER.value: "enterprise_id",
}
"""Who may write a source's classification and read the download log: the bureau all, a town its
jurisdiction's, an enterprise only itself (its ``enterprise_id`` claim is the source's own id)."""


def write_scope(user: Principal) -> Scope:
    """:data:`WRITE_SCOPE_POLICY` for ``user`` (FORBIDDEN for roles that have none)."""
    return scope.data_scope(user, WRITE_SCOPE_POLICY, "Enterprises", "无权查看企业档案")


def check_can_classify(user: Principal, enterprise: EnterpriseRow, missing: NotFound | None = None) -> None:
    """NOT_FOUND (``missing``, by default the enterprise's — the answer for an unknown id) unless
    ``user`` may write ``enterprise``'s classification; FORBIDDEN for roles that may write none."""
    owners = {"jurisdiction_id": enterprise.jurisdiction_id, "enterprise_id": enterprise.id}
    if not in_scope(write_scope(user), owners):
        raise missing or enterprise_not_found(enterprise.id)


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
    """NOT_FOUND (as if it did not exist) unless the caller of this GraphQL request may see ``enterprise``."""
    if not (await request_visibility(info)).allows(enterprise.id, enterprise.jurisdiction_id):
        raise enterprise_not_found(enterprise.id)


async def load_visible_enterprise(info: Info[Any, Any], enterprise_id: uuid.UUID) -> EnterpriseRow:
    """:func:`visible_enterprise` for a GraphQL request, batched (DataLoader) and with the request's
    cached visibility: the one rule of ``enterprise(id)``, ``_entities`` and every by-id archive field."""
    seen = await request_visibility(info)
    row = _live(await row_loader(info, EnterpriseRow).load(enterprise_id))
    if row is None or not seen.allows(row.id, row.jurisdiction_id):
        raise enterprise_not_found(enterprise_id)
    return row
