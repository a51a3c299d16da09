"""The gateway's work-list routes with a fake RPC client: filters and pages reach the approval
service as declared in OpenAPI, and a request id reaches task completion from either place."""
TASK_ID = "0b6a2c8e-6a55-4d7e-9d4b-1f7f5a0c9e11"
PAGE = {"tasks": [], "total": 0, "limit": 10, "offset": 20}


def test_the_work_list_passes_filters_and_page_to_the_service(client, fake_rpc, bearer):
    fake_rpc.answer("approval", "work_list", PAGE)
    answer = client.get("/api/v1/tasks?process_key=immediate_item&case_no=20261126000001&element_id=accept"
                        "&limit=10&offset=20", headers=bearer("clerk"))
    assert answer.status_code == 200 and answer.get_json() == PAGE
    (sent,) = fake_rpc.calls_to("approval", "work_list")
    assert sent.args[1:] == ({"process_key": "immediate_item", "case_no": "20261126000001", "element_id": "accept"},
                             10, 20)


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


def test_a_request_id_from_the_header_or_the_body_reaches_completion(client, fake_rpc, bearer):
    fake_rpc.answer("approval", "complete_task", {"completed": True})
    path = f"/api/v1/tasks/{TASK_ID}/complete"
    assert client.post(path, json={"data": {}}, headers={**bearer("clerk"), "Idempotency-Key": "retry-0001"}
                       ).status_code == 200
    assert client.post(path, json={"data": {}, "request_id": "retry-0002"}, headers=bearer("clerk")).status_code == 200
    assert client.post(path, json={"data": {}}, headers=bearer("clerk")).status_code == 200
    assert [c.kwargs for c in fake_rpc.calls_to("approval", "complete_task")] == [
        {"request_id": "retry-0001"}, {"request_id": "retry-0002"}, {}]


def test_two_different_or_malformed_request_ids_are_refused(client, fake_rpc, bearer):
    path = f"/api/v1/tasks/{TASK_ID}/complete"
    differ = client.post(path, json={"data": {}, "request_id": "retry-0002"},
                         headers={**bearer("clerk"), "Idempotency-Key": "retry-0001"})
    short = client.post(path, json={"data": {}}, headers={**bearer("clerk"), "Idempotency-Key": "abc"})
    assert (differ.status_code, short.status_code) == (400, 400)
    assert client.post(path, json={"data": {}, "request_id": "x"}, headers=bearer("clerk")).status_code == 422
    assert fake_rpc.calls == []
