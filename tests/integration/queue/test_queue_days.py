"""The queue's day boundary on the real store: the board shows the hall day's calls only (by
the platform clock), staff see tickets with their day, and a day's counts add up."""

import random
from datetime import datetime, timedelta, timezone

import pytest

from services.common import time as platform_time
from services.common.errors import Conflict, InvalidInput
from services.queue import models
from services.queue.board import board, calls_after, day_stats
from tests.integration.queue.conftest import call

LATE = datetime(2026, 12, 2, 15, 50, tzinfo=timezone.utc)  # 23:50 on 2 December in the hall
EARLY = datetime(2026, 12, 2, 16, 10, tzinfo=timezone.utc)  # 00:10 on 3 December in the hall
TERMS = ("served", "no_shows", "abandoned", "waiting")


@pytest.fixture
def clock_moved_back():
    yield
    platform_time.set_clock_offset(timedelta(0))


def test_the_next_day_the_board_shows_only_that_days_calls(desk):
    desk.issue(LATE - timedelta(minutes=5), category="A")
    desk.call(2, LATE)
    desk.issue(EARLY, category="A")
    today, _ = desk.call(1, EARLY + timedelta(minutes=1))

    shown = board(EARLY + timedelta(minutes=2))
    assert shown["day"] == "2026-12-03"
    assert [(c["number"], c["day"], c["window"]) for c in shown["calls"]] == [("A001", "2026-12-03", 1)]
    assert shown["last_seq"] == today["announcement"]["seq"]
    assert [c["ticket_id"] for c in calls_after(0, EARLY + timedelta(minutes=2))] == ["20261203-A001"]


def test_the_board_turns_the_day_by_the_platform_clock(queue, clock_moved_back):
    issued = call(queue, "issue_ticket", category="A")
    call(queue, "call_next", 2)
    assert [c["ticket_id"] for c in call(queue, "get_board")["calls"]] == [issued["ticket_id"]]
    before = call(queue, "get_board")["day"]

    platform_time.set_clock_offset(timedelta(days=1))

    after = call(queue, "get_board")
    assert after["day"] == (datetime.fromisoformat(before) + timedelta(days=1)).date().isoformat()
    assert after["calls"] == [] and call(queue, "calls_after", 0) == []


def test_staff_answers_carry_the_tickets_day_and_the_slip_its_number(queue, desk):
    issued, _ = desk.issue(EARLY, category="B")
    assert (issued["number"], issued["day"]) == ("B001", "2026-12-03")
    called = call(queue, "call_next", 4)
    assert called["label"] == "2026-12-03 B001" and called["announcement"]["day"] == "2026-12-03"
    call(queue, "start_service", 4)
    with pytest.raises(Conflict, match="ticket 2026-12-03 B001 is serving, not called"):
        call(queue, "mark_no_show", 4)


def test_the_testers_day_adds_up_three_issued_two_no_shows_one_served(queue, desk):
    """Three tickets on 3 December: two called in vain, one served; a ticket of the next day
    waits meanwhile and is not counted on the 3rd."""
    for minute in range(3):
        desk.issue(EARLY + timedelta(minutes=minute), category="A")
    desk.call(2, EARLY + timedelta(minutes=5))
    desk.no_show(2, EARLY + timedelta(minutes=6))
    desk.call(2, EARLY + timedelta(minutes=7))
    for recall in range(3):  # recall_limit 2: the third recall makes it a no-show
        desk.recall(2, EARLY + timedelta(minutes=8 + recall))
    desk.call(2, EARLY + timedelta(minutes=12))
    desk.finish(2, EARLY + timedelta(minutes=20))
    desk.issue(EARLY + timedelta(days=1), category="A")

    row = next(r for r in call(queue, "get_stats", "2026-12-03")["categories"] if r["category"] == "A")
    assert {k: row[k] for k in ("issued", "called", "served", "no_shows", "abandoned", "waiting")} == {
        "issued": 3,
        "called": 3,
        "served": 1,
        "no_shows": 2,
        "abandoned": 0,
        "waiting": 0,
    }
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        call(queue, "get_stats", "20261203")


def test_a_days_counts_add_up_per_category_after_a_random_day_of_the_hall(queue, desk):
    """Random kiosk and window operations over a day (transfers between categories, recalls,
    no-shows, finishes), tickets left at windows and in the queue, then the next day's sweep
    closes the tickets left waiting. Each category's row adds up, and its terms are the
    tickets' real states, counted in the category each was issued in."""
    rng = random.Random(20261203)
    now = EARLY + timedelta(hours=9)
    for _ in range(160):
        now += timedelta(seconds=rng.randint(5, 90))
        window = rng.randint(1, 5)
        operation = rng.choice(
            ["issue", "issue", "call", "call", "recall", "no_show", "start", "finish", "finish", "transfer"]
        )
        try:
            if operation == "issue":
                desk.issue(now, category=rng.choice("ABC"), priority=rng.choice(["normal", "care"]))
            elif operation == "call":
                desk.call(window, now)
            elif operation == "transfer":
                desk.transfer(window, now, category=rng.choice("ABC"))
            else:
                getattr(desk, operation)(window, now)
        except Conflict:
            pass  # the window had no ticket, or not one in that state: nothing changed

    def check():
        rows = {r["category"]: r for r in call(queue, "get_stats", "2026-12-03")["categories"]}
        states = {}
        for ticket in models.Ticket.objects(day="20261203"):
            by_state = states.setdefault(ticket.number[0], {})
            by_state[ticket.state] = by_state.get(ticket.state, 0) + 1
        for code, row in rows.items():
            real = states.get(code, {})
            assert row["issued"] == sum(row[t] for t in TERMS) == sum(real.values()), (code, row)
            assert (row["served"], row["no_shows"], row["abandoned"]) == (
                real.get("finished", 0),
                real.get("no_show", 0),
                real.get("abandoned", 0),
            )
            assert (row["in_queue"], row["at_windows"]) == (
                real.get("waiting", 0),
                real.get("called", 0) + real.get("serving", 0),
            )
        return rows

    during = check()
    assert sum(r["waiting"] for r in during.values()) > 0 and sum(r["no_shows"] for r in during.values()) > 0
    desk.abandon_earlier_days(EARLY + timedelta(days=1))
    after = check()
    assert sum(r["in_queue"] for r in after.values()) == 0
    assert sum(r["abandoned"] for r in after.values()) == sum(r["in_queue"] for r in during.values())
    assert day_stats("20261203")["day"] == "2026-12-03"
