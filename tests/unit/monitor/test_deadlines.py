"""Where a case stands against its limit, on real dates of the 2026 calendar.

Accepted Thursday 2026-11-26 with a promised limit of 5 working days: they are Fri 27,
Mon 30, Tue Dec 1, Wed 2, Thu 3; the deadline is Fri Dec 4 00:00 in Shanghai.
"""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.common.fields import to_millis
from services.common.workdays import WorkdayCalendar
from services.monitor.deadlines import (
    ACCEPTED,
    DECIDED,
    GREEN,
    RED,
    REFUSED,
    SUBMITTED,
    SUPPLEMENTING,
    YELLOW,
    Facts,
    evaluate,
    supplement_pauses,
    workdays_overdue,
)

SH = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkdayCalendar()


def at(day, hour=10, minute=0):
    return datetime(2026, *day, hour, minute, tzinfo=SH)


ACCEPTED_AT = at((11, 26))
DEADLINE = datetime(2026, 12, 4, tzinfo=SH)
YELLOW_FROM = datetime(2026, 12, 2, tzinfo=SH)
PROMISED = Facts(promised_limit_days=5, legal_limit_days=20, accepted_at=ACCEPTED_AT)


def test_a_fresh_case_is_green_until_one_working_day_is_left():
    standing = evaluate(PROMISED, CALENDAR, at((11, 30)))
    assert (standing.status, standing.level) == (ACCEPTED, GREEN)
    assert standing.deadline == DEADLINE
    assert standing.next_check == YELLOW_FROM


def test_it_turns_yellow_at_the_start_of_the_day_before_the_due_day():
    assert evaluate(PROMISED, CALENDAR, YELLOW_FROM - timedelta(milliseconds=1)).level == GREEN
    standing = evaluate(PROMISED, CALENDAR, YELLOW_FROM)
    assert standing.level == YELLOW
    assert standing.next_check == DEADLINE


def test_it_turns_red_at_the_deadline_and_needs_no_further_look():
    assert evaluate(PROMISED, CALENDAR, DEADLINE - timedelta(milliseconds=1)).level == YELLOW
    standing = evaluate(PROMISED, CALENDAR, DEADLINE)
    assert (standing.status, standing.level, standing.next_check) == (ACCEPTED, RED, None)


def test_a_case_not_yet_accepted_has_no_clock():
    standing = evaluate(Facts(promised_limit_days=5), CALENDAR, at((12, 30)))
    assert (standing.status, standing.deadline, standing.level) == (SUBMITTED, None, None)


def test_an_acceptance_heard_before_the_limits_waits_for_them():
    standing = evaluate(Facts(accepted_at=ACCEPTED_AT), CALENDAR, at((12, 30)))
    assert (standing.status, standing.deadline) == (SUBMITTED, None)


def test_the_legal_limit_counts_when_none_is_promised():
    standing = evaluate(Facts(legal_limit_days=1, accepted_at=ACCEPTED_AT), CALENDAR, ACCEPTED_AT)
    assert standing.deadline == datetime(2026, 11, 28, tzinfo=SH)


def test_an_immediate_item_is_yellow_at_once_and_red_from_the_next_midnight():
    immediate = Facts(promised_limit_days=0, legal_limit_days=15, accepted_at=ACCEPTED_AT)
    assert evaluate(immediate, CALENDAR, ACCEPTED_AT).level == YELLOW
    assert evaluate(immediate, CALENDAR, datetime(2026, 11, 27, tzinfo=SH)).level == RED


def test_an_unanswered_supplement_request_stops_the_clock():
    facts = Facts(**{**PROMISED.__dict__, "supplement_requested": (to_millis(at((11, 30))),)})
    standing = evaluate(facts, CALENDAR, at((12, 20)))
    assert standing.status == SUPPLEMENTING
    assert standing.level is None and standing.next_check is None


