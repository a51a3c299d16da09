"""Work lists and idempotent completion on the real broker and store: filters, pages ordered
by due time, a task's case summary, department isolation, and an Idempotency-Key that makes a
repeated completion return the first answer without running twice, also after a replica was
killed half-way."""

from datetime import datetime, timedelta, timezone

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook

from gateway.rpc import RemoteError, RpcClient
from services.approval import models
from services.approval.service import ApprovalService, open_processes
from services.approval.step_rules import due_order
from services.common.errors import Conflict, InvalidInput, NotFound, RequestInProgress
from services.common.fields import to_millis
from services.common.idempotency import RequestLog
from services.common.time import utcnow

CLERK = {"username": "clerk", "roles": ["clerk"], "department": "hall"}
OTHER_CLERK = {"username": "clerk2", "roles": ["clerk"], "department": "hall"}
CHIEF = {"username": "chief", "roles": ["chief"], "department": "market_regulation"}
TAX_CHIEF = {"username": "tax_chief", "roles": ["chief"], "department": "taxation"}


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def start_case(container, case_no, process_key="immediate_item", limit=None):
    call(
        container,
        "on_case_submitted",
        {
            "case_no": case_no,
            "item_code": "MR-001",
            "item_name": "食品经营许可",
            "kind": "immediate",
            "department": "market_regulation",
            "process_key": process_key,
            "promised_limit_days": limit,
            "submitted_at": "2026-11-26T01:00:00+00:00",
        },
    )


def give_due_time(case_no, due):
    """As a diagram's due date would have set it, with the stored work-list order."""
    instance = models.ProcessInstance.objects(case_no=case_no).first()
    due_at = to_millis(datetime.fromisoformat(due))
    tasks = [dict(task, due_at=due_at, due_order=due_order(due_at, task["created_at"])) for task in instance.open_tasks]
    instance.update(set__open_tasks=tasks)


def test_a_long_work_list_is_paged_in_order(approval):
    cases = [f"2026112600053{n:02d}" for n in range(12)]
    for case_no in cases:
        start_case(approval, case_no)
    give_due_time(cases[7], "2026-12-02T09:00:00+00:00")
    give_due_time(cases[3], "2026-12-01T09:00:00+00:00")

    pages = [call(approval, "work_list", CLERK, {}, 5, offset) for offset in (0, 5, 10)]

    assert [page["total"] for page in pages] == [12, 12, 12]
    listed = [t["case_no"] for page in pages for t in page["tasks"]]
    by_age = [c for c in cases if c not in (cases[3], cases[7])]
    assert listed == [cases[3], cases[7]] + by_age
    assert [t["case_no"] for t in call(approval, "list_tasks", CLERK)] == listed


def test_the_work_list_filters_and_pages_tasks_due_soonest_first(approval):
    for number in range(1, 6):
        start_case(approval, f"2026112600050{number}")
    call(
        approval,
        "on_case_submitted",
        {
            "case_no": "20261126000506",
            "item_code": "MR-002",
            "department": "market_regulation",
            "process_key": "promised_item",
            "promised_limit_days": 5,
        },
    )
    for number in (2, 4):  # two accepted cases: their decision task waits for the chief
        [accept] = call(approval, "work_list", CLERK, {"case_no": f"2026112600050{number}"})["tasks"]
        call(approval, "complete_task", accept["id"], {"intake_decision": "accept"}, CLERK)
    # due times decide the order: give the two chief tasks deadlines, the later one first
    give_due_time("20261126000502", "2026-12-03T09:00:00+00:00")
    give_due_time("20261126000504", "2026-12-01T09:00:00+00:00")

    chief = call(approval, "work_list", CHIEF)
    assert [t["case_no"] for t in chief["tasks"]] == ["20261126000504", "20261126000502"]
    page = call(approval, "work_list", CLERK, {"process_key": "immediate_item"}, 2, 1)
    assert (page["total"], page["limit"], page["offset"], len(page["tasks"])) == (3, 2, 1, 2)
    everything = call(approval, "work_list", CLERK, {}, 50, 0)
    assert everything["total"] == 4
    assert [t["case_no"] for t in everything["tasks"][1:3]] == [t["case_no"] for t in page["tasks"]]
    only_promised = call(approval, "work_list", CLERK, {"process_key": "promised_item", "element_id": "accept"})
    assert [t["case_no"] for t in only_promised["tasks"]] == ["20261126000506"]
    assert call(approval, "work_list", CLERK, {"element_id": "decide"})["total"] == 0


