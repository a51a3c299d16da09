from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.intake.identifiers import (
    InvalidIdentifier,
    check_character_credit_code,
    check_character_organization_code,
    check_character_resident_id,
    validate_credit_code,
    validate_resident_id,
)


def resident_id(first17):
    return first17 + check_character_resident_id(first17)


def credit_code(first17):
    return first17 + check_character_credit_code(first17)


def refusal(validate, value):
    with pytest.raises(InvalidIdentifier) as raised:
        validate(value)
    return str(raised.value)


def shanghai_today():
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


# --- resident ID (GB 11643-1999) ----------------------------------------------------------


def test_a_published_resident_id_is_valid():
    # By hand: 1*7 + 1*9 + 0*10 + 1*5 + 0*8 + 5*4 + 1*2 + 9*1 + 4*6 + 9*3 + 1*7 + 2*9 + 3*10
    # + 1*5 + 0*8 + 0*4 + 2*2 = 167; 167 mod 11 = 2, and "10X98765432"[2] is X.
    assert check_character_resident_id("11010519491231002") == "X"
    assert validate_resident_id("11010519491231002X") == "11010519491231002X"


def test_a_lower_case_x_is_normalised():
    assert validate_resident_id("11010519491231002x") == "11010519491231002X"


def test_resident_ids_ending_in_a_digit_are_valid():
    assert resident_id("44030419900101123") == "440304199001011233"
    assert validate_resident_id("440304199001011233") == "440304199001011233"
    assert validate_resident_id(resident_id("32010220000229001")) == "320102200002290013"


@pytest.mark.parametrize("value, length", [("", 0), ("11010519491231002", 17), ("11010519491231002X0", 19)])
def test_a_resident_id_of_the_wrong_length_is_refused(value, length):
    assert refusal(validate_resident_id, value) == (f"resident ID: has {length} characters, expected 18")


@pytest.mark.parametrize(
    "value, message",
    [
        ("1101051949123100AX", "character 'A' at position 17 must be a digit"),
        ("x1010519491231002X", "character 'x' at position 1 must be a digit"),
        # Full-width digits pass str.isdigit() and int(), but are not an ID number.
        ("11０10519491231002X", "character '０' at position 3 must be a digit"),
        ("11010519491231002Y", "character 'Y' at position 18 must be a digit or X"),
        ("11010519491231002 ", "character ' ' at position 18 must be a digit or X"),
    ],
)
def test_a_wrong_character_in_a_resident_id_is_named_with_its_position(value, message):
    assert refusal(validate_resident_id, value) == f"resident ID: {message}"


def test_a_wrong_resident_id_check_character_says_what_was_expected():
    assert refusal(validate_resident_id, "110105194912310021") == ("resident ID: check character is '1', expected 'X'")


@pytest.mark.parametrize("birth", ["19490230", "19491301", "20230229", "19490100", "00000101"])
def test_an_impossible_birth_date_is_refused(birth):
    value = resident_id(f"110105{birth}002")  # check character right: only the date is wrong
    assert refusal(validate_resident_id, value) == (f"resident ID: impossible birth date {birth} (positions 7-14)")


def test_a_birth_date_in_the_future_is_refused():
    born = shanghai_today() + timedelta(days=2)
    value = resident_id(f"110105{born:%Y%m%d}002")
    assert refusal(validate_resident_id, value) == (f"resident ID: birth date {born.isoformat()} is in the future")


def test_a_baby_born_yesterday_has_a_valid_id():
    born = shanghai_today() - timedelta(days=1)
    value = resident_id(f"110105{born:%Y%m%d}002")
    assert validate_resident_id(value) == value


def test_the_resident_id_check_character_needs_17_digits():
    with pytest.raises(InvalidIdentifier, match="has 16 characters, expected 17"):
        check_character_resident_id("1101051949123100")
    with pytest.raises(InvalidIdentifier, match="character 'X' at position 17 must be a digit"):
        check_character_resident_id("1101051949123100X")


