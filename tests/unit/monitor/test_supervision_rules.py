"""The supervision rules, on plain data: what a case's standing changes in its watch (warnings,
the decision's count, the accountability record), who may act on a case, extensions, special
procedures, and how accountability records move."""

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from services.common import deadlines
from services.common.errors import Conflict, Forbidden, InvalidInput
from services.common.fields import to_millis
from services.common.workdays import WorkdayCalendar
from services.monitor import supervision_rules as rules

CALENDAR = WorkdayCalendar()
DUE = datetime(2026, 12, 2, 16, 0, tzinfo=timezone.utc)  # midnight starting Thursday 3 December in the hall
LATER = datetime(2026, 12, 4, 2, 0, tzinfo=timezone.utc)  # Friday 4 December, 10:00
CLERK = {"username": "clerk", "department": "market"}


def standing(status=deadlines.ACCEPTED, level=deadlines.GREEN, **more):
    return deadlines.Standing(status=status, deadline=DUE, level=level, **more)


def stored(watch_standing):
    """A watch as the scheduler left it after ``watch_standing``."""
    return dict(rules.assess({}, watch_standing).derived, _id="20261126000001")


def test_a_case_turning_yellow_or_red_raises_that_warning_once():
    green = stored(standing())
    turned = rules.assess(green, standing(level=deadlines.YELLOW))
    assert turned.warning_raised == deadlines.YELLOW and turned.changed and not turned.file_accountability
    assert turned.derived == {
        "status": deadlines.ACCEPTED,
        "level": deadlines.YELLOW,
        "deadline": to_millis(DUE),
        "on_time": None,
        "open": True,
        "problem": None,
    }
    again = rules.assess(stored(standing(level=deadlines.YELLOW)), standing(level=deadlines.YELLOW))
    assert again.warning_raised is None and not again.changed  # a repeated look writes nothing
    assert rules.assess(green, standing(level=deadlines.RED)).warning_raised == deadlines.RED
    assert rules.assess({}, standing()).warning_raised is None


def test_an_open_red_case_has_its_accountability_record_filed():
    red = rules.assess(stored(standing(level=deadlines.RED)), standing(level=deadlines.RED))
    assert red.file_accountability and red.warning_raised is None  # the record is filed at most once (its key)
    decided = rules.assess(
        stored(standing(level=deadlines.RED)), standing(status=deadlines.DECIDED, level=deadlines.RED, on_time=False)
    )
    assert not decided.file_accountability and decided.warning_raised is None and decided.derived["open"] is False
    refused = rules.assess({}, deadlines.Standing(status=deadlines.REFUSED, level=deadlines.RED))
    assert not refused.file_accountability and refused.derived["open"] is False


def test_a_decision_is_counted_once_on_time_or_not_when_the_case_had_a_deadline():
    open_case = stored(standing())
    assert rules.assess(open_case, standing(status=deadlines.DECIDED, on_time=True)).decided_on_time is True
    assert rules.assess(open_case, standing(status=deadlines.DECIDED, on_time=False)).decided_on_time is False
    decided = stored(standing(status=deadlines.DECIDED, on_time=True))
    assert rules.assess(decided, standing(status=deadlines.DECIDED, on_time=True)).decided_on_time is None
    no_deadline = deadlines.Standing(status=deadlines.DECIDED)
    assert rules.assess(open_case, no_deadline).decided_on_time is None


def test_a_missing_deadline_is_reported_when_it_is_new():
    problem = deadlines.Standing(status=deadlines.ACCEPTED, problem="the calendar ends in 2027")
    assert rules.assess({}, problem).new_problem == "the calendar ends in 2027"
    assert rules.assess(stored(problem), problem).new_problem is None
    assert rules.assess({}, standing(next_check=LATER)).next_check == LATER


