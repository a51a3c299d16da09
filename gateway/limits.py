"""Rate limits (OWASP API4, unrestricted resource consumption) and throttling of password
and API-key guessing (API2), in the gateway's process.

- Every ``/api/`` request takes a token from its caller's bucket: a department system's
  API key (by key id, so systems behind one NAT do not share) or else the client's IP.
  ``RATE_LIMIT_PER_MINUTE`` tokens, refilled evenly over a minute; an empty bucket
  answers 429 with ``Retry-After``.
- Failed logins back off per account, not per address: the hall's 165 staff share one NAT
  address, and a few mistyped passwords there must not lock the others out. After
  ``LOGIN_FAILURES_ALLOWED`` failures of one account from one address, and after three
  times that of one account from anywhere (guessing spread over many addresses), each
  further failure doubles the wait before the next try (1 s, 2 s, 4 s, ... at most 15
  minutes); a success from the address clears that account and address's failures, and a
  key's failures are forgotten an hour after its last. While a wait runs, logins answer 429
  without checking the password, so guessing gains nothing. One address guessing many
  accounts is held by a much higher limit of its own: twenty times ``LOGIN_FAILURES_ALLOWED``
  failures per 15 minutes (a token bucket), far above what a hall of mistyping staff reaches.
  An unknown, expired or revoked API key counts as a failure of the address.

Buckets live in one gateway process: with N replicas behind a load balancer a caller gets
up to N times the rate (see docs/decisions/0014 for what production does about it).
The client IP is the peer's address, or with ``PROXY_HOPS=n`` the n-th address from the
right of ``X-Forwarded-For`` (werkzeug's ``ProxyFix``): set it to the number of proxies
in front of the gateway, never more, or clients choose their own IP.
"""

import io
import math
import threading
import time

from flask import current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway.problems import Problem

LOGIN_WINDOW_SECONDS = 15 * 60
ACCOUNT_LOGIN_FACTOR = 3
IP_LOGIN_FACTOR = 20
LONGEST_BACKOFF_SECONDS = 15 * 60
FORGET_FAILURES_SECONDS = 60 * 60
MAX_BUCKETS = 100_000


class TokenBuckets:
    """Buckets of ``capacity`` tokens by key, each refilled at ``capacity / period`` per second.
    A full bucket is the same as none, so full ones are dropped when there are too many."""

    def __init__(self, capacity, period_seconds, clock=time.monotonic):
        self.capacity, self.rate, self.clock = capacity, capacity / period_seconds, clock
        self._buckets = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def _level(self, key, now):
        tokens, at = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, tokens + (now - at) * self.rate)

    def wait_seconds(self, key):
        """0 when ``key`` has a token left, else the whole seconds until it has one."""
        with self._lock:
            level = self._level(key, self.clock())
        return 0 if level >= 1 else math.ceil((1 - level) / self.rate)

    def take(self, key):
        """Take a token: 0 when taken, else the whole seconds until one is there (nothing taken)."""
        with self._lock:
            now = self.clock()
            level = self._level(key, now)
            if level < 1:
                return math.ceil((1 - level) / self.rate)
            if len(self._buckets) >= MAX_BUCKETS:
                self._buckets = {k: v for k, v in self._buckets.items() if self._level(k, now) < self.capacity}
            self._buckets[key] = (level - 1, now)
            return 0


