"""The ledger's ground truth: deadlines in working days, on-time and satisfaction rates by
the hall's definitions, queue means as the platform's millisecond stamps allow them, and the
comparison that fails on any difference."""

from datetime import UTC, date, datetime, timedelta

from sim.arrivals import Item
from sim.compare import DIFFERENT, EQUAL, differences, figures, report
from sim.ledger import Ledger, nearest_rank
from sim.workdays import SHANGHAI, Calendar

ITEM = Item("MR-004", "market_regulation", "promised", "promised_item", 3, ("application_form",))
MORNING = datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI)  # a Thursday


def test_a_limit_counts_working_days_from_the_day_after_acceptance_and_ends_at_midnight():
    calendar = Calendar()
    # Thursday + 3 working days = Tuesday; the deadline is the midnight that ends it.
    assert calendar.deadline(MORNING, 3) == datetime(2026, 12, 16, tzinfo=SHANGHAI)
    assert calendar.deadline(MORNING, 0) == datetime(2026, 12, 11, tzinfo=SHANGHAI)
    # National Day week 2026: 1–7 October off, Saturday 10 October a make-up working day.
    assert calendar.next_workday(date(2026, 9, 30)) == date(2026, 10, 8)
    assert calendar.next_workday(date(2026, 10, 9)) == date(2026, 10, 10)


def test_the_halls_own_closures_are_not_working_days():
    assert Calendar(closures=[date(2026, 12, 11)]).next_workday(date(2026, 12, 10)) == date(2026, 12, 14)


def test_a_deadline_beyond_the_known_years_is_later_than_any_decision():
    calendar = Calendar()
    ledger = Ledger(calendar)
    long_item = Item("CA-002", "civil_affairs", "promised", "promised_item", 30, ("application_form",))
    case = ledger.case({"case_no": "20261231000001", "query_code": "Q"}, long_item, 1, MORNING)
    ledger.accepted(case, datetime(2026, 12, 30, 10, tzinfo=SHANGHAI))
    assert case.deadline is None
    case.decided_at = datetime(2026, 12, 31, 10, tzinfo=SHANGHAI)
    assert ledger.on_time(case)


def decided_case(ledger, number, decided_after, evaluation=None):
    case = ledger.case({"case_no": f"2026121000000{number}", "query_code": "Q"}, ITEM, number, MORNING)
    ledger.accepted(case, MORNING)
    case.decided_at = MORNING + decided_after
    case.evaluation, case.evaluated_at = evaluation, evaluation and case.decided_at
    return case


def test_the_on_time_and_satisfaction_rates_follow_the_definitions():
    ledger = Ledger(Calendar())
    decided_case(ledger, 1, timedelta(days=1), evaluation=5)
    decided_case(ledger, 2, timedelta(days=2), evaluation=2)  # bad review
    late = decided_case(ledger, 3, timedelta(days=7), evaluation=3)
    figures_ = ledger.case_figures(date(2026, 12, 10), date(2026, 12, 31))
    hall = figures_["hall"]
    assert (hall["submitted"], hall["decided"], hall["decided_on_time"]) == (3, 3, 2)
    assert hall["on_time_rate"] == round(2 / 3, 4) and hall["satisfaction_rate"] == round(2 / 3, 4)
    assert figures_["by_item"]["MR-004"] == hall
    assert list(ledger.accountability()) == [late.case_no]


def test_figures_outside_the_period_are_not_counted():
    ledger = Ledger(Calendar())
    decided_case(ledger, 1, timedelta(days=1))
    assert ledger.case_figures(date(2026, 12, 11), date(2026, 12, 31))["hall"]["submitted"] == 0


def test_the_90th_percentile_is_the_nearest_rank_one_of_the_values():
    assert nearest_rank([], 90) is None
    assert [nearest_rank(list(range(n, 0, -1)), 90) for n in (1, 9, 10, 11, 20, 21)] == [1, 9, 9, 10, 18, 19]


def ticket(ledger, number, issued, called, finished, outcome="served"):
    def stamp(minutes):
        return (MORNING + timedelta(minutes=minutes)).astimezone(UTC).isoformat()

    ledger.ticket({"ticket_id": f"20261210-A00{number}", "category": "A", "issued_at": stamp(issued)}, number)
    ledger.ticket_moved(
        {
            "ticket_id": f"20261210-A00{number}",
            "called_at": stamp(called),
            "started_at": stamp(called),
            "finished_at": stamp(finished),
        },
        outcome,
    )


def test_the_queue_row_counts_and_averages_the_days_tickets():
    ledger = Ledger(Calendar())
    ticket(ledger, 1, 0, 4, 14)
    ticket(ledger, 2, 1, 7, 7, "no_show")
    row = ledger.queue_figures("20261210", {"A": 1})["A"]
    assert {k: row[k] for k in ("issued", "called", "served", "no_shows", "abandoned", "appointment_no_shows")} == {
        "issued": 2,
        "called": 2,
        "served": 1,
        "no_shows": 1,
        "abandoned": 0,
        "appointment_no_shows": 1,
    }
    assert (row["mean_wait_minutes"], row["p90_wait_minutes"], row["mean_service_minutes"]) == (5.0, 6.0, 10.0)


