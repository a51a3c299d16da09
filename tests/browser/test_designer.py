"""A process designer changes a flow in the bpmn-js modeler, validates it and deploys a new
version; the version list counts each version's running instances. What the engine reads
(role and department, form fields, timers) is set in the properties panel, never as XML, and
a template starts a new process."""

import re

from lxml import etree
from playwright.sync_api import expect

from tests.browser.hall import PERSON, apply, task_of
from tests.waiting import eventually

NEW_NAME = "首席代表决定 Chief decides"


def designer_page(pages):
    page = pages.open("/designer", viewport=(1400, 1000))
    pages.sign_in(page, "designer")
    expect(page.locator("#versions tr").first).to_be_visible()
    return page


def open_designer(pages):
    page = designer_page(pages)
    page.get_by_label("已部署流程").select_option("immediate_item")
    expect(page.locator("#versions tr td:nth-child(3)").first).to_have_text("immediate_item.bpmn")
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
    """Drag an element, as with the mouse, to the middle (height) of another one, the canvas
    scrolled to the top of the window first, as the designer would (the mouse cannot reach
    what is off the screen, and the page's forms above the canvas grow)."""
    page.locator("#canvas").evaluate("canvas => canvas.scrollIntoView({block: 'start'})")
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
    gateway.post(
        f"/api/v1/tasks/{accept['id']}/complete", as_user="clerk", json={"data": {"intake_decision": "accept"}}
    )
    decide = eventually(lambda: task_of(gateway, "chief", receipt["case_no"]), "the decision task")
    assert decide["name"] == NEW_NAME
    assert gateway.get(f"/api/v1/cases/{receipt['case_no']}/process", as_user="admin").json()["process_version"] == 2
    running = [
        v["running_instances"]
        for v in gateway.get("/api/v1/processes/immediate_item", as_user="designer").json()["versions"]
    ]
    assert running[1] == 1
    page.reload()
    page.get_by_label("已部署流程").select_option("immediate_item")
    expect(running_cells(page)).to_have_text([str(count) for count in running])


BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"


def versions_of(gateway, key):
    return gateway.get(f"/api/v1/processes/{key}", as_user="designer").json()["versions"]


def stored_xml(gateway, key, version):
    answer = gateway.get(f"/api/v1/processes/{key}/versions/{version}/xml", as_user="designer")
    return etree.fromstring(answer.content)


def select_element(page, element_id):
    page.locator(f'#canvas [data-element-id="{element_id}"]').click()
    expect(page.locator("#properties")).to_have_attribute("data-element", element_id)


def add_timer_on(page, element_id):
    """As a designer does it with bpmn-js's own tools: an event from the palette dropped on
    the task's border, then turned into a non-interrupting timer with the replace menu.

    Where on the border bpmn-js attaches depends on its hit areas and snapping, not on a
    fixed pixel: the pointer moves down from the task's middle until bpmn-js marks the task
    ``attach-ok``, and drops there. Each later step waits for what bpmn-js shows when it is
    ready for the next (the new event selected, the label editor gone). A drop anywhere
    else makes a free event, whose replace menu has no boundary timer."""
    task = page.locator(f'#canvas [data-element-id="{element_id}"]')
    page.locator('.djs-palette [data-action="create.intermediate-event"]').click()
    box = task.locator(".djs-visual > rect").bounding_box()
    x, middle = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, middle, steps=5)
    for down in range(0, round(box["height"]), 2):
        page.mouse.move(x, middle + down)
        if "attach-ok" in task.get_attribute("class").split():
            break
    expect(task).to_have_class(re.compile(r"\battach-ok\b"))
    page.mouse.down()
    page.mouse.up()
    expect(page.locator('#canvas .djs-element.selected[data-element-id^="Event_"]')).to_have_count(1)
    page.keyboard.press("Escape")  # no label for it: leave the label editor bpmn-js opened
    expect(page.locator(".djs-direct-editing-parent")).to_be_hidden()
    page.locator('.djs-context-pad [data-action="replace"]').click()
    page.locator('.djs-popup [data-id="replace-with-non-interrupting-timer-boundary"]').click()


