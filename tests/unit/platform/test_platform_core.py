"""Platform core (issue 8): roles, expected errors as plain exceptions mapped at the edges, the one
backoff policy, lenient settings and service commands by entry point."""

from __future__ import annotations

import asyncio
import json
import logging
import types
from typing import Any, cast

import pytest
import strawberry
from graphql import GraphQLError
from hypothesis import given
from hypothesis import strategies as st

from ecosteward.app import STATUS_BY_CODE, error_response
from ecosteward.cli import COMMAND_GROUP, service_commands
from ecosteward.config import ArchiveSettings, Environment, load_settings
from ecosteward.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from ecosteward.graphql import AppInfo, RequestContext, roles
from ecosteward.identity import ROLES, Principal, Role
from ecosteward.retry import backoff_delay
from ecosteward.schema import build_schema

# ---------------------------------------------------------------------------------------------- roles


def test_the_role_enum_is_the_realm_roles_in_order() -> None:
    assert ROLES == (
        "bureau_officer",
        "town_officer",
        "agency_admin",
        "agency_staff",
        "procurement_officer",
        "enterprise_user",
    )
    assert Role.BUREAU_OFFICER == "bureau_officer" and tuple(Role) == ROLES


@given(st.sets(st.sampled_from(ROLES)), st.sets(st.sampled_from(list(Role))))
def test_has_role_takes_members_and_names_alike(held: set[str], asked: set[Role]) -> None:
    principal = Principal(subject="s", username="u", roles=frozenset(held))
    expected = bool(held & {role.value for role in asked})
    assert principal.has_role(*asked) is expected
    assert principal.has_role(*(role.value for role in asked)) is expected


@given(st.text(max_size=150), st.text(min_size=1, max_size=150))
def test_the_actor_is_the_username_else_the_subject_within_the_column(username: str, subject: str) -> None:
    actor = Principal(subject=subject, username=username, roles=frozenset()).actor
    assert actor == (username or subject)[:100]


# ---------------------------------------------------------------------------------------------- errors


@strawberry.type
class _Query:
    @strawberry.field
    def invalid(self) -> int:
        raise ValidationFailed("Two rules failed (校验失败).", [{"field": "a", "message": "m (错)"}])

    @strawberry.field
    def missing(self) -> int:
        raise NotFound("Agency x does not exist (不存在).", id="x")

    @strawberry.field(extensions=[roles(Role.BUREAU_OFFICER)])
    def bureau_only(self, info: AppInfo) -> str:
        return info.context.user.actor


_SCHEMA = build_schema(_Query)


def _run(query: str, principal: Principal | None) -> dict[str, Any]:
    runtime = types.SimpleNamespace(settings=types.SimpleNamespace(service="test"))
    context = RequestContext(runtime=cast(Any, runtime), request_id="r", principal=principal)
    result = asyncio.run(_SCHEMA.execute(query, context_value=context))
    return {"data": result.data, "errors": [e.formatted for e in result.errors or []]}


def test_expected_errors_are_plain_exceptions() -> None:
    for error in (ValidationFailed("x", []), NotFound("x"), Forbidden("x"), Conflict("x")):
        assert isinstance(error, AppError) and not isinstance(error, GraphQLError)
        assert str(error) == error.message == "x"


def test_errors_map_to_graphql_at_the_edge_with_code_and_details() -> None:
    user = Principal(subject="s", username="town", roles=frozenset({Role.TOWN_OFFICER}))
    invalid = _run("{ invalid }", user)["errors"][0]
    assert invalid["message"] == "Two rules failed (校验失败)."
    assert invalid["extensions"] == {
        "code": "VALIDATION_FAILED",
        "violations": [{"field": "a", "message": "m (错)"}],
    }
    assert invalid["path"] == ["invalid"]
    missing = _run("{ missing }", user)["errors"][0]
    assert missing["extensions"] == {"code": "NOT_FOUND", "id": "x"}
    forbidden = _run("{ bureauOnly }", user)["errors"][0]
    assert forbidden["message"] == "This needs one of the roles: bureau_officer (权限不足)."
    assert forbidden["extensions"] == {"code": "FORBIDDEN"}
    assert _run("{ bureauOnly }", Principal(subject="s", username="b", roles=frozenset({"bureau_officer"})))[
        "data"
    ] == {"bureauOnly": "b"}
    anonymous = _run("{ missing }", None)
    assert anonymous["errors"] == [
        {
            "message": "Sign in first: no access token was sent (未登录).",
            "extensions": {"code": "UNAUTHENTICATED", "reason": "TOKEN_MISSING"},
        }
    ]


