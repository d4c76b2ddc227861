"""Jurisdiction rules: the kinds of managing unit and what a valid directory entry looks like."""

from __future__ import annotations

import re
from enum import StrEnum


class JurisdictionKind(StrEnum):
    DISTRICT = "DISTRICT"
    TOWN = "TOWN"  # 镇
    STREET = "STREET"  # 街道
    PARK = "PARK"  # 园区管委会


JURISDICTION_KINDS = tuple(k.value for k in JurisdictionKind)
JURISDICTION_CODE = re.compile(r"^[0-9A-Za-z-]{2,32}$")


def jurisdiction_violations(code: str, name: str) -> list[dict[str, str]]:
    """What is wrong with a new directory entry (``code`` and ``name`` already stripped)."""
    problems: list[dict[str, str]] = []
    if not JURISDICTION_CODE.match(code):
        problems.append({"field": "code", "message": "Use 2–32 letters, digits or dashes (编码格式有误)."})
    if not name:
        problems.append({"field": "name", "message": "A name is required (须填写名称)."})
    return problems
