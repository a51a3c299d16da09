"""The simulator's only way into the platform: HTTP to the gateway, as the applicants, the
staff (bearer tokens of their accounts) and the bank (signed confirmations) would call it.
One ``requests`` session per thread (a session is not thread-safe)."""

import hashlib
import hmac
import json
import secrets
import threading
import time

import requests

DEMO_BANK = ("hall-bank", "demo-only-bank-secret-never-use-in-production")


class PlatformError(RuntimeError):
    """An answer the simulation did not expect: the method, path, status and problem detail."""


class Gateway:
    def __init__(self, url, passwords, bank=DEMO_BANK, timeout=90):
        self.url = url.rstrip("/")
        self.passwords = passwords  # username → password (a default under None)
        self.bank = bank
        self.timeout = timeout
        self._local = threading.local()
        self._tokens = {}
        self._lock = threading.Lock()
        self.calls = 0

    @property
    def session(self):
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def token(self, username):
        with self._lock:
            known = self._tokens.get(username)
        if known:
            return known
        password = self.passwords.get(username, self.passwords.get(None))
        answer = self.session.post(
            f"{self.url}/api/v1/auth/token", json={"username": username, "password": password}, timeout=self.timeout
        )
        self._check(answer, "POST", "/api/v1/auth/token", (200,))
        with self._lock:
            self._tokens[username] = answer.json()["access_token"]
        return self._tokens[username]

    def call(self, method, path, as_user=None, expect=(200, 201), **kwargs):
        """The answer's JSON (None for 204); a status outside ``expect`` raises ``PlatformError``."""
        headers = kwargs.pop("headers", {})
        if as_user:
            headers["Authorization"] = f"Bearer {self.token(as_user)}"
        for attempt in range(3):
            try:
                answer = self.session.request(
                    method, f"{self.url}{path}", headers=headers, timeout=self.timeout, **kwargs
                )
                break
            except requests.ConnectionError:  # a keep-alive connection the gateway closed meanwhile
                if attempt == 2:
                    raise
                self._local.session = requests.Session()
        with self._lock:
            self.calls += 1
        self._check(answer, method, path, expect)
        return answer.json() if answer.content and answer.status_code != 204 else None

    def get(self, path, as_user=None, **kwargs):
        return self.call("GET", path, as_user, **kwargs)

    def post(self, path, as_user=None, **kwargs):
        return self.call("POST", path, as_user, **kwargs)

    def bank_confirmation(self, body):
        """A payment confirmed by the bank, signed as ``gateway/bank_signatures.py`` expects."""
        raw = json.dumps(body).encode()
        stamp, nonce = str(int(time.time())), secrets.token_hex(12)
        bank, secret = self.bank
        signature = hmac.new(secret.encode(), f"{stamp}\n{nonce}\n".encode() + raw, hashlib.sha256).hexdigest()
        return self.post(
            "/api/v1/payments/bank-confirmations",
            data=raw,
            headers={
                "Content-Type": "application/json",
                "X-Bank-Id": bank,
                "X-Bank-Timestamp": stamp,
                "X-Bank-Nonce": nonce,
                "X-Bank-Signature": signature,
            },
        )

    @staticmethod
    def _check(answer, method, path, expect):
        if answer.status_code not in expect:
            try:
                detail = answer.json().get("detail")
            except ValueError:
                detail = answer.text[:300]
            raise PlatformError(f"{method} {path}: {answer.status_code} {detail}")
