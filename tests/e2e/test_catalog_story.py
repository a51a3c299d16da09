"""The catalog managed through the gateway: an admin creates an item bound to a pinned
process version, publishes it, an applicant applies, the item is edited and published
again, the first case keeps the version (name, fees, process) it was submitted under, and
the retired item refuses new applications while its cases go on."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from nameko.standalone.events import event_dispatcher

from tests.waiting import eventually

PROBLEM = "application/problem+json"
PERSON = {"kind": "person", "name": "孙八", "id_number": "11010519491231002X"}
ITEM = {
    "department": "market_regulation",
    "code": "MR-901",
    "name_zh": "营业性演出许可",
    "name_en": "Licence for commercial performances",
    "kind": "promised",
    "legal_limit_days": 20,
    "promised_limit_days": 10,
    "visits": 1,
    "process_key": "promised_item",
    "process_version": 1,
    "legal_basis": "《营业性演出管理条例》第六条",
    "materials": [{"code": "application_form", "name": "申请书", "form": "paper", "required": True}],
    "fees": [{"code": "licence_fee", "name": "许可证工本费", "amount_fen": 1000, "basis": "价费字〔1992〕"}],
}
APPLICATION = {"item_code": "MR-901", "applicant": PERSON, "materials": ["application_form"]}
ITEM_PATH = "/api/v1/catalog/items/MR-901"


def hall_day(days=0):
    return (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=days)).date().isoformat()


def problem_fields(answer, status):
    assert answer.status_code == status and answer.headers["Content-Type"] == PROBLEM, answer.text
    return [e["field"] for e in answer.json().get("errors", [])]


def notice_total(platform, gateway, receipt):
    event_dispatcher({"AMQP_URI": platform.broker.amqp_uri})(
        "approval",
        "payment_required",
        {
            "case_no": receipt["case_no"],
            "item_code": "MR-901",
            "department": "market_regulation",
            "requested_at": "2026-11-26T02:00:00+00:00",
        },
    )
    path = f"/api/v1/cases/{receipt['case_no']}/payment"
    return eventually(
        lambda: (a := gateway.get(path, as_user="cashier")).status_code == 200 and a.json(), "the payment notice"
    )["total_fen"]


def test_an_item_is_created_published_applied_for_edited_and_retired(platform, gateway):
    assert problem_fields(gateway.post("/api/v1/catalog/items", as_user="designer", json=ITEM), 403) == []
    assert problem_fields(
        gateway.post("/api/v1/catalog/items", as_user="admin", json=dict(ITEM, kind="sometimes")), 422
    ) == ["kind"]
    assert problem_fields(
        gateway.post("/api/v1/catalog/items", as_user="admin", json=dict(ITEM, process_version=999)), 422
    ) == ["process_version"]
    created = gateway.post("/api/v1/catalog/items", as_user="admin", json=ITEM)
    assert created.status_code == 201, created.text
    assert (created.json()["status"], created.json()["latest_version"]) == ("draft", 1)
    assert gateway.get("/api/v1/items/MR-901").status_code == 404
    assert gateway.post("/api/v1/cases", json=APPLICATION).status_code == 404

    scheduled = gateway.post(f"{ITEM_PATH}/publication", as_user="admin", json={"effective_from": hall_day(2)})
    assert scheduled.json()["status"] == "scheduled"
    assert problem_fields(gateway.post("/api/v1/cases", json=APPLICATION), 422) == ["item_code"]
    published = gateway.post(f"{ITEM_PATH}/publication", as_user="admin", json={"effective_from": hall_day()})
    assert published.status_code == 200 and published.json()["status"] == "in_force"
    first = gateway.post("/api/v1/cases", json=APPLICATION).json()
    assert first["item_version"] == 1
    process = eventually(
        lambda: (
            (a := gateway.get(f"/api/v1/cases/{first['case_no']}/process", as_user="admin")).status_code == 200
            and a.json()
        ),
        "the case's process",
    )
    assert (process["process_key"], process["process_version"]) == ("promised_item", 1)  # the pinned version

    assert problem_fields(gateway.request("PATCH", ITEM_PATH, as_user="designer", json={"visits": 2}), 403) == [
        "visits"
    ]
    latest = gateway.request("PATCH", ITEM_PATH, as_user="designer", json={"process_version": None})
    assert latest.status_code == 200 and latest.json()["created"] is True and latest.json()["latest_version"] == 2
    edited = gateway.request(
        "PATCH",
        ITEM_PATH,
        as_user="admin",
        json={
            "name_zh": "营业性演出许可（变更）",
            "fees": [{"code": "licence_fee", "name": "许可证工本费", "amount_fen": 2000, "basis": "价费字〔1992〕"}],
        },
    )
    assert edited.json()["latest_version"] == 3 and edited.json()["version_in_force"] == 1
    gateway.post(f"{ITEM_PATH}/publication", as_user="admin", json={"effective_from": hall_day()})
    assert gateway.get("/api/v1/items/MR-901").json()["version"] == 3
    second = gateway.post("/api/v1/cases", json=APPLICATION).json()
    assert second["item_version"] == 3

    old = gateway.get(f"/api/v1/cases/{first['case_no']}", as_user="clerk").json()
    assert (old["item_version"], old["item_name"]) == (1, "营业性演出许可")
    assert notice_total(platform, gateway, first) == 1000  # the fee of the version it was submitted under
    assert notice_total(platform, gateway, second) == 2000

    versions = gateway.get(f"{ITEM_PATH}/versions", as_user="designer").json()["versions"]
    assert [(v["version"], v["created_by"], v["changed"]) for v in versions[1:]] == [
        (2, "designer", ["process_version"]),
        (3, "admin", ["fees", "name_zh"]),
    ]
    assert versions[0]["created_by"] == "admin" and versions[0]["item"]["process_version"] == 1
    audit = gateway.get(f"{ITEM_PATH}/audit", as_user="admin").json()["changes"]
    assert [(c["action"], c["actor"]) for c in audit] == [
        ("created", "admin"),
        ("published", "admin"),
        ("published", "admin"),
        ("edited", "designer"),
        ("edited", "admin"),
        ("published", "admin"),
    ]
    assert audit[4]["changes"]["fees"]["to"][0]["amount_fen"] == 2000

    retired = gateway.post(f"{ITEM_PATH}/retirement", as_user="admin", json={"reason": "并入 MR-002"})
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    refused = gateway.post("/api/v1/cases", json=APPLICATION)
    assert problem_fields(refused, 422) == ["item_code"] and "retired" in refused.json()["detail"]
    assert "MR-901" not in {i["code"] for i in gateway.get("/api/v1/items", params={"q": "演出"}).json()["items"]}
    assert gateway.get(f"/api/v1/cases/{first['case_no']}", as_user="clerk").json()["item_version"] == 1
