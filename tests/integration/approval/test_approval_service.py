"""The approval service on the real broker and store: deployment and versions, starting
a process from the case_submitted event, work lists, completion with compare-and-set, the
hall's events, messages, incidents and the audit trail."""

from pathlib import Path

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook

from gateway.rpc import RemoteError, RpcClient
from services.approval.service import ApprovalService
from services.common.errors import Conflict, InvalidInput, NotFound

BPMN_FILE = Path(__file__).resolve().parents[3] / "bpmn" / "immediate_item.bpmn"
CLERK = {"username": "clerk", "roles": ["clerk"], "department": "hall"}
CHIEF = {"username": "chief", "roles": ["chief"], "department": "market_regulation"}
TAX_CHIEF = {"username": "tax_chief", "roles": ["chief"], "department": "taxation"}


def case(case_no, department="market_regulation"):
    return {"case_no": case_no, "item_code": "MR-001", "department": department, "process_key": "immediate_item"}


def call(container, method, *args):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args)


def start_case(container, case_no, department="market_regulation"):
    call(container, "on_case_submitted", case(case_no, department))


def test_bpmn_directory_is_deployed_at_start_up(approval):
    processes = call(approval, "list_processes")
    assert [(p["key"], p["version"]) for p in processes] == [
        ("fee_item", 1),
        ("immediate_item", 1),
        ("joint_registration", 1),
        ("promised_item", 1),
    ]


def test_identical_content_is_not_a_new_version_but_changed_content_is(approval):
    xml = BPMN_FILE.read_text(encoding="utf-8")
    again = call(approval, "deploy_process", xml, "immediate_item.bpmn")
    assert (again["version"], again["created"]) == (1, False)
    changed = call(approval, "deploy_process", xml.replace("受理 Accept", "受理 Intake check"), "immediate_item.bpmn")
    assert (changed["version"], changed["created"]) == (2, True)


def test_a_bad_diagram_is_refused_naming_the_element(approval):
    without_lane = BPMN_FILE.read_text(encoding="utf-8").replace("<bpmn:flowNodeRef>accept</bpmn:flowNodeRef>", "")
    with pytest.raises(InvalidInput) as refused:
        call(approval, "deploy_process", without_lane, "broken.bpmn")
    assert refused.value.errors[0]["field"] == "accept"
    with pytest.raises(InvalidInput):
        call(approval, "deploy_process", "<bpmn:definitions", "garbage.bpmn")
    assert [p["version"] for p in call(approval, "list_processes")] == [1, 1, 1, 1]


def test_a_submitted_case_opens_the_intake_task_for_the_hall_clerks(approval):
    start_case(approval, "20261126000101")
    tasks = call(approval, "list_tasks", CLERK)
    assert [(t["case_no"], t["element_id"], t["role"], t["department"]) for t in tasks] == [
        ("20261126000101", "accept", "clerk", "hall")
    ]
    assert call(approval, "list_tasks", CHIEF) == []


def test_a_repeated_case_submitted_event_starts_one_process(approval):
    start_case(approval, "20261126000102")
    start_case(approval, "20261126000102")
    assert len(call(approval, "list_tasks", CLERK)) == 1


def test_completing_tasks_advances_the_process_to_its_end(approval):
    start_case(approval, "20261126000103")
    accept = call(approval, "list_tasks", CLERK)[0]
    done = call(approval, "complete_task", accept["id"], {"intake_decision": "accept"}, CLERK)
    assert (done["case_status"], done["current_step"]) == ("in_progress", "决定 Decide")
    decide = call(approval, "list_tasks", CHIEF)[0]
    assert decide["element_id"] == "decide" and decide["department"] == "market_regulation"
    final = call(approval, "complete_task", decide["id"], {"decision": "approved", "opinion": "同意"}, CHIEF)
    assert final["case_status"] == "completed"
    assert call(approval, "list_tasks", CHIEF) == []


