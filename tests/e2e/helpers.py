"""Helpers for the end-to-end tests: GraphQL as the demo users, PostgreSQL, JetStream, Keycloak.

The one home of e2e helpers (the demo users are in ``tests/e2e/users.py``, each service's GraphQL
documents in ``tests/e2e/<service>/documents.py``). Add a helper at the end, with a docstring.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
import uuid
from typing import Any

import asyncpg
import httpx
import nats

from ecosteward.demo import DEMO_ENTERPRISE_ID, DEMO_JURISDICTION_ID
from ecosteward.events import EventEnvelope
from ecosteward.identifiers import ALPHABET, with_check_character
from tests.e2e.users import BUREAU, DEMO_J
from tests.support import Infra, error_codes, gql, keycloak_admin_token, wait_for

REALM = "ecosteward"


def unique(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def credit_code() -> str:
    rng = random.Random(uuid.uuid4().int)
    return with_check_character("".join(rng.choice(ALPHABET) for _ in range(17)))


def iso(day: dt.date) -> str:
    return day.isoformat()


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class Api:
    """GraphQL as the demo users, through the gateway (or straight to one subgraph)."""

    def __init__(self, stack: Infra, service: str = "registry") -> None:
        self.stack = stack
        self.gateway = f"http://127.0.0.1:{stack.ports.gateway}/graphql"
        self.subgraph = f"http://127.0.0.1:{stack.ports.service(service)}/graphql"
        self._tokens: dict[str, tuple[float, str]] = {}

    def token(self, username: str) -> str:
        cached = self._tokens.get(username)
        if cached is None or time.monotonic() - cached[0] > 120:
            cached = (time.monotonic(), self.stack.token(username))
            self._tokens[username] = cached
        return cached[1]

    def call(
        self, user: str, query: str, variables: dict[str, Any] | None = None, url: str | None = None
    ) -> dict[str, Any]:
        status, body = gql(url or self.gateway, query, variables, token=self.token(user))
        assert status in (200, 400), (status, body)
        return body

    def ok(
        self, user: str, query: str, variables: dict[str, Any] | None = None, url: str | None = None
    ) -> dict[str, Any]:
        body = self.call(user, query, variables, url)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def codes(
        self, user: str, query: str, variables: dict[str, Any] | None = None, url: str | None = None
    ) -> list[str]:
        return error_codes(self.call(user, query, variables, url))


def violations(body: dict[str, Any]) -> list[str]:
    return [
        v["field"] for e in body.get("errors") or [] for v in e.get("extensions", {}).get("violations", [])
    ]


# ---- PostgreSQL


def db(stack: Infra, sql: str, *args: Any, database: str = "e2e_registry") -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(
            host="127.0.0.1", port=stack.ports.postgres, user="postgres", database=database
        )
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    return asyncio.run(run())


def db_value(stack: Infra, sql: str, *args: Any, database: str = "e2e_registry") -> Any:
    rows = db(stack, sql, *args, database=database)
    return rows[0][0] if rows else None


def archive_value(stack: Infra, sql: str, *args: Any) -> Any:
    """``db_value`` in the archive's database."""
    return db_value(stack, sql, *args, database="e2e_archive")


def wait_for_value(
    stack: Infra, sql: str, *args: Any, database: str = "e2e_registry", timeout: float = 60.0, what: str
) -> Any:
    """Wait until ``sql`` answers a truthy first value (say a count above 0) and return it."""
    return wait_for(lambda: db_value(stack, sql, *args, database=database), timeout=timeout, what=what)


def staff_input(agency_id: str, username: str, **changes: Any) -> dict[str, Any]:
    """``addStaff``'s input: a professional of ``agency_id`` since 2024-03-01, unless ``changes`` say otherwise."""
    return {
        "agencyId": agency_id,
        "name": "测试员",
        "username": username,
        "email": f"{username}@test.ecosteward.local",
        "title": "INTERMEDIATE",
        "professional": True,
        "joinedOn": "2024-03-01",
        **changes,
    }


