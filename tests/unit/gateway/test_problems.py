"""Every error leaves the gateway as application/problem+json, with one status per cause."""

import pytest
from pymongo import MongoClient

from gateway import create_app
from gateway.api_keys import PREFIX, ApiKeys
from gateway.problems import REMOTE_ERRORS
from gateway.rpc import RemoteError, RpcTimeout, ServiceUnavailable
from services.common.errors import HallError
from stack.ports import free_port

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def remote_error(exc_type, detail="remote detail", errors=None):
    args = [detail] + ([errors] if errors is not None else [])
    return RemoteError(
        "intake",
        {"exc_type": exc_type, "exc_path": f"services.common.errors.{exc_type}", "exc_args": args, "value": detail},
    )


def assert_problem(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert PROBLEM_KEYS <= set(body)
    assert body["status"] == status
    return body


def test_every_error_a_service_raises_on_purpose_has_its_documented_status():
    statuses = {cls.__name__: REMOTE_ERRORS[cls.__name__][0] for cls in HallError.__subclasses__()}

    assert statuses == {"InvalidInput": 422, "NotFound": 404, "Conflict": 409, "Forbidden": 403}


@pytest.mark.parametrize("exc_type", sorted(REMOTE_ERRORS))
def test_remote_error_code_maps_to_its_status_with_detail_and_errors(client, fake_rpc, exc_type):
    status, title = REMOTE_ERRORS[exc_type]
    errors = [{"field": "item_code", "message": "is unknown"}]
    fake_rpc.answer("intake", "get_item", raises=remote_error(exc_type, "item XX-9 is not published", errors))

    body = assert_problem(client.get("/api/v1/items/XX-9"), status)

    assert body["title"] == title
    assert body["detail"] == "item XX-9 is not published"
    assert body["errors"] == errors


def test_remote_error_without_error_list_has_no_errors_key(client, fake_rpc):
    fake_rpc.answer("intake", "get_item", raises=remote_error("NotFound", "no such item"))

    body = assert_problem(client.get("/api/v1/items/XX-9"), 404)

    assert "errors" not in body


def test_unknown_remote_error_is_502_without_leaking_the_remote_message(client, fake_rpc):
    fake_rpc.answer("intake", "get_item", raises=remote_error("KeyError", "secret internals: mongodb://admin:pw@db"))

    response = client.get("/api/v1/items/XX-9")

    body = assert_problem(response, 502)
    assert "secret internals" not in response.get_data(as_text=True)
    assert "mongodb://" not in response.get_data(as_text=True)
    assert "intake" in body["detail"]


def test_service_unavailable_is_503_with_retry_after(client, fake_rpc):
    fake_rpc.answer("intake", "list_items", raises=ServiceUnavailable("intake", "no instance of it is running"))

    response = client.get("/api/v1/items")

    assert_problem(response, 503)
    assert int(response.headers["Retry-After"]) > 0


def test_rpc_timeout_is_an_outage_503_that_says_to_repeat_with_the_same_key(client, fake_rpc):
    fake_rpc.answer("intake", "list_items", raises=RpcTimeout("intake", "list_items", 10))

    response = client.get("/api/v1/items")

    body = assert_problem(response, 503)
    assert int(response.headers["Retry-After"]) > 0
    assert "may still be carried out" in body["detail"] and "same Idempotency-Key" in body["detail"]


def test_a_service_that_is_not_running_is_not_said_to_carry_the_request_out(client, fake_rpc):
    fake_rpc.answer("intake", "list_items", raises=ServiceUnavailable("intake", "no instance of it is running"))

    body = assert_problem(client.get("/api/v1/items"), 503)

    assert "carried out" not in body["detail"]


def test_unknown_route_is_404_problem(client, fake_rpc):
    assert_problem(client.get("/api/v1/no-such-thing"), 404)
    assert fake_rpc.calls == []


def test_wrong_method_is_405_problem(client, fake_rpc):
    assert_problem(client.delete("/api/v1/items"), 405)
    assert fake_rpc.calls == []


def test_wrong_method_answer_lists_the_allowed_methods(client):
    response = client.delete("/api/v1/items")

    assert "GET" in response.headers.get("Allow", "")


def test_unexpected_exception_from_rpc_client_is_500_problem_without_details(client, fake_rpc):
    fake_rpc.answer("intake", "list_items", raises=RuntimeError("boom: internal stack detail"))

    response = client.get("/api/v1/items")

    assert_problem(response, 500)
    assert "internal stack detail" not in response.get_data(as_text=True)


def test_problem_carries_the_request_id_of_the_request(client, fake_rpc):
    fake_rpc.answer("intake", "get_item", raises=remote_error("NotFound", "no such item"))

    response = client.get("/api/v1/items/XX-9", headers={"X-Request-Id": "req-1234"})

    assert response.headers["X-Request-Id"] == "req-1234"
    assert response.get_json()["request_id"] == "req-1234"


def test_the_gateways_own_store_out_of_reach_is_503_not_a_crash(app_config):
    """API keys and staff accounts live in the gateway's database: when it cannot be reached
    the caller is told to retry (503), not that the gateway failed (500)."""
    unreachable = MongoClient(f"mongodb://127.0.0.1:{free_port()}/", connect=False, serverSelectionTimeoutMS=200)
    app_config["API_KEYS"] = ApiKeys(unreachable.hall_gateway.api_keys)
    client = create_app(app_config).test_client()

    body = assert_problem(client.get("/api/v1/tasks", headers={"X-API-Key": f"{PREFIX}k1_secret"}), 503)

    assert "store" in body["detail"]
    unreachable.close()
