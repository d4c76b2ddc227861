"""Access revocation rules (issue 7 item 7): which events revoke what, and the list every service keeps."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request

from ecosteward.app import request_principal
from ecosteward.auth import Principal
from ecosteward.db import create_engine, service_metadata, session_factory
from ecosteward.errors import Unauthenticated
from ecosteward.events import EventEnvelope
from ecosteward.revocation import (
    ACCOUNT,
    AGENCY,
    ENTERPRISE,
    MESSAGES,
    Change,
    RevocationList,
    apply_change,
    change_for_event,
    revocation_table,
)
from services.archive.domain import SOURCE_STATUSES
from services.registry.domain import AgencyStatus

AGENCY_ID = uuid.UUID("00000000-0000-4000-8000-00000000a001")
ENTERPRISE_ID = uuid.UUID("00000000-0000-4000-8000-00000000e001")
T0 = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


def event(kind: str, data: dict[str, object], subject: object, at: dt.datetime = T0) -> EventEnvelope:
    return EventEnvelope(
        type=kind, source=kind.split(".")[0], subject=str(subject), data=data, time=at, id=uuid.uuid4()
    )


def agency_event(status: str, at: dt.datetime = T0, verb: str = "updated") -> EventEnvelope:
    return event(f"registry.agency.{verb}", {"id": str(AGENCY_ID), "status": status}, AGENCY_ID, at)


def enterprise_event(status: str, at: dt.datetime = T0) -> EventEnvelope:
    return event(
        "archive.enterprise.status_changed", {"id": str(ENTERPRISE_ID), "status": status}, ENTERPRISE_ID, at
    )


def principal(
    username: str = "someone", agency: uuid.UUID | None = None, enterprise: uuid.UUID | None = None
) -> Principal:
    return Principal(
        subject=str(uuid.uuid4()),
        username=username,
        roles=frozenset({"agency_admin"}),
        agency_id=agency,
        enterprise_id=enterprise,
    )


# -- which events revoke what ---------------------------------------------------------------------


@pytest.mark.parametrize("status", list(AgencyStatus))
def test_an_agency_is_revoked_exactly_while_suspended_or_removed(status: AgencyStatus) -> None:
    change = change_for_event(agency_event(status.value))
    assert change is not None and change.kind == AGENCY and change.key == str(AGENCY_ID)
    expected = {"SUSPENDED": "AGENCY_SUSPENDED", "REMOVED": "AGENCY_REMOVED"}.get(status.value)
    assert change.reason == expected


@pytest.mark.parametrize("status", SOURCE_STATUSES)
def test_an_enterprise_is_revoked_exactly_while_closed(status: str) -> None:
    change = change_for_event(enterprise_event(status))
    assert change == Change(
        ENTERPRISE, str(ENTERPRISE_ID), "ENTERPRISE_CLOSED" if status == "CLOSED" else None
    )


def test_a_leaver_s_account_is_revoked_and_a_returning_one_restored() -> None:
    staff_id = uuid.uuid4()
    left = event("registry.staff.left", {"username": "Zhang.San", "left_on": "2026-11-29"}, staff_id)
    assert change_for_event(left) == Change(ACCOUNT, "zhang.san", "ACCOUNT_DISABLED")
    back = event("registry.staff.added", {"username": "zhang.san", "left_on": None}, staff_id)
    assert change_for_event(back) == Change(ACCOUNT, "zhang.san", None)


@pytest.mark.parametrize(
    "envelope",
    [
        event("registry.contract.signed", {"status": "SIGNED", "id": str(uuid.uuid4())}, "c"),
        event("archive.enterprise.updated", {"status": "CLOSED", "id": str(ENTERPRISE_ID)}, ENTERPRISE_ID),
        event("registry.agency.updated", {"id": "not-a-uuid", "status": "SUSPENDED"}, "x"),
        event("registry.staff.left", {"username": " ", "left_on": "2026-11-29"}, "x"),
    ],
)
def test_other_or_malformed_events_change_nothing(envelope: EventEnvelope) -> None:
    assert change_for_event(envelope) is None


# -- checking a principal -------------------------------------------------------------------------

KEYS = st.sampled_from(
    [(ACCOUNT, "alice"), (ACCOUNT, "bob"), (AGENCY, str(AGENCY_ID)), (ENTERPRISE, str(ENTERPRISE_ID))]
)


@given(
    revoked=st.dictionaries(KEYS, st.sampled_from(sorted(MESSAGES))), who=st.sampled_from(["alice", "bob"])
)
def test_a_principal_is_refused_iff_one_of_its_claims_is_revoked(
    revoked: dict[tuple[str, str], str], who: str
) -> None:
    revocations = RevocationList(revocation_table(service_metadata()))
    revocations.replace(revoked)
    caller = principal(who, agency=AGENCY_ID, enterprise=None)
    mine = [(ACCOUNT, who), (AGENCY, str(AGENCY_ID))]
    hits = [revoked[k] for k in mine if k in revoked]
    if not hits:
        assert revocations.check(caller) is caller
        return
    with pytest.raises(Unauthenticated) as refused:
        revocations.check(caller)
    assert refused.value.extensions == {"code": "UNAUTHENTICATED", "reason": hits[0]}
    assert refused.value.message == MESSAGES[hits[0]] and "(" in refused.value.message  # bilingual


def test_usernames_match_case_insensitively() -> None:
    revocations = RevocationList(revocation_table(service_metadata()))
    revocations.replace({(ACCOUNT, "zhang.san"): "ACCOUNT_DISABLED"})
    with pytest.raises(Unauthenticated):
        revocations.check(principal("Zhang.San"))


# -- the table and the list kept from it ---------------------------------------------------------


@pytest.fixture
async def database() -> AsyncIterator[tuple[sa.Table, async_sessionmaker[AsyncSession]]]:
    metadata = service_metadata()
    table = revocation_table(metadata)
    assert revocation_table(metadata) is table  # defined once per metadata
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield table, session_factory(engine)
    finally:
        await engine.dispose()


async def _apply(table: sa.Table, factory: async_sessionmaker[AsyncSession], envelope: EventEnvelope) -> None:
    change = change_for_event(envelope)
    assert change is not None
    async with factory() as session, session.begin():
        await apply_change(session, table, change, envelope)


STATUS_SEQUENCES = st.lists(st.sampled_from([s.value for s in AgencyStatus]), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None)
@given(statuses=STATUS_SEQUENCES, order=st.randoms(use_true_random=False))
def test_events_delivered_out_of_order_end_in_the_newest_state(statuses: list[str], order: object) -> None:
    envelopes = [agency_event(s, T0 + dt.timedelta(seconds=i)) for i, s in enumerate(statuses)]
    shuffled = list(envelopes)
    order.shuffle(shuffled)  # type: ignore[attr-defined]

    async def run() -> dict[tuple[str, str], str]:
        metadata = service_metadata()
        table = revocation_table(metadata)
        engine = create_engine("sqlite+aiosqlite:///:memory:")
        try:
            async with engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
            factory = session_factory(engine)
            for envelope in shuffled:
                await _apply(table, factory, envelope)
            revocations = RevocationList(table)
            await revocations.reload(factory, force=True)
            return dict(revocations._revoked)
        finally:
            await engine.dispose()

    revoked = asyncio.run(run())
    newest = change_for_event(envelopes[-1])
    assert newest is not None
    expected = {(AGENCY, str(AGENCY_ID)): newest.reason} if newest.reason else {}
    assert revoked == expected


async def test_the_list_reloads_only_when_the_table_changed(
    database: tuple[sa.Table, async_sessionmaker[AsyncSession]],
) -> None:
    table, factory = database
    revocations = RevocationList(table)
    assert await revocations.reload(factory, force=True)
    assert not await revocations.reload(factory)  # nothing changed: one aggregate query, no reload
    admin = principal("adm1", agency=AGENCY_ID)
    revocations.check(admin)

    await _apply(table, factory, agency_event("SUSPENDED", T0))
    assert await revocations.reload(factory)
    with pytest.raises(Unauthenticated) as refused:
        revocations.check(admin)
    assert refused.value.extensions and refused.value.extensions["reason"] == "AGENCY_SUSPENDED"

    await _apply(table, factory, agency_event("REMOVED", T0 + dt.timedelta(seconds=1)))
    assert await revocations.reload(factory)
    with pytest.raises(Unauthenticated) as refused:
        revocations.check(admin)
    assert refused.value.extensions and refused.value.extensions["reason"] == "AGENCY_REMOVED"

    await _apply(table, factory, agency_event("ADMITTED", T0 + dt.timedelta(seconds=2)))
    assert await revocations.reload(factory)
    assert revocations.check(admin) is admin  # re-admission lets the same token in again


async def test_another_worker_process_catches_up_by_polling_the_table(
    database: tuple[sa.Table, async_sessionmaker[AsyncSession]],
) -> None:
    """Only one process of a service receives each event; the others see the table within a poll."""
    table, factory = database
    other_worker = RevocationList(table, refresh_seconds=0.05)
    task = asyncio.create_task(other_worker.run(factory))
    try:
        await asyncio.sleep(0.1)
        closed_user = principal("91310000abc", enterprise=ENTERPRISE_ID)
        other_worker.check(closed_user)
        await _apply(table, factory, enterprise_event("CLOSED"))  # committed by "another process"
        for _ in range(40):
            await asyncio.sleep(0.05)
            if other_worker.reason_for(closed_user) is not None:
                break
        assert other_worker.reason_for(closed_user) == "ENTERPRISE_CLOSED"
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_plain_http_routes_apply_the_same_revocations() -> None:
    """Uploads and document downloads authenticate through ``request_principal``: same refusal."""
    revoked = principal("91310000closed", enterprise=ENTERPRISE_ID)
    allowed = principal("someone-else")

    class Verifier:
        def __init__(self, who: Principal) -> None:
            self.who = who

        async def principal(self, authorization: str | None) -> Principal:
            assert authorization == "Bearer t"
            return self.who

    revocations = RevocationList(revocation_table(service_metadata()))
    revocations.replace({(ENTERPRISE, str(ENTERPRISE_ID)): "ENTERPRISE_CLOSED"})

    def request(who: Principal) -> Request:
        runtime = SimpleNamespace(verifier=Verifier(who), revocations=revocations)
        app = SimpleNamespace(state=SimpleNamespace(runtime=runtime))
        return Request({"type": "http", "headers": [(b"authorization", b"Bearer t")], "app": app})

    assert await request_principal(request(allowed)) is allowed
    with pytest.raises(Unauthenticated) as refused:
        await request_principal(request(revoked))
    assert refused.value.extensions == {"code": "UNAUTHENTICATED", "reason": "ENTERPRISE_CLOSED"}
