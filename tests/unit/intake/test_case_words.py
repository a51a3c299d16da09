"""What a case says to the applicant and the clerk: when the result comes, the missing
materials by name, a consistent status and step after a supplement, the fee awaited with
its amount and notice, and when it may be evaluated."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from services.common.workdays import WorkdayCalendar
from services.intake import cases, timeline
from services.intake.catalog import load_catalog
from services.intake.models import Case, Step
from tests.unit.paths import REPO_ROOT

CATALOG = load_catalog(REPO_ROOT / "catalog")
T0 = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)


def fact(kind, minutes, key=None, **detail):
    return Step(key=key or f"{kind}:{minutes}", kind=kind, at=T0 + timedelta(minutes=minutes), detail=detail)


def derive(*steps):
    return timeline.derive("20261201000001", "HR-002", sorted(steps, key=lambda s: s.at), 5, WorkdayCalendar())


def progress(current_step, minutes, done=()):
    """The approval's ``case_progress`` answer: at ``current_step`` since ``minutes``."""
    return {
        "case_no": "20261201000001",
        "rev": 3,
        "status": "in_progress",
        "current_step": current_step,
        "outcome": None,
        "moved_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        "steps": [
            {"element_id": element_id, "name": name, "by": "clerk", "at": (T0 + timedelta(minutes=at)).isoformat()}
            for element_id, name, at in done
        ],
    }


def view(item_code, steps, approval=None):
    case = Case(
        case_no="20261201000001",
        query_code="K7Q2M9PA",
        item_code=item_code,
        department="human_resources",
        process_key="promised_item",
        applicant={},
        applicant_id="11010519491231002X",
        submitted_at=T0,
        updated_at=T0,
        timeline=list(steps),
        **derive(*steps),
    )
    return cases.public_view(case, CATALOG.item(item_code), approval)


def receipt(item_code):
    case = SimpleNamespace(
        case_no="20261201000001",
        query_code="K7Q2M9PA",
        status="submitted",
        item_code=item_code,
        item_version=1,
        submitted_at=T0,
    )
    return cases.submission_receipt(case, CATALOG.item(item_code))["next"]


def test_an_immediate_items_receipt_says_it_is_decided_on_the_spot():
    said = receipt("MR-001")
    assert "即办件，受理后当场办结" in said and "decided on the spot" in said
    assert "0 working days" not in said and "0 个工作日" not in said


def test_a_promised_items_receipt_gives_its_limit_in_chinese_first():
    said = receipt("HR-002")
    assert said.index("受理后 5 个工作日内办结") < said.index("within 5 working days after acceptance")


def test_missing_materials_are_named_from_the_catalog_with_their_codes():
    shown = view("HR-002", [fact("supplement_requested", 1, missing_materials=["termination_proof", "复印件"])])
    assert shown["missing_materials"] == ["termination_proof", "复印件"]
    assert shown["missing_material_names"] == [
        {"code": "termination_proof", "name": "终止或解除劳动合同证明"},
        {"code": "复印件", "name": "复印件"},
    ]


def test_right_after_a_supplement_the_step_the_approval_still_waits_at_is_not_shown():
    requested = fact("supplement_requested", 1, missing_materials=["termination_proof"])
    received = fact("supplement_received", 30, materials=["termination_proof"])
    shown = view("HR-002", [requested, received], progress("等待补正", 2))
    assert (shown["status"], shown["current_step"]) == ("submitted", None)
    assert shown["awaiting"].startswith("等待窗口受理")
    # The approval moves on: its step is shown again.
    assert view("HR-002", [requested, received], progress("窗口受理", 31))["current_step"] == "窗口受理"


def test_the_approvals_tasks_done_join_the_timeline_in_time_order_without_who_did_them():
    accepted = fact("accepted", 10)
    shown = view(
        "HR-002",
        [fact("submitted", 0, key="submitted"), accepted],
        progress("审查 Review", 10, done=[("accept", "受理 Accept", 10), ("review", "审查 Review", 20)]),
    )
    assert [(s["kind"], s.get("step")) for s in shown["steps"]] == [
        ("submitted", None),
        ("accepted", None),
        ("task_done", "受理 Accept"),
        ("task_done", "审查 Review"),
    ]
    assert all("by" not in s for s in shown["steps"]) and shown["current_step"] == "审查 Review"
    assert view("HR-002", [accepted])["current_step"] is None  # no process yet


def test_a_case_waiting_for_its_fee_shows_the_amount_in_yuan_and_the_notice():
    accepted = fact("accepted", 1)
    notice = fact(
        "payment_notice_issued",
        3,
        key="payment_notice_issued:JK20261201000007",
        notice_no="JK20261201000007",
        total_fen=12000,
        due_on="2026-12-08",
    )
    shown = view("HR-002", [accepted, notice], progress("等待缴费", 2))
    assert shown["payment_due"] == {
        "notice_no": "JK20261201000007",
        "total_fen": 12000,
        "due_on": "2026-12-08",
        "amount": "¥120.00",
    }
    assert shown["awaiting"].startswith("等待缴费：¥120.00，缴款通知书号：JK20261201000007")
    assert "Waiting for payment: ¥120.00 on payment notice JK20261201000007" in shown["awaiting"]
    paid = fact(
        "payment_confirmed", 9, key="payment_confirmed:JK20261201000007", notice_no="JK20261201000007", amount_fen=12000
    )
    after = view("HR-002", [accepted, notice, paid], progress("等待缴费", 2))
    assert after["payment_due"] is None and "¥" not in after["awaiting"]


@pytest.mark.parametrize(
    ("fen", "shown"), [(0, "¥0.00"), (5, "¥0.05"), (12000, "¥120.00"), (123456789, "¥1,234,567.89")]
)
def test_yuan_are_written_from_integer_fen(fen, shown):
    assert cases.yuan(fen) == shown


@pytest.mark.parametrize(
    ("steps", "evaluable"),
    [
        ((), False),
        ((fact("accepted", 1),), False),
        ((fact("refused", 1, reason="不属于本机关职权范围"),), True),
        ((fact("accepted", 1), fact("decided", 2, outcome="approved")), True),
        ((fact("accepted", 1), fact("decided", 2, outcome="approved"), fact("collected", 3, how="in_person")), True),
    ],
)
def test_only_a_case_with_its_outcome_may_be_evaluated(steps, evaluable):
    assert view("HR-002", steps)["evaluable"] is evaluable
