"""Helpers of the registry's e2e tests: made-up agencies, contracts, and the Keycloak users they cause."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from ecosteward.clock import china_today
from tests.e2e.helpers import (
    QUALIFYING_STAFF,
    Api,
    Keycloak,
    credit_code,
    db_value,
    iso,
    staff_input,
    unique,
)
from tests.e2e.registry.documents import (
    ADD_STAFF,
    CHANGE_STATUS,
    CREATE_CONTRACT,
    CREATE_JURISDICTION,
    REGISTER_AGENCY,
    SIGN,
)
from tests.e2e.users import (
    BUREAU,
)
from tests.support import Infra, wait_for


class Accounts:
    """Usernames a test caused to be provisioned; their Keycloak users are deleted at the end."""

    def __init__(self, stack: Infra) -> None:
        self.stack = stack
        self.usernames: set[str] = set()

    def track(self, *usernames: str) -> None:
        self.usernames.update(usernames)

    def _settled(self) -> bool:
        names = sorted(self.usernames)
        pending = db_value(
            self.stack,
            "SELECT count(*) FROM keycloak_accounts WHERE username = ANY($1::text[]) AND status = 'PENDING'",
            names,
        )
        unconsumed = db_value(
            self.stack,
            "SELECT count(*) FROM outbox_events o WHERE (o.event_type IN ('registry.agency.admitted', "
            "'registry.agency.suspended', 'registry.agency.removed', 'registry.agency.updated') "
            "OR o.event_type LIKE 'registry.staff.%') "
            "AND NOT EXISTS (SELECT 1 FROM inbox_events i WHERE i.event_id = o.id)",
        )
        return pending == 0 and unconsumed == 0

    def cleanup(self) -> None:
        if not self.usernames:
            return
        # Let provisioning settle first, or the sync job would re-create a user deleted under it.
        # On a timeout delete what is there anyway; the test itself reports provisioning failures.
        with contextlib.suppress(AssertionError):
            wait_for(self._settled, timeout=20, interval=0.5, what="account provisioning settled")
        keycloak = Keycloak(self.stack)
        for name in sorted(self.usernames):
            for found in keycloak.users(name):
                keycloak.delete(found["id"])


@dataclass
class AgencyMade:
    id: str
    admin: str
    credit_code: str
    staff: list[dict[str, Any]] = field(default_factory=list)

    @property
    def usernames(self) -> list[str]:
        return [self.admin, *(s["username"] for s in self.staff)]


def new_jurisdiction(api: Api, name: str = "测试镇") -> str:
    data = api.ok(
        BUREAU,
        CREATE_JURISDICTION,
        {"input": {"code": unique("T"), "name": f"{name}{uuid.uuid4().hex[:4]}", "kind": "TOWN"}},
    )
    return str(data["createJurisdiction"]["id"])


def register_agency(api: Api, accounts: Accounts | None = None) -> AgencyMade:
    admin, code = unique("adm"), credit_code()
    data = api.ok(
        BUREAU,
        REGISTER_AGENCY,
        {
            "input": {
                "name": f"测试环保科技有限公司{uuid.uuid4().hex[:6]}",
                "creditCode": code,
                "adminUsername": admin,
                "adminEmail": f"{admin}@test.ecosteward.local",
                "contactName": "周测试",
            }
        },
    )
    if accounts is not None:
        accounts.track(admin)
    return AgencyMade(id=data["registerAgency"]["id"], admin=admin, credit_code=code)


def add_staff(
    api: Api,
    agency: AgencyMade,
    title: str,
    professional: bool = True,
    manager: bool = False,
    accounts: Accounts | None = None,
    user: str = BUREAU,
) -> dict[str, Any]:
    username = unique("stf")
    data = api.ok(
        user,
        ADD_STAFF,
        {
            "input": staff_input(
                agency.id,
                username,
                name=f"测{uuid.uuid4().hex[:3]}",
                title=title,
                professional=professional,
                qualityManager=manager,
            )
        },
    )
    if accounts is not None:
        accounts.track(username)
    staff: dict[str, Any] = data["addStaff"]
    agency.staff.append(staff)
    return staff


def admitted_agency(api: Api, accounts: Accounts) -> AgencyMade:
    agency = register_agency(api, accounts)
    for title, manager in QUALIFYING_STAFF:
        add_staff(api, agency, title, manager=manager, accounts=accounts)
    data = api.ok(
        BUREAU,
        CHANGE_STATUS,
        {"input": {"agencyId": agency.id, "status": "ADMITTED", "reason": "符合入库条件"}},
    )
    assert data["changeAgencyStatus"]["status"] == "ADMITTED"
    return agency


def contract_input(agency_id: str, jurisdiction_id: str, **changes: Any) -> dict[str, Any]:
    today = china_today()
    values: dict[str, Any] = {
        "title": f"环保管家服务{uuid.uuid4().hex[:6]}",
        "agencyId": agency_id,
        "jurisdictionId": jurisdiction_id,
        "price": "120000.50",
        "startsOn": iso(dt.date(today.year, 1, 1)),
        "endsOn": iso(dt.date(today.year, 12, 31)),
        "serviceMode": "ON_SITE",
        "contractedTasks": 40,
        "scopeJurisdictionIds": [jurisdiction_id],
        "catalogueCodes": ["B1-8"],
    }
    values.update(changes)
    return values


def draft(api: Api, agency_id: str, jurisdiction_id: str, user: str = BUREAU, **changes: Any) -> str:
    data = api.ok(user, CREATE_CONTRACT, {"input": contract_input(agency_id, jurisdiction_id, **changes)})
    assert data["createServiceContract"]["status"] == "DRAFT"
    return str(data["createServiceContract"]["id"])


def signed(
    api: Api, agency_id: str, jurisdiction_id: str, on: dt.date, user: str = BUREAU
) -> tuple[str, dict[str, Any]]:
    """A contract drafted and signed on ``on``: (contract id, its filing)."""
    contract_id = draft(api, agency_id, jurisdiction_id, user)
    data = api.ok(user, SIGN, {"id": contract_id, "on": iso(on)})
    assert data["signServiceContract"]["status"] == "SIGNED"
    filing: dict[str, Any] = data["signServiceContract"]["filing"]
    return contract_id, filing
