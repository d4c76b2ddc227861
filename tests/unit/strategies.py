"""Hypothesis strategies and small helpers shared by the unit tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping

from hypothesis import strategies as st

from ecosteward.auth import ROLES, Principal
from ecosteward.errors import Forbidden
from ecosteward.scope import Scope, in_scope

ids = st.uuids()

principals = st.builds(
    Principal,
    subject=st.just("subject"),
    username=st.just("someone"),
    roles=st.frozensets(st.sampled_from(ROLES)),
    jurisdiction_id=st.none() | ids,
    agency_id=st.none() | ids,
    enterprise_id=st.none() | ids,
)
"""Any caller: any set of realm roles, each scope claim present or not."""


def user(
    *roles: str,
    jurisdiction: uuid.UUID | None = None,
    agency: uuid.UUID | None = None,
    enterprise: uuid.UUID | None = None,
) -> Principal:
    """A caller with these roles and claims."""
    return Principal(
        "s", "u", frozenset(roles), jurisdiction_id=jurisdiction, agency_id=agency, enterprise_id=enterprise
    )


def visibility(
    data_scope: Callable[[Principal], Scope], caller: Principal, owners: Mapping[str, uuid.UUID]
) -> bool | None:
    """Whether ``caller`` sees a record owned by ``owners``; None where ``data_scope`` is FORBIDDEN."""
    try:
        scope = data_scope(caller)
    except Forbidden:
        return None
    return in_scope(scope, owners)
