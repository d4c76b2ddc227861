"""Jurisdiction use cases on SQLite: the row and the ``jurisdiction.created`` event."""

from __future__ import annotations

import pytest

from ecosteward.errors import Conflict
from services.registry.jurisdictions.models import JurisdictionRow
from tests.service.registry.builders import make_town
from tests.service.support import ServiceDb


async def test_create_jurisdiction_writes_the_row_and_one_event(db: ServiceDb) -> None:
    town = await make_town(db)
    async with db.sessions() as session:
        row = await session.get(JurisdictionRow, town)
    assert row is not None and (row.code, row.kind) == ("310115125", "TOWN")
    [event] = await db.events("registry.jurisdiction.created")
    assert event["data"] == {"id": str(town), "code": "310115125", "name": "张江镇", "kind": "TOWN"}
    with pytest.raises(Conflict):
        await make_town(db)  # the code is unique
    assert len(await db.events("registry.jurisdiction.created")) == 1
