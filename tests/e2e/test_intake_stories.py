"""Stories of the intake window (统一受理), the public catalog and shared materials, told
through the gateway with the whole platform running."""

import uuid

from tests.waiting import eventually

PROBLEM = "application/problem+json"
COMPANY = {"kind": "company", "name": "榆林市塞上食品有限公司", "credit_code": "91350100M000100Y43"}
PERSON = {"kind": "person", "name": "赵六", "id_number": "11010519491231002X"}
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" + b"0" * 1000 + b"\n%%EOF\n"


def task_of(gateway, user, case_no):
    tasks = gateway.get("/api/v1/tasks", as_user=user).json()["tasks"]
    return next((t for t in tasks if t["case_no"] == case_no), None)


def complete(gateway, user, task, data):
    answer = gateway.post(f"/api/v1/tasks/{task['id']}/complete", as_user=user, json={"data": data})
    assert answer.status_code == 200, answer.text
    return answer.json()


def public(gateway, receipt):
    return gateway.get(f"/api/v1/public/cases/{receipt['case_no']}", params={"query_code": receipt["query_code"]})


def upload(gateway, content, filename="营业执照.pdf", content_type="application/pdf", owner=COMPANY):
    return gateway.post(
        "/api/v1/materials",
        files={"file": (filename, content, content_type)},
        data={"applicant_kind": owner["kind"], "applicant_id": owner.get("credit_code") or owner.get("id_number")},
    )


def test_anyone_searches_the_public_catalog_in_chinese_or_english(gateway):
    departments = gateway.get("/api/v1/departments").json()["departments"]
    assert len(departments) >= 8 and sum(d["item_count"] for d in departments) >= 30

    found = gateway.get("/api/v1/items", params={"q": "食品经营"}).json()
    assert {i["code"] for i in found["items"]} == {"MR-002", "MR-003"} and found["total"] == 2
    english = gateway.get("/api/v1/items", params={"q": "passport"}).json()["items"]
    assert [i["code"] for i in english] == ["PS-003"] and english[0]["fees"][0]["amount_fen"] == 12000
    joint = gateway.get("/api/v1/items", params={"kind": "joint", "department": "market_regulation"}).json()
    assert [i["process_key"] for i in joint["items"]] == ["joint_registration"]
    page = gateway.get("/api/v1/items", params={"page": 2, "page_size": 10}).json()
    assert len(page["items"]) == 10 and page["total"] >= 30

    item = gateway.get("/api/v1/items/NR-001").json()
    assert item["department"] == "natural_resources" and item["legal_basis"]
    bad = gateway.get("/api/v1/items", params={"page_size": 1000})
    assert bad.status_code == 400 and bad.headers["Content-Type"] == PROBLEM
    assert gateway.get("/api/v1/items/XX-999").status_code == 404


def test_a_company_stores_its_licence_once_and_uses_it_in_two_applications(gateway):
    content = PDF + uuid.uuid4().bytes
    stored = upload(gateway, content)
    assert stored.status_code == 201, stored.text
    again = upload(gateway, content, filename="营业执照（副本）.pdf")
    assert again.status_code == 200 and again.json()["document_id"] == stored.json()["document_id"]

    materials = [
        "application_form",
        "premises_layout",
        "safety_rules",
        {"code": "business_license", "document_id": stored.json()["document_id"]},
    ]
    cases = [
        gateway.post("/api/v1/cases", json={"item_code": "MR-003", "applicant": COMPANY, "materials": materials})
        for _ in range(2)
    ]
    assert [c.status_code for c in cases] == [201, 201]
    for case in cases:
        staff = gateway.get(f"/api/v1/cases/{case.json()['case_no']}", as_user="clerk").json()
        assert staff["documents"][0]["document_id"] == stored.json()["document_id"]

    someone_else = gateway.post(
        "/api/v1/cases",
        json={
            "item_code": "MR-001",
            "applicant": PERSON,
            "materials": ["application_form", {"code": "id_card", "document_id": stored.json()["document_id"]}],
        },
    )
    assert someone_else.status_code == 422 and someone_else.headers["Content-Type"] == PROBLEM


def test_an_upload_of_the_wrong_type_or_size_is_refused(gateway):
    program = upload(gateway, b"MZ\x90\x00" + b"\x00" * 100, filename="licence.pdf")
    assert program.status_code == 415 and program.headers["Content-Type"] == PROBLEM
    huge = upload(gateway, PDF + b"0" * (2 * 1024 * 1024))
    assert huge.status_code == 413 and huge.headers["Content-Type"] == PROBLEM