QUALIFYING_STAFF = [("SENIOR", True), ("ASSOCIATE_SENIOR", False), ("INTERMEDIATE", False)] + [
    ("JUNIOR", False)
] * 2
"""(title, quality manager) of exactly enough staff to admit an agency: five professionals, two senior."""


DEMO_TOWN_IN_ARCHIVE = (
    "demo town known to the archive",
    "SELECT count(*) FROM known_jurisdictions WHERE id = $1",
    DEMO_JURISDICTION_ID,
)
DEMO_ENTERPRISE_IN_ARCHIVE = (
    "demo enterprise loaded",
    "SELECT count(*) FROM enterprises WHERE id = $1",
    DEMO_ENTERPRISE_ID,
)


def archive_api(stack: Infra, *ready: tuple[Any, ...], timeout: float = 120) -> Api:
    """The archive's ``Api`` once each ``(what, sql, *args)`` of ``ready`` answers a truthy value there."""
    for what, sql, *args in ready:
        wait_for_value(stack, sql, *args, database="e2e_archive", timeout=timeout, what=what)
    return Api(stack, service="archive")


def outbox_count(stack: Infra, event_type: str, subject: str, database: str = "e2e_registry") -> int:
    """Events committed for an entity (the outbox is written in the same transaction as the change)."""
    return int(
        db_value(
            stack,
            "SELECT count(*) FROM outbox_events WHERE event_type = $1 AND envelope->>'subject' = $2",
            event_type,
            subject,
            database=database,
        )
    )


# ---- NATS JetStream


def publish_event(stack: Infra, envelope: EventEnvelope) -> None:
    """Publish ``envelope`` on the test NATS as a producer would (its id is the message id)."""

    async def publish() -> None:
        nc = await nats.connect(stack.nats_url)
        try:
            await nc.jetstream().publish(
                envelope.nats_subject, envelope.to_bytes(), headers={"Nats-Msg-Id": str(envelope.id)}
            )
        finally:
            await nc.close()

    asyncio.run(publish())


async def _read_stream(nats_url: str, subject: str) -> list[EventEnvelope]:
    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().subscribe(subject, ordered_consumer=True)
        found: list[EventEnvelope] = []
        while True:
            try:
                msg = await sub.next_msg(timeout=1)
            except TimeoutError:
                break
            found.append(EventEnvelope.from_bytes(msg.data))
            if msg.metadata.num_pending == 0:
                break
        await sub.unsubscribe()
        return found
    finally:
        await nc.close()


def events(
    stack: Infra, entity_verb: str, subject: str | None = None, service: str = "registry"
) -> list[EventEnvelope]:
    """A service's events on JetStream (``entity_verb`` like ``filing.overdue`` or ``agency.*``)."""
    found = asyncio.run(_read_stream(stack.nats_url, f"ecosteward.{service}.{entity_verb}"))
    return [e for e in found if subject is None or e.subject == subject]


def wait_for_events(
    stack: Infra,
    entity_verb: str,
    subject: str,
    count: int = 1,
    timeout: float = 20,
    service: str = "registry",
) -> list[EventEnvelope]:
    def arrived() -> list[EventEnvelope] | None:
        got = events(stack, entity_verb, subject, service=service)
        return got if len(got) >= count else None

    found: list[EventEnvelope] = wait_for(
        arrived, timeout=timeout, interval=0.3, what=f"{count} × {entity_verb} for {subject} on JetStream"
    )
    return found


# ---- Keycloak admin API


