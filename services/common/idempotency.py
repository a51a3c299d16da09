"""The platform's one idempotency rule, service side (the gateway half is
``gateway/idempotency.py``; the rule is written out in ``docs/api.md``).

A write request may carry an ``Idempotency-Key``. The gateway scopes the key to the caller
and fingerprints the request (method, path, body); a service method takes both as
``idempotency={"key", "fingerprint"}`` and runs through ``RequestLog.once``:

- the first request with a key reserves it (one insert, unique by key) and runs;
- the same key with another fingerprint: Conflict, nothing runs;
- the same key and fingerprint: the first answer, once it is recorded;
- while the first attempt runs (its *lease*): a short wait for its answer, then
  ``RequestInProgress`` with the seconds after which to send the same request again;
- a first attempt whose lease ran out without an answer stopped half-way (its service was
  killed) or is very slow. Where the effect itself records the answer (approval writes it in
  the step's compare-and-set, intake on the case), ``outcome`` finds it, and where the effect
  cannot have happened it runs again; an effect that cannot tell leaves the outcome unknown,
  which the caller is told (Conflict) instead of risking the effect twice;
- a first attempt that fails (invalid data, a wrong state) frees the key.

Records are kept ``RETENTION`` (real time, not the platform clock), then forgotten by a
sweep the log runs itself at most every ``SWEEP_EVERY``."""

import functools
import inspect
import math
import time
import uuid
from datetime import datetime, timedelta, timezone

import mongoengine
from pymongo.errors import DuplicateKeyError

from services.common.errors import Conflict, HallError, RequestInProgress

COLLECTION = "idempotent_requests"
RETENTION = timedelta(hours=24)
# How long a first attempt counts as running: twice the gateway's RPC timeout.
LEASE = timedelta(seconds=20)
SWEEP_EVERY = timedelta(hours=1)
# A repeat that finds the first attempt running waits this long for its answer before the 409.
WAIT_FOR_FIRST_SECONDS = 2.0
POLL_SECONDS = 0.05


def real_now():
    return datetime.now(timezone.utc)


class RequestLog:
    """The records of idempotent requests in one database (a service's, or the gateway's)."""

    def __init__(self, database, now=real_now):
        self.collection = database[COLLECTION]
        self.now = now
        self._next_sweep = None

    @classmethod
    def of(cls, alias):
        """The log in the database of the mongoengine connection ``alias``."""
        return cls(mongoengine.get_db(alias))

    def once(self, request, effect, outcome=None):
        """``effect()`` once per ``request`` (``{"key", "fingerprint"}``, or None: no key, just
        run it); returns its answer or the first answer. ``outcome()`` answers, for effects that
        record their answer themselves, the first attempt's answer or None when it did not
        take effect."""
        if not request:
            return effect()
        key, fingerprint = request["key"], request["fingerprint"]
        self._sweep(self.now())
        attempt = uuid.uuid4().hex
        waited_until = time.monotonic() + WAIT_FOR_FIRST_SECONDS
        while True:
            now = self.now()
            reserved, first = self._reserve(key, fingerprint, attempt, now)
            if reserved:
                break
            if first is None:
                continue  # the first attempt failed and freed the key meanwhile
            if first["fingerprint"] != fingerprint:
                raise Conflict(
                    "this Idempotency-Key was used for a different request (another body, method or "
                    "path): send a new key for a new request"
                )
            if first.get("answered"):
                return first["answer"]
            known = outcome() if outcome else None
            if known is not None:
                return self.record(key, known)
            lease_until = _aware(first["lease_until"])
            if now < lease_until and time.monotonic() < waited_until:
                time.sleep(POLL_SECONDS)  # a double click: the first answer is usually a moment away
                continue
            if now < lease_until:
                wait = max(1, math.ceil((lease_until - now).total_seconds()))
                raise RequestInProgress(
                    f"a request with this Idempotency-Key is still running: send the same request "
                    f"with the same key again in {wait} s to get its answer",
                    wait,
                )
            if outcome is None:
                raise Conflict(
                    "the first request with this Idempotency-Key stopped before its outcome was recorded "
                    "(a restart): look whether it took effect, and send a new key if it did not"
                )
            if self.collection.update_one(
                {"_id": key, "attempt": first["attempt"], "answered": False},
                {"$set": {"attempt": attempt, "lease_until": now + LEASE}},
            ).modified_count:
                break  # taken over: the first attempt did not take effect
        try:
            answer = effect()
        except HallError:
            self.collection.delete_one({"_id": key, "attempt": attempt, "answered": False})
            known = outcome() if outcome else None  # a slow first attempt took effect meanwhile
            if known is None:
                raise
            return self.record(key, known)
        except Exception:
            self.collection.delete_one({"_id": key, "attempt": attempt, "answered": False})
            raise
        return self.record(key, answer)

    def _reserve(self, key, fingerprint, attempt, now):
        """``(True, None)`` when this attempt reserved ``key``; ``(False, the record holding it)``
        otherwise (``None`` when it was freed meanwhile)."""
        try:
            self.collection.insert_one(
                {
                    "_id": key,
                    "fingerprint": fingerprint,
                    "attempt": attempt,
                    "answered": False,
                    "answer": None,
                    "started_at": now,
                    "lease_until": now + LEASE,
                    "expires_at": now + RETENTION,
                }
            )
            return True, None
        except DuplicateKeyError:
            return False, self.collection.find_one({"_id": key})

    def record(self, key, answer):
        """The answer of the request ``key``; the first one recorded stays."""
        self.collection.update_one({"_id": key, "answered": False}, {"$set": {"answered": True, "answer": answer}})
        return answer

    def answer(self, key):
        """The recorded answer of ``key``, or None."""
        first = self.collection.find_one({"_id": key, "answered": True}, {"answer": 1})
        return first["answer"] if first else None

    def _sweep(self, now):
        if self._next_sweep is not None and now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_EVERY
        self.collection.delete_many({"expires_at": {"$lt": now}})


def _aware(moment):
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def idempotent(method):
    """An RPC method the gateway may call with ``idempotency=…``: run once per key through the
    service's ``requests`` log (``platform_service.IdempotentRequests``). The method's signature, plus that keyword, stays the one
    nameko checks calls against."""

    @functools.wraps(method)
    def run(self, *args, idempotency=None, **kwargs):
        if not idempotency:  # no key: nothing to look up or record
            return method(self, *args, **kwargs)
        return self.requests.once(idempotency, lambda: method(self, *args, **kwargs))

    signature = inspect.signature(method)
    parameters = list(signature.parameters.values())
    at = next((n for n, p in enumerate(parameters) if p.kind is p.VAR_KEYWORD), len(parameters))
    parameters.insert(at, inspect.Parameter("idempotency", inspect.Parameter.KEYWORD_ONLY, default=None))
    run.__signature__ = signature.replace(parameters=parameters)
    return run
