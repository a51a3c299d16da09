"""A task completion retried with its Idempotency-Key after the gateway gave up on a stalled
approval service (503, "may still be carried out") gets the first answer once the service is back — never "already
completed" for the caller's own completion (docs/api.md). The approval process is paused
(SIGSTOP) on the session's platform, so the call times out while its request waits in the
service; it resumes (SIGCONT) and the same request is sent again."""

import os
import signal
import time
import uuid

from tests.e2e.test_vertical_slice import apply, task_of
from tests.waiting import eventually

ACCEPT = {"data": {"intake_decision": "accept"}}


def test_a_completion_retried_after_its_timeout_gets_its_first_answer(platform, gateway):
    case_no = apply(gateway)["case_no"]
    task = eventually(lambda: task_of(gateway, "clerk", case_no), "the intake task")
    path, key = f"/api/v1/tasks/{task['id']}/complete", {"Idempotency-Key": f"stalled-{uuid.uuid4()}"}
    approval = platform.processes["approval"].pid

    os.kill(approval, signal.SIGSTOP)
    try:
        stalled = gateway.post(path, as_user="clerk", headers=dict(key), json=ACCEPT)
    finally:
        os.kill(approval, signal.SIGCONT)
    assert stalled.status_code == 503 and stalled.headers["content-type"] == "application/problem+json"
    assert int(stalled.headers["Retry-After"]) > 0 and "same Idempotency-Key" in stalled.json()["detail"]

    answers = []
    while not answers or answers[-1].status_code == 409 and len(answers) < 20:
        if answers:
            time.sleep(min(1, int(answers[-1].headers.get("Retry-After", "1"))))
        answers.append(gateway.post(path, as_user="clerk", headers=dict(key), json=ACCEPT))

    waits = [a.json()["title"] for a in answers[:-1]]
    assert set(waits) <= {"Request in progress"}, [a.text for a in answers]
    assert answers[-1].status_code == 200, answers[-1].text
    again = gateway.post(path, as_user="clerk", headers=dict(key), json=ACCEPT)
    assert again.status_code == 200 and again.json() == answers[-1].json()
    assert eventually(
        lambda: gateway.get("/api/v1/tasks", as_user="chief", params={"case_no": case_no}).json()["tasks"],
        "the chief's task",
    )  # the case moved on, once
