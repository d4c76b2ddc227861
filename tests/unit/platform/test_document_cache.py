"""Parse and validation caches: each query text is parsed and validated once, and every answer —
errors and their codes included — is the one an uncached schema gives, however often it is asked."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import pytest
import strawberry
from strawberry.extensions import MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig

from ecosteward.graphql import (
    MAX_DEPTH,
    MAX_TOKENS,
    ErrorCodes,
    InputRules,
    OperationMetrics,
    RequireAuthentication,
    document_cache_info,
)
from ecosteward.inputs import SCALAR_OVERRIDES
from ecosteward.schema import FEDERATION_VERSION, SubgraphSchema, build_schema


@strawberry.type
class Node:
    name: str
    child: Node | None = None


@strawberry.type
class Query:
    @strawberry.field
    def nodes(self, first: int = 1, on: dt.date | None = None, name: str | None = None) -> list[Node]:
        node = Node(name=name or "n")
        for _ in range(MAX_DEPTH + 2):
            node = Node(name=node.name, child=node)
        return [node] * first


CACHED = build_schema(Query)
UNCACHED = SubgraphSchema(  # the extensions as they were before the caches
    query=Query,
    extensions=[
        RequireAuthentication,
        InputRules,
        OperationMetrics,
        ErrorCodes,
        functools.partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
        functools.partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
    ],
    federation_version=FEDERATION_VERSION,  # type: ignore[arg-type]
    config=StrawberryConfig(auto_camel_case=True),
    scalar_overrides=SCALAR_OVERRIDES,
)


def _deep(levels: int) -> str:
    return "{ nodes { " + "child { " * levels + "name" + " }" * levels + " } }"


DOCUMENTS: list[tuple[str, dict[str, Any] | None]] = [
    ("{ nodes(first: 2) { name } }", None),
    ("query Q($n: Int) { nodes(first: $n) { name } }", {"n": 3}),
    ("query Q($n: Int) { nodes(first: $n) { name } }", {"n": "three"}),  # variable of the wrong type
    ('{ nodes(first: "x") { name } }', None),  # literal of the wrong type
    ('{ nodes(on: "2026-13-01") { name } }', None),  # a date the input rules refuse
    ('{ nodes(name: "  padded  ") { name } }', None),  # text the input rules trim
    ("{ nope }", None),  # unknown field
    ("{ nodes { name ", None),  # syntax error
    ("query A { nodes { name } } query B { nodes { name } }", None),  # no operation chosen
    (_deep(MAX_DEPTH + 1), None),  # too deep
    ("{ " + "nodes { name } " * (MAX_TOKENS // 4) + "}", None),  # too many tokens
]


async def _answer(schema: Any, query: str, variables: dict[str, Any] | None) -> list[Any]:
    result = await schema.execute(query, variable_values=dict(variables) if variables else None)
    return [result.data, [error.formatted for error in result.errors or []]]


@pytest.mark.parametrize(("query", "variables"), DOCUMENTS)
async def test_every_answer_matches_the_uncached_schema_every_time(
    query: str, variables: dict[str, Any] | None
) -> None:
    expected = await _answer(UNCACHED, query, variables)
    for _ in range(3):
        assert await _answer(CACHED, query, variables) == expected


async def test_errors_keep_their_codes_when_served_from_the_cache() -> None:
    for query, variables in DOCUMENTS:
        for _ in range(2):
            _, errors = await _answer(CACHED, query, variables)
            assert all(error["extensions"]["code"] for error in errors), errors


async def test_a_repeated_query_is_parsed_and_validated_once() -> None:
    query = "query Repeated($n: Int) { nodes(first: $n) { name child { name } } }"
    before = document_cache_info()
    for n in range(5):
        await CACHED.execute(query, variable_values={"n": n})
    after = document_cache_info()
    assert after["parse"].hits - before["parse"].hits == 4
    assert after["validation"].hits - before["validation"].hits == 4
    assert after["validation"].maxsize is not None  # bounded


async def test_a_cached_validation_error_is_a_fresh_copy_per_request() -> None:
    first = await CACHED.execute("{ alsoNope }")
    first.errors[0].message = "changed by a caller"  # type: ignore[index]
    second = await CACHED.execute("{ alsoNope }")
    assert second.errors is not None
    assert second.errors[0].message.startswith("Cannot query field 'alsoNope'")
    assert second.errors[0].extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}
