"""The router's own refusals get our error shape (ecosteward.edge.errors, pure)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecosteward.edge.errors import AUTH_MESSAGES, translate
from ecosteward.edge.server import answer


def _body(code: str, message: str) -> str:
    return json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})


@pytest.mark.parametrize(
    ("code", "message", "reason"),
    [
        (
            "JWT_LOOKUP_FAILED",
            "jwt header lookup failed: failed to locate the value in the incoming request",
            "TOKEN_MISSING",
        ),
        (
            "MISSING_JWT",
            "all jwk failed to decode token: [FailedToDecodeToken(Error(ExpiredSignature))]",
            "TOKEN_EXPIRED",
        ),
        (
            "MISSING_JWT",
            "all jwk failed to decode token: [FailedToDecodeToken(Error(InvalidSignature))]",
            "TOKEN_INVALID",
        ),
        ("INVALID_JWT_HEADER", "failed to parse JWT header: InvalidToken", "TOKEN_INVALID"),
    ],
)
def test_token_refusals_are_unauthenticated_with_a_reason_and_401(
    code: str, message: str, reason: str
) -> None:
    translated = translate(403, _body(code, message))
    assert translated is not None
    error = translated.body["errors"][0]
    assert translated.status == 401
    assert translated.headers == {"www-authenticate": "Bearer"}
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": reason}
    assert error["message"] == AUTH_MESSAGES[reason]


def test_a_wrong_scheme_says_how_to_send_the_token() -> None:
    translated = translate(401, _body("JWT_LOOKUP_FAILED", "jwt header lookup failed: prefix does not match"))
    assert translated is not None
    assert translated.body["errors"][0]["message"].startswith("Send the token as 'Authorization: Bearer")


@pytest.mark.parametrize(
    ("code", "status", "ours", "our_status"),
    [
        ("REQUEST_HEADER_FIELDS_TOO_LARGE", 431, "HEADERS_TOO_LARGE", 431),
        ("UNSUPPORTED_CONTENT_TYPE", 415, "UNSUPPORTED_MEDIA_TYPE", 415),
        ("GRAPHQL_PARSE_FAILED", 400, "GRAPHQL_PARSE_FAILED", 400),
        ("GRAPHQL_VALIDATION_FAILED", 400, "GRAPHQL_VALIDATION_FAILED", 400),
        ("PAYLOAD_TOO_LARGE_CONTENT_LENGTH", 413, "PAYLOAD_TOO_LARGE", 413),
        ("PAYLOAD_TOO_LARGE_BODY_STREAM", 413, "PAYLOAD_TOO_LARGE", 413),
        ("MUTATION_NOT_ALLOWED_OVER_HTTP_GET", 405, "METHOD_NOT_ALLOWED", 405),
    ],
)
def test_router_codes_become_ours_with_a_bilingual_message(
    code: str, status: int, ours: str, our_status: int
) -> None:
    translated = translate(status, _body(code, "Something went wrong."))
    assert translated is not None
    error = translated.body["errors"][0]
    assert (translated.status, error["extensions"]["code"]) == (our_status, ours)
    assert error["message"].startswith("Something went wrong (") and error["message"].endswith(").")


@pytest.mark.parametrize(
    ("status", "code"), [(404, "NOT_FOUND"), (405, "METHOD_NOT_ALLOWED"), (502, "INTERNAL_SERVER_ERROR")]
)
def test_a_refusal_without_a_json_body_gets_a_coded_one(status: int, code: str) -> None:
    for body in (None, "", "Not Found", "[]", '{"errors": []}'):
        translated = translate(status, body)
        assert translated is not None
        assert translated.status == status
        assert translated.body["errors"][0]["extensions"]["code"] == code


def test_subgraph_errors_in_our_shape_pass_untouched() -> None:
    body = json.dumps(
        {
            "data": {"agency": None},
            "errors": [
                {"message": "Not found (未找到).", "path": ["agency"], "extensions": {"code": "NOT_FOUND"}}
            ],
        }
    )
    assert translate(200, body) is None
    assert answer({"version": 1, "status_code": 200, "body": body}) == {"version": 1, "control": "continue"}


def test_the_coprocessor_answer_breaks_with_the_translated_response_and_keeps_the_request_id() -> None:
    result = answer(
        {
            "version": 1,
            "stage": "router.response",
            "id": "1",
            "status_code": 403,
            "headers": {"x-request-id": "abc", "content-length": "99", "content-type": "application/json"},
            "body": _body("MISSING_JWT", "all jwk failed to decode token: [InvalidSignature]"),
        }
    )
    assert result["control"] == {"break": 401}
    assert result["headers"]["x-request-id"] == ["abc"]
    assert "content-length" not in result["headers"]
    assert json.loads(result["body"])["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@given(status=st.integers(100, 599), body=st.one_of(st.none(), st.text(max_size=200)))
def test_any_router_response_translates_without_raising_and_errors_stay_errors(
    status: int, body: str | None
) -> None:
    translated = translate(status, body)
    if translated is not None:
        assert translated.status >= 400 or status < 400
        assert all("code" in e["extensions"] for e in translated.body["errors"])


def test_the_routers_landing_page_on_an_unknown_path_becomes_a_coded_404() -> None:
    result = answer(
        {
            "version": 1,
            "status_code": 200,
            "headers": {"content-type": "text/html", "x-request-id": "r1"},
            "body": "<!doctype html><title>Hive Router</title>",
        }
    )
    assert result["control"] == {"break": 404}
    assert json.loads(result["body"])["errors"][0]["extensions"]["code"] == "NOT_FOUND"
