"""Valid applicant identifiers for simulated people and companies: resident IDs with the
GB 11643 check character and unified social credit codes with the GB 32100 one, whose
organisation code (positions 9-17) carries its own GB 11714 check character."""

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORGANIZATION_VALUES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORGANIZATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(n):
    """The ``n``-th simulated resident ID: Yulin (610802), born 1960–1999, unique for n < 10^3·40·365."""
    year = 1960 + n % 40
    day_of_year = (n // 40) % 365
    month, day = 1 + day_of_year // 31 % 12, 1 + day_of_year % 28
    body = f"610802{year:04d}{month:02d}{day:02d}{(n // 14600) % 1000:03d}"
    return body + ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS)) % 11]


def credit_code(n):
    """The ``n``-th simulated unified social credit code: an enterprise (91) registered in Yulin."""
    organization = f"MA{n:06d}"
    body = f"91610802{organization}{organization_check(organization)}"
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(body, CREDIT_WEIGHTS))
    return body + CREDIT_CHARSET[(31 - total % 31) % 31]


def organization_check(first8):
    """The GB 11714 check character of an organisation code's first eight characters."""
    remainder = 11 - sum(ORGANIZATION_VALUES.index(c) * w for c, w in zip(first8, ORGANIZATION_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))
