"""Stories of the approval process, told through the gateway with the whole platform running."""

from tests.e2e.test_vertical_slice import apply, eventually, task_of

PROBLEM = "application/problem+json"


def test_a_clerk_refuses_an_application_with_a_reason_and_the_process_ends_at_refused(gateway):
    receipt = apply(gateway)
    case_no = receipt["case_no"]
    accept = eventually(lambda: task_of(gateway, "clerk", case_no), "the intake task")
    path = f"/api/v1/tasks/{accept['id']}/complete"

    without_reason = gateway.post(path, as_user="clerk", json={"data": {"intake_decision": "refuse"}})
    assert without_reason.status_code == 422 and without_reason.headers["Content-Type"] == PROBLEM
    assert without_reason.json()["errors"] == [{"field": "reason", "message": "a refusal needs a reason"}]

    refused = gateway.post(
        path, as_user="clerk", json={"data": {"intake_decision": "refuse", "reason": "非本中心事项"}}
    )
    assert refused.json()["case_status"] == "completed"

    process = gateway.get(f"/api/v1/cases/{case_no}/process", as_user="supervisor").json()
    assert (process["status"], process["process_key"]) == ("completed", "immediate_item")
    assert [(e["kind"], e["actor"]) for e in process["audit"]] == [("started", "system"), ("task_completed", "clerk")]
    assert process["audit"][1]["data"] == {"intake_decision": "refuse", "reason": "非本中心事项"}
    assert gateway.get(f"/api/v1/cases/{case_no}/process", as_user="tax_reviewer").status_code == 404

    public = f"/api/v1/public/cases/{case_no}"
    view = eventually(
        lambda: (
            (v := gateway.get(public, params={"query_code": receipt["query_code"]}).json())
            and v["status"] != "in_progress"
            and v["outcome"]
            and v
        ),
        "the refusal to reach intake",
    )
    assert view["outcome"] == "refused"


def test_a_supplement_request_leaves_the_case_waiting_for_the_applicant(gateway):
    receipt = apply(gateway)
    case_no = receipt["case_no"]
    accept = eventually(lambda: task_of(gateway, "clerk", case_no), "the intake task")
    asked = gateway.post(
        f"/api/v1/tasks/{accept['id']}/complete",
        as_user="clerk",
        json={"data": {"intake_decision": "supplement", "missing_materials": "身份证复印件", "reason": "复印件不清晰"}},
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["current_step"] == "等待补正 Awaiting supplements"
    assert task_of(gateway, "clerk", case_no) is None
    process = gateway.get(f"/api/v1/cases/{case_no}/process", as_user="clerk").json()
    assert process["waiting_messages"] == ["supplement_received"]
