"""Random GraphQL argument values and probe operations, shared by the unit and e2e input fuzzers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    get_named_type,
    is_leaf_type,
)
from hypothesis import strategies as st


def graphql_values(
    type_: GraphQLInputType,
    junk: st.SearchStrategy[Any],
    *,
    max_depth: int,
    list_size: int,
    depth: int = 0,
) -> st.SearchStrategy[Any]:
    """Random values shaped (mostly) like ``type_``, with ``junk`` at every level.

    Input objects nest up to ``max_depth`` (junk below), lists hold up to ``list_size`` items.
    """

    def inner(of: GraphQLInputType, level: int) -> st.SearchStrategy[Any]:
        return graphql_values(of, junk, max_depth=max_depth, list_size=list_size, depth=level)

    if isinstance(type_, GraphQLNonNull):
        return inner(type_.of_type, depth)
    if isinstance(type_, GraphQLList):
        return st.one_of(st.lists(inner(type_.of_type, depth + 1), max_size=list_size), junk)
    if isinstance(type_, GraphQLInputObjectType):
        if depth > max_depth:
            return junk
        fields = {name: inner(f.type, depth + 1) for name, f in type_.fields.items()}
        return st.one_of(st.fixed_dictionaries({}, optional=fields), junk)
    if isinstance(type_, GraphQLEnumType):
        return st.one_of(st.sampled_from(list(type_.values)), junk)
    if isinstance(type_, GraphQLScalarType) and type_.name == "Date":
        return st.one_of(st.dates().map(dt.date.isoformat), junk)
    return junk


def probe_operation(root: str, field_name: str, field: GraphQLField, *, stop: bool) -> str:
    """``query|mutation Probe(...)`` calling ``field_name`` with every argument as a variable.

    With ``stop`` the field is under ``@include(if: $stop)`` and ``$stop`` is never sent: whatever
    the values, only parsing and coercion run, no resolver does.
    """
    params = ", ".join(f"${name}: {arg.type}" for name, arg in field.args.items())
    args = ", ".join(f"{name}: ${name}" for name in field.args)
    selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
    keyword = "query" if root == "Query" else "mutation"
    if not stop:
        return f"{keyword} Probe({params}) {{ {field_name}({args}){selection} }}"
    params = f"{params}, $stop: Boolean!" if params else "$stop: Boolean!"
    return f"{keyword} Probe({params}) {{ {field_name}({args}) @include(if: $stop){selection} }}"
