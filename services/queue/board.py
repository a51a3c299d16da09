"""What the hall's screens and the supervisors see: recent calls, people waiting per
category, window states, the day's measures, and the hall's waits over a period."""
from services.common.db import count_of
from services.queue import models
from services.queue.tickets import call_view

RECENT_CALLS = 10
CALLS_PER_PAGE = 50


def recent_calls(limit=RECENT_CALLS):
    """The newest calls first (each ticket's newest: a recall replaces its call)."""
    return [call_view(t) for t in models.Ticket.objects(call_seq__gt=0).order_by("-call_seq").limit(limit)]


def calls_after(seq, limit=CALLS_PER_PAGE):
    """Calls with a sequence number above ``seq``, oldest first (the live stream resumes here)."""
    return [call_view(t) for t in models.Ticket.objects(call_seq__gt=seq).order_by("call_seq").limit(limit)]


def waiting_counts():
    """People waiting per category: one ``count`` per category (a handful), not a ``$group``
    aggregation, which the embedded store runs in Python (see ``count_of``)."""
    return {c.code: count_of(models.WaitingTicket.objects(category=c.code))
            for c in models.Category.objects.only("code")}


def window_states():
    windows = list(models.Window.objects.order_by("number"))
    current = {t.ticket_id: t for t in models.Ticket.objects(
        ticket_id__in=[w.current_ticket for w in windows if w.current_ticket])}
    states = []
    for window in windows:
        ticket = current.get(window.current_ticket)
        state = "closed" if not window.open else ticket.state if ticket else "idle"
        states.append({"number": window.number, "open": window.open, "categories": window.categories,
                       "state": state, "ticket": ticket.number if ticket else None})
    return states


def board():
    calls = recent_calls()
    return {"calls": calls, "waiting": waiting_counts(), "windows": window_states(),
            "last_seq": calls[0]["seq"] if calls else 0}


def day_stats(day):
    """The day's measures per category: counts and mean waiting / service minutes."""
    waiting = waiting_counts()
    by_category = {s.category: s for s in models.DailyStats.objects(day=day)}
    no_show_appointments = {}
    iso_day = f"{day[:4]}-{day[4:6]}-{day[6:]}"
    for appointment in models.Appointment.objects(day=iso_day, state="no_show").only("category"):
        no_show_appointments[appointment.category] = no_show_appointments.get(appointment.category, 0) + 1
    rows = []
    for code in sorted(set(waiting) | set(by_category)):
        s = by_category.get(code) or models.DailyStats(day=day, category=code)
        rows.append({
            "category": code, "issued": s.issued, "called": s.called, "served": s.served,
            "no_shows": s.no_shows, "abandoned": s.abandoned, "waiting": waiting.get(code, 0),
            "appointment_no_shows": no_show_appointments.get(code, 0),
            "mean_wait_minutes": round(s.wait_ms / s.called / 60000, 1) if s.called else None,
            "mean_service_minutes": round(s.service_ms / s.served / 60000, 1) if s.served else None,
        })
    return {"day": day, "categories": rows}


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
