"""The ticket rules, on plain data: priority classes, the order a window calls in, which
button works when, recalls, transfers, linking to a case, and the measured times."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from services.common.errors import Conflict, InvalidInput
from services.queue import ticket_rules as rules

SETTINGS = SimpleNamespace(priority_order=["appointment", "care", "vip", "normal"], vip_ids=["VIP1"])
ISSUED = datetime(2026, 12, 3, 1, 0, tzinfo=timezone.utc)  # 09:00 in the hall


def ticket(**fields):
    return SimpleNamespace(
        **{
            "day": "20261203",
            "number": "A001",
            "category": "A",
            "state": "waiting",
            "calls": 0,
            "transfers": 0,
            "case_no": None,
            "issued_at": ISSUED,
            "called_at": None,
            "started_at": None,
            "finished_at": None,
            **fields,
        }
    )


def window(number=3, categories=("A", "B"), is_open=True, current_ticket=None, pinned=0):
    return SimpleNamespace(
        number=number, categories=list(categories), open=is_open, current_ticket=current_ticket, pinned=pinned
    )


@pytest.mark.parametrize(
    ("requested", "applicant", "appointment", "expected"),
    [
        ("normal", None, None, "normal"),
        ("care", None, None, "care"),
        ("normal", "VIP1", None, "vip"),
        ("care", "VIP1", None, "care"),
        ("care", "VIP1", "CODE2345", "appointment"),
        ("normal", "OTHER", None, "normal"),
    ],
)
def test_a_ticket_gets_the_best_class_it_is_entitled_to(requested, applicant, appointment, expected):
    assert rules.priority_class(SETTINGS, requested, applicant, appointment) == expected


def test_the_hall_may_order_the_classes_differently():
    vip_first = SimpleNamespace(priority_order=["vip", "appointment", "care", "normal"], vip_ids=["VIP1"])
    assert rules.priority_class(vip_first, "care", "VIP1", None) == "vip"
    assert rules.rank(vip_first, "vip") < rules.rank(vip_first, "care") < rules.rank(vip_first, "normal")


def test_announcements_in_chinese_and_english():
    assert rules.announcement("A001", 3) == ("请A001号到3号窗口办理", "Ticket A001, please go to window 3.")


def test_a_ticket_is_its_categorys_letter_and_number_of_the_day():
    number = rules.ticket_number("B", 7)
    assert number == "B007" and rules.ticket_id("20261203", number) == "20261203-B007"
    assert rules.ticket_number("B", 1234) == "B1234"
    assert rules.ticket_label(ticket(number=number)) == "2026-12-03 B007"


def test_the_wait_is_the_people_ahead_at_todays_pace_shared_by_the_open_windows():
    assert (
        rules.wait_minutes(ahead=4, served=2, service_ms=2 * 6 * 60000, default_service_minutes=10, open_windows=2)
        == 12
    )
    assert rules.wait_minutes(ahead=3, served=0, service_ms=0, default_service_minutes=10, open_windows=2) == 15
    assert rules.wait_minutes(ahead=3, served=0, service_ms=0, default_service_minutes=10, open_windows=0) == 30
    assert rules.wait_minutes(ahead=0, served=5, service_ms=10**6, default_service_minutes=10, open_windows=1) == 0


def test_a_window_calls_only_when_open_and_free():
    rules.check_may_call(window())
    with pytest.raises(Conflict, match="window 3 is closed"):
        rules.check_may_call(window(is_open=False))
    with pytest.raises(Conflict, match="still has ticket 20261203-A001"):
        rules.check_may_call(window(current_ticket="20261203-A001"))


def test_a_window_calls_the_tickets_pinned_to_it_then_its_categories_in_its_order():
    assert rules.call_queues(3, rules.profile(window(categories=("B", "A")))) == [("B", 0), ("A", 0)]
    assert rules.call_queues(3, rules.profile(window(pinned=2))) == [(None, 3), ("A", 0), ("B", 0)]
    assert rules.call_queues(3, rules.profile(window(categories=(), pinned=0))) == []


def test_a_call_on_a_remembered_profile_is_redone_when_the_window_changed():
    profile = rules.profile(window())
    assert not rules.profile_changed(profile, ["A", "B"], True, 0, took_pinned=False)
    assert rules.profile_changed(profile, ["B", "A"], True, 0, took_pinned=False)
    assert rules.profile_changed(profile, ["A", "B"], False, 0, took_pinned=False)
    assert rules.profile_changed(profile, ["A", "B"], True, 1, took_pinned=False)  # pinned one goes first
    assert not rules.profile_changed(profile, ["A", "B"], True, 1, took_pinned=True)


def test_a_button_works_only_on_a_ticket_in_its_states():
    rules.check_state(ticket(state="serving"), rules.AT_WINDOW)
    with pytest.raises(Conflict, match="ticket 2026-12-03 A001 is waiting, not called or serving"):
        rules.check_state(ticket(), rules.AT_WINDOW)


def test_a_recall_past_the_limit_is_a_no_show():
    assert not rules.recall_is_no_show(ticket(state="called", calls=2), recall_limit=2)
    assert rules.recall_is_no_show(ticket(state="called", calls=3), recall_limit=2)


def test_a_transfer_names_a_category_or_a_window_that_serves_it_and_is_open():
    assert rules.transfer_category(ticket(), None) == "A" and rules.transfer_category(ticket(), "B") == "B"
    rules.check_transfer("B", None, "B", None)
    rules.check_transfer(None, 4, "A", window(number=4))
    with pytest.raises(InvalidInput, match="a category or a window") as neither:
        rules.check_transfer(None, None, "A", None)
    assert neither.value.errors == [{"field": "category", "message": "required"}]
    with pytest.raises(InvalidInput, match="window 4 does not serve category C") as wrong:
        rules.check_transfer("C", 4, "C", window(number=4))
    assert wrong.value.errors == [{"field": "category", "message": "window 4 serves A, B"}]
    with pytest.raises(Conflict, match="window 4 is closed"):
        rules.check_transfer(None, 4, "A", window(number=4, is_open=False))


def test_a_called_ticket_links_to_one_case_only():
    rules.check_link(ticket(state="called"), "20261203000001")
    rules.check_link(ticket(state="finished", case_no="20261203000001"), "20261203000001")
    with pytest.raises(Conflict, match="already linked to case 20261203000001"):
        rules.check_link(ticket(state="finished", case_no="20261203000001"), "20261203000002")
    with pytest.raises(Conflict, match="has not been called yet"):
        rules.check_link(ticket(), "20261203000001")


def test_the_wait_runs_to_the_first_call_and_the_service_from_the_start_or_the_call():
    called = ISSUED + timedelta(minutes=7, milliseconds=250)
    first = ticket(state="called", called_at=called)
    assert rules.is_first_call(first) and rules.waited_ms(first) == 7 * 60000 + 250
    assert not rules.is_first_call(ticket(transfers=1))
    finished = called + timedelta(minutes=5)
    assert rules.served_ms(ticket(called_at=called, finished_at=finished)) == 5 * 60000
    assert (
        rules.served_ms(ticket(called_at=called, started_at=called + timedelta(minutes=1), finished_at=finished))
        == 4 * 60000
    )