def test_supplement_time_pushes_the_deadline_by_the_working_days_waited():
    # requested Mon Nov 30, received Wed Dec 2: Dec 1 and Dec 2 do not count.
    facts = Facts(**{**PROMISED.__dict__, "supplement_requested": (to_millis(at((11, 30))),),
                     "supplement_received": (to_millis(at((12, 2), 15)),)})
    standing = evaluate(facts, CALENDAR, at((12, 3)))
    assert standing.paused_workdays == 2
    assert standing.deadline == datetime(2026, 12, 8, tzinfo=SH)
    assert standing.level == GREEN


def test_supplements_pair_each_request_with_the_receipt_that_followed_it_in_any_order():
    requests = (to_millis(at((12, 1))), to_millis(at((11, 27))))
    receipts = (to_millis(at((12, 2))), to_millis(at((11, 30))))
    closed, open_since = supplement_pauses(requests, receipts)
    assert closed == [(to_millis(at((11, 27))), to_millis(at((11, 30)))),
                      (to_millis(at((12, 1))), to_millis(at((12, 2))))]
    assert open_since is None
    closed, open_since = supplement_pauses(requests, receipts[1:])
    assert open_since == to_millis(at((12, 1)))


def test_an_approved_extension_adds_working_days():
    facts = Facts(**{**PROMISED.__dict__, "extension_days": 3})
    assert evaluate(facts, CALENDAR, at((12, 3))).deadline == datetime(2026, 12, 9, tzinfo=SH)


@pytest.mark.parametrize("decided_at, on_time, level", [
    (DEADLINE - timedelta(minutes=1), True, GREEN),
    (DEADLINE, False, RED),
])
def test_a_decided_case_is_on_time_only_before_its_deadline(decided_at, on_time, level):
    standing = evaluate(Facts(**{**PROMISED.__dict__, "decided_at": decided_at}), CALENDAR, at((12, 20)))
    assert (standing.status, standing.on_time, standing.level, standing.next_check) == (DECIDED, on_time, level, None)


def test_a_decision_heard_before_the_acceptance_closes_the_case():
    standing = evaluate(Facts(promised_limit_days=5, decided_at=ACCEPTED_AT), CALENDAR, at((12, 20)))
    assert standing.status == DECIDED and standing.on_time is None


def test_a_case_refused_at_intake_has_no_clock():
    standing = evaluate(Facts(promised_limit_days=5, refused_at=ACCEPTED_AT), CALENDAR, at((12, 20)))
    assert standing.status == REFUSED and standing.deadline is None


def test_a_deadline_in_a_year_not_yet_published_is_counted_on_the_statutory_holidays():
    late = Facts(promised_limit_days=20, accepted_at=datetime(2026, 12, 20, 10, tzinfo=SH))
    standing = evaluate(late, CALENDAR, datetime(2026, 12, 21, tzinfo=SH))
    # 9 working days in December, New Year's Day off, then 11 more: due Monday 18 January.
    assert standing.deadline == datetime(2027, 1, 19, tzinfo=SH) and standing.problem is None
    assert standing.level == GREEN


def test_a_deadline_beyond_the_calendar_is_reported_not_guessed():
    late = Facts(promised_limit_days=20, accepted_at=datetime(2099, 12, 20, 10, tzinfo=SH))
    standing = evaluate(late, CALENDAR, datetime(2099, 12, 21, tzinfo=SH))
    assert standing.deadline is None and standing.level is None
    assert "2100-01-01" in standing.problem


def test_days_overdue_count_the_working_days_after_the_due_day():
    assert workdays_overdue(CALENDAR, DEADLINE, DEADLINE - timedelta(seconds=1)) == 0
    assert workdays_overdue(CALENDAR, DEADLINE, at((12, 4))) == 1  # Friday
    assert workdays_overdue(CALENDAR, DEADLINE, at((12, 6))) == 1  # Sunday
    assert workdays_overdue(CALENDAR, DEADLINE, at((12, 7))) == 2  # Monday
