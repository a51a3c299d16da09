"""Liveness, readiness and the gateway's own metrics."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.rpc import RemoteError, RpcTimeout, ServiceUnavailable

SERVICES = ("intake", "approval", "queue", "payment", "monitor")  # the five services of the contract


def all_answer(fake_rpc, except_=None):
    for service in SERVICES:
        fake_rpc.answer(service, "ping", "pong")
    for service, failure in (except_ or {}).items():
        fake_rpc.answer(service, "ping", raises=failure)


def not_answering(response):
    detail = response.get_json()["detail"]
    assert detail.startswith("not answering: ")
    return set(detail.removeprefix("not answering: ").split(", "))


def requests_total(client, method, route, status):
    text = client.get("/metrics").get_data(as_text=True)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "hall_http_requests_total" and sample.labels == {
                "method": method,
                "route": route,
                "status": str(status),
            }:
                return sample.value
    return 0.0


def test_healthz_answers_without_asking_any_service(client, fake_rpc):
    assert client.get("/healthz").status_code == 200
    assert fake_rpc.calls == []


def test_ready_when_every_service_answers_its_ping(client, fake_rpc):
    all_answer(fake_rpc)

    response = client.get("/readyz")

    assert response.status_code == 200
    assert sorted(c.service for c in fake_rpc.calls) == sorted(SERVICES)
    assert all(c.method == "ping" and c.timeout for c in fake_rpc.calls)


@pytest.mark.parametrize(
    "failures",
    [
        {"queue": ServiceUnavailable("queue", "no instance of it is running")},
        {"payment": RpcTimeout("payment", "ping", 2.0)},
        {
            "intake": ServiceUnavailable("intake", "cannot reach the broker"),
            "monitor": RpcTimeout("monitor", "ping", 2.0),
        },
    ],
    ids=["one-unavailable", "one-timeout", "two-down"],
)
def test_not_ready_names_exactly_the_services_that_do_not_answer(client, fake_rpc, failures):
    all_answer(fake_rpc, except_=failures)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert not_answering(response) == set(failures)


def test_a_ping_answered_with_an_error_or_a_wrong_word_is_not_ready(client, fake_rpc):
    all_answer(fake_rpc, except_={"approval": RemoteError("approval", {"exc_type": "RuntimeError"})})
    fake_rpc.answer("queue", "ping", "pang")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert not_answering(response) == {"approval", "queue"}


def test_not_ready_while_the_store_does_not_answer(app, client, fake_rpc):
    all_answer(fake_rpc)
    app.extensions["store_probe"] = lambda: False

    response = client.get("/readyz")

    assert response.status_code == 503
    assert not_answering(response) == {"store"}


@pytest.mark.parametrize("exc_type", ["ServerSelectionTimeoutError", "AutoReconnect", "NotPrimaryError"])
def test_a_service_that_cannot_reach_its_store_is_answered_503_with_retry_after(client, fake_rpc, exc_type):
    fake_rpc.answer("intake", "get_item", raises=RemoteError("intake", {"exc_type": exc_type, "value": "refused"}))

    response = client.get("/api/v1/items/MR-STORE-DOWN")

    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"]
    assert "store" in response.get_json()["detail"]


def test_metrics_count_requests_by_route_template_not_raw_path(client, fake_rpc):
    fake_rpc.answer("intake", "get_item", {"code": "MR-METRICS-PROBE"})
    route = "/api/v1/items/<item_code>"
    before = requests_total(client, "GET", route, 200)

    assert client.get("/api/v1/items/MR-METRICS-PROBE").status_code == 200

    assert requests_total(client, "GET", route, 200) == before + 1
    assert "MR-METRICS-PROBE" not in client.get("/metrics").get_data(as_text=True)


def test_metrics_count_unknown_paths_under_one_label(client):
    before = requests_total(client, "GET", "unmatched", 404)

    client.get("/no/such/path/UNMATCHED-PROBE")

    assert requests_total(client, "GET", "unmatched", 404) == before + 1
    assert "UNMATCHED-PROBE" not in client.get("/metrics").get_data(as_text=True)
