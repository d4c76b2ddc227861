"""Migrations on SQLite: every service's migrations build exactly its models, and the platform's
outbox step (``ecosteward.migrations``, each service's ``0002``) renumbers duplicate ``seq`` values.

PostgreSQL: ``tests/platform/test_platform_migrations.py`` and the renumbering test in
``tests/platform/test_outbox_concurrency.py``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ecosteward import SERVICES
from ecosteward.config import REPO_ROOT
from ecosteward.db import alembic_config, run_migrations, service_metadata
from ecosteward.outbox import platform_tables
from ecosteward.revocation import revocation_table


def service_metadata_of(service: str) -> sa.MetaData:
    """What a service's migrations must build: its models, with the revocation table env.py adds."""
    metadata: sa.MetaData = importlib.import_module(f"services.{service}.models").Base.metadata
    revocation_table(metadata)
    return metadata


def differences(connection: sa.Connection, metadata: sa.MetaData) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_s_migrations_build_exactly_its_models(service: str, tmp_path: Path) -> None:
    database = tmp_path / f"{service}.db"
    run_migrations(
        service, f"sqlite+aiosqlite:///{database}", REPO_ROOT / "services" / service / "migrations"
    )
    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            assert differences(connection, service_metadata_of(service)) == []
    finally:
        engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_the_outbox_step_renumbers_duplicate_seqs(service: str, tmp_path: Path) -> None:
    database = tmp_path / f"{service}.db"
    config = alembic_config(
        service, f"sqlite+aiosqlite:///{database}", REPO_ROOT / "services" / service / "migrations"
    )
    command.upgrade(config, "0001")
    outbox = platform_tables(service_metadata()).outbox
    created = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
    # What the old max(seq) + 1 left behind: two rows numbered 1 (the later one written first), then a 2.
    rows = [(1, created + dt.timedelta(seconds=1)), (1, created), (2, created + dt.timedelta(seconds=2))]
    ids = [uuid.uuid4() for _ in rows]
    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as connection:
            for event_id, (seq, at) in zip(ids, rows, strict=True):
                connection.execute(
                    outbox.insert().values(
                        id=event_id, seq=seq, nats_subject="s", event_type="t", envelope={}, created_at=at
                    )
                )
        command.upgrade(config, "0002")
        with engine.begin() as connection:
            renumbered = dict(connection.execute(sa.select(outbox.c.id, outbox.c.seq)).all())
            assert [renumbered[i] for i in ids] == [2, 1, 3]  # by seq, then creation time
            with pytest.raises(sa.exc.IntegrityError):
                connection.execute(
                    outbox.insert().values(
                        id=uuid.uuid4(),
                        seq=3,
                        nats_subject="s",
                        event_type="t",
                        envelope={},
                        created_at=created,
                    )
                )
        command.downgrade(config, "0002@0001")  # the step undoes itself: the duplicate seq goes in again
        with engine.begin() as connection:
            connection.execute(
                outbox.insert().values(
                    id=uuid.uuid4(), seq=3, nats_subject="s", event_type="t", envelope={}, created_at=created
                )
            )
    finally:
        engine.dispose()