class Backoff:
    """Failures by key: after ``allowed`` of them the n-th further failure makes the key wait
    2**n seconds (at most ``LONGEST_BACKOFF_SECONDS``) from that failure. A key's failures
    are forgotten ``FORGET_FAILURES_SECONDS`` after its last one."""

    def __init__(self, allowed, clock=time.monotonic):
        self.allowed, self.clock = allowed, clock
        self._failures = {}  # key -> (failures, at)
        self._lock = threading.Lock()

    def _failures_of(self, key, now):
        failures, at = self._failures.get(key, (0, now))
        return (failures, at) if now - at < FORGET_FAILURES_SECONDS else (0, now)

    def wait_seconds(self, key):
        """0 when ``key`` may try now, else the whole seconds until it may."""
        with self._lock:
            now = self.clock()
            failures, at = self._failures_of(key, now)
        if failures < self.allowed:
            return 0
        backoff = min(LONGEST_BACKOFF_SECONDS, 2 ** min(failures - self.allowed, 20))  # a bounded power
        return max(0, math.ceil(at + backoff - now))

    def fail(self, key):
        with self._lock:
            now = self.clock()
            if len(self._failures) >= MAX_BUCKETS:
                self._failures = {k: v for k, v in self._failures.items() if now - v[1] < FORGET_FAILURES_SECONDS}
            self._failures[key] = (self._failures_of(key, now)[0] + 1, now)

    def clear(self, key):
        with self._lock:
            self._failures.pop(key, None)


class Limits:
    def __init__(self, requests_per_minute, login_failures_allowed, clock=time.monotonic):
        self.requests = TokenBuckets(requests_per_minute, 60, clock)
        self.pair_failures = Backoff(login_failures_allowed, clock)  # by (account, address)
        self.account_failures = Backoff(login_failures_allowed * ACCOUNT_LOGIN_FACTOR, clock)
        self.ip_failures = TokenBuckets(login_failures_allowed * IP_LOGIN_FACTOR, LOGIN_WINDOW_SECONDS, clock)

    @classmethod
    def from_settings(cls, settings):
        return cls(settings["RATE_LIMIT_PER_MINUTE"], settings["LOGIN_FAILURES_ALLOWED"])


def _limits():
    return current_app.extensions["limits"]


def _too_many(seconds, detail):
    return Problem(429, "Too many requests", detail, headers={"Retry-After": str(max(1, seconds))})


def _caller_key():
    """The API key's id when the request carries one (``hk_<id>_<secret>``), else the client IP."""
    key = request.headers.get("X-API-Key", "")
    if key.startswith("hk_") and key.count("_") >= 2:
        return "key:" + key.split("_", 2)[1][:32]
    return "ip:" + (request.remote_addr or "-")


def _limit_request():
    if request.path.startswith("/api/"):
        wait = _limits().requests.take(_caller_key())
        if wait:
            raise _too_many(wait, "too many requests from this caller; slow down")


def _limit_chunked_body():
    """A body sent in chunks (no Content-Length) is read here to one byte past
    ``MAX_CONTENT_LENGTH`` and refused whole (413) when it is longer: werkzeug itself stops
    reading such a body at the limit and hands over what it read as if it were all of it."""
    if "chunked" not in request.headers.get("Transfer-Encoding", "").lower():
        return
    limit_bytes = current_app.config["MAX_CONTENT_LENGTH"]
    body = request.environ["wsgi.input"].read(limit_bytes + 1)
    if len(body) > limit_bytes:
        raise Problem(413, "Content too large", f"the body is larger than {limit_bytes} bytes")
    request.environ.update({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})


def refuse_while_guessing(username=None):
    """429 while the IP has used up its failed logins, or ``username`` waits after its own."""
    limits, address = _limits(), request.remote_addr
    wait = limits.ip_failures.wait_seconds(address)
    if username:
        wait = max(
            wait, limits.pair_failures.wait_seconds((username, address)), limits.account_failures.wait_seconds(username)
        )
    if wait:
        raise _too_many(wait, "too many failed logins; wait before trying again")


def count_failure(username=None):
    """A failed login (or API key) from this IP, for ``username`` when there is one."""
    limits, address = _limits(), request.remote_addr
    limits.ip_failures.take(address)
    if username:
        limits.pair_failures.fail((username, address))
        limits.account_failures.fail(username)


def count_success(username):
    """``username`` logged in from this IP: its earlier failures from here are forgiven."""
    _limits().pair_failures.clear((username, request.remote_addr))


def limit(app):
    app.extensions["limits"] = Limits.from_settings(app.config)
    if app.config["PROXY_HOPS"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_HOPS"])
    app.before_request(_limit_request)
    app.before_request(_limit_chunked_body)
