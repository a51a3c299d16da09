"""Moving a running case to a new version of its process: by element id, by the designer's
map for the rest, and staying where it cannot move."""

from pathlib import Path

import pytest

from services.approval import bpmn_engine, migration
from services.common.errors import InvalidInput

V1 = (Path(__file__).parents[2] / "fixtures" / "camunda_lanes_clerk_manager.bpmn").read_bytes()
# Version 2 adds an inspection between the check and the approval.
V2 = (
    V1.replace(
        b"<bpmn:flowNodeRef>Activity_approve</bpmn:flowNodeRef>",
        b"<bpmn:flowNodeRef>Activity_approve</bpmn:flowNodeRef><bpmn:flowNodeRef>Activity_inspect</bpmn:flowNodeRef>",
    )
    .replace(b"<bpmn:incoming>Flow_1d2e3f4</bpmn:incoming>", b"<bpmn:incoming>Flow_inspected</bpmn:incoming>")
    .replace(
        b'targetRef="Activity_approve" />',
        b'targetRef="Activity_inspect" /><bpmn:sequenceFlow id="Flow_inspected" '
        b'sourceRef="Activity_inspect" targetRef="Activity_approve" />',
    )
    .replace(
        b"<bpmn:exclusiveGateway ",
        b'<bpmn:userTask id="Activity_inspect" name="\xe7\x8e\xb0\xe5\x9c\xba '
        b'Inspect"><bpmn:incoming>Flow_1d2e3f4</bpmn:incoming>'
        b"<bpmn:outgoing>Flow_inspected</bpmn:outgoing></bpmn:userTask>"
        b"<bpmn:exclusiveGateway ",
    )
)
# Version 3 renames the check.
V3 = V1.replace(b"Activity_check", b"Activity_verify")


def waiting_at_check():
    return bpmn_engine.start(bpmn_engine.parse_diagram(V1), {"applicant": "张三"})


def complete_open(case, data):
    bpmn_engine.complete_task(case, bpmn_engine.open_user_tasks(case)[0]["id"], data)


def roundtrip(case, diagram):
    return bpmn_engine.load_state(diagram, bpmn_engine.dump_state(case))


def test_a_case_waiting_in_an_element_both_versions_have_moves_and_takes_the_new_path():
    target = bpmn_engine.parse_diagram(V2)
    case = waiting_at_check()
    task_id = bpmn_engine.open_user_tasks(case)[0]["id"]
    plan = migration.plan_case("c1", "in_progress", case, target, {})
    assert (plan.movable, plan.waiting_in, plan.unmapped) == (True, ["Activity_check"], [])
    case = roundtrip(migration.migrate_workflow(case, target, {}), target)
    assert [t["id"] for t in bpmn_engine.open_user_tasks(case)] == [task_id]  # the same task, still open
    complete_open(case, {"papers_ok": True})
    assert [t["element_id"] for t in bpmn_engine.open_user_tasks(case)] == ["Activity_inspect"]
    complete_open(case, {})
    complete_open(case, {"granted": True})
    assert (bpmn_engine.end_event(case), bpmn_engine.workflow_data(case)["applicant"]) == ("Event_granted", "张三")


def test_a_renamed_element_moves_only_with_the_designers_map():
    target = bpmn_engine.parse_diagram(V3)
    case = waiting_at_check()
    plan = migration.plan_case("c1", "in_progress", case, target, {})
    assert (plan.movable, plan.unmapped) == (False, ["Activity_check"])
    element_map = {"Activity_check": "Activity_verify"}
    assert migration.plan_case("c1", "in_progress", case, target, element_map).movable
    case = roundtrip(migration.migrate_workflow(case, target, element_map), target)
    assert [t["element_id"] for t in bpmn_engine.open_user_tasks(case)] == ["Activity_verify"]
    complete_open(case, {"papers_ok": True})
    assert [t["element_id"] for t in bpmn_engine.open_user_tasks(case)] == ["Activity_approve"]


def test_a_case_in_an_incident_stays():
    case = waiting_at_check()
    plan = migration.plan_case("c1", "incident", case, bpmn_engine.parse_diagram(V2), {})
    assert not plan.movable and "incident" in plan.reason


def test_an_element_map_names_elements_of_both_versions():
    with pytest.raises(InvalidInput) as refused:
        migration.check_element_map(
            {"Activity_check": "Activity_nowhere", "Activity_gone": "Activity_approve"},
            bpmn_engine.parse_diagram(V1),
            bpmn_engine.parse_diagram(V3),
        )
    assert [p["field"] for p in refused.value.errors] == ["element_map.Activity_check", "element_map.Activity_gone"]


def test_a_case_waiting_for_a_message_moves_and_still_takes_it():
    v1 = (Path(__file__).parents[2] / "fixtures" / "diagrams" / "camunda_message_catch_due_date.bpmn").read_bytes()
    source = bpmn_engine.parse_diagram(v1)
    target = bpmn_engine.parse_diagram(v1)  # a second version as drawn: specs of its own
    case = bpmn_engine.start(source, {"register_by": "2026-12-10T17:00:00+08:00"})
    assert bpmn_engine.waiting_messages(case) == ["tax_cleared"]
    plan = migration.plan_case("c1", "in_progress", case, target, {})
    assert (plan.movable, plan.waiting_in) == (True, ["Event_tax_cleared"])
    case = roundtrip(migration.migrate_workflow(case, target, {}), target)
    assert bpmn_engine.waiting_messages(case) == ["tax_cleared"]
    assert bpmn_engine.deliver_message(case, "tax_cleared", {"tax_paid_fen": 1250000}) == "Event_tax_cleared"
    assert [t["element_id"] for t in bpmn_engine.open_user_tasks(case)] == ["Activity_register_transfer"]


def test_a_case_waiting_with_a_boundary_timer_moves_with_its_due_time():
    drawn = (Path(__file__).parents[2] / "fixtures" / "camunda_modeler_review.bpmn").read_bytes()
    target = bpmn_engine.parse_diagram(drawn)
    case = bpmn_engine.start(bpmn_engine.parse_diagram(drawn), {"sign_due": "2030-01-01T00:00:00+08:00"})
    due = bpmn_engine.next_timer(case)
    assert migration.plan_case("c1", "in_progress", case, target, {}).waiting_in == [
        "Activity_review",
        "Event_reminder",
    ]
    case = roundtrip(migration.migrate_workflow(case, target, {}), target)
    assert bpmn_engine.next_timer(case) == due
    complete_open(case, {"verdict": "pass"})
    assert [t["element_id"] for t in bpmn_engine.open_user_tasks(case)] == ["Activity_sign"]
