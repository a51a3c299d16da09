"""What the benchmarks share about their clients: the platform they start for them, how
those clients sign in and run together, and how their samples are read (nearest rank)."""

import http.client
import json
import math
import threading
import time
from urllib.parse import urlsplit

import requests

DEMO_PASSWORD = "demo"
# The platform the gateway benchmarks start: demo users, and every client calls from
# 127.0.0.1, so the per-address rate limit would measure itself, not the platform.
PLATFORM_ENV = {"APP_ENV": "demo", "DEMO_PASSWORD": DEMO_PASSWORD, "RATE_LIMIT_PER_MINUTE": "1000000"}


def percentile(samples, fraction):
    """Nearest-rank percentile: the smallest sample with ``fraction`` of samples at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def token(url, username):
    """A demo user's bearer-token header."""
    answer = requests.post(
        f"{url}/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}, timeout=10
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def taking_turns(items, work):
    """A client for ``run_threads``: each thread, with a keep-alive session of its own, takes
    the next of ``items`` (one list shared by all) and does ``work(session, item)``, until none
    is left."""
    pending, lock = iter(items), threading.Lock()

    def client(_):
        session = requests.Session()
        while True:
            with lock:
                item = next(pending, _DONE)
            if item is _DONE:
                return
            work(session, item)

    return client


_DONE = object()


def run_threads(count, target):
    """Run ``target(i)`` in ``count`` threads started together; the seconds until all are done."""
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


class Connection:
    """One keep-alive HTTP/1.1 connection to the gateway, as a window's browser holds.

    The standard library's client, not ``requests``: ``requests`` costs about 0.6 ms of
    Python per request, which 53 client threads sharing one interpreter (and its lock) with
    the measuring would add to every latency the benchmark reports."""

    def __init__(self, url, headers=None):
        address = urlsplit(url)
        self._connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        self._headers = {"Content-Type": "application/json", **(headers or {})}

    def post(self, path, body=None):
        """``(status, the decoded JSON answer or None)``."""
        return self._exchange("POST", path, json.dumps(body or {}))

    def get(self, path):
        return self._exchange("GET", path, None)

    def _exchange(self, method, path, body):
        self._connection.request(method, path, body=body, headers=self._headers)
        answer = self._connection.getresponse()
        data = answer.read()
        return answer.status, json.loads(data) if data else None

    def close(self):
        self._connection.close()
