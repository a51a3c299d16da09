"""Request bodies are checked before anything is sent to a service."""

import json
from dataclasses import dataclass

import pytest

TASK_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
RECEIPT = {"case_no": "20250102000001", "query_code": "K7Q2M9", "status": "submitted", "item_code": "MR-001"}
APPLICATION = {
    "item_code": "MR-001",
    "applicant": {"kind": "person", "name": "张三"},
    "materials": ["application_form"],
    "form": {"shop_name": "张记小吃"},
}


@dataclass
class Endpoint:
    path: str
    valid: dict
    required: str
    long_field: str | None  # a string field with a maxLength; the task body has none, its
    # size is bounded by test_task_data_with_too_many_fields_is_422
    long_string: dict | None
    caller: str | None = None  # demo user whose token the endpoint needs

    def __str__(self):
        return self.path


ENDPOINTS = [
    Endpoint(
        "/api/v1/auth/token",
        {"username": "clerk", "password": "demo"},
        "password",
        "username",
        {"username": "c" * 65, "password": "demo"},
    ),
    Endpoint("/api/v1/cases", APPLICATION, "item_code", "item_code", {**APPLICATION, "item_code": "M" * 33}),
    Endpoint(
        f"/api/v1/tasks/{TASK_ID}/complete", {"data": {"decision": "approved"}}, "data", None, None, caller="reviewer"
    ),
    Endpoint(
        "/api/v1/processes",
        {"xml": "<definitions/>", "filename": "p.bpmn"},
        "xml",
        "filename",
        {"xml": "<definitions/>", "filename": "p" * 124 + ".bpmn"},
        caller="designer",
    ),
]


@pytest.fixture(params=ENDPOINTS, ids=str)
def endpoint(request):
    return request.param


@pytest.fixture
def post(client, bearer, endpoint):
    """POST to the endpoint under test as its caller; keyword arguments go to the test client."""
    auth = bearer(endpoint.caller) if endpoint.caller else {}

    def send(**kwargs):
        return client.post(endpoint.path, headers={**auth, **kwargs.pop("headers", {})}, **kwargs)

    return send


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def fields(body):
    return [e["field"] for e in body["errors"]]


def test_malformed_json_is_400(post, fake_rpc):
    problem(post(data='{"item_code": ', content_type="application/json"), 400)
    assert fake_rpc.calls == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_non_json_content_type_is_415(post, fake_rpc, endpoint, content_type):
    problem(post(data=json.dumps(endpoint.valid), content_type=content_type), 415)
    assert fake_rpc.calls == []


def test_missing_required_field_is_422_naming_it(post, fake_rpc, endpoint):
    body = {k: v for k, v in endpoint.valid.items() if k != endpoint.required}

    assert endpoint.required in fields(problem(post(json=body), 422))
    assert fake_rpc.calls == []


def test_unknown_field_is_422(post, fake_rpc, endpoint):
    errors = problem(post(json={**endpoint.valid, "sneaky_extra": 1}), 422)["errors"]

    assert any("sneaky_extra" in e["message"] for e in errors)
    assert fake_rpc.calls == []


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.long_field], ids=str)
def test_over_long_string_is_422_naming_it(post, fake_rpc, endpoint):
    assert fields(problem(post(json=endpoint.long_string), 422)) == [endpoint.long_field]
    assert fake_rpc.calls == []


def test_json_that_is_not_an_object_is_422(post, fake_rpc):
    problem(post(json=["a", "list"]), 422)
    assert fake_rpc.calls == []


def test_every_fault_of_a_body_is_listed(client, fake_rpc):
    body = {"applicant": {"kind": "robot", "name": ""}, "materials": "all of them"}

    errors = fields(problem(client.post("/api/v1/cases", json=body), 422))

    assert {"item_code", "applicant.kind", "applicant.name", "materials"} <= set(errors)
    assert fake_rpc.calls == []


def test_missing_nested_field_is_named_with_its_path(client, fake_rpc):
    body = {**APPLICATION, "applicant": {"kind": "company"}}

    assert fields(problem(client.post("/api/v1/cases", json=body), 422)) == ["applicant.name"]
    assert fake_rpc.calls == []


@pytest.mark.parametrize("number", [2**63, -(10**15), 1e300])
def test_a_form_number_beyond_fifteen_digits_is_422_naming_it(client, fake_rpc, number):
    body = {**APPLICATION, "form": {"registered_capital": number}}

    assert fields(problem(client.post("/api/v1/cases", json=body), 422)) == ["form.registered_capital"]
    assert fake_rpc.calls == []


def test_task_data_with_too_many_fields_is_422(client, fake_rpc, bearer):
    data = {f"f{i}": "x" for i in range(51)}

    response = client.post(f"/api/v1/tasks/{TASK_ID}/complete", json={"data": data}, headers=bearer("clerk"))

    problem(response, 422)
    assert fake_rpc.calls == []


