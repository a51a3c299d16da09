"""A message starts a process deployed from another file, on the real broker and store: the
process whose message start event catches it (its latest version) starts as a sub-instance of
the case, once per message, whether a case's process threw the message or a department sent it
over HTTP; its tasks are filed under the case's number. A second process that would start with
the same message is refused at deploy."""

import json
from pathlib import Path

import pytest
from nameko.testing.services import entrypoint_hook

from services.approval import models
from services.common.errors import InvalidInput
from tests.waiting import eventually

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
INQUIRY = (FIXTURES / "camunda_archive_inquiry.bpmn").read_text(encoding="utf-8")
LOOKUP = (FIXTURES / "camunda_archive_lookup.bpmn").read_text(encoding="utf-8")
HOUSING = {"username": "reviewer", "roles": ["reviewer"], "department": "housing"}
CHIEF = {"username": "chief", "roles": ["chief"], "department": "market_regulation"}
ADMIN = {"username": "admin", "roles": ["admin"], "department": "hall"}
DEPARTMENT = {"username": "key:housing", "roles": ["reviewer"], "department": "market_regulation"}


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


@pytest.fixture
def deployed(approval):
    """The archive's process and the hall's inquiry, deployed from two files."""
    assert call(approval, "deploy_process", LOOKUP, "camunda_archive_lookup.bpmn")["key"] == "archive_lookup"
    assert call(approval, "deploy_process", INQUIRY, "camunda_archive_inquiry.bpmn")["key"] == "archive_inquiry"
    return approval


def submit(approval, case_no, process_key):
    call(
        approval,
        "on_case_submitted",
        {"case_no": case_no, "item_code": "MR-009", "department": "market_regulation", "process_key": process_key},
    )


def sub_instances(approval, case_no):
    return call(approval, "get_case_process", case_no, ADMIN)["sub_instances"]


def thrown(case_no):
    return [
        payload
        for record in models.Step.objects(case_no=case_no)
        for name, payload in json.loads(record.body)["events"]
        if name == "message_thrown"
    ]


def test_a_thrown_message_starts_the_process_of_another_file_filed_under_the_case(deployed):
    case_no = "20261203000401"
    submit(deployed, case_no, "archive_inquiry")
    [sub] = eventually(lambda: sub_instances(deployed, case_no), "the archive's process did not start")
    assert (sub["process_key"], sub["status"]) == ("archive_lookup", "in_progress")
    [message] = eventually(lambda: thrown(case_no), "the thrown message's step record was not stored")
    call(deployed, "on_message_thrown", message)  # the broker delivers it again
    assert len(sub_instances(deployed, case_no)) == 1

    [pull] = call(deployed, "work_list", HOUSING, {"case_no": case_no})["tasks"]
    assert (pull["element_id"], pull["case_no"], pull["instance_no"]) == (
        "Activity_pull_records",
        case_no,
        sub["instance_no"],
    )
    call(deployed, "complete_task", pull["id"], {"records": "档案 A-17"}, HOUSING)
    [decide] = eventually(
        lambda: call(deployed, "work_list", CHIEF, {"case_no": case_no})["tasks"],
        "the archive's answer did not reach the case's process",
    )
    assert (decide["element_id"], decide["instance_no"]) == ("Activity_decide", case_no)
    call(deployed, "complete_task", decide["id"], {}, CHIEF)
    case = call(deployed, "get_case_process", case_no, ADMIN)
    assert (case["status"], [s["status"] for s in case["sub_instances"]]) == ("completed", ["completed"])


def test_a_departments_message_starts_a_deployed_process_once(deployed):
    call(
        deployed,
        "deploy_process",
        (FIXTURES / "diagrams" / "camunda_message_collaboration.bpmn").read_text(encoding="utf-8"),
        "camunda_message_collaboration.bpmn",
    )
    case_no = "20261203000402"
    submit(deployed, case_no, "hall_referral")  # its diagram knows nothing of the archive
    eventually(lambda: sub_instances(deployed, case_no), "the partner process did not start")
    receipt = call(deployed, "deliver_message", case_no, "archive_request", {}, "archive-000001", DEPARTMENT)
    again = call(deployed, "deliver_message", case_no, "archive_request", {}, "archive-000001", DEPARTMENT)
    assert receipt == again and receipt["delivered"] is True
    assert sorted(s["process_key"] for s in sub_instances(deployed, case_no)) == ["archive_lookup", "bureau_opinion"]


def test_a_second_process_starting_with_the_same_message_is_refused_naming_both(deployed):
    with pytest.raises(InvalidInput) as refused:
        call(deployed, "deploy_process", LOOKUP.replace("archive_lookup", "archive_copy"), "archive_copy.bpmn")
    [error] = refused.value.errors
    assert error["field"] == "Event_request_received"
    assert "'archive_request'" in error["message"] and "'archive_lookup'" in error["message"]
    renamed = call(deployed, "deploy_process", LOOKUP.replace("调档 Pull", "调取 Pull"), "camunda_archive_lookup.bpmn")
    assert (renamed["key"], renamed["version"]) == ("archive_lookup", 2)  # its own next version is no rival