def test_a_resident_id_must_be_a_string():
    with pytest.raises(TypeError):
        validate_resident_id(11010519491231002)


# --- unified social credit code (GB 32100-2015) --------------------------------------------


def test_a_published_credit_code_is_valid():
    # By hand, with M = 21 and Y = 30: 9*1 + 1*3 + 3*9 + 5*27 + 1*26 + 21*20 + 1*8 + 30*30
    # + 4*28 = 1640; 1640 mod 31 = 28, and 31 - 28 = 3.
    assert check_character_credit_code("91350100M000100Y4") == "3"
    assert validate_credit_code("91350100M000100Y43") == "91350100M000100Y43"


def test_credit_check_characters_cover_letters_and_zero():
    # 1*1 + 2*3 + 1*9 + 4*20 = 96; 96 mod 31 = 3; 31 - 3 = 28, the alphabet's 29th: W.
    assert credit_code("12100000400000000") == "12100000400000000W"
    # 9 + 3 + 36 + 108 + 78 + 232 + 26*25 = 1116 = 36 * 31, so the check character is 0.
    assert credit_code("9144030008T000000") == "9144030008T0000000"
    for value in ("1210000040000035XW", "121000004000001140", credit_code("52440300MJL000008")):
        assert validate_credit_code(value) == value


def test_the_organisation_code_check_character_follows_gb_11714():
    # M000100Y: 22*3 + 1*5 + 34*2 = 139; 139 mod 11 = 7; 11 - 7 = 4 (position 17 of the code above).
    assert check_character_organization_code("M000100Y") == "4"
    assert check_character_organization_code("80210043") == "3"
    assert check_character_organization_code("40000000") == "X"  # 12 mod 11 = 1: 10 is written X
    assert check_character_organization_code("00000000") == "0"  # 11 is written 0


@pytest.mark.parametrize("organization_check", ["5", "X", "0"])
def test_a_credit_code_with_a_wrong_organisation_check_character_is_refused(organization_check):
    value = credit_code("91350100M000100Y" + organization_check)  # the final check character is right

    assert refusal(validate_credit_code, value) == (
        f"credit code: character {organization_check!r} at position 17 must be '4', "
        "the check character of the organisation code (positions 9-17)"
    )


def test_a_lower_case_credit_code_is_normalised():
    assert validate_credit_code("91350100m000100y43") == "91350100M000100Y43"


@pytest.mark.parametrize("value, length", [("91350100M000100Y4", 17), ("91350100M000100Y433", 19)])
def test_a_credit_code_of_the_wrong_length_is_refused(value, length):
    assert refusal(validate_credit_code, value) == (f"credit code: has {length} characters, expected 18")


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z", "o", "-"])
def test_letters_outside_the_credit_code_alphabet_are_named_with_their_position(letter):
    value = "91350100M" + letter + "00100Y43"
    assert refusal(validate_credit_code, value) == (
        f"credit code: character '{letter}' at position 10 must be a digit or a letter other than I, O, S, V, Z"
    )


def test_the_credit_code_area_code_must_be_digits():
    value = credit_code("913501A0M000100Y4")
    assert refusal(validate_credit_code, value) == (
        "credit code: character 'A' at position 7 must be a digit (area code)"
    )


def test_a_wrong_credit_code_check_character_says_what_was_expected():
    assert refusal(validate_credit_code, "91350100M000100Y44") == ("credit code: check character is '4', expected '3'")


def test_a_transposed_credit_code_is_caught_by_its_check_character():
    with pytest.raises(InvalidIdentifier, match="check character"):
        validate_credit_code("93150100M000100Y43")


def test_the_credit_code_check_character_needs_17_alphabet_characters():
    with pytest.raises(InvalidIdentifier, match="has 18 characters, expected 17"):
        check_character_credit_code("91350100M000100Y43")
    with pytest.raises(InvalidIdentifier, match="character 'O' at position 9"):
        check_character_credit_code("91350100O000100Y4")


def test_invalid_identifier_is_a_value_error():
    assert issubclass(InvalidIdentifier, ValueError)
