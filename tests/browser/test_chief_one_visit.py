"""The chief representative's one visit (首席代表制): an applicant applies for an item decided
on the spot; the department's chief representative finds it in their work list, accepts and
decides it in one sitting, and the applicant's look-up says it was decided on the spot.

It runs before test_designer.py, whose stories deploy new versions of the hall's immediate
item (its decision moved to market regulation's lane) that serve every later case."""

from playwright.sync_api import expect

from tests.browser.hall import PERSON, apply, case_status, task_of
from tests.waiting import eventually

CERTIFICATE_REISSUE = {"item_code": "HR-004", "applicant": PERSON, "materials": ["reissue_application", "id_card"]}


def test_the_chief_representative_accepts_and_decides_an_on_the_spot_item_in_one_visit(pages, gateway):
    receipt = apply(gateway, CERTIFICATE_REISSUE)
    case_no = receipt["case_no"]
    eventually(lambda: task_of(gateway, "hr_chief", case_no), "the acceptance in the chief representative's list")

    chief = pages.open("/work")
    pages.sign_in(chief, "hr_chief")
    listed = chief.locator("#team tr").filter(has=chief.get_by_role("link", name=case_no))
    expect(listed).to_contain_text("当场办结")
    listed.get_by_role("link", name=case_no).click()
    expect(chief.locator("#task-title")).to_contain_text("受理")
    chief.get_by_label("受理", exact=True).check()
    chief.get_by_role("button", name="办理完成").click()

    expect(chief.locator("#task-title")).to_contain_text("决定")  # the decision opens in the same sitting
    expect(chief.get_by_role("status")).to_contain_text("请当场决定")
    chief.get_by_label("准予", exact=True).check()
    chief.get_by_label("办理窗口").fill("12")
    pages.screenshot(chief, "work-chief-on-the-spot")
    chief.get_by_role("button", name="办理完成").click()
    expect(chief.get_by_role("status")).to_contain_text("已办理")

    eventually(lambda: case_status(gateway, receipt) == "completed", "the decision at intake")
    staff_view = gateway.get(f"/api/v1/cases/{case_no}", as_user="hr_chief").json()
    [decided] = [step for step in staff_view["steps"] if step["kind"] == "decided"]
    assert (decided["by"], decided["window"], decided["on_the_spot"]) == ("hr_chief", 12, True)

    page = pages.open(f"/?case_no={case_no}&query_code={receipt['query_code']}")
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.locator("#case-status")).to_have_text("已办结")
    expect(page.locator("#case-on-the-spot")).to_have_text("首席代表当场办结")
    pages.screenshot(page, "applicant-decided-on-the-spot")

    def human_resources():
        return gateway.get("/api/v1/stats", as_user="supervisor").json()["by_department"].get("human_resources", {})

    eventually(lambda: human_resources().get("decided_on_the_spot", 0) >= 1, "the one-visit rate in the statistics")
    assert human_resources()["one_visit_rate"] > 0
