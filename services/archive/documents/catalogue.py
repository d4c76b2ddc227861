"""The archive checklist of seed 004 Annex E, table E.1 (一企一档资料存档表), as reference data.

``reference/e1_catalogue.csv`` lists the 35 items in 9 categories, in the table's order: the item
code (``1``, ``2-1`` … ``9-14``), the category number and Chinese name, the item's Chinese name (as in
the seed), an English name, and ``required_when`` — ``always`` or a short condition (e.g.
"hazardous-waste producers"), shown to users; an item that does not apply to a source is recorded
with a reason like any other missing document.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ecosteward.errors import BadUserInput

CSV_NAME = "e1_catalogue.csv"
UNKNOWN_ITEM_CODE = "UNKNOWN_ITEM_CODE"
_CODE = re.compile(r"[1-9](-[1-9][0-9]?)?")


@dataclass(frozen=True)
class CatalogueItem:
    """One item of table E.1."""

    code: str
    category_no: int
    category_name: str
    name: str
    name_en: str
    required_when: str

    @property
    def always_required(self) -> bool:
        return self.required_when == "always"


def parse_catalogue(text: str) -> tuple[CatalogueItem, ...]:
    """Parse the CSV text, checking its shape (unique, well-formed codes in their categories)."""
    items: list[CatalogueItem] = []
    seen: set[str] = set()
    for number, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        code = (row.get("code") or "").strip()
        if not _CODE.fullmatch(code) or code in seen:
            raise ValueError(f"{CSV_NAME} line {number}: bad or duplicate code {code!r}")
        category_no = int(row["category_no"])
        if int(code.split("-")[0]) != category_no:
            raise ValueError(f"{CSV_NAME} line {number}: code {code} is not in category {category_no}")
        fields = {
            k: (row.get(k) or "").strip() for k in ("category_name", "name", "name_en", "required_when")
        }
        if not all(fields.values()):
            raise ValueError(f"{CSV_NAME} line {number}: every column needs a value")
        seen.add(code)
        items.append(CatalogueItem(code=code, category_no=category_no, **fields))
    return tuple(items)


@cache
def catalogue() -> tuple[CatalogueItem, ...]:
    """The E.1 items in table order (loaded once)."""
    text = resources.files(__package__).joinpath("reference", CSV_NAME).read_text(encoding="utf-8")
    return parse_catalogue(text)


@cache
def items_by_code() -> dict[str, CatalogueItem]:
    return {item.code: item for item in catalogue()}


def item_codes() -> tuple[str, ...]:
    """Every E.1 item code, in table order."""
    return tuple(item.code for item in catalogue())


def is_item_code(code: str) -> bool:
    return code in items_by_code()


def get_item(code: str, field: str = "itemCode") -> CatalogueItem:
    """The E.1 item ``code``; BAD_USER_INPUT with code ``UNKNOWN_ITEM_CODE`` for anything else."""
    found = items_by_code().get(code.strip() if isinstance(code, str) else code)
    if found is None:
        shown = code[:20] if isinstance(code, str) else repr(code)
        raise BadUserInput(
            f"Unknown archive item code {shown!r}: use one of table E.1's codes, 1 to 9-14 (资料编号不存在).",
            code=UNKNOWN_ITEM_CODE,
            field=field,
        )
    return found
