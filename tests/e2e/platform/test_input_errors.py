"""Inputs and errors on the whole stack (issue 7, items 4, 5, 10): malformed scalars and implausible
values are BAD_USER_INPUT naming the argument and change nothing; every refusal — by a subgraph or
the gateway, before or after GraphQL runs — is a JSON body with ``extensions.code`` and a bilingual
message; random values for every argument never give INTERNAL_SERVER_ERROR."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLInputType,
    GraphQLObjectType,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecosteward import SERVICES
from tests.e2e.helpers import CREATE_JURISDICTION, Api, db_value, unique
from tests.graphql_inputs import graphql_values, probe_operation
from tests.support import Infra, gql, raw_http

BUREAU = "demo-bureau"
ADD_WORKING_DAYS = "query Due($d: Date!, $n: Int!) { addWorkingDays(start: $d, days: $n) { dueOn } }"


def _chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def _only_error(body: dict[str, Any]) -> dict[str, Any]:
    errors = body.get("errors") or []
    assert len(errors) == 1, body
    error: dict[str, Any] = errors[0]
    assert _chinese(error["message"]), error
    return error


@pytest.fixture(scope="module")
def api(stack: Infra) -> Api:
    return Api(stack, "registry")


# ---------------------------------------------------------------------------- malformed scalars


@pytest.mark.parametrize("bad", ["2026-02-30", "2026-13-01", "not a date", "20260101", "2026-1-1", 20260101])
@pytest.mark.parametrize("where", ["gateway", "subgraph"])
def test_a_malformed_date_is_bad_user_input_naming_the_argument(api: Api, bad: object, where: str) -> None:
    url = api.gateway if where == "gateway" else api.subgraph
    status, body = gql(url, ADD_WORKING_DAYS, {"d": bad, "n": 1}, token=api.token(BUREAU))
    error = _only_error(body)
    assert error["extensions"]["code"] == "BAD_USER_INPUT", body
    assert error["extensions"]["argumentName"] == "start", body
    assert "`start`" in error["message"]
    assert status in (200, 400)


def test_a_well_formed_date_still_works(api: Api) -> None:
    data = api.ok(BUREAU, ADD_WORKING_DAYS, {"d": "2026-09-25", "n": 10})
    assert data["addWorkingDays"]["dueOn"] == "2026-10-15"


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", "1e999999", "12,5"])
def test_a_malformed_decimal_is_bad_user_input_naming_the_field(stack: Infra, bad: str) -> None:
    api = Api(stack, "appraisal")
    query = "query($f: AppraisalFilter) { appraisals(filter: $f) { totalCount } }"
    for url in (api.gateway, api.subgraph):
        _, body = gql(url, query, {"f": {"minScore": bad}}, token=api.token(BUREAU))
        error = _only_error(body)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", body
        assert error["extensions"]["argumentName"] == "filter.minScore", body


def test_an_int_variable_out_of_range_is_coded_at_the_gateway_and_the_subgraph(api: Api) -> None:
    for url in (api.gateway, api.subgraph):
        _, body = gql(
            url, ADD_WORKING_DAYS, {"d": "2026-01-05", "n": 99_999_999_999}, token=api.token(BUREAU)
        )
        error = _only_error(body)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", body
        assert error["extensions"]["argumentName"] == "days", body


def test_a_bad_literal_at_the_subgraph_is_bad_user_input(api: Api) -> None:
    query = '{ addWorkingDays(start: "2026-02-30", days: 1) { dueOn } }'
    _, body = gql(api.subgraph, query, token=api.token(BUREAU))
    error = _only_error(body)
    assert error["extensions"]["code"] == "BAD_USER_INPUT", body
    assert error["extensions"]["argumentName"] == "start", body


# ---------------------------------------------------------------------------- implausible values


def test_a_holiday_in_year_9999_is_refused_and_not_stored(api: Api) -> None:
    mutation = 'mutation($d: Date!) { setCalendarEntry(day: $d, kind: "HOLIDAY", name: "远期") { year } }'
    body = api.call(BUREAU, mutation, {"d": "9999-12-31"})
    error = _only_error(body)
    assert (error["extensions"]["code"], error["extensions"]["argumentName"]) == ("BAD_USER_INPUT", "day")
    assert db_value(api.stack, "SELECT count(*) FROM calendar_days WHERE day = '9999-12-31'") == 0


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "2101-01-01"])
def test_signing_outside_the_date_window_is_refused(api: Api, day: str) -> None:
    mutation = "mutation($id: ID!, $on: Date!) { signServiceContract(id: $id, signedOn: $on) { id } }"
    body = api.call(BUREAU, mutation, {"id": str(uuid.uuid4()), "on": day})
    error = _only_error(body)
    assert (error["extensions"]["code"], error["extensions"]["argumentName"]) == (
        "BAD_USER_INPUT",
        "signedOn",
    )
    assert "2000-01-01" in error["message"] or "YYYY" in error["message"]


@pytest.mark.parametrize(
    "name",
    ["镇\x00名", "\u202e镇名", "镇\u200b名", "镇\ufeff名", "镇\n名", "镇" * 201],
    ids=["nul", "bidi-override", "zero-width", "bom", "newline-in-a-name", "too-long"],
)
def test_forbidden_characters_and_overlong_names_are_refused_and_not_stored(api: Api, name: str) -> None:
    code = unique("X")[:20]
    body = api.call(BUREAU, CREATE_JURISDICTION, {"input": {"code": code, "name": name, "kind": "TOWN"}})
    error = _only_error(body)
    assert error["extensions"]["code"] == "BAD_USER_INPUT", body
    assert error["extensions"]["argumentName"] == "input.name", body
    assert db_value(api.stack, "SELECT count(*) FROM jurisdictions WHERE code = $1", code) == 0


def test_text_is_stored_trimmed(api: Api) -> None:
    code = unique("X")[:20]
    data = api.ok(
        BUREAU,
        CREATE_JURISDICTION,
        {"input": {"code": f"  {code} ", "name": "\u3000 修剪镇 \t", "kind": "TOWN"}},
    )
    assert (data["createJurisdiction"]["code"], data["createJurisdiction"]["name"]) == (code, "修剪镇")
    assert db_value(api.stack, "SELECT name FROM jurisdictions WHERE code = $1", code) == "修剪镇"
    # literals in the document too (straight at the subgraph; the gateway sends variables)
    literal_code = unique("X")[:20]
    mutation = f'mutation {{ createJurisdiction(input: {{code: " {literal_code} ", name: "  字面镇 ", kind: TOWN}}) {{ name }} }}'
    assert api.ok(BUREAU, mutation, url=api.subgraph)["createJurisdiction"]["name"] == "字面镇"
    assert db_value(api.stack, "SELECT name FROM jurisdictions WHERE code = $1", literal_code) == "字面镇"


def test_the_schema_documents_the_length_limits(api: Api) -> None:
    # the subgraph's own schema (the gateway serves the committed supergraph, checked by test_supergraph)
    query = '{ __type(name: "CreateJurisdictionInput") { inputFields { name description } } }'
    data = api.ok(BUREAU, query, url=api.subgraph)
    fields = {f["name"]: f["description"] for f in data["__type"]["inputFields"]}
    assert "At most 200 characters" in fields["name"]
    assert "At most 100 characters" in fields["code"]


# ---------------------------------------------------------------------------- refusals before GraphQL


def _subgraph_base(stack: Infra, service: str = "registry") -> str:
    return f"http://127.0.0.1:{stack.ports.service(service)}"


def _gateway_base(stack: Infra) -> str:
    return f"http://127.0.0.1:{stack.ports.gateway}"


def _coded(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.headers
    error = _only_error(response.json())
    assert error["extensions"]["code"] == code, response.text


@pytest.mark.parametrize("base", ["subgraph", "gateway"])
def test_refusals_before_graphql_are_coded_json(stack: Infra, base: str) -> None:
    root = _subgraph_base(stack) if base == "subgraph" else _gateway_base(stack)
    auth = {"authorization": f"Bearer {stack.token(BUREAU)}"}
    _coded(httpx.get(f"{root}/no/such/path", timeout=10), 404, "NOT_FOUND")
    text_plain = {**auth, "content-type": "text/plain"}
    _coded(
        httpx.post(f"{root}/graphql", content='{"query":"{ __typename }"}', headers=text_plain, timeout=10),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    batch = [{"query": "{ __typename }"}, {"query": "{ __typename }"}]
    batched = httpx.post(f"{root}/graphql", json=batch, headers=auth, timeout=10)
    assert batched.status_code == 400
    assert _only_error(batched.json())["extensions"]["code"] in {"BATCHING_NOT_SUPPORTED", "BAD_REQUEST"}
    big = {"query": "{ __typename }", "variables": {"pad": "x" * 1_100_000}}
    _coded(httpx.post(f"{root}/graphql", json=big, headers=auth, timeout=30), 413, "PAYLOAD_TOO_LARGE")


def test_a_malformed_body_at_a_subgraph_is_coded_json(stack: Infra) -> None:
    root = _subgraph_base(stack)
    contents: list[str | bytes] = ["5", "not json", '"x"', b"\xff\xfe"]
    for content in contents:
        response = httpx.post(
            f"{root}/graphql", content=content, headers={"content-type": "application/json"}, timeout=10
        )
        _coded(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize("target", ["subgraph", "gateway"])
def test_oversized_headers_are_431_with_a_coded_json_body(stack: Infra, target: str) -> None:
    port = stack.ports.service("registry") if target == "subgraph" else stack.ports.gateway
    headers = b"".join(b"x-pad-%d: %s\r\n" % (i, b"a" * 8000) for i in range(12))
    status, _, body = raw_http(port, b"GET /healthz HTTP/1.1\r\nhost: x\r\n" + headers + b"\r\n")
    assert status == 431, body
    assert _only_error(body)["extensions"]["code"] == "HEADERS_TOO_LARGE"


# ---------------------------------------------------------------------------- authentication says why


@pytest.mark.parametrize("where", ["gateway", "subgraph"])
def test_authentication_errors_say_why(api: Api, where: str) -> None:
    url = api.gateway if where == "gateway" else api.subgraph
    cases = [(None, "TOKEN_MISSING"), ("not-a-jwt", "TOKEN_INVALID"), (_forged_expired_token(), None)]
    for token, reason in cases:
        _, body = gql(url, "{ jurisdictions(first: 1) { totalCount } }", token=token)
        error = _only_error(body)
        assert error["extensions"]["code"] == "UNAUTHENTICATED", body
        # a forged token that also expired: the gateway reads `exp` (refresh, then sign in), the subgraph
        # checks the signature first
        expected = reason or ("TOKEN_EXPIRED" if where == "gateway" else "TOKEN_INVALID")
        assert error["extensions"]["reason"] == expected, body


def _forged_expired_token() -> str:
    import base64
    import json

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'kid': 'x'})}.{part({'exp': 1_000_000_000, 'sub': 's'})}.c2ln"


# ---------------------------------------------------------------------------- random values, every argument


def _log_errors(stack: Infra) -> int:
    """Request errors logged at ERROR (with a traceback) by the five services' GraphQL layer."""
    count = 0
    for path in (stack.work_dir / "logs").glob("*.log"):
        if any(path.name.startswith(f"{s}-") for s in SERVICES):
            count += _count_errors(path)
    return count


