"""Registry events.

Published (``ecosteward.registry.<entity>.<verb>``):
- ``jurisdiction.created`` — data: id, code, name, kind
- ``agency.registered`` — data: id, name, credit_code
- ``contract.drafted`` — data: id, agency_id, jurisdiction_id, price

Consumed: none yet.
"""

from __future__ import annotations

from ecosteward.consumer import Subscription

SUBSCRIPTIONS: list[Subscription] = []
