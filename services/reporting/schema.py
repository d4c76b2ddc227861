"""The reporting service's GraphQL schema: every area's Query and Mutation fragments, merged.

A new area adds its fragment as one more base class and its TYPES to the list (``merge_types``
would do the same but drop the descriptions the supergraph carries).
"""

from __future__ import annotations

import strawberry

from ecosteward.schema import build_schema
from services.reporting.reports import schema as reports


@strawberry.type(description="Reporting queries.")
class Query(reports.Query):
    pass


@strawberry.type(description="Reporting mutations.")
class Mutation(reports.Mutation):
    pass


schema = build_schema(Query, Mutation, types=[*reports.TYPES])
