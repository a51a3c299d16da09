"""An applicant's identifier (resident ID or unified social credit code) as the hall stores
and compares it: ASCII letters upper-cased, so a resident ID typed with a lower-case check
character x is the same person as with X. Only ASCII letters: ``str.upper()`` would also map
e.g. "ß" to "SS" and "ı" to "I"."""

import string

_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


def normalise(value):
    """``value`` with its ASCII letters upper-cased; None stays None."""
    return None if value is None else str(value).translate(_ASCII_UPPER)
