"""Fixed ids of the demo data, matching the demo users' scope claims in the Keycloak realm."""

from __future__ import annotations

import uuid

from ecosteward.config import environment

DEMO_JURISDICTION_ID = uuid.UUID("11111111-1111-4111-8111-111111111111")
DEMO_AGENCY_ID = uuid.UUID("22222222-2222-4222-8222-222222222222")
DEMO_ENTERPRISE_ID = uuid.UUID("33333333-3333-4333-8333-333333333333")
DEMO_CONTRACT_ID = uuid.UUID("44444444-4444-4444-8444-444444444444")

DEMO_PASSWORD = "demo1234"
DEMO_USERS: dict[str, str] = {
    "demo-bureau": "bureau_officer",
    "demo-town": "town_officer",
    "demo-agency-admin": "agency_admin",
    "demo-agency-staff": "agency_staff",
    "demo-procurement": "procurement_officer",
    "demo-enterprise": "enterprise_user",
}


def demo_id(*parts: object) -> uuid.UUID:
    """The fixed id of a demo row, ``uuid5(URL, "ecosteward:<part>:<part>…")``: the same on every
    run and every machine, so loading twice finds what the first load made."""
    return uuid.uuid5(uuid.NAMESPACE_URL, ":".join(["ecosteward", *map(str, parts)]))


def demo_enabled() -> bool:
    """``ECOSTEWARD_DEMO_DATA=1``: services load their demo data at start."""
    return environment().demo_data
