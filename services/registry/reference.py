"""Reference data shipped with the registry: the service catalogue and the demo directory."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


@dataclass(frozen=True)
class CatalogueItem:
    """A service catalogue item of seed 004 Annexes B–D (服务清单)."""

    code: str
    annex: str
    table: str
    category: str
    name: str
    name_en: str
    stage: str


@cache
def service_catalogue() -> dict[str, CatalogueItem]:
    with (REFERENCE_DIR / "service_catalogue.csv").open(encoding="utf-8", newline="") as handle:
        return {
            row["code"]: CatalogueItem(
                code=row["code"],
                annex=row["annex"],
                table=row["table"],
                category=row["category_zh"],
                name=row["name_zh"],
                name_en=row["name_en"],
                stage=row["stage_zh"],
            )
            for row in csv.DictReader(handle)
        }


@dataclass(frozen=True)
class DirectoryEntry:
    code: str
    name: str
    name_en: str
    kind: str


def pudong_directory() -> list[DirectoryEntry]:
    """About 40 units shaped like Pudong's: the district, its streets, towns and parks."""
    with (REFERENCE_DIR / "jurisdictions_pudong.csv").open(encoding="utf-8", newline="") as handle:
        return [
            DirectoryEntry(code=row["code"], name=row["name_zh"], name_en=row["name_en"], kind=row["kind"])
            for row in csv.DictReader(handle)
        ]