def test_a_designer_sets_department_form_field_and_timer_in_the_panel_and_a_case_runs_with_them(pages, gateway):
    page = open_designer(pages)
    select_element(page, "decide")
    expect(page.locator("#prop-role")).to_have_value("chief")  # from the lane
    page.locator("#prop-department").select_option("market_regulation")
    expect(page.locator("#prop-department")).to_have_value("market_regulation")

    page.get_by_role("button", name="添加字段").click()
    page.locator("#prop-field-2-id").fill("site_check")
    page.locator("#prop-field-2-id").press("Tab")
    expect(page.locator("#properties .prop-field > legend").nth(2)).to_have_text("字段 3：site_check")
    page.locator("#prop-field-2-label").fill("现场核查 Site check")
    page.locator("#prop-field-2-label").press("Tab")
    page.locator("#prop-field-2-type").select_option("boolean")
    page.get_by_label("必填").nth(2).check()
    expect(page.get_by_label("必填").nth(2)).to_be_checked()

    add_timer_on(page, "decide")
    expect(page.locator("#prop-timer-kind")).to_be_visible()
    page.locator("#prop-timer-kind").select_option("workdays")
    page.locator("#prop-timer-value").fill("2")
    page.locator("#prop-timer-value").press("Tab")
    expect(page.locator("#prop-timer-kind")).to_have_value("workdays")
    pages.screenshot(page, "designer-properties")

    version = len(versions_of(gateway, "immediate_item")) + 1
    page.get_by_role("button", name="校验并部署为新版本").click()
    expect(page.get_by_role("status").filter(has_text="已部署")).to_have_text(
        f"已部署 immediate_item 第 {version} 版。"
    )

    xml = stored_xml(gateway, "immediate_item", version)
    assert [lane.get("name") for lane in xml.iter(f"{BPMN}lane")] == ["clerk", "chief:market_regulation"]
    site_check = xml.find(f".//{BPMN}userTask[@id='decide']//{CAMUNDA}formField[@id='site_check']")
    assert (site_check.get("label"), site_check.get("type")) == ("现场核查 Site check", "boolean")
    assert site_check.find(f"{CAMUNDA}validation/{CAMUNDA}constraint").get("name") == "required"
    timer = xml.find(f".//{BPMN}boundaryEvent[@attachedToRef='decide']")
    assert timer.get("cancelActivity") == "false"
    assert timer.find(f"{BPMN}timerEventDefinition/{BPMN}timeDate").text == "workdays_deadline(2)"

    receipt = apply(gateway, {"item_code": "MR-001", "applicant": PERSON, "materials": ["application_form", "id_card"]})
    accept = eventually(lambda: task_of(gateway, "clerk", receipt["case_no"]), "the intake task")
    gateway.post(
        f"/api/v1/tasks/{accept['id']}/complete", as_user="clerk", json={"data": {"intake_decision": "accept"}}
    )
    decide = eventually(lambda: task_of(gateway, "chief", receipt["case_no"]), "the decision task")
    task = gateway.get(f"/api/v1/tasks/{decide['id']}", as_user="chief").json()
    assert task["department"] == "market_regulation"
    assert {
        "id": "site_check",
        "label": "现场核查 Site check",
        "type": "boolean",
        "required": True,
        "options": [],
        "readonly": False,
        "constraints": {},
        "default": None,
    } in task["form"]
    assert (
        gateway.get(f"/api/v1/cases/{receipt['case_no']}/process", as_user="admin").json()["process_version"] == version
    )


def test_a_template_starts_a_new_process_at_version_1_and_leaves_the_hall_flow_alone(pages, gateway):
    hall_versions = len(versions_of(gateway, "joint_registration"))
    page = designer_page(pages)
    page.get_by_label("模板", exact=True).select_option("joint_registration")
    page.get_by_label("新流程标识").fill("immediate_item")
    page.get_by_label("新流程名称").fill("餐饮联办 Joint catering licence")
    page.get_by_role("button", name="新建", exact=True).click()
    expect(page.locator("#new-key-error")).to_contain_text("已存在")

    page.get_by_label("新流程标识").fill("joint_catering")
    page.get_by_role("button", name="新建", exact=True).click()
    expect(page.locator("body")).to_have_attribute("data-opened", "joint_catering:new")
    expect(page.locator("#new-key-error")).to_have_count(0)
    page.get_by_role("button", name="English").click()
    page.get_by_label("Element", exact=True).select_option("accept")  # the keyboard's way to select
    expect(page.locator("#prop-role")).to_have_value("clerk")
    expect(page.locator("#properties-title")).to_have_text("Properties")
    page.get_by_role("button", name="Validate and deploy as a new version").click()

    expect(page.locator("#designer-result")).to_have_text("Deployed joint_catering version 1.")
    assert [(v["version"], v["name"]) for v in versions_of(gateway, "joint_catering")] == [
        (1, "餐饮联办 Joint catering licence")
    ]
    xml = stored_xml(gateway, "joint_catering", 1)
    assert xml.find(f".//{BPMN}participant").get("processRef") == "joint_catering"
    assert len(versions_of(gateway, "joint_registration")) == hall_versions
