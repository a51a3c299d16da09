"""What the browser stories need from the hall besides the browser: applications made,
worked and waited for through the API, as a department system would."""

from datetime import UTC, datetime

from tests.waiting import eventually

COMPANY = {"kind": "company", "name": "榆林市示例餐饮有限公司", "credit_code": "91610800MA6YQ0000X"}
PERSON = {"kind": "person", "name": "王五", "id_number": "11010519491231002X"}
FOOD_LICENCE = {
    "item_code": "MR-003",
    "applicant": PERSON,
    "materials": ["application_form", "business_license", "premises_layout", "safety_rules"],
}


def apply(gateway, application=FOOD_LICENCE):
    answer = gateway.post("/api/v1/cases", json=application)
    assert answer.status_code == 201, answer.text
    return answer.json()


def task_of(gateway, user, case_no):
    tasks = gateway.get("/api/v1/tasks", as_user=user, params={"case_no": case_no}).json()["tasks"]
    return tasks[0] if tasks else None


def complete(gateway, user, case_no, data):
    """Complete the case's next task of `user` once it is there."""
    task = eventually(lambda: task_of(gateway, user, case_no), f"the task of {user}")
    done = gateway.post(f"/api/v1/tasks/{task['id']}/complete", as_user=user, json={"data": data})
    assert done.status_code == 200, done.text
    return done.json()


def decided_case(gateway, application=FOOD_LICENCE):
    """A case accepted, reviewed and approved by market regulation; its receipt."""
    receipt = apply(gateway, application)
    complete(gateway, "clerk", receipt["case_no"], {"intake_decision": "accept"})
    complete(gateway, "reviewer", receipt["case_no"], {"review_result": "pass"})
    complete(gateway, "chief", receipt["case_no"], {"decision": "approved"})
    eventually(lambda: case_status(gateway, receipt) == "completed", "the decision at intake")
    return receipt


def case_status(gateway, receipt):
    answer = gateway.get(f"/api/v1/public/cases/{receipt['case_no']}", params={"query_code": receipt["query_code"]})
    return answer.json()["status"] if answer.status_code == 200 else None


def move_clock(gateway, moment):
    """Move the platform clock to `moment` (admin; demo mode); None goes back to real time."""
    offset = 0 if moment is None else (moment - datetime.now(UTC)).total_seconds()
    answer = gateway.post("/api/v1/admin/clock", as_user="admin", json={"offset_seconds": offset})
    assert answer.status_code == 200, answer.text
