"""The hall's real flows, told through the gateway with the whole platform running."""

from tests.e2e.test_vertical_slice import APPLICANT, apply, eventually, task_of


def complete(gateway, user, case_no, data, what):
    task = eventually(lambda: task_of(gateway, user, case_no), what)
    answer = gateway.post(f"/api/v1/tasks/{task['id']}/complete", as_user=user, json={"data": data})
    assert answer.status_code == 200, answer.text
    return task, answer.json()


def test_a_joint_registration_is_reviewed_by_four_departments_in_parallel_then_decided(gateway):
    case_no = apply(
        gateway,
        {
            "item_code": "MR-010",
            "applicant": APPLICANT,
            "materials": ["application_form", "articles", "id_card", "premises_proof", "seal_application"],
        },
    )["case_no"]
    complete(gateway, "clerk", case_no, {"intake_decision": "accept"}, "the intake task")
    reviews = {
        "reviewer": "business_licence",
        "tax_reviewer": "tax_registration",
        "police_reviewer": "seal_approval",
        "hr_reviewer": "social_insurance",
    }
    opened = {user: eventually(lambda u=user: task_of(gateway, u, case_no), f"{user}'s review") for user in reviews}
    assert {user: task["element_id"] for user, task in opened.items()} == reviews
    foreign = gateway.post(
        f"/api/v1/tasks/{opened['police_reviewer']['id']}/complete",
        as_user="tax_reviewer",
        json={"data": {"seal_approval_result": "pass"}},
    )
    assert foreign.status_code == 404
    for user, step in reviews.items():
        assert task_of(gateway, "chief", case_no) is None
        complete(gateway, user, case_no, {f"{step}_result": "pass"}, f"{user}'s review")
    _, decided = complete(gateway, "chief", case_no, {"decision": "approved"}, "the chief's decision")
    assert decided["case_status"] == "completed"


def test_a_promised_items_review_is_due_by_its_promised_limit(gateway):
    case_no = apply(
        gateway,
        {
            "item_code": "MR-006",
            "applicant": APPLICANT,
            "materials": ["application_form", "pharmacist_certificate", "premises_proof"],
        },
    )["case_no"]
    complete(gateway, "clerk", case_no, {"intake_decision": "accept"}, "the intake task")
    review = eventually(lambda: task_of(gateway, "reviewer", case_no), "the review")
    assert review["element_id"] == "review" and review["due_at"]
    complete(gateway, "reviewer", case_no, {"review_result": "pass"}, "the review")
    _, decided = complete(gateway, "chief", case_no, {"decision": "approved"}, "the decision")
    assert decided["case_status"] == "completed"


def test_a_fee_items_review_goes_to_its_department_and_designers_read_its_versions(gateway):
    case_no = apply(
        gateway,
        {
            "item_code": "NR-001",
            "applicant": APPLICANT,
            "materials": ["application_form", "id_card", "ownership_source"],
        },
    )["case_no"]
    complete(gateway, "clerk", case_no, {"intake_decision": "accept"}, "the intake task")
    process = gateway.get(f"/api/v1/cases/{case_no}/process", as_user="supervisor").json()
    assert [(t["element_id"], t["department"]) for t in process["open_tasks"]] == [("review", "natural_resources")]
    versions = gateway.get("/api/v1/processes/fee_item", as_user="designer").json()["versions"]
    assert versions[0]["version"] == 1
    xml = gateway.get("/api/v1/processes/fee_item/versions/1/xml", as_user="designer")
    assert xml.headers["Content-Type"].startswith("application/xml") and 'decisionRef="registration_fee"' in xml.text


def test_a_diagram_with_a_condition_breaking_the_sandbox_rules_is_refused_naming_the_flow(gateway):
    from pathlib import Path

    xml = (Path(__file__).resolve().parents[2] / "bpmn" / "immediate_item.bpmn").read_text(encoding="utf-8")
    broken = xml.replace('decision == "approved"', "decision.__class__")
    answer = gateway.post(
        "/api/v1/processes", as_user="designer", json={"xml": broken, "filename": "immediate_item.bpmn"}
    )
    assert answer.status_code == 422 and answer.headers["Content-Type"] == "application/problem+json"
    (error,) = answer.json()["errors"]
    assert error["field"] == "Flow_approved" and "'__class__' is not allowed" in error["message"]
