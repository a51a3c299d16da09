"""The acceptance convention: checked at deployment, turned into the hall's events."""

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from services.approval import bpmn_engine, hall_flow
from services.approval.bpmn_engine import InvalidDiagram
from services.common.errors import InvalidInput

IMMEDIATE_ITEM = (Path(__file__).resolve().parents[3] / "bpmn" / "immediate_item.bpmn").read_text(encoding="utf-8")
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
INSTANCE = SimpleNamespace(case_no="20261126000001", item_code="MR-001", department="market_regulation")


def test_the_immediate_item_keeps_the_convention():
    assert hall_flow.claims_convention(bpmn_engine.parse_diagram(IMMEDIATE_ITEM.encode()).spec)


@pytest.mark.parametrize(
    "change, element_id, words",
    [
        (
            ('<bpmn:lane id="Lane_clerk" name="clerk">', '<bpmn:lane id="Lane_clerk" name="reviewer">'),
            "accept",
            "intake window",
        ),
        (('<camunda:value id="supplement" name="补正告知 Ask for supplements" />', ""), "accept", "intake_decision"),
        (('<camunda:formField id="reason" label="理由 Reason" type="string" />', ""), "accept", "reason"),
        (('name="supplement_received"', 'name="materials_in"'), "accept", "supplement_received"),
        (
            ('<bpmn:endEvent id="approved" name="准予 Approved">', '<bpmn:intermediateThrowEvent id="approved">'),
            "approved",
            "end events",
        ),
    ],
)
def test_a_hall_flow_that_breaks_the_convention_is_refused_naming_the_element(change, element_id, words):
    xml = IMMEDIATE_ITEM.replace(*change)
    if "intermediateThrowEvent" in change[1]:
        xml = xml.replace(
            "<bpmn:incoming>Flow_approved</bpmn:incoming>\n    </bpmn:endEvent>",
            "<bpmn:incoming>Flow_approved</bpmn:incoming>\n    </bpmn:intermediateThrowEvent>",
        )
    assert xml != IMMEDIATE_ITEM
    with pytest.raises(InvalidDiagram) as refused:
        bpmn_engine.parse_diagram(xml.encode())
    assert refused.value.element_id == element_id
    assert words in refused.value.message


def test_accept_must_be_the_first_user_task():
    xml = IMMEDIATE_ITEM.replace(
        '<bpmn:sequenceFlow id="Flow_submitted_merge" sourceRef="submitted" targetRef="Gateway_intake_merge" />',
        '<bpmn:sequenceFlow id="Flow_submitted_merge" sourceRef="submitted" targetRef="precheck" />'
        '<bpmn:userTask id="precheck" camunda:candidateGroups="clerk" />'
        '<bpmn:sequenceFlow id="Flow_precheck" sourceRef="precheck" targetRef="Gateway_intake_merge" />',
    )
    with pytest.raises(InvalidDiagram) as refused:
        bpmn_engine.parse_diagram(xml.encode())
    assert refused.value.element_id == "precheck"
    assert "first user task" in refused.value.message


@pytest.mark.parametrize(
    "data, field",
    [
        ({"intake_decision": "refuse"}, "reason"),
        ({"intake_decision": "supplement", "reason": "缺件"}, "missing_materials"),
    ],
)
def test_a_refusal_needs_a_reason_and_a_supplement_request_names_the_materials(data, field):
    with pytest.raises(InvalidInput) as refused:
        hall_flow.check_intake_decision(data)
    assert [e["field"] for e in refused.value.errors] == [field]


DECIDE_FORM = [
    {
        "id": "decision",
        "type": "enum",
        "required": True,
        "options": [{"id": "approved"}, {"id": "refused"}, {"id": "return"}],
    },
    {"id": "return_reason", "type": "string", "required": False},
]


def test_a_return_needs_its_reason_and_nothing_else_does():
    with pytest.raises(InvalidInput) as refused:
        hall_flow.check_return(DECIDE_FORM, {"decision": "return"})
    assert [e["field"] for e in refused.value.errors] == ["return_reason"]
    hall_flow.check_return(DECIDE_FORM, {"decision": "return", "return_reason": "材料真实性存疑，请重新审查"})
    hall_flow.check_return(DECIDE_FORM, {"decision": "approved"})


