"""Supervision on the real broker and store: the monitor follows cases from the other
services' events alone, its durable scheduler turns them yellow and red as the platform
clock passes the boundaries, and an overdue case gets exactly one accountability record."""

import time
from datetime import datetime, timedelta, timezone

import pytest
from nameko.testing.services import entrypoint_hook

from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.time import utcnow
from services.common.workdays import deadline_instant, workdays_between
from services.monitor import models
from services.monitor.service import MonitorService
from tests.waiting import eventually

SUPERVISOR = {"username": "supervisor", "roles": ["supervisor"], "department": "supervision"}
REVIEWER = {"username": "reviewer", "roles": ["reviewer"], "department": "market_regulation"}
TAX = {"username": "tax_reviewer", "roles": ["reviewer"], "department": "taxation"}


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def submitted(case_no, promised=5, special_procedures=()):
    return {
        "case_no": case_no,
        "item_code": "MR-101",
        "item_name": "食品经营许可",
        "department": "market_regulation",
        "process_key": "promised_item",
        "kind": "promised",
        "promised_limit_days": promised,
        "legal_limit_days": 20,
        "special_procedures": list(special_procedures),
        "submitted_at": utcnow().isoformat(),
    }


def accepted(case_no, at):
    return {
        "case_no": case_no,
        "item_code": "MR-101",
        "department": "market_regulation",
        "accepted_at": at.isoformat(),
        "accepted_by": "clerk",
    }


def standing(container, case_no):
    try:
        return call(container, "get_case_standing", case_no, SUPERVISOR)
    except NotFound:
        return None


def move_clock_to(container, moment):
    offset = (moment - datetime.now(timezone.utc)).total_seconds()
    return call(container, "set_clock", "admin", offset_seconds=offset)


def follow_a_promised_case(monitor, publish, case_no):
    accepted_at = utcnow()
    publish("intake", "case_submitted", submitted(case_no))
    publish("approval", "case_accepted", accepted(case_no, accepted_at))
    return eventually(lambda: (s := standing(monitor, case_no)) and s["deadline"] and s, "the deadline")


def test_an_accepted_case_gets_its_deadline_from_the_promised_limit(monitor, publish, case_no):
    view = follow_a_promised_case(monitor, publish, case_no)
    assert view["level"] == "green" and view["status"] == "accepted"
    assert datetime.fromisoformat(view["deadline"]) == deadline_instant(datetime.fromisoformat(view["accepted_at"]), 5)


def test_the_case_turns_yellow_then_red_and_is_held_to_account_exactly_once(monitor, publish, case_no):
    view = follow_a_promised_case(monitor, publish, case_no)
    deadline = datetime.fromisoformat(view["deadline"])

    move_clock_to(monitor, deadline - timedelta(hours=1))
    eventually(lambda: standing(monitor, case_no)["level"] == "yellow", "the yellow warning")
    assert [w["case_no"] for w in call(monitor, "list_warnings", SUPERVISOR, "yellow")].count(case_no) == 1
    assert call(monitor, "list_accountability", SUPERVISOR) == []

    move_clock_to(monitor, deadline + timedelta(minutes=1))
    eventually(lambda: standing(monitor, case_no)["level"] == "red", "the red warning")
    records = eventually(lambda: call(monitor, "list_accountability", SUPERVISOR), "the accountability record")
    assert [(r["case_no"], r["department"], r["staff"], r["item_code"], r["status"]) for r in records] == [
        (case_no, "market_regulation", "clerk", "MR-101", "open")
    ]

    # Repeated events and later looks file nothing more.
    publish("approval", "case_accepted", accepted(case_no, datetime.fromisoformat(view["accepted_at"])))
    move_clock_to(monitor, deadline + timedelta(days=3))
    eventually(lambda: standing(monitor, case_no)["days_overdue"] >= 1, "the days overdue to grow")
    time.sleep(1.5)
    assert models.AccountabilityRecord.objects(case_no=case_no).count() == 1


def test_two_monitors_file_one_record(container_factory, service_config, monitor, publish, case_no):
    second = container_factory(MonitorService, service_config)
    second.start()
    view = follow_a_promised_case(monitor, publish, case_no)
    move_clock_to(monitor, datetime.fromisoformat(view["deadline"]) + timedelta(minutes=1))
    eventually(lambda: call(second, "list_accountability", SUPERVISOR), "the accountability record")
    time.sleep(2)
    assert models.AccountabilityRecord.objects(case_no=case_no).count() == 1


