"""The registry's Keycloak-account consumers record desired accounts idempotently (SQLite).

An admission announces ``agency.admitted`` and, in the same commit, ``staff.added``: the agency
consumer and the staff consumer then both ask for each staff member's account, in two transactions at
once. The one that looks first and inserts second must not fail on the other's row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from ecosteward.accounts import PENDING
from ecosteward.db import utcnow
from ecosteward.events import EventEnvelope
from services.registry.accounts.events import on_agency_event, on_staff_event
from services.registry.accounts.models import ACCOUNTS
from tests.service.registry.builders import make_agency
from tests.service.support import ServiceDb


async def _deliver(db: ServiceDb, event_type: str) -> None:
    """Hand every outbox event of ``event_type`` to its accounts consumer, each in its own transaction."""
    handler = on_agency_event if event_type.startswith("registry.agency.") else on_staff_event
    for raw in await db.events(event_type):
        async with db.unit_of_work() as uow:
            await handler(uow, EventEnvelope.from_dict(raw))


async def _accounts(db: ServiceDb) -> dict[str, tuple[str, str, bool]]:
    async with db.sessions() as session:
        rows = (await session.execute(sa.select(ACCOUNTS))).all()
    return {row.username: (row.role, row.status, row.enabled) for row in rows}


async def test_an_admission_delivered_twice_and_the_staff_events_leave_one_account_each(
    db: ServiceDb,
) -> None:
    await make_agency(db)
    await _deliver(db, "registry.agency.admitted")
    first = await _accounts(db)
    await _deliver(db, "registry.staff.added")
    await _deliver(db, "registry.agency.admitted")  # redelivered

    accounts = await _accounts(db)
    assert accounts == first
    assert accounts["green-admin"] == ("agency_admin", PENDING, True)
    staff = {name: value for name, value in accounts.items() if name.startswith("staff-")}
    assert staff and set(staff.values()) == {("agency_staff", PENDING, True)}


async def test_an_account_created_by_another_transaction_after_the_look_up_is_replaced_not_refused(
    db: ServiceDb, tmp_path: Path
) -> None:
    """The agency consumer commits ``staff-0``'s row between the staff consumer's look-up and insert."""
    await make_agency(db)
    other = sa.create_engine(f"sqlite:///{tmp_path / 'registry.db'}")
    raced: list[str] = []
    now = utcnow()

    def other_transaction_first(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        inserting = statement.lstrip().upper().startswith("INSERT INTO KEYCLOAK_ACCOUNTS")
        if inserting and "staff-0" in parameters and not raced:
            raced.append("staff-0")
            with other.begin() as connection:
                connection.execute(
                    ACCOUNTS.insert().values(
                        username="staff-0",
                        role="agency_staff",
                        attributes={},
                        enabled=True,
                        require_password_change=True,
                        status="SYNCED",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                        updated_at=now,
                    )
                )

    event.listen(db.engine.sync_engine, "before_cursor_execute", other_transaction_first)
    try:
        await _deliver(db, "registry.staff.added")
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", other_transaction_first)
        other.dispose()

    assert raced == ["staff-0"]
    accounts = await _accounts(db)
    # The staff event's desired state replaced the racing row: pending again for the sync job.
    assert accounts["staff-0"] == ("agency_staff", PENDING, True)
