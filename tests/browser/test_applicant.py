"""Applicants on their phones: the catalog, following a case with its number and query code,
supplements, evaluations, appointments and complaints — through the public pages only."""

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.browser.hall import PERSON, apply, decided_case, task_of
from tests.waiting import eventually

PHONE = (390, 844)


def free_day(gateway, category):
    """The first day from tomorrow with a free appointment slot in `category`."""
    for ahead in range(1, 10):
        day = (date.today() + timedelta(days=ahead)).isoformat()
        answer = gateway.get("/api/v1/queue/appointments/slots", params={"category": category, "day": day})
        if answer.status_code == 200 and any(s["free"] for s in answer.json()["slots"]):
            return day
    raise AssertionError(f"no free appointment slot in category {category} in the next days")


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
    expect(page.locator("#evaluation")).to_be_hidden()  # 好差评 comes with the result
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
    asked = gateway.post(
        f"/api/v1/tasks/{accept['id']}/complete",
        as_user="clerk",
        json={"data": {"intake_decision": "supplement", "missing_materials": "safety_rules", "reason": "缺少管理制度"}},
    )
    assert asked.status_code == 200, asked.text
    page = pages.open(f"/?case_no={receipt['case_no']}&query_code={receipt['query_code']}", viewport=PHONE)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#case-status")).to_have_text("等待补正材料")
    expect(page.locator("#missing-materials")).to_have_text("食品安全管理制度")  # its name, not its code
    expect(page.get_by_label("食品安全管理制度")).to_be_checked()

    page.get_by_role("button", name="提交材料").click()

    expect(page.locator("#case-status")).to_have_text("已提交，等待受理", timeout=15_000)
    expect(page.locator("#current-step")).not_to_contain_text("等待补正")
    pages.screenshot(page, "applicant-supplements-phone")
    eventually(lambda: task_of(gateway, "clerk", receipt["case_no"]), "the intake task again")


def test_the_catalog_shows_materials_limits_and_fees(pages, gateway):
    page = pages.open("/")
    page.get_by_role("tab", name="事项清单").click()
    page.get_by_role("searchbox", name="搜索事项").fill("食品经营许可")
    page.get_by_role("searchbox", name="搜索事项").press("Enter")
    expect(page.locator("#catalog-items article h2")).to_contain_text(["食品经营许可", "食品经营许可"])
    item = page.locator("#catalog-items article").filter(has_text="MR-003")
    expect(item).to_contain_text("受理后 10 个工作日")
    page.get_by_role("searchbox", name="搜索事项").fill("个体工商户设立登记")
    page.get_by_role("searchbox", name="搜索事项").press("Enter")
    immediate = page.locator("#catalog-items article").filter(has_text="MR-001")
    expect(immediate).to_contain_text("即办件，当场办结")
    expect(immediate).not_to_contain_text("0 个工作日")
    page.get_by_role("searchbox", name="搜索事项").fill("食品经营许可")
    page.get_by_role("searchbox", name="搜索事项").press("Enter")
    item.get_by_text("申请材料").click()
    expect(item).to_contain_text("食品安全管理制度")
    pages.screenshot(page, "applicant-catalog")


def test_an_applicant_rates_a_decided_case_and_a_bad_review_opens_a_rectification(pages, gateway):
    receipt = decided_case(gateway)
    page = pages.open(f"/?case_no={receipt['case_no']}&query_code={receipt['query_code']}", viewport=PHONE)
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.locator("#case-status")).to_have_text("已办结")

    page.get_by_label("评价", exact=True).select_option("2")
    page.get_by_label("意见（可选）").fill("窗口说明不清楚，跑了两次")
    page.get_by_role("button", name="提交评价").click()

    expect(page.get_by_role("status")).to_have_text("感谢您的评价。")
    pages.screenshot(page, "applicant-evaluation-phone")
    bad = gateway.get("/api/v1/evaluations/rectifications", as_user="supervisor").json()["evaluations"]
    assert [e["level"] for e in bad if e["case_no"] == receipt["case_no"]] == [2]


def test_an_applicant_books_an_appointment_and_cancels_it(pages, gateway):
    day = free_day(gateway, "C")
    page = pages.open("/", viewport=PHONE)
    page.get_by_role("tab", name="网上预约").click()
    page.get_by_label("业务类别").select_option("C")
    page.get_by_label("日期").fill(day)
    page.get_by_role("button", name="查看可约时段").click()
    page.get_by_label("时段").select_option(index=0)
    page.locator("#booking").get_by_label("身份证号或统一社会信用代码").fill(PERSON["id_number"].lower())
    page.get_by_role("button", name="预约", exact=True).click()

    booked = page.locator("#appointment-result")
    expect(booked).to_contain_text(f"预约成功：{day}")
    pages.screenshot(page, "applicant-appointment-phone")
    code = re.search(r"预约码 (\S+)。", booked.inner_text()).group(1)
    page.get_by_label("预约码").fill(code)
    page.locator("#cancel-form").get_by_label("身份证号或统一社会信用代码").fill(PERSON["id_number"])
    page.get_by_role("button", name="取消预约").click()

    expect(booked).to_have_text("预约已取消。")
    slots = gateway.get("/api/v1/queue/appointments/slots", params={"category": "C", "day": day}).json()["slots"]
    assert all(s["free"] == 2 for s in slots if s["free"])


def test_an_applicant_files_a_complaint_and_can_follow_it(pages, gateway):
    page = pages.open("/", viewport=PHONE)
    page.get_by_role("tab", name="效能投诉").click()
    page.get_by_label("投诉类别").select_option("investor_hotline")
    page.get_by_label("投诉内容").fill("企业开办材料被要求重复提交")
    page.get_by_label("电话（可选）").fill("13800000000")
    page.get_by_role("button", name="提交投诉").click()

    receipt = page.locator("#complaint-result")
    expect(receipt).to_contain_text("已受理登记")
    pages.screenshot(page, "applicant-complaint-phone")
    number, code = re.search(r"投诉编号 (T\d+)，查询码 (\S+)。", receipt.inner_text()).groups()
    followed = gateway.get(f"/api/v1/public/complaints/{number}", params={"follow_code": code})
    assert followed.status_code == 200 and followed.json()["category"] == "investor_hotline"


def test_every_tab_of_the_applicant_page_fits_a_phone(pages):
    page = pages.open("/", viewport=PHONE)
    for tab in ("办件查询", "事项清单", "网上预约", "效能投诉"):
        page.get_by_role("tab", name=tab).click()
        expect(page.get_by_role("tabpanel")).to_be_visible()
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), tab
    pages.screenshot(page, "applicant-phone")
