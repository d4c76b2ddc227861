"""Unified social credit code validation (GB 32100)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ecosteward.identifiers import ALPHABET, check_character, credit_code_problem, with_check_character

first17 = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


def test_known_valid_codes() -> None:
    for code in ("91350100M000100Y43", "91110000802100433B", "91310000MA1FL4XK1Y"):
        assert credit_code_problem(code) is None, code


def test_typical_mistakes_are_explained() -> None:
    assert "18" in (credit_code_problem("9135010") or "")
    assert "not allowed" in (credit_code_problem("91350100M000100YI3") or "")
    assert "check" in (credit_code_problem("91350100M000100Y44") or "")


@given(first17)
def test_completed_codes_are_valid(prefix: str) -> None:
    assert credit_code_problem(with_check_character(prefix)) is None


@given(first17, st.integers(min_value=0, max_value=16), st.sampled_from(ALPHABET))
def test_any_single_character_change_is_detected(prefix: str, position: int, replacement: str) -> None:
    code = with_check_character(prefix)
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code:
        assert credit_code_problem(changed) is not None


@given(first17)
def test_check_character_is_in_the_alphabet(prefix: str) -> None:
    assert check_character(prefix) in ALPHABET
