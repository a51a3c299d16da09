"""Complaints, the investor hotline and evaluations on the real store, through the
monitor's entrypoints."""

from datetime import datetime

import pytest
from nameko.testing.services import entrypoint_hook

from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.time import utcnow
from services.common.workdays import deadline_instant

SUPERVISOR = {"username": "supervisor", "roles": ["supervisor"], "department": "supervision"}
CHIEF = {"username": "chief", "roles": ["chief"], "department": "market_regulation"}
TAX = {"username": "tax_chief", "roles": ["chief"], "department": "taxation"}


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def test_an_investor_complaint_goes_from_intake_to_archive_and_the_complainant_follows_it(monitor):
    filed = call(
        monitor,
        "file_complaint",
        {
            "category": "investor_hotline",
            "content": "审批拖延，三次往返",
            "department": "market_regulation",
            "complainant": {"name": "王五", "phone": "13800000000"},
        },
    )
    number, code = filed["complaint_no"], filed["follow_code"]
    assert filed["status"] == "received" and filed["level"] == "green"
    received_at = datetime.fromisoformat(filed["received_at"])
    assert datetime.fromisoformat(filed["accept_by"]) == deadline_instant(received_at, 5)

    for to, note in (
        ("accepted", None),
        ("investigating", None),
        ("resolved", "窗口已整改"),
        ("feedback_given", "已电话反馈投诉人"),
        ("archived", None),
    ):
        moved = call(monitor, "move_complaint", number, to, note, SUPERVISOR)
        assert moved["status"] == to
        if to == "accepted":
            assert datetime.fromisoformat(moved["resolve_by"]) == deadline_instant(utcnow(), 10)

    followed = call(monitor, "follow_complaint", number, code)
    assert followed["status"] == "archived"
    assert followed["stages"]["feedback_given"]["note"] == "已电话反馈投诉人"
    assert "complainant" not in followed
    for wrong in ("WRONG234", "中", None):
        with pytest.raises(NotFound):
            call(monitor, "follow_complaint", number, wrong)


def test_a_complaint_moves_only_along_its_lifecycle_and_notes_are_required(monitor):
    number = call(monitor, "file_complaint", {"category": "efficiency", "content": "窗口无人"})["complaint_no"]
    with pytest.raises(Conflict):
        call(monitor, "move_complaint", number, "resolved", "跳过受理", SUPERVISOR)
    with pytest.raises(InvalidInput):
        call(monitor, "move_complaint", number, "rejected", "", SUPERVISOR)
    with pytest.raises(InvalidInput):
        call(monitor, "file_complaint", {"category": "weather", "content": "太冷"})


def test_an_unaccepted_complaint_warns_as_its_acceptance_deadline_nears(monitor):
    filed = call(monitor, "file_complaint", {"category": "conduct", "content": "态度恶劣", "department": "taxation"})
    accept_by = datetime.fromisoformat(filed["accept_by"])
    with entrypoint_hook(monitor, "set_clock") as set_clock:
        set_clock("admin", offset_seconds=(accept_by - utcnow()).total_seconds() + 60)
    [listed] = [c for c in call(monitor, "list_complaints", SUPERVISOR) if c["complaint_no"] == filed["complaint_no"]]
    assert listed["level"] == "red"
    assert call(monitor, "list_complaints", CHIEF) == []
    assert [c["complaint_no"] for c in call(monitor, "list_complaints", TAX)] == [filed["complaint_no"]]


def test_one_evaluation_per_case(monitor):
    assert call(monitor, "evaluate_case", "20261126000101", 5, "很快")["bad"] is False
    with pytest.raises(Conflict):
        call(monitor, "evaluate_case", "20261126000101", 1)
    with pytest.raises(InvalidInput):
        call(monitor, "evaluate_case", "20261126000102", 6)


def test_a_bad_review_opens_a_rectification_closed_only_with_a_call_back_note(monitor):
    bad = call(monitor, "evaluate_case", "20261126000103", 2, "等了两个小时")
    assert bad["bad"] is True and bad["rectification_status"] == "open"
    evaluated_at = datetime.fromisoformat(bad["evaluated_at"])
    assert datetime.fromisoformat(bad["rectify_by"]) == deadline_instant(evaluated_at, 15)
    assert [r["case_no"] for r in call(monitor, "list_rectifications", SUPERVISOR)] == ["20261126000103"]
    with pytest.raises(InvalidInput):
        call(monitor, "rectify", "20261126000103", "增加窗口", "", SUPERVISOR)
    done = call(monitor, "rectify", "20261126000103", "增加窗口", "已回访，申请人认可", SUPERVISOR)
    assert (done["rectification_status"], done["callback_note"]) == ("done", "已回访，申请人认可")
    with pytest.raises(Conflict):
        call(monitor, "rectify", "20261126000103", "增加窗口", "再次回访", SUPERVISOR)
    assert call(monitor, "list_rectifications", SUPERVISOR) == []
