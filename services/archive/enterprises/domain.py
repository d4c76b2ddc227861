"""Enterprise rules (排污单位): pure functions and enums, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class PermitCategory(StrEnum):
    """Pollutant discharge permit category (排污许可管理类别): 重点管理 key, 简化管理 simplified, 登记管理 registration."""

    KEY = "KEY"
    SIMPLIFIED = "SIMPLIFIED"
    REGISTRATION = "REGISTRATION"


class SourceStatus(StrEnum):
    """Operating status of a pollution source (在产 operating, 搬迁 relocating, 关停 closed)."""

    OPERATING = "OPERATING"
    RELOCATING = "RELOCATING"
    CLOSED = "CLOSED"


INDUSTRY_SECTIONS: tuple[tuple[str, int, int], ...] = (
    ("A", 1, 5),
    ("B", 6, 12),
    ("C", 13, 43),
    ("D", 44, 46),
    ("E", 47, 50),
    ("F", 51, 52),
    ("G", 53, 60),
    ("H", 61, 62),
    ("I", 63, 65),
    ("J", 66, 69),
    ("K", 70, 70),
    ("L", 71, 72),
    ("M", 73, 75),
    ("N", 76, 79),
    ("O", 80, 82),
    ("P", 83, 83),
    ("Q", 84, 85),
    ("R", 86, 90),
    ("S", 91, 96),
    ("T", 97, 97),
)
"""GB/T 4754-2017 sections (门类) A–T and the divisions (大类, 01–97) each contains."""

_SECTION_OF_DIVISION = {d: letter for letter, low, high in INDUSTRY_SECTIONS for d in range(low, high + 1)}
_INDUSTRY = re.compile(r"^([A-Z])?(\d{2,4})?$")


def industry_code_problem(code: str) -> tuple[str, str] | None:
    """Why ``code`` (upper case) is not a GB/T 4754-2017 code (国民经济行业分类), as (中文, English), or None.

    Accepted: a section letter A–T and/or 2–4 digits (division, group, class), e.g. ``C2614`` or
    ``2614``; the division must exist (01–97) and belong to the letter's section.
    """
    found = _INDUSTRY.match(code)
    if found is None or not (found.group(1) or found.group(2)):
        return (
            "行业代码格式错误：应为门类字母A–T加2–4位数字（如 C2614）或2–4位数字",
            "Industry code must be a section letter A–T and/or 2–4 digits (GB/T 4754, e.g. C2614)",
        )
    letter, digits = found.group(1), found.group(2)
    if letter is not None and letter > "T":
        return ("行业门类应为A–T", "The industry section letter must be A–T")
    if digits is None:
        return None
    division = int(digits[:2])
    if not 1 <= division <= 97:
        return (
            f"行业大类{digits[:2]}不存在（应为01–97）",
            f"Industry division {digits[:2]} does not exist (01–97)",
        )
    if letter is not None and _SECTION_OF_DIVISION[division] != letter:
        section = _SECTION_OF_DIVISION[division]
        return (
            f"行业门类{letter}与大类{digits[:2]}不符（应为{section}）",
            f"Industry section {letter} does not contain division {digits[:2]} (it is in {section})",
        )
    return None


def canonical_industry_code(code: str) -> str:
    """A valid code with its section letter: ``2614`` → ``C2614``; ``C`` stays ``C``."""
    if code and code[0].isdigit():
        return _SECTION_OF_DIVISION[int(code[:2])] + code
    return code


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


STATUS_TRANSITIONS: dict[SourceStatus, frozenset[SourceStatus]] = {
    SourceStatus.OPERATING: frozenset({SourceStatus.RELOCATING, SourceStatus.CLOSED}),
    SourceStatus.RELOCATING: frozenset({SourceStatus.OPERATING, SourceStatus.CLOSED}),
    SourceStatus.CLOSED: frozenset({SourceStatus.OPERATING}),
}
"""Sources move and close often; a closed source may reopen (its history is kept)."""

REGISTERED_STATUS = SourceStatus.OPERATING
"""A newly registered source operates."""

MAX_BOX_DEGREES = 10
"""The map's bounding box may span at most this many degrees each way."""


@dataclass(frozen=True)
class BoundingBox:
    """A rectangle on the map, in WGS-84 degrees."""

    min_latitude: float
    min_longitude: float
    max_latitude: float
    max_longitude: float


def bounding_box_problem(box: BoundingBox) -> str | None:
    """Why ``box`` may not be used to filter the map, or None."""
    if not (box.min_latitude <= box.max_latitude and box.min_longitude <= box.max_longitude):
        return "The bounding box is inverted: min must not exceed max (范围框无效)."
    if (
        box.max_latitude - box.min_latitude > MAX_BOX_DEGREES
        or box.max_longitude - box.min_longitude > MAX_BOX_DEGREES
    ):
        return f"The bounding box may span at most {MAX_BOX_DEGREES} degrees each way (范围框过大)."
    return None


def master_data_problems(
    name: str, industry_code: str, latitude: float | None, longitude: float | None
) -> list[dict[str, str]]:
    """The field problems of a source's master data (empty: valid)."""
    problems = []
    if not name.strip():
        problems.append({"field": "name", "message": "A name is required (须填写名称)."})
    if (
        industry_code.strip()
        and (problem := industry_code_problem(industry_code.strip().upper())) is not None
    ):
        problems.append({"field": "industryCode", "message": f"{problem[1]} ({problem[0]})"})
    if (position := coordinates_problem(latitude, longitude)) is not None:
        problems.append({"field": "latitude", "message": position})
    return problems
