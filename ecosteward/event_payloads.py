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

A field one verb sets and another does not defaults to :data:`OMITTED`: the key is then left out of
the event, as hand-written dicts did (a consumer reading such a field gives it a default).

``tests/contracts/`` checks that every consumed field exists in the producer's payload with the same
type (a consumer may read a field as optional where the producer always sends it), and that a
payload's fields only grow while its ``SCHEMA_VERSION`` stays the same (``make event-schemas``
records the published schemas in ``tests/contracts/event_schemas.json``).

Pure: standard library only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import types
import typing
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Self

from ecosteward.attributes import from_attributes

PUBLISHED: dict[str, type[PublishedPayload]] = {}
"""Every published payload class by its ``EVENT`` (``<service>.<entity>``)."""

CONSUMED: list[type[ConsumedPayload]] = []
"""Every consumer's view of an event."""


class PayloadError(ValueError):
    """An event's data does not fit the payload it is read through (malformed event)."""


class _Omitted:
    """The value of a payload field an event does not carry."""

    def __repr__(self) -> str:
        return "OMITTED"


OMITTED: Any = _Omitted()
"""Default of a verb-specific field of a published payload: ``to_data`` leaves the key out unless given."""

_TYPE_NAMES: dict[Any, str] = {
    uuid.UUID: "UUID",
    Decimal: "Decimal",
    dt.datetime: "datetime",
    dt.date: "date",
}


def type_string(hint: Any) -> str:
    """The wire type of a field's type hint, e.g. ``"list[UUID]"``, ``"date | None"``.

    A ``str`` (or ``int``) enum is its base type: on the wire it is the member's value, and a consumer
    reads it as plain text. Used to compare consumers with producers and to record schemas.
    """
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        text = " | ".join(sorted(type_string(option) for option in options if option is not type(None)))
        return f"{text} | None" if type(None) in options else text
    if origin is not None:
        args = typing.get_args(hint)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return f"tuple[{type_string(args[0])}, ...]"
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join(type_string(arg) for arg in args)}]"
    if hint is Any:
        return "Any"
    if hint is type(None):
        return "None"
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            for base in (str, int):
                if issubclass(hint, base):
                    return base.__name__
        return _TYPE_NAMES.get(hint, hint.__name__)
    return str(hint)


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
            number = value if isinstance(value, Decimal) else Decimal(str(value))
            if not number.is_finite():
                raise PayloadError(f"{name}: expected a finite number, got {value!r}")
            return number
        if hint is dt.datetime or hint is dt.date:
            if isinstance(value, hint):
                return value
            if not isinstance(value, str):  # ISO text on the wire, never a number
                raise PayloadError(f"{name}: expected an ISO {hint.__name__}, got {type(value).__name__}")
            return hint.fromisoformat(value)
        if hint is bool:
            if not isinstance(value, bool):
                raise PayloadError(f"{name}: expected true or false")
            return value
        if hint is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise PayloadError(f"{name}: expected an integer")
            return value
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return value if isinstance(value, hint) else hint(value)
        if hint is str:
            return str(value)
        if isinstance(hint, type) and issubclass(hint, typing.Mapping | dict):
            return dict(value)
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise PayloadError(f"{name}: {exc}") from exc
    return value


def _is_value_of(value: Any, hint: Any) -> bool:
    """Whether ``value`` is of type ``hint`` (shallow: a list is a list, whatever its items)."""
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_is_value_of(value, option) for option in typing.get_args(hint))
    if hint is type(None):
        return value is None
    runtime = origin or hint
    return not isinstance(runtime, type) or isinstance(value, runtime)


def _json(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
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
    def field_defaults(cls) -> dict[str, bool]:
        """Field name → whether it has a default (may be missing from an event's data)."""
        return {
            f.name: f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        }

    @classmethod
    def omitted_fields(cls) -> frozenset[str]:
        """The fields events may leave out: those defaulting to :data:`OMITTED` (or to another marker
        that is no value of the field's type, such as a service's own "absent" sentinel)."""
        hints = cls.field_types()
        return frozenset(
            f.name
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            if f.default is OMITTED
            or (f.default is not dataclasses.MISSING and not _is_value_of(f.default, hints[f.name]))
        )

    @classmethod
    def from_data(cls, data: typing.Mapping[str, Any]) -> Self:
        """Read ``data`` (an envelope's ``data``); unknown keys are ignored, so producers may add fields."""
        if not isinstance(data, typing.Mapping):
            raise PayloadError(f"{cls.EVENT}: expected an object, got {type(data).__name__}")
        values = cls.carried(data)
        for name, has_default in cls.field_defaults().items():
            if name not in values and not has_default:
                raise PayloadError(f"{cls.EVENT}: field {name!r} is missing")
        return cls(**values)

    @classmethod
    def carried(cls, data: typing.Mapping[str, Any]) -> dict[str, Any]:
        """The typed values of the fields ``data`` carries; fields it leaves out are left out here too.

        For partial updates (a local copy keeps what an event does not mention).
        """
        types_ = cls.field_types()
        return {name: _convert(data[name], hint, name) for name, hint in types_.items() if name in data}


class PublishedPayload(_Payload):
    """Base of a published event's payload; subclasses are frozen dataclasses."""

    VERBS: ClassVar[tuple[str, ...]]
    SCHEMA_VERSION: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "EVENT" in cls.__dict__:
            known = PUBLISHED.get(cls.EVENT)
            if known is not None and (known.__module__, known.__qualname__) != (
                cls.__module__,
                cls.__qualname__,
            ):
                raise TypeError(
                    f"{cls.EVENT} is already published by {known.__module__}.{known.__qualname__}: "
                    "one payload class per event (make verb-specific fields optional)"
                )
            PUBLISHED[cls.EVENT] = cls

    @classmethod
    def from_attributes(cls, source: object, /, *names: str, **values: Any) -> Self:
        """The payload of ``source`` (a row): each field is ``source``'s attribute of the same name,
        except those given in ``values`` (derived or converted ones); with ``names``, only those
        are read (:func:`ecosteward.attributes.from_attributes`)."""
        return from_attributes(cls, source, *names, **values)

    @property
    def entity(self) -> str:
        return self.EVENT.split(".", 1)[1]

    def to_data(self) -> dict[str, Any]:
        """JSON-ready ``data`` of the envelope (fields left at :data:`OMITTED` are left out)."""
        return {
            f.name: _json(value)
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if (value := getattr(self, f.name)) is not OMITTED
        }


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
