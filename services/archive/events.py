"""Archive events (core; each area documents its own in its ``events``/``service`` module).

Published:
- ``enterprise.registered|updated|status_changed`` — data: id, credit_code, name, jurisdiction_id,
  industry_code, permit_category, status, latitude, longitude
- (classification, documents, downloads: see those areas)

Consumed:
- ``ecosteward.registry.jurisdiction.*`` → the local jurisdictions copy (validates registrations);
- ``ecosteward.registry.contract.*`` → the local contract scopes (which agency sees which sources,
  only inside each contract's managing jurisdiction);
- its own ``enterprise.*`` events → the enterprise's Keycloak account (desired state, synced by a job).
"""

from __future__ import annotations

import uuid

from ecosteward.accounts import AccountSpec, request_account, request_disable
from ecosteward.consumer import Subscription
from ecosteward.events import EventEnvelope
from ecosteward.outbox import UnitOfWork
from services.archive.models import ACCOUNTS, ContractScopeRow, EnterpriseRow, KnownJurisdictionRow


async def on_jurisdiction_changed(uow: UnitOfWork, event: EventEnvelope) -> None:
    data = event.data
    jurisdiction_id = uuid.UUID(str(data["id"]))
    # The kind decides how far a contract it manages may reach (district: the whole district).
    kind = str(data["kind"]) if data.get("kind") else None
    row = await uow.session.get(KnownJurisdictionRow, jurisdiction_id)
    if row is None:
        uow.session.add(
            KnownJurisdictionRow(
                id=jurisdiction_id, code=str(data["code"]), name=str(data["name"]), kind=kind
            )
        )
    else:
        row.code, row.name = str(data["code"]), str(data["name"])
        if kind is not None:
            row.kind = kind


def _optional_uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


async def on_contract_changed(uow: UnitOfWork, event: EventEnvelope) -> None:
    """Keep which agency serves which jurisdictions/enterprises, and whether the contract is live.

    The scope is stored as announced, with the managing jurisdiction (``jurisdiction_id``); it is
    intersected with it whenever it is used (:mod:`services.archive.access`), so a scope reaching
    outside it grants nothing there, and a missing or malformed managing jurisdiction grants nothing.
    """
    data = event.data
    contract_id = uuid.UUID(event.subject)
    row = await uow.session.get(ContractScopeRow, contract_id)
    if row is None:
        row = ContractScopeRow(id=contract_id, agency_id=uuid.UUID(str(data["agency_id"])))
        uow.session.add(row)
    row.status = str(data["status"])
    row.managing_jurisdiction_id = _optional_uuid(data.get("jurisdiction_id"))
    row.jurisdiction_ids = [str(x) for x in data.get("scope_jurisdiction_ids") or []]
    row.enterprise_ids = [str(x) for x in data.get("scope_enterprise_ids") or []]


def enterprise_account(enterprise: EnterpriseRow) -> AccountSpec:
    """The enterprise's own account (企业账号): username = its credit code, password change at first login."""
    return AccountSpec(
        username=enterprise.credit_code.lower(),
        role="enterprise_user",
        attributes={"enterprise_id": str(enterprise.id)},
        email=None,
        first_name=enterprise.name[:100],
        last_name="企业账号",
        require_password_change=True,
    )


async def on_own_enterprise_event(uow: UnitOfWork, event: EventEnvelope) -> None:
    if event.type not in ("archive.enterprise.registered", "archive.enterprise.status_changed"):
        return
    enterprise = await uow.session.get(EnterpriseRow, uuid.UUID(event.subject))
    if enterprise is None:
        return
    if enterprise.status == "CLOSED":
        await request_disable(uow.session, ACCOUNTS, enterprise.credit_code.lower())
    else:
        await request_account(uow.session, ACCOUNTS, enterprise_account(enterprise))


SUBSCRIPTIONS = [
    Subscription(
        name="jurisdictions",
        source="registry",
        filter_subject="ecosteward.registry.jurisdiction.*",
        handler=on_jurisdiction_changed,
    ),
    Subscription(
        name="contract-scopes",
        source="registry",
        filter_subject="ecosteward.registry.contract.*",
        handler=on_contract_changed,
    ),
    Subscription(
        name="enterprise-accounts",
        source="archive",
        filter_subject="ecosteward.archive.enterprise.*",
        handler=on_own_enterprise_event,
    ),
]
