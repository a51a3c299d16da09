"""Rate limits per API key and per address (429 with Retry-After), login throttling against
password guessing, and the size limits (413 lives in test_validation, an RPC timeout's 503 in test_problems)."""

import pytest

from gateway import create_app
from gateway.limits import (
    ACCOUNT_LOGIN_FACTOR,
    FORGET_FAILURES_SECONDS,
    IP_LOGIN_FACTOR,
    LONGEST_BACKOFF_SECONDS,
    Backoff,
    Limits,
    TokenBuckets,
)


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def rate_limited(response):
    assert response.status_code == 429, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) >= 1
    return response.get_json()


@pytest.fixture
def limited_app(app_config):
    return create_app(dict(app_config, RATE_LIMIT_PER_MINUTE=3, LOGIN_FAILURES_ALLOWED=2))


@pytest.fixture
def limited(limited_app):
    return limited_app.test_client()


def test_a_bucket_refills_evenly_over_its_period():
    clock = FakeClock()
    buckets = TokenBuckets(2, 60, clock)

    assert [buckets.take("ip:10.0.0.1") for _ in range(3)] == [0, 0, 30]
    clock.now += 29
    assert buckets.take("ip:10.0.0.1") == 1
    clock.now += 1
    assert buckets.take("ip:10.0.0.1") == 0
    assert buckets.take("ip:10.0.0.2") == 0  # another caller has its own bucket


