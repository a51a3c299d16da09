"""Validation of applicants' identifiers at intake.

A mistyped identifier caught at the window costs a retype; caught later it costs a refused
case and a second visit, so each error names exactly what is wrong and where (positions
count from 1). Both identifiers end in a check character over the first 17 characters; in a
credit code, position 17 is itself the check character of the organisation code in positions
9-17 (GB 11714), so a code is valid only when both checks hold.
"""

import string
from datetime import date, datetime

from services.common.applicant_ids import normalise
from services.common.workdays import SHANGHAI

_DIGITS = "0123456789"

# 居民身份证号码, GB 11643-1999: ISO 7064 MOD 11-2 (weight i is 2**(17 - i) mod 11).
_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECK = "10X98765432"  # indexed by the weighted sum mod 11

# 统一社会信用代码, GB 32100-2015: a character's value is its index in the alphabet,
# which leaves out I, O, S, V, Z so they cannot be confused with 1, 0, 5, U, 2.
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3**i mod 31
_CREDIT_CHARACTER = "a digit or a letter other than I, O, S, V, Z"

# 组织机构代码, GB 11714-1997: eight characters (digits 0-9, letters A-Z as 10-35) and a check
# character, 11 - (weighted sum mod 11), with 10 written X and 11 written 0.
_ORGANIZATION_VALUES = string.digits + string.ascii_uppercase
_ORGANIZATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


class InvalidIdentifier(ValueError):
    """An identifier that cannot be right; the message says why."""


def validate_resident_id(value: str) -> str:
    """The resident ID (居民身份证号码), a lower-case x made upper-case; else InvalidIdentifier."""
    _require_string(value, 18, "resident ID")
    _require_characters(value, _DIGITS, "resident ID", "a digit", stop=17)
    _require_characters(value, _DIGITS + "X", "resident ID", "a digit or X", start=17)
    id_number = normalise(value)
    _require_birth_date(id_number[6:14])
    _require_check_character("resident ID", id_number, check_character_resident_id(id_number[:17]))
    return id_number


def validate_credit_code(value: str) -> str:
    """The unified social credit code (统一社会信用代码) in upper case, or InvalidIdentifier.

    The first character is the registering authority and the second the entity type; they
    are not checked against a table, whose codes have grown since the 2015 standard.
    """
    _require_string(value, 18, "credit code")
    _require_characters(value, _CREDIT_ALPHABET, "credit code", _CREDIT_CHARACTER)
    _require_characters(value, _DIGITS, "credit code", "a digit (area code)", start=2, stop=8)
    code = normalise(value)
    _require_check_character("credit code", code, check_character_credit_code(code[:17]))
    expected = check_character_organization_code(code[8:16])
    if code[16] != expected:
        raise InvalidIdentifier(
            f"credit code: character {code[16]!r} at position 17 must be {expected!r}, "
            "the check character of the organisation code (positions 9-17)"
        )
    return code


def check_character_resident_id(first17: str) -> str:
    """The check character that completes the first 17 digits of a resident ID."""
    _require_string(first17, 17, "first 17 characters of a resident ID")
    _require_characters(first17, _DIGITS, "resident ID", "a digit")
    total = sum(int(char) * weight for char, weight in zip(first17, _RESIDENT_WEIGHTS))
    return _RESIDENT_CHECK[total % 11]


def check_character_credit_code(first17: str) -> str:
    """The check character that completes the first 17 characters of a credit code."""
    _require_string(first17, 17, "first 17 characters of a credit code")
    _require_characters(first17, _CREDIT_ALPHABET, "credit code", _CREDIT_CHARACTER)
    values = (_CREDIT_ALPHABET.index(char) for char in normalise(first17))
    total = sum(value * weight for value, weight in zip(values, _CREDIT_WEIGHTS))
    return _CREDIT_ALPHABET[-total % 31]


def check_character_organization_code(first8: str) -> str:
    """The check character of an organisation code (组织机构代码) whose first 8 characters are given."""
    values = (_ORGANIZATION_VALUES.index(char) for char in first8)
    remainder = 11 - sum(value * weight for value, weight in zip(values, _ORGANIZATION_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def _require_string(value: str, length: int, kind: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"a {kind} is a string, got {type(value).__name__}")
    if len(value) != length:
        raise InvalidIdentifier(f"{kind}: has {len(value)} characters, expected {length}")


def _require_characters(
    value: str, allowed: str, kind: str, expected: str, start: int = 0, stop: int | None = None
) -> None:
    # Each character is looked up in an explicit alphabet rather than tested with
    # str.isdigit(), which accepts full-width and other Unicode digits that int() reads.
    for position, char in enumerate(value[start:stop], start + 1):
        if normalise(char) not in allowed:
            raise InvalidIdentifier(f"{kind}: character {char!r} at position {position} must be {expected}")


def _require_birth_date(digits: str) -> None:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise InvalidIdentifier(f"resident ID: impossible birth date {digits} (positions 7-14)") from None
    if born > datetime.now(SHANGHAI).date():
        raise InvalidIdentifier(f"resident ID: birth date {born.isoformat()} is in the future")


def _require_check_character(kind: str, value: str, expected: str) -> None:
    if value[17] != expected:
        raise InvalidIdentifier(f"{kind}: check character is {value[17]!r}, expected {expected!r}")
