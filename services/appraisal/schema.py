"""The appraisal service's GraphQL schema: every area's Query and Mutation fragments, merged.

A new area adds its fragment as one more base class and its TYPES to the list (``merge_types``
would do the same but drop the descriptions the supergraph carries).
"""

from __future__ import annotations

import strawberry

from ecosteward.schema import build_schema
from services.appraisal.appraisals import schema as appraisals


@strawberry.type(description="Appraisal queries.")
class Query(appraisals.Query):
    pass


@strawberry.type(description="Appraisal mutations.")
class Mutation(appraisals.Mutation):
    pass


schema = build_schema(Query, Mutation, types=[*appraisals.TYPES])
