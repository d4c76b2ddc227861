"""The reporting service's one access policy (访问控制), built on :mod:`ecosteward.scope`.

Reads: the bureau sees every report, a town its own jurisdiction's. Writes: the same rule —
:func:`check_may_submit` (a town submits for its own jurisdiction only, the bureau for any).
"""

from __future__ import annotations

import uuid

from ecosteward import scope
from ecosteward.identity import Principal, Role
from ecosteward.scope import Scope, ScopePolicy

READER_ROLES = (Role.BUREAU_OFFICER, Role.TOWN_OFFICER)
SUBMITTER_ROLES = (Role.BUREAU_OFFICER, Role.TOWN_OFFICER)

SCOPE_POLICY: ScopePolicy = {Role.BUREAU_OFFICER: None, Role.TOWN_OFFICER: "jurisdiction_id"}
"""Who sees which reports: the bureau all, a town its own jurisdiction's."""


def data_scope(user: Principal) -> Scope:
    """Which reports ``user`` may see: all for the bureau, its own jurisdiction's for a town."""
    return scope.data_scope(user, SCOPE_POLICY, "Reports", "无权查看报告")


def owners(jurisdiction_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """The scope owners of a report: its jurisdiction."""
    return {"jurisdiction_id": jurisdiction_id}


def check_may_submit(user: Principal, jurisdiction_id: uuid.UUID) -> None:
    """A town submits reports for its own jurisdiction only; the bureau may submit for any."""
    scope.check_in_scope(
        data_scope(user),
        owners(jurisdiction_id),
        "A town submits reports for its own jurisdiction only (仅限本辖区).",
    )
