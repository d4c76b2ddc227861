"""The archive's GraphQL schema: every area's queries and mutations, merged (explicit, in this order)."""

from __future__ import annotations

from strawberry.tools import merge_types

from ecosteward.references import Jurisdiction
from ecosteward.schema import build_schema
from services.archive.classification import schema as classification
from services.archive.documents import schema as documents
from services.archive.downloads import schema as downloads
from services.archive.enterprises import schema as enterprises

Query = merge_types("Query", (enterprises.Query, classification.Query, documents.Query, downloads.Query))
Mutation = merge_types(
    "Mutation", (enterprises.Mutation, classification.Mutation, documents.Mutation, downloads.Mutation)
)
schema = build_schema(Query, Mutation, types=[enterprises.Enterprise, Jurisdiction])
