"""The hall's time-limit rule, on real dates of the 2026 calendar.

Accepted Thursday 2026-11-26 with a promised limit of 5 working days: they are Fri 27,
Mon 30, Tue Dec 1, Wed 2, Thu 3; the deadline is Fri Dec 4 00:00 in Shanghai.
"""

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.common.deadlines import (
    ACCEPTED,
    DECIDED,
    GREEN,
    RED,
    REFUSED,
    SUBMITTED,
    SUPPLEMENTING,
    SUSPENDED,
    YELLOW,
    CaseFacts,
    deadline,
    limit_days,
    workdays_overdue,
)
from services.common.deadlines import standing as evaluate
from services.common.workdays import WorkdayCalendar

SH = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkdayCalendar()


def at(day, hour=10, minute=0):
    return datetime(2026, *day, hour, minute, tzinfo=SH)


ACCEPTED_AT = at((11, 26))
DEADLINE = datetime(2026, 12, 4, tzinfo=SH)
YELLOW_FROM = datetime(2026, 12, 2, tzinfo=SH)
PROMISED = CaseFacts(limit_days=5, accepted_at=ACCEPTED_AT)


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


def test_yellow_waits_for_the_working_day_before_the_due_day_across_a_weekend():
    # Accepted Wed Nov 25 with 4 days: Thu 26, Fri 27, Mon 30, Tue Dec 1 (the due day): yellow
    # from Monday 30, not over the weekend, when two working days are still left.
    facts = CaseFacts(limit_days=4, accepted_at=at((11, 25)))
    monday = datetime(2026, 11, 30, tzinfo=SH)
    assert evaluate(facts, CALENDAR, at((11, 27))).next_check == monday
    assert evaluate(facts, CALENDAR, at((11, 29))).level == GREEN
    assert evaluate(facts, CALENDAR, monday).level == YELLOW


def test_it_turns_red_at_the_deadline_and_needs_no_further_look():
    assert evaluate(PROMISED, CALENDAR, DEADLINE - timedelta(milliseconds=1)).level == YELLOW
    standing = evaluate(PROMISED, CALENDAR, DEADLINE)
    assert (standing.status, standing.level, standing.next_check) == (ACCEPTED, RED, None)


def test_a_case_not_yet_accepted_has_no_clock():
    standing = evaluate(CaseFacts(limit_days=5), CALENDAR, at((12, 30)))
    assert (standing.status, standing.deadline, standing.level) == (SUBMITTED, None, None)


def test_an_acceptance_heard_before_the_limits_waits_for_them():
    standing = evaluate(CaseFacts(accepted_at=ACCEPTED_AT), CALENDAR, at((12, 30)))
    assert (standing.status, standing.deadline) == (SUBMITTED, None)


def test_the_legal_limit_counts_when_none_is_promised():
    assert limit_days(None, 1) == 1 and limit_days(0, 15) == 0
    standing = evaluate(CaseFacts(limit_days=limit_days(None, 1), accepted_at=ACCEPTED_AT), CALENDAR, ACCEPTED_AT)
    assert standing.deadline == datetime(2026, 11, 28, tzinfo=SH)


def test_an_immediate_item_is_yellow_at_once_and_red_from_the_next_midnight():
    immediate = CaseFacts(limit_days=0, accepted_at=ACCEPTED_AT)
    assert evaluate(immediate, CALENDAR, ACCEPTED_AT).level == YELLOW
    assert evaluate(immediate, CALENDAR, datetime(2026, 11, 27, tzinfo=SH)).level == RED


def test_an_unanswered_supplement_request_after_acceptance_stops_the_clock():
    standing = evaluate(replace(PROMISED, supplement_requested=(at((11, 30)),)), CALENDAR, at((12, 20)))
    assert standing.status == SUPPLEMENTING
    assert (standing.deadline, standing.level, standing.next_check) == (None, None, None)


def test_the_clock_restarts_the_working_day_after_the_supplements_are_complete():
    # Accepted Thu 26; Fri 27 and Mon 30 used when the request is made on the 30th; the
    # supplements arrive Wed Dec 2; the 3 days left are Thu 3, Fri 4, Mon 7.
    facts = replace(PROMISED, supplement_requested=(at((11, 30)),), supplement_received=(at((12, 2), 15),))
    standing = evaluate(facts, CALENDAR, at((12, 3)))
    assert standing.deadline == deadline(facts, CALENDAR) == datetime(2026, 12, 8, tzinfo=SH)
    assert standing.level == GREEN


def test_supplements_before_acceptance_do_not_touch_the_clock():
    # Asked for on Mon 23, received Wed 25, accepted Thu 26: the limit counts from the 26th.
    facts = replace(PROMISED, supplement_requested=(at((11, 23)),), supplement_received=(at((11, 25)),))
    assert evaluate(facts, CALENDAR, at((11, 30))).deadline == DEADLINE