def test_errors_map_to_http_with_the_same_body() -> None:
    response = error_response(NotFound("Gone (不存在).", id="d"))
    assert response.status_code == STATUS_BY_CODE["NOT_FOUND"] == 404
    assert json.loads(bytes(response.body)) == {
        "data": None,
        "errors": [{"message": "Gone (不存在).", "extensions": {"code": "NOT_FOUND", "id": "d"}}],
    }
    assert error_response(AppError("Bad (错).")).status_code == 400
    assert error_response(Conflict("Twice (重复)."), 401).status_code == 401


# ---------------------------------------------------------------------------------------------- backoff


@given(st.integers(min_value=0, max_value=500))
def test_one_backoff_policy_keeps_each_loops_numbers(attempt: int) -> None:
    # the four loops' former formulas (outbox, consumer redelivery, account sync, NATS connect)
    assert backoff_delay(attempt, first=0.25, cap=15.0) == min(15.0, 0.25 * 2 ** min(attempt, 10))
    assert backoff_delay(attempt, first=0.5, cap=30.0) == min(30.0, 0.5 * 2 ** min(attempt, 20))
    assert int(backoff_delay(attempt, first=1.0, cap=300)) == int(min(300, 2 ** min(attempt, 16)))
    doubled = 0.5
    for _ in range(min(attempt, 20)):
        doubled = min(doubled * 2, 10.0)
    assert backoff_delay(attempt, first=0.5, cap=10.0) == doubled


@given(st.integers(), st.floats(min_value=0.001, max_value=10), st.floats(min_value=0.001, max_value=1e6))
def test_backoff_is_never_negative_nor_over_the_cap(attempt: int, first: float, cap: float) -> None:
    assert 0 < backoff_delay(attempt, first=first, cap=cap) <= cap


# ---------------------------------------------------------------------------------------------- settings


def test_a_bad_number_warns_and_falls_back(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ECOSTEWARD_DOWNLOAD_TTL_SECONDS", "soon")
    with caplog.at_level(logging.WARNING, logger="ecosteward.config"):
        assert ArchiveSettings().download_ttl_seconds == 300
    assert "ECOSTEWARD_DOWNLOAD_TTL_SECONDS" in caplog.text
    monkeypatch.setenv("ECOSTEWARD_DOWNLOAD_TTL_SECONDS", " 42 ")
    assert ArchiveSettings().download_ttl_seconds == 42
    monkeypatch.setenv("ECOSTEWARD_ARCHIVE_MAX_UPLOAD_BYTES", "")
    assert ArchiveSettings().max_upload_bytes is None


@pytest.mark.parametrize(
    ("raw", "demo", "dev"),
    [("1", True, True), ("yes", True, True), ("on", False, True), ("nope", False, False)],
)
def test_flags_keep_their_spellings(monkeypatch: pytest.MonkeyPatch, raw: str, demo: bool, dev: bool) -> None:
    monkeypatch.setenv("ECOSTEWARD_DEMO_DATA", raw)
    monkeypatch.setenv("ECOSTEWARD_DEV", raw)
    assert (Environment().demo_data, Environment().dev) == (demo, dev)
    settings = load_settings("registry")
    assert (settings.demo_data, settings.dev_mode) == (demo, dev)


def test_sections_ride_on_the_service_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOSTEWARD_REGISTRY_OVERDUE_CHECK_SECONDS", "7")
    monkeypatch.setenv("ECOSTEWARD_S3_REGION", "")
    monkeypatch.setenv("AWS_REGION", "cn-north-1")
    settings = load_settings("registry")
    assert settings.registry.overdue_check_seconds == 7.0
    assert settings.blobs.s3_region == "cn-north-1"
    assert settings.keycloak_admin.client_id == "ecosteward-provisioner"


# ---------------------------------------------------------------------------------------------- commands


def test_service_commands_come_from_entry_points_not_imports() -> None:
    commands = service_commands()
    assert "import-sources" in commands
    assert commands["import-sources"].group == COMMAND_GROUP
    assert commands["import-sources"].value == "services.archive.imports.cli:main"
