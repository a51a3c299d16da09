"""The queue's Prometheus measures, per category: waiting and service times, tickets left
waiting at the day's end (abandoned), no-shows of tickets and of appointments."""

from prometheus_client import Counter, Histogram

MINUTES = tuple(60 * m for m in (1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180))

WAIT_SECONDS = Histogram(
    "hall_queue_wait_seconds", "From issuing a ticket to its first call.", ["category"], buckets=MINUTES
)
SERVICE_SECONDS = Histogram(
    "hall_queue_service_seconds",
    "From a ticket's call (or service start) to its finish.",
    ["category"],
    buckets=MINUTES,
)
TICKETS_ISSUED = Counter("hall_queue_tickets_issued_total", "Tickets issued.", ["category", "priority"])
ABANDONED = Counter(
    "hall_queue_abandoned_total",
    "Tickets never called in the end: left waiting at the day's end (no-shows are counted apart).",
    ["category"],
)
NO_SHOWS = Counter(
    "hall_queue_no_shows_total", "No-shows: tickets called in vain, appointments not kept.", ["category", "kind"]
)
