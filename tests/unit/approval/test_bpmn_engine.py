"""The BPMN engine wrapper, driven through its public functions with the hall's real flow."""

import json
import uuid
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.util.task import TaskState

from services.approval import bpmn_engine
from services.approval.bpmn_engine import InvalidDiagram, TaskNotReady

IMMEDIATE_ITEM = Path(__file__).resolve().parents[3] / "bpmn" / "immediate_item.bpmn"


def one_task_diagram(user_task: str) -> bytes:
    """A minimal Camunda diagram: start → the given user task (id "t") → end, no lanes."""
    return camunda_process(f"""<bpmn:sequenceFlow id="to_t" sourceRef="start" targetRef="t" />
    {user_task}
    <bpmn:sequenceFlow id="to_end" sourceRef="t" targetRef="end" />""")


def camunda_process(flow: str) -> bytes:
    """A Camunda diagram of one process without lanes: `start`, the given flow, `end`."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_1"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="review_only" name="Review only" isExecutable="true">
    <bpmn:startEvent id="start" />
    {flow}
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>""".encode()


@pytest.fixture(scope="module")
def diagram():
    return bpmn_engine.parse_diagram(IMMEDIATE_ITEM.read_bytes(), IMMEDIATE_ITEM.name)


@pytest.fixture
def case(diagram):
    return bpmn_engine.start(diagram, {"case_no": "JB2024000001"})


def only_open_task(workflow):
    tasks = bpmn_engine.open_user_tasks(workflow)
    assert len(tasks) == 1, tasks
    return tasks[0]


def accept(workflow):
    bpmn_engine.complete_task(workflow, only_open_task(workflow)["id"], {"intake_decision": "accept"})


def test_the_immediate_item_file_deploys_under_its_process_key(diagram):
    assert diagram.process_id == "immediate_item"
    assert diagram.name == "即办件 Immediate item"


def test_a_new_case_waits_for_the_clerk_to_accept_it(case):
    task = only_open_task(case)

    uuid.UUID(task["id"])
    assert task["element_id"] == "accept"
    assert task["name"] == "受理 Accept"
    assert task["role"] == "clerk"
    assert task["candidate_groups"] == []
    decision, reason, missing = task["form"]
    assert decision == {
        "id": "intake_decision",
        "label": "受理决定 Intake decision",
        "type": "enum",
        "required": True,
        "options": [
            {"id": "accept", "name": "受理 Accept"},
            {"id": "refuse", "name": "不予受理 Refuse"},
            {"id": "supplement", "name": "补正告知 Ask for supplements"},
        ],
        "default": None,
        "readonly": False,
        "constraints": {},
    }
    assert (reason["id"], reason["required"]) == ("reason", False)
    assert (missing["id"], missing["required"]) == ("missing_materials", False)
    assert not bpmn_engine.is_completed(case)
    assert bpmn_engine.workflow_data(case) == {"case_no": "JB2024000001"}


def test_the_lean_state_round_trips_without_the_definition(diagram, case):
    state = bpmn_engine.dump_state(case)

    assert len(state.encode()) < 8 * 1024
    assert "task_specs" not in state and "BpmnProcessSpec" not in state
    assert not {"spec", "subprocess_specs"} & json.loads(state).keys()

    restored = bpmn_engine.load_state(diagram, state)
    assert bpmn_engine.open_user_tasks(restored) == bpmn_engine.open_user_tasks(case)
    assert bpmn_engine.workflow_data(restored) == bpmn_engine.workflow_data(case)
    assert bpmn_engine.dump_state(restored) == state


def test_a_restored_case_can_be_carried_on(diagram, case):
    restored = bpmn_engine.load_state(diagram, bpmn_engine.dump_state(case))

    accept(restored)

    assert only_open_task(restored)["element_id"] == "decide"


