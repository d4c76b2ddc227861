"""Adding a row that must be unique (不得重复): a clear CONFLICT instead of a database error."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ecosteward.errors import Conflict


async def add_unique(session: AsyncSession, row: object, twin: sa.Select[Any], conflict: Conflict) -> None:
    """Add and flush ``row`` unless ``twin`` (a SELECT of an existing duplicate) finds one.

    Either way a duplicate is refused with ``conflict``: the query catches the usual case, and the
    unique constraint a concurrent twin that committed in between (IntegrityError on flush).
    """
    if await session.scalar(twin) is not None:
        raise conflict
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent twin got there first
        raise conflict from exc
