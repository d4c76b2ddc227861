"""Archive rules: pure functions, no I/O."""

from __future__ import annotations

import re

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


_INDUSTRY = re.compile(r"^([A-T])?(\d{2})(\d{0,2})$")


def industry_code_problem(code: str) -> str | None:
    """Why ``code`` is not a GB/T 4754-2017 industry code (国民经济行业分类), or None.

    Accepted: an optional section letter A–T followed by the 2-digit division and up to 2 more digits
    (group, class), e.g. ``C2614`` or ``2614``; the division must be 01–97.
    """
    match = _INDUSTRY.match(code.strip().upper())
    if match is None:
        return "An industry code is a section letter A–T and 2–4 digits, e.g. C2614 (行业代码格式有误)."
    if not 1 <= int(match.group(2)) <= 97:
        return "The industry division must be between 01 and 97 (行业大类有误)."
    return None


CHINA_LATITUDE = (3.0, 54.0)
CHINA_LONGITUDE = (73.0, 136.0)


def coordinates_problem(latitude: float | None, longitude: float | None) -> str | None:
    """Why a WGS-84 position is not acceptable for a source in China, or None (both or neither)."""
    if (latitude is None) != (longitude is None):
        return "Give both latitude and longitude, or neither (经纬度须成对)."
    if latitude is None or longitude is None:
        return None
    if not (
        CHINA_LATITUDE[0] <= latitude <= CHINA_LATITUDE[1]
        and CHINA_LONGITUDE[0] <= longitude <= CHINA_LONGITUDE[1]
    ):
        return "The position is outside China (坐标不在中国境内)."
    return None


STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    "OPERATING": frozenset({"RELOCATING", "CLOSED"}),
    "RELOCATING": frozenset({"OPERATING", "CLOSED"}),
    "CLOSED": frozenset({"OPERATING"}),
}
"""Sources move and close often; a closed source may reopen (its history is kept)."""
