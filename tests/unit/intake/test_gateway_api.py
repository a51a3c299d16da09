"""The gateway's catalog, case and material endpoints with a fake RPC client: what reaches
the intake service, and the 4xx problems for everything malformed."""

import io

import pytest

from gateway.rpc import RemoteError

PROBLEM = "application/problem+json"
PDF = b"%PDF-1.7\n1 0 obj\n"
APPLICATION = {
    "item_code": "MR-001",
    "applicant": {"kind": "person", "name": "张三", "id_number": "11010519491231002X"},
    "materials": ["application_form", {"code": "id_card", "document_id": "a1b2c3"}],
}
PAGE = {"items": [], "total": 0, "page": 1, "page_size": 20}


def problem_of(response, status):
    assert response.status_code == status, response.get_json()
    assert response.mimetype == PROBLEM
    return response.get_json()


def test_the_catalog_is_searched_with_query_parameters_and_no_login(client, fake_rpc):
    fake_rpc.answer("intake", "list_items", PAGE)
    answer = client.get("/api/v1/items?q=食品 许可&department=market_regulation&kind=promised&page=2&page_size=5")
    assert answer.status_code == 200
    [call] = fake_rpc.calls_to("intake", "list_items")
    assert call.kwargs == {
        "query": "食品 许可",
        "department": "market_regulation",
        "kind": "promised",
        "page": 2,
        "page_size": 5,
    }


@pytest.mark.parametrize(
    "query, field",
    [
        ("page=0", "page"),
        ("page=two", "page"),
        ("page_size=101", "page_size"),
        ("kind=someday", "kind"),
        ("q=" + "x" * 101, "q"),
        ("colour=red", "colour"),
        ("page=1&page=2", "page"),
    ],
)
def test_bad_catalog_queries_are_400_problems_naming_the_parameter(client, fake_rpc, query, field):
    fake_rpc.answer("intake", "list_items", PAGE)
    body = problem_of(client.get(f"/api/v1/items?{query}"), 400)
    assert [e["field"] for e in body["errors"]] == [field]
    assert fake_rpc.calls_to("intake", "list_items") == []


def test_departments_are_public(client, fake_rpc):
    fake_rpc.answer(
        "intake",
        "list_departments",
        [{"code": "health", "name_zh": "卫生健康委员会", "name_en": "Health Commission", "item_count": 5}],
    )
    assert client.get("/api/v1/departments").get_json()["departments"][0]["item_count"] == 5


def test_an_application_may_reference_shared_documents(client, fake_rpc):
    fake_rpc.answer(
        "intake",
        "submit_case",
        {"case_no": "20261126000001", "query_code": "ABCD2345", "status": "submitted", "created": True},
    )
    assert client.post("/api/v1/cases", json=APPLICATION).status_code == 201
    assert fake_rpc.calls_to("intake", "submit_case")[0].args == (APPLICATION,)


@pytest.mark.parametrize(
    "body, field",
    [
        ({**APPLICATION, "surprise": 1}, "body"),
        ({**APPLICATION, "item_code": 42}, "item_code"),
        ({**APPLICATION, "applicant": {**APPLICATION["applicant"], "name": "名" * 101}}, "applicant.name"),
        ({**APPLICATION, "materials": [{"code": "id_card", "document_id": "x", "extra": 1}]}, "materials.0"),
        ({**APPLICATION, "form": {"x" * 65: "too long a name"}}, "form"),
        ({**APPLICATION, "form": {"area": {"nested": 1}}}, "form.area"),
    ],
)
def test_malformed_applications_are_422_problems_and_never_reach_intake(client, fake_rpc, body, field):
    answer = problem_of(client.post("/api/v1/cases", json=body), 422)
    assert field in [e["field"] for e in answer["errors"]]
    assert fake_rpc.calls == []


def test_not_json_is_400_or_415(client, fake_rpc):
    problem_of(client.post("/api/v1/cases", data="{not json", content_type="application/json"), 400)
    problem_of(client.post("/api/v1/cases", data="item_code=MR-001"), 415)
    assert fake_rpc.calls == []


def test_a_malformed_case_number_is_400_everywhere(client, fake_rpc, bearer):
    problem_of(client.get("/api/v1/public/cases/2026-11-26?query_code=ABCD2345"), 400)
    problem_of(client.get("/api/v1/cases/123", headers=bearer("clerk")), 400)
    problem_of(
        client.post("/api/v1/public/cases/abc/supplements", json={"query_code": "ABCD2345", "materials": ["x"]}), 400
    )
    problem_of(client.post("/api/v1/cases/abc/collection", json={"how": "post"}, headers=bearer("clerk")), 400)
    assert fake_rpc.calls == []


def test_supplements_go_to_intake_with_the_query_code(client, fake_rpc):
    fake_rpc.answer("intake", "supply_materials", {"case_no": "20261126000001", "status": "submitted"})
    answer = client.post(
        "/api/v1/public/cases/20261126000001/supplements",
        json={"query_code": "ABCD2345", "materials": ["safety_rules"]},
    )
    assert answer.status_code == 200
    assert fake_rpc.calls_to("intake", "supply_materials")[0].args == ("20261126000001", "ABCD2345", ["safety_rules"])


@pytest.mark.parametrize(
    "body",
    [
        {"query_code": "ABCD2345", "materials": []},
        {"materials": ["x"]},
        {"query_code": "ABCD2345", "materials": ["x"], "who": "me"},
    ],
)
def test_bad_supplements_are_422(client, fake_rpc, body):
    problem_of(client.post("/api/v1/public/cases/20261126000001/supplements", json=body), 422)


