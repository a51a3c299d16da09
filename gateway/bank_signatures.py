"""Authenticating the bank (银行签名): a request from a configured bank carries

    X-Bank-Id: <bank>            X-Bank-Timestamp: <unix seconds>
    X-Bank-Nonce: <16-64 of A-Z a-z 0-9 _ ->
    X-Bank-Signature: hex HMAC-SHA256(<bank secret>, "<timestamp>\\n<nonce>\\n" + raw body)

Timestamp and nonce are inside the signed message, so neither can be changed without the
secret. This module checks the signature and the timestamp's age (authentication, the
gateway's job); the nonce is accepted only once by the payment service, which keeps the
memory shared by every gateway replica and across restarts.

Secrets come from ``BANK_SECRETS`` (``bank:secret,bank:secret``). The demo default is
public: in production it is ignored, so a production gateway without its own secrets
accepts no bank at all.
"""

import hashlib
import hmac
import logging
import re

from gateway.problems import Problem
from services.common import constant_time
from services.common.config import DEFAULTS, is_demo

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Bank-Signature"
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def configured_banks(settings):
    """``{bank id: secret}`` from ``BANK_SECRETS``."""
    banks = {}
    for entry in filter(None, (part.strip() for part in settings["BANK_SECRETS"].split(","))):
        bank, _, secret = entry.partition(":")
        if not bank or not secret:
            raise ValueError("BANK_SECRETS is 'bank:secret,bank:secret'")
        banks[bank] = secret
    if not is_demo(settings):
        demo = dict(entry.split(":", 1) for entry in DEFAULTS["BANK_SECRETS"].split(","))
        for bank, secret in demo.items():
            if banks.get(bank) == secret:
                log.error("BANK_SECRETS holds the public demo secret of %s: ignored in production", bank)
                del banks[bank]
    return banks


def sign(secret, timestamp, nonce, body):
    message = f"{timestamp}\n{nonce}\n".encode() + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _refuse(detail):
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": 'HMAC realm="bank"'})


def verify(headers, body, settings, now_seconds):
    """``(bank, nonce)`` of a correctly signed, fresh request, or a 401 problem."""
    bank = headers.get("X-Bank-Id", "")
    timestamp, nonce = headers.get("X-Bank-Timestamp", ""), headers.get("X-Bank-Nonce", "")
    signature = headers.get(SIGNATURE_HEADER, "")
    secret = configured_banks(settings).get(bank)
    if secret is None:
        raise _refuse(f"X-Bank-Id {bank!r} is not a configured bank")
    if not timestamp.isascii() or not timestamp.isdigit():
        raise _refuse("X-Bank-Timestamp must be the request's time in unix seconds")
    if not NONCE.match(nonce):
        raise _refuse("X-Bank-Nonce must be 16 to 64 characters of A-Z a-z 0-9 _ -")
    if not constant_time.equal(signature.lower(), sign(secret, timestamp, nonce, body)):
        raise _refuse("the bank signature does not match the request")
    max_age = int(settings["BANK_SIGNATURE_MAX_AGE_SECONDS"])
    if abs(now_seconds - int(timestamp)) > max_age:
        raise _refuse(f"the request's timestamp is more than {max_age} s away from now: a stale request is refused")
    return bank, nonce
