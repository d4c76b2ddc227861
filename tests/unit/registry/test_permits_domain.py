"""The work permit's state (``permits.domain.permit_state``): one rule for the GraphQL field and the check."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from services.registry.permits.domain import PermitState, permit_state, permit_valid_on

dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))


@given(dates, dates, st.none() | dates, dates)
def test_the_state_follows_the_rule_text(
    valid_from: dt.date, valid_to: dt.date, revoked_on: dt.date | None, today: dt.date
) -> None:
    state = permit_state(valid_from, valid_to, revoked_on, today)
    # Oracle, from the rule: revoked from the day of the revocation on; else by the validity period.
    if revoked_on is not None and revoked_on <= today:
        assert state is PermitState.REVOKED
    elif today < valid_from:
        assert state is PermitState.NOT_YET_VALID
    elif today > valid_to:
        assert state is PermitState.EXPIRED
    else:
        assert state is PermitState.VALID
    assert permit_valid_on(valid_from, valid_to, revoked_on, today) == (state is PermitState.VALID)


def test_a_revocation_dated_after_today_does_not_revoke_yet() -> None:
    day = dt.date(2026, 5, 1)
    assert permit_state(dt.date(2026, 1, 1), dt.date(2026, 12, 31), day + dt.timedelta(days=1), day) is (
        PermitState.VALID
    )