def test_any_difference_fails_and_is_printed_with_both_sides():
    found = figures(
        "cases hall",
        {"decided": 3, "on_time_rate": 0.6667},
        {"decided": 3, "on_time_rate": 0.5},
        ("decided", "on_time_rate"),
    )
    assert [f.verdict for f in found] == [EQUAL, DIFFERENT]
    assert [f.name for f in differences(found)] == ["cases hall on_time_rate"]
    text = report(found, only_problems=True)
    assert "cases hall on_time_rate" in text and "0.6667" in text and "0.5" in text
    assert "1 equal, 1 different" in text


def test_a_year_the_official_calendar_does_not_know_yet_counts_weekdays_without_new_years_day():
    calendar = Calendar()
    assert calendar.next_workday(date(2026, 12, 31)) == date(2027, 1, 4)  # Friday 1 January off, then the weekend
    assert calendar.deadline(datetime(2026, 12, 31, 10, tzinfo=SHANGHAI), 3) == datetime(2027, 1, 7, tzinfo=SHANGHAI)


def gap_case(ledger):
    """Supplements asked for at the window on Thursday, brought back and accepted on Friday."""
    case = ledger.case({"case_no": "20261210000009", "query_code": "Q"}, ITEM, 9, MORNING)
    case.supplements_requested.append(MORNING)
    case.supplements_received.append(datetime(2026, 12, 11, 9, tzinfo=SHANGHAI))
    ledger.accepted(case, case.supplements_received[0])
    return case


def test_a_case_supplemented_at_intake_counts_its_limit_from_acceptance():
    ledger = Ledger(Calendar())
    case = gap_case(ledger)
    assert case.deadline == datetime(2026, 12, 17, tzinfo=SHANGHAI)  # Friday + 3 working days, no pause added
    case.decided_at = datetime(2026, 12, 17, 11, tzinfo=SHANGHAI)
    assert not ledger.on_time(case)
    assert list(ledger.accountability()) == [case.case_no]
    case.decided_at = datetime(2026, 12, 16, 11, tzinfo=SHANGHAI)
    assert ledger.on_time(case) and ledger.accountability() == {}


def test_supplements_count_in_the_period_on_the_cases_submitted_in_it():
    ledger = Ledger(Calendar())
    gap_case(ledger)
    thursday = ledger.case_figures(date(2026, 12, 10), date(2026, 12, 10))["hall"]
    assert (thursday["submitted"], thursday["supplement_requests"], thursday["supplements_received"]) == (1, 1, 0)
    week = ledger.case_figures(date(2026, 12, 10), date(2026, 12, 18))["by_item"]["MR-004"]
    assert (week["supplement_requests"], week["supplements_received"]) == (1, 1)
    assert ledger.case_figures(date(2026, 12, 11), date(2026, 12, 18))["hall"]["supplements_received"] == 0


def test_warnings_turn_yellow_the_working_day_before_the_due_day_and_red_at_the_deadline():
    ledger = Ledger(Calendar())
    case = ledger.case({"case_no": "20261210000001", "query_code": "Q"}, ITEM, 1, MORNING)
    ledger.accepted(case, MORNING)  # Thursday, 3 working days: due Tuesday, yellow from Monday
    assert ledger.level(case, datetime(2026, 12, 11, 16, tzinfo=SHANGHAI)) is None
    assert ledger.warnings(datetime(2026, 12, 14, 0, tzinfo=SHANGHAI)) == {case.case_no: "yellow"}
    assert ledger.level(case, datetime(2026, 12, 16, 0, tzinfo=SHANGHAI)) == "red"
    immediate = ledger.case({"case_no": "20261210000002", "query_code": "Q"}, ITEM, 2, MORNING)
    immediate.limit_days = 0  # a limit of at most one working day is yellow from acceptance
    ledger.accepted(immediate, MORNING)
    assert ledger.level(immediate, MORNING) == "yellow"
    immediate.decided_at = MORNING + timedelta(hours=7)
    assert ledger.level(immediate, MORNING + timedelta(hours=8)) is None


def test_an_extension_moves_the_deadline_and_the_yellow_warning_by_its_working_days():
    ledger = Ledger(Calendar())
    case = ledger.case({"case_no": "20261210000001", "query_code": "Q"}, ITEM, 1, MORNING)
    ledger.accepted(case, MORNING)
    monday = datetime(2026, 12, 14, 16, tzinfo=SHANGHAI)
    assert ledger.level(case, monday) == "yellow"
    ledger.extended(case, 2)
    assert case.deadline == datetime(2026, 12, 18, tzinfo=SHANGHAI) and ledger.level(case, monday) is None
    assert ledger.level(case, datetime(2026, 12, 16, 0, tzinfo=SHANGHAI)) == "yellow"
    case.decided_at = datetime(2026, 12, 17, 11, tzinfo=SHANGHAI)  # after the first deadline, within the second
    assert ledger.on_time(case) and ledger.accountability() == {}
