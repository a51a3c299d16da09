"""Rate limits (OWASP API4, unrestricted resource consumption) and throttling of password
and API-key guessing (API2), as token buckets in the gateway's process.

- Every ``/api/`` request takes a token from its caller's bucket: a department system's
  API key (by key id, so systems behind one NAT do not share) or else the client's IP.
  ``RATE_LIMIT_PER_MINUTE`` tokens, refilled evenly over a minute; an empty bucket
  answers 429 with ``Retry-After``.
- A failed login takes a token from the username's bucket and from the IP's bucket
  (five times as large); while either is empty, logins from there answer 429 without
  checking the password. ``LOGIN_FAILURES_ALLOWED`` failures, refilled over 15 minutes.
  An unknown, expired or revoked API key counts as a failure of the IP.

Buckets live in one gateway process: with N replicas behind a load balancer a caller gets
up to N times the rate (see docs/architecture.md for what production does about it).
The client IP is the peer's address, or with ``PROXY_HOPS=n`` the n-th address from the
right of ``X-Forwarded-For`` (werkzeug's ``ProxyFix``): set it to the number of proxies
in front of the gateway, never more, or clients choose their own IP.
"""
import math
import threading
import time

from flask import current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway.problems import Problem

LOGIN_WINDOW_SECONDS = 15 * 60
IP_LOGIN_FACTOR = 5
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


class Limits:
    def __init__(self, requests_per_minute, login_failures_allowed, clock=time.monotonic):
        self.requests = TokenBuckets(requests_per_minute, 60, clock)
        self.login_failures = TokenBuckets(login_failures_allowed, LOGIN_WINDOW_SECONDS, clock)
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


def refuse_while_guessing(username=None):
    """429 while the IP (or ``username``) has used up its failed logins."""
    wait = max(_limits().ip_failures.wait_seconds(request.remote_addr),
               _limits().login_failures.wait_seconds(username) if username else 0)
    if wait:
        raise _too_many(wait, "too many failed logins; wait before trying again")


def count_failure(username=None):
    """A failed login (or API key) from this IP, for ``username`` when there is one."""
    _limits().ip_failures.take(request.remote_addr)
    if username:
        _limits().login_failures.take(username)


def limit(app):
    app.extensions["limits"] = Limits.from_settings(app.config)
    if app.config["PROXY_HOPS"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_HOPS"])
    app.before_request(_limit_request)
