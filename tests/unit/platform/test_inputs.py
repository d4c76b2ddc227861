"""The shared input rules (ecosteward.inputs): strict scalars, the date window, text cleaning, and a
property test that sends random values for every argument of all five schemas through the real
strawberry/graphql-core coercion path and finds no INTERNAL_SERVER_ERROR."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import types
from decimal import Decimal
from typing import Any, cast

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLObjectType,
    get_named_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecosteward import SERVICES
from ecosteward.auth import Principal
from ecosteward.graphql import RequestContext
from ecosteward.inputs import (
    DEFAULT_TEXT_RULE,
    TEXT_RULES,
    InputRejected,
    TextRule,
    clean_text,
    forbidden_character,
    parse_date,
    parse_datetime,
    parse_decimal,
    text_rule,
)
from tests.graphql_inputs import graphql_values, probe_operation

# ---------------------------------------------------------------------------- dates


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_every_date_in_the_window_round_trips(day: dt.date) -> None:
    assert parse_date(day.isoformat()) == day


@given(st.dates().filter(lambda d: not dt.date(2000, 1, 1) <= d <= dt.date(2100, 12, 31)))
def test_dates_outside_the_window_are_refused(day: dt.date) -> None:
    with pytest.raises(InputRejected, match="日期超出允许范围"):
        parse_date(day.isoformat())


@pytest.mark.parametrize(
    "text",
    ["2026-02-30", "2026-13-01", "not a date", "20260101", "2026-1-01", " 2026-01-01", "2026-W01-1", ""],
)
def test_only_real_iso_extended_dates_parse(text: str) -> None:
    with pytest.raises(InputRejected):
        parse_date(text)


@given(st.one_of(st.text(max_size=20), st.integers(), st.floats(), st.none(), st.booleans()))
def test_parse_date_refuses_or_returns_a_date_never_anything_else(value: object) -> None:
    try:
        parsed = parse_date(value)
    except InputRejected:
        return
    assert isinstance(value, str) and parsed.isoformat() == value


def test_the_window_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOSTEWARD_DATE_MIN", "1990-01-01")
    assert parse_date("1995-06-01") == dt.date(1995, 6, 1)
    monkeypatch.setenv("ECOSTEWARD_DATE_MAX", "2030-12-31")
    with pytest.raises(InputRejected):
        parse_date("2031-01-01")


def test_timestamps_are_iso_extended_within_the_window() -> None:
    assert parse_datetime("2026-05-01T08:30:00+08:00") == dt.datetime(
        2026, 5, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))
    )
    assert parse_datetime("2026-05-01T00:00:00Z").tzinfo is not None
    for bad in ["2026-05-01", "20260501T083000", "9999-12-31T00:00:00Z", "2026-02-30T00:00:00Z", "now"]:
        with pytest.raises(InputRejected):
            parse_datetime(bad)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**15), max_value=10**15))
def test_plain_decimals_parse_exactly(value: Decimal) -> None:
    assert parse_decimal(f"{value:f}") == value


@pytest.mark.parametrize("text", ["abc", "NaN", "Infinity", "-inf", "1e5", "1E-3", "", " 1", "1,5", True])
def test_other_decimals_are_refused(text: object) -> None:
    with pytest.raises(InputRejected):
        parse_decimal(text)


# ---------------------------------------------------------------------------- text

FORBIDDEN = [
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\u202e",
    "\u202d",
    "\u2066",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u2028",
]


@given(st.text(max_size=50), st.sampled_from(FORBIDDEN), st.text(max_size=50), st.booleans())
def test_control_bidi_and_zero_width_characters_are_refused(
    before: str, bad: str, after: str, multiline: bool
) -> None:
    with pytest.raises(InputRejected, match="不允许的字符"):
        clean_text(f"x{before}{bad}{after}x", TextRule(1000, multiline=multiline))


@given(st.text(alphabet=st.characters(categories=["L", "N", "P", "S", "Zs"]), max_size=300))
def test_ordinary_text_is_kept_trimmed(text: str) -> None:
    rule = TextRule(300)
    assert clean_text(text, rule) == text.strip()
    assert clean_text(f"  {text}\u3000", rule) == text.strip()


def test_newlines_and_tabs_only_in_multiline_text() -> None:
    assert clean_text("第一行\r\n\t第二行\n", TextRule(100, multiline=True)) == "第一行\n\t第二行"
    with pytest.raises(InputRejected):
        clean_text("第一行\n第二行", TextRule(100))
    assert forbidden_character("a\tb", multiline=True) is None


@given(st.integers(min_value=1, max_value=300), st.integers(min_value=0, max_value=400))
def test_length_is_limited_after_trimming(limit: int, length: int) -> None:
    text = "  " + "字" * length + "  "
    if length <= limit:
        assert clean_text(text, TextRule(limit)) == "字" * length
    else:
        with pytest.raises(InputRejected, match=f"at most {limit}"):
            clean_text(text, TextRule(limit))


def test_rules_are_declared_per_field_name_with_a_global_default() -> None:
    assert text_rule("name").max_length == 200
    assert text_rule("reason") == TextRule(2000, multiline=True)
    assert text_rule("somethingNew") == DEFAULT_TEXT_RULE
    assert all(rule.max_length <= 2000 for rule in TEXT_RULES.values() if not rule.checked_in_domain)
    # a limit a service's domain rules check (VALIDATION_FAILED with every violation) is documented only
    assert text_rule("reference", "RecordEnterpriseFactInput") == TextRule(120, checked_in_domain=True)
    assert text_rule("reason", "withdrawEnterpriseFact").max_length == 4000
    assert clean_text(" " + "x" * 121, text_rule("reference", "RecordEnterpriseFactInput")) == "x" * 121
    with pytest.raises(InputRejected):
        clean_text("x‮", text_rule("reference", "RecordEnterpriseFactInput"))


def test_the_schemas_document_every_text_limit() -> None:
    from ecosteward.schema import sdl

    registry = sdl(importlib.import_module("services.registry.schema").schema)
    assert "At most 200 characters" in registry and "At most 2000 characters" in registry


# ---------------------------------------------------------------------------- every argument, random values


def _context(service: str) -> RequestContext:
    runtime = types.SimpleNamespace(settings=types.SimpleNamespace(service=service))
    principal = Principal(subject="s", username="probe", roles=frozenset({"bureau_officer"}))
    return RequestContext(runtime=cast(Any, runtime), request_id="probe", principal=principal)


def _arguments() -> list[tuple[str, str, str, str]]:
    found = []
    for service in SERVICES:
        schema = importlib.import_module(f"services.{service}.schema").schema
        for root in ("Query", "Mutation"):
            root_type = schema._schema.get_type(root)
            if not isinstance(root_type, GraphQLObjectType):
                continue
            for field_name, field_def in root_type.fields.items():
                if field_name in {"_service"}:
                    continue
                for arg_name in field_def.args:
                    found.append((service, root, field_name, arg_name))
    return found


ARGUMENTS = _arguments()

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.text(alphabet=st.sampled_from("\x00\u202e\u200b \n0123456789-T:Z.e"), max_size=25),
    st.from_regex(r"\A-?\d{1,5}-\d{1,2}-\d{1,3}\Z"),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def values_for(type_: GraphQLInputType) -> st.SearchStrategy[Any]:
    """Random values shaped (mostly) like ``type_``, with junk at every level."""
    return graphql_values(type_, junk, max_depth=3, list_size=3)


@pytest.mark.parametrize(("service", "root", "field_name", "arg_name"), ARGUMENTS)
def test_random_values_for_any_argument_are_never_an_internal_error(
    service: str, root: str, field_name: str, arg_name: str
) -> None:
    schema = importlib.import_module(f"services.{service}.schema").schema
    root_type = schema._schema.get_type(root)
    assert isinstance(root_type, GraphQLObjectType)
    field_def = root_type.fields[field_name]
    query = probe_operation(root, field_name, field_def, stop=True)

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(values_for(field_def.args[arg_name].type))
    def probe(value: Any) -> None:
        result = asyncio.run(schema.execute(query, {arg_name: value}, context_value=_context(service)))
        assert result.errors, "the resolver must not run"
        for error in result.errors:
            code = (error.extensions or {}).get("code")
            assert code == "BAD_USER_INPUT", (value, error.message, error.extensions)
            assert "(" in error.message and any("\u4e00" <= c <= "\u9fff" for c in error.message), (
                error.message
            )
            named = (error.extensions or {}).get("argumentName")
            if named is not None:
                assert named.split(".")[0].split("[")[0] in {*field_def.args, "if"}, named

    probe()


def test_the_probe_covers_every_scalar_of_the_schemas() -> None:
    kinds = set()
    for service, root, field_name, arg_name in ARGUMENTS:
        schema = importlib.import_module(f"services.{service}.schema").schema
        root_type = schema._schema.get_type(root)
        assert isinstance(root_type, GraphQLObjectType)
        stack: list[Any] = [root_type.fields[field_name].args[arg_name].type]
        while stack:
            named = get_named_type(stack.pop())
            if isinstance(named, GraphQLInputObjectType) and named.name not in kinds:
                stack.extend(f.type for f in named.fields.values())
            kinds.add("enum" if isinstance(named, GraphQLEnumType) else named.name)
    assert {"Date", "DateTime", "Decimal", "ID", "Int", "String", "Boolean", "enum"} <= kinds
    assert len(ARGUMENTS) > 100


# ---------------------------------------------------------------------------- the token command


def test_the_token_command_without_keycloak_prints_one_line_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ecosteward.cli import main

    monkeypatch.setenv("ECOSTEWARD_KEYCLOAK_URL", "http://127.0.0.1:9")  # nothing listens on discard
    assert main(["token", "nosuchuser"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and "Keycloak" in captured.err


# ---------------------------------------------------------------------------- document vs input errors


def _execute(service: str, query: str, variables: dict[str, Any]) -> list[tuple[str, str | None]]:
    schema = importlib.import_module(f"services.{service}.schema").schema
    result = asyncio.run(schema.execute(query, variables, context_value=_context(service)))
    return [
        ((e.extensions or {}).get("code", ""), (e.extensions or {}).get("argumentName"))
        for e in result.errors or []
    ]


CREATE = "mutation($i: CreateJurisdictionInput!) { createJurisdiction(input: $i) { id } }"
DUE = "query($d: Date!) { addWorkingDays(start: $d, days: 1) { dueOn } }"


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        (
            "query($d: Int!) { addWorkingDays(start: $d, days: 1) { dueOn } }",
            {"d": 1},
            ("GRAPHQL_VALIDATION_FAILED", None),
        ),
        ("query { nope }", {}, ("GRAPHQL_VALIDATION_FAILED", None)),
        (DUE, {}, ("BAD_USER_INPUT", "start")),
        (DUE, {"d": None}, ("BAD_USER_INPUT", "start")),
        ('{ addWorkingDays(start: "2026-02-30", days: 1) { dueOn } }', {}, ("BAD_USER_INPUT", "start")),
        ('{ addWorkingDays(start: "2026-01-05", days: "x") { dueOn } }', {}, ("BAD_USER_INPUT", "days")),
        (CREATE, {"i": {"code": "x", "name": "y", "kind": "NOPE"}}, ("BAD_USER_INPUT", "input.kind")),
        (CREATE, {"i": {"code": "x", "name": "y\u200b", "kind": "TOWN"}}, ("BAD_USER_INPUT", "input.name")),
        (CREATE, {"i": 5}, ("BAD_USER_INPUT", "input")),
        (
            'mutation { createJurisdiction(input: {code: "x", name: "a\\u202eb", kind: TOWN}) { id } }',
            {},
            ("BAD_USER_INPUT", "input.name"),
        ),
    ],
)
def test_document_errors_and_input_errors_are_told_apart(
    query: str, variables: dict[str, Any], expected: tuple[str, str | None]
) -> None:
    assert set(_execute("registry", query, variables)) == {expected}
