"""Work lists through the gateway: a clerk finds an application by case number, opens the task
with its case summary, and a double-click on "complete" (same Idempotency-Key) decides it once;
another department's chief neither sees nor completes the next task."""

import uuid

from tests.waiting import eventually

PERSON = {"kind": "person", "name": "钱七", "id_number": "11010519491231002X"}


def apply(gateway):
    answer = gateway.post(
        "/api/v1/cases", json={"item_code": "MR-001", "applicant": PERSON, "materials": ["application_form", "id_card"]}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["case_no"]


def test_a_double_clicked_completion_with_one_idempotency_key_accepts_the_case_once(gateway):
    case_no = apply(gateway)
    page = eventually(
        lambda: gateway.get("/api/v1/tasks", as_user="clerk", params={"case_no": case_no}).json()["tasks"],
        "the intake task",
    )
    [accept] = page
    detail = gateway.get(f"/api/v1/tasks/{accept['id']}", as_user="clerk").json()
    assert detail["case"]["case_no"] == case_no and detail["case"]["item_code"] == "MR-001"
    assert "intake_decision" in [field["id"] for field in detail["form"]]

    key = {"Idempotency-Key": f"accept-{uuid.uuid4()}"}
    path = f"/api/v1/tasks/{accept['id']}/complete"
    first = gateway.post(path, as_user="clerk", headers=dict(key), json={"data": {"intake_decision": "accept"}})
    again = gateway.post(path, as_user="clerk", headers=dict(key), json={"data": {"intake_decision": "accept"}})
    assert (first.status_code, again.status_code) == (200, 200) and again.json() == first.json()
    without_key = gateway.post(path, as_user="clerk", json={"data": {"intake_decision": "accept"}})
    assert without_key.status_code == 409 and without_key.headers["content-type"] == "application/problem+json"

    [decide] = eventually(
        lambda: gateway.get("/api/v1/tasks", as_user="chief", params={"case_no": case_no}).json()["tasks"],
        "the chief's task",
    )
    assert gateway.get(f"/api/v1/tasks/{decide['id']}", as_user="tax_chief").status_code == 404
    assert gateway.get("/api/v1/tasks", as_user="tax_chief", params={"case_no": case_no}).json()["total"] == 0
    audit = gateway.get(f"/api/v1/cases/{case_no}/process", as_user="clerk").json()["audit"]
    assert [entry["kind"] for entry in audit].count("task_completed") == 1


def test_the_work_list_is_paged_and_a_bad_page_is_a_problem(gateway):
    for _ in range(3):
        apply(gateway)

    def three_or_more():
        page = gateway.get("/api/v1/tasks", as_user="clerk", params={"element_id": "accept"}).json()
        return page if page["total"] >= 3 else None

    everything = eventually(three_or_more, "three tasks")
    second = gateway.get("/api/v1/tasks", as_user="clerk", params={"element_id": "accept", "limit": 1, "offset": 1})
    assert second.json()["tasks"] == everything["tasks"][1:2]
    bad = gateway.get("/api/v1/tasks", as_user="clerk", params={"limit": 0})
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
