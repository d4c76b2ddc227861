"""Staff rules: technical titles, account names and when a person counts as employed."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Title(StrEnum):
    """Technical title (技术职称)."""

    NONE = "NONE"
    JUNIOR = "JUNIOR"  # 初级
    INTERMEDIATE = "INTERMEDIATE"  # 中级
    ASSOCIATE_SENIOR = "ASSOCIATE_SENIOR"  # 副高级
    SENIOR = "SENIOR"  # 正高级


SENIOR_OR_HIGHER = frozenset({Title.ASSOCIATE_SENIOR, Title.SENIOR})
"""高级及以上: both the associate senior (副高) and the full senior (正高) title are senior titles."""


class StaffRecordKind(StrEnum):
    EDUCATION = "EDUCATION"  # 继续教育
    EVALUATION = "EVALUATION"  # 考评


def staff_active(joined_on: dt.date, left_on: dt.date | None, on: dt.date) -> bool:
    return joined_on <= on and (left_on is None or left_on > on)


def account_problems(
    username: str, email: str | None, username_field: str, email_field: str, whose: str
) -> list[dict[str, str]]:
    """What is wrong with a Keycloak account's username (already lower-cased) and e-mail.

    ``whose`` names the account in the message: "admin" (an agency's) or "staff".
    """
    problems: list[dict[str, str]] = []
    if not USERNAME.match(username):
        problems.append(
            {
                "field": username_field,
                "message": "Use 3–64 lower-case letters, digits, '.', '_' or '-' (用户名格式有误).",
            }
        )
    if not EMAIL.match((email or "").strip()):
        problems.append(
            {
                "field": email_field,
                "message": f"A valid e-mail address is required for the {whose} account (须填写有效邮箱).",
            }
        )
    return problems
