"""Data scope (数据范围): which records a caller may see, decided once for every service.

A service states its policy as an ordered mapping from realm role to the token claim that restricts
that role, or None for a role that sees everything::

    SCOPE_POLICY: ScopePolicy = {"bureau_officer": None, "town_officer": "jurisdiction_id"}

The first role of the policy that the caller holds decides. The result is a :data:`Scope`: claim
name → the caller's value of that claim, which a record's owner of the same name must equal; an
empty scope means everything. :func:`in_scope` checks one record, :func:`restrict` narrows a query.

Pure, apart from :func:`restrict` building (never running) SQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Literal

import sqlalchemy as sa

from ecosteward.errors import Forbidden
from ecosteward.identity import Principal

Claim = Literal["jurisdiction_id", "agency_id", "enterprise_id"]
"""A data-scope claim of the access token: the caller's jurisdiction, agency or enterprise."""

ScopePolicy = Mapping[str, Claim | None]
"""Ordered role → the claim that restricts it (None: the role sees everything)."""

Scope = dict[str, uuid.UUID]
"""Claim name → value a record's owner of that name must have for the caller to see it; empty = everything."""


def claim_value(user: Principal, claim: Claim) -> uuid.UUID:
    """The caller's value of ``claim``; FORBIDDEN when the account has none (账号未配置数据范围)."""
    value = {
        "jurisdiction_id": user.jurisdiction_id,
        "agency_id": user.agency_id,
        "enterprise_id": user.enterprise_id,
    }[claim]
    if value is None:
        raise Forbidden(f"Your account has no {claim} attribute, so it sees no data (账号未配置数据范围).")
    return value


def data_scope(user: Principal, policy: ScopePolicy, what: str, refusal_zh: str) -> Scope:
    """What ``user`` may see under ``policy``, decided by the first policy role the user holds.

    ``what`` names the records in the plural and ``refusal_zh`` is the Chinese refusal, for the
    FORBIDDEN error of a caller holding none of the roles: "Inspections are outside your role's
    scope (无权查看巡查记录)."
    """
    for role, claim in policy.items():
        if user.has_role(role):
            return {} if claim is None else {claim: claim_value(user, claim)}
    raise Forbidden(f"{what} are outside your role's scope ({refusal_zh}).")


def in_scope(scope: Scope, owners: Mapping[str, uuid.UUID]) -> bool:
    """Whether a record owned by ``owners`` (claim name → owner id) lies inside ``scope``.

    A claim the record has no owner for keeps it out: a scope is never widened by a missing owner.
    """
    return all(claim in owners and owners[claim] == value for claim, value in scope.items())


def check_in_scope(scope: Scope, owners: Mapping[str, uuid.UUID], message: str) -> None:
    """FORBIDDEN with ``message`` unless the record owned by ``owners`` lies inside ``scope``."""
    if not in_scope(scope, owners):
        raise Forbidden(message)


def restrict(
    statement: sa.Select[Any], scope: Scope, columns: Mapping[str, sa.SQLColumnExpression[uuid.UUID]]
) -> sa.Select[Any]:
    """``statement`` narrowed to the rows inside ``scope``; ``columns`` maps claim name → owner column.

    Like :func:`in_scope`, a claim without an owner column leaves no row.
    """
    for claim, value in scope.items():
        column = columns.get(claim)
        statement = statement.where(sa.false() if column is None else column == value)
    return statement
