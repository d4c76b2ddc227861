"""Fields every entity has, defined once: the root ``thing(id)`` and ``things(filter, sort,
direction, first, after)``, and an entity's list of child rows (``statusHistory``).

:func:`entity_field` answers ``thing(id: ID!): Thing!`` with the type's own ``resolve_reference``
(so ``thing(id)`` and ``_entities`` keep one rule), which :func:`reference_reader` makes from the
service's by-id read: ``resolve_reference = reference_reader(access.read_agency)``.

:func:`list_field` builds a paged list field from what differs between lists (node type, filter
input, default sort key and direction) and a loader that gets the arguments as one
:class:`PageRequest`, for example
``list_field(Staff, staff_page, filter=StaffFilter, direction=SortDirection.ASC, description=…)``.
A list argument is in the field only when its part is given (``workPermits(filter, first, after)``
has no ``sort`` or ``direction``); ``first`` and ``after`` always are. Arguments keep that order and
the SDL is the one a hand-written resolver with these parameters gives.

:func:`children_field` lists the rows that belong to an object (``children_field(StaffRecord,
StaffRecordRow.staff_id, "Staff", StaffRecordRow.on.desc(), description=…)``), :func:`parent_field`
the row an object points to (``parent_field(Agency, AgencyRow, "agency_id", description=…)``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, Optional, TypeVar

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.types import Info

from ecosteward.graphql import Connection, SortDirection, roles
from ecosteward.identity import Role
from ecosteward.mapping import from_row
from ecosteward.repository import children, load_live, parse_id

N = TypeVar("N")

_POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD
_KEYWORD = inspect.Parameter.KEYWORD_ONLY
_ROOT_AND_INFO = [
    inspect.Parameter("self", _POSITIONAL),
    inspect.Parameter("info", _POSITIONAL, annotation=Info),
]


@dataclass(frozen=True)
class PageRequest(Generic[N]):
    """The arguments of one list field call. Without a ``sort`` argument ``sort`` is the default given
    to :func:`list_field` (None when none was); without a ``direction`` argument ``direction`` is the
    default given, else ascending."""

    filter: Any
    sort: Any
    direction: SortDirection
    first: int | None
    after: str | None


PageLoader = Callable[[Info[Any, Any], PageRequest[N]], Awaitable[Connection[N]]]
"""``load(info, request)``: one page for the caller."""


def _argument(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(name, _KEYWORD, annotation=annotation, default=default)


def _field(
    resolve: Callable[..., Any],
    arguments: list[inspect.Parameter],
    returns: Any,
    description: str,
    extensions: Sequence[FieldExtension],
) -> Any:
    """A strawberry field resolved by ``resolve``, whose GraphQL arguments are ``arguments``."""
    resolve.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [*_ROOT_AND_INFO, *arguments], return_annotation=returns
    )
    return strawberry.field(resolver=resolve, description=description, extensions=list(extensions))


def reference_reader(read: Callable[[Info[Any, Any], strawberry.ID], Awaitable[Any]]) -> Any:
    """A ``resolve_reference`` classmethod for a row-backed entity: ``cls.from_row(await read(info, id))``.

    ``read`` is the service's one by-id rule (NOT_FOUND alike for unknown and out of scope), so
    ``thing(id)`` (:func:`entity_field`) and ``_entities`` cannot differ.
    """

    async def resolve_reference(cls: Any, info: Info[Any, Any], id: strawberry.ID) -> Any:
        return cls.from_row(await read(info, id))

    return classmethod(resolve_reference)


def guarded_mutation(description: str, *allowed: Role | str) -> Any:
    """A described mutation only callers holding one of the ``allowed`` roles may run (see ``roles``)."""
    return strawberry.mutation(description=description, extensions=[roles(*allowed)])


def entity_field(node: type, *, description: str, extensions: Sequence[FieldExtension] = ()) -> Any:
    """A root field ``(id: ID!) -> node`` answered by the entity's ``node.resolve_reference``."""
    read: Callable[[Info[Any, Any], strawberry.ID], Awaitable[Any]] = getattr(node, "resolve_reference")  # noqa: B009

    async def resolve(self: Any, info: Info[Any, Any], id: strawberry.ID) -> Any:
        return await read(info, id)

    return _field(resolve, [_argument("id", strawberry.ID)], node, description, extensions)


def children_field(
    node: type[N],
    column: Any,
    what: str,
    *order: Any,
    description: str,
    extensions: Sequence[FieldExtension] = (),
) -> Any:
    """A field ``[node!]!``: the live rows whose ``column`` holds this object's id (``what`` names the
    object in errors), in ``order``, batched per request (:func:`ecosteward.repository.children`).

    Each row becomes a node by ``node.from_row`` when the type has one, else by :func:`from_row`.
    """
    model = column.class_
    to_node: Callable[[Any], N] = getattr(node, "from_row", None) or functools.partial(from_row, node)

    async def resolve(self: Any, info: Info[Any, Any]) -> list[N]:
        rows = await children(info, model, column, parse_id(self.id, what), *order)
        return [to_node(row) for row in rows]

    return _field(resolve, [], list[node], description, extensions)  # type: ignore[valid-type]


def parent_field(
    node: type[N], model: Any, key: str, *, description: str, extensions: Sequence[FieldExtension] = ()
) -> Any:
    """A field ``node!``: the live row of ``model`` whose id this object holds in its attribute ``key``,
    batched per request (:func:`ecosteward.repository.load_live`; NOT_FOUND once deleted), made a node
    by ``node.from_row``."""
    to_node: Callable[[Any], N] = getattr(node, "from_row")  # noqa: B009 - every row-backed type has one
    what = node.__name__

    async def resolve(self: Any, info: Info[Any, Any]) -> N:
        return to_node(await load_live(info, model, getattr(self, key), what))

    return _field(resolve, [], node, description, extensions)


def list_field(
    node: type[N],
    load: PageLoader[N],
    *,
    filter: type | None = None,
    sort: Enum | None = None,
    direction: SortDirection | None = None,
    description: str,
    extensions: Sequence[FieldExtension] = (),
) -> Any:
    """A root field ``(filter, sort, direction, first, after) -> Connection[node]`` answered by ``load``.

    ``filter`` is the input type (the argument defaults to null), ``sort`` the default sort key (its
    enum is the argument's type), ``direction`` the default direction; each argument is left out
    when its part is None.
    """
    arguments = []
    if filter is not None:
        arguments.append(_argument("filter", Optional[filter], None))  # noqa: UP045 - a runtime type
    if sort is not None:
        arguments.append(_argument("sort", type(sort), sort))
    if direction is not None:
        arguments.append(_argument("direction", SortDirection, direction))
    arguments.append(_argument("first", Optional[int], None))  # noqa: UP045
    arguments.append(_argument("after", Optional[str], None))  # noqa: UP045

    async def resolve(self: Any, info: Info[Any, Any], **given: Any) -> Connection[N]:
        request: PageRequest[N] = PageRequest(
            filter=given.get("filter"),
            sort=given.get("sort", sort),
            direction=given.get("direction", direction or SortDirection.ASC),
            first=given.get("first"),
            after=given.get("after"),
        )
        return await load(info, request)

    return _field(resolve, arguments, Connection[node], description, extensions)  # type: ignore[valid-type]
