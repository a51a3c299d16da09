"""The gateway's test-run routes with a fake RPC client: what reaches the approval service,
and which requests are refused before it is asked."""

RUNS = "/api/v1/processes/test-runs"
RUN_ID = "T-0123456789ab"
TASK_ID = "0f0e0d0c-0b0a-4909-8807-060504030201"
DESIGNER = {"username": "designer", "roles": ["designer"], "department": "hall"}


def test_a_designer_starts_a_run_of_a_version_or_of_an_upload_with_initial_data(client, fake_rpc, bearer):
    fake_rpc.answer("approval", "start_test_run", {"run_id": RUN_ID})
    version = client.post(
        RUNS, headers=bearer("designer"), json={"process_key": "immediate_item", "version": 2, "data": {"amount": 800}}
    )
    upload = client.post(RUNS, headers=bearer("designer"), json={"xml": "<definitions/>", "filename": "p.bpmn"})
    assert (version.status_code, upload.status_code) == (201, 201)
    first, second = fake_rpc.calls_to("approval", "start_test_run")
    assert first.args == ({"process_key": "immediate_item", "version": 2}, {"amount": 800}, DESIGNER)
    assert second.args == ({"xml": "<definitions/>", "filename": "p.bpmn"}, {}, DESIGNER)


def test_a_start_names_a_version_or_brings_a_diagram_not_both(client, fake_rpc, bearer):
    for body in ({"process_key": "p", "xml": "<definitions/>"}, {"data": {}}, {"process_key": "p", "version": 0}):
        answer = client.post(RUNS, headers=bearer("designer"), json=body)
        assert answer.status_code == 422 and answer.mimetype == "application/problem+json", body
    assert fake_rpc.calls_to("approval", "start_test_run") == []


def test_ids_in_the_path_are_checked_before_the_service_is_asked(client, fake_rpc, bearer):
    for path in (
        f"{RUNS}/20261126000001",
        f"{RUNS}/{RUN_ID}/tasks/not-a-task/complete",
        f"{RUNS}/{RUN_ID}/timers/1bad/fire",
        f"{RUNS}/{RUN_ID}/messages/$x",
    ):
        method = client.get if path.count("/") == 5 else client.post
        answer = method(path, headers=bearer("designer"), json={"data": {}} if method == client.post else None)
        assert answer.status_code == 400 and answer.mimetype == "application/problem+json", path
    assert fake_rpc.calls == []


def test_a_designer_acts_on_a_run_as_themselves(client, fake_rpc, bearer):
    for method in ("complete_test_task", "fire_test_timer", "deliver_test_message"):
        fake_rpc.answer("approval", method, {"run_id": RUN_ID})
    headers = bearer("designer")
    assert (
        client.post(
            f"{RUNS}/{RUN_ID}/tasks/{TASK_ID}/complete", headers=headers, json={"data": {"opinion": "同意"}}
        ).status_code
        == 200
    )
    assert client.post(f"{RUNS}/{RUN_ID}/timers/Event_overdue/fire", headers=headers).status_code == 200
    assert client.post(f"{RUNS}/{RUN_ID}/messages/status_query", headers=headers, json={}).status_code == 200
    assert fake_rpc.calls_to("approval", "complete_test_task")[0].args == (
        RUN_ID,
        TASK_ID,
        {"opinion": "同意"},
        DESIGNER,
    )
    assert fake_rpc.calls_to("approval", "fire_test_timer")[0].args == (RUN_ID, "Event_overdue", DESIGNER)
    assert fake_rpc.calls_to("approval", "deliver_test_message")[0].args == (RUN_ID, "status_query", {}, DESIGNER)