def test_a_second_request_while_the_clock_is_stopped_changes_nothing():
    once = replace(PROMISED, supplement_requested=(at((11, 30)),), supplement_received=(at((12, 2), 15),))
    twice = replace(once, supplement_requested=(at((11, 30)), at((12, 1))))
    assert deadline(twice, CALENDAR) == deadline(once, CALENDAR)


def test_a_request_once_the_limit_has_run_out_stops_nothing():
    late = replace(PROMISED, supplement_requested=(at((12, 7)),))
    standing = evaluate(late, CALENDAR, at((12, 8)))
    assert (standing.status, standing.deadline, standing.level) == (ACCEPTED, DEADLINE, RED)
    on_the_due_day = replace(PROMISED, supplement_requested=(at((12, 3)),), supplement_received=(at((12, 8)),))
    assert deadline(on_the_due_day, CALENDAR) == datetime(2026, 12, 9, tzinfo=SH)


def test_a_special_procedure_stops_the_clock_like_a_supplement_and_both_must_end():
    # A hearing from Mon 30 to Wed Dec 2 stops the clock as the supplements above do.
    hearing = replace(PROMISED, suspended=(at((11, 30)),))
    assert evaluate(hearing, CALENDAR, at((12, 1))).status == SUSPENDED
    over = replace(hearing, resumed=(at((12, 2), 15),))
    assert deadline(over, CALENDAR) == datetime(2026, 12, 8, tzinfo=SH)
    # Supplements asked for during the hearing and received after it: the later end counts.
    both = replace(over, supplement_requested=(at((12, 1)),), supplement_received=(at((12, 3)),))
    assert evaluate(replace(both, supplement_received=()), CALENDAR, at((12, 3))).status == SUPPLEMENTING
    assert deadline(both, CALENDAR) == datetime(2026, 12, 9, tzinfo=SH)


def test_an_approved_extension_adds_working_days():
    facts = replace(PROMISED, extension_days=3)
    assert evaluate(facts, CALENDAR, at((12, 3))).deadline == datetime(2026, 12, 9, tzinfo=SH)


@pytest.mark.parametrize(
    "decided_at, on_time, level",
    [
        (DEADLINE - timedelta(minutes=1), True, GREEN),
        (DEADLINE, False, RED),
    ],
)
def test_a_decided_case_is_on_time_only_before_its_deadline(decided_at, on_time, level):
    standing = evaluate(replace(PROMISED, decided_at=decided_at), CALENDAR, at((12, 20)))
    assert (standing.status, standing.on_time, standing.level, standing.next_check) == (DECIDED, on_time, level, None)


def test_a_decision_heard_before_the_acceptance_closes_the_case():
    standing = evaluate(CaseFacts(limit_days=5, decided_at=ACCEPTED_AT), CALENDAR, at((12, 20)))
    assert standing.status == DECIDED and standing.on_time is None


def test_a_case_refused_at_intake_has_no_clock():
    standing = evaluate(CaseFacts(limit_days=5, refused_at=ACCEPTED_AT), CALENDAR, at((12, 20)))
    assert standing.status == REFUSED and standing.deadline is None


def test_a_deadline_in_a_year_not_yet_published_is_counted_on_the_statutory_holidays():
    late = CaseFacts(limit_days=20, accepted_at=datetime(2026, 12, 20, 10, tzinfo=SH))
    standing = evaluate(late, CALENDAR, datetime(2026, 12, 21, tzinfo=SH))
    # 9 working days in December, New Year's Day off, then 11 more: due Monday 18 January.
    assert standing.deadline == datetime(2027, 1, 19, tzinfo=SH) and standing.problem is None
    assert standing.level == GREEN


def test_a_deadline_beyond_the_calendar_is_reported_not_guessed():
    late = CaseFacts(limit_days=20, accepted_at=datetime(2099, 12, 20, 10, tzinfo=SH))
    standing = evaluate(late, CALENDAR, datetime(2099, 12, 21, tzinfo=SH))
    assert standing.deadline is None and standing.level is None
    assert "2100-01-01" in standing.problem


def test_days_overdue_count_the_working_days_after_the_due_day():
    assert workdays_overdue(CALENDAR, DEADLINE, DEADLINE - timedelta(seconds=1)) == 0
    assert workdays_overdue(CALENDAR, DEADLINE, at((12, 4))) == 1  # Friday
    assert workdays_overdue(CALENDAR, DEADLINE, at((12, 6))) == 1  # Sunday
    assert workdays_overdue(CALENDAR, DEADLINE, at((12, 7))) == 2  # Monday
