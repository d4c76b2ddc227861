"""Two replicas of a service on one PostgreSQL database and one NATS server (``ECOSTEWARD_WORKERS``).

Both start at once (migrations and seeding one after the other), both serve, and only one — the
leader — runs the periodic jobs and consumes; when it stops, the other takes over.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from ecosteward.cli import worker_count
from ecosteward.config import load_settings
from ecosteward.devstack.components import create_databases
from ecosteward.leader import Leadership
from ecosteward.runtime import PeriodicJob, ServiceRuntime, build_runtime, start_runtime, stop_runtime
from services.registry.app import definition as registry
from tests.support import Infra

INTERVAL = 0.2


def test_worker_count_is_configured_on_postgresql_and_one_on_sqlite() -> None:
    assert worker_count("sqlite+aiosqlite:///x.db", 4) == 1  # the embedded default: one process
    assert worker_count("postgresql+asyncpg://h/db", 1) == 1
    assert worker_count("postgresql+asyncpg://h/db", 3) == 3


@pytest.fixture
async def database(infra: Infra) -> AsyncIterator[str]:
    name = f"replicas_{uuid.uuid4().hex[:8]}"
    await create_databases(infra.ports.postgres, [name])
    yield infra.pg_url(name)


async def test_two_replicas_run_each_periodic_job_once_per_period(infra: Infra, database: str) -> None:
    runs: list[tuple[int, float]] = []

    async def count(runtime: ServiceRuntime) -> None:
        runs.append((id(runtime), time.monotonic()))

    definition = dataclasses.replace(
        registry, periodic_jobs=[PeriodicJob("count", INTERVAL, count)], demo_loader=None
    )
    settings = dataclasses.replace(
        load_settings("registry"), database_url=database, nats_url=infra.nats_url, demo_data=False
    )
    replicas = [build_runtime(definition, settings) for _ in range(2)]
    for replica in replicas:  # take over quickly in the test
        replica.leadership = Leadership(replica.engine, retry_seconds=0.5)
    # Both start at once: migrations and the calendar seed run one replica after the other.
    await asyncio.gather(*(start_runtime(replica) for replica in replicas))
    stopped: set[int] = set()
    try:
        await asyncio.sleep(3)
        leaders = [r for r in replicas if r.leadership is not None and r.leadership.is_leader]
        assert len(leaders) == 1
        leader = leaders[0]
        assert {who for who, _ in runs} == {id(leader)}  # the other replica ran nothing
        assert 8 <= len(runs) <= 3 / INTERVAL + 1  # once per period, not twice
        for replica in replicas:
            assert await replica.database_ready()
            async with (
                replica.sessions() as session
            ):  # the seed ran (once: the primary key would refuse twice)
                days = (await session.execute(sa.text("SELECT count(*) FROM calendar_days"))).scalar_one()
                assert days > 0

        # The leader stops: the other replica takes the jobs over.
        await stop_runtime(leader)
        stopped.add(id(leader))
        before = len(runs)
        await asyncio.sleep(3)
        followers = {who for who, _ in runs[before:]}
        assert followers == {id(r) for r in replicas if r is not leader}
    finally:
        for replica in replicas:
            if id(replica) not in stopped:
                await stop_runtime(replica)
