"""The simulator's ground truth: every ticket, case, payment and complaint it made, and the
figures they add up to by the definitions of the hall (GLOSSARY: on-time rate = decided
within the limit ÷ decided; satisfaction rate = good evaluations ÷ all, the bottom two of
five levels bad). Each figure is computed here from the simulator's own records, never
read back from the platform.

Instants are the platform's stamps from its answers (the simulator moves the platform clock
to each simulated minute, and the platform stamps a moment later): the ledger counts and
sums them itself. A wait is the milliseconds between a ticket's stamps (issue, first call),
as the platform defines it (GET /api/v1/queue/stats); the mean and the 90th percentile by
nearest rank are computed here from that definition, so they are expected exactly."""

import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time

from sim.workdays import SHANGHAI

BAD_LEVELS = {1, 2}


def instant(text):
    return datetime.fromisoformat(text) if text else None


def millis(moment):
    return round(moment.timestamp() * 1000)


def mean(total, count, unit_ms):
    """``total`` ms ÷ ``count`` in ``unit_ms``, rounded to 0.1 (None for no count)."""
    return round(total / count / unit_ms, 1) if count else None


def nearest_rank(values, percent):
    """The ``percent``-th percentile by nearest rank: the ⌈percent·n/100⌉-th smallest value."""
    if not values:
        return None
    return sorted(values)[-(-percent * len(values) // 100) - 1]


def rate(part, whole):
    return round(part / whole, 4) if whole else None


@dataclass
class Ticket:
    ticket_id: str
    category: str
    day: str
    issued_at: datetime
    applicant: int
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: str | None = None  # served / no_show


@dataclass
class Case:
    case_no: str
    query_code: str
    item_code: str
    department: str
    limit_days: int
    applicant: int
    submitted_at: datetime
    accepted_at: datetime | None = None
    extension_days: int = 0
    deadline: datetime | None = None
    supplements_requested: list = field(default_factory=list)  # the requests' moments
    supplements_received: list = field(default_factory=list)
    refused_at_intake: bool = False
    decided_at: datetime | None = None
    outcome: str | None = None
    evaluation: int | None = None
    evaluated_at: datetime | None = None
    collected: bool = False
    record_status: str | None = None  # the accountability record the simulator saw and acted on


@dataclass
class Ledger:
    calendar: object
    tickets: dict = field(default_factory=dict)
    cases: dict = field(default_factory=dict)
    appointments: dict = field(default_factory=dict)  # code → (category, kept)
    payments: list = field(default_factory=list)  # (hall day, department, item, fen)
    complaints: dict = field(default_factory=dict)  # complaint_no → (category, channel, status)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- recording ----------------------------------------------------------------------
    def ticket(self, answer, applicant):
        with self.lock:
            self.tickets[answer["ticket_id"]] = Ticket(
                answer["ticket_id"],
                answer["category"],
                answer["ticket_id"][:8],
                instant(answer["issued_at"]),
                applicant,
            )

    def ticket_moved(self, answer, outcome=None):
        ticket = self.tickets[answer["ticket_id"]]
        ticket.called_at = ticket.called_at or instant(answer["called_at"])
        ticket.started_at = instant(answer.get("started_at")) or ticket.started_at
        ticket.finished_at = instant(answer.get("finished_at")) or ticket.finished_at
        ticket.outcome = outcome or ticket.outcome

    def case(self, receipt, item, applicant, submitted_at):
        with self.lock:
            self.cases[receipt["case_no"]] = Case(
                receipt["case_no"],
                receipt["query_code"],
                item.code,
                item.department,
                item.limit_days,
                applicant,
                submitted_at,
            )
        return self.cases[receipt["case_no"]]

    def accepted(self, case, at):
        case.accepted_at = at
        case.deadline = self.calendar.deadline(at, case.limit_days + case.extension_days)

    def extended(self, case, days):
        """An approved extension (延期): the limit is longer by ``days`` working days."""
        case.extension_days += days
        case.deadline = self.calendar.deadline(case.accepted_at, case.limit_days + case.extension_days)

    def payment(self, case, fen, at):
        with self.lock:
            self.payments.append((hall_day(at).isoformat(), case.department, case.item_code, fen))

    # -- the expected figures -------------------------------------------------------------
    def on_time(self, case):
        """Decided before the deadline: the limit counted from acceptance, supplements asked at
        intake (before acceptance) stopping nothing, as the platform counts it
        (``services/common/deadlines.py``)."""
        return case.deadline is None or case.decided_at < case.deadline

    def case_figures(self, first_day, last_day):
        """``{"hall": …, "by_department": {…}, "by_item": {…}}`` as ``GET /api/v1/stats`` counts them."""

        def blank():
            return Counter(
                submitted=0,
                supplement_requests=0,
                supplements_received=0,
                decided=0,
                decided_on_time=0,
                evaluations=0,
                good_evaluations=0,
            )

        def within(moment):
            return moment is not None and first_day <= hall_day(moment) <= last_day

        def shaped(c):
            return dict(
                c,
                on_time_rate=rate(c["decided_on_time"], c["decided"]),
                satisfaction_rate=rate(c["good_evaluations"], c["evaluations"]),
            )

        hall, departments, items = blank(), defaultdict(blank), defaultdict(blank)
        for case in self.cases.values():
            groups = (hall, departments[case.department], items[case.item_code])
            for group in groups:
                if within(case.submitted_at):
                    group["submitted"] += 1
                    group["supplement_requests"] += sum(map(within, case.supplements_requested))
                    group["supplements_received"] += sum(map(within, case.supplements_received))
                if within(case.decided_at) and case.accepted_at is not None:
                    group["decided"] += 1
                    group["decided_on_time"] += self.on_time(case)
                if within(case.evaluated_at):
                    group["evaluations"] += 1
                    group["good_evaluations"] += case.evaluation not in BAD_LEVELS
        return {
            "hall": shaped(hall),
            "by_department": {k: shaped(v) for k, v in departments.items()},
            "by_item": {k: shaped(v) for k, v in items.items()},
        }

    def queue_figures(self, day, appointment_no_shows):
        """The day's row per category as ``GET /api/v1/queue/stats`` gives it. Abandoned tickets
        were never called (a no-show was called and did not come); the simulated windows call
        everybody who waits before they close, so a day ends with none."""
        rows = {}
        for category in sorted({t.category for t in self.tickets.values() if t.day == day} | set(appointment_no_shows)):
            mine = [t for t in self.tickets.values() if t.day == day and t.category == category]
            called = [t for t in mine if t.called_at]
            served = [t for t in mine if t.outcome == "served"]
            waits = [millis(t.called_at) - millis(t.issued_at) for t in called]
            services = sum(millis(t.finished_at) - millis(t.started_at or t.called_at) for t in served)
            p90 = nearest_rank(waits, 90)
            rows[category] = {
                "issued": len(mine),
                "called": len(called),
                "served": len(served),
                "no_shows": sum(t.outcome == "no_show" for t in mine),
                "abandoned": sum(t.called_at is None for t in mine),
                "appointment_no_shows": appointment_no_shows.get(category, 0),
                "mean_wait_minutes": mean(sum(waits), len(called), 60000),
                "p90_wait_minutes": None if p90 is None else round(p90 / 60000, 1),
                "mean_service_minutes": mean(services, len(served), 60000),
            }
        return rows

    def period_waits(self, first_day, last_day):
        first, last = first_day.strftime("%Y%m%d"), last_day.strftime("%Y%m%d")
        called = [t for t in self.tickets.values() if t.called_at and first <= t.day <= last]
        waits = sum(millis(t.called_at) - millis(t.issued_at) for t in called)
        return {"called": len(called), "average_wait_seconds": mean(waits, len(called), 1000)}

    def level(self, case, moment):
        """The case's warning at ``moment`` (None, "yellow", "red") by the hall's rule: red from
        the deadline on while undecided; yellow before, from the start of the working day before
        the due day (from acceptance when the limit is at most one working day)."""
        if case.deadline is None or (case.decided_at is not None and case.decided_at <= moment):
            return None
        if moment >= case.deadline:
            return "red"
        limit = case.limit_days + case.extension_days
        yellow_from = (
            datetime.combine(self.calendar.add_workdays(hall_day(case.accepted_at), limit - 1), time(), tzinfo=SHANGHAI)
            if limit > 1
            else case.accepted_at
        )
        return "yellow" if moment >= yellow_from else None

    def warnings(self, moment):
        """``{case_no: level}`` of the simulation's cases at yellow or red at ``moment``."""
        levels = {no: self.level(c, moment) for no, c in self.cases.items()}
        return {no: level for no, level in levels.items() if level}

    def accountability(self):
        """The cases decided on or after their deadline (the simulation decides every accepted
        case it makes late; a late one only after its record is filed)."""
        return {c.case_no: c for c in self.cases.values() if c.decided_at is not None and not self.on_time(c)}

    def payment_figures(self, day):
        rows = defaultdict(lambda: {"paid_fen": 0, "paid_count": 0})
        for paid_day, department, item, fen in self.payments:
            if paid_day == day:
                rows[(department, item)]["paid_fen"] += fen
                rows[(department, item)]["paid_count"] += 1
        return {"paid_fen": sum(r["paid_fen"] for r in rows.values()), "items": dict(rows)}

    def complaint_figures(self):
        by = Counter()
        for category, channel, status in self.complaints.values():
            by[(category, channel, status)] += 1
        return by


def hall_day(moment):
    return moment.astimezone(SHANGHAI).date()
