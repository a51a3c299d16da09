"""A request is traceable across the platform: the id a department system sends as
X-Request-ID is in the approval's audit trail and in the JSON log lines of the services
that handled it (intake for the application, approval for the event it caused)."""

import json
import uuid

from tests.e2e.test_vertical_slice import APPLICATION, eventually, task_of


def log_lines(platform, process):
    lines = (platform.log_dir / f"{process}.log").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def with_request_id(platform, process, request_id):
    return [line for line in log_lines(platform, process) if line.get("request_id") == request_id]


def test_one_request_id_reaches_the_audit_trail_and_the_log_lines_of_every_service_it_touched(platform, gateway):
    submitted_in, accepted_in = f"dept-{uuid.uuid4()}", f"dept-{uuid.uuid4()}"

    answer = gateway.post("/api/v1/cases", json=APPLICATION, headers={"X-Request-ID": submitted_in})
    assert answer.status_code == 201 and answer.headers["X-Request-Id"] == submitted_in
    case_no = answer.json()["case_no"]
    accept = eventually(lambda: task_of(gateway, "clerk", case_no), "the intake task")
    done = gateway.post(
        f"/api/v1/tasks/{accept['id']}/complete",
        as_user="clerk",
        json={"data": {"intake_decision": "accept"}},
        headers={"X-Request-ID": accepted_in},
    )
    assert done.status_code == 200, done.text

    audit = gateway.get(f"/api/v1/cases/{case_no}/process", as_user="clerk").json()["audit"]
    assert [e["request_id"] for e in audit if e["kind"] == "started"] == [submitted_in]  # via case_submitted
    assert [e["request_id"] for e in audit if e["kind"] == "task_completed"][0] == accepted_in
    # A "handled" line is written just after the reply: wait for it.
    for process, request_id, handled in (
        ("intake", submitted_in, "intake.submit_case handled"),
        ("approval", submitted_in, "approval.on_case_submitted handled"),
        ("approval", accepted_in, "approval.complete_task handled"),
    ):
        eventually(
            lambda: any(line["message"].startswith(handled) for line in with_request_id(platform, process, request_id)),
            handled,
        )


def test_a_request_without_an_id_gets_one_that_the_services_log_too(platform, gateway):
    answer = gateway.post("/api/v1/cases", json=APPLICATION)
    request_id = answer.headers["X-Request-Id"]

    assert len(request_id) == 32
    assert eventually(lambda: with_request_id(platform, "intake", request_id), "intake's log line")
