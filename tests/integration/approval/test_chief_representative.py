"""The chief representative (首席代表制) and the separation of review and decision (审批分离),
on the real broker and store: an on-the-spot item's acceptance is also in the department
chief's work list and its decision stays with the chief who accepted it; a promised item's
decision is neither offered to nor completed by the person who reviewed it."""

import pytest
from nameko.events import event_handler
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.approval import models
from services.common.errors import Forbidden, InvalidInput, NotFound

CLERK = {"username": "clerk", "roles": ["clerk"], "department": "hall"}
HR_CHIEF = {"username": "hr_chief", "roles": ["chief"], "department": "human_resources"}
OTHER_HR_CHIEF = {"username": "hr_chief2", "roles": ["chief"], "department": "human_resources"}
TAX_CHIEF = {"username": "tax_chief", "roles": ["chief"], "department": "taxation"}
# One person holding every role of a department: the account testers tried.
ALL_ROLES = {"username": "all_in_one", "roles": ["clerk", "reviewer", "chief"], "department": "market_regulation"}
REVIEWER = {"username": "reviewer", "roles": ["reviewer"], "department": "market_regulation"}
CHIEF = {"username": "chief", "roles": ["chief"], "department": "market_regulation"}


class Decisions:
    """Stands in for intake and monitor: records `case_decided`."""

    name = "test_decisions"
    heard = {}

    @event_handler("approval", "case_decided")
    def on_case_decided(self, payload):
        self.heard[payload["case_no"]] = payload


@pytest.fixture
def decisions(start_listener):
    Decisions.heard = {}
    return start_listener(Decisions)


def decide(container, listener, task_id, data, user):
    with entrypoint_waiter(listener, "on_case_decided"):
        call(container, "complete_task", task_id, data, user)


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def start_case(container, case_no, on_the_spot, process_key="immediate_item", department="human_resources"):
    call(
        container,
        "on_case_submitted",
        {
            "case_no": case_no,
            "item_code": "HR-004",
            "item_name": "职业资格证书补发",
            "kind": "immediate",
            "on_the_spot": on_the_spot,
            "department": department,
            "process_key": process_key,
            "promised_limit_days": 5,
            "submitted_at": "2026-11-26T01:00:00+00:00",
        },
    )


def tasks(container, user, case_no):
    return call(container, "work_list", user, {"case_no": case_no})["tasks"]


def test_the_chief_accepts_an_on_the_spot_case_and_decides_it_in_the_same_sitting(approval, decisions):
    start_case(approval, "20261126000701", on_the_spot=True)

    [accept] = tasks(approval, HR_CHIEF, "20261126000701")
    assert (accept["element_id"], accept["on_the_spot"]) == ("accept", "chief:human_resources")
    assert [t["id"] for t in tasks(approval, CLERK, "20261126000701")] == [accept["id"]]  # the window's too
    assert tasks(approval, TAX_CHIEF, "20261126000701") == []
    assert call(approval, "get_task", accept["id"], HR_CHIEF)["element_id"] == "accept"

    call(approval, "complete_task", accept["id"], {"intake_decision": "accept"}, HR_CHIEF)
    [decide_task] = tasks(approval, HR_CHIEF, "20261126000701")
    assert (decide_task["element_id"], decide_task["assignee"]) == ("decide", "hr_chief")
    assert tasks(approval, OTHER_HR_CHIEF, "20261126000701") == []  # the decision stays with who accepted
    decide(approval, decisions, decide_task["id"], {"decision": "approved", "window": 12}, HR_CHIEF)

    process = call(approval, "get_case_process", "20261126000701", HR_CHIEF)
    assert process["status"] == "completed"
    completed = [(e["element_id"], e["actor"]) for e in process["audit"] if e["kind"] == "task_completed"]
    assert completed == [("accept", "hr_chief"), ("decide", "hr_chief")]
    decided = Decisions.heard["20261126000701"]
    assert (decided["on_the_spot"], decided["window"], decided["decided_by"]) == (True, 12, "hr_chief")


def test_a_case_accepted_at_the_intake_window_is_not_decided_on_the_spot(approval, decisions):
    start_case(approval, "20261126000702", on_the_spot=True)
    [accept] = tasks(approval, CLERK, "20261126000702")
    call(approval, "complete_task", accept["id"], {"intake_decision": "accept"}, CLERK)

    [decide_task] = tasks(approval, OTHER_HR_CHIEF, "20261126000702")  # any chief of the department
    assert decide_task["assignee"] is None
    decide(approval, decisions, decide_task["id"], {"decision": "approved"}, OTHER_HR_CHIEF)
    assert Decisions.heard["20261126000702"]["on_the_spot"] is False


