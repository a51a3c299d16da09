"""Stories of the hall, told through the gateway with the whole platform running."""

import uuid

import pytest

from tests.waiting import eventually

APPLICANT = {"kind": "person", "name": "李四", "id_number": "11010519491231002X"}
APPLICATION = {"item_code": "MR-001", "applicant": APPLICANT, "materials": ["application_form", "id_card"]}
PROBLEM = "application/problem+json"


def task_of(gateway, user, case_no):
    tasks = gateway.get("/api/v1/tasks", as_user=user).json()["tasks"]
    return next((t for t in tasks if t["case_no"] == case_no), None)


def apply(gateway, application=APPLICATION, **kwargs):
    answer = gateway.post("/api/v1/cases", json=application, **kwargs)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_the_platform_is_ready_and_describes_itself(gateway):
    assert gateway.get("/healthz").status_code == 200
    ready = gateway.get("/readyz")
    assert ready.status_code == 200
    assert set(ready.json()["services"]) == {"intake", "approval", "queue", "payment", "monitor"}
    assert "/api/v1/cases" in gateway.get("/openapi.json").json()["paths"]
    assert "hall_http_requests_total" in gateway.get("/metrics").text


def test_every_service_serves_its_own_metrics(platform, gateway):
    import requests

    gateway.get("/api/v1/items")
    for name, port in platform.metrics_ports.items():
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert f'hall_entrypoint_calls_total{{method="ping",outcome="ok",service="{name}"}}' in text


def test_an_immediate_item_is_accepted_and_decided_in_one_visit(gateway):
    receipt = apply(gateway)
    case_no, query_code = receipt["case_no"], receipt["query_code"]

    accept = eventually(lambda: task_of(gateway, "clerk", case_no), "the intake task")
    assert accept["name"] == "受理 Accept"
    done = gateway.post(
        f"/api/v1/tasks/{accept['id']}/complete", as_user="clerk", json={"data": {"intake_decision": "accept"}}
    )
    assert done.status_code == 200, done.text

    decide = eventually(lambda: task_of(gateway, "chief", case_no), "the chief representative's task")
    assert task_of(gateway, "tax_chief", case_no) is None
    done = gateway.post(
        f"/api/v1/tasks/{decide['id']}/complete",
        as_user="chief",
        json={"data": {"decision": "approved", "opinion": "材料齐全，同意"}},
    )
    assert done.json()["case_status"] == "completed"

    def decided():
        view = gateway.get(f"/api/v1/public/cases/{case_no}", params={"query_code": query_code}).json()
        return view if view["status"] == "completed" else None

    view = eventually(decided, "the public view to show the decision")
    assert view["outcome"] == "approved"
    assert "applicant" not in view and APPLICANT["id_number"] not in str(view)


def test_the_public_view_shows_the_current_step(gateway):
    receipt = apply(gateway)
    path = f"/api/v1/public/cases/{receipt['case_no']}"
    view = eventually(
        lambda: (
            (v := gateway.get(path, params={"query_code": receipt["query_code"]}).json()) and v["current_step"] and v
        ),
        "the first step",
    )
    assert (view["status"], view["current_step"]) == ("submitted", "受理 Accept")


def test_a_wrong_query_code_looks_exactly_like_an_unknown_case(gateway):
    receipt = apply(gateway)
    wrong = gateway.get(f"/api/v1/public/cases/{receipt['case_no']}", params={"query_code": "WRONG234"})
    unknown = gateway.get("/api/v1/public/cases/19990101000001", params={"query_code": receipt["query_code"]})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.headers["Content-Type"] == unknown.headers["Content-Type"] == PROBLEM
    assert wrong.json()["title"] == unknown.json()["title"]