def test_an_address_over_its_rate_gets_429_with_retry_after_and_other_addresses_do_not(limited, fake_rpc):
    fake_rpc.answer("intake", "list_items", {"items": []})
    for _ in range(3):
        assert limited.get("/api/v1/items").status_code == 200

    problem = rate_limited(limited.get("/api/v1/items"))

    assert problem["status"] == 429 and problem["request_id"]
    assert limited.get("/api/v1/items", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert len(fake_rpc.calls) == 4  # the refused request never reached a service


def test_probes_metrics_and_the_document_are_not_rate_limited(limited, fake_rpc):
    for _ in range(5):
        assert limited.get("/healthz").status_code == 200
        assert limited.get("/openapi.json").status_code == 200


def test_each_api_key_has_its_own_bucket_whatever_the_address(limited, fake_rpc):
    fake_rpc.answer("intake", "list_items", {"items": []})
    for _ in range(3):
        limited.get("/api/v1/items", headers={"X-API-Key": "hk_aaaa_secret"})

    rate_limited(
        limited.get("/api/v1/items", headers={"X-API-Key": "hk_aaaa_secret"}, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    )
    assert limited.get("/api/v1/items", headers={"X-API-Key": "hk_bbbb_secret"}).status_code == 200


def test_the_client_address_comes_from_x_forwarded_for_only_behind_a_declared_proxy(app_config, fake_rpc):
    fake_rpc.answer("intake", "list_items", {"items": []})
    direct = create_app(dict(app_config, RATE_LIMIT_PER_MINUTE=1)).test_client()
    proxied = create_app(dict(app_config, RATE_LIMIT_PER_MINUTE=1, PROXY_HOPS=1)).test_client()

    direct.get("/api/v1/items", headers={"X-Forwarded-For": "10.0.0.1"})
    rate_limited(direct.get("/api/v1/items", headers={"X-Forwarded-For": "10.0.0.2"}))  # a client cannot choose
    proxied.get("/api/v1/items", headers={"X-Forwarded-For": "10.0.0.1"})
    assert proxied.get("/api/v1/items", headers={"X-Forwarded-For": "10.0.0.2"}).status_code == 200


def login(client, username, password, address="127.0.0.1"):
    return client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def login_app(app_config, allowed, clock=None):
    """A gateway allowing ``allowed`` failed logins, its limits on ``clock`` when given."""
    app = create_app(dict(app_config, LOGIN_FAILURES_ALLOWED=allowed))
    if clock:
        app.extensions["limits"] = Limits(600, allowed, clock)
    return app.test_client()


def test_after_the_allowed_failures_even_the_right_password_waits(app_config):
    client = login_app(app_config, 2)
    assert login(client, "clerk", "guess-1").status_code == 401
    assert login(client, "clerk", "guess-2").status_code == 401

    problem = rate_limited(login(client, "clerk", "demo"))

    assert "failed logins" in problem["detail"]
    assert login(client, "cashier", "demo").status_code == 200  # another user from that address still may
    assert login(client, "clerk", "demo", "10.0.0.7").status_code == 200  # and the user from elsewhere


def test_staff_behind_the_halls_one_address_are_not_locked_out_by_each_others_mistakes(app_config):
    client = login_app(app_config, 2)
    for n in range(15):  # fifteen staff mistype their passwords twice each, all through one NAT
        assert [login(client, f"staff{n}", "typo").status_code for _ in range(2)] == [401, 401]

    assert login(client, "clerk", "demo").status_code == 200


def test_each_further_failure_doubles_the_wait(app_config):
    clock = FakeClock()
    client = login_app(app_config, 2, clock)
    waits = []
    for _ in range(2):
        login(client, "clerk", "guess")
    for _ in range(4):
        waiting = login(client, "clerk", "demo")  # the right password waits as well
        rate_limited(waiting)
        waits.append(int(waiting.headers["Retry-After"]))
        clock.now += waits[-1]
        assert login(client, "clerk", "guess").status_code == 401

    assert waits == [1, 2, 4, 8]


def test_a_backoff_grows_to_fifteen_minutes_and_is_forgotten_an_hour_after_the_last_failure():
    clock = FakeClock()
    backoff = Backoff(1, clock)
    for _ in range(20):
        backoff.fail("clerk")

    assert backoff.wait_seconds("clerk") == LONGEST_BACKOFF_SECONDS
    clock.now += LONGEST_BACKOFF_SECONDS
    assert backoff.wait_seconds("clerk") == 0
    backoff.fail("clerk")
    assert backoff.wait_seconds("clerk") == LONGEST_BACKOFF_SECONDS
    clock.now += FORGET_FAILURES_SECONDS
    backoff.fail("clerk")
    assert backoff.wait_seconds("clerk") == 1  # the one failure allowed, then 2**0 s


def test_guessing_one_account_from_many_addresses_makes_it_wait_everywhere(app_config):
    client = login_app(app_config, 2)
    for n in range(2 * ACCOUNT_LOGIN_FACTOR):  # one failure from each address: none waits on its own
        assert login(client, "clerk", "guess", f"10.0.1.{n}").status_code == 401

    rate_limited(login(client, "clerk", "demo", "10.0.2.1"))
    assert login(client, "cashier", "demo", "10.0.2.1").status_code == 200


def test_a_success_forgives_the_failures_before_it(app_config):
    client = login_app(app_config, 2)
    assert login(client, "clerk", "typo").status_code == 401
    assert login(client, "clerk", "demo").status_code == 200
    assert login(client, "clerk", "typo").status_code == 401

    assert login(client, "clerk", "demo").status_code == 200


def test_one_address_guessing_many_usernames_is_throttled(app_config):
    client = login_app(app_config, 1)
    for n in range(IP_LOGIN_FACTOR):  # the address may fail twenty times as often as an account
        assert login(client, f"user{n}", "guess").status_code == 401

    rate_limited(login(client, "user99", "guess"))
    rate_limited(login(client, "clerk", "demo"))
    assert login(client, "clerk", "demo", "10.0.0.8").status_code == 200


def test_successful_logins_do_not_count_as_failures(app_config):
    client = login_app(app_config, 1)

    assert all(login(client, "clerk", "demo").status_code == 200 for _ in range(5))


def test_guessing_api_keys_is_throttled_like_passwords(app_config, fake_rpc):
    client = login_app(app_config, 1)
    for n in range(IP_LOGIN_FACTOR):
        answer = client.get("/api/v1/tasks", headers={"X-API-Key": f"hk_{n:04d}_guess"})
        assert answer.status_code == 401

    rate_limited(client.get("/api/v1/tasks", headers={"X-API-Key": "hk_9999_guess"}))
    assert fake_rpc.calls == []


def test_every_api_operation_documents_429_with_retry_after(client):
    spec = client.get("/openapi.json").get_json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/api/"):
                assert "Retry-After" in operation["responses"]["429"]["headers"], f"{method} {path}"
