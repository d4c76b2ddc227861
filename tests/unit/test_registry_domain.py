"""Registry rules (pure)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.registry.domain import contract_violations

dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
prices = st.decimals(
    min_value=Decimal("-1000000"),
    max_value=Decimal("100000000"),
    allow_nan=False,
    allow_infinity=False,
    places=3,
)


@given(prices, dates, dates, st.integers(min_value=-5, max_value=10_000))
def test_contract_terms_are_accepted_exactly_when_every_rule_holds(
    price: Decimal, start: dt.date, end: dt.date, tasks: int
) -> None:
    fields = {p["field"] for p in contract_violations(price, start, end, tasks)}
    assert ("price" in fields) == (price <= 0 or price != price.quantize(Decimal("0.01")))
    assert ("endsOn" in fields) == (end < start)
    assert ("contractedTasks" in fields) == (tasks < 0)


def test_examples() -> None:
    ok = contract_violations(Decimal("960000.00"), dt.date(2026, 1, 1), dt.date(2026, 12, 31), 400)
    assert ok == []
    bad = contract_violations(Decimal("-1"), dt.date(2026, 12, 31), dt.date(2026, 1, 1), -1)
    assert [p["field"] for p in bad] == ["price", "endsOn", "contractedTasks"]
