"""The desired Keycloak accounts of agency admins and staff (``ecosteward.accounts`` table)."""

from __future__ import annotations

from ecosteward.accounts import account_tables
from services.registry.base import Base

ACCOUNTS = account_tables(Base.metadata)
