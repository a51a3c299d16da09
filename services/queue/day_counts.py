"""The day's ticket counts and the rule they keep: every ticket issued on a day ends in
exactly one way, or is still open, so per category

    issued = served + no_shows + abandoned + waiting

- ``served`` (已办理): the window finished its service;
- ``no_shows`` (过号): called to a window (and recalled up to the limit) without coming;
- ``abandoned`` (未办理离开): never called in the end: still waiting when its day ended, closed
  by the queue's sweep after midnight (a no-show is *not* abandoned);
- ``waiting`` (未完成): still open now: in the queue (``in_queue``) or called or being served at a
  window (``at_windows``).

A ticket counts in the category it was issued in, the letter of its number (a transfer keeps
the number and moves the ticket to another category's queue, but not its count), so a row adds
up even when tickets moved between categories. ``called`` (first calls) and the times are
measures beside the rule, not terms of it.

A ticket's wait is the milliseconds between its stamps, issue and first call, as stored (and
as the API shows them); a service, between the call (or the start) and the finish. The day's
waits of a category give:

- ``mean_wait_minutes``: their sum ÷ first calls, in minutes, rounded to 0.1;
- ``p90_wait_minutes``: the 90th percentile by nearest rank, the ⌈0.9·n⌉-th smallest of the
  n waits (at least 90 % of the waits are at most it; it is one of them), in minutes,
  rounded to 0.1;
- ``mean_service_minutes``: the services' sum ÷ served, rounded to 0.1.
"""

import re

ENDINGS = {"finished": "served", "no_show": "no_shows", "abandoned": "abandoned"}
TICKET_ID = re.compile(r"^(?P<day>\d{8})-(?P<category>[A-Z])\d+$")


def issue_category(number):
    """The category a ticket was issued in: the letter of its number (``A001`` -> ``A``)."""
    return number[0]


def open_by_category(queued_ids, window_ids, day):
    """The day's open tickets per issue category: ``{category: (in_queue, at_windows)}``.

    A ticket being transferred is briefly both queued and at its old window: it counts once,
    at the window."""
    at_windows = {i for i in window_ids if i}
    counts = {}
    for ticket_id in set(queued_ids) | at_windows:
        match = TICKET_ID.match(ticket_id)
        if match is None or match["day"] != day:
            continue
        queued, at_window = counts.get(match["category"], (0, 0))
        if ticket_id in at_windows:
            counts[match["category"]] = (queued, at_window + 1)
        else:
            counts[match["category"]] = (queued + 1, at_window)
    return counts


def nearest_rank(values, percent):
    """The ``percent``-th percentile by nearest rank: the ⌈percent·n/100⌉-th smallest value
    (integer arithmetic, no float rounding at the rank); None for no values."""
    if not values:
        return None
    return sorted(values)[-(-percent * len(values) // 100) - 1]


def minutes(ms):
    return None if ms is None else round(ms / 60000, 1)


def day_row(category, sums, in_queue, at_windows):
    """One category's row from the day's sums (a mapping of counters and ``waits_ms``, the
    list of waits) and its open tickets."""
    called, served = sums.get("called", 0), sums.get("served", 0)
    return {
        "category": category,
        "issued": sums.get("issued", 0),
        "served": served,
        "no_shows": sums.get("no_shows", 0),
        "abandoned": sums.get("abandoned", 0),
        "waiting": in_queue + at_windows,
        "in_queue": in_queue,
        "at_windows": at_windows,
        "called": called,
        "mean_wait_minutes": minutes(sums.get("wait_ms", 0) / called) if called else None,
        "p90_wait_minutes": minutes(nearest_rank(sums.get("waits_ms", ()), 90)),
        "mean_service_minutes": minutes(sums.get("service_ms", 0) / served) if served else None,
    }
