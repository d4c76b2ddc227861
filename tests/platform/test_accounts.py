"""Keycloak account provisioning against the real Keycloak realm and PostgreSQL (and SQLite)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecosteward.accounts import (
    PENDING,
    REALM_ROLES,
    SYNCED,
    AccountConflict,
    AccountSpec,
    KeycloakProvisioner,
    account_tables,
    request_account,
    request_disable,
    run_sync_loop,
    sync_pending,
)
from ecosteward.db import create_engine, service_metadata, session_factory, transaction, utcnow
from ecosteward.devstack.components import password_token
from tests.support import Infra

METADATA = service_metadata()
ACCOUNTS = account_tables(METADATA)
REALM = "ecosteward"
PASSWORD = "Known-Pass-1234"
Factory = async_sessionmaker[AsyncSession]


def _provisioner(url: str) -> KeycloakProvisioner:
    return KeycloakProvisioner(url, REALM, "ecosteward-provisioner", "provisioner-dev-secret")


@pytest.fixture
async def sessions(infra: Infra) -> AsyncIterator[Factory]:
    async with infra.fresh_database("accounts", METADATA) as sessions:
        yield sessions


@pytest.fixture
async def provisioner(infra: Infra) -> AsyncIterator[KeycloakProvisioner]:
    found = _provisioner(infra.keycloak_url)
    yield found
    await found.aclose()


@pytest.fixture
async def new_username(provisioner: KeycloakProvisioner) -> AsyncIterator[Callable[[], str]]:
    """Unique usernames; the Keycloak users behind them are deleted after the test."""
    names: list[str] = []

    def new() -> str:
        names.append(f"acct-test-{uuid.uuid4().hex[:12]}")
        return names[-1]

    yield new
    for name in names:
        user = await provisioner.find_user(name)
        if user is not None:
            await provisioner.admin.a_delete_user(user["id"])


def _spec(username: str, role: str = "agency_staff", **changes: Any) -> AccountSpec:
    values: dict[str, Any] = {
        "attributes": {"agency_id": str(uuid.uuid4())},
        # The realm's user profile requires email and names for users: without them the first login
        # would stop at a "verify profile" step.
        "email": f"{username}@test.ecosteward.local",
        "first_name": "Test",
        "last_name": "Account",
        **changes,
    }
    return AccountSpec(username=username, role=role, **values)


async def _request(factory: Factory, spec: AccountSpec) -> None:
    async with transaction(factory) as session:
        await request_account(session, ACCOUNTS, spec)


async def _rows(factory: Factory) -> list[sa.Row[Any]]:
    async with factory() as session:
        return list((await session.execute(sa.select(ACCOUNTS).order_by(ACCOUNTS.c.username))).all())


async def _row(factory: Factory, username: str) -> sa.Row[Any]:
    async with factory() as session:
        return (await session.execute(sa.select(ACCOUNTS).where(ACCOUNTS.c.username == username))).one()


async def _set_due(factory: Factory, username: str, when: dt.datetime) -> None:
    async with transaction(factory) as session:
        await session.execute(
            ACCOUNTS.update().where(ACCOUNTS.c.username == username).values(next_attempt_at=when)
        )


def _login(infra: Infra, username: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{infra.keycloak_url}/realms/{REALM}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "ecosteward-cli",
            "username": username,
            "password": password,
        },
        timeout=30,
    )


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


async def _make_loginable(provisioner: KeycloakProvisioner, user_id: str) -> None:
    """A known, permanent password and no pending required actions (what a first login would do)."""
    await provisioner.admin.a_set_user_password(user_id, PASSWORD, temporary=False)
    user = await provisioner.admin.a_get_user(user_id)
    user["requiredActions"] = []
    await provisioner.admin.a_update_user(user_id, user)


async def _realm_roles(provisioner: KeycloakProvisioner, user_id: str) -> list[str]:
    roles = await provisioner.admin.a_get_realm_roles_of_user(user_id)
    return [r["name"] for r in roles if r["name"] in REALM_ROLES]


def _pending_gauge(service: str) -> float | None:
    return REGISTRY.get_sample_value("ecosteward_keycloak_accounts_pending", {"service": service})


# ------------------------------------------------------------------------------------ the provisioner


async def test_apply_twice_gives_one_user_with_its_role_once(
    provisioner: KeycloakProvisioner, new_username: Callable[[], str]
) -> None:
    username = new_username()
    spec = _spec(username)
    first = await provisioner.apply(spec)
    second = await provisioner.apply(spec)
    assert first == second
    users = await provisioner.admin.a_get_users({"username": username, "exact": True})
    assert [u["id"] for u in users] == [first]
    user = await provisioner.admin.a_get_user(first)
    assert user["attributes"]["agency_id"] == [spec.attributes["agency_id"]]
    assert user["enabled"] is True and user["emailVerified"] is True
    assert user["email"] == spec.email and (user["firstName"], user["lastName"]) == ("Test", "Account")
    assert user["requiredActions"] == ["UPDATE_PASSWORD"]
    assert await _realm_roles(provisioner, first) == ["agency_staff"]


async def test_provisioned_user_logs_in_with_role_and_agency_claim(
    infra: Infra, provisioner: KeycloakProvisioner, new_username: Callable[[], str]
) -> None:
    username = new_username()
    spec = _spec(username, role="agency_admin")
    user_id = await provisioner.apply(spec)

    temporary = await provisioner.set_temporary_password(username.upper())  # usernames are case-blind
    assert len(temporary) >= 16 and temporary != await provisioner.set_temporary_password(username)
    temporary = await provisioner.set_temporary_password(username)
    # The temporary password is right, but the account must change it first (not possible by grant).
    refused = _login(infra, username, temporary)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error_description"] == "Account is not fully set up"
    wrong = _login(infra, username, temporary + "x")
    assert wrong.json()["error_description"] == "Invalid user credentials"

    await _make_loginable(provisioner, user_id)
    claims = _claims(password_token(infra.keycloak_url, username, PASSWORD))
    assert "agency_admin" in claims["realm_access"]["roles"]
    assert claims["agency_id"] == spec.attributes["agency_id"]
    assert "ecosteward-api" in claims["aud"]
    assert "enterprise_id" not in claims and "jurisdiction_id" not in claims


async def test_set_temporary_password_for_an_unknown_user_fails(provisioner: KeycloakProvisioner) -> None:
    with pytest.raises(LookupError):
        await provisioner.set_temporary_password(f"nobody-{uuid.uuid4().hex[:10]}")


# ---------------------------------------------------------------------------- desired state and sync


async def test_disabled_account_cannot_log_in(
    infra: Infra, sessions: Factory, provisioner: KeycloakProvisioner, new_username: Callable[[], str]
) -> None:
    username = new_username()
    await _request(sessions, _spec(username))
    assert await sync_pending(sessions, ACCOUNTS, provisioner) == 1
    user_id = (await _row(sessions, username)).keycloak_id
    await _make_loginable(provisioner, user_id)
    assert _login(infra, username, PASSWORD).status_code == 200

    async with transaction(sessions) as session:
        await request_disable(session, ACCOUNTS, username)
        await request_disable(session, ACCOUNTS, "never-requested")  # unknown: nothing happens
    row = await _row(sessions, username)
    assert row.status == PENDING and row.enabled is False
    assert [r.username for r in await _rows(sessions)] == [username]

    assert await sync_pending(sessions, ACCOUNTS, provisioner) == 1
    assert (await provisioner.admin.a_get_user(user_id))["enabled"] is False
    refused = _login(infra, username, PASSWORD)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "invalid_grant"
    assert refused.json()["error_description"] == "Account disabled"


async def test_keycloak_down_keeps_the_row_pending_then_it_syncs_once(
    sessions: Factory, provisioner: KeycloakProvisioner, new_username: Callable[[], str]
) -> None:
    service = f"t{uuid.uuid4().hex[:10]}"
    username = new_username()
    await _request(sessions, _spec(username))

    down = _provisioner("http://127.0.0.1:1")
    try:
        assert await sync_pending(sessions, ACCOUNTS, down, service=service) == 0
    finally:
        await down.aclose()
    row = await _row(sessions, username)
    assert row.status == PENDING and row.attempts == 1 and row.keycloak_id is None
    assert row.last_error and "KeycloakConnectionError" in row.last_error
    assert row.next_attempt_at > utcnow()
    assert _pending_gauge(service) == 1
    assert await provisioner.find_user(username) is None

    # Not due yet: even a healthy Keycloak leaves it for later.
    await _set_due(sessions, username, utcnow() + dt.timedelta(hours=1))
    assert await sync_pending(sessions, ACCOUNTS, provisioner) == 0
    assert (await _row(sessions, username)).status == PENDING

    await _set_due(sessions, username, utcnow())
    assert await sync_pending(sessions, ACCOUNTS, provisioner, service=service) == 1
    synced = await _row(sessions, username)
    user = await provisioner.find_user(username)
    assert user is not None
    assert synced.status == SYNCED and synced.attempts == 0 and synced.last_error is None
    assert synced.keycloak_id == user["id"] and synced.synced_at is not None
    assert _pending_gauge(service) == 0

    assert await sync_pending(sessions, ACCOUNTS, provisioner, service=service) == 0
    assert await _row(sessions, username) == synced


async def test_the_latest_desired_state_is_applied(
    sessions: Factory, provisioner: KeycloakProvisioner, new_username: Callable[[], str]
) -> None:
    username = new_username()
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    await _request(sessions, _spec(username, attributes={"agency_id": first}))
    await _request(sessions, _spec(username, attributes={"agency_id": second}, first_name="Renamed"))
    rows = await _rows(sessions)
    assert len(rows) == 1 and rows[0].attributes == {"agency_id": second} and rows[0].status == PENDING
    assert rows[0].updated_at > rows[0].created_at

    assert await sync_pending(sessions, ACCOUNTS, provisioner) == 1
    user_id = (await _row(sessions, username)).keycloak_id
    user = await provisioner.admin.a_get_user(user_id)
    assert user["attributes"]["agency_id"] == [second] and user["firstName"] == "Renamed"

    # A change of role and scope replaces both (the old role and scope attribute go away).
    enterprise = str(uuid.uuid4())
    await _request(
        sessions, _spec(username, role="enterprise_user", attributes={"enterprise_id": enterprise})
    )
    assert (await _row(sessions, username)).status == PENDING
    assert await sync_pending(sessions, ACCOUNTS, provisioner) == 1
    user = await provisioner.admin.a_get_user(user_id)
    assert user["attributes"].get("enterprise_id") == [enterprise] and "agency_id" not in user["attributes"]
    assert user["firstName"] == "Test"
    assert await _realm_roles(provisioner, user_id) == ["enterprise_user"]
    assert len(await provisioner.admin.a_get_users({"username": username, "exact": True})) == 1


class _InterferingProvisioner(KeycloakProvisioner):
    """Runs ``interference`` once, just before applying: a change arriving mid-sync."""

    interference: Callable[[], Awaitable[None]] | None = None

    async def apply(self, spec: AccountSpec, known_id: str | None = None) -> str:
        if self.interference is not None:
            change, self.interference = self.interference, None
            await change()
        return await super().apply(spec, known_id)


async def test_a_row_changed_while_applied_stays_pending(
    infra: Infra, sessions: Factory, provisioner: KeycloakProvisioner, new_username: Callable[[], str]
) -> None:
    username = new_username()
    old, new = str(uuid.uuid4()), str(uuid.uuid4())
    await _request(sessions, _spec(username, attributes={"agency_id": old}))
    interfering = _InterferingProvisioner(
        infra.keycloak_url, REALM, "ecosteward-provisioner", "provisioner-dev-secret"
    )
    interfering.interference = lambda: _request(sessions, _spec(username, attributes={"agency_id": new}))
    try:
        assert await sync_pending(sessions, ACCOUNTS, interfering) == 0
    finally:
        await interfering.aclose()
    row = await _row(sessions, username)
    assert row.status == PENDING and row.attributes == {"agency_id": new}
    assert row.next_attempt_at <= utcnow() and row.keycloak_id is not None
    assert (await provisioner.admin.a_get_user(row.keycloak_id))["attributes"]["agency_id"] == [old]

    assert await sync_pending(sessions, ACCOUNTS, provisioner) == 1
    assert (await provisioner.admin.a_get_user(row.keycloak_id))["attributes"]["agency_id"] == [new]
    assert (await _row(sessions, username)).status == SYNCED


# ----------------------------------------------------------------------------- portable, no Keycloak


class _FakeProvisioner(KeycloakProvisioner):
    def __init__(self, fail: bool = False) -> None:
        super().__init__("http://127.0.0.1:1", REALM, "ecosteward-provisioner", "unused")
        self.fail = fail
        self.applied: list[AccountSpec] = []

    async def apply(self, spec: AccountSpec, known_id: str | None = None) -> str:
        if self.fail:
            raise RuntimeError("keycloak says no")
        self.applied.append(spec)
        return f"kc-{spec.username}"


async def test_desired_state_and_sync_on_sqlite(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'accounts.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    factory = session_factory(engine)
    try:
        await _request(factory, _spec("Staff-One", attributes={"agency_id": str(uuid.uuid4())}))
        latest = _spec(
            "staff-one", attributes={"agency_id": str(uuid.uuid4())}, require_password_change=False
        )
        await _request(factory, latest)
        async with transaction(factory) as session:
            await request_disable(session, ACCOUNTS, "nobody")
        rows = await _rows(factory)
        assert [r.username for r in rows] == ["staff-one"]
        assert rows[0].attributes == dict(latest.attributes) and rows[0].require_password_change is False

        failing = _FakeProvisioner(fail=True)
        assert await sync_pending(factory, ACCOUNTS, failing, service="sqlite-test") == 0
        row = await _row(factory, "staff-one")
        assert (
            row.attempts == 1 and row.status == PENDING and row.last_error == "RuntimeError: keycloak says no"
        )
        assert row.next_attempt_at > utcnow()
        assert _pending_gauge("sqlite-test") == 1

        fake = _FakeProvisioner()
        await _set_due(factory, "staff-one", utcnow())
        assert await sync_pending(factory, ACCOUNTS, fake, service="sqlite-test") == 1
        assert fake.applied == [latest]
        row = await _row(factory, "staff-one")
        assert (row.status, row.attempts, row.keycloak_id) == (SYNCED, 0, "kc-staff-one")
        assert _pending_gauge("sqlite-test") == 0

        async with transaction(factory) as session:
            await request_disable(session, ACCOUNTS, "STAFF-ONE")
        assert await sync_pending(factory, ACCOUNTS, fake) == 1
        assert fake.applied[-1].enabled is False
        assert await sync_pending(factory, ACCOUNTS, fake) == 0
        await failing.aclose()
        await fake.aclose()
    finally:
        await engine.dispose()


async def test_the_sync_loop_applies_new_requests(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'loop.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    factory = session_factory(engine)
    fake = _FakeProvisioner()
    loop = asyncio.create_task(run_sync_loop(factory, ACCOUNTS, fake, "loop-test", interval_seconds=0.05))
    try:
        for name in ("loop-a", "loop-b"):
            await _request(factory, _spec(name))
        for _ in range(100):
            if all(r.status == SYNCED for r in await _rows(factory)):
                break
            await asyncio.sleep(0.05)
        assert [(r.username, r.status) for r in await _rows(factory)] == [
            ("loop-a", SYNCED),
            ("loop-b", SYNCED),
        ]
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop
        await fake.aclose()
        await engine.dispose()


async def test_an_account_the_provisioner_does_not_own_is_never_taken_over(infra: Infra) -> None:
    provisioner = KeycloakProvisioner(
        infra.keycloak_url, REALM, "ecosteward-provisioner", "provisioner-dev-secret"
    )
    try:
        # demo-town is a town officer created by the realm, not by the provisioner.
        spec = AccountSpec(
            username="demo-town", role="agency_staff", attributes={"agency_id": str(uuid.uuid4())}
        )
        assert not await provisioner.username_available(spec)
        with pytest.raises(AccountConflict):
            await provisioner.apply(spec)
        user = await provisioner.find_user("demo-town")
        assert user is not None
        roles = {r["name"] for r in await provisioner.admin.a_get_realm_roles_of_user(user["id"])}
        assert "town_officer" in roles and "agency_staff" not in roles
    finally:
        await provisioner.aclose()
