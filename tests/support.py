"""Helpers shared by the tests: the local infrastructure, GraphQL calls, tokens."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ecosteward.bus import EventBus
from ecosteward.config import REPO_ROOT
from ecosteward.db import create_engine, session_factory
from ecosteward.demo import DEMO_PASSWORD
from ecosteward.devstack.components import Ports, create_databases, password_token, start_nats
from ecosteward.events import EventEnvelope

WORK_DIR = Path(os.environ.get("ECOSTEWARD_TEST_DIR", str(REPO_ROOT / ".data" / "test"))).resolve()
TEST_PORTS = Ports(
    nats=int(os.environ.get("ECOSTEWARD_TEST_NATS_PORT", "14222")),
    keycloak=int(os.environ.get("ECOSTEWARD_TEST_KEYCLOAK_PORT", "8180")),
    gateway=int(os.environ.get("ECOSTEWARD_TEST_GATEWAY_PORT", "14000")),
    postgres=int(os.environ.get("ECOSTEWARD_TEST_PG_PORT", "55432")),
    service_base=int(os.environ.get("ECOSTEWARD_TEST_SERVICE_BASE", "18100")),
)


@dataclass
class Infra:
    """Real PostgreSQL, NATS JetStream and Keycloak for the tests."""

    ports: Ports
    work_dir: Path
    processes: dict[str, Any] = field(default_factory=dict)

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.ports.nats}"

    @property
    def keycloak_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.keycloak}"

    def pg_url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.ports.postgres}/{database}"

    def token(self, username: str, password: str = DEMO_PASSWORD) -> str:
        return password_token(self.keycloak_url, username, password)

    async def bus(self, service: str) -> EventBus:
        """A started event bus of ``service`` on the test NATS, connected (the caller closes it)."""
        bus = EventBus(service, self.nats_url)
        bus.start()
        await bus.wait_connected(10)
        return bus

    @contextlib.asynccontextmanager
    async def fresh_database(
        self, prefix: str, metadata: sa.MetaData
    ) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
        """A new PostgreSQL database ``<prefix>_<random>`` with ``metadata``'s tables created."""
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        await create_databases(self.ports.postgres, [name])
        engine = create_engine(self.pg_url(name))
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        try:
            yield session_factory(engine)
        finally:
            await engine.dispose()


@contextlib.asynccontextmanager
async def sqlite_sessions(
    metadata: sa.MetaData, path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a new SQLite database at ``path`` with ``metadata``'s tables created (not migrated)."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def pull_envelopes(js: JetStreamContext, subject: str) -> list[EventEnvelope]:
    """Every event on ``subject`` so far, in stream order (an ephemeral pull consumer acks them)."""
    sub = await js.pull_subscribe(subject, durable=None)
    found: list[EventEnvelope] = []
    while True:
        try:
            msgs = await sub.fetch(100, timeout=1)
        except TimeoutError:
            return found
        for msg in msgs:
            found.append(EventEnvelope.from_bytes(msg.data))
            await msg.ack()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raw_http(port: int, request: bytes) -> tuple[int, dict[str, str], Any]:
    """Send ``request`` bytes as they are to 127.0.0.1:``port``: (status, lower-cased headers, JSON body).

    For requests an HTTP client would refuse to send (oversized or malformed heads); the server must
    close the connection after answering.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.strip(): value.strip() for name, _, value in (line.lower().partition(":") for line in lines[1:])
    }
    return int(lines[0].split(" ")[1]), headers, json.loads(body)


def restart_nats(infra: Infra) -> None:
    """Start NATS again on the same port and JetStream store (after a test stopped it)."""
    infra.processes["nats"] = start_nats(infra.ports.nats, infra.work_dir, infra.work_dir / "run")


def wait_for(check: Any, timeout: float = 60.0, interval: float = 0.5, what: str = "condition") -> Any:
    """Poll ``check()`` until it returns something truthy (events are asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:.0f}s")
        time.sleep(interval)


def gql(
    url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """POST a GraphQL request; returns (HTTP status, JSON body)."""
    sent = {"content-type": "application/json", **(headers or {})}
    if token is not None:
        sent["authorization"] = f"Bearer {token}"
    response = httpx.post(url, json={"query": query, "variables": variables or {}}, headers=sent, timeout=30)
    return response.status_code, response.json()


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


def keycloak_admin_token(keycloak_url: str) -> str:
    data = b"grant_type=password&client_id=admin-cli&username=admin&password=admin"
    request = urllib.request.Request(f"{keycloak_url}/realms/master/protocol/openid-connect/token", data=data)
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["access_token"])


def http_json(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())