def test_only_the_intake_clerk_records_a_collection(client, fake_rpc, bearer):
    fake_rpc.answer("intake", "record_collection", {"case_no": "20261126000001", "status": "collected"})
    path = "/api/v1/cases/20261126000001/collection"
    problem_of(client.post(path, json={"how": "post"}), 401)
    problem_of(client.post(path, json={"how": "post"}, headers=bearer("reviewer")), 403)
    problem_of(client.post(path, json={"how": "by pigeon"}, headers=bearer("clerk")), 422)
    assert client.post(path, json={"how": "post", "note": "EMS 1"}, headers=bearer("clerk")).status_code == 200
    [call] = fake_rpc.calls_to("intake", "record_collection")
    assert call.args[:2] == ("20261126000001", "post") and call.args[2]["username"] == "clerk"
    assert call.kwargs == {"note": "EMS 1", "idempotency": None}


def test_staff_search_passes_filters_and_the_caller(client, fake_rpc, bearer):
    fake_rpc.answer("intake", "search_cases", {"cases": [], "total": 0, "page": 1, "page_size": 20})
    problem_of(client.get("/api/v1/cases"), 401)
    answer = client.get(
        "/api/v1/cases?applicant_id=11010519491231002X&status=accepted&submitted_from=2026-11-01",
        headers=bearer("reviewer"),
    )
    assert answer.status_code == 200
    [call] = fake_rpc.calls_to("intake", "search_cases")
    assert call.args[0]["department"] == "market_regulation"
    assert call.args[1] == {"applicant_id": "11010519491231002X", "status": "accepted", "submitted_from": "2026-11-01"}
    for query in ("status=lost", "submitted_from=1.11.2026", "applicant_id=123", "sort=name"):
        problem_of(client.get(f"/api/v1/cases?{query}", headers=bearer("clerk")), 400)


def upload(client, content=PDF, filename="licence.pdf", content_type="application/pdf", **fields):
    data = {"applicant_kind": "company", "applicant_id": "91350100M000100Y43", **fields}
    if content is not None:
        data["file"] = (io.BytesIO(content), filename, content_type)
    return client.post("/api/v1/materials", data=data, content_type="multipart/form-data")


def test_a_document_upload_reaches_intake_as_base64(client, fake_rpc):
    fake_rpc.answer("intake", "store_material", {"document_id": "d1", "created": True})
    assert upload(client).status_code == 201
    [call] = fake_rpc.calls_to("intake", "store_material")
    assert call.args == ("company", "91350100M000100Y43", "licence.pdf", "JVBERi0xLjcKMSAwIG9iago=")


def test_an_oversized_upload_is_413(client, fake_rpc, app):
    app.config["MATERIAL_MAX_BYTES"] = 1024
    problem_of(upload(client, PDF + b"0" * 1024), 413)
    app.config["MATERIAL_MAX_BYTES"] = 10 * 1024 * 1024
    problem_of(upload(client, PDF + b"0" * (5 * 1024 * 1024)), 413)  # beyond the gateway's request limit
    assert fake_rpc.calls == []


@pytest.mark.parametrize(
    "content, content_type",
    [
        (b"MZ\x90\x00 a program", "application/pdf"),
        (b"plain text", "text/plain"),
        (PDF, "image/png"),
    ],
)
def test_a_file_that_is_not_pdf_jpeg_or_png_is_415(client, fake_rpc, content, content_type):
    problem_of(upload(client, content, content_type=content_type), 415)
    assert fake_rpc.calls == []


def test_an_upload_that_is_not_multipart_is_415_and_a_bad_form_422(client, fake_rpc):
    problem_of(client.post("/api/v1/materials", json={"file": "JVBERi0="}), 415)
    assert [e["field"] for e in problem_of(upload(client, content=None), 422)["errors"]] == ["file"]
    assert [e["field"] for e in problem_of(upload(client, owner="me"), 422)["errors"]] == ["owner"]
    assert fake_rpc.calls == []


def test_staff_download_a_document_with_its_stored_media_type(client, fake_rpc, bearer):
    fake_rpc.answer(
        "intake",
        "get_material_content",
        {"filename": "营业执照.pdf", "content_type": "application/pdf", "content_base64": "JVBERi0xLjcKMSAwIG9iago="},
    )
    path = "/api/v1/materials/a1b2c3/content"
    problem_of(client.get(path), 401)
    answer = client.get(path, headers=bearer("reviewer"))
    assert answer.status_code == 200 and answer.mimetype == "application/pdf" and answer.data == PDF
    assert answer.headers["Content-Disposition"] == (
        "attachment; filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.pdf"
    )
    [call] = fake_rpc.calls_to("intake", "get_material_content")
    assert call.args[0] == "a1b2c3" and call.args[1]["department"] == "market_regulation"


def test_a_foreign_or_missing_document_is_a_404_problem(client, fake_rpc, bearer):
    fake_rpc.answer(
        "intake",
        "get_material_content",
        raises=RemoteError("intake", {"exc_type": "NotFound", "exc_args": ["no shared document x", []]}),
    )
    problem_of(client.get("/api/v1/materials/x/content", headers=bearer("reviewer")), 404)
    problem_of(client.get(f"/api/v1/materials/{'x' * 65}/content", headers=bearer("clerk")), 404)