class Keycloak:
    def __init__(self, stack: Infra) -> None:
        self.url = stack.keycloak_url
        self.base = f"{stack.keycloak_url}/admin/realms/{REALM}"
        self._token: tuple[float, str] | None = None

    def _headers(self) -> dict[str, str]:
        if self._token is None or time.monotonic() - self._token[0] > 30:
            self._token = (time.monotonic(), keycloak_admin_token(self.url))
        return {"authorization": f"Bearer {self._token[1]}"}

    def users(self, username: str) -> list[dict[str, Any]]:
        response = httpx.get(
            f"{self.base}/users",
            params={"username": username, "exact": "true", "briefRepresentation": "false"},
            headers=self._headers(),
            timeout=10,
        )
        response.raise_for_status()
        return [u for u in response.json() if u["username"] == username]

    def user(self, username: str) -> dict[str, Any] | None:
        found = self.users(username)
        assert len(found) <= 1, found
        return found[0] if found else None

    def realm_roles(self, user_id: str) -> set[str]:
        response = httpx.get(
            f"{self.base}/users/{user_id}/role-mappings/realm", headers=self._headers(), timeout=10
        )
        response.raise_for_status()
        return {r["name"] for r in response.json()}

    def delete(self, user_id: str) -> None:
        httpx.delete(f"{self.base}/users/{user_id}", headers=self._headers(), timeout=10)

    def credentials(self, user_id: str) -> list[str]:
        response = httpx.get(f"{self.base}/users/{user_id}/credentials", headers=self._headers(), timeout=10)
        response.raise_for_status()
        return [c["type"] for c in response.json()]

    def give_password(self, username: str, password: str, timeout: float = 60) -> None:
        """Wait for the provisioned, enabled account and set its password, with no required actions."""

        def enabled_user() -> dict[str, Any] | None:
            user = self.user(username)
            return user if user is not None and user["enabled"] else None

        user = wait_for(enabled_user, timeout=timeout, what=f"account {username} provisioned")
        url = f"{self.base}/users/{user['id']}"
        httpx.put(
            f"{url}/reset-password",
            json={"type": "password", "value": password, "temporary": False},
            headers=self._headers(),
            timeout=10,
        ).raise_for_status()
        current = httpx.get(url, headers=self._headers(), timeout=10).json()
        current["requiredActions"] = []
        if not current.get("email"):  # enterprise accounts have none; the realm's user profile wants one
            current["email"], current["emailVerified"] = f"{username}@test.ecosteward.local", True
        httpx.put(url, json=current, headers=self._headers(), timeout=10).raise_for_status()

    def create_officer(self, username: str) -> dict[str, Any]:
        """A town officer's account made in Keycloak directly: not one the registry provisions."""
        payload = {
            "username": username,
            "enabled": True,
            "email": f"{username}@town.ecosteward.local",
            "emailVerified": True,
            "firstName": "镇",
            "lastName": "干部",
            "attributes": {"jurisdiction_id": [DEMO_J]},
        }
        httpx.post(f"{self.base}/users", json=payload, headers=self._headers(), timeout=10).raise_for_status()
        user = self.user(username)
        assert user is not None
        role = httpx.get(f"{self.base}/roles/town_officer", headers=self._headers(), timeout=10).json()
        httpx.post(
            f"{self.base}/users/{user['id']}/role-mappings/realm",
            json=[role],
            headers=self._headers(),
            timeout=10,
        ).raise_for_status()
        return user


CREATE_JURISDICTION = """
mutation($input: CreateJurisdictionInput!) { createJurisdiction(input: $input) { id code name } }"""


def archive_town(api: Api, name: str = "测试镇") -> str:
    """A new town created as the bureau, once the archive has learnt of it from the registry's event."""
    body = api.ok(
        BUREAU,
        CREATE_JURISDICTION,
        {"input": {"code": unique("T")[:20], "name": name, "kind": "TOWN"}},
    )
    town: str = body["createJurisdiction"]["id"]
    wait_for_value(
        api.stack,
        "SELECT count(*) FROM known_jurisdictions WHERE id = $1",
        uuid.UUID(town),
        database="e2e_archive",
        timeout=30,
        what="jurisdiction announced to the archive",
    )
    return town
