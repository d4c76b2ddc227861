"""Money is an exact Decimal on every backend."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ecosteward.db import Money


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_money_round_trips_exactly(dialect: sa.Dialect) -> None:
    money = Money()
    for value in (Decimal("0.10"), Decimal("960000.00"), Decimal("12345678.99")):
        bound = money.process_bind_param(value, dialect)
        assert money.process_result_value(bound, dialect) == value


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        Money().process_bind_param(0.1, sqlite.dialect())  # type: ignore[arg-type]


def test_fractions_of_a_fen_are_refused_not_rounded() -> None:
    with pytest.raises(ValueError):
        Money().process_bind_param(Decimal("0.125"), postgresql.dialect())
