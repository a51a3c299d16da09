"""A process designer changes a flow in the bpmn-js modeler, validates it and deploys a new
version; the version list counts each version's running instances."""
import re

from playwright.sync_api import expect

from tests.browser.hall import PERSON, apply, task_of
from tests.waiting import eventually

NEW_NAME = "首席代表决定 Chief decides"


def open_designer(pages):
    page = pages.open("/designer", viewport=(1400, 1000))
    pages.sign_in(page, "designer")
    page.get_by_label("已部署流程").select_option("immediate_item")
    page.locator("#version").select_option("1")
    page.get_by_role("button", name="打开", exact=True).click()
    expect(page.locator("body")).to_have_attribute("data-opened", "immediate_item:1")
    return page


def rename_task(page, element_id, name):
    """As a designer does it: double-click the task and type its new label."""
    page.locator(f'#canvas [data-element-id="{element_id}"]').dblclick()
    editor = page.locator(".djs-direct-editing-parent [contenteditable]")
    editor.press("Control+A")
    editor.fill(name)
    page.locator("#canvas").click(position={"x": 5, "y": 5})


def drag(page, element_id, onto_element_id):
    """Drag an element, as with the mouse, to the middle (height) of another one."""
    source = page.locator(f'#canvas [data-element-id="{element_id}"]').bounding_box()
    target = page.locator(f'#canvas [data-element-id="{onto_element_id}"]').bounding_box()
    x, y = source["x"] + source["width"] / 2, source["y"] + source["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, target["y"] + target["height"] / 2, steps=10)
    page.mouse.up()


def running_cells(page):
    return page.locator("#versions tr td:last-child")


def test_validating_marks_the_element_that_breaks_the_diagram_and_deploys_nothing(pages, gateway, console):
    console.allow(r"status of 422")
    page = open_designer(pages)
    deployed = len(gateway.get("/api/v1/processes/immediate_item", as_user="designer").json()["versions"])
    page.get_by_role("button", name="校验", exact=True).click()
    expect(page.locator("#designer-result")).to_have_text("校验通过，尚未部署。")

    drag(page, "accept", "Lane_chief")  # the intake task leaves the clerks' lane
    page.get_by_role("button", name="校验", exact=True).click()

    expect(page.locator("#designer-errors li")).to_contain_text(["accept: `accept` belongs to the intake window"])
    expect(page.locator('#canvas .djs-element[data-element-id="accept"]')).to_have_class(re.compile("element-error"))
    expect(page.locator("#designer-result")).to_have_text("")
    pages.screenshot(page, "designer-validate")
    assert len(gateway.get("/api/v1/processes/immediate_item", as_user="designer").json()["versions"]) == deployed


def test_a_designer_changes_a_diagram_deploys_version_2_and_a_new_case_runs_on_it(pages, gateway):
    page = open_designer(pages)
    expect(page.locator(".bjs-powered-by")).to_be_visible()  # the bpmn.io watermark stays
    rename_task(page, "decide", NEW_NAME)

    page.get_by_role("button", name="校验并部署为新版本").click()

    expect(page.get_by_role("status").filter(has_text="已部署")).to_have_text("已部署 immediate_item 第 2 版。")
    expect(page.locator("#versions tr")).to_have_count(2)
    expect(running_cells(page).last).to_have_text("0")
    pages.screenshot(page, "designer")
    receipt = apply(gateway, {"item_code": "MR-001", "applicant": PERSON, "materials": ["application_form", "id_card"]})
    accept = eventually(lambda: task_of(gateway, "clerk", receipt["case_no"]), "the intake task")
    gateway.post(f"/api/v1/tasks/{accept['id']}/complete", as_user="clerk", json={"data": {"intake_decision": "accept"}})
    decide = eventually(lambda: task_of(gateway, "chief", receipt["case_no"]), "the decision task")
    assert decide["name"] == NEW_NAME
    assert gateway.get(f"/api/v1/cases/{receipt['case_no']}/process", as_user="admin").json()["process_version"] == 2
    running = [v["running_instances"] for v in gateway.get("/api/v1/processes/immediate_item", as_user="designer").json()[
        "versions"]]
    assert running[1] == 1
    page.reload()
    page.get_by_label("已部署流程").select_option("immediate_item")
    expect(running_cells(page)).to_have_text([str(count) for count in running])

