"""Event subprocesses and event-based gateways (services/approval/bpmn_events.py) beyond the
corpus scenarios: the data an event subprocess sees, a stored case, nesting, a non-interrupting
one beside the main flow; a gateway's timers as the scheduler and a test run see them."""

from pathlib import Path

import pytest

from services.approval import bpmn_engine

EVENT_BASED_GATEWAY = Path(__file__).resolve().parents[2] / "fixtures" / "diagrams" / "camunda_event_based_gateway.bpmn"


def diagram(event_subprocess: str, main: str = "") -> bytes:
    """A Camunda process: `enter` (form field `amount`) → `review` → `end`, and the given
    event subprocess beside it; `main` replaces the main flow."""
    main = (
        main
        or """
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="enter" />
    <bpmn:userTask id="enter" camunda:candidateGroups="clerk">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="amount" type="long" />
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="enter" targetRef="review" />
    <bpmn:userTask id="review" camunda:candidateGroups="reviewer" />
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="end" />
    <bpmn:endEvent id="end" />"""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_1"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="with_event_subprocess" isExecutable="true">
    {main}
    {event_subprocess}
  </bpmn:process>
  <bpmn:message id="Message_ask" name="ask" />
</bpmn:definitions>""".encode()


def message_subprocess(interrupting: bool) -> str:
    return f"""<bpmn:subProcess id="asked" triggeredByEvent="true">
      <bpmn:startEvent id="ask_received" isInterrupting="{str(interrupting).lower()}">
        <bpmn:messageEventDefinition id="md" messageRef="Message_ask" />
      </bpmn:startEvent>
      <bpmn:sequenceFlow id="s1" sourceRef="ask_received" targetRef="answer" />
      <bpmn:userTask id="answer" camunda:candidateGroups="clerk" />
      <bpmn:sequenceFlow id="s2" sourceRef="answer" targetRef="answered" />
      <bpmn:endEvent id="answered" />
    </bpmn:subProcess>"""


def complete(workflow, element_id, data=None):
    task = next(task for task in bpmn_engine.open_user_tasks(workflow) if task["element_id"] == element_id)
    bpmn_engine.complete_task(workflow, task["id"], data or {})


def open_ids(workflow):
    return sorted(task["element_id"] for task in bpmn_engine.open_user_tasks(workflow))


def stored_and_loaded(parsed, workflow):
    return bpmn_engine.load_state(parsed, bpmn_engine.dump_state(workflow))


def test_an_interrupting_event_subprocess_sees_the_data_of_the_moment_and_ends_the_case_where_it_ends():
    parsed = bpmn_engine.parse_diagram(diagram(message_subprocess(interrupting=True)))
    workflow = bpmn_engine.start(parsed, {"case_no": "JB2026000001"})
    complete(workflow, "enter", {"amount": 300})
    workflow = stored_and_loaded(parsed, workflow)
    assert bpmn_engine.waiting_messages(workflow) == ["ask"]

    assert bpmn_engine.deliver_message(workflow, "ask", {"question": "when?"}) == "ask_received"
    assert open_ids(workflow) == ["answer"]  # `review` was interrupted
    complete(workflow, "answer")

    assert bpmn_engine.end_event(workflow) == "answered"
    data = bpmn_engine.workflow_data(workflow)
    assert (data["case_no"], data["amount"], data["ask"]) == ("JB2026000001", 300, {"question": "when?"})


def test_a_non_interrupting_event_subprocess_runs_beside_the_main_flow_which_ends_the_case():
    parsed = bpmn_engine.parse_diagram(diagram(message_subprocess(interrupting=False)))
    workflow = bpmn_engine.start(parsed, {})
    bpmn_engine.deliver_message(workflow, "ask", {})
    assert open_ids(workflow) == ["answer", "enter"]
    complete(workflow, "enter", {"amount": 1})
    complete(workflow, "review")
    assert not bpmn_engine.is_completed(workflow)  # the answer is still being written

    complete(workflow, "answer")
    assert bpmn_engine.end_event(workflow) == "end"


def test_the_event_subprocess_of_an_embedded_subprocess_waits_only_while_that_subprocess_runs():
    main = f"""<bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="stage" />
    <bpmn:subProcess id="stage">
      <bpmn:startEvent id="stage_start" />
      <bpmn:sequenceFlow id="g1" sourceRef="stage_start" targetRef="enter" />
      <bpmn:userTask id="enter" camunda:candidateGroups="clerk" />
      <bpmn:sequenceFlow id="g2" sourceRef="enter" targetRef="stage_end" />
      <bpmn:endEvent id="stage_end" />
      {message_subprocess(interrupting=True)}
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f2" sourceRef="stage" targetRef="review" />
    <bpmn:userTask id="review" camunda:candidateGroups="reviewer" />
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="end" />
    <bpmn:endEvent id="end" />"""
    parsed = bpmn_engine.parse_diagram(diagram("", main=main))
    workflow = bpmn_engine.start(parsed, {})
    assert bpmn_engine.waiting_messages(workflow) == ["ask"]
    complete(workflow, "enter")

    assert open_ids(workflow) == ["review"]
    assert bpmn_engine.waiting_messages(workflow) == []


def test_a_timer_behind_an_event_based_gateway_is_listed_and_fired_by_its_own_id():
    parsed = bpmn_engine.parse_diagram(EVENT_BASED_GATEWAY.read_bytes())
    workflow = bpmn_engine.load_state(parsed, bpmn_engine.dump_state(bpmn_engine.start(parsed, {})))
    [timer] = bpmn_engine.waiting_timers(workflow)
    assert (timer["element_id"], timer["due_at"]) == ("Event_timeout", bpmn_engine.next_timer(workflow).isoformat())
    assert bpmn_engine.caught_messages(parsed) == {"site_report"}

    assert bpmn_engine.fire_timer_now(workflow, "Event_timeout")
    assert bpmn_engine.end_event(workflow) == "Event_no_report"


def test_an_event_based_gateway_before_two_timers_is_refused():
    xml = EVENT_BASED_GATEWAY.read_text(encoding="utf-8").replace(
        '<bpmn:messageEventDefinition id="MessageEventDefinition_0r1p2t3" messageRef="Message_site_report" />',
        "<bpmn:timerEventDefinition><bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition>",
    )
    with pytest.raises(bpmn_engine.InvalidDiagram) as refused:
        bpmn_engine.parse_diagram(xml.encode())
    assert refused.value.element_id == "Gateway_first"