def test_accepting_hands_the_case_to_the_chief_representative(case):
    accept(case)

    task = only_open_task(case)
    assert task["element_id"] == "decide"
    assert task["name"] == "决定 Decide"
    assert task["role"] == "chief"
    decision, opinion, window = task["form"]
    assert decision == {
        "id": "decision",
        "label": "决定 Decision",
        "type": "enum",
        "required": True,
        "options": [{"id": "approved", "name": "准予 Approved"}, {"id": "refused", "name": "不予 Refused"}],
        "default": None,
        "readonly": False,
        "constraints": {},
    }
    assert opinion["id"] == "opinion" and opinion["type"] == "string" and not opinion["required"]
    assert window["id"] == "window" and window["type"] == "long" and not window["required"]
    assert bpmn_engine.workflow_data(case)["intake_decision"] == "accept"


@pytest.mark.parametrize("decision", ["approved", "refused"])
def test_the_chief_representatives_decision_completes_the_case(case, decision):
    accept(case)

    bpmn_engine.complete_task(case, only_open_task(case)["id"], {"decision": decision, "opinion": "当场办结"})

    assert bpmn_engine.is_completed(case)
    assert bpmn_engine.open_user_tasks(case) == []
    assert bpmn_engine.workflow_data(case) == {
        "case_no": "JB2024000001",
        "intake_decision": "accept",
        "decision": decision,
        "opinion": "当场办结",
    }
    assert bpmn_engine.end_event(case) == decision


def test_completing_a_task_twice_is_refused_and_changes_nothing(case):
    accepted_id = only_open_task(case)["id"]
    accept(case)
    before = bpmn_engine.dump_state(case)

    with pytest.raises(TaskNotReady) as raised:
        bpmn_engine.complete_task(case, accepted_id, {"intake_decision": "refuse"})

    assert raised.value.task_id == accepted_id
    assert bpmn_engine.dump_state(case) == before


@pytest.mark.parametrize("task_id", [str(uuid.uuid4()), "not-a-task-id"])
def test_completing_an_unknown_task_is_refused_and_changes_nothing(case, task_id):
    before = bpmn_engine.dump_state(case)

    with pytest.raises(TaskNotReady):
        bpmn_engine.complete_task(case, task_id, {"intake_decision": "accept"})

    assert bpmn_engine.dump_state(case) == before


def test_a_custom_script_engine_is_used_again_after_a_reload(diagram, case):
    class RecordingEngine(PythonScriptEngine):
        def __init__(self):
            super().__init__()
            self.expressions = []

        def evaluate(self, task, expression, external_context=None):
            self.expressions.append(expression)
            return super().evaluate(task, expression, external_context)

    engine = RecordingEngine()
    accept(case)
    restored = bpmn_engine.load_state(diagram, bpmn_engine.dump_state(case), script_engine=engine)

    bpmn_engine.complete_task(restored, only_open_task(restored)["id"], {"decision": "approved"})

    assert 'decision == "approved"' in engine.expressions


def test_malformed_xml_is_an_invalid_diagram():
    with pytest.raises(InvalidDiagram) as raised:
        bpmn_engine.parse_diagram(IMMEDIATE_ITEM.read_bytes()[:500])

    assert isinstance(raised.value, ValueError)
    assert raised.value.element_id is None
    assert raised.value.message


def test_a_diagram_spiffworkflow_rejects_is_an_invalid_diagram_naming_the_element():
    script_without_script = '<bpmn:scriptTask id="t" />'

    with pytest.raises(InvalidDiagram) as raised:
        bpmn_engine.parse_diagram(one_task_diagram(script_without_script))

    assert raised.value.element_id == "t"


def test_a_user_task_without_a_role_is_an_invalid_diagram_naming_the_task():
    with pytest.raises(InvalidDiagram) as raised:
        bpmn_engine.parse_diagram(one_task_diagram('<bpmn:userTask id="t" name="Review" />'))

    assert raised.value.element_id == "t"
    assert "no one to do it" in raised.value.message


