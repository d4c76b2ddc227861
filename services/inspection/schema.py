"""The inspection service's GraphQL schema: every area's Query and Mutation fragments, merged.

A new area adds its fragment as one more base class and its TYPES to the list (``merge_types``
would do the same but drop the descriptions the supergraph carries).
"""

from __future__ import annotations

import strawberry

from ecosteward.schema import build_schema
from services.inspection.visits import schema as visits


@strawberry.type(description="Inspection queries.")
class Query(visits.Query):
    pass


@strawberry.type(description="Inspection mutations.")
class Mutation(visits.Mutation):
    pass


schema = build_schema(Query, Mutation, types=[*visits.TYPES])
