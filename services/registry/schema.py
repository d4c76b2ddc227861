"""The registry's GraphQL schema: the areas' Query and Mutation fragments, merged in directory order."""

from __future__ import annotations

import strawberry

from ecosteward.schema import build_schema
from services.registry.accounts import schema as accounts
from services.registry.agencies import schema as agencies
from services.registry.calendar import schema as calendar
from services.registry.contracts import schema as contracts
from services.registry.jurisdictions import schema as jurisdictions
from services.registry.permits import schema as permits
from services.registry.staff import schema as staff


def _merged(name: str, description: str, fragments: tuple[type, ...]) -> type:
    """One root type with the fragments' fields, in the order given (``strawberry.tools.merge_types``
    with a description)."""
    return strawberry.type(type(name, fragments, {}), description=description)


Query = _merged(
    "Query",
    "Registry queries.",
    (
        jurisdictions.Query,
        agencies.Query,
        staff.Query,
        permits.Query,
        contracts.Query,
        calendar.Query,
    ),
)
Mutation = _merged(
    "Mutation",
    "Registry mutations.",
    (
        jurisdictions.Mutation,
        agencies.Mutation,
        staff.Mutation,
        permits.Mutation,
        contracts.Mutation,
        calendar.Mutation,
        accounts.Mutation,
    ),
)

schema = build_schema(
    Query,
    Mutation,
    types=[jurisdictions.Jurisdiction, agencies.Agency, staff.Staff, contracts.ServiceContract],
)