def test_a_task_shows_its_form_and_the_case_summary_and_stays_in_its_department(approval):
    start_case(approval, "20261126000511")
    [accept] = call(approval, "list_tasks", CLERK)
    call(approval, "complete_task", accept["id"], {"intake_decision": "accept", "reason": "齐全"}, CLERK)
    [decide] = call(approval, "list_tasks", CHIEF)

    detail = call(approval, "get_task", decide["id"], CHIEF)
    assert [f["id"] for f in detail["form"]] == ["decision", "opinion", "window"]
    assert detail["case"] == {
        "case_no": "20261126000511",
        "department": "market_regulation",
        "item_code": "MR-001",
        "item_name": "食品经营许可",
        "kind": "immediate",
        "on_the_spot": None,
        "promised_limit_days": None,
        "legal_limit_days": None,
        "submitted_at": "2026-11-26T01:00:00+00:00",
        "process_key": "immediate_item",
        "process_version": 1,
        "status": "in_progress",
    }
    assert detail["process_data"]["intake_decision"] == "accept"
    with pytest.raises(NotFound):
        call(approval, "get_task", decide["id"], TAX_CHIEF)
    with pytest.raises(NotFound):
        call(approval, "complete_task", decide["id"], {"decision": "approved"}, TAX_CHIEF)
    assert call(approval, "work_list", TAX_CHIEF)["total"] == 0


def key(username, request_key, body="the same body"):
    """What the gateway sends for an Idempotency-Key (gateway/idempotency.py)."""
    return {"key": f"caller:{username}:{request_key}", "fingerprint": body}


def test_a_repeated_request_id_returns_the_first_answer_and_runs_nothing_twice(approval):
    start_case(approval, "20261126000521")
    [accept] = call(approval, "list_tasks", CLERK)

    first = call(
        approval,
        "complete_task",
        accept["id"],
        {"intake_decision": "accept"},
        CLERK,
        idempotency=key("clerk", "accept-20261126000521"),
    )
    again = call(
        approval,
        "complete_task",
        accept["id"],
        {"intake_decision": "accept"},
        CLERK,
        idempotency=key("clerk", "accept-20261126000521"),
    )

    assert again == first
    process = call(approval, "get_case_process", "20261126000521", CLERK)
    assert [e["kind"] for e in process["audit"]].count("task_completed") == 1
    assert process["rev"] == 2
    with pytest.raises(Conflict):  # without the request id a second completion is refused, as before
        call(approval, "complete_task", accept["id"], {"intake_decision": "accept"}, CLERK)
    with pytest.raises(Conflict):  # the same id for another task is a client bug
        [decide] = call(approval, "list_tasks", CHIEF)
        call(
            approval,
            "complete_task",
            decide["id"],
            {"decision": "approved"},
            CLERK,
            idempotency=key("clerk", "accept-20261126000521", "another task"),
        )


def test_a_failed_completion_does_not_use_up_its_request_id_and_ids_are_per_user(approval):
    start_case(approval, "20261126000522")
    [accept] = call(approval, "list_tasks", CLERK)
    with pytest.raises(InvalidInput):
        call(
            approval,
            "complete_task",
            accept["id"],
            {"intake_decision": "refuse"},
            CLERK,
            idempotency=key("clerk", "r-00000001", "refuse without reason"),
        )
    done = call(
        approval,
        "complete_task",
        accept["id"],
        {"intake_decision": "refuse", "reason": "不符合条件"},
        CLERK,
        idempotency=key("clerk", "r-00000001"),
    )
    assert done["completed"] is True
    with pytest.raises(Conflict):  # another clerk's same id is another request: the task is done
        call(
            approval,
            "complete_task",
            accept["id"],
            {"intake_decision": "accept"},
            OTHER_CLERK,
            idempotency=key(OTHER_CLERK["username"], "r-00000001"),
        )


def test_concurrent_repeats_with_one_request_id_through_two_replicas_all_get_the_first_answer(
    container_factory, service_config, clean_databases
):
    replicas = [container_factory(ApprovalService, service_config) for _ in range(2)]
    for replica in replicas:
        replica.start()
    start_case(replicas[0], "20261126000523")
    [accept] = call(replicas[0], "list_tasks", CLERK)
    client = RpcClient(service_config["AMQP_URI"], timeout=30)

    def complete():
        try:
            return client.call(
                "approval",
                "complete_task",
                accept["id"],
                {"intake_decision": "accept"},
                CLERK,
                idempotency=key("clerk", "double-click-0001"),
            )
        except RemoteError as refused:
            return refused.exc_type

    answers = [thread.wait() for thread in [eventlet.spawn(complete) for _ in range(6)]]
    assert all(answer == answers[0] for answer in answers) and answers[0]["completed"] is True, answers
    process = call(replicas[1], "get_case_process", "20261126000523", CLERK)
    assert [e["kind"] for e in process["audit"]].count("task_completed") == 1


NAMES_ITS_PEOPLE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="expert_opinion" name="专家意见 Expert opinion" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="to_opinion" sourceRef="start" targetRef="opinion" />
    <bpmn:userTask id="opinion" name="专家意见 Opinion" camunda:candidateUsers="tax_chief, ${expert}">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="signer" label="签发人 Signer" type="string" />
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="to_sign" sourceRef="opinion" targetRef="sign" />
    <bpmn:userTask id="sign" name="签发 Sign" camunda:assignee="${signer}" />
    <bpmn:sequenceFlow id="to_end" sourceRef="sign" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""
