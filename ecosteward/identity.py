"""Who is calling: the realm roles and the verified principal (身份).

Dependency-free on purpose (no JWT or Keycloak library): domain modules and access policies import
it; token verification lives in :mod:`ecosteward.auth`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ecosteward.errors import Forbidden

ACTOR_MAX_LENGTH = 100
"""Length of the ``*_by`` columns that record who did something."""


class Role(StrEnum):
    """The six realm roles (domain.md, "People")."""

    BUREAU_OFFICER = "bureau_officer"
    TOWN_OFFICER = "town_officer"
    AGENCY_ADMIN = "agency_admin"
    AGENCY_STAFF = "agency_staff"
    PROCUREMENT_OFFICER = "procurement_officer"
    ENTERPRISE_USER = "enterprise_user"


ROLES: tuple[str, ...] = tuple(role.value for role in Role)
"""The six realm role names, in declaration order."""


def _uuid_claim(claims: dict[str, Any], name: str) -> uuid.UUID | None:
    value = claims.get(name)
    if isinstance(value, list):  # multivalued mappers give lists
        value = value[0] if value else None
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: Keycloak subject, realm roles and data-scope claims."""

    subject: str
    username: str
    roles: frozenset[str]
    jurisdiction_id: uuid.UUID | None = None
    agency_id: uuid.UUID | None = None
    enterprise_id: uuid.UUID | None = None

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        realm_roles = claims.get("realm_access", {}).get("roles", [])
        return cls(
            subject=str(claims.get("sub", "")),
            username=str(claims.get("preferred_username", "")),
            roles=frozenset(r for r in realm_roles if r in ROLES),
            jurisdiction_id=_uuid_claim(claims, "jurisdiction_id"),
            agency_id=_uuid_claim(claims, "agency_id"),
            enterprise_id=_uuid_claim(claims, "enterprise_id"),
        )

    @property
    def actor(self) -> str:
        """Who did it, as recorded in ``*_by`` columns: the username, else the subject (≤ 100 chars)."""
        return (self.username or self.subject)[:ACTOR_MAX_LENGTH]

    def has_role(self, *roles: Role | str) -> bool:
        return not self.roles.isdisjoint(str(role) for role in roles)

    def require_role(self, *roles: Role | str) -> None:
        if not self.has_role(*roles):
            names = [str(role) for role in roles]
            raise Forbidden(
                f"This needs one of the roles {', '.join(names)} (权限不足).", required_roles=names
            )
