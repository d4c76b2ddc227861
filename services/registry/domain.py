"""Registry rules: pure functions, no I/O."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from ecosteward.errors import ValidationFailed

JURISDICTION_KINDS = ("DISTRICT", "TOWN", "STREET", "PARK")
JURISDICTION_CODE = re.compile(r"^[0-9A-Za-z-]{2,32}$")


def contract_violations(
    price: Decimal, starts_on: dt.date, ends_on: dt.date, contracted_tasks: int
) -> list[dict[str, str]]:
    """What is wrong with a contract's terms (empty when they are acceptable)."""
    problems: list[dict[str, str]] = []
    try:
        exact = price == price.quantize(Decimal("0.01"))
    except InvalidOperation:
        exact = False
    if not price.is_finite() or price <= 0:
        problems.append(
            {"field": "price", "message": "The price must be a positive amount in CNY (合同金额须为正数)."}
        )
    elif not exact:
        problems.append({"field": "price", "message": "The price has at most two decimal places (精确到分)."})
    if ends_on < starts_on:
        problems.append({"field": "endsOn", "message": "The term ends before it starts (合同期限有误)."})
    if contracted_tasks < 0:
        problems.append(
            {"field": "contractedTasks", "message": "The number of contracted tasks cannot be negative."}
        )
    return problems


def check_contract_terms(price: Decimal, starts_on: dt.date, ends_on: dt.date, contracted_tasks: int) -> None:
    problems = contract_violations(price, starts_on, ends_on, contracted_tasks)
    if problems:
        raise ValidationFailed("The contract terms are not acceptable (合同信息有误).", problems)
