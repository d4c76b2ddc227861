"""The inspection service's GraphQL schema: every area's Query and Mutation fragments, merged.

A new area adds its schema module to ``merged_schema`` (after the existing ones: order is the
supergraph's field order).
"""

from __future__ import annotations

from ecosteward.schema import merged_schema
from services.inspection.visits import schema as visits

schema = merged_schema("Inspection", visits)