def test_candidate_groups_give_a_task_its_role_when_it_has_no_lane():
    task = '<bpmn:userTask id="t" name="Review" camunda:candidateGroups="reviewer, chief" />'
    diagram = bpmn_engine.parse_diagram(one_task_diagram(task))

    workflow = bpmn_engine.start(diagram, {})

    assert diagram.process_id == "review_only"
    opened = only_open_task(workflow)
    assert opened["role"] == "reviewer"
    assert opened["candidate_groups"] == ["reviewer", "chief"]
    assert opened["form"] == []


@pytest.mark.parametrize(
    "documentation, shown",
    [
        (
            "<bpmn:documentation>核对 {{ amount }} 元。\n超过限额须会签。</bpmn:documentation>",
            "核对 800 元。\n超过限额须会签。",
        ),
        ("<bpmn:documentation>  </bpmn:documentation>", None),
        ("", None),
    ],
)
def test_a_camunda_tasks_documentation_is_its_instructions(documentation, shown):
    task = f'<bpmn:userTask id="t" name="Review" camunda:candidateGroups="reviewer">{documentation}</bpmn:userTask>'
    workflow = bpmn_engine.start(bpmn_engine.parse_diagram(one_task_diagram(task)), {"amount": 800})

    assert only_open_task(workflow)["instructions"] == shown


def timer_diagram(expression: str) -> bytes:
    """start → intermediate timer event "wait" with the given duration expression → end."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="timed" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="to_wait" sourceRef="start" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>
      <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{expression}</bpmn:timeDuration>
    </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="to_end" sourceRef="wait" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>""".encode()


@pytest.mark.parametrize(
    "expression", ["().__class__.__base__.__subclasses__()", "__import__(&quot;os&quot;).getcwd()", "9 ** 9 ** 9"]
)
def test_an_escape_in_a_timer_expression_is_an_incident_at_the_timer(expression):
    workflow = bpmn_engine.start(bpmn_engine.parse_diagram(timer_diagram(expression)), {})

    assert bpmn_engine.incident(workflow)["element_id"] == "wait"
    assert "SandboxViolation" in bpmn_engine.incident(workflow)["message"]


def test_a_missing_variable_at_a_gateway_is_an_incident_that_survives_a_reload_and_can_be_retried(diagram):
    broken = bpmn_engine.parse_diagram(
        IMMEDIATE_ITEM.read_bytes().replace(b'decision == "approved"', b'decision == "approved" and checked')
    )
    workflow = bpmn_engine.start(broken, {})
    accept(workflow)
    bpmn_engine.complete_task(workflow, only_open_task(workflow)["id"], {"decision": "approved"})

    restored = bpmn_engine.load_state(broken, bpmn_engine.dump_state(workflow))
    failed = bpmn_engine.incident(restored)
    assert failed["element_id"] == "Gateway_decision" and "checked" in failed["message"]
    assert not bpmn_engine.is_completed(restored)

    bpmn_engine.retry(restored, {"checked": True})

    assert bpmn_engine.incident(restored) is None
    assert bpmn_engine.end_event(restored) == "approved"


def test_a_supplement_message_returns_the_case_to_the_clerk(case):
    bpmn_engine.complete_task(
        case, only_open_task(case)["id"], {"intake_decision": "supplement", "missing_materials": "id_card"}
    )
    assert bpmn_engine.waiting_messages(case) == ["supplement_received"]
    assert bpmn_engine.current_steps(case) == ["等待补正 Awaiting supplements"]
    assert bpmn_engine.deliver_message(case, "payment_confirmed", {}) is None

    assert bpmn_engine.deliver_message(case, "supplement_received", {"materials": ["id_card"]}) == "supplement"

    assert only_open_task(case)["element_id"] == "accept"
    assert bpmn_engine.workflow_data(case)["supplement_received"] == {"materials": ["id_card"]}