def test_events_in_any_order_give_the_same_standing(monitor, publish, case_no):
    accepted_at = utcnow()
    publish("approval", "case_accepted", accepted(case_no, accepted_at))
    publish("approval", "case_accepted", accepted(case_no, accepted_at))
    eventually(lambda: standing(monitor, case_no), "the case to be watched")
    assert standing(monitor, case_no)["deadline"] is None  # the limit is not known yet
    publish("intake", "case_submitted", submitted(case_no))
    view = eventually(lambda: (s := standing(monitor, case_no)) and s["deadline"] and s, "the deadline")
    assert datetime.fromisoformat(view["deadline"]) == deadline_instant(accepted_at, 5)


def test_a_supplement_stops_the_clock_and_the_receipt_restarts_it(monitor, publish, case_no):
    view = follow_a_promised_case(monitor, publish, case_no)
    first_deadline = datetime.fromisoformat(view["deadline"])
    requested_at = utcnow()
    publish(
        "approval",
        "supplement_requested",
        {
            "case_no": case_no,
            "missing_materials": ["id_card"],
            "reason": "证件不清",
            "requested_at": requested_at.isoformat(),
        },
    )
    eventually(lambda: standing(monitor, case_no)["status"] == "supplementing", "the clock to stop")
    move_clock_to(monitor, first_deadline + timedelta(days=1))
    time.sleep(1.5)
    assert standing(monitor, case_no)["level"] is None
    assert call(monitor, "list_accountability", SUPERVISOR) == []

    publish(
        "intake",
        "supplement_received",
        {"case_no": case_no, "materials": ["id_card"], "received_at": utcnow().isoformat()},
    )
    view = eventually(lambda: (s := standing(monitor, case_no))["status"] == "accepted" and s, "the clock to run")
    assert datetime.fromisoformat(view["deadline"]) > first_deadline


def test_a_decided_case_leaves_the_warnings_and_records_whether_it_was_on_time(monitor, publish, case_no):
    view = follow_a_promised_case(monitor, publish, case_no)
    move_clock_to(monitor, datetime.fromisoformat(view["deadline"]) - timedelta(hours=1))
    eventually(lambda: call(monitor, "list_warnings", SUPERVISOR), "the yellow warning")
    publish(
        "approval",
        "case_decided",
        {"case_no": case_no, "outcome": "approved", "decided_at": utcnow().isoformat(), "decided_by": "chief"},
    )
    view = eventually(lambda: (s := standing(monitor, case_no))["status"] == "decided" and s, "the decision")
    assert view["on_time"] is True
    assert call(monitor, "list_warnings", SUPERVISOR) == []
    assert models.Timer.objects(case_no=case_no).count() == 0


def test_departments_see_their_own_warnings_and_records(monitor, publish, case_no):
    view = follow_a_promised_case(monitor, publish, case_no)
    move_clock_to(monitor, datetime.fromisoformat(view["deadline"]) + timedelta(minutes=1))
    eventually(lambda: call(monitor, "list_accountability", SUPERVISOR), "the accountability record")
    assert [w["case_no"] for w in call(monitor, "list_warnings", REVIEWER)] == [case_no]
    assert call(monitor, "list_warnings", TAX) == []
    assert len(call(monitor, "list_accountability", REVIEWER)) == 1
    assert call(monitor, "list_accountability", TAX) == []


def test_a_supervisor_acknowledges_and_closes_a_record_with_its_resolution(monitor, publish, case_no):
    view = follow_a_promised_case(monitor, publish, case_no)
    move_clock_to(monitor, datetime.fromisoformat(view["deadline"]) + timedelta(minutes=1))
    eventually(lambda: call(monitor, "list_accountability", SUPERVISOR), "the accountability record")
    assert call(monitor, "acknowledge_accountability", case_no, SUPERVISOR)["status"] == "acknowledged"
    with pytest.raises(Conflict):
        call(monitor, "acknowledge_accountability", case_no, SUPERVISOR)
    closed = call(monitor, "close_accountability", case_no, "窗口人员已约谈，流程已整改", SUPERVISOR)
    assert (closed["status"], closed["resolution"], closed["closed_by"]) == (
        "closed",
        "窗口人员已约谈，流程已整改",
        "supervisor",
    )
    assert call(monitor, "list_accountability", SUPERVISOR, "open") == []


def test_an_approved_extension_pushes_the_deadline(monitor, publish, case_no):
    view = follow_a_promised_case(monitor, publish, case_no)
    call(monitor, "approve_extension", case_no, 3, "需现场核查", REVIEWER)
    later = eventually(
        lambda: (s := standing(monitor, case_no))["extensions"] and s["deadline"] != view["deadline"] and s,
        "the new deadline",
    )
    assert datetime.fromisoformat(later["deadline"]) == deadline_instant(datetime.fromisoformat(view["accepted_at"]), 8)


