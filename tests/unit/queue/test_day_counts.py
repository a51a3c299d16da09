"""The day's counts add up: issued = served + no_shows + abandoned + waiting, per category the
tickets were issued in, over random ticket histories."""

import random

import pytest

from services.queue.day_counts import ENDINGS, day_row, issue_category, nearest_rank, open_by_category

DAY = "20261203"
# What a window or the day's end may do to a ticket in each state (tickets.py's operations).
MOVES = {
    "waiting": ["called", "abandoned"],  # a call; the sweep after midnight
    "called": ["called", "serving", "finished", "no_show", "waiting"],  # recall, start, finish, no-show, transfer
    "serving": ["finished", "waiting"],  # finish, transfer
}


def random_day(rng, tickets=60):
    """Each ticket's final state and where it is now, with the sums the service keeps: one
    ``issued`` at the kiosk, one ending counter when it ends."""
    sums, queued, at_windows, final = {}, [], [], {}
    for n in range(1, tickets + 1):
        number = f"{rng.choice('ABC')}{n:03d}"
        row = sums.setdefault(issue_category(number), {})
        row["issued"] = row.get("issued", 0) + 1
        state = "waiting"
        for _ in range(rng.randint(0, 6)):
            if state not in MOVES:
                break
            state = rng.choice(MOVES[state])
        ticket_id = f"{DAY}-{number}"
        if state in ENDINGS:
            row[ENDINGS[state]] = row.get(ENDINGS[state], 0) + 1
        elif state == "waiting":
            queued.append(ticket_id)
        else:
            at_windows.append(ticket_id)
        final[ticket_id] = state
    return sums, queued, at_windows, final


@pytest.mark.parametrize("seed", range(25))
def test_every_categorys_row_adds_up_over_a_random_day(seed):
    rng = random.Random(seed)
    sums, queued, at_windows, final = random_day(rng)
    other_day = ["20261202-A900", "20261204-B901"]  # open tickets of other days are not this day's
    windows = at_windows + [None, other_day[0]]
    open_tickets = open_by_category(queued + other_day[1:], windows, DAY)
    for code in "ABC":
        row = day_row(code, sums.get(code, {}), *open_tickets.get(code, (0, 0)))
        assert row["issued"] == row["served"] + row["no_shows"] + row["abandoned"] + row["waiting"]
        mine = [state for ticket_id, state in final.items() if ticket_id[9] == code]
        assert row["issued"] == len(mine)
        assert row["abandoned"] == mine.count("abandoned") and row["no_shows"] == mine.count("no_show")
        assert (row["in_queue"], row["at_windows"]) == (
            mine.count("waiting"),
            mine.count("called") + mine.count("serving"),
        )


def test_a_ticket_counts_in_the_category_it_was_issued_in_and_once_while_transferred():
    """A001 was transferred to category B: still an A ticket. While the transfer is half done
    it is both queued and at its old window: counted once, at the window."""
    assert issue_category("A001") == "A"
    assert open_by_category([f"{DAY}-A001", f"{DAY}-B002"], [f"{DAY}-A001", None], DAY) == {"A": (0, 1), "B": (1, 0)}


def test_a_no_show_is_not_abandoned():
    assert ENDINGS == {"finished": "served", "no_show": "no_shows", "abandoned": "abandoned"}
    row = day_row(
        "A", {"issued": 3, "called": 3, "no_shows": 2, "served": 1, "wait_ms": 360000, "service_ms": 600000}, 0, 0
    )
    assert (row["abandoned"], row["waiting"]) == (0, 0)
    assert (row["mean_wait_minutes"], row["mean_service_minutes"]) == (2.0, 10.0)


@pytest.mark.parametrize(("count", "rank"), [(1, 1), (9, 9), (10, 9), (11, 10), (20, 18), (21, 19), (100, 90)])
def test_the_90th_percentile_is_the_nearest_rank_wait_one_of_the_waits(count, rank):
    """The ⌈0.9·n⌉-th smallest: at least 90 % of the waits are at most it, and it is one of them."""
    waits = random.Random(count).sample(range(1, 10 * count + 1), count)
    p90 = nearest_rank(waits, 90)
    assert p90 == sorted(waits)[rank - 1]
    assert sum(w <= p90 for w in waits) >= 0.9 * count > sum(w < p90 for w in waits)


def test_the_percentile_and_the_mean_come_from_the_same_waits_in_minutes():
    waits = [60000, 120001, 90000, 600000, 30000]  # ms; ⌈4.5⌉ = 5th smallest
    row = day_row("A", {"issued": 5, "called": 5, "wait_ms": sum(waits), "waits_ms": waits}, 0, 0)
    assert (row["mean_wait_minutes"], row["p90_wait_minutes"]) == (3.0, 10.0)
    assert day_row("A", {"issued": 2}, 2, 0)["p90_wait_minutes"] is None
