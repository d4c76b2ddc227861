"""The demo users every e2e test signs in as, and the demo records their scope claims point at."""

from __future__ import annotations

from typing import TypeVar

from ecosteward.demo import DEMO_AGENCY_ID, DEMO_CONTRACT_ID, DEMO_ENTERPRISE_ID, DEMO_JURISDICTION_ID

BUREAU = "demo-bureau"
TOWN = "demo-town"
ADMIN = "demo-agency-admin"
STAFF = "demo-agency-staff"
PROCUREMENT = "demo-procurement"
ENTERPRISE = "demo-enterprise"
ALL_USERS = (BUREAU, TOWN, ADMIN, STAFF, PROCUREMENT, ENTERPRISE)

DEMO_J = str(DEMO_JURISDICTION_ID)
DEMO_AGENCY = str(DEMO_AGENCY_ID)
DEMO_ENTERPRISE = str(DEMO_ENTERPRISE_ID)
DEMO_CONTRACT = str(DEMO_CONTRACT_ID)

T = TypeVar("T")


def per_user(bureau: T, town: T, admin: T, staff: T, procurement: T, enterprise: T) -> dict[str, T]:
    """One expectation per demo user, keyed by username in ``ALL_USERS`` order (a row of an access table)."""
    return dict(zip(ALL_USERS, (bureau, town, admin, staff, procurement, enterprise), strict=True))