def test_each_intake_decision_becomes_its_event():
    def events(data):
        return hall_flow.domain_events(INSTANCE, ("accept", data), None, set(), {}, "clerk", NOW)

    assert events({"intake_decision": "accept"}) == [
        (
            "case_accepted",
            {
                "case_no": "20261126000001",
                "item_code": "MR-001",
                "department": "market_regulation",
                "accepted_at": NOW.isoformat(),
                "accepted_by": "clerk",
            },
        )
    ]
    assert events({"intake_decision": "refuse", "reason": "不属于本中心受理范围"}) == [
        (
            "case_refused",
            {
                "case_no": "20261126000001",
                "reason": "不属于本中心受理范围",
                "refused_at": NOW.isoformat(),
                "refused_by": "clerk",
            },
        )
    ]
    assert events(
        {"intake_decision": "supplement", "missing_materials": "身份证复印件、营业执照，租赁合同", "reason": "缺件"}
    ) == [
        (
            "supplement_requested",
            {
                "case_no": "20261126000001",
                "missing_materials": ["身份证复印件", "营业执照", "租赁合同"],
                "reason": "缺件",
                "requested_at": NOW.isoformat(),
            },
        )
    ]


def test_reaching_an_end_event_decides_the_case_and_waiting_for_payment_asks_for_a_notice():
    decided = hall_flow.domain_events(
        INSTANCE, ("decide", {"decision": "approved"}), "approved", set(), {}, "chief", NOW
    )
    assert decided == [
        (
            "case_decided",
            {
                "case_no": "20261126000001",
                "outcome": "approved",
                "decided_at": NOW.isoformat(),
                "decided_by": "chief",
                "on_the_spot": False,
                "window": None,
            },
        )
    ]
    payment = hall_flow.domain_events(INSTANCE, None, None, {"payment_confirmed"}, {"fee_fen": 5000}, "system", NOW)
    assert payment == [
        (
            "payment_required",
            {
                "case_no": "20261126000001",
                "item_code": "MR-001",
                "department": "market_regulation",
                "fee_fen": 5000,
                "requested_at": NOW.isoformat(),
            },
        )
    ]
    assert hall_flow.domain_events(INSTANCE, ("decide", {}), "ended_elsewhere", set(), {}, "chief", NOW) == []


def test_a_decision_by_who_accepted_through_the_on_the_spot_claim_is_decided_on_the_spot():
    data = {"on_the_spot_by": "hr_chief", "window": 12}

    [decided] = hall_flow.domain_events(
        INSTANCE, ("decide", {"decision": "approved"}), "approved", set(), data, "hr_chief", NOW
    )

    assert decided[1]["on_the_spot"] is True and decided[1]["window"] == 12 and decided[1]["decided_by"] == "hr_chief"


@pytest.mark.parametrize(
    "completed, actor, data",
    [
        (("decide", {"decision": "approved"}), "hr_chief2", {"on_the_spot_by": "hr_chief"}),  # another chief decided
        (("decide", {"decision": "approved"}), "hr_chief", {}),  # the clerk accepted at the intake window
        (("accept", {"intake_decision": "refuse"}), "hr_chief", {"on_the_spot_by": "hr_chief"}),  # refused, not decided
    ],
)
def test_other_decisions_are_not_on_the_spot(completed, actor, data):
    events = hall_flow.domain_events(INSTANCE, completed, "refused", set(), data, actor, NOW)

    assert [payload["on_the_spot"] for name, payload in events if name == "case_decided"] == [False]


def test_a_decision_on_the_spot_needs_its_window_and_others_do_not():
    with pytest.raises(InvalidInput) as refused:
        hall_flow.check_window({"decision": "approved"}, decided_on_the_spot=True)
    assert refused.value.errors[0]["field"] == "window"
    hall_flow.check_window({"decision": "approved", "window": 3}, decided_on_the_spot=True)
    hall_flow.check_window({"decision": "approved"}, decided_on_the_spot=False)
