"""Local copies (本地副本) of other services' entities, kept from their events.

A service never reads another's tables: it keeps the few fields it needs of, say, the archive's
enterprises in a table of its own, updated from ``archive.enterprise.*`` events, read through the
consumer's own payload class (:class:`ecosteward.event_payloads.ConsumedPayload`)::

    @dataclass(frozen=True)
    class EnterpriseSeen(ConsumedPayload):  # what this service copies; updates may leave fields out
        EVENT: ClassVar[str] = "archive.enterprise"
        id: uuid.UUID
        name: str | None = None

    Subscription(
        name="enterprises",
        source="archive",
        filter_subject="ecosteward.archive.enterprise.*",
        handler=local_copy_handler(KnownEnterpriseRow, EnterpriseSeen),
    )

The older form names the entity and maps each column to a converter of the raw JSON value,
``local_copy_handler(KnownEnterpriseRow, "enterprise", {"jurisdiction_id": as_uuid, "name": as_text})``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any, overload

from sqlalchemy.orm import DeclarativeBase

from ecosteward.consumer import Handler
from ecosteward.event_payloads import ConsumedPayload, PayloadError, type_string
from ecosteward.events import EventEnvelope
from ecosteward.outbox import UnitOfWork

log = logging.getLogger(__name__)

Convert = Callable[[Any], Any]
"""Turns an event's JSON value into the column's value."""


def as_uuid(value: Any) -> uuid.UUID:
    return uuid.UUID(str(value))


def as_text(value: Any) -> str:
    return str(value)


@overload
def local_copy_handler(
    model: type[DeclarativeBase],
    source: type[ConsumedPayload],
    *,
    convert: Mapping[str, Callable[[Any], Any]] | None = None,
    columns: Mapping[str, str] | None = None,
) -> Handler: ...


@overload
def local_copy_handler(
    model: type[DeclarativeBase], source: str, fields: Mapping[str, Convert]
) -> Handler: ...


def local_copy_handler(
    model: type[DeclarativeBase],
    source: type[ConsumedPayload] | str,
    fields: Mapping[str, Convert] | None = None,
    *,
    convert: Mapping[str, Callable[[Any], Any]] | None = None,
    columns: Mapping[str, str] | None = None,
) -> Handler:
    """A consumer handler that inserts or updates ``model``'s copy of the entity an event is about.

    ``source`` is the consumer's payload class: its ``id`` (a UUID) is the copy's primary key (an
    optional ``id``, ``uuid.UUID | None = None``, skips the family's events about no one entity) and
    each other field a column of the same name (or the one ``columns`` maps the field to), typed by
    the payload; ``convert`` may turn a field's typed value into the column's (say, UUIDs into the
    text a JSON column keeps), keyed by field name. A malformed event fails loudly (:class:`ecosteward.event_payloads.PayloadError`, retried then dead-lettered).

    The older form passes the entity's name as ``source`` and ``fields``: each copied column and how
    its raw event value is read.

    Either way, fields an event omits keep their old value; an event about an entity not yet copied
    must carry every field, or it is ignored with a warning naming the entity.
    """
    if isinstance(source, str):
        if fields is None or convert is not None or columns is not None:
            raise TypeError("local_copy_handler(model, what, fields): a field map, no convert or columns")
        return _field_map_handler(model, source, fields)
    if fields is not None:
        raise TypeError("local_copy_handler(model, Payload): the payload's fields are the columns")
    return _payload_handler(model, source, convert or {}, columns or {})


def _payload_handler(
    model: type[DeclarativeBase],
    payload: type[ConsumedPayload],
    convert: Mapping[str, Callable[[Any], Any]],
    columns: Mapping[str, str],
) -> Handler:
    types_ = payload.field_types()
    if type_string(types_.get("id")) not in ("UUID", "UUID | None"):
        raise TypeError(f"{payload.__qualname__} needs an `id: uuid.UUID` field (the copy's primary key)")
    # `id: uuid.UUID | None = None`: the event family also has events about no one entity (skipped).
    about_one = payload.field_defaults()["id"] is False
    copied = {name: columns.get(name, name) for name in types_ if name != "id"}
    unknown = [name for name in [*convert, *columns] if name not in copied]
    unknown += [column for column in copied.values() if not hasattr(model, column)]
    if unknown:
        raise TypeError(f"{payload.__qualname__} → {model.__name__}: no field or column {', '.join(unknown)}")
    what = payload.EVENT.split(".", 1)[-1]

    async def handle(uow: UnitOfWork, event: EventEnvelope) -> None:
        carried = payload.carried(event.data)
        entity_id: uuid.UUID | None = carried.get("id")
        if entity_id is None:
            if about_one:
                raise PayloadError(f"{event.type}: field 'id' is missing")
            log.debug("%s is about no one %s; nothing to copy", event.type, what)
            return
        values = {
            column: convert.get(name, _same)(carried[name])
            for name, column in copied.items()
            if name in carried
        }
        await _upsert(uow, model, entity_id, values, list(copied.values()), event, what)

    return handle


def _same(value: Any) -> Any:
    return value


def _field_map_handler(model: type[DeclarativeBase], what: str, fields: Mapping[str, Convert]) -> Handler:
    async def handle(uow: UnitOfWork, event: EventEnvelope) -> None:
        data = event.data
        entity_id = uuid.UUID(str(data["id"]))
        values = {name: convert(data[name]) for name, convert in fields.items() if name in data}
        await _upsert(uow, model, entity_id, values, list(fields), event, what)

    return handle


async def _upsert(
    uow: UnitOfWork,
    model: type[DeclarativeBase],
    entity_id: uuid.UUID,
    values: Mapping[str, Any],
    columns: list[str],
    event: EventEnvelope,
    what: str,
) -> None:
    row = await uow.session.get(model, entity_id)
    if row is not None:
        for name, value in values.items():
            setattr(row, name, value)
        return
    missing = [name for name in columns if name not in values]
    if missing:
        log.warning("%s for unknown %s %s lacks %s; ignored", event.type, what, entity_id, ", ".join(missing))
        return
    uow.session.add(model(id=entity_id, **values))
