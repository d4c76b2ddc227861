"""Archive events.

Published: ``enterprise.registered`` — data: id, credit_code, name, jurisdiction_id.

Consumed: ``ecosteward.registry.jurisdiction.*`` → the local jurisdictions copy.
"""

from __future__ import annotations

import uuid

from ecosteward.consumer import Subscription
from ecosteward.events import EventEnvelope
from ecosteward.outbox import UnitOfWork
from services.archive.models import KnownJurisdictionRow


async def on_jurisdiction_changed(uow: UnitOfWork, event: EventEnvelope) -> None:
    data = event.data
    jurisdiction_id = uuid.UUID(str(data["id"]))
    row = await uow.session.get(KnownJurisdictionRow, jurisdiction_id)
    if row is None:
        uow.session.add(
            KnownJurisdictionRow(id=jurisdiction_id, code=str(data["code"]), name=str(data["name"]))
        )
    else:
        row.code, row.name = str(data["code"]), str(data["name"])


SUBSCRIPTIONS = [
    Subscription(
        name="jurisdictions",
        source="registry",
        filter_subject="ecosteward.registry.jurisdiction.*",
        handler=on_jurisdiction_changed,
    )
]