@pytest.mark.parametrize("depth", [33, 100_000])
def test_body_nested_beyond_the_limit_is_400_before_it_is_parsed(post, fake_rpc, depth):
    body = problem(post(data="[" * depth + "]" * depth, content_type="application/json"), 400)

    assert "32 levels" in body["detail"]
    assert fake_rpc.calls == []


def test_body_nested_to_the_limit_is_parsed(post):
    problem(post(data="[" * 32 + "]" * 32, content_type="application/json"), 422)  # parsed: not an object


def test_brackets_inside_strings_do_not_count_as_nesting(client, fake_rpc):
    fake_rpc.answer("intake", "submit_case", {**RECEIPT, "created": True})
    form = {"shop_name": '"[[[[' * 40 + "\\" + "{" * 40}

    assert client.post("/api/v1/cases", json={**APPLICATION, "form": form}).status_code == 201


def test_body_over_the_size_limit_is_413(client, fake_rpc):
    huge = {**APPLICATION, "form": {"essay": "x" * (5 * 1024 * 1024)}}

    problem(client.post("/api/v1/cases", json=huge), 413)
    assert fake_rpc.calls == []


@pytest.mark.parametrize("key", ["", "short", "1234567", "k" * 129])
def test_idempotency_key_outside_8_to_128_characters_is_400(client, fake_rpc, key):
    response = client.post("/api/v1/cases", json=APPLICATION, headers={"Idempotency-Key": key})

    problem(response, 400)
    assert fake_rpc.calls == []


def test_valid_application_goes_to_intake_as_sent_and_answers_201(client, fake_rpc):
    fake_rpc.answer("intake", "submit_case", RECEIPT)

    response = client.post("/api/v1/cases", json=APPLICATION, headers={"Idempotency-Key": "retry-key-0001"})

    assert response.status_code == 201
    assert response.headers["Location"] == f"/api/v1/cases/{RECEIPT['case_no']}"
    assert response.get_json() == RECEIPT
    [call] = fake_rpc.calls
    assert (call.service, call.method, call.args) == ("intake", "submit_case", (APPLICATION,))
    assert call.kwargs["idempotency"]["key"] == "anonymous:retry-key-0001"


def test_application_without_idempotency_key_sends_none(client, fake_rpc):
    fake_rpc.answer("intake", "submit_case", RECEIPT)

    assert client.post("/api/v1/cases", json=APPLICATION).status_code == 201
    assert fake_rpc.calls[0].kwargs == {"idempotency": None}


def test_application_cannot_smuggle_a_principal(client, fake_rpc):
    body = {**APPLICATION, "principal": {"username": "admin", "roles": ["admin"]}}

    problem(client.post("/api/v1/cases", json=body), 422)
    assert fake_rpc.calls == []


def test_the_fingerprint_ignores_key_order_and_tells_another_body_apart(client, fake_rpc):
    fake_rpc.answer("intake", "submit_case", RECEIPT)
    reordered = dict(reversed(list(APPLICATION.items())))
    other = {**APPLICATION, "form": {"shop_name": "另一家店"}}

    for body in (APPLICATION, reordered, other):
        client.post("/api/v1/cases", json=body, headers={"Idempotency-Key": "retry-key-0001"})

    first, same, different = [c.kwargs["idempotency"]["fingerprint"] for c in fake_rpc.calls]
    assert first == same != different


def test_public_case_without_query_code_is_400(client, fake_rpc):
    problem(client.get(f"/api/v1/public/cases/{RECEIPT['case_no']}"), 400)
    assert fake_rpc.calls == []


def test_public_case_is_asked_for_with_number_and_query_code(client, fake_rpc):
    fake_rpc.answer("intake", "get_public_case", {"case_no": RECEIPT["case_no"], "status": "submitted"})

    response = client.get(f"/api/v1/public/cases/{RECEIPT['case_no']}?query_code=K7Q2M9")

    assert response.status_code == 200
    [call] = fake_rpc.calls
    assert (call.method, call.args) == ("get_public_case", (RECEIPT["case_no"], "K7Q2M9"))


def test_completed_task_data_goes_to_approval_with_the_principal(client, fake_rpc, bearer):
    fake_rpc.answer("approval", "complete_task", {"case_no": RECEIPT["case_no"], "status": "running"})

    response = client.post(
        f"/api/v1/tasks/{TASK_ID}/complete", json={"data": {"decision": "approved"}}, headers=bearer("chief")
    )

    assert response.status_code == 200
    [call] = fake_rpc.calls
    assert call.args == (
        TASK_ID,
        {"decision": "approved"},
        {"username": "chief", "roles": ["chief"], "department": "market_regulation"},
    )
