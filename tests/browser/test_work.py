"""Window staff and reviewers work their lists in the browser."""
import re

from playwright.sync_api import expect

from tests.browser.hall import apply, task_of
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
