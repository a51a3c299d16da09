"""The platform's one idempotency rule, gateway side: what a write request's
``Idempotency-Key`` becomes before it goes to a service (``services.common.idempotency``
keeps the records; ``docs/api.md`` states the rule).

The key is scoped to the caller: a staff user or an API key (``caller:<username>``; an API
key's principal is ``api-key:<id>``), and one shared scope for anonymous applicants. The
anonymous scope is safe because the first answer is only ever given for the *same request*:
the fingerprint covers method, path and the whole body, so a replay needs the key and every
word of the application it answers (name, ID number, form), and a guessed key with another
body learns nothing but a 409.

The gateway's own writes (staff accounts, API keys: no service involved) go through the same
``RequestLog``, kept in the gateway's database beside them (``once``)."""

import hashlib
import hmac
import json

from flask import current_app, g, request
from pymongo import MongoClient

from gateway.problems import Problem
from services.common.idempotency import RequestLog

HEADER = "Idempotency-Key"
WRITE_METHODS = ("post", "put", "patch", "delete")
# POSTs that change nothing: a token is issued afresh, a diagram checked without storing it.
NOT_WRITES = {
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/processes/validate"),
    ("post", "/api/v1/processes/{key}/migrations/dry-run"),
}
KEY_SCHEMA = {"type": "string", "minLength": 8, "maxLength": 128, "pattern": r"^[\x21-\x7e]+$"}
KEY_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": KEY_SCHEMA,
    "description": "Makes the request safe to send again (8–128 printable ASCII characters, scoped to the caller; "
    "see docs/api.md). The same key with the same request returns the first answer (status and "
    "body); with another body, method or path a 409. While the first is still running, or its "
    "service restarted during it, a 409 with `Retry-After` says when to send it again with the same "
    "key. Keys are remembered 24 hours; a request that failed (4xx) does not use its key up.",
}


def caller_scope():
    """Who the key belongs to: the authenticated caller, or the anonymous applicants' scope."""
    caller = getattr(g, "caller", None)
    return f"caller:{caller['username']}" if caller else "anonymous"


def fingerprint(method, path, body):
    """The request as the rule compares it: method, path and the JSON body in canonical form
    (key order and spacing do not make another request). Keyed with ``TOKEN_SECRET``, so the
    records tell nothing of a body (an ID number, a new password) to whoever reads the store."""
    canonical = json.dumps([method, path, body], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(
        current_app.config["TOKEN_SECRET"].encode("utf-8"), canonical.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def idempotency(body=None, scope=None):
    """``{"key", "fingerprint"}`` for the service (its ``idempotency=`` argument), or None when
    the request has no key. ``body`` is the request's parsed JSON body (None without one);
    ``scope`` names a caller the gateway authenticated otherwise (a bank's signature)."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not (8 <= len(key) <= 128 and key.isascii() and key.isprintable() and " " not in key):
        raise Problem(400, "Bad request", f"{HEADER} must be 8 to 128 printable ASCII characters without spaces")
    return {"key": f"{scope or caller_scope()}:{key}", "fingerprint": fingerprint(request.method, request.path, body)}


def request_log(settings):
    """The gateway's own ``RequestLog``, in its database (``<MONGO_DB_PREFIX>_gateway``)."""
    client = MongoClient(settings["MONGO_URI"], connect=False, serverSelectionTimeoutMS=3000)
    return RequestLog(client[f"{settings['MONGO_DB_PREFIX']}_gateway"])


def once(request_, effect):
    """A write the gateway makes itself, once per ``request_`` (``idempotency(…)``, None without
    a key): ``effect()`` answers ``(body, status)``; a repeat gets the first one. A refusal
    (``Problem``) frees the key, as a service's 4xx does."""
    answer = current_app.extensions["requests"].once(request_, lambda: dict(zip(("body", "status"), effect())))
    return answer["body"], answer["status"]
