"""Review and decision by different people (审批分离) on the running platform: a department
gives one officer both the reviewer's and the chief's roles; having reviewed a promised case,
she neither finds its decision in her work list nor may complete it (403, saying why), and
the case waits untouched for another chief."""

import uuid

import requests

from tests.waiting import eventually

PERSON = {"kind": "person", "name": "吴十", "id_number": "11010519491231002X"}
FOOD_LICENCE = {
    "item_code": "MR-003",
    "applicant": PERSON,
    "materials": ["application_form", "business_license", "premises_layout", "safety_rules"],
}
PASSWORD = "two-roles-password-1"


def officer_with_both_roles(gateway):
    username = f"zhao.{uuid.uuid4().hex[:6]}"
    answer = gateway.post(
        "/api/v1/admin/staff",
        as_user="admin",
        json={
            "username": username,
            "display_name": "审查兼首席 Reviewer and chief",
            "roles": ["reviewer", "chief"],
            "department": "market_regulation",
            "password": PASSWORD,
        },
    )
    assert answer.status_code == 201, answer.text
    token = requests.post(
        f"{gateway.url}/api/v1/auth/token", json={"username": username, "password": PASSWORD}, timeout=10
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def tasks(gateway, headers, case_no):
    return requests.get(f"{gateway.url}/api/v1/tasks", headers=headers, params={"case_no": case_no}, timeout=10).json()[
        "tasks"
    ]


def complete(gateway, headers, task_id, data):
    return requests.post(
        f"{gateway.url}/api/v1/tasks/{task_id}/complete", headers=headers, json={"data": data}, timeout=10
    )


def test_who_reviewed_a_promised_case_may_not_also_decide_it(gateway):
    officer = officer_with_both_roles(gateway)
    case_no = gateway.post("/api/v1/cases", json=FOOD_LICENCE).json()["case_no"]
    [accept] = eventually(
        lambda: gateway.get("/api/v1/tasks", as_user="clerk", params={"case_no": case_no}).json()["tasks"],
        "the intake task",
    )
    assert (
        gateway.post(
            f"/api/v1/tasks/{accept['id']}/complete", as_user="clerk", json={"data": {"intake_decision": "accept"}}
        ).status_code
        == 200
    )
    [review] = eventually(lambda: tasks(gateway, officer, case_no), "the review task")
    assert complete(gateway, officer, review["id"], {"review_result": "pass"}).status_code == 200

    assert tasks(gateway, officer, case_no) == []
    [decide] = gateway.get("/api/v1/tasks", as_user="chief", params={"case_no": case_no}).json()["tasks"]
    refused = complete(gateway, officer, decide["id"], {"decision": "approved"})

    assert refused.status_code == 403
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert "审批分离" in refused.json()["detail"] and "review" in refused.json()["detail"]
    still = gateway.get("/api/v1/tasks", as_user="chief", params={"case_no": case_no}).json()["tasks"]
    assert [task["id"] for task in still] == [decide["id"]]
    assert (
        gateway.post(
            f"/api/v1/tasks/{decide['id']}/complete", as_user="chief", json={"data": {"decision": "approved"}}
        ).status_code
        == 200
    )