def test_the_accountability_record_names_the_case_its_department_and_its_staff_at_filing():
    watch = {
        "_id": "20261126000001",
        "item_code": "X1",
        "item_name": "营业执照",
        "department": "market",
        "accepted_by": "clerk",
    }
    assert rules.accountability_record(watch, DUE, LATER, CALENDAR) == {
        "case_no": "20261126000001",
        "item_code": "X1",
        "item_name": "营业执照",
        "department": "market",
        "staff": "clerk",
        "deadline": DUE,
        "filed_at": LATER,
        "days_overdue": 2,
    }


def test_days_overdue_count_on_while_open_and_stop_at_the_decision():
    assert rules.days_overdue(CALENDAR, SimpleNamespace(decided_at=None), DUE, LATER) == 2
    assert rules.days_overdue(CALENDAR, None, DUE, LATER) == 2
    assert rules.days_overdue(CALENDAR, SimpleNamespace(decided_at=DUE), DUE, LATER) == 1
    record = SimpleNamespace(deadline=DUE)
    assert rules.record_deadline(record, None) == DUE
    assert rules.record_deadline(record, SimpleNamespace(deadline=LATER)) == LATER
    assert rules.record_deadline(record, SimpleNamespace(deadline=None)) == DUE


def test_a_department_acts_on_its_own_open_cases_the_hall_wide_ones_on_all():
    watch = SimpleNamespace(department="tax", open=True)
    with pytest.raises(Forbidden, match=r"your department \(market\) does not own case C1: .* may extend"):
        rules.check_may_act("C1", watch, CLERK, "extend its time limit")
    rules.check_may_act("C1", watch, {"department": "supervision"}, "extend its time limit")
    with pytest.raises(Conflict, match="no longer open"):
        rules.check_may_act("C1", SimpleNamespace(department="market", open=False), CLERK, "extend")


@pytest.mark.parametrize("days", [0, 61, "3", 2.0, None])
def test_an_extension_is_1_to_60_working_days(days):
    with pytest.raises(InvalidInput, match="1 to 60"):
        rules.check_extension_days(days)


def test_extensions_within_the_bounds_are_allowed():
    rules.check_extension_days(1)
    rules.check_extension_days(60)


def test_a_special_procedure_the_item_allows_stops_an_accepted_case_once():
    watch = SimpleNamespace(special_procedures=["hearing"], item_code="X1", accepted_at=DUE, suspended={}, resumed={})
    rules.check_may_suspend("C1", watch, "hearing")
    with pytest.raises(Conflict, match="not in a special procedure"):
        rules.check_may_resume("C1", watch)
    with pytest.raises(InvalidInput, match="no special procedure 'expert_review' \\(it has: hearing\\)"):
        rules.check_may_suspend("C1", watch, "expert_review")
    with pytest.raises(Conflict, match="not accepted yet"):
        rules.check_may_suspend("C1", SimpleNamespace(**dict(vars(watch), accepted_at=None)), "hearing")
    running = SimpleNamespace(**dict(vars(watch), suspended={"1": {}}))
    with pytest.raises(Conflict, match="already in a special procedure"):
        rules.check_may_suspend("C1", running, "hearing")
    rules.check_may_resume("C1", running)
    with pytest.raises(Conflict, match="not in a special procedure"):
        rules.check_may_resume("C1", SimpleNamespace(**dict(vars(running), resumed={"2": {}})))


def test_a_record_is_closed_with_its_resolution_from_open_or_acknowledged():
    assert rules.resolution_of("  警示谈话  ") == "警示谈话"
    for empty in ("", "   ", None):
        with pytest.raises(InvalidInput, match="needs its resolution"):
            rules.resolution_of(empty)
    assert str(rules.wrong_record_state("C1", "closed", "acknowledged")) == "the record for case C1 is closed, not open"
    assert "is closed, not open or acknowledged" in str(rules.wrong_record_state("C1", "closed", "closed"))


def test_warnings_show_the_level_asked_for_or_both_most_urgent_first():
    assert rules.warning_levels() == [deadlines.YELLOW, deadlines.RED]
    assert rules.warning_levels(deadlines.RED) == [deadlines.RED]
    later, sooner = SimpleNamespace(deadline=LATER), SimpleNamespace(deadline=DUE)
    assert rules.most_urgent_first([later, sooner]) == [sooner, later]
