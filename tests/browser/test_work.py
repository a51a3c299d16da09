"""Window staff and reviewers work their lists in the browser."""

import re

from playwright.sync_api import expect

from tests.browser.hall import apply, complete, task_of
from tests.waiting import eventually


def open_task(pages, user, case_no, viewport=(1280, 900)):
    work = pages.open("/work", viewport=viewport)
    pages.sign_in(work, user)
    work.get_by_role("link", name=case_no).click()
    expect(work.locator("#task-title")).to_contain_text(case_no)
    return work


def test_a_clerk_accepts_a_case_and_a_reviewer_completes_the_next_task(pages, gateway):
    case_no = apply(gateway)["case_no"]
    eventually(lambda: task_of(gateway, "clerk", case_no), "the intake task")

    clerk = open_task(pages, "clerk", case_no)
    expect(clerk.locator("#task-materials")).to_contain_text("premises_layout")
    pages.screenshot(clerk, "work-clerk-task")
    clerk.get_by_label("受理", exact=True).check()
    clerk.get_by_role("button", name="办理完成").click()
    expect(clerk.get_by_role("status")).to_contain_text("已办理")

    review = eventually(lambda: task_of(gateway, "reviewer", case_no), "the review task")
    assert review["element_id"] == "review"
    reviewer = open_task(pages, "reviewer", case_no)
    reviewer.get_by_label("通过", exact=True).check()
    reviewer.get_by_label("审查说明").fill("材料齐全，符合条件")
    pages.screenshot(reviewer, "work-reviewer-task")
    reviewer.get_by_role("button", name="办理完成").click()
    expect(reviewer.get_by_role("status")).to_contain_text("已办理")

    decide = eventually(lambda: task_of(gateway, "chief", case_no), "the chief representative's task")
    assert decide["element_id"] == "decide"
    history = gateway.get(f"/api/v1/cases/{case_no}/process", as_user="admin").json()
    assert "review" in str(history["audit"]) and "材料齐全，符合条件" in str(history)


def test_a_required_field_left_empty_is_named_and_nothing_is_sent(pages, gateway):
    case_no = apply(gateway)["case_no"]
    eventually(lambda: task_of(gateway, "clerk", case_no), "the intake task")
    clerk = open_task(pages, "clerk", case_no, viewport=(390, 844))

    clerk.get_by_role("button", name="办理完成").click()

    expect(clerk.get_by_role("alert").filter(has_text="必填项")).to_be_visible()
    expect(clerk.locator(".field-error")).to_have_text(["必填"])
    pages.screenshot(clerk, "work-required-field-phone")
    assert task_of(gateway, "clerk", case_no) is not None


def test_the_work_list_refuses_a_wrong_password_and_speaks_english(pages, gateway, console):
    console.allow(r"status of 401")
    work = pages.open("/work", lang="en")
    work.get_by_label("Username").fill("clerk")
    work.get_by_label(re.compile("^Password$")).fill("wrong")
    work.get_by_role("button", name="Sign in").click()
    expect(work.locator("#sign-in-error")).not_to_be_empty()
    pages.sign_in(work, "clerk")
    expect(work.get_by_role("heading", level=1)).to_have_text("Work list")
    expect(work.locator("#who")).to_contain_text("clerk")


def test_a_chief_returns_a_case_with_a_reason_and_the_reviewer_sees_it(pages, gateway):
    case_no = apply(gateway)["case_no"]
    complete(gateway, "clerk", case_no, {"intake_decision": "accept"})
    complete(gateway, "reviewer", case_no, {"review_result": "pass"})
    eventually(lambda: task_of(gateway, "chief", case_no), "the chief representative's task")

    chief = open_task(pages, "chief", case_no)
    expect(chief.get_by_role("radio")).to_have_count(2)  # approve or refuse; returning is its own button
    chief.get_by_role("button", name="退回", exact=True).click()
    expect(chief.locator(".field-error")).to_have_text(["必填"])
    expect(chief.get_by_label(re.compile("^退回理由"))).to_have_attribute("aria-invalid", "true")
    expect(chief.get_by_label(re.compile("^退回理由"))).to_be_focused()
    chief.get_by_label(re.compile("^退回理由")).fill("场所布局图不清晰，请重新审查")
    pages.screenshot(chief, "work-chief-return")
    chief.get_by_role("button", name="退回", exact=True).click()
    expect(chief.get_by_role("status")).to_contain_text("已退回")

    again = eventually(lambda: task_of(gateway, "reviewer", case_no), "the review task again")
    assert again["element_id"] == "review"

    def case():
        return gateway.get(f"/api/v1/cases/{case_no}", as_user="reviewer").json()

    eventually(lambda: "审查" in (case()["current_step"] or ""), "the case's timeline back at review")
    reviewer = open_task(pages, "reviewer", case_no)
    expect(reviewer.locator("#task-returned")).to_contain_text("场所布局图不清晰，请重新审查")
    expect(reviewer.locator("#task-returned")).to_contain_text("chief")
    reviewer.get_by_text("办理记录").click()
    expect(reviewer.locator("#task-history-list li")).to_have_count(3)
    pages.screenshot(reviewer, "work-reviewer-returned")
