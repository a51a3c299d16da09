"""The day's chart from tickets' stamps: queue lengths step up at each issue and down at each
first call, per category; a ticket never called keeps waiting; the PNG is written."""

from datetime import datetime, timedelta

from sim.chart import Stamped, draw, queue_lengths
from sim.workdays import SHANGHAI

NINE = datetime(2026, 12, 10, 9, tzinfo=SHANGHAI)


def at(minutes):
    return NINE + timedelta(minutes=minutes)


def test_queue_lengths_follow_issues_and_first_calls_per_category():
    tickets = [Stamped("A", at(0), at(5)), Stamped("A", at(1), at(3)), Stamped("B", at(2), None)]
    assert queue_lengths(tickets) == {"A": [(at(0), 1), (at(1), 2), (at(3), 1), (at(5), 0)], "B": [(at(2), 1)]}


def test_the_chart_is_a_png(tmp_path):
    path = tmp_path / "day.png"
    draw("2026-12-10", [Stamped("A", at(0), at(5)), Stamped("C", at(1), None)], path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
