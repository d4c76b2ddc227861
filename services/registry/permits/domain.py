"""Work permit rules: when a permit is valid, and its state on a day."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum


class PermitState(StrEnum):
    """A work permit's state on a given day."""

    VALID = "VALID"
    NOT_YET_VALID = "NOT_YET_VALID"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


def permit_state(
    valid_from: dt.date, valid_to: dt.date, revoked_on: dt.date | None, today: dt.date
) -> PermitState:
    """Revoked from the (China) day of its revocation; otherwise valid from its first to its last day."""
    if revoked_on is not None and revoked_on <= today:
        return PermitState.REVOKED
    if today < valid_from:
        return PermitState.NOT_YET_VALID
    return PermitState.EXPIRED if today > valid_to else PermitState.VALID


def permit_valid_on(valid_from: dt.date, valid_to: dt.date, revoked_on: dt.date | None, day: dt.date) -> bool:
    """A permit is valid from its first to its last day inclusive, unless revoked on or before ``day``."""
    return permit_state(valid_from, valid_to, revoked_on, day) is PermitState.VALID


def permit_violations(valid_from: dt.date, valid_to: dt.date) -> list[dict[str, str]]:
    if valid_to < valid_from:
        return [{"field": "validTo", "message": "The permit ends before it starts (有效期有误)."}]
    if (valid_to - valid_from).days > 5 * 366:
        return [
            {"field": "validTo", "message": "A permit is valid for at most 5 years (工作证有效期最长 5 年)."}
        ]
    return []
