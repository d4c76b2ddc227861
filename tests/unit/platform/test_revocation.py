"""Access revocation rules (issue 7 item 7): which events revoke what, and who is refused (pure).

The table every service keeps and the list reloaded from it: ``tests/service/platform/test_revocation_table.py``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from ecosteward.app import request_principal
from ecosteward.auth import Principal
from ecosteward.db import service_metadata
from ecosteward.errors import Unauthenticated
from ecosteward.events import EventEnvelope
from ecosteward.revocation import (
    ACCOUNT,
    AGENCY,
    ENTERPRISE,
    MESSAGES,
    Change,
    RevocationList,
    change_for_event,
    revocation_table,
)
from services.archive.enterprises.domain import SourceStatus
from services.registry.agencies.domain import AgencyStatus

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


@pytest.mark.parametrize("status", [s.value for s in SourceStatus])
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


# -- plain HTTP routes ---------------------------------------------------------------------------


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
