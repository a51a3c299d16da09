"""The gateway's work-list routes with a fake RPC client: filters and pages reach the approval
service as declared in OpenAPI, and an Idempotency-Key reaches task completion scoped to the caller."""

TASK_ID = "0b6a2c8e-6a55-4d7e-9d4b-1f7f5a0c9e11"
PAGE = {"tasks": [], "total": 0, "limit": 10, "offset": 20}


def test_the_work_list_passes_filters_and_page_to_the_service(client, fake_rpc, bearer):
    fake_rpc.answer("approval", "work_list", PAGE)
    answer = client.get(
        "/api/v1/tasks?process_key=immediate_item&case_no=20261126000001&element_id=accept&limit=10&offset=20",
        headers=bearer("clerk"),
    )
    assert answer.status_code == 200 and answer.get_json() == PAGE
    (sent,) = fake_rpc.calls_to("approval", "work_list")
    assert sent.args[1:] == (
        {"process_key": "immediate_item", "case_no": "20261126000001", "element_id": "accept"},
        10,
        20,
    )


def test_the_work_list_defaults_to_the_first_page_of_fifty(client, fake_rpc, bearer):
    fake_rpc.answer("approval", "work_list", PAGE)
    assert client.get("/api/v1/tasks", headers=bearer("clerk")).status_code == 200
    (sent,) = fake_rpc.calls_to("approval", "work_list")
    assert sent.args[1:] == ({}, 50, 0)


def test_bad_work_list_parameters_are_400_problems(client, fake_rpc, bearer):
    for query in ("limit=0", "limit=201", "offset=-1", "case_no=123", "colour=red", "limit=x"):
        answer = client.get(f"/api/v1/tasks?{query}", headers=bearer("clerk"))
        assert answer.status_code == 400, query
        assert answer.mimetype == "application/problem+json"
    assert fake_rpc.calls == []


def test_an_idempotency_key_reaches_completion_scoped_to_the_caller_with_the_request_fingerprint(
    client, fake_rpc, bearer
):
    fake_rpc.answer("approval", "complete_task", {"completed": True})
    path = f"/api/v1/tasks/{TASK_ID}/complete"
    for user in ("clerk", "chief"):
        assert (
            client.post(
                path, json={"data": {"a": 1}}, headers={**bearer(user), "Idempotency-Key": "retry-0001"}
            ).status_code
            == 200
        )
    assert client.post(path, json={"data": {}}, headers=bearer("clerk")).status_code == 200
    clerk, chief, without = [c.kwargs["idempotency"] for c in fake_rpc.calls_to("approval", "complete_task")]
    assert (clerk["key"], chief["key"], without) == ("caller:clerk:retry-0001", "caller:chief:retry-0001", None)
    assert clerk["fingerprint"] == chief["fingerprint"]  # the same request, by two callers


def test_a_malformed_idempotency_key_or_a_request_id_in_the_body_is_refused(client, fake_rpc, bearer):
    path = f"/api/v1/tasks/{TASK_ID}/complete"
    for key in ("abc", "x" * 129, "with space", "中文中文中文中文"):
        assert (
            client.post(path, json={"data": {}}, headers={**bearer("clerk"), "Idempotency-Key": key}).status_code == 400
        ), key
    assert client.post(path, json={"data": {}, "request_id": "retry-0002"}, headers=bearer("clerk")).status_code == 422
    assert fake_rpc.calls == []
