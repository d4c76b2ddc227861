"""Registry events.

Published (``ecosteward.registry.<entity>.<verb>``, data in ``service.py``):
- ``jurisdiction.created``
- ``agency.registered|updated|admitted|refused|suspended|removed|reapplied`` — data: id, name,
  credit_code, status, admin_username, admin_email (+ reason, from_status)
- ``agency.noncompliant|compliant`` — an admitted agency stopped (or again) meeting the admission rules
- ``agency.credit_listed|credit_delisted``
- ``staff.added|updated|left`` — data: id, agency_id, name, username, email, left_on
- ``permit.issued|revoked|expired`` — data: id, number, staff_id, staff_username, agency_id, valid_from,
  valid_to, revoked_on (the inspection service refuses visits by staff without a valid permit)
- ``contract.drafted|signed|activated|ended|terminated`` — data: id, agency_id, jurisdiction_id, price,
  term, status, scope (jurisdictions and enterprises), contracted_tasks (+ filing due date on signing)
- ``filing.filed|refiled|returned|acknowledged|overdue|deadline_changed``
- ``calendar.day_set|day_removed|year_confirmed`` — year_confirmed lists the filings whose due date moved

Consumed: its own ``agency.*`` and ``staff.*`` events → desired Keycloak accounts (provisioning);
the archive's ``archive.enterprise.*`` → the local enterprises copy (``known_enterprises``: id →
jurisdiction), so a contract's scope is checked against its managing department's jurisdiction.
"""

from __future__ import annotations

from ecosteward.consumer import Subscription
from ecosteward.events import EventEnvelope
from ecosteward.local_copies import as_uuid, local_copy_handler
from ecosteward.outbox import UnitOfWork
from services.registry.models import KnownEnterpriseRow
from services.registry.service import on_own_event

_copy_enterprise = local_copy_handler(KnownEnterpriseRow, "enterprise", {"jurisdiction_id": as_uuid})


async def on_enterprise_event(uow: UnitOfWork, event: EventEnvelope) -> None:
    """Keep the enterprise's jurisdiction; events about no one enterprise (an import's summary) pass."""
    if "id" not in event.data:
        return
    await _copy_enterprise(uow, event)


SUBSCRIPTIONS = [
    Subscription(
        name="accounts-agencies",
        source="registry",
        filter_subject="ecosteward.registry.agency.*",
        handler=on_own_event,
    ),
    Subscription(
        name="accounts-staff",
        source="registry",
        filter_subject="ecosteward.registry.staff.*",
        handler=on_own_event,
    ),
    Subscription(
        name="enterprises",
        source="archive",
        filter_subject="ecosteward.archive.enterprise.*",
        handler=on_enterprise_event,
    ),
]
