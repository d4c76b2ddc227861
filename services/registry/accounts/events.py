"""The accounts area consumes the registry's own agency and staff events (Keycloak provisioning)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from ecosteward.consumer import Subscription
from ecosteward.event_payloads import ConsumedPayload
from ecosteward.events import EventEnvelope
from ecosteward.outbox import UnitOfWork
from services.registry.accounts import service


@dataclass(frozen=True)
class AgencySeen(ConsumedPayload):
    """What provisioning reads of ``registry.agency.admitted|suspended|removed``: which agency
    (the credit listing events, which it ignores, carry no ``id``)."""

    EVENT: ClassVar[str] = "registry.agency"

    id: uuid.UUID | None = None


@dataclass(frozen=True)
class StaffSeen(ConsumedPayload):
    """What provisioning reads of ``registry.staff.*``: which staff file."""

    EVENT: ClassVar[str] = "registry.staff"

    id: uuid.UUID


_ENABLING = {"agency.admitted": True, "agency.suspended": False, "agency.removed": False}


async def on_agency_event(uow: UnitOfWork, event: EventEnvelope) -> None:
    """Admission enables the agency's accounts, suspension and removal disable them.

    Other agency events (registered, updated, credit listings, compliance) change no account.
    """
    enabled = _ENABLING.get(event.type.removeprefix("registry."))
    agency_id = AgencySeen.read(event).id
    if enabled is not None and agency_id is not None:
        await service.agency_accounts(uow.session, agency_id, enabled)


async def on_staff_event(uow: UnitOfWork, event: EventEnvelope) -> None:
    if event.type.removeprefix("registry.") in ("staff.added", "staff.updated", "staff.left"):
        await service.staff_account(uow.session, StaffSeen.read(event).id)


SUBSCRIPTIONS = [
    Subscription.to_family("accounts-agencies", "registry.agency", on_agency_event),
    Subscription.to_family("accounts-staff", "registry.staff", on_staff_event),
]
