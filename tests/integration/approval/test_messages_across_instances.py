"""Messages across instances, on the real broker and store: a case's process throws a message,
the approval service delivers it through the outbox and it starts the partner process of the
diagram's collaboration as a sub-instance of the case; the partner's answer reaches the case's
process, which runs to its end. A redelivered message starts nothing twice, and a department's
message over HTTP that a partner's start event catches starts one too."""

import json
from pathlib import Path

import pytest
from nameko.testing.services import entrypoint_hook

from services.approval import models
from tests.waiting import eventually

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "diagrams"
HOUSING = {"username": "reviewer", "roles": ["reviewer"], "department": "housing"}
CHIEF = {"username": "chief", "roles": ["chief"], "department": "market_regulation"}
ADMIN = {"username": "admin", "roles": ["admin"], "department": "hall"}
DEPARTMENT = {"username": "key:housing", "roles": ["reviewer"], "department": "market_regulation"}


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


@pytest.fixture
def collaboration(approval):
    deployed = call(
        approval,
        "deploy_process",
        (FIXTURES / "camunda_message_collaboration.bpmn").read_text(encoding="utf-8"),
        "camunda_message_collaboration.bpmn",
    )
    assert (deployed["key"], [p["key"] for p in deployed["partners"]]) == ("hall_referral", ["bureau_opinion"])
    return approval


def submit(approval, case_no):
    call(
        approval,
        "on_case_submitted",
        {"case_no": case_no, "item_code": "MR-009", "department": "market_regulation", "process_key": "hall_referral"},
    )


def sub_instances(approval, case_no):
    return call(approval, "get_case_process", case_no, ADMIN)["sub_instances"]


def thrown(case_no):
    """The ``message_thrown`` events the case's process left in its step records."""
    return [
        payload
        for record in models.Step.objects(case_no=case_no)
        for name, payload in json.loads(record.body)["events"]
        if name == "message_thrown"
    ]


def test_a_thrown_message_starts_the_partner_whose_answer_reaches_the_case_and_a_redelivery_starts_nothing(
    collaboration,
):
    case_no = "20261203000301"
    submit(collaboration, case_no)
    [sub] = eventually(lambda: sub_instances(collaboration, case_no), "the partner process did not start")
    assert (sub["process_key"], [t["element_id"] for t in sub["open_tasks"]]) == (
        "bureau_opinion",
        ["Activity_write_opinion"],
    )
    assert call(collaboration, "get_case_process", case_no, ADMIN)["waiting_messages"] == ["bureau_opinion"]

    [message] = eventually(lambda: thrown(case_no), "the thrown message's step record was not stored")
    call(collaboration, "on_message_thrown", message)  # the broker delivers it again
    assert len(sub_instances(collaboration, case_no)) == 1

    [write] = call(collaboration, "work_list", HOUSING, {"case_no": case_no})["tasks"]  # filed under the case
    assert (write["element_id"], write["case_no"], write["instance_no"]) == (
        "Activity_write_opinion",
        case_no,
        sub["instance_no"],
    )
    call(collaboration, "complete_task", write["id"], {"opinion": "同意"}, HOUSING)
    [decide] = eventually(
        lambda: [t for t in call(collaboration, "list_tasks", CHIEF) if t["case_no"] == case_no],
        "the partner's answer did not reach the case's process",
    )
    assert decide["element_id"] == "Activity_decide"
    call(collaboration, "complete_task", decide["id"], {}, CHIEF)

    case = call(collaboration, "get_case_process", case_no, ADMIN)
    assert (case["status"], [s["status"] for s in case["sub_instances"]]) == ("completed", ["completed"])
    assert [e["kind"] for e in case["audit"] if e["kind"].startswith("message")] == [
        "message_received",
        "message_delivered",
    ]


def test_a_departments_message_a_partner_starts_with_starts_it_once(collaboration):
    case_no = "20261203000302"
    submit(collaboration, case_no)
    eventually(lambda: sub_instances(collaboration, case_no), "the partner process did not start")
    receipt = call(
        collaboration, "deliver_message", case_no, "opinion_request", {"urgent": True}, "ask-000001", DEPARTMENT
    )
    again = call(
        collaboration, "deliver_message", case_no, "opinion_request", {"urgent": True}, "ask-000001", DEPARTMENT
    )
    assert receipt == again and receipt["delivered"] is True
    assert sorted(s["process_key"] for s in sub_instances(collaboration, case_no)) == ["bureau_opinion"] * 2
