"""A process designer moves the running cases of version 1 to version 2 on the designer page:
the dry run says which cases move and which wait in an element version 2 lacks (its id
changed); the designer maps that element onto its successor, runs the dry run again and
migrates; both cases then run on version 2, the moved one's task under its new element."""

from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.browser.hall import PERSON, apply, complete, task_of
from tests.waiting import eventually

KEY = "migration_story"
CODE = "MR-961"
DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_migration"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="migration_story" name="迁移演示 Migration story" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="check" name="审查 Check" camunda:candidateGroups="reviewer">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="{sign}" name="{sign_name}" camunda:candidateGroups="chief">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="signed" name="已签发 Signed"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="{sign}" />
    <bpmn:sequenceFlow id="f3" sourceRef="{sign}" targetRef="signed" />
  </bpmn:process>
</bpmn:definitions>
"""
ITEM = {
    "department": "market_regulation",
    "code": CODE,
    "name_zh": "迁移演示事项",
    "name_en": "Migration story item",
    "kind": "promised",
    "legal_limit_days": 20,
    "promised_limit_days": 10,
    "visits": 1,
    "process_key": KEY,
    "process_version": None,
    "legal_basis": "《行政许可法》第三十四条",
    "materials": [{"code": "application_form", "name": "申请书", "form": "paper", "required": True}],
}


def deploy(gateway, sign, sign_name):
    xml = DIAGRAM.replace("{sign}", sign).replace("{sign_name}", sign_name)
    answer = gateway.post("/api/v1/processes", as_user="designer", json={"xml": xml, "filename": f"{KEY}.bpmn"})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()["version"]


def running_cases_of_version_1(gateway):
    """Two cases of version 1: one waiting in `check`, one in `sign`."""
    assert deploy(gateway, "sign", "签发 Sign") == 1
    assert gateway.post("/api/v1/catalog/items", as_user="admin", json=ITEM).status_code == 201
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    published = gateway.post(
        f"/api/v1/catalog/items/{CODE}/publication", as_user="admin", json={"effective_from": today}
    )
    assert published.status_code == 200, published.text
    application = {"item_code": CODE, "applicant": PERSON, "materials": ["application_form"]}
    waiting_in_check, waiting_in_sign = (apply(gateway, application)["case_no"] for _ in range(2))
    complete(gateway, "reviewer", waiting_in_sign, {})
    eventually(lambda: task_of(gateway, "chief", waiting_in_sign), "the signing task")
    eventually(lambda: task_of(gateway, "reviewer", waiting_in_check), "the check task")
    return waiting_in_check, waiting_in_sign


def test_a_designer_dry_runs_maps_and_migrates_the_running_cases_to_the_next_version(pages, gateway):
    waiting_in_check, waiting_in_sign = running_cases_of_version_1(gateway)
    assert deploy(gateway, "sign_permit", "签发许可 Sign the permit") == 2
    page = pages.open("/designer", viewport=(1400, 1000))
    pages.sign_in(page, "designer")
    expect(page.locator(f"#process option[value={KEY}]")).to_be_attached()
    page.get_by_label("已部署流程").select_option(KEY)
    expect(page.get_by_label("从版本")).to_have_value("1")
    expect(page.get_by_label("到版本")).to_have_value("2")

    page.get_by_role("button", name="试算").click()

    expect(page.locator("#migration-summary")).to_have_text("试算：v1 的 2 个运行中办件，1 个可迁移到 v2，1 个保留。")
    expect(page.locator(f'#migration-cases tr[data-case="{waiting_in_check}"]')).to_contain_text("check可迁移")
    staying = page.locator(f'#migration-cases tr[data-case="{waiting_in_sign}"]')
    expect(staying).to_contain_text("保留not in the target version and not mapped: sign")
    page.get_by_label("sign 在 v2 中对应").select_option("sign_permit")
    expect(page.get_by_role("button", name="迁移可迁移的办件")).to_be_disabled()  # not before a dry run with the map
    page.get_by_role("button", name="试算").click()
    expect(page.locator("#migration-summary")).to_have_text("试算：v1 的 2 个运行中办件，2 个可迁移到 v2，0 个保留。")
    pages.screenshot(page, "designer-migration")
    page.get_by_role("button", name="迁移可迁移的办件").click()

    expect(page.locator("#migration-result")).to_have_text("已迁移 2 个办件到 v2。")
    expect(page.locator("#migration-cases tr")).to_have_text(
        [f"{waiting_in_check}check已迁移—", f"{waiting_in_sign}sign已迁移—"]
    )
    expect(page.locator("#versions tr td:last-child")).to_have_text(["0", "2"])
    for case_no in (waiting_in_check, waiting_in_sign):
        process = gateway.get(f"/api/v1/cases/{case_no}/process", as_user="admin").json()
        assert process["process_version"] == 2
        assert [e["data"]["element_map"] for e in process["audit"] if e["kind"] == "migrated"] == [
            {"sign": "sign_permit"}
        ]
    assert task_of(gateway, "chief", waiting_in_sign)["element_id"] == "sign_permit"
    complete(gateway, "chief", waiting_in_sign, {})
