"""Every service's migrations on real PostgreSQL build exactly its models (platform steps included).

SQLite: ``tests/service/platform/test_platform_migrations.py``; the renumbering of duplicate ``seq``
values on PostgreSQL: ``tests/platform/test_outbox_concurrency.py``.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy as sa

from ecosteward import SERVICES
from ecosteward.config import REPO_ROOT
from ecosteward.db import create_engine, run_migrations
from ecosteward.devstack.components import create_databases
from ecosteward.migrations import OUTBOX_SEQUENCE
from tests.service.platform.test_platform_migrations import differences, service_metadata_of
from tests.support import Infra


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_s_migrations_build_exactly_its_models_on_postgresql(
    infra: Infra, service: str
) -> None:
    name = f"migrate_{service}_{uuid.uuid4().hex[:8]}"
    await create_databases(infra.ports.postgres, [name])
    url = infra.pg_url(name)
    await asyncio.to_thread(run_migrations, service, url, REPO_ROOT / "services" / service / "migrations")
    metadata = service_metadata_of(service)

    def check(connection: sa.Connection) -> None:
        assert differences(connection, metadata) == []
        assert OUTBOX_SEQUENCE in sa.inspect(connection).get_sequence_names()

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(check)
    finally:
        await engine.dispose()
