"""Local copies (本地副本) of other services' entities, kept from their events.

A service never reads another's tables: it keeps the few fields it needs of, say, the archive's
enterprises in a table of its own, updated from ``archive.enterprise.*`` events::

    Subscription(
        name="enterprises",
        source="archive",
        filter_subject="ecosteward.archive.enterprise.*",
        handler=local_copy_handler(
            KnownEnterpriseRow, "enterprise", {"jurisdiction_id": as_uuid, "name": as_text}
        ),
    )
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import DeclarativeBase

from ecosteward.consumer import Handler
from ecosteward.events import EventEnvelope
from ecosteward.outbox import UnitOfWork

log = logging.getLogger(__name__)

Convert = Callable[[Any], Any]
"""Turns an event's JSON value into the column's value."""


def as_uuid(value: Any) -> uuid.UUID:
    return uuid.UUID(str(value))


def as_text(value: Any) -> str:
    return str(value)


def local_copy_handler(model: type[DeclarativeBase], what: str, fields: Mapping[str, Convert]) -> Handler:
    """A consumer handler that inserts or updates ``model``'s copy of the entity an event is about.

    The event's ``id`` is the copy's primary key and ``fields`` maps each copied column to how its
    event value is read. Fields an event omits keep their old value; an event about an entity not
    yet copied must carry every field, or it is ignored with a warning naming ``what`` it is about.
    """

    async def handle(uow: UnitOfWork, event: EventEnvelope) -> None:
        data = event.data
        entity_id = uuid.UUID(str(data["id"]))
        values = {name: convert(data[name]) for name, convert in fields.items() if name in data}
        row = await uow.session.get(model, entity_id)
        if row is not None:
            for name, value in values.items():
                setattr(row, name, value)
            return
        missing = [name for name in fields if name not in values]
        if missing:
            log.warning(
                "%s for unknown %s %s lacks %s; ignored", event.type, what, entity_id, ", ".join(missing)
            )
            return
        uow.session.add(model(id=entity_id, **values))

    return handle
