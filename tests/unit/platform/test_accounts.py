"""Keycloak account provisioning, pure parts: retry backoff, account specs, generated passwords.

The provisioning itself runs against the real Keycloak realm in ``tests/platform/test_accounts.py``.
"""

from __future__ import annotations

import uuid

import pytest

from ecosteward.accounts import AccountSpec, backoff_seconds, generate_password


def test_backoff_doubles_up_to_five_minutes() -> None:
    assert [backoff_seconds(n) for n in (1, 2, 3, 8, 9, 50)] == [2, 4, 8, 256, 300, 300]


def test_account_spec_is_validated_and_normalised() -> None:
    assert AccountSpec(" Agency-Admin ", "agency_admin").username == "agency-admin"
    with pytest.raises(ValueError, match="role"):
        AccountSpec("a", "superuser")
    with pytest.raises(ValueError, match="UUID"):
        AccountSpec("a", "agency_staff", {"agency_id": "not-a-uuid"})
    with pytest.raises(ValueError, match="attribute"):
        AccountSpec("a", "agency_staff", {"favourite_colour": str(uuid.uuid4())})
    with pytest.raises(ValueError, match="username"):
        AccountSpec("  ", "agency_staff")


def test_generated_passwords_are_strong_and_distinct() -> None:
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) == 16
        assert any(c.isupper() for c in password) and any(c.islower() for c in password)
        assert any(c.isdigit() for c in password)
