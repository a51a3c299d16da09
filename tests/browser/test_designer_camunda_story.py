"""A process designer's own Camunda Modeler 7 diagram, from upload to a real case's outcome, all
on the pages: the designer opens the saved file on /designer and deploys it, maps the role it
names that the hall does not know ("Inspector"), and test-runs it to its end on the canvas; an
admin creates a new catalog item on /catalog, the designer binds it to the process there, the
admin publishes it; an applicant's case of that item is worked on /work with the generated form
(camunda:formData, checked by the page and by the service) and the task's documentation shown
as its instructions, and the applicant reads the named outcome."""

import json
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.hall import PERSON, apply, task_of
from tests.waiting import eventually

DIAGRAM = Path(__file__).resolve().parents[1] / "fixtures" / "camunda_street_stall_permit.bpmn"
KEY = "street_stall_permit"
CODE = "MR-960"
INSTRUCTIONS = "核对摊位位置与申请一致。\n占道面积超过 10 平方米的，须拍照存档。"
MATERIALS = [{"code": "application_form", "name": "申请书", "form": "paper", "required": True}]


def shape(page, element_id):
    return page.locator(f'#canvas .djs-element[data-element-id="{element_id}"]')


def designer_deploys_maps_and_test_runs(pages):
    page = pages.open("/designer", viewport=(1400, 1000))
    pages.sign_in(page, "designer")
    expect(page.locator("#versions tr").first).to_be_visible()
    page.get_by_label(re.compile("^打开文件")).set_input_files(DIAGRAM)
    expect(page.locator("#opened")).to_have_text(f"已打开文件 {DIAGRAM.name}，尚未部署")
    page.get_by_role("button", name="校验并部署为新版本").click()
    expect(page.locator("#designer-result")).to_have_text(
        f"已部署 {KEY} 第 1 版。 未映射的角色：Inspector（见下方角色映射）。"
    )

    expect(page.locator("#role-findings")).to_contain_text("未映射的角色：Inspector")
    page.get_by_label("Inspector 对应的大厅角色").select_option("reviewer")
    page.get_by_label("Inspector 的部门").select_option("market_regulation")
    page.get_by_role("button", name="保存角色映射").click()
    expect(page.locator("#role-findings")).to_have_text("所有角色均为大厅角色或已映射。")

    page.get_by_role("button", name="试运行所选版本").click()
    inspect = page.locator('#run-tasks form[data-element="Activity_inspect"]')
    expect(inspect.locator(".instructions")).to_have_text(INSTRUCTIONS)
    expect(shape(page, "Activity_inspect")).to_have_class(re.compile(r"\brun-waiting\b"))
    inspect.locator('[name="area"]').fill("8")
    inspect.locator('[name="inspected_on"]').fill("2026-05-04")
    inspect.locator('[name="site_safe"]').check()
    inspect.get_by_role("button", name="以任意角色完成").click()
    sign = page.locator('#run-tasks form[data-element="Activity_sign"]')
    expect(sign.locator('[name="permit_term"]')).to_have_value("90")
    sign.get_by_role("button", name="以任意角色完成").click()
    expect(page.locator("#run-status")).to_contain_text("已结束，结果：准予许可")
    expect(shape(page, "Event_granted")).to_have_class(re.compile(r"\brun-done\b"))
    expect(shape(page, "Event_refused")).not_to_have_class(re.compile(r"\brun-done\b"))
    pages.screenshot(page, "designer-camunda-story-test-run")


def catalog_page(pages, user):
    page = pages.open("/catalog", viewport=(1400, 1000))
    pages.sign_in(page, user)
    expect(page.locator("#catalog-items tr").first).to_be_visible()
    return page


def open_item(page):
    page.locator("#catalog-items tr", has_text=CODE).get_by_role("button", name="打开").click()
    expect(page.locator("#item-title")).to_contain_text(CODE)