HR_CHIEF = {"username": "hr_chief", "roles": ["chief"], "department": "human_resources"}


def test_a_task_that_names_its_people_reaches_their_work_lists_whatever_their_role(approval):
    call(approval, "deploy_process", NAMES_ITS_PEOPLE, "expert_opinion.bpmn")
    case_no = "20261203000551"
    call(
        approval,
        "on_case_submitted",
        {"case_no": case_no, "item_code": "MR-001", "department": "market_regulation", "process_key": "expert_opinion"},
    )
    [opinion] = call(approval, "list_tasks", TAX_CHIEF)
    assert (opinion["element_id"], opinion["role"]) == ("opinion", "")
    assert call(approval, "list_tasks", CHIEF) == [] and call(approval, "list_tasks", HR_CHIEF) == []
    with pytest.raises(NotFound):
        call(approval, "complete_task", opinion["id"], {"signer": "hr_chief"}, CHIEF)

    call(approval, "complete_task", opinion["id"], {"signer": "hr_chief"}, TAX_CHIEF)

    [sign] = call(approval, "list_tasks", HR_CHIEF)
    assert (sign["element_id"], sign["assignee"]) == ("sign", "hr_chief")
    assert call(approval, "list_tasks", TAX_CHIEF) == []
    done = call(approval, "complete_task", sign["id"], {}, HR_CHIEF)
    assert done["case_status"] == "completed"


def left_by_a_killed_attempt(request):
    """The record a first attempt leaves when its replica is killed: no answer, its lease run out."""
    past, now = datetime(2000, 1, 1, tzinfo=timezone.utc), datetime.now(timezone.utc)
    RequestLog.of("approval").collection.insert_one(
        {
            "_id": request["key"],
            "fingerprint": request["fingerprint"],
            "attempt": "killed",
            "answered": False,
            "answer": None,
            "started_at": past,
            "lease_until": past,
            "expires_at": now + timedelta(hours=1),
        }
    )


class Killed(Exception):
    pass


def test_a_completion_whose_replica_was_killed_right_after_saving_answers_its_retry_with_the_first_answer(
    approval, service_config, monkeypatch
):
    start_case(approval, "20261126000531")
    [accept] = call(approval, "list_tasks", CLERK)
    request = key("clerk", "killed-after-saving")
    left_by_a_killed_attempt(request)
    replica = open_processes(service_config)

    def killed(*args):
        raise Killed()

    monkeypatch.setattr(replica, "_after_step", killed)  # saved, then nothing more: no answer recorded
    with pytest.raises(Killed):
        replica.complete(accept["id"], {"intake_decision": "accept"}, CLERK, utcnow(), request["key"])

    again = call(approval, "complete_task", accept["id"], {"intake_decision": "accept"}, CLERK, idempotency=request)
    assert again["completed"] is True and again["id"] == accept["id"]
    assert (
        call(approval, "complete_task", accept["id"], {"intake_decision": "accept"}, CLERK, idempotency=request)
        == again
    )
    assert models.ProcessInstance.objects(case_no="20261126000531").first().rev == 2


def test_a_completion_whose_replica_was_killed_before_saving_runs_on_its_retry(approval):
    start_case(approval, "20261126000532")
    [accept] = call(approval, "list_tasks", CLERK)
    request = key("clerk", "killed-before-saving")
    left_by_a_killed_attempt(request)

    done = call(approval, "complete_task", accept["id"], {"intake_decision": "accept"}, CLERK, idempotency=request)
    assert done["completed"] is True
    process = call(approval, "get_case_process", "20261126000532", CLERK)
    assert [e["kind"] for e in process["audit"]].count("task_completed") == 1


def test_a_repeat_while_the_first_completion_runs_is_told_when_to_send_it_again(approval):
    start_case(approval, "20261126000533")
    [accept] = call(approval, "list_tasks", CLERK)
    request = key("clerk", "still-running")
    RequestLog.of("approval").collection.insert_one(
        {
            "_id": request["key"],
            "fingerprint": request["fingerprint"],
            "attempt": "running",
            "answered": False,
            "answer": None,
            "started_at": datetime.now(timezone.utc),
            "lease_until": datetime.now(timezone.utc) + timedelta(seconds=15),
            "expires_at": datetime.now(timezone.utc) + timedelta(hours=1),
        }
    )
    with pytest.raises(RequestInProgress) as running:
        call(approval, "complete_task", accept["id"], {"intake_decision": "accept"}, CLERK, idempotency=request)
    assert 1 <= running.value.retry_after <= 15 and "same key" in running.value.detail
    assert call(approval, "list_tasks", CLERK) == [accept]  # nothing ran