def test_supplements_before_acceptance_do_not_push_the_deadline(monitor, publish, case_no):
    asked_at = utcnow() - timedelta(days=3)
    publish("intake", "case_submitted", submitted(case_no))
    publish(
        "approval",
        "supplement_requested",
        {
            "case_no": case_no,
            "missing_materials": ["id_card"],
            "reason": "证件不清",
            "requested_at": asked_at.isoformat(),
        },
    )
    publish(
        "intake",
        "supplement_received",
        {"case_no": case_no, "materials": ["id_card"], "received_at": (asked_at + timedelta(days=2)).isoformat()},
    )
    eventually(lambda: standing(monitor, case_no), "the case to be watched")
    accepted_at = utcnow()
    publish("approval", "case_accepted", accepted(case_no, accepted_at))
    view = eventually(lambda: (s := standing(monitor, case_no)) and s["deadline"] and s, "the deadline")
    assert datetime.fromisoformat(view["deadline"]) == deadline_instant(accepted_at, 5)


def test_a_record_shows_the_days_overdue_now_and_keeps_those_of_the_decision(monitor, publish, case_no):
    view = follow_a_promised_case(monitor, publish, case_no)
    deadline = datetime.fromisoformat(view["deadline"])
    just_late = deadline + timedelta(minutes=1)
    move_clock_to(monitor, just_late)
    [record] = eventually(lambda: call(monitor, "list_accountability", SUPERVISOR), "the accountability record")
    # working days: 1 when the minute after the deadline is a working day, 0 on a day off
    # (a deadline at the end of a Friday, seen early on the Saturday)
    assert record["days_overdue"] == workdays_between(deadline - timedelta(seconds=1), just_late) in (0, 1)

    later = deadline + timedelta(days=9)
    move_clock_to(monitor, later)
    [record] = call(monitor, "list_accountability", SUPERVISOR)
    overdue_now = workdays_between(deadline - timedelta(seconds=1), later)
    assert record["days_overdue"] == overdue_now == standing(monitor, case_no)["days_overdue"] > 1

    publish(
        "approval",
        "case_decided",
        {"case_no": case_no, "outcome": "approved", "decided_at": utcnow().isoformat(), "decided_by": "chief"},
    )
    eventually(lambda: standing(monitor, case_no)["status"] == "decided", "the decision")
    move_clock_to(monitor, later + timedelta(days=14))
    [record] = call(monitor, "list_accountability", SUPERVISOR)
    assert record["days_overdue"] == overdue_now == standing(monitor, case_no)["days_overdue"]


def test_another_departments_chief_may_not_extend_a_case(monitor, publish, case_no):
    view = follow_a_promised_case(monitor, publish, case_no)
    tax_chief = {"username": "tax_chief", "roles": ["chief"], "department": "taxation"}
    with pytest.raises(Forbidden, match="does not own"):
        call(monitor, "approve_extension", case_no, 3, "需现场核查", tax_chief)
    with pytest.raises(NotFound):
        call(monitor, "approve_extension", case_no + "9", 3, "需现场核查", tax_chief)
    assert standing(monitor, case_no)["deadline"] == view["deadline"]


def test_a_hearing_the_item_allows_stops_the_clock_until_it_ends(monitor, publish, case_no):
    chief = {"username": "chief", "roles": ["chief"], "department": "market_regulation"}
    publish("intake", "case_submitted", submitted(case_no, special_procedures=["hearing"]))
    publish("approval", "case_accepted", accepted(case_no, utcnow()))
    first = eventually(lambda: (s := standing(monitor, case_no)) and s["deadline"] and s, "the deadline")
    with pytest.raises(InvalidInput, match="no special procedure 'expert_review'"):
        call(monitor, "suspend_case", case_no, "expert_review", "专家论证", chief)
    with pytest.raises(Conflict):
        call(monitor, "resume_case", case_no, chief)

    call(monitor, "suspend_case", case_no, "hearing", "相邻权利人申请听证", chief)
    eventually(lambda: standing(monitor, case_no)["status"] == "suspended", "the clock to stop")
    assert standing(monitor, case_no)["deadline"] is None
    with pytest.raises(Conflict):
        call(monitor, "suspend_case", case_no, "hearing", "again", chief)
    move_clock_to(monitor, datetime.fromisoformat(first["deadline"]) + timedelta(days=1))
    time.sleep(1.5)
    assert call(monitor, "list_accountability", SUPERVISOR) == []

    resumed = call(monitor, "resume_case", case_no, chief)
    view = eventually(lambda: (s := standing(monitor, case_no))["status"] == "accepted" and s, "the clock to run")
    assert view["deadline"] == resumed["deadline"] and view["deadline"] > first["deadline"]
    assert [(p["procedure"], p["ended_at"] is not None) for p in view["special_procedures"]] == [("hearing", True)]
