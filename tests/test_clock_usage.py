"""A static check: no code turns a timestamp (or the wall clock) into a date outside ``ecosteward.clock``.

China's date (北京时间) is the date of every timestamp here; ``tests/unit/platform/test_china_dates.py`` and
``tests/service/platform/test_china_dates.py`` check the behaviour at both clock pins.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ecosteward.config import REPO_ROOT

SCANNED = ("ecosteward", "services", "bench", "tests/e2e", "tests/platform")
ALLOWED = {Path("ecosteward/clock.py")}


def _date_conversions(path: Path) -> list[str]:
    """Calls that turn a timestamp (or the wall clock) into a date without ``ecosteward.clock``."""
    found: list[tuple[int, str]] = []
    tree = ast.parse((REPO_ROOT / path).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name, args = node.func.attr, node.args or node.keywords
            receiver = ast.unparse(node.func.value)
            if name == "date" and not args and receiver not in {"dt", "datetime", "sa", "sqlalchemy"}:
                found.append((node.lineno, f"{path}:{node.lineno}: {receiver}.date()"))
            elif name == "today" and receiver.endswith(("date", "datetime")):
                found.append((node.lineno, f"{path}:{node.lineno}: {receiver}.today()"))
            elif name == "utcnow" and receiver.endswith("datetime"):
                found.append((node.lineno, f"{path}:{node.lineno}: {receiver}.utcnow()"))
            elif name == "now" and receiver.endswith("datetime") and not args:
                found.append((node.lineno, f"{path}:{node.lineno}: {receiver}.now() without a zone"))
        elif isinstance(node, ast.Attribute) and node.attr == "current_date":
            found.append((node.lineno, f"{path}:{node.lineno}: func.current_date (the database's zone)"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.upper()
            if "CURRENT_DATE" in text or "NOW()::DATE" in text or "LOCALTIMESTAMP" in text:
                found.append((node.lineno, f"{path}:{node.lineno}: SQL date of the database's clock"))
    return [text for _, text in sorted(found)]


def test_no_timestamp_becomes_a_date_outside_the_china_clock() -> None:
    offences: list[str] = []
    for folder in SCANNED:
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            relative = path.relative_to(REPO_ROOT)
            if relative in ALLOWED or "migrations" in relative.parts:
                continue
            offences += _date_conversions(relative)
    assert offences == [], "use ecosteward.clock.china_date / china_today:\n" + "\n".join(offences)


def test_the_static_check_sees_a_utc_date(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import datetime as dt\n"
        "def f(row):\n"
        "    a = row.revoked_at.date()\n"
        "    b = dt.date.today()\n"
        "    c = dt.datetime.utcnow()\n"
        "    d = sa.func.current_date()\n"
        "    e = 'SELECT CURRENT_DATE'\n"
        "    f = dt.date(2026, 1, 1)\n"
        "    g = dt.datetime.now(dt.UTC)\n",
        encoding="utf-8",
    )
    assert [line.split(": ", 1)[1] for line in _date_conversions(sample)] == [
        "row.revoked_at.date()",
        "dt.date.today()",
        "dt.datetime.utcnow()",
        "func.current_date (the database's zone)",
        "SQL date of the database's clock",
    ]
