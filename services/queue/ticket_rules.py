"""The rules of tickets (号票) over plain data: who is entitled to which priority class, which
queues a window calls from and in what order, which ticket states allow which button, when a
recall becomes a no-show, where a transfer may go, when a ticket may be linked to its case,
and how waits, services and call numbers are counted. ``tickets`` stores what they decide.

Fairness: a window calls from the categories it serves in its own order (its work profile);
within a category the best priority class first, then the earliest issue time. A ticket
transferred to one window is called by that window before its categories.
"""

import math
from datetime import datetime, time

from services.common.errors import Conflict, InvalidInput
from services.common.fields import to_millis
from services.common.workdays import SHANGHAI, shanghai_day

AT_WINDOW = ("called", "serving")


def iso_day(day):
    """``YYYYMMDD`` as the ISO date every answer shows (``2026-12-03``)."""
    return f"{day[:4]}-{day[4:6]}-{day[6:]}"


def ticket_label(ticket):
    """The ticket as staff see it: numbers start again each day, so the day goes first."""
    return f"{iso_day(ticket.day)} {ticket.number}"


def ticket_number(category, n):
    """The ``n``-th ticket of a category's day: its letter and three digits (``A007``)."""
    return f"{category}{n:03d}"


def ticket_id(day, number):
    return f"{day}-{number}"


def midnight(now):
    """The start of the hall day of ``now`` (its midnight in Shanghai)."""
    return datetime.combine(shanghai_day(now), time(), tzinfo=SHANGHAI)


def first_call_of_day(now):
    """The lowest call sequence number of the hall day of ``now``: the board shows only calls
    above it, since numbers start again each day."""
    return call_seq(midnight(now), 0)


def call_seq(now, window):
    """A call's sequence number: its time in ms × 1000 + the window. Unique because a window
    makes one call at a time (below 1000 windows), and below 2**53 so a browser reads it exactly."""
    return to_millis(now) * 1000 + window % 1000


def announcement(number, window):
    return (f"请{number}号到{window}号窗口办理", f"Ticket {number}, please go to window {window}.")


def priority_class(settings, requested, applicant_id, appointment):
    """The best class the ticket is entitled to, by the hall's ordering."""
    entitled = {"normal"}
    if requested == "care":
        entitled.add("care")
    if applicant_id and applicant_id in settings.vip_ids:
        entitled.add("vip")
    if appointment:
        entitled.add("appointment")
    return min(entitled, key=settings.priority_order.index)


def rank(settings, klass):
    """A class's place in the hall's order: the lower, the sooner called."""
    return settings.priority_order.index(klass)


def wait_minutes(ahead, served, service_ms, default_service_minutes, open_windows):
    """People ahead × today's mean service time (the hall's default before anyone was served)
    ÷ open windows serving the category, rounded up."""
    per_person = service_ms / served / 60000 if served else default_service_minutes
    return math.ceil(ahead * per_person / max(open_windows, 1))


def profile(window):
    """What a window calls by: its categories in order, and how many tickets are pinned to it."""
    return tuple(window.categories), window.pinned or 0


def check_may_call(window):
    """A window calls when it is open and has no ticket at it."""
    if not window.open:
        raise Conflict(f"window {window.number} is closed")
    if window.current_ticket:
        raise Conflict(
            f"window {window.number} still has ticket {window.current_ticket}: "
            "finish it, mark it a no-show or transfer it first"
        )


def call_queues(window, profile):
    """The queues a window calls from, in order: ``(category, window)`` of each, the tickets
    pinned to the window (``(None, window)``) first while there are any, then each category's
    shared queue (``(category, 0)``) in the window's order."""
    categories, pinned = profile
    return ([(None, window)] if pinned > 0 else []) + [(category, 0) for category in categories]


def profile_changed(profile, categories, is_open, pinned, took_pinned):
    """Whether the window, as the call that took it found it, no longer holds the ``profile``
    the ticket was claimed on: other categories, closed, or a ticket pinned to it meanwhile
    when the call took a shared one."""
    return tuple(categories) != profile[0] or not is_open or (not took_pinned and pinned > 0)


def check_state(ticket, states):
    """A button works on a ticket in one of ``states``."""
    if ticket.state not in states:
        raise Conflict(f"ticket {ticket_label(ticket)} is {ticket.state}, not {' or '.join(states)}")


def recall_is_no_show(ticket, recall_limit):
    """Past the recall limit, a recall marks the ticket a no-show (过号) instead."""
    return ticket.calls > recall_limit


def transfer_category(ticket, category):
    """The category a transfer sends the ticket to: the one named, or its own."""
    return category or ticket.category


def check_transfer(category, to_window, target_category, target):
    """A transfer (转窗) names a category or a window; a window must be open and serve the
    category (``target``: that window, None when no window is named)."""
    if to_window is not None:
        if target_category not in target.categories:
            raise InvalidInput(
                f"window {to_window} does not serve category {target_category}",
                [{"field": "category", "message": f"window {to_window} serves {', '.join(target.categories)}"}],
            )
        if not target.open:
            raise Conflict(f"window {to_window} is closed")
    elif category is None:
        raise InvalidInput("transfer to a category or a window", [{"field": "category", "message": "required"}])


def check_link(ticket, case_no):
    """A called ticket is linked to the case opened for its visit once; the same case again is fine."""
    if ticket.case_no and ticket.case_no != case_no:
        raise Conflict(f"ticket {ticket_label(ticket)} is already linked to case {ticket.case_no}")
    if ticket.state == "waiting":
        raise Conflict(f"ticket {ticket_label(ticket)} has not been called yet")


def stamped_ms(start, end):
    """Milliseconds between two stored instants: a time the day counts keep is what anyone
    reading the ticket's stamps finds (``day_counts``)."""
    return to_millis(end) - to_millis(start)


def is_first_call(ticket):
    """A ticket's first call (not one after a transfer): the one its wait is measured to."""
    return ticket.transfers == 0


def waited_ms(ticket):
    """The wait: from issue to the first call."""
    return stamped_ms(ticket.issued_at, ticket.called_at)


def served_ms(ticket):
    """The service: from the start, or the call if nobody pressed start, to the finish."""
    return stamped_ms(ticket.started_at or ticket.called_at, ticket.finished_at)
