"""The gateway's process routes with a fake RPC client: who may look at a case's process and
retry it, and what reaches the approval service."""

from gateway.rpc import RemoteError

CASE_NO = "20261126000001"
VIEW = {
    "case_no": CASE_NO,
    "process_key": "immediate_item",
    "process_version": 1,
    "status": "incident",
    "rev": 3,
    "incident": {"element_id": "Gateway_decision", "message": "boom", "at": "2026-11-26T00:00:00+00:00"},
    "waiting_messages": [],
    "stored_messages": [],
    "open_tasks": [],
    "started_at": "x",
    "updated_at": "y",
    "audit": [],
}


def test_staff_read_a_cases_process_with_their_own_identity(client, fake_rpc, bearer):
    fake_rpc.answer("approval", "get_case_process", VIEW)
    answer = client.get(f"/api/v1/cases/{CASE_NO}/process", headers=bearer("chief"))
    assert answer.status_code == 200
    assert answer.get_json()["incident"]["element_id"] == "Gateway_decision"
    (sent,) = fake_rpc.calls_to("approval", "get_case_process")
    assert sent.args == (CASE_NO, {"username": "chief", "roles": ["chief"], "department": "market_regulation"})


def test_an_invisible_process_is_a_not_found_problem(client, fake_rpc, bearer):
    fake_rpc.answer(
        "approval",
        "get_case_process",
        raises=RemoteError("approval", {"exc_type": "NotFound", "exc_args": ["no process visible to you", []]}),
    )
    answer = client.get(f"/api/v1/cases/{CASE_NO}/process", headers=bearer("tax_chief"))
    assert answer.status_code == 404 and answer.mimetype == "application/problem+json"


def test_only_an_admin_retries_and_only_with_an_object_of_data(client, fake_rpc, bearer):
    fake_rpc.answer("approval", "retry_case_process", dict(VIEW, status="completed", incident=None))
    path = f"/api/v1/cases/{CASE_NO}/process/retry"
    assert client.post(path, json={"data": {"checked": True}}, headers=bearer("chief")).status_code == 403
    assert client.post(path, json={"data": "x"}, headers=bearer("admin")).status_code == 422
    answer = client.post(path, json={"data": {"checked": True}}, headers=bearer("admin"))
    assert answer.status_code == 200 and answer.get_json()["status"] == "completed"
    (sent,) = fake_rpc.calls_to("approval", "retry_case_process")
    assert sent.args[:2] == (CASE_NO, {"checked": True})


def test_a_spiff_arena_upload_carries_its_form_schemas_by_file_name(client, fake_rpc, bearer):
    fake_rpc.answer("approval", "deploy_process", {"key": "p", "version": 1, "created": True})
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    answer = client.post(
        "/api/v1/processes",
        headers=bearer("designer"),
        json={"xml": "<definitions/>", "filename": "p.bpmn", "forms": {"p-schema.json": schema}},
    )
    assert answer.status_code == 201
    (sent,) = fake_rpc.calls_to("approval", "deploy_process")
    assert sent.kwargs == {"forms": {"p-schema.json": schema}, "idempotency": None}
    refused = client.post(
        "/api/v1/processes",
        headers=bearer("designer"),
        json={"xml": "<definitions/>", "forms": {"../etc/passwd": schema}},
    )
    assert refused.status_code == 422


def test_a_designer_validates_a_diagram_with_the_deployments_body(client, fake_rpc, bearer):
    fake_rpc.answer("approval", "validate_process", {"valid": True})
    body = {"xml": "<definitions/>", "filename": "p.bpmn", "dmn": ["<definitions/>"]}
    assert client.post("/api/v1/processes/validate", json=body, headers=bearer("admin")).status_code == 403
    answer = client.post("/api/v1/processes/validate", json=body, headers=bearer("designer"))
    assert answer.status_code == 200 and answer.get_json() == {"valid": True}
    (sent,) = fake_rpc.calls_to("approval", "validate_process")
    assert sent.args == ("<definitions/>", "p.bpmn") and sent.kwargs == {"dmn": ["<definitions/>"]}
    assert not fake_rpc.calls_to("approval", "deploy_process")


def test_an_invalid_diagram_is_a_problem_naming_the_element(client, fake_rpc, bearer):
    errors = [{"field": "accept", "message": "not in any lane"}]
    fake_rpc.answer(
        "approval",
        "validate_process",
        raises=RemoteError("approval", {"exc_type": "InvalidInput", "exc_args": ["invalid BPMN", errors]}),
    )
    answer = client.post("/api/v1/processes/validate", json={"xml": "<definitions/>"}, headers=bearer("designer"))
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert answer.get_json()["errors"] == errors


def test_admins_and_designers_list_the_cases_held_in_an_incident(client, bearer, fake_rpc):
    held = {
        "case_no": CASE_NO,
        "process_key": "immediate_item",
        "process_version": 1,
        "department": "taxation",
        "incident": {"element_id": "decide", "message": "nobody", "kind": "no_one", "at": "2026-12-03T00:00:00+00:00"},
    }
    fake_rpc.answer("approval", "list_incidents", [held])
    answer = client.get("/api/v1/incidents", headers=bearer("admin"))
    assert answer.status_code == 200 and answer.get_json() == {"incidents": [held]}
    assert client.get("/api/v1/incidents", headers=bearer("clerk")).status_code == 403
