"""Applicants on their phones: the catalog, and following a case with its number and query code."""
from playwright.sync_api import expect

from tests.browser.hall import apply, task_of
from tests.waiting import eventually

PHONE = (390, 844)


def test_an_applicant_finds_their_cases_status_on_a_phone(pages, gateway):
    receipt = apply(gateway)
    eventually(lambda: task_of(gateway, "clerk", receipt["case_no"]), "the intake task")
    page = pages.open("/", viewport=PHONE)

    page.get_by_label("办件编号", exact=True).fill(receipt["case_no"])
    page.get_by_label("查询码", exact=True).fill(receipt["query_code"].lower())
    page.get_by_label("查询码", exact=True).press("Enter")

    expect(page.locator("#case-status")).to_have_text("已提交，等待受理")
    expect(page.locator("#case-view")).to_contain_text("等待窗口受理")
    expect(page.locator("#case-view")).to_contain_text("食品经营许可")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    pages.screenshot(page, "applicant-case-phone")

    page.get_by_role("button", name="English").click()
    expect(page.locator("#case-status")).to_have_text("Submitted, waiting for acceptance")


def test_a_wrong_query_code_tells_the_applicant_nothing_about_the_case(pages, gateway, console):
    console.allow(r"status of 404")
    receipt = apply(gateway)
    page = pages.open("/", viewport=PHONE)
    page.get_by_label("办件编号", exact=True).fill(receipt["case_no"])
    page.get_by_label("查询码", exact=True).fill("WRONG234")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#lookup-error")).to_have_text("未找到：请核对办件编号和查询码。")
    expect(page.locator("#case-view")).to_be_hidden()


def test_an_applicant_supplies_the_missing_materials_the_clerk_asked_for(pages, gateway):
    receipt = apply(gateway)
    accept = eventually(lambda: task_of(gateway, "clerk", receipt["case_no"]), "the intake task")
    asked = gateway.post(f"/api/v1/tasks/{accept['id']}/complete", as_user="clerk", json={"data": {
        "intake_decision": "supplement", "missing_materials": "safety_rules", "reason": "缺少管理制度"}})
    assert asked.status_code == 200, asked.text
    page = pages.open(f"/?case_no={receipt['case_no']}&query_code={receipt['query_code']}", viewport=PHONE)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#case-status")).to_have_text("等待补正材料")

    page.get_by_role("button", name="提交材料").click()

    expect(page.locator("#case-status")).not_to_have_text("等待补正材料", timeout=15_000)
    eventually(lambda: task_of(gateway, "clerk", receipt["case_no"]), "the intake task again")


def test_the_catalog_shows_materials_limits_and_fees(pages, gateway):
    page = pages.open("/")
    page.get_by_role("tab", name="事项清单").click()
    page.get_by_role("searchbox", name="搜索事项").fill("食品经营许可")
    page.get_by_role("searchbox", name="搜索事项").press("Enter")
    expect(page.locator("#catalog-items article h2")).to_contain_text(["食品经营许可", "食品经营许可"])
    item = page.locator("#catalog-items article").filter(has_text="MR-003")
    expect(item).to_contain_text("承诺时限")
    item.get_by_text("申请材料").click()
    expect(item).to_contain_text("食品安全管理制度")
    pages.screenshot(page, "applicant-catalog")
