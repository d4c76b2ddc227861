"""Local copies (本地副本) kept by ``local_copy_handler`` on SQLite: the payload form and the field-map form.

Both forms behave alike: an event's ``id`` is the copy's key, fields an event leaves out keep their old
value, and an event about an entity not yet copied must carry every field or it is ignored with a
warning. The payload form reads through the consumer's ``ConsumedPayload`` class, so a malformed
event fails loudly (``PayloadError``: retried, then dead-lettered) instead of writing a bad copy.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ecosteward.consumer import Handler
from ecosteward.db import TYPE_ANNOTATION_MAP, service_metadata
from ecosteward.event_payloads import ConsumedPayload, PayloadError
from ecosteward.events import EventEnvelope
from ecosteward.local_copies import as_text, as_uuid, local_copy_handler
from ecosteward.outbox import UnitOfWork, platform_tables
from tests.contracts.snapshot import unregistered
from tests.support import sqlite_sessions


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


TABLES = platform_tables(Base.metadata)


class KnownPermitRow(Base):
    __tablename__ = "known_permits"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    holder: Mapped[str] = mapped_column(sa.String(100))
    valid_to: Mapped[dt.date] = mapped_column(sa.Date)
    revoked_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    scope_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)


with unregistered():

    @dataclass(frozen=True)
    class PermitSeen(ConsumedPayload):
        EVENT: ClassVar[str] = "registry.permit"

        id: uuid.UUID
        staff_id: uuid.UUID
        staff_username: str
        valid_to: dt.date
        revoked_on: dt.date | None
        scope_ids: list[uuid.UUID]


def _ids_as_text(ids: list[uuid.UUID]) -> list[str]:
    return sorted(str(i) for i in ids)


PAYLOAD_FORM = local_copy_handler(
    KnownPermitRow,
    PermitSeen,
    columns={"staff_username": "holder"},
    convert={"staff_username": str.lower, "scope_ids": _ids_as_text},
)


def _as_date(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(value))


FIELD_MAP_FORM = local_copy_handler(
    KnownPermitRow,
    "permit",
    {
        "staff_id": as_uuid,
        "holder": as_text,
        "valid_to": _as_date,
        "revoked_on": lambda v: None if v is None else _as_date(v),
        "scope_ids": lambda v: sorted(str(as_uuid(i)) for i in v),
    },
)

PERMIT, STAFF = uuid.UUID(int=1), uuid.UUID(int=2)
A, B = uuid.UUID(int=10), uuid.UUID(int=11)


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with sqlite_sessions(Base.metadata, tmp_path / "copies.db") as factory:
        yield factory


async def _deliver(
    sessions: async_sessionmaker[AsyncSession], handler: Handler, data: dict[str, Any]
) -> None:
    envelope = EventEnvelope.new("registry", "permit", "changed", data.get("id", "x"), data)
    async with sessions() as session, session.begin():
        await handler(UnitOfWork(session, TABLES, "sample"), envelope)


async def _copy(sessions: async_sessionmaker[AsyncSession]) -> tuple[Any, ...] | None:
    async with sessions() as session:
        row = await session.get(KnownPermitRow, PERMIT)
        return (
            None if row is None else (row.staff_id, row.holder, row.valid_to, row.revoked_on, row.scope_ids)
        )


def _full(holder: str) -> dict[str, Any]:
    # the payload form reads the producer's field name, the field-map form the column's
    name = "staff_username" if holder == "payload" else "holder"
    return {
        "id": str(PERMIT),
        "staff_id": str(STAFF),
        name: "Wang.Gong",
        "valid_to": "2027-06-30",
        "revoked_on": None,
        "scope_ids": [str(B), str(A)],
        "unrelated": 1,
    }


FORMS = [
    pytest.param(PAYLOAD_FORM, "payload", id="payload"),
    pytest.param(FIELD_MAP_FORM, "map", id="field-map"),
]


@pytest.mark.parametrize(("handler", "form"), FORMS)
async def test_a_copy_is_inserted_then_updated_field_by_field(
    sessions: async_sessionmaker[AsyncSession], handler: Handler, form: str
) -> None:
    holder = "wang.gong" if form == "payload" else "Wang.Gong"
    await _deliver(sessions, handler, _full(form))
    assert await _copy(sessions) == (STAFF, holder, dt.date(2027, 6, 30), None, [str(A), str(B)])
    await _deliver(sessions, handler, {"id": str(PERMIT), "revoked_on": "2026-11-29"})
    assert await _copy(sessions) == (
        STAFF,
        holder,
        dt.date(2027, 6, 30),
        dt.date(2026, 11, 29),
        [str(A), str(B)],
    )
    await _deliver(sessions, handler, {"id": str(PERMIT), "valid_to": "2027-12-31", "revoked_on": None})
    assert await _copy(sessions) == (STAFF, holder, dt.date(2027, 12, 31), None, [str(A), str(B)])


@pytest.mark.parametrize(("handler", "form"), FORMS)
async def test_an_incomplete_event_about_an_unknown_entity_is_ignored(
    sessions: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture, handler: Handler, form: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="ecosteward.local_copies"):
        await _deliver(sessions, handler, {"id": str(PERMIT), "valid_to": "2027-06-30"})
    assert await _copy(sessions) is None
    assert "registry.permit.changed for unknown permit" in caplog.text and "lacks staff_id" in caplog.text


@pytest.mark.parametrize(
    "change",
    [
        {"valid_to": "2027-02-30"},
        {"staff_id": "not-a-uuid"},
        {"scope_ids": ["x"]},
        {"revoked_on": 5},
        {"id": None},
    ],
)
async def test_a_malformed_event_fails_loudly_and_changes_nothing(
    sessions: async_sessionmaker[AsyncSession], change: dict[str, Any]
) -> None:
    await _deliver(sessions, PAYLOAD_FORM, _full("payload"))
    before = await _copy(sessions)
    with pytest.raises(PayloadError):
        await _deliver(sessions, PAYLOAD_FORM, {**_full("payload"), **change})
    assert await _copy(sessions) == before


async def test_an_event_without_an_id_fails_loudly(sessions: async_sessionmaker[AsyncSession]) -> None:
    data = _full("payload")
    del data["id"]
    with pytest.raises(PayloadError, match="'id' is missing"):
        await _deliver(sessions, PAYLOAD_FORM, data)


def test_a_payload_that_does_not_fit_the_model_is_refused_at_wiring_time() -> None:
    with unregistered():

        @dataclass(frozen=True)
        class NoId(ConsumedPayload):
            EVENT: ClassVar[str] = "registry.permit"
            staff_id: uuid.UUID

        @dataclass(frozen=True)
        class TextId(ConsumedPayload):
            EVENT: ClassVar[str] = "registry.permit"
            id: str

    with pytest.raises(TypeError, match="needs an `id: uuid"):
        local_copy_handler(KnownPermitRow, NoId)
    with pytest.raises(TypeError, match="needs an `id: uuid"):
        local_copy_handler(KnownPermitRow, TextId)
    with pytest.raises(TypeError, match="no field or column staff_username"):
        local_copy_handler(KnownPermitRow, PermitSeen)  # the model calls it holder
    with pytest.raises(TypeError, match="no field or column colour"):
        local_copy_handler(
            KnownPermitRow, PermitSeen, columns={"staff_username": "holder"}, convert={"colour": str}
        )
    with pytest.raises(TypeError, match="a field map"):
        local_copy_handler(KnownPermitRow, "permit", {"holder": as_text}, convert={"holder": str})  # type: ignore[call-overload]


async def test_an_optional_id_skips_the_family_s_events_about_no_one_entity(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with unregistered():

        @dataclass(frozen=True)
        class PermitOrSummarySeen(ConsumedPayload):
            EVENT: ClassVar[str] = "registry.permit"

            id: uuid.UUID | None = None
            valid_to: dt.date | None = None

    handler = local_copy_handler(KnownPermitRow, PermitOrSummarySeen)
    await _deliver(sessions, PAYLOAD_FORM, _full("payload"))
    await _deliver(sessions, handler, {"import_id": str(uuid.uuid4()), "valid_to": "2030-01-01"})  # no id
    await _deliver(sessions, handler, {"id": None, "valid_to": "2030-01-01"})
    assert await _copy(sessions) == (STAFF, "wang.gong", dt.date(2027, 6, 30), None, [str(A), str(B)])
    await _deliver(sessions, handler, {"id": str(PERMIT), "valid_to": "2030-01-01"})
    copy = await _copy(sessions)
    assert copy is not None and copy[2] == dt.date(2030, 1, 1)
