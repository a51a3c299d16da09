"""The whole platform, started once for the end-to-end tests exactly as `make up` starts
it (broker, store, five services, gunicorn gateway), on free ports with throw-away data."""

import pytest
import requests

from stack.platform import Platform


@pytest.fixture(scope="session")
def platform(tmp_path_factory):
    # Every story calls from 127.0.0.1: the rate limit (tests/unit/gateway/test_limits.py) is lifted.
    running = Platform(
        tmp_path_factory.mktemp("platform"),
        env={"APP_ENV": "demo", "DEMO_PASSWORD": "demo", "RATE_LIMIT_PER_MINUTE": "100000"},
    )
    running.start()
    yield running
    running.stop()


class Gateway:
    """A thin HTTP client for the tests: the gateway's URL and tokens of the demo users."""

    def __init__(self, url):
        self.url = url
        self.session = requests.Session()
        self._tokens = {}

    def token(self, username):
        if username not in self._tokens:
            answer = self.session.post(
                f"{self.url}/api/v1/auth/token", json={"username": username, "password": "demo"}, timeout=10
            )
            answer.raise_for_status()
            self._tokens[username] = answer.json()["access_token"]
        return self._tokens[username]

    def request(self, method, path, as_user=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if as_user:
            headers["Authorization"] = f"Bearer {self.token(as_user)}"
        return self.session.request(method, f"{self.url}{path}", headers=headers, timeout=15, **kwargs)

    def get(self, path, as_user=None, **kwargs):
        return self.request("GET", path, as_user, **kwargs)

    def post(self, path, as_user=None, **kwargs):
        return self.request("POST", path, as_user, **kwargs)


@pytest.fixture(scope="session")
def gateway(platform):
    return Gateway(platform.gateway_url)
