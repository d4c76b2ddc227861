"""Archive rules: pure functions, no I/O."""

from __future__ import annotations

from ecosteward import scope
from ecosteward.auth import Principal
from ecosteward.scope import Scope, ScopePolicy

PERMIT_CATEGORIES = ("KEY", "SIMPLIFIED", "REGISTRATION")
"""排污许可: 重点管理 key, 简化管理 simplified, 登记管理 registration."""

SOURCE_STATUSES = ("OPERATING", "RELOCATING", "CLOSED")

SCOPE_POLICY: ScopePolicy = {
    "bureau_officer": None,
    "town_officer": "jurisdiction_id",
    "enterprise_user": "enterprise_id",
}
"""Who sees which pollution sources: the bureau all, a town its jurisdiction's, an enterprise only
itself (its ``enterprise_id`` claim is the source's own id)."""


def data_scope(user: Principal) -> Scope:
    """Which enterprises ``user`` may see (FORBIDDEN for roles that see none)."""
    return scope.data_scope(user, SCOPE_POLICY, "Enterprises", "无权查看企业档案")
