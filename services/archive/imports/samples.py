"""Generated source lists for tests, benchmarks and a blank template (valid credit codes included)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ecosteward.identifiers import ALPHABET, with_check_character
from services.archive.imports.domain import FIELDS, LABELS

CHINESE_HEADERS = [LABELS[f] for f in FIELDS]
ENGLISH_HEADERS = list(FIELDS)

_CATEGORIES = ("重点管理", "简化管理", "登记管理")
_STATUSES = ("在产", "在产", "在产", "搬迁", "关停")
_INDUSTRIES = ("C2614", "2614", "C3360", "C3130", "D4411", "N7724", "C2710", "3360")
_INVALID = ("credit_code", "jurisdiction", "industry_code", "coordinates", "permit_category", "name")


def credit_code(index: int, salt: str = "") -> str:
    """A valid, unique-per-index credit code (GB 32100 check character computed)."""
    rng = random.Random(f"{salt}:{index}")
    body = "".join(rng.choice(ALPHABET) for _ in range(8))
    return with_check_character(f"91310115{body}{index % 10}")


def sample_rows(
    count: int,
    jurisdictions: Sequence[str],
    *,
    invalid_share: float = 0.0,
    seed: int = 4177,
    salt: str = "",
) -> tuple[list[list[str]], list[int]]:
    """``count`` data rows (cells in :data:`FIELDS` order) and the spreadsheet row numbers of the
    rows made invalid — ⌊count × invalid_share⌋ of them, evenly spread, each with one problem of a
    varying kind — for a header on row 1."""
    rng = random.Random(seed)
    rows: list[list[str]] = []
    invalid: list[int] = []
    codes: set[str] = set()
    for i in range(count):
        code = credit_code(i, salt or str(seed))
        while code in codes:
            code = credit_code(i + count * rng.randint(1, 10_000), salt or str(seed))
        codes.add(code)
        row = [
            code,
            f"上海样例{i}号化工有限公司",
            f"浦东新区样例路{i % 997 + 1}号",
            rng.choice(jurisdictions),
            rng.choice(_INDUSTRIES),
            f"{rng.uniform(121.3, 121.9):.6f}",
            f"{rng.uniform(30.9, 31.4):.6f}",
            rng.choice(_CATEGORIES),
            rng.choice(_STATUSES),
        ]
        if int((i + 1) * invalid_share) > int(i * invalid_share):  # exactly ⌊count × share⌋, spread out
            kind = _INVALID[len(invalid) % len(_INVALID)]
            if kind == "credit_code":
                row[0] = code[:17] + ("0" if code[17] != "0" else "1")
            elif kind == "jurisdiction":
                row[3] = "不存在的街镇"
            elif kind == "industry_code":
                row[4] = "Z99"
            elif kind == "coordinates":
                row[5] = "200.5"
            elif kind == "permit_category":
                row[7] = "特别管理"
            else:
                row[1] = ""
            invalid.append(i + 2)
        rows.append(row)
    return rows, invalid


def write_sheet(
    path: Path, headers: Sequence[str], rows: Sequence[Sequence[str]], encoding: str = "utf-8"
) -> Path:
    """Write rows under ``headers`` as ``.xlsx`` (text cells) or ``.csv`` (in ``encoding``)."""
    frame = pd.DataFrame(list(rows), columns=list(headers), dtype=str)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        frame.to_csv(path, index=False, encoding=encoding)
    else:
        frame.to_excel(path, index=False, engine="openpyxl")
    return path


def write_template(path: Path) -> Path:
    """A blank source list with the Chinese headers."""
    return write_sheet(path, CHINESE_HEADERS, [])
