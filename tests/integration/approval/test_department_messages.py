"""A department's system delivers a named message to a case's process, on the real broker and
store: taken at once when the process waits, kept when it will wait later, refused when it
never will; the same message id gives the same answer; the hall's own messages and another
department's cases are out of reach."""

from datetime import timedelta

import pytest
from nameko.testing.services import entrypoint_hook

from services.approval import models, step_rules
from services.common.errors import Conflict, Forbidden, NotFound

WAITS_FOR_INSPECTION = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="Message_inspection" name="fire_inspection" />
  <bpmn:process id="fire_safety_check" name="消防检查 Fire safety check" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="to_prepare" sourceRef="start" targetRef="prepare" />
    <bpmn:userTask id="prepare" name="准备 Prepare" camunda:candidateGroups="reviewer" />
    <bpmn:sequenceFlow id="to_wait" sourceRef="prepare" targetRef="inspected" />
    <bpmn:intermediateCatchEvent id="inspected" name="消防验收结果 Inspection result">
      <bpmn:messageEventDefinition messageRef="Message_inspection" />
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="to_decide" sourceRef="inspected" targetRef="decide" />
    <bpmn:userTask id="decide" name="决定 Decide" camunda:candidateGroups="chief" />
    <bpmn:sequenceFlow id="to_end" sourceRef="decide" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""
SYSTEM = {"username": "key:fire-dept", "roles": ["reviewer"], "department": "market_regulation"}
REVIEWER = {"username": "reviewer", "roles": ["reviewer"], "department": "market_regulation"}
TAX = {"username": "tax_reviewer", "roles": ["reviewer"], "department": "taxation"}


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


@pytest.fixture
def case_no(approval):
    call(approval, "deploy_process", WAITS_FOR_INSPECTION, "fire_safety_check.bpmn")
    case_no = "20261203000101"
    call(
        approval,
        "on_case_submitted",
        {
            "case_no": case_no,
            "item_code": "MR-009",
            "department": "market_regulation",
            "process_key": "fire_safety_check",
        },
    )
    return case_no


def open_steps(approval, case_no):
    return [t["element_id"] for t in call(approval, "get_case_process", case_no, REVIEWER)["open_tasks"]]


def finish_preparing(approval, case_no):
    [task] = [t for t in call(approval, "list_tasks", REVIEWER) if t["case_no"] == case_no]
    call(approval, "complete_task", task["id"], {}, REVIEWER)


def test_a_message_the_process_waits_for_is_taken_at_once(approval, case_no):
    finish_preparing(approval, case_no)
    receipt = call(approval, "deliver_message", case_no, "fire_inspection", {"passed": True}, "insp-000042", SYSTEM)
    assert receipt == {
        "case_no": case_no,
        "name": "fire_inspection",
        "message_id": "insp-000042",
        "delivered": True,
        "kept_until": None,
    }
    assert open_steps(approval, case_no) == ["decide"]
    audit = call(approval, "get_case_process", case_no, REVIEWER)["audit"]
    assert [(e["kind"], e["actor"]) for e in audit if e["kind"].startswith("message")] == [
        ("message_received", "key:fire-dept"),
        ("message_delivered", "system"),
    ]


def test_an_early_message_is_kept_and_taken_when_the_process_gets_there(approval, case_no):
    receipt = call(approval, "deliver_message", case_no, "fire_inspection", {"passed": True}, "insp-000043", SYSTEM)
    assert receipt["delivered"] is False and receipt["kept_until"] is not None
    assert open_steps(approval, case_no) == ["prepare"]
    finish_preparing(approval, case_no)
    assert open_steps(approval, case_no) == ["decide"]
    again = call(approval, "deliver_message", case_no, "fire_inspection", {"passed": True}, "insp-000043", SYSTEM)
    assert again["delivered"] is True  # the same message again: its outcome, nothing delivered twice


def test_a_kept_message_older_than_the_retention_is_not_handed_over(approval, case_no):
    call(approval, "deliver_message", case_no, "fire_inspection", {"passed": True}, "insp-000044", SYSTEM)
    old = models.Message.objects(case_no=case_no).first()
    old.received_at = old.received_at - step_rules.MESSAGE_RETENTION - timedelta(minutes=1)
    old.save()
    finish_preparing(approval, case_no)
    assert open_steps(approval, case_no) == []  # waits at the catch event, no task
    assert call(approval, "get_case_process", case_no, REVIEWER)["waiting_messages"] == ["fire_inspection"]


def test_a_message_the_process_never_waits_for_is_refused_and_not_kept(approval, case_no):
    with pytest.raises(Conflict) as refused:
        call(approval, "deliver_message", case_no, "tax_cleared", {}, "tax-00000001", SYSTEM)
    assert "never waits for the message 'tax_cleared' (it waits for: fire_inspection)" in str(refused.value)
    assert models.Message.objects(case_no=case_no).count() == 0


def test_the_same_message_id_for_another_message_is_a_conflict(approval, case_no):
    call(approval, "deliver_message", case_no, "fire_inspection", {"passed": True}, "insp-000045", SYSTEM)
    with pytest.raises(Conflict) as refused:
        call(approval, "deliver_message", case_no, "fire_inspection", {"passed": False}, "insp-000045", SYSTEM)
    assert "was used for another message" in str(refused.value)
    # Scoped to the sender: another sender's id of the same text is its own.
    other = call(approval, "deliver_message", case_no, "fire_inspection", {"passed": False}, "insp-000045", REVIEWER)
    assert other["delivered"] is False


def test_the_halls_own_messages_and_other_departments_cases_are_out_of_reach(approval, case_no):
    with pytest.raises(Forbidden):
        call(approval, "deliver_message", case_no, "payment_confirmed", {"amount_fen": 0}, "forged-0001", SYSTEM)
    with pytest.raises(NotFound):
        call(approval, "deliver_message", case_no, "fire_inspection", {}, "insp-000046", TAX)
    with pytest.raises(NotFound):
        call(approval, "deliver_message", "20261203999999", "fire_inspection", {}, "insp-000047", SYSTEM)