@pytest.mark.parametrize("cell", ["().__class__.__base__.__subclasses__()", "__import__(&quot;os&quot;).getcwd()"])
def test_an_escape_in_a_dmn_cell_is_an_incident_at_the_business_rule_task(cell):
    bpmn_dir = IMMEDIATE_ITEM.parent
    table = (
        (bpmn_dir / "fee_item_fees.dmn")
        .read_text(encoding="utf-8")
        .replace("<text>55000 + 1000</text>", f"<text>{cell}</text>")
    )
    diagram = bpmn_engine.parse_diagram((bpmn_dir / "fee_item.bpmn").read_bytes(), dmn=(table.encode(),))
    workflow = bpmn_engine.start(diagram, {"item_code": "NR-002"})
    for data in ({"intake_decision": "accept"}, {"review_result": "pass"}, {"decision": "approved"}):
        bpmn_engine.complete_task(workflow, only_open_task(workflow)["id"], data)

    failed = bpmn_engine.incident(workflow)
    assert failed["element_id"] == "assess_fee" and "SandboxViolation" in failed["message"]
    assert "fee_fen" not in bpmn_engine.workflow_data(workflow)


def test_none_and_manual_tasks_are_passed_through_as_camunda_does():
    xml = one_task_diagram('<bpmn:userTask id="t" camunda:candidateGroups="reviewer" />').decode()
    xml = xml.replace(
        '<bpmn:sequenceFlow id="to_t" sourceRef="start" targetRef="t" />',
        '<bpmn:sequenceFlow id="to_call" sourceRef="start" targetRef="call" />'
        '<bpmn:task id="call" name="电话通知 Phone the applicant" />'
        '<bpmn:sequenceFlow id="to_sign" sourceRef="call" targetRef="sign" />'
        '<bpmn:manualTask id="sign" name="签字 Sign on paper" />'
        '<bpmn:sequenceFlow id="to_t" sourceRef="sign" targetRef="t" />',
    )
    workflow = bpmn_engine.start(bpmn_engine.parse_diagram(xml.encode()), {})

    assert only_open_task(workflow)["element_id"] == "t"
    done = {task.task_spec.bpmn_id for task in workflow.get_tasks() if task.has_state(TaskState.COMPLETED)}
    assert {"call", "sign"} <= done


def test_an_on_the_spot_items_acceptance_names_the_role_that_may_also_claim_it(diagram):
    on_the_spot = bpmn_engine.start(diagram, {"case_no": "JB2024000002", "on_the_spot": True})
    assert only_open_task(on_the_spot)["on_the_spot_role"] == "chief"
    assert (
        only_open_task(bpmn_engine.start(diagram, {"case_no": "JB2024000003", "on_the_spot": False}))[
            "on_the_spot_role"
        ]
        is None
    )


def test_the_decision_stays_with_who_accepted_on_the_spot(diagram):
    on_the_spot = bpmn_engine.start(diagram, {"case_no": "JB2024000004", "on_the_spot": True})
    bpmn_engine.complete_task(
        on_the_spot, only_open_task(on_the_spot)["id"], {"intake_decision": "accept", "on_the_spot_by": "hr_chief"}
    )
    assert only_open_task(on_the_spot)["assignee"] == "hr_chief"


def review_then_decide(separate_from):
    """start → review → decide → end; `decide` declares `separate_from`."""
    return camunda_process(f"""<bpmn:sequenceFlow id="to_review" sourceRef="start" targetRef="review" />
    <bpmn:userTask id="review" name="Review" camunda:candidateGroups="reviewer" />
    <bpmn:sequenceFlow id="to_decide" sourceRef="review" targetRef="decide" />
    <bpmn:userTask id="decide" name="Decide" camunda:candidateGroups="chief"><bpmn:extensionElements>
      <camunda:properties><camunda:property name="separate_from" value="{separate_from}" /></camunda:properties>
    </bpmn:extensionElements></bpmn:userTask>
    <bpmn:sequenceFlow id="to_end" sourceRef="decide" targetRef="end" />""")