def test_the_acceptance_of_an_item_not_decided_on_the_spot_stays_the_windows(approval):
    start_case(approval, "20261126000703", on_the_spot=False)
    [accept] = tasks(approval, CLERK, "20261126000703")

    assert accept["on_the_spot"] is None
    assert tasks(approval, HR_CHIEF, "20261126000703") == []
    with pytest.raises(NotFound):
        call(approval, "complete_task", accept["id"], {"intake_decision": "accept"}, HR_CHIEF)


def test_one_person_may_not_review_and_decide_a_promised_case(approval):
    start_case(
        approval, "20261126000704", on_the_spot=False, process_key="promised_item", department="market_regulation"
    )
    [accept] = tasks(approval, CLERK, "20261126000704")
    call(approval, "complete_task", accept["id"], {"intake_decision": "accept"}, CLERK)
    [review] = tasks(approval, ALL_ROLES, "20261126000704")
    call(approval, "complete_task", review["id"], {"review_result": "pass"}, ALL_ROLES)

    assert tasks(approval, ALL_ROLES, "20261126000704") == []  # the decision is not offered to the reviewer
    [decide_task] = tasks(approval, CHIEF, "20261126000704")
    assert decide_task["element_id"] == "decide"
    with pytest.raises(Forbidden) as refused:
        call(approval, "complete_task", decide_task["id"], {"decision": "approved"}, ALL_ROLES)
    assert "审批分离" in str(refused.value) and "review" in str(refused.value)
    assert [t["task_id"] for t in models.ProcessInstance.objects(case_no="20261126000704").first().open_tasks] == [
        decide_task["id"]
    ]  # nothing changed
    assert call(approval, "get_case_process", "20261126000704", CHIEF)["status"] == "in_progress"

    call(approval, "complete_task", decide_task["id"], {"decision": "return", "return_reason": "请再核实场所"}, CHIEF)
    [again] = tasks(approval, REVIEWER, "20261126000704")  # back at review: another reviewer may take it
    call(approval, "complete_task", again["id"], {"review_result": "pass"}, REVIEWER)
    assert tasks(approval, ALL_ROLES, "20261126000704") == []  # who reviewed once stays excluded
    [decide_task] = tasks(approval, CHIEF, "20261126000704")
    call(approval, "complete_task", decide_task["id"], {"decision": "approved"}, CHIEF)
    assert call(approval, "get_case_process", "20261126000704", CHIEF)["status"] == "completed"


def start_promised(container, case_no, on_the_spot):
    call(
        container,
        "on_case_submitted",
        {
            "case_no": case_no,
            "item_code": "MR-004",
            "item_name": "企业变更登记",
            "kind": "promised",
            "on_the_spot": on_the_spot,
            "department": "market_regulation",
            "process_key": "promised_item",
            "promised_limit_days": 3,
            "legal_limit_days": 15,
            "submitted_at": "2026-11-26T01:00:00+00:00",
        },
    )


def test_a_promised_item_accepted_by_the_chief_on_the_spot_is_decided_by_them_without_a_review(approval, decisions):
    start_promised(approval, "20261126000711", on_the_spot=True)
    [accept] = tasks(approval, CHIEF, "20261126000711")

    call(approval, "complete_task", accept["id"], {"intake_decision": "accept"}, CHIEF)

    assert tasks(approval, REVIEWER, "20261126000711") == []
    [decision] = tasks(approval, CHIEF, "20261126000711")
    assert (decision["element_id"], decision["assignee"]) == ("decide", "chief")
    decide(approval, decisions, decision["id"], {"decision": "approved", "window": 7}, CHIEF)
    decided = Decisions.heard["20261126000711"]
    assert (decided["on_the_spot"], decided["decided_by"], decided["window"]) == (True, "chief", 7)


def test_the_same_promised_item_accepted_at_the_intake_window_keeps_review_and_decision_apart(approval):
    start_promised(approval, "20261126000712", on_the_spot=True)
    [accept] = tasks(approval, CLERK, "20261126000712")

    call(approval, "complete_task", accept["id"], {"intake_decision": "accept"}, CLERK)

    assert tasks(approval, CHIEF, "20261126000712") == []
    [review] = tasks(approval, REVIEWER, "20261126000712")
    assert review["element_id"] == "review"


def test_a_decision_on_the_spot_names_its_window(approval):
    start_case(approval, "20261126000721", on_the_spot=True)
    [accept] = tasks(approval, HR_CHIEF, "20261126000721")
    call(approval, "complete_task", accept["id"], {"intake_decision": "accept"}, HR_CHIEF)
    [decision] = tasks(approval, HR_CHIEF, "20261126000721")

    with pytest.raises(InvalidInput) as refused:
        call(approval, "complete_task", decision["id"], {"decision": "approved"}, HR_CHIEF)

    assert refused.value.errors == [{"field": "window", "message": "is required for a decision on the spot"}]
    assert [t["id"] for t in tasks(approval, HR_CHIEF, "20261126000721")] == [decision["id"]]  # nothing changed
