"""The supervisor's page: warnings filtered by level and department, an accountability record
acknowledged and closed through its form, complaints moved along, rates for a chosen period."""

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.hall import PERSON, apply, complete, decided_case, move_clock
from tests.waiting import eventually

COMPANY_CHANGE = {
    "item_code": "MR-004",
    "applicant": PERSON,
    "materials": ["application_form", "resolution", "business_license"],
}
TAX_CLEARANCE = {"item_code": "TX-004", "applicant": PERSON, "materials": ["application_form", "business_license"]}


@pytest.fixture
def clock(gateway):
    yield lambda moment: move_clock(gateway, moment)
    move_clock(gateway, None)


def deadline_of(gateway, case_no):
    def probe():
        answer = gateway.get(f"/api/v1/supervision/cases/{case_no}", as_user="supervisor")
        return answer.status_code == 200 and answer.json()["deadline"]

    return datetime.fromisoformat(eventually(probe, f"the deadline of {case_no}"))


def accepted(gateway, application):
    case_no = apply(gateway, application)["case_no"]
    complete(gateway, "clerk", case_no, {"intake_decision": "accept"})
    return case_no


def call_a_ticket(gateway, window=5):
    """A ticket issued and called, so that the hall has an average queue wait."""
    assert gateway.post("/api/v1/queue/tickets", json={"category": "C"}).status_code == 201
    while (called := gateway.post(f"/api/v1/queue/windows/{window}/call", as_user="window")).status_code == 409:
        gateway.post(f"/api/v1/queue/windows/{window}/finish", as_user="window")
    assert called.status_code == 200, called.text
    eventually(
        lambda: gateway.get("/api/v1/stats", as_user="supervisor").json()["queue"]["called"],
        "the call in the statistics",
    )


def test_a_supervisor_filters_warnings_closes_a_record_and_picks_the_period(pages, gateway, clock):
    decided_case(gateway)
    call_a_ticket(gateway)
    late, taxes = accepted(gateway, COMPANY_CHANGE), accepted(gateway, TAX_CLEARANCE)
    clock(max(deadline_of(gateway, late), deadline_of(gateway, taxes)) + timedelta(minutes=1))
    eventually(
        lambda: [
            r
            for r in gateway.get("/api/v1/supervision/accountability", as_user="supervisor").json()["records"]
            if r["case_no"] == late
        ],
        "the accountability record",
    )

    page = pages.open("/supervision")
    pages.sign_in(page, "supervisor")
    warnings = page.locator("#warnings")
    expect(warnings).to_contain_text(late)
    expect(warnings).to_contain_text(taxes)
    page.get_by_label("级别").select_option("red")
    page.get_by_label("部门", exact=True).select_option("market_regulation")
    expect(warnings).to_contain_text(late)
    expect(warnings).not_to_contain_text(taxes)
    expect(warnings.locator("tr").first).to_contain_text("红牌")
    page.get_by_label("级别").select_option("yellow")
    expect(warnings).not_to_contain_text(late)

    record = page.locator(f'#records tr[data-case="{late}"]')
    record.get_by_role("button", name="确认", exact=True).click()
    expect(record).to_contain_text("已确认")
    record.get_by_role("button", name="办结", exact=True).click()
    expect(page.get_by_label("处理结果")).to_be_focused()
    page.get_by_role("button", name="办结问责", exact=True).click()
    expect(page.locator(".inline-form .field-error")).to_have_text(["必填"])
    page.get_by_label("处理结果").fill("已约谈窗口负责人，办件次日办结")
    pages.screenshot(page, "supervision-close-record")
    page.get_by_role("button", name="办结问责", exact=True).click()
    expect(record).to_contain_text("已办结")
    expect(record).to_contain_text("已约谈窗口负责人")

    expect(page.locator("#on-time-rate")).to_have_text(re.compile(r"^\d+\.\d%$"))
    expect(page.locator("#average-wait")).to_have_text(re.compile(r"^\d+ 分 \d+ 秒$"))
    page.get_by_label("开始日期").fill("2026-02-01")
    page.get_by_label("结束日期").fill("2026-01-31")
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.locator("#period .field-error")).to_have_text(["应不晚于结束日期"])
    page.get_by_label("开始日期").fill("2026-01-01")
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.locator("#rates-period")).to_have_text("2026-01-01 – 2026-01-31")
    expect(page.locator("#on-time-rate")).to_have_text("—")
    expect(page.locator("#cases-submitted")).to_have_text("0")
    expect(page.locator("#average-wait")).to_have_text("—")
    pages.screenshot(page, "supervision")


def test_a_supervisor_accepts_a_new_complaint_and_must_note_a_resolution(pages, gateway):
    filed = gateway.post("/api/v1/complaints", json={"category": "efficiency", "content": "窗口排队过久"})
    assert filed.status_code == 201, filed.text
    number = filed.json()["complaint_no"]
    page = pages.open("/supervision")
    pages.sign_in(page, "supervisor")
    row = page.locator(f'#complaints tr[data-complaint="{number}"]')
    expect(row).to_contain_text("已登记")
    row.get_by_role("button", name="受理", exact=True).click()
    row.get_by_role("button", name="开始调查", exact=True).click()
    row.get_by_role("button", name="处理完毕", exact=True).click()
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator(".inline-form .field-error")).to_have_text(["必填"])
    page.get_by_label("说明").fill("已督促窗口增开受理台")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(row).to_contain_text("已处理")


def test_a_supervisor_closes_a_bad_reviews_rectification_with_the_call_back(pages, gateway):
    receipt = decided_case(gateway)
    rated = gateway.post(
        "/api/v1/evaluations",
        json={
            "case_no": receipt["case_no"],
            "query_code": receipt["query_code"],
            "level": 1,
            "comment": "等了三个小时",
        },
    )
    assert rated.status_code == 201, rated.text
    page = pages.open("/supervision")
    pages.sign_in(page, "supervisor")
    row = page.locator("#reviews tr", has_text=receipt["case_no"])
    expect(row).to_contain_text("等了三个小时")
    row.get_by_role("button", name="整改完成", exact=True).click()
    page.get_by_label("整改措施").fill("高峰时段增开两个窗口")
    page.get_by_role("button", name="提交整改", exact=True).click()
    expect(page.locator(".inline-form .field-error")).to_have_text(["必填"])
    expect(page.get_by_label("回访情况")).to_be_focused()
    page.get_by_label("回访情况").fill("已电话回访，申请人认可")
    page.get_by_role("button", name="提交整改", exact=True).click()
    expect(page.locator("#reviews")).not_to_contain_text(receipt["case_no"])
    done = gateway.get("/api/v1/evaluations/rectifications", as_user="supervisor", params={"status": "done"}).json()
    notes = [e["callback_note"] for e in done["evaluations"] if e["case_no"] == receipt["case_no"]]
    assert notes == ["已电话回访，申请人认可"]