def test_a_task_separated_from_another_lists_it_in_the_work_list():
    workflow = bpmn_engine.start(bpmn_engine.parse_diagram(review_then_decide("review")), {})
    assert only_open_task(workflow)["separate_from"] == []
    bpmn_engine.complete_task(workflow, only_open_task(workflow)["id"], {})
    assert only_open_task(workflow)["separate_from"] == ["review"]


@pytest.mark.parametrize(
    "value, words",
    [
        ("reveiw", "'reveiw', which is not a user task"),
        ("review, end", "'end', which is not a user task"),
        ("decide", "names the task itself"),
    ],
)
def test_a_separation_from_a_task_that_does_not_exist_is_refused_at_deployment(value, words):
    with pytest.raises(InvalidDiagram) as refused:
        bpmn_engine.parse_diagram(review_then_decide(value))
    assert refused.value.element_id == "decide" and words in refused.value.message


def test_spiff_arena_diagrams_declare_the_separation_with_their_own_property():
    xml = (
        review_then_decide("review")
        .decode()
        .replace(
            'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"',
            'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"',
        )
        .replace('camunda:candidateGroups="reviewer"', "")
        .replace('camunda:candidateGroups="chief"', "")
        .replace("camunda:", "spiffworkflow:")
    )
    xml = xml.replace(
        '<bpmn:process id="review_only"',
        '<bpmn:collaboration id="c"><bpmn:participant id="p" '
        'processRef="review_only" /></bpmn:collaboration><bpmn:process id="review_only"',
    ).replace(
        '<bpmn:startEvent id="start" />',
        '<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="reviewer">'
        "<bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>review</bpmn:flowNodeRef>"
        "<bpmn:flowNodeRef>decide</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane>"
        '</bpmn:laneSet><bpmn:startEvent id="start" />',
    )
    decide = bpmn_engine.parse_diagram(xml.encode()).spec.task_specs["decide"]
    assert bpmn_engine.separate_from(decide) == ["review"]


def test_a_state_too_large_to_store_is_refused_and_the_case_can_be_held_where_it_waited(diagram, case, monkeypatch):
    stored = bpmn_engine.dump_state(case)
    monkeypatch.setattr(bpmn_engine, "MAX_STATE_BYTES", len(stored) + 1000)
    bpmn_engine.complete_task(case, only_open_task(case)["id"], {"intake_decision": "accept", "notes": "x" * 5000})
    with pytest.raises(bpmn_engine.StateTooLarge):
        bpmn_engine.dump_state(case)

    before = bpmn_engine.load_state(diagram, stored)
    bpmn_engine.hold(before, "accept", "too large")

    assert bpmn_engine.incident(before) == {"element_id": "accept", "message": "too large"}
    bpmn_engine.retry(before)
    assert only_open_task(before)["element_id"] == "accept"


def test_the_path_of_a_case_marks_what_is_done_where_it_waits_and_where_it_failed():
    broken = bpmn_engine.parse_diagram(
        IMMEDIATE_ITEM.read_bytes().replace(b'decision == "approved"', b'decision == "approved" and checked')
    )
    workflow = bpmn_engine.start(broken, {})
    waiting = bpmn_engine.path(workflow)
    assert waiting["waiting"] == ["accept"] and "accept" not in waiting["done"] and waiting["incident"] == []
    accept(workflow)
    bpmn_engine.complete_task(workflow, only_open_task(workflow)["id"], {"decision": "approved"})

    failed = bpmn_engine.path(workflow)

    assert failed["incident"] == ["Gateway_decision"]
    assert {"accept", "decide"} <= set(failed["done"]) and "Gateway_decision" not in failed["done"]
    assert failed["waiting"] == []
    assert bpmn_engine.fire_timer_now(workflow, "Gateway_decision") is False
