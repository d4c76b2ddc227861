"""Archive rules: pure functions, no I/O."""

from __future__ import annotations

PERMIT_CATEGORIES = ("KEY", "SIMPLIFIED", "REGISTRATION")
"""排污许可: 重点管理 key, 简化管理 simplified, 登记管理 registration."""

SOURCE_STATUSES = ("OPERATING", "RELOCATING", "CLOSED")
