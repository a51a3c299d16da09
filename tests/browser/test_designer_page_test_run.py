"""A process designer test-runs a deployed version on the designer page: the run's open tasks
are completed there with their forms, whatever role they are for, its timer fired now and its
message delivered, and the path shows on the canvas (done, waiting); the diagram on the canvas
test-runs undeployed too. Nothing reaches the work list of the role a task is for."""

import re

from playwright.sync_api import expect

KEY = "test_run_story"
DIAGRAM = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    id="Definitions_story" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{KEY}" name="试运行演示 Test run story" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="审查 Review" camunda:candidateGroups="reviewer">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="opinion" label="意见 Opinion" type="string">
          <camunda:validation><camunda:constraint name="required" /></camunda:validation>
        </camunda:formField>
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:intermediateCatchEvent id="cooling" name="冷静期 Cooling-off">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="sign" name="签发 Sign" camunda:candidateGroups="chief">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:intermediateCatchEvent id="archived" name="已归档 Archived">
      <bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="Message_archived" />
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="signed" name="已签发 Signed"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="cooling" />
    <bpmn:sequenceFlow id="f3" sourceRef="cooling" targetRef="sign" />
    <bpmn:sequenceFlow id="f4" sourceRef="sign" targetRef="archived" />
    <bpmn:sequenceFlow id="f5" sourceRef="archived" targetRef="signed" />
  </bpmn:process>
  <bpmn:message id="Message_archived" name="archived" />
  <bpmndi:BPMNDiagram id="Diagram_story"><bpmndi:BPMNPlane id="Plane_story" bpmnElement="{KEY}">
    <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="152" y="102" width="36" height="36" />
    </bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="review_di" bpmnElement="review"><dc:Bounds x="240" y="80" width="100" height="80" />
    </bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="cooling_di" bpmnElement="cooling"><dc:Bounds x="392" y="102" width="36" height="36" />
    </bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="sign_di" bpmnElement="sign"><dc:Bounds x="480" y="80" width="100" height="80" />
    </bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="archived_di" bpmnElement="archived"><dc:Bounds x="632" y="102" width="36" height="36" />
    </bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="signed_di" bpmnElement="signed"><dc:Bounds x="722" y="102" width="36" height="36" />
    </bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="188" y="120" /><di:waypoint x="240" y="120" />
    </bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="340" y="120" /><di:waypoint x="392" y="120" />
    </bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f3_di" bpmnElement="f3"><di:waypoint x="428" y="120" /><di:waypoint x="480" y="120" />
    </bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f4_di" bpmnElement="f4"><di:waypoint x="580" y="120" /><di:waypoint x="632" y="120" />
    </bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f5_di" bpmnElement="f5"><di:waypoint x="668" y="120" /><di:waypoint x="722" y="120" />
    </bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def shape(page, element_id):
    return page.locator(f'#canvas .djs-element[data-element-id="{element_id}"]')


def test_a_designer_test_runs_a_version_to_its_end_on_the_page_and_sees_the_path(pages, gateway, console):
    console.allow(r"status of 422")  # the required field left empty, on purpose
    deployed = gateway.post("/api/v1/processes", as_user="designer", json={"xml": DIAGRAM, "filename": f"{KEY}.bpmn"})
    assert deployed.status_code in (200, 201), deployed.text
    page = pages.open("/designer", viewport=(1400, 1000))
    pages.sign_in(page, "designer")
    expect(page.locator(f"#process option[value={KEY}]")).to_be_attached()
    page.get_by_label("已部署流程").select_option(KEY)
    expect(page.locator("#versions tr td:nth-child(3)").first).to_have_text(f"{KEY}.bpmn")
    page.get_by_label("初始数据（JSON 对象）").fill('{"applicant": "王五"}')

    page.get_by_role("button", name="试运行所选版本").click()

    expect(page.locator("#run-status")).to_contain_text(f"（{KEY} v{deployed.json()['version']}）进行中")
    expect(shape(page, "start")).to_have_class(re.compile(r"\brun-done\b"))
    expect(shape(page, "review")).to_have_class(re.compile(r"\brun-waiting\b"))
    run_id = re.search(r"T-[0-9a-f]{12}", page.locator("#run-status").text_content()).group(0)
    reviewer_tasks = gateway.get("/api/v1/tasks", as_user="reviewer", params={"limit": 200}).json()["tasks"]
    assert run_id not in {task["case_no"] for task in reviewer_tasks}

    review = page.locator('#run-tasks form[data-element="review"]')
    review.get_by_role("button", name="以任意角色完成").click()
    expect(review.locator(".field-error")).to_have_count(1)  # the form's required field
    review.locator('[name="opinion"]').fill("同意")
    review.get_by_role("button", name="以任意角色完成").click()

    expect(shape(page, "review")).to_have_class(re.compile(r"\brun-done\b"))
    expect(shape(page, "cooling")).to_have_class(re.compile(r"\brun-waiting\b"))
    expect(page.locator(".djs-overlay .run-badge-waiting")).to_have_count(1)
    pages.screenshot(page, "designer-test-run")
    page.get_by_role("button", name="立即触发").click()  # the day's wait, now
    expect(shape(page, "sign")).to_have_class(re.compile(r"\brun-waiting\b"))
    page.locator('#run-tasks form[data-element="sign"]').get_by_role("button", name="以任意角色完成").click()
    expect(shape(page, "archived")).to_have_class(re.compile(r"\brun-waiting\b"))
    page.get_by_label("消息 archived 的数据（JSON）").fill('{"box": "A-12"}')
    page.get_by_role("button", name="送达 archived").click()
    expect(page.locator("#run-status")).to_contain_text("已结束，结果：已签发")
    expect(shape(page, "signed")).to_have_class(re.compile(r"\brun-done\b"))
    steps = gateway.get(f"/api/v1/processes/test-runs/{run_id}", as_user="designer").json()["steps"]
    assert [(step["kind"], step["data"]) for step in steps[1:]] == [
        ("task_completed", {"opinion": "同意"}),
        ("timer_fired", {}),
        ("task_completed", {}),
        ("message_delivered", {"name": "archived", "data": {"box": "A-12"}}),
    ]

    page.get_by_role("button", name="试运行画布上的流程图（不部署）").click()
    expect(page.locator("#run-status")).to_contain_text(f"（{KEY} 未部署）进行中")
    expect(shape(page, "review")).to_have_class(re.compile(r"\brun-waiting\b"))
    expect(shape(page, "sign")).not_to_have_class(re.compile(r"\brun-done\b"))
