"""What the hall's screens and the supervisors see: today's calls, people waiting per
category, window states, the day's measures, and the hall's waits over a period.

Ticket numbers start again each day, so the board shows the calls of the hall's day only
(Asia/Shanghai, by the platform clock) and names that day: yesterday's A001 never stands beside
today's."""

from services.common.db import count_of
from services.common.sequences import hall_day
from services.queue import day_counts, models
from services.queue.ticket_rules import first_call_of_day, iso_day
from services.queue.tickets import call_view, ticket_view

RECENT_CALLS = 10
CALLS_PER_PAGE = 50


def recent_calls(now, limit=RECENT_CALLS):
    """Today's newest calls first (each ticket's newest: a recall replaces its call)."""
    first = first_call_of_day(now)
    return [call_view(t) for t in models.Ticket.objects(call_seq__gte=first).order_by("-call_seq").limit(limit)]


def calls_after(seq, now, limit=CALLS_PER_PAGE):
    """Today's calls with a sequence number above ``seq``, oldest first (the live stream
    resumes here)."""
    first = max(seq + 1, first_call_of_day(now))
    return [call_view(t) for t in models.Ticket.objects(call_seq__gte=first).order_by("call_seq").limit(limit)]


def waiting_counts():
    """People waiting per category: one ``count`` per category (a handful), not a ``$group``
    aggregation, which the embedded store runs in Python (see ``count_of``)."""
    return {
        c.code: count_of(models.WaitingTicket.objects(category=c.code)) for c in models.Category.objects.only("code")
    }


def window_states():
    windows = list(models.Window.objects.order_by("number"))
    current = {
        t.ticket_id: t
        for t in models.Ticket.objects(ticket_id__in=[w.current_ticket for w in windows if w.current_ticket])
    }
    states = []
    for window in windows:
        ticket = current.get(window.current_ticket)
        state = "closed" if not window.open else ticket.state if ticket else "idle"
        states.append(
            {
                "number": window.number,
                "open": window.open,
                "categories": window.categories,
                "state": state,
                "ticket": ticket.number if ticket else None,
            }
        )
    return states


def board(now):
    calls = recent_calls(now)
    return {
        "day": iso_day(hall_day(now)),
        "calls": calls,
        "waiting": waiting_counts(),
        "windows": window_states(),
        "last_seq": calls[0]["seq"] if calls else 0,
    }


SUMS = ("issued", "called", "served", "no_shows", "abandoned", "wait_ms", "waits_ms", "service_ms")


def day_stats(day):
    """The day's measures per category (``day`` is ``YYYYMMDD``): the counts, which add up,
    and the waiting and service minutes (see ``day_counts``)."""
    sums = {s.category: {name: getattr(s, name) for name in SUMS} for s in models.DailyStats.objects(day=day)}
    open_tickets = day_counts.open_by_category(  # both collections are small: open tickets only
        [w.ticket_id for w in models.WaitingTicket.objects.only("ticket_id")],
        [w.current_ticket for w in models.Window.objects.only("current_ticket")],
        day,
    )
    no_show_appointments = {}
    for appointment in models.Appointment.objects(day=iso_day(day), state="no_show").only("category"):
        no_show_appointments[appointment.category] = no_show_appointments.get(appointment.category, 0) + 1
    codes = {c.code for c in models.Category.objects.only("code")} | set(sums) | set(open_tickets)
    rows = [
        dict(
            day_counts.day_row(code, sums.get(code, {}), *open_tickets.get(code, (0, 0))),
            appointment_no_shows=no_show_appointments.get(code, 0),
        )
        for code in sorted(codes)
    ]
    return {"day": iso_day(day), "categories": rows}


def day_tickets(day):
    """The day's tickets (``day`` is ``YYYYMMDD``) with their stamps, by issue time and number."""
    found = sorted(models.Ticket.objects(day=day), key=lambda t: (t.issued_at, t.number))
    return {"day": iso_day(day), "tickets": [ticket_view(t) for t in found]}


def period_waits(first_day, last_day):
    """The hall's first calls over a range of days (ISO dates, both included) and their
    average wait from issue to first call, from the day counts a call keeps anyway: the
    supervision's statistics take them from here, so a call stores nothing more for them.
    A ticket counts on the day it was issued (tickets are called the day they are issued)."""
    sums = models.DailyStats.objects(day__gte=first_day.replace("-", ""), day__lte=last_day.replace("-", ""))
    called = waited_ms = 0
    for day in sums.only("called", "wait_ms"):
        called, waited_ms = called + day.called, waited_ms + day.wait_ms
    return {"called": called, "average_wait_seconds": round(waited_ms / called / 1000, 1) if called else None}
