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

Consumed: its own ``agency.*`` and ``staff.*`` events → desired Keycloak accounts (provisioning).
"""

from __future__ import annotations

from ecosteward.consumer import Subscription
from services.registry.service import on_own_event

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
]
