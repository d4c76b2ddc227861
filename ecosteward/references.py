"""Reference stubs: the registry's entities as other subgraphs point at them.

A subgraph that links to an agency, a jurisdiction or a contract declares the entity with its key
only and ``resolvable: false``; the gateway fetches every other field from the registry. Declared
once here, so each subgraph names them the same way::

    @strawberry.field(description="The agency concerned.")
    def agency(self) -> Agency:
        return Agency(id=strawberry.ID(str(self.agency_id)))

The registry's own full types keep their names; these are never mixed into the registry's schema.
"""

from __future__ import annotations

import strawberry
from strawberry.federation.schema_directives import FieldSet, Key


def _reference_only() -> list[Key]:
    """The key of an entity this subgraph points at but cannot resolve."""
    return [Key(fields=FieldSet("id"), resolvable=False)]


@strawberry.federation.type(
    keys=_reference_only(), description="A service agency (resolved by the registry)."
)
class Agency:
    """A service agency (服务机构), owned by the registry."""

    id: strawberry.ID = strawberry.field(description="Stable id.")


@strawberry.federation.type(keys=_reference_only(), description="A managing unit (resolved by the registry).")
class Jurisdiction:
    """A managing unit (辖区: district, town/street or park committee), owned by the registry."""

    id: strawberry.ID = strawberry.field(description="Stable id.")


@strawberry.federation.type(
    keys=_reference_only(), description="A service contract (委托合同), resolved by the registry."
)
class ServiceContract:
    """A service contract (委托合同), owned by the registry."""

    id: strawberry.ID = strawberry.field(description="Stable id.")