def test_supplements_are_asked_supplied_and_the_case_is_decided_and_collected(gateway):
    applied = gateway.post(
        "/api/v1/cases", json={"item_code": "MR-001", "applicant": PERSON, "materials": ["application_form", "id_card"]}
    )
    assert applied.status_code == 201, applied.text
    receipt = applied.json()
    case_no = receipt["case_no"]

    accept = eventually(lambda: task_of(gateway, "clerk", case_no), "the intake task")
    complete(
        gateway,
        "clerk",
        accept,
        {"intake_decision": "supplement", "reason": "经营场所需提供证明", "missing_materials": "premises_proof"},
    )
    waiting = eventually(
        lambda: (v := public(gateway, receipt).json())["status"] == "awaiting_supplements" and v,
        "the supplement request",
    )
    assert waiting["missing_materials"] == ["premises_proof"] and waiting["deadline"] is None

    wrong = gateway.post(
        f"/api/v1/public/cases/{case_no}/supplements", json={"query_code": "WRONG234", "materials": ["premises_proof"]}
    )
    assert wrong.status_code == 404
    supplied = gateway.post(
        f"/api/v1/public/cases/{case_no}/supplements",
        json={"query_code": receipt["query_code"], "materials": ["premises_proof"]},
    )
    assert supplied.status_code == 200 and supplied.json()["status"] == "submitted", supplied.text

    accept = eventually(lambda: task_of(gateway, "clerk", case_no), "the intake task again")
    complete(gateway, "clerk", accept, {"intake_decision": "accept"})
    decide = eventually(lambda: task_of(gateway, "chief", case_no), "the chief representative's task")
    early = gateway.post(f"/api/v1/cases/{case_no}/collection", as_user="clerk", json={"how": "in_person"})
    assert early.status_code == 409
    complete(gateway, "chief", decide, {"decision": "approved", "opinion": "同意"})

    done = eventually(lambda: (v := public(gateway, receipt).json())["status"] == "completed" and v, "the decision")
    assert done["result"]["outcome"] == "approved" and done["result"]["certificate_no"]
    assert done["deadline"] and done["accepted_at"]
    collected = gateway.post(f"/api/v1/cases/{case_no}/collection", as_user="clerk", json={"how": "in_person"})
    assert collected.status_code == 200 and collected.json()["status"] == "collected"

    kinds = [s["kind"] for s in public(gateway, receipt).json()["steps"]]
    for expected in (
        "submitted",
        "supplement_requested",
        "materials_supplied",
        "supplement_received",
        "accepted",
        "decided",
        "collected",
    ):
        assert expected in kinds
    assert PERSON["id_number"] not in public(gateway, receipt).text
    found = gateway.get(
        "/api/v1/cases", as_user="clerk", params={"applicant_id": PERSON["id_number"], "status": "collected"}
    ).json()
    assert case_no in [c["case_no"] for c in found["cases"]]


def test_an_application_missing_materials_is_refused_listing_each_and_nothing_is_stored(gateway):
    before = gateway.get("/api/v1/cases", as_user="clerk", params={"applicant_id": COMPANY["credit_code"]}).json()
    answer = gateway.post(
        "/api/v1/cases", json={"item_code": "MR-010", "applicant": COMPANY, "materials": ["application_form"]}
    )
    assert answer.status_code == 422 and answer.headers["Content-Type"] == PROBLEM
    assert len(answer.json()["errors"]) == 4
    bad_code = gateway.post(
        "/api/v1/cases",
        json={
            "item_code": "MR-001",
            "applicant": {**COMPANY, "credit_code": "91350100M000100Y44"},
            "materials": ["application_form", "id_card"],
        },
    )
    assert bad_code.status_code == 422 and bad_code.json()["errors"][0]["field"] == "applicant.credit_code"
    for body, status in (("{", 400), ('{"item_code": "MR-001", "applicant": {}, "extra": true}', 422)):
        answer = gateway.post("/api/v1/cases", data=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == status and answer.headers["Content-Type"] == PROBLEM
    after = gateway.get("/api/v1/cases", as_user="clerk", params={"applicant_id": COMPANY["credit_code"]}).json()
    assert after["total"] == before["total"]
