"""Several processes of one service agree on revocations at once (PostgreSQL ``LISTEN``/``NOTIFY``).

Only one process consumes each revocation event; the others hear of it at the consumer's commit and
reload before answering, rather than at their next periodic check (set to a minute here).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from ecosteward.db import create_engine, service_metadata, session_factory
from ecosteward.errors import Unauthenticated
from ecosteward.events import EventEnvelope
from ecosteward.identity import Principal
from ecosteward.outbox import UnitOfWork, platform_tables
from ecosteward.revocation import RevocationList, revocation_table
from tests.support import Infra

AGENCY_ID = uuid.UUID("00000000-0000-4000-8000-00000000a001")


def _agency_event(status: str) -> EventEnvelope:
    return EventEnvelope(
        type="registry.agency.status_changed",
        source="registry",
        subject=str(AGENCY_ID),
        data={"id": str(AGENCY_ID), "status": status},
        time=dt.datetime.now(dt.UTC),
        id=uuid.uuid4(),
    )


async def test_a_revocation_consumed_by_one_process_is_enforced_by_another_at_once(infra: Infra) -> None:
    metadata = service_metadata()
    table = revocation_table(metadata)
    tables = platform_tables(metadata)
    caller = Principal(
        subject=str(uuid.uuid4()), username="staff-1", roles=frozenset({"agency_staff"}), agency_id=AGENCY_ID
    )
    async with infra.fresh_database("revocation_processes", metadata) as consuming:
        bind = consuming.kw["bind"]
        other_engine = create_engine(bind.url.render_as_string(hide_password=False))
        other = session_factory(other_engine)
        # The periodic check is a minute away: only the notification can make the other process reload.
        lists = [RevocationList(table, refresh_seconds=60), RevocationList(table, refresh_seconds=60)]
        tasks = [asyncio.create_task(lists[0].run(consuming)), asyncio.create_task(lists[1].run(other))]
        try:
            await asyncio.sleep(0.5)  # both listening
            assert lists[1].check(caller) is caller

            async with consuming() as session, session.begin():  # the consuming process applies the event
                await lists[0].handle(UnitOfWork(session, tables, "test"), _agency_event("SUSPENDED"))

            async def refused_by_the_other() -> str:
                while True:
                    await lists[1].fresh()
                    try:
                        lists[1].check(caller)
                    except Unauthenticated as refused:
                        return str(refused.extensions["reason"])
                    await asyncio.sleep(0.02)

            assert await asyncio.wait_for(refused_by_the_other(), timeout=2) == "AGENCY_SUSPENDED"

            async with consuming() as session, session.begin():  # re-admitted
                await lists[0].handle(UnitOfWork(session, tables, "test"), _agency_event("ADMITTED"))

            async def allowed_by_the_other() -> None:
                while True:
                    await lists[1].fresh()
                    if lists[1].reason_for(caller) is None:
                        return
                    await asyncio.sleep(0.02)

            await asyncio.wait_for(allowed_by_the_other(), timeout=2)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await other_engine.dispose()
