"""Comparing a secret a caller sends (a query code, a follow code, a signature) with the
stored one in constant time. ``hmac.compare_digest`` takes ``str`` only when both are ASCII
and raises ``TypeError`` otherwise, so a code typed with one Chinese character would crash
the comparison: both sides are compared as UTF-8 bytes."""

import hmac


def equal(given, expected):
    """Whether ``given`` (anything a caller sent, None as empty) is ``expected``, in time that
    does not depend on where they differ."""
    return hmac.compare_digest(str("" if given is None else given).encode(), str(expected).encode())
