import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rules.credit_code import CHARSET, check_credit_code

VALID = ["91350100M000100Y43", "9144030071526726XG", "91330100799655058B", "914403001922038216"]


@pytest.mark.parametrize("code", VALID)
def test_valid_public_codes_pass(code):
    result = check_credit_code(code)
    assert result.valid and result.code == code


def test_lowercase_and_surrounding_spaces_are_normalised():
    result = check_credit_code("  91350100m000100y43 \n")
    assert result.valid and result.code == "91350100M000100Y43"


def test_full_width_characters_are_normalised():
    assert check_credit_code("９１３５０１００Ｍ０００１００Ｙ４３").valid


@given(st.sampled_from(VALID), st.integers(min_value=0, max_value=17), st.sampled_from(CHARSET))
def test_one_changed_character_fails_the_check(code, position, replacement):
    if code[position] == replacement:
        return
    changed = code[:position] + replacement + code[position + 1:]
    assert check_credit_code(changed).problem == "check_digit"


def test_an_early_pilot_code_fails_the_check_but_staff_can_bind_it():
    result = check_credit_code("91350100M0001TGQXM")
    assert not result.valid
    assert result.problem == "check_digit"
    assert result.staff_can_bind


@pytest.mark.parametrize(("raw", "problem"), [
    ("91350100M000100Y4", "length"),
    ("91350100M000100Y433", "length"),
    ("", "length"),
    ("91350100M000100O43", "charset"),
    ("91350100M000100I43", "charset"),
])
def test_malformed_codes_are_refused_and_not_bindable(raw, problem):
    result = check_credit_code(raw)
    assert result.problem == problem
    assert not result.staff_can_bind


def test_registration_authority_letters_are_allowed():
    for first in "ANY":
        from bot.rules.credit_code import check_character
        body = first + "1350100M000100Y4"
        code = body + check_character(body)
        assert check_credit_code(code).problem is None


def test_organisation_code_check_digit_only_warns():
    from bot.rules.credit_code import check_character
    body = "91350100M000100Y"[:16] + "9"
    code = body + check_character(body)
    result = check_credit_code(code)
    assert result.valid
    assert result.warnings == ("org_check_digit",)
