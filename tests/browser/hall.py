"""What the browser stories need from the hall besides the browser: applications made
and waited for through the API, as a department system would."""

COMPANY = {"kind": "company", "name": "榆林市示例餐饮有限公司", "credit_code": "91610800MA6YQ0000X"}
PERSON = {"kind": "person", "name": "王五", "id_number": "11010519491231002X"}
FOOD_LICENCE = {"item_code": "MR-003", "applicant": PERSON,
                "materials": ["application_form", "business_license", "premises_layout", "safety_rules"]}


def apply(gateway, application=FOOD_LICENCE):
    answer = gateway.post("/api/v1/cases", json=application)
    assert answer.status_code == 201, answer.text
    return answer.json()


def task_of(gateway, user, case_no):
    tasks = gateway.get("/api/v1/tasks", as_user=user, params={"case_no": case_no}).json()["tasks"]
    return tasks[0] if tasks else None
