"""Moving a running case to a new version of its process: by element id, by the designer's
map for the rest, and staying where it cannot move."""
from pathlib import Path

import pytest

from services.approval import bpmn_engine, migration
from services.common.errors import InvalidInput

V1 = (Path(__file__).parents[2] / "fixtures" / "camunda_lanes_clerk_manager.bpmn").read_bytes()
# Version 2 adds an inspection between the check and the approval.
V2 = V1.replace(b'<bpmn:flowNodeRef>Activity_approve</bpmn:flowNodeRef>',
                b'<bpmn:flowNodeRef>Activity_approve</bpmn:flowNodeRef><bpmn:flowNodeRef>Activity_inspect</bpmn:flowNodeRef>'
                ).replace(b'<bpmn:incoming>Flow_1d2e3f4</bpmn:incoming>', b'<bpmn:incoming>Flow_inspected</bpmn:incoming>'
                          ).replace(b'targetRef="Activity_approve" />',
                                    b'targetRef="Activity_inspect" /><bpmn:sequenceFlow id="Flow_inspected" '
                                    b'sourceRef="Activity_inspect" targetRef="Activity_approve" />'
                                    ).replace(b'<bpmn:exclusiveGateway ',
                                              b'<bpmn:userTask id="Activity_inspect" name="\xe7\x8e\xb0\xe5\x9c\xba '
                                              b'Inspect"><bpmn:incoming>Flow_1d2e3f4</bpmn:incoming>'
                                              b'<bpmn:outgoing>Flow_inspected</bpmn:outgoing></bpmn:userTask>'
                                              b'<bpmn:exclusiveGateway ')
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
        migration.check_element_map({"Activity_check": "Activity_nowhere", "Activity_gone": "Activity_approve"},
                                    bpmn_engine.parse_diagram(V1), bpmn_engine.parse_diagram(V3))
    assert [p["field"] for p in refused.value.errors] == ["element_map.Activity_check", "element_map.Activity_gone"]
