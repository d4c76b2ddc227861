"""Building GraphQL object types from database rows, and running a use case for a resolver.

Most output types copy a row field by field; :func:`from_row` is that copy, written once::

    @classmethod
    def from_row(cls, row: StaffRow) -> Staff:
        return from_row(cls, row, qualifications=list(row.qualifications or []))

Every field of the strawberry type (a dataclass, ``strawberry.Private`` fields included) takes the
row's attribute of the same name, converted to the field's GraphQL type where the two differ in a
plain way: a ``UUID`` for an ``ID`` field becomes its text, a stored string for an enum field becomes
the member. Anything else (a renamed column, a computed value, a JSON list) is passed as an
explicit keyword override, so each ``from_row`` says exactly what it does not copy as is.

:func:`copy_into` is the same copy from a GraphQL input into a use case's input dataclass.
:func:`perform` is the other half every mutation repeats: open a unit of work and call a use case
as the signed-in caller (``verb(uow, actor, …)``).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import strawberry
from strawberry.types import Info
from strawberry.types.base import StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition
from strawberry.types.private import is_private

from ecosteward.graphql import context_of
from ecosteward.identity import Principal
from ecosteward.outbox import UnitOfWork

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")


def _enum_of(field_type: object) -> type[Enum] | None:
    """The Python enum behind a GraphQL field type (through ``X | None``, not through lists), or None."""
    while isinstance(field_type, StrawberryOptional):
        field_type = field_type.of_type
    if isinstance(field_type, StrawberryEnumDefinition):
        return cast("type[Enum]", field_type.wrapped_cls)
    return None


def _plain(value: Any) -> Any:
    """A row value for a non-enum field: a UUID becomes its text (the GraphQL ``ID``), the rest stays."""
    return strawberry.ID(str(value)) if isinstance(value, uuid.UUID) else value


def _member_of(enum: type[Enum]) -> Callable[[Any], Any]:
    """A row value for an enum field: the stored string becomes the member (None stays None)."""

    def convert(value: Any) -> Any:
        return value if value is None or isinstance(value, enum) else enum(value)

    return convert


_CONVERTERS: dict[type, dict[str, Callable[[Any], Any]]] = {}


def _converters(cls: type) -> dict[str, Callable[[Any], Any]]:
    """How each public data field of ``cls`` converts a row value (worked out once per type).

    ``strawberry.Private`` fields are not in the GraphQL schema: they take the row's value as is.
    """
    known = _CONVERTERS.get(cls)
    if known is not None:
        return known
    converters: dict[str, Callable[[Any], Any]] = {}
    for field in cls.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if field.base_resolver is None and not is_private(field.type):
            enum = _enum_of(field.type)
            converters[field.python_name] = _plain if enum is None else _member_of(enum)
    _CONVERTERS[cls] = converters
    return converters


def from_row(cls: type[T], row: object, /, **overrides: Any) -> T:
    """An instance of the strawberry type ``cls`` with each field taken from ``row`` by name.

    ``overrides`` give the fields that are not a plain copy (other name, computed, converted).
    A field neither on the row nor overridden is an error (``AttributeError``), never a silent default;
    so is an override that names no field (``TypeError``).
    """
    if not hasattr(cls, "__strawberry_definition__"):
        raise TypeError(f"{cls.__name__} is not a strawberry type")
    return _build(cls, row, overrides, _converters(cls))


def copy_into(cls: type[T], source: object, /, **overrides: Any) -> T:
    """An instance of the dataclass ``cls`` (e.g. a use case's input) with each field taken from
    ``source`` (e.g. the GraphQL input) by name, as it is; ``overrides`` give the fields that need a
    conversion (an id to parse, a GraphQL enum to map). Missing fields are errors, as in :func:`from_row`.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a dataclass")
    return _build(cls, source, overrides, {})


def _build(
    cls: type[T], source: object, overrides: dict[str, Any], converters: dict[str, Callable[[Any], Any]]
) -> T:
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]  # checked by the callers
        if not field.init:
            continue
        if field.name in overrides:
            values[field.name] = overrides[field.name]
        else:
            value = getattr(source, field.name)
            convert = converters.get(field.name)
            values[field.name] = value if convert is None else convert(value)
    unknown = set(overrides) - set(values)
    if unknown:
        raise TypeError(f"{cls.__name__} has no fields {sorted(unknown)}")
    return cls(**values)


async def perform(
    info: Info[Any, Any],
    use_case: Callable[Concatenate[UnitOfWork, Principal, P], Awaitable[R]],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> R:
    """``use_case(uow, caller, *args, **kwargs)`` in one unit of work (one transaction with its events)."""
    ctx = context_of(info)
    async with ctx.runtime.unit_of_work() as uow:
        return await use_case(uow, ctx.user, *args, **kwargs)