def test_a_cases_progress_names_its_step_and_the_tasks_done_oldest_first(approval):
    assert call(approval, "case_progress", "20261126000113") is None
    start_case(approval, "20261126000113")
    assert call(approval, "case_progress", "20261126000113")["current_step"] == "受理 Accept"
    call(approval, "complete_task", call(approval, "list_tasks", CLERK)[0]["id"], {"intake_decision": "accept"}, CLERK)
    reviewing = call(approval, "case_progress", "20261126000113")
    assert (reviewing["status"], reviewing["current_step"], reviewing["outcome"]) == (
        "in_progress",
        "决定 Decide",
        None,
    )
    call(approval, "complete_task", call(approval, "list_tasks", CHIEF)[0]["id"], {"decision": "approved"}, CHIEF)
    done = call(approval, "case_progress", "20261126000113")
    assert (done["status"], done["current_step"], done["outcome"]) == ("completed", None, "approved")
    assert [(s["element_id"], s["name"], s["by"]) for s in done["steps"]] == [
        ("accept", "受理 Accept", "clerk"),
        ("decide", "决定 Decide", "chief"),
    ]
    assert done["steps"][0]["at"] <= done["steps"][1]["at"] <= done["moved_at"]


def test_a_completed_task_cannot_be_completed_again(approval):
    start_case(approval, "20261126000104")
    accept = call(approval, "list_tasks", CLERK)[0]
    call(approval, "complete_task", accept["id"], {"intake_decision": "accept"}, CLERK)
    with pytest.raises(Conflict):
        call(approval, "complete_task", accept["id"], {"intake_decision": "accept"}, CLERK)
    assert len(call(approval, "list_tasks", CHIEF)) == 1


def test_another_departments_task_is_invisible(approval):
    start_case(approval, "20261126000105")
    accept = call(approval, "list_tasks", CLERK)[0]
    call(approval, "complete_task", accept["id"], {"intake_decision": "accept"}, CLERK)
    decide = call(approval, "list_tasks", CHIEF)[0]
    assert call(approval, "list_tasks", TAX_CHIEF) == []
    with pytest.raises(NotFound):
        call(approval, "get_task", decide["id"], TAX_CHIEF)
    with pytest.raises(NotFound):
        call(approval, "complete_task", decide["id"], {"decision": "approved"}, TAX_CHIEF)
    assert call(approval, "get_task", decide["id"], CHIEF)["id"] == decide["id"]


def test_form_data_is_checked_before_anything_runs(approval):
    start_case(approval, "20261126000106")
    accept = call(approval, "list_tasks", CLERK)[0]
    with pytest.raises(InvalidInput) as refused:
        call(approval, "complete_task", accept["id"], {"intake_decision": "yes", "decision": "approved"}, CLERK)
    assert {e["field"] for e in refused.value.errors} == {"intake_decision", "decision"}
    assert call(approval, "list_tasks", CLERK)[0]["id"] == accept["id"]


def test_two_replicas_completing_one_task_at_once_advance_it_once(container_factory, service_config, clean_databases):
    """Six clerks press "complete" at once; the broker spreads the calls over two replicas."""
    replicas = [container_factory(ApprovalService, service_config) for _ in range(2)]
    for replica in replicas:
        replica.start()
    start_case(replicas[0], "20261126000107")
    accept = call(replicas[0], "list_tasks", CLERK)[0]
    client = RpcClient(service_config["AMQP_URI"], timeout=30)

    def complete():
        try:
            return client.call("approval", "complete_task", accept["id"], {"intake_decision": "accept"}, CLERK)
        except RemoteError as refused:
            return refused.exc_type

    outcomes = [thread.wait() for thread in [eventlet.spawn(complete) for _ in range(6)]]
    assert sorted(o if isinstance(o, str) else "completed" for o in outcomes) == ["Conflict"] * 5 + ["completed"]
    assert len(call(replicas[1], "list_tasks", CHIEF)) == 1
    from services.approval import models

    assert models.ProcessInstance.objects(case_no="20261126000107").first().rev == 2


def test_a_redelivered_case_submitted_event_starts_nothing_again(approval):
    """A replica killed after saving the new instance does not ack the event; the broker
    redelivers it and finds the instance (its open task was saved with it)."""
    from services.approval import models

    start_case(approval, "20261126000108")
    start_case(approval, "20261126000108")
    assert [t["element_id"] for t in call(approval, "list_tasks", CLERK)] == ["accept"]
    assert models.ProcessInstance.objects(case_no="20261126000108").count() == 1