def test_a_retried_submission_with_the_same_key_returns_the_first_answer_and_another_body_is_refused(gateway):
    key = f"kiosk-{uuid.uuid4()}"
    first = apply(gateway, headers={"Idempotency-Key": key})
    again = gateway.post("/api/v1/cases", json=APPLICATION, headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.json() == first
    other = {**APPLICATION, "applicant": {**APPLICANT, "name": "王五"}}
    refused = gateway.post("/api/v1/cases", json=other, headers={"Idempotency-Key": key})
    assert refused.status_code == 409 and refused.headers["content-type"] == "application/problem+json", refused.text
    assert first["query_code"] not in refused.text and "different request" in refused.json()["detail"]


def test_a_task_completed_twice_answers_conflict(gateway):
    receipt = apply(gateway)
    accept = eventually(lambda: task_of(gateway, "clerk", receipt["case_no"]), "the intake task")
    path = f"/api/v1/tasks/{accept['id']}/complete"
    assert gateway.post(path, as_user="clerk", json={"data": {"intake_decision": "accept"}}).status_code == 200
    again = gateway.post(path, as_user="clerk", json={"data": {"intake_decision": "accept"}})
    assert again.status_code == 409 and again.headers["Content-Type"] == PROBLEM


def test_staff_see_only_their_departments_cases(gateway):
    case_no = apply(gateway)["case_no"]
    assert gateway.get(f"/api/v1/cases/{case_no}", as_user="reviewer").json()["applicant"]["name"] == "李四"
    foreign = gateway.get(f"/api/v1/cases/{case_no}", as_user="tax_reviewer")
    assert foreign.status_code == 404
    assert gateway.get(f"/api/v1/cases/{case_no}").status_code == 401


def test_a_process_designer_deploys_a_new_version(gateway):
    from pathlib import Path

    xml = (Path(__file__).resolve().parents[2] / "bpmn" / "immediate_item.bpmn").read_text(encoding="utf-8")
    assert gateway.post("/api/v1/processes", as_user="clerk", json={"xml": xml}).status_code == 403
    same = gateway.post("/api/v1/processes", as_user="designer", json={"xml": xml, "filename": "immediate_item.bpmn"})
    assert same.status_code == 200 and same.json()["created"] is False
    broken = gateway.post("/api/v1/processes", as_user="designer", json={"xml": "<definitions>"})
    assert broken.status_code == 422 and broken.headers["Content-Type"] == PROBLEM


@pytest.mark.parametrize(
    "method, path, body, user, status",
    [
        ("POST", "/api/v1/cases", {"item_code": "NOPE-404", "applicant": APPLICANT}, None, 404),
        (
            "POST",
            "/api/v1/cases",
            {**APPLICATION, "applicant": {**APPLICANT, "id_number": "110105194912310021"}},
            None,
            422,
        ),
        ("POST", "/api/v1/cases", {**APPLICATION, "materials": []}, None, 422),
        ("POST", "/api/v1/cases", {**APPLICATION, "applicant": {**APPLICANT, "name": "名" * 101}}, None, 422),
        ("POST", "/api/v1/cases", {**APPLICATION, "surprise": 1}, None, 422),
        ("POST", "/api/v1/cases", "not json", None, 400),
        ("GET", "/api/v1/items/NOPE-404", None, None, 404),
        ("GET", "/api/v1/tasks", None, None, 401),
        ("POST", "/api/v1/tasks/00000000-0000-0000-0000-000000000000/complete", {"data": {}}, "clerk", 404),
        ("GET", "/api/v1/tasks/00000000-0000-0000-0000-000000000000", None, "clerk", 404),
        ("POST", "/api/v1/auth/token", {"username": "clerk", "password": "wrong"}, None, 401),
        ("GET", "/api/v1/public/cases/20260101000001", None, None, 400),
        ("GET", "/api/v1/processes", None, "reviewer", 403),
    ],
)
def test_bad_input_gets_a_precise_problem_never_a_server_error(gateway, method, path, body, user, status):
    kwargs = (
        {"data": body, "headers": {"Content-Type": "application/json"}}
        if isinstance(body, str)
        else ({"json": body} if body is not None else {})
    )
    answer = gateway.request(method, path, as_user=user, **kwargs)
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"] == PROBLEM
    problem = answer.json()
    assert problem["status"] == status and problem["detail"]