def _count_errors(path: Path) -> int:
    with path.open(encoding="utf-8", errors="replace") as handle:
        return sum(
            '"level": "error"' in line
            and ('"logger": "ecosteward.graphql"' in line or '"logger": "strawberry' in line)
            for line in handle
        )


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.text(alphabet=st.sampled_from("\x00\u202e\u200b \n0123456789-T:Z.e"), max_size=20),
    st.from_regex(r"\A-?\d{1,5}-\d{1,2}-\d{1,3}\Z"),
)


def _values(type_: GraphQLInputType) -> st.SearchStrategy[Any]:
    return graphql_values(type_, junk, max_depth=2, list_size=2)


def _operations() -> Iterator[tuple[str, str, str, dict[str, GraphQLInputType]]]:
    """(service, root, operation text, variable types) for every field with arguments."""
    for service in SERVICES:
        schema = importlib.import_module(f"services.{service}.schema").schema._schema
        for root in ("Query", "Mutation"):
            root_type = schema.get_type(root)
            if not isinstance(root_type, GraphQLObjectType):
                continue
            for name, field in root_type.fields.items():
                if not field.args or name.startswith("_"):
                    continue
                # reads run for real; writes stop after coercion (`$stop` is never sent)
                text = probe_operation(root, name, field, stop=root != "Query")
                yield service, root, text, {a: arg.type for a, arg in field.args.items()}


