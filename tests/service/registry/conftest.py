"""The registry's migrated SQLite database, a bureau principal and a small admitted agency."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ecosteward.identity import Principal, Role
from services.registry.base import TABLES
from tests.service.support import ServiceDb, service_db

BUREAU = Principal(subject="b", username="bureau", roles=frozenset({Role.BUREAU_OFFICER.value}))
JOINED = dt.date(2024, 3, 1)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[ServiceDb]:
    async with service_db("registry", TABLES, tmp_path) as database:
        yield database
