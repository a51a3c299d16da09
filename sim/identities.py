"""Valid applicant identifiers for simulated people and companies: resident IDs with the
GB 11643 check character and unified social credit codes with the GB 32100 one."""
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_id(n):
    """The ``n``-th simulated resident ID: Yulin (610802), born 1960–1999, unique for n < 10^3·40·365."""
    year = 1960 + n % 40
    day_of_year = (n // 40) % 365
    month, day = 1 + day_of_year // 31 % 12, 1 + day_of_year % 28
    body = f"610802{year:04d}{month:02d}{day:02d}{(n // 14600) % 1000:03d}"
    return body + ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS)) % 11]


def credit_code(n):
    """The ``n``-th simulated unified social credit code: an enterprise (91) registered in Yulin."""
    body = f"91610802MA{n:07d}"
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(body, CREDIT_WEIGHTS))
    return body + CREDIT_CHARSET[(31 - total % 31) % 31]
