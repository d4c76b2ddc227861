"""Session fixtures: the real infrastructure (PostgreSQL, NATS JetStream, Keycloak) and the whole stack.

Everything runs locally without Docker. The tests start their own PostgreSQL cluster and NATS server
on test ports (so a running ``make up`` is not disturbed) and reuse a Keycloak already serving the
realm on the test port, or start one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine

from ecosteward import SERVICES
from ecosteward.clock import CHINA
from ecosteward.devstack.components import (
    create_databases,
    start_gateway,
    start_keycloak,
    start_nats,
    start_postgres,
    start_services,
)
from tests.support import TEST_PORTS, WORK_DIR, Infra

CHINA_CLOCK_PINS = {
    # 00:30 on 1 July in China is still 30 June in UTC (16:30): a UTC date is a day, a quarter and a
    # half-year early.
    "0030-CST": dt.datetime(2026, 7, 1, 0, 30, tzinfo=CHINA),
    # 23:30 in China is 15:30 UTC on the same day: the late-evening side of the same China date.
    "2330-CST": dt.datetime(2026, 7, 1, 23, 30, tzinfo=CHINA),
}


@pytest.fixture(params=list(CHINA_CLOCK_PINS.values()), ids=list(CHINA_CLOCK_PINS))
def china_clock(request: pytest.FixtureRequest) -> Iterator[dt.datetime]:
    """Run a date-sensitive test at 00:30 and at 23:30 in China (time-machine; the clock keeps ticking).

    Use it for every test whose answer depends on today's date; CI runs both pins on every run, whatever
    the hour.
    """
    with time_machine.travel(request.param, tick=True):
        yield request.param


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    # Test runs share ports (PostgreSQL, NATS, Keycloak): a second run waits for the first.
    lock = open("/tmp/ecosteward-test-infra.lock", "w")  # noqa: SIM115 - held for the session
    fcntl.flock(lock, fcntl.LOCK_EX)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    pid_dir = WORK_DIR / "run"
    infra = Infra(ports=TEST_PORTS, work_dir=WORK_DIR)
    try:
        infra.processes["postgres"] = start_postgres(TEST_PORTS.postgres, WORK_DIR, pid_dir)
        infra.processes["nats"] = start_nats(TEST_PORTS.nats, WORK_DIR, pid_dir)
        keycloak = start_keycloak(TEST_PORTS.keycloak, WORK_DIR, pid_dir)
        if keycloak is not None:
            infra.processes["keycloak"] = keycloak
        yield infra
    finally:
        for process in reversed(list(infra.processes.values())):
            process.stop()
        lock.close()


@pytest.fixture(scope="session")
def stack(infra: Infra) -> Iterator[Infra]:
    """The five services on PostgreSQL (fresh databases) and the gateway, with demo data."""
    asyncio.run(create_databases(infra.ports.postgres, [f"e2e_{s}" for s in SERVICES], drop_first=True))
    # Fresh databases, so fresh files too (blobs, secrets) — nothing of an earlier run leaks in.
    shutil.rmtree(infra.work_dir / "e2e-data", ignore_errors=True)
    env = {
        "ECOSTEWARD_DATABASE_URL_TEMPLATE": infra.pg_url("e2e_{service}"),
        "ECOSTEWARD_NATS_URL": infra.nats_url,
        "ECOSTEWARD_KEYCLOAK_URL": infra.keycloak_url,
        "ECOSTEWARD_DEMO_DATA": "1",
        "ECOSTEWARD_DATA_DIR": str(infra.work_dir / "e2e-data"),
        "ECOSTEWARD_OUTBOX_POLL_SECONDS": "0.5",
        "ECOSTEWARD_REGISTRY_OVERDUE_CHECK_SECONDS": "2",
        "ECOSTEWARD_REGISTRY_PERMIT_EXPIRY_CHECK_SECONDS": "2",
        "ECOSTEWARD_REGISTRY_ACCOUNTS_SYNC_SECONDS": "1",
    }
    # The services' durable consumers would otherwise resume from an earlier run's stream.
    _purge_jetstream(infra)
    services = start_services(env, infra.ports, infra.work_dir, infra.work_dir / "run")
    gateway = None
    try:
        gateway = start_gateway(infra.ports, infra.keycloak_url, infra.work_dir, infra.work_dir / "run")
        yield infra
    finally:
        if gateway is not None:
            gateway.stop()
        for process in services:
            process.stop()


def _purge_jetstream(infra: Infra) -> None:
    import nats

    async def purge() -> None:
        nc = await nats.connect(infra.nats_url)
        js = nc.jetstream()
        for info in await js.streams_info():
            assert info.config.name is not None
            await js.delete_stream(info.config.name)
        await nc.close()

    asyncio.run(purge())


LEVELS = ("unit", "contracts", "service", "platform", "e2e")
"""The test levels, cheapest first (``tests/<level>/``; files directly under ``tests/`` run first)."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Run cheap tests first so a broken unit fails fast, the whole stack last.
    tests_dir = Path(__file__).parent

    def weight(item: pytest.Item) -> int:
        try:
            level = item.path.relative_to(tests_dir).parts[0]
        except ValueError:
            return 0
        return LEVELS.index(level) + 1 if level in LEVELS else 0

    items.sort(key=weight)
