"""Typed event payloads (事件契约): one frozen dataclass per published event, one per consumer's view.

A producer declares what it publishes next to the code that publishes it (the area's ``events.py``)::

    @dataclass(frozen=True)
    class ContractChanged(PublishedPayload):
        \"\"\"registry.contract.* — a service contract (服务合同) was drafted, signed, filed, …\"\"\"

        EVENT: ClassVar[str] = "registry.contract"
        VERBS: ClassVar[tuple[str, ...]] = ("drafted", "signed", "filed", "ended", "terminated")
        SCHEMA_VERSION: ClassVar[int] = 1

        id: uuid.UUID
        agency_id: uuid.UUID
        scope_enterprise_ids: list[uuid.UUID]
        signed_on: dt.date | None = None

    uow.emit("signed", ContractChanged(...), subject=contract.id)

A consumer never imports another service: it declares the fields it reads as its own dataclass and
reads every event through it, so a missing or mistyped field fails loudly at one place::

    @dataclass(frozen=True)
    class ContractSeen(ConsumedPayload):
        EVENT: ClassVar[str] = "registry.contract"
        id: uuid.UUID
        scope_enterprise_ids: list[uuid.UUID]

    seen = ContractSeen.read(event)

``tests/contracts/`` checks that every consumed field exists in the producer's payload with the same
type, and that a payload's fields only grow while its ``SCHEMA_VERSION`` stays the same.

Pure: standard library only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Self

PUBLISHED: dict[str, type[PublishedPayload]] = {}
"""Every published payload class by its ``EVENT`` (``<service>.<entity>``)."""

CONSUMED: list[type[ConsumedPayload]] = []
"""Every consumer's view of an event."""


class PayloadError(ValueError):
    """An event's data does not fit the payload it is read through (malformed event)."""


def _convert(value: Any, hint: Any, name: str) -> Any:
    """``value`` (JSON) as ``hint``: UUID, Decimal, date, datetime, str, int, bool, lists, optionals."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(hint) if option is not type(None)]
        if value is None:
            return None
        return _convert(value, options[0], name)
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise PayloadError(f"{name}: expected a list, got {type(value).__name__}")
        (item,) = typing.get_args(hint)[:1]
        items = [_convert(entry, item, name) for entry in value]
        return items if origin is list else tuple(items)
    if value is None:
        raise PayloadError(f"{name}: a value is required")
    try:
        if hint is uuid.UUID:
            return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        if hint is Decimal:
            return value if isinstance(value, Decimal) else Decimal(str(value))
        if hint is dt.datetime:
            return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
        if hint is dt.date:
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        if hint is bool:
            if not isinstance(value, bool):
                raise PayloadError(f"{name}: expected true or false")
            return value
        if hint is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise PayloadError(f"{name}: expected an integer")
            return value
        if hint is str:
            return str(value)
        if isinstance(hint, type) and issubclass(hint, typing.Mapping | dict):
            return dict(value)
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise PayloadError(f"{name}: {exc}") from exc
    return value


def _json(value: Any) -> Any:
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    return value


class _Payload:
    EVENT: ClassVar[str]
    """``<service>.<entity>``: the events (``<service>.<entity>.<verb>``) this payload is about."""

    @classmethod
    def field_types(cls) -> dict[str, Any]:
        """Field name → resolved type hint."""
        hints = typing.get_type_hints(cls)
        return {f.name: hints[f.name] for f in dataclasses.fields(cls)}  # type: ignore[arg-type]

    @classmethod
    def from_data(cls, data: typing.Mapping[str, Any]) -> Self:
        """Read ``data`` (an envelope's ``data``); unknown keys are ignored, so producers may add fields."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name in data:
                values[f.name] = _convert(data[f.name], cls.field_types()[f.name], f.name)
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise PayloadError(f"{cls.EVENT}: field {f.name!r} is missing")
        return cls(**values)


class PublishedPayload(_Payload):
    """Base of a published event's payload; subclasses are frozen dataclasses."""

    VERBS: ClassVar[tuple[str, ...]]
    SCHEMA_VERSION: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "EVENT" in cls.__dict__:
            PUBLISHED[cls.EVENT] = cls

    @property
    def entity(self) -> str:
        return self.EVENT.split(".", 1)[1]

    def to_data(self) -> dict[str, Any]:
        """JSON-ready ``data`` of the envelope."""
        return {f.name: _json(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


class ConsumedPayload(_Payload):
    """Base of a consumer's view of an event: the fields it reads, typed."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "EVENT" in cls.__dict__:
            CONSUMED.append(cls)

    @classmethod
    def read(cls, event: Any) -> Self:
        """The payload of ``event`` (an :class:`ecosteward.events.EventEnvelope`)."""
        return cls.from_data(event.data)
