"""N+1: a page of agencies with their histories costs a fixed number of SQL statements.

``ecosteward.repository.children`` batches every parent's rows of one relation into one query per
request (DataLoader), so the count does not grow with the page size. Runs the registry's real
schema in-process on its migrated SQLite database, with a bureau officer's context built the way
``ecosteward.app`` builds it.
"""

from __future__ import annotations

import datetime as dt
import types
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ecosteward.graphql import RequestContext
from ecosteward.identity import Principal, Role
from services.registry.app import definition
from tests.service.support import ServiceDb, service_db

PAGE = """
query Page($first: Int!) {
  agencies(first: $first) {
    edges { node { id name statusHistory { toStatus reason } creditListings { source listedOn } } }
  }
}
"""
MAX_STATEMENTS = 6
"""Count + page of agencies, then one query per batched relation (statusHistory, creditListings)."""

BUREAU = Principal(subject="bureau", username="bureau", roles=frozenset({Role.BUREAU_OFFICER}))
T0 = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", record)


async def _seed(db: ServiceDb, count: int) -> dict[str, tuple[list[str], list[str]]]:
    """``count`` admitted agencies, each with 2-3 status changes and 0-2 listings (one deleted)."""
    tables = definition.metadata.tables
    agencies, changes, listings = (
        tables["agencies"],
        tables["agency_status_changes"],
        tables["credit_listings"],
    )
    expected: dict[str, tuple[list[str], list[str]]] = {}
    async with db.sessions() as session, session.begin():
        for i in range(count):
            agency_id = uuid.uuid4()
            await session.execute(
                agencies.insert().values(
                    id=agency_id,
                    name=f"Agency {i:03d}",
                    credit_code=f"91{i:016d}",
                    admin_username=f"admin{i}",
                    status="ADMITTED",
                    status_changed_at=T0,
                )
            )
            history = ["APPLIED", "ADMITTED", *(["SUSPENDED"] if i % 3 == 0 else [])]
            # inserted newest first: the answer must still be ordered by changed_at
            for n, status in reversed(list(enumerate(history))):
                await session.execute(
                    changes.insert().values(
                        agency_id=agency_id,
                        to_status=status,
                        reason=f"step {n} of {i}",
                        changed_at=T0 + dt.timedelta(days=n),
                        changed_by="seed",
                    )
                )
            sources = [f"list {i}-{n}" for n in range(i % 3)]
            for n, source in enumerate(sources):
                await session.execute(
                    listings.insert().values(
                        agency_id=agency_id, source=source, listed_on=dt.date(2025, 1, 1 + n)
                    )
                )
            await session.execute(
                listings.insert().values(
                    agency_id=agency_id, source="withdrawn", listed_on=dt.date(2024, 1, 1), deleted_at=T0
                )
            )
            expected[str(agency_id)] = (
                [f"step {n} of {i}" for n in range(len(history))],
                sources,
            )
    return expected


async def _page(db: ServiceDb, first: int) -> tuple[list[dict[str, Any]], int]:
    runtime = types.SimpleNamespace(settings=types.SimpleNamespace(service="registry"), sessions=db.sessions)
    context = RequestContext(runtime=cast(Any, runtime), request_id="n-plus-one", principal=BUREAU)
    with counting(db.engine) as statements:
        result = await definition.schema.execute(PAGE, {"first": first}, context_value=context)
    assert result.errors is None, result.errors
    assert result.data is not None
    return [edge["node"] for edge in result.data["agencies"]["edges"]], len(statements)


async def test_a_page_of_agencies_with_histories_costs_a_fixed_number_of_queries(tmp_path: Path) -> None:
    async with service_db("registry", definition.tables, tmp_path) as db:
        expected = await _seed(db, 50)
        small, small_count = await _page(db, 10)
        large, large_count = await _page(db, 50)

    assert len(small) == 10 and len(large) == 50
    assert large_count == small_count <= MAX_STATEMENTS, (small_count, large_count)
    for node in large:  # every agency gets its own rows, in order, without soft-deleted ones
        reasons, sources = expected[node["id"]]
        assert [change["reason"] for change in node["statusHistory"]] == reasons
        assert [listing["source"] for listing in node["creditListings"]] == sources
