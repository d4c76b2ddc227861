"""Unified social credit code (统一社会信用代码, GB 32100-2015): validation and check digit.

18 characters: registration authority (1), organisation type (1), administrative division (6),
organisation code (9), check character (1), from the 31-character alphabet below (no I, O, S, V, Z).
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    """The check character for the first 17 characters (which must be in the alphabet)."""
    if len(first17) != 17:
        raise ValueError("need exactly 17 characters")
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why ``code`` is not a valid credit code, or None when it is."""
    if len(code) != 18:
        return f"A unified social credit code has 18 characters, not {len(code)} (统一社会信用代码应为18位)."
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        return f"Characters not allowed in a credit code: {''.join(bad)} (含非法字符)."
    if check_character(code[:17]) != code[17]:
        return "The check character does not match (校验位错误)."
    return None


def normalise_credit_code(code: str) -> str:
    return code.strip().upper()


def with_check_character(first17: str) -> str:
    """Complete 17 characters into a valid code (used for demo and test data)."""
    return first17 + check_character(first17)
