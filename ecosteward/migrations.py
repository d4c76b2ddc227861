"""The body of every service's Alembic ``env.py`` (async engines, SQLite batch mode)."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from alembic import context
from sqlalchemy.engine import Connection

from ecosteward.db import create_engine


def _do_run(connection: Connection, target_metadata: sa.MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str, target_metadata: sa.MetaData) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_do_run, target_metadata)
            await connection.commit()
    finally:
        await engine.dispose()


def run_env(target_metadata: sa.MetaData) -> None:
    """Run migrations online against ``sqlalchemy.url`` (offline SQL generation is not supported)."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not configured"
    if context.is_offline_mode():
        raise RuntimeError("offline migrations are not supported; run against a database")
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_run_online(url, target_metadata))
        return
    # Called from inside an event loop (service start-up): run in a private loop on a thread.
    import threading

    errors: list[BaseException] = []

    def runner() -> None:
        try:
            asyncio.run(_run_online(url, target_metadata))
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=runner)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
