"""Building a service's Federation 2 schema the same way everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from ecosteward.errors import AppError
from ecosteward.graphql import schema_extensions
from ecosteward.inputs import SCALAR_OVERRIDES, date_window, document_text_limits

# Hive's composition accepts federation up to 2.7 (it rejects strawberry's default v2.11 link).
FEDERATION_VERSION = "2.7"


class SubgraphSchema(strawberry.federation.Schema):
    """Federation schema that logs only unexpected errors (coded ones are the client's business)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Errors without a path arise before any resolver runs (input coercion): the client's business.
        unexpected = [
            e
            for e in errors
            if not isinstance(e.original_error, (GraphQLError, AppError))
            and e.original_error is not None
            and e.path is not None
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def merged_schema(title: str, *areas: ModuleType) -> strawberry.federation.Schema:
    """The schema of a service whose areas' ``schema`` modules each give ``Query``, ``Mutation`` and
    ``TYPES``: root types described "<title> queries." / "<title> mutations.", areas in the given
    order (``merge_types`` would do the same but drop the descriptions the supergraph carries)."""
    query = type("Query", tuple(area.Query for area in areas), {})
    mutation = type("Mutation", tuple(area.Mutation for area in areas), {})
    return build_schema(
        strawberry.type(query, description=f"{title} queries."),
        strawberry.type(mutation, description=f"{title} mutations."),
        types=[t for area in areas for t in area.TYPES],
    )


def build_schema(
    query: type, mutation: type | None = None, types: Sequence[type] = ()
) -> strawberry.federation.Schema:
    date_window()  # a malformed ECOSTEWARD_DATE_MIN/MAX stops the service at start, not per request
    schema = SubgraphSchema(
        query=query,
        mutation=mutation,
        types=list(types),
        extensions=schema_extensions(),
        federation_version=FEDERATION_VERSION,  # type: ignore[arg-type]
        config=StrawberryConfig(auto_camel_case=True),
        scalar_overrides=SCALAR_OVERRIDES,
    )
    document_text_limits(schema._schema)  # every text input's length limit, in its description
    return schema


def sdl(schema: Any) -> str:
    """The subgraph SDL, as the gateway composes it."""
    return str(schema.as_str()) + "\n"