def item_created_bound_and_published(pages):
    admin = catalog_page(pages, "admin")
    admin.get_by_role("button", name="新建事项").click()
    admin.get_by_label("部门").select_option("market_regulation")
    admin.get_by_label("编码").fill(CODE)
    admin.get_by_label("类型").select_option("promised")
    admin.get_by_label("名称（中文）").fill("临时占道经营许可")
    admin.get_by_label("名称（英文）").fill("Street stall permit")
    admin.get_by_label("法定时限（工作日）").fill("20")
    admin.get_by_label("承诺时限（工作日）").fill("5")
    admin.get_by_label("跑动次数").fill("1")
    admin.get_by_label("设定依据").fill("《城市道路管理条例》第三十一条")
    admin.get_by_label("申请材料（JSON）").fill(json.dumps(MATERIALS, ensure_ascii=False))
    admin.get_by_role("button", name="保存为新版本").click()
    expect(admin.locator("#item-result")).to_have_text("已新建（草稿），发布后受理申请。")

    designer = catalog_page(pages, "designer")
    open_item(designer)
    designer.get_by_label("流程", exact=True).select_option(KEY)
    expect(designer.get_by_label("版本策略")).to_have_value("")  # always the latest version
    designer.get_by_role("button", name="保存为新版本").click()
    expect(designer.locator("#item-result")).to_have_text("已保存为版本 2，发布后生效。")
    expect(designer.locator("#catalog-items tr", has_text=CODE)).to_contain_text(f"{KEY} · 最新版本")

    open_item(admin)
    expect(admin.locator("#publish-version")).to_have_value("2")
    admin.locator("#publish-form").get_by_role("button", name="发布").click()
    expect(admin.locator("#item-title")).to_contain_text("现行有效")


def open_task(pages, user, case_no):
    work = pages.open("/work", viewport=(1280, 1000))
    pages.sign_in(work, user)
    work.get_by_role("link", name=case_no).click()
    expect(work.locator("#task-title")).to_contain_text(case_no)
    return work


def test_a_camunda_modeler_diagram_goes_from_upload_to_a_real_cases_named_outcome(pages, gateway, console):
    console.allow(r"status of 422")  # the area over the form's maximum, refused by the service on purpose
    designer_deploys_maps_and_test_runs(pages)
    item_created_bound_and_published(pages)

    receipt = apply(gateway, {"item_code": CODE, "applicant": PERSON, "materials": ["application_form"]})
    assert receipt["item_version"] == 2
    eventually(lambda: task_of(gateway, "reviewer", receipt["case_no"]), "the inspection in the reviewers' list")
    reviewer = open_task(pages, "reviewer", receipt["case_no"])
    expect(reviewer.locator("#task-instructions")).to_be_visible()
    expect(reviewer.locator("#task-instructions-text")).to_have_text(INSTRUCTIONS)
    expect(reviewer.get_by_label("日用品")).to_be_checked()  # the enum's default value
    reviewer.get_by_label(re.compile("^占道面积")).fill("80")
    reviewer.get_by_role("button", name="办理完成").click()
    expect(reviewer.locator(".field-error")).to_have_text(["必填"])  # inspected_on: nothing is sent
    reviewer.get_by_label(re.compile("^核查日期")).fill("2026-05-04")
    reviewer.get_by_label("不影响通行").check()
    reviewer.get_by_role("button", name="办理完成").click()
    expect(reviewer.locator("#field-area-error")).to_have_text("must be at most 50")  # the service's 422
    reviewer.get_by_label(re.compile("^占道面积")).fill("8")
    reviewer.get_by_label(re.compile("^核查意见")).fill("位置相符")
    reviewer.get_by_role("button", name="办理完成").click()
    expect(reviewer.locator("#task-done")).to_contain_text("已办理")

    eventually(lambda: task_of(gateway, "chief", receipt["case_no"]), "the signing in the chief's list")
    chief = open_task(pages, "chief", receipt["case_no"])
    expect(chief.locator("#task-instructions")).to_be_hidden()
    expect(chief.get_by_label(re.compile("^许可期限"))).to_have_value("90")
    chief.get_by_role("button", name="办理完成").click()
    expect(chief.locator("#task-done")).to_contain_text("已办理")

    applicant = pages.open(f"/?case_no={receipt['case_no']}&query_code={receipt['query_code']}")
    applicant.get_by_role("button", name="查询").click()
    expect(applicant.locator("#case-outcome")).to_have_text("准予许可")
    process = gateway.get(f"/api/v1/cases/{receipt['case_no']}/process", as_user="admin").json()
    done = {entry["element_id"]: entry["data"] for entry in process["audit"] if entry["kind"] == "task_completed"}
    assert done["Activity_inspect"] == {
        "area": 8,
        "stall_kind": "goods",
        "inspected_on": "2026-05-04",
        "site_safe": True,
        "inspection_note": "位置相符",
    }
    assert (process["process_key"], process["process_version"]) == (KEY, 1)
