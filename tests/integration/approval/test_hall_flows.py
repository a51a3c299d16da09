"""The hall's real flows in bpmn/ on the real broker and store: versions and their XML, the
promised item's time limit, four departments reviewing a joint registration in parallel,
and the fee item assessing its fee by DMN and waiting for the bank."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from nameko.events import event_handler
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.common.errors import InvalidInput, NotFound

BPMN_DIR = Path(__file__).resolve().parents[3] / "bpmn"
CLERK = {"username": "clerk", "roles": ["clerk"], "department": "hall"}
ADMIN = {"username": "admin", "roles": ["admin"], "department": "hall"}


def staff(role, department):
    return {"username": f"{role}_{department}", "roles": [role], "department": department}


class PaymentDesk:
    """Stands in for the payment service: records `payment_required`."""

    name = "test_payment_desk"
    required = []

    @event_handler("approval", "payment_required")
    def on_payment_required(self, payload):
        self.required.append(payload)


@pytest.fixture
def payment_desk(start_listener):
    PaymentDesk.required = []
    return start_listener(PaymentDesk)


def call(container, method, *args):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args)


def start_case(container, case_no, process_key, item_code="MR-010", department="market_regulation", **extra):
    call(
        container,
        "on_case_submitted",
        {"case_no": case_no, "item_code": item_code, "department": department, "process_key": process_key, **extra},
    )


def tasks(container, user, case_no):
    return [t for t in call(container, "list_tasks", user) if t["case_no"] == case_no]


def complete(container, user, case_no, data, element_id=None):
    task = next(t for t in tasks(container, user, case_no) if element_id in (None, t["element_id"]))
    return call(container, "complete_task", task["id"], data, user)


def test_every_version_is_listed_and_its_xml_is_served_as_deployed(approval):
    xml = (BPMN_DIR / "immediate_item.bpmn").read_text(encoding="utf-8")
    call(approval, "deploy_process", xml.replace("受理 Accept", "受理 Intake check"), "immediate_item.bpmn")
    versions = call(approval, "list_process_versions", "immediate_item")
    assert [v["version"] for v in versions] == [1, 2]
    assert call(approval, "get_process_xml", "immediate_item", 1) == xml
    assert "受理 Intake check" in call(approval, "get_process_xml", "immediate_item", 2)
    with pytest.raises(NotFound):
        call(approval, "get_process_xml", "immediate_item", 3)
    with pytest.raises(NotFound):
        call(approval, "list_process_versions", "no_such_process")


def test_each_version_counts_its_instances_not_completed(approval):
    xml = (BPMN_DIR / "immediate_item.bpmn").read_text(encoding="utf-8")
    for case_no in ("20261126000901", "20261126000902", "20261126000903"):
        start_case(approval, case_no, "immediate_item")
    complete(approval, CLERK, "20261126000903", {"intake_decision": "refuse", "reason": "不属于本厅"})
    call(approval, "deploy_process", xml.replace("受理 Accept", "受理 Intake check"), "immediate_item.bpmn")
    start_case(approval, "20261126000904", "immediate_item")
    versions = call(approval, "list_process_versions", "immediate_item")
    assert [(v["version"], v["running_instances"]) for v in versions] == [(1, 2), (2, 1)]


def test_a_case_runs_the_version_its_item_pins_and_otherwise_the_latest(approval):
    xml = (BPMN_DIR / "immediate_item.bpmn").read_text(encoding="utf-8")
    call(approval, "deploy_process", xml.replace("受理 Accept", "受理 Intake check"), "immediate_item.bpmn")
    start_case(approval, "20261126000911", "immediate_item", process_version=1)
    start_case(approval, "20261126000912", "immediate_item", process_version=None)
    pinned, latest = (
        call(approval, "get_case_process", case_no, ADMIN) for case_no in ("20261126000911", "20261126000912")
    )
    assert (pinned["process_version"], latest["process_version"]) == (1, 2)
    assert [t["name"] for t in tasks(approval, CLERK, "20261126000911")] == ["受理 Accept"]


def test_validating_checks_like_a_deployment_and_stores_nothing(approval):
    xml = (BPMN_DIR / "immediate_item.bpmn").read_text(encoding="utf-8")
    assert call(
        approval, "validate_process", xml.replace("受理 Accept", "受理 Intake check"), "immediate_item.bpmn"
    ) == {"valid": True}
    without_lane = xml.replace("<bpmn:flowNodeRef>accept</bpmn:flowNodeRef>", "")
    with pytest.raises(InvalidInput) as refused:
        call(approval, "validate_process", without_lane, "immediate_item.bpmn")
    assert refused.value.errors[0]["field"] == "accept"
    assert [v["version"] for v in call(approval, "list_process_versions", "immediate_item")] == [1]


@pytest.mark.parametrize(
    "change, element_id",
    [
        (('camunda:decisionRef="registration_fee"', 'camunda:decisionRef="no_such_table"'), "assess_fee"),
        (
            (
                '<bpmn:businessRuleTask id="assess_fee" name="核定收费 Assess the fee" camunda:decisionRef="registration_fee">',
                '<bpmn:callActivity id="assess_fee" calledElement="no_such_process">',
            ),
            "assess_fee",
        ),
    ],
)
def test_a_diagram_referring_to_something_missing_is_refused_naming_the_element(approval, change, element_id):
    xml = (BPMN_DIR / "fee_item.bpmn").read_text(encoding="utf-8").replace(*change)
    if "callActivity" in change[1]:
        xml = xml.replace("</bpmn:businessRuleTask>", "</bpmn:callActivity>")
    table = (BPMN_DIR / "fee_item_fees.dmn").read_text(encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        call(approval, "deploy_process", xml, "fee_item.bpmn", [table])
    assert refused.value.errors[0]["field"] == element_id


def test_a_timer_that_does_not_parse_is_refused_and_a_bare_iso_duration_is_accepted(approval):
    xml = (BPMN_DIR / "immediate_item.bpmn").read_text(encoding="utf-8")
    timer = (
        '<bpmn:boundaryEvent id="remind" attachedToRef="decide" cancelActivity="false">'
        "<bpmn:outgoing>Flow_remind</bpmn:outgoing><bpmn:timerEventDefinition>"
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{}</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:endEvent id="reminded"><bpmn:incoming>Flow_remind</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="Flow_remind" sourceRef="remind" targetRef="reminded" />'
    )

    def with_timer(text):
        return xml.replace("</bpmn:laneSet>", "</bpmn:laneSet>" + timer.format(text))

    with pytest.raises(InvalidInput) as refused:
        call(approval, "deploy_process", with_timer("PT5S +"), "immediate_item.bpmn")
    assert refused.value.errors[0]["field"] == "remind"
    assert call(approval, "deploy_process", with_timer("P2D"), "immediate_item.bpmn")["version"] == 2


def test_a_promised_items_tasks_are_due_by_the_promised_limit_and_listed_soonest_first(approval):
    start_case(approval, "20261126000301", "promised_item", item_code="MR-009", promised_limit_days=10)
    start_case(approval, "20261126000302", "promised_item", item_code="MR-009", promised_limit_days=2)
    for case_no in ("20261126000301", "20261126000302"):
        complete(approval, CLERK, case_no, {"intake_decision": "accept"})
    reviews = [
        t
        for t in call(approval, "list_tasks", staff("reviewer", "market_regulation"))
        if t["case_no"] in ("20261126000301", "20261126000302")
    ]
    assert [t["case_no"] for t in reviews] == ["20261126000302", "20261126000301"]
    assert all(t["due_at"] for t in reviews) and reviews[0]["due_at"] < reviews[1]["due_at"]


def test_an_approved_extension_moves_the_due_date_of_the_case_and_of_the_tasks_after(approval):
    reviewer, chief = staff("reviewer", "market_regulation"), staff("chief", "market_regulation")
    start_case(approval, "20261126000306", "promised_item", item_code="MR-009", promised_limit_days=5)
    complete(approval, CLERK, "20261126000306", {"intake_decision": "accept"})
    (review,) = tasks(approval, reviewer, "20261126000306")
    later = (datetime.fromisoformat(review["due_at"]) + timedelta(days=3)).isoformat()
    extended = {
        "case_no": "20261126000306",
        "extension_id": "e1",
        "days": 3,
        "reason": "现场核查",
        "approved_by": "chief",
        "approved_at": "2026-11-26T03:00:00+00:00",
        "deadline": later,
    }
    call(approval, "on_case_extended", extended)
    call(approval, "on_case_extended", extended)  # a repeat changes nothing
    (review,) = tasks(approval, reviewer, "20261126000306")
    assert datetime.fromisoformat(review["due_at"]) == datetime.fromisoformat(later)
    audit = call(approval, "get_case_process", "20261126000306", ADMIN)["audit"]
    assert [e["kind"] for e in audit].count("deadline_moved") == 1
    complete(approval, reviewer, "20261126000306", {"review_result": "pass"})
    (decide,) = tasks(approval, chief, "20261126000306")
    assert datetime.fromisoformat(decide["due_at"]) == datetime.fromisoformat(later)


def test_a_chief_returns_a_promised_case_to_the_reviewer_with_a_reason(approval):
    reviewer, chief = staff("reviewer", "market_regulation"), staff("chief", "market_regulation")
    start_case(approval, "20261126000305", "promised_item", item_code="MR-003", promised_limit_days=10)
    complete(approval, CLERK, "20261126000305", {"intake_decision": "accept"})
    complete(approval, reviewer, "20261126000305", {"review_result": "pass"})
    with pytest.raises(InvalidInput) as unexplained:
        complete(approval, chief, "20261126000305", {"decision": "return"})
    assert [e["field"] for e in unexplained.value.errors] == ["return_reason"]

    returned = complete(approval, chief, "20261126000305", {"decision": "return", "return_reason": "布局图不清晰"})

    assert returned["case_status"] != "completed"
    (again,) = tasks(approval, reviewer, "20261126000305")
    assert again["element_id"] == "review" and again["due_at"]
    assert call(approval, "get_task", again["id"], reviewer)["process_data"]["return_reason"] == "布局图不清晰"
    complete(approval, reviewer, "20261126000305", {"review_result": "pass", "review_opinion": "已补清晰图纸"})
    assert complete(approval, chief, "20261126000305", {"decision": "approved"})["case_status"] == "completed"


def test_four_departments_review_a_joint_registration_in_parallel_then_the_chief_decides(approval):
    start_case(approval, "20261126000303", "joint_registration")
    complete(approval, CLERK, "20261126000303", {"intake_decision": "accept"})
    reviewers = {
        "business_licence": "market_regulation",
        "tax_registration": "taxation",
        "seal_approval": "public_security",
        "social_insurance": "human_resources",
    }
    for step, department in reviewers.items():
        (task,) = tasks(approval, staff("reviewer", department), "20261126000303")
        assert (task["element_id"], task["department"]) == (step, department)
    with pytest.raises(NotFound):  # another department's review is not the taxation reviewer's to complete
        seal = tasks(approval, staff("reviewer", "public_security"), "20261126000303")[0]
        call(approval, "complete_task", seal["id"], {"seal_approval_result": "pass"}, staff("reviewer", "taxation"))
    for step, department in reviewers.items():
        assert tasks(approval, staff("chief", "market_regulation"), "20261126000303") == []
        complete(approval, staff("reviewer", department), "20261126000303", {f"{step}_result": "pass"})
    done = complete(approval, staff("chief", "market_regulation"), "20261126000303", {"decision": "approved"})
    assert done["case_status"] == "completed"


def test_a_fee_item_assesses_its_fee_and_is_approved_once_the_bank_confirms_payment(approval, payment_desk):
    start_case(approval, "20261126000304", "fee_item", item_code="NR-002", department="natural_resources")
    complete(approval, CLERK, "20261126000304", {"intake_decision": "accept"})
    complete(approval, staff("reviewer", "natural_resources"), "20261126000304", {"review_result": "pass"})
    with entrypoint_waiter(payment_desk, "on_payment_required"):
        waiting = complete(approval, staff("chief", "natural_resources"), "20261126000304", {"decision": "approved"})
    assert (waiting["case_status"], waiting["current_step"]) == ("in_progress", "等待缴费 Awaiting payment")
    (required,) = [r for r in PaymentDesk.required if r["case_no"] == "20261126000304"]
    assert (required["item_code"], required["department"], required["fee_fen"]) == (
        "NR-002",
        "natural_resources",
        56000,
    )
    confirmed = {
        "case_no": "20261126000304",
        "notice_no": "JF2026000001",
        "amount_fen": 56000,
        "receipt_no": "R1",
        "confirmed_at": "2026-11-26T04:00:00+00:00",
    }
    call(approval, "on_payment_confirmed", confirmed)
    view = call(approval, "get_case_process", "20261126000304", ADMIN)
    assert view["status"] == "completed"
    delivered = [e for e in view["audit"] if e["kind"] == "message_delivered"]
    assert [(e["element_id"], e["data"]["amount_fen"]) for e in delivered] == [("payment", 56000)]
