"""What a service contract opens to its agency (合同服务范围): pure rules, no I/O.

A contract's scope lies inside its managing department's jurisdiction (the event's
``jurisdiction_id``): the district-level jurisdiction covers the whole district, a town, street or
park committee only itself. The archive applies this when it *uses* a stored scope, so neither a
bad ``registry.contract.*`` event nor a row kept from an older one can widen an agency's access:

- a listed jurisdiction counts only if it lies inside the managing one;
- a listed enterprise counts only while it lies inside the managing jurisdiction (checked against
  the enterprise's own jurisdiction when the rule is applied);
- a contract whose managing jurisdiction is unknown grants nothing, and a managing jurisdiction of
  unknown kind covers only itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

DISTRICT_KIND = "DISTRICT"
"""The kind of the district-level jurisdiction (区), whose contracts may cover the whole district."""


@dataclass(frozen=True)
class ContractGrant:
    """The sources one live contract opens to its agency, already inside the managing jurisdiction."""

    jurisdiction_ids: frozenset[uuid.UUID] = frozenset()
    """Whole jurisdictions."""
    enterprise_ids: frozenset[uuid.UUID] = frozenset()
    """Enterprises wherever they lie in the district (a district-managed contract's list)."""
    enterprises_within: frozenset[tuple[uuid.UUID, uuid.UUID]] = frozenset()
    """(enterprise, jurisdiction): the enterprise only while it lies in that jurisdiction."""


def parse_uuids(values: Iterable[object]) -> list[uuid.UUID]:
    """The ids of a stored list that are well-formed UUIDs (anything else grants nothing)."""
    found: list[uuid.UUID] = []
    for value in values:
        try:
            found.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return found


def contract_grant(
    managing_jurisdiction_id: uuid.UUID | None,
    managing_kind: str | None,
    scope_jurisdiction_ids: Iterable[uuid.UUID],
    scope_enterprise_ids: Iterable[uuid.UUID],
) -> ContractGrant:
    """A contract's scope intersected with its managing jurisdiction (see the module docstring)."""
    if managing_jurisdiction_id is None:
        return ContractGrant()
    if managing_kind == DISTRICT_KIND:
        return ContractGrant(
            jurisdiction_ids=frozenset(scope_jurisdiction_ids), enterprise_ids=frozenset(scope_enterprise_ids)
        )
    return ContractGrant(
        jurisdiction_ids=frozenset(j for j in scope_jurisdiction_ids if j == managing_jurisdiction_id),
        enterprises_within=frozenset((e, managing_jurisdiction_id) for e in scope_enterprise_ids),
    )