OPERATIONS = list(_operations())


def test_random_values_for_every_argument_never_give_an_internal_error(stack: Infra) -> None:
    """Through the gateway (queries execute; mutations stop after coercion) and straight at each
    subgraph: every answer is coded, none is INTERNAL_SERVER_ERROR, and no service logs an ERROR."""
    token = stack.token(BUREAU)
    errors_before = _log_errors(stack)
    gateway = f"http://127.0.0.1:{stack.ports.gateway}/graphql"

    @st.composite
    def requests(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
        service, _root, text, types = draw(st.sampled_from(OPERATIONS))
        variables = {name: draw(_values(type_)) for name, type_ in types.items() if draw(st.booleans())}
        return service, text, variables

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(requests(), st.booleans())
    def probe(request: tuple[str, str, dict[str, Any]], via_gateway: bool) -> None:
        service, text, variables = request
        url = gateway if via_gateway else f"http://127.0.0.1:{stack.ports.service(service)}/graphql"
        status, body = gql(url, text, variables, token=token)
        assert status in (200, 400), (status, body)
        for error in body.get("errors") or []:
            code = error.get("extensions", {}).get("code")
            assert code and code != "INTERNAL_SERVER_ERROR", (text, variables, body)

    probe()
    assert _log_errors(stack) == errors_before, "a service logged an ERROR (traceback) for input"


# ---------------------------------------------------------------------------- the token command


def test_the_token_command_refuses_an_unknown_user_in_one_line(stack: Infra) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "ECOSTEWARD_KEYCLOAK_URL": stack.keycloak_url}
    result = subprocess.run(
        [sys.executable, "-m", "ecosteward.cli", "token", "nosuchuser"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "nosuchuser" in lines[0] and _chinese(lines[0]), result.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "ecosteward.cli", "token", BUREAU],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0 and ok.stdout.count(".") == 2, ok.stderr
