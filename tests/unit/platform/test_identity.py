"""The principal read from a verified token's claims (pure; the verification itself is tests/platform/test_auth.py)."""

from __future__ import annotations

from ecosteward.identity import Principal


def test_principal_ignores_roles_outside_the_realm_roles() -> None:
    principal = Principal.from_claims(
        {
            "sub": "s",
            "realm_access": {"roles": ["offline_access", "town_officer"]},
            "jurisdiction_id": "not-a-uuid",
        }
    )
    assert principal.roles == {"town_officer"}
    assert principal.jurisdiction_id is None
