"""Where a case stands against its time limit (限时办结), from the facts the monitor has
heard about it, whatever order they arrived in.

The limit is the item's promised limit (the legal one when none is promised), counted in
working days from the day of acceptance (the day itself does not count). Supplements
(补正) stop the clock: each request paired with the receipt that followed it pushes the
deadline by the working days in between, and while a request is unanswered the case has
no running clock at all. An approved extension adds its days. A case is yellow on the
days after which at most ``yellow_workdays`` working days are left (with the default 1:
from the day before the due day, as the hall's prompt one working day ahead), red once
its deadline has passed.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.common.fields import from_millis
from services.common.workdays import CalendarRangeError, WorkdayCalendar, shanghai_day

SUBMITTED, ACCEPTED, SUPPLEMENTING, DECIDED, REFUSED = "submitted", "accepted", "supplementing", "decided", "refused"
GREEN, YELLOW, RED = "green", "yellow", "red"


@dataclass(frozen=True)
class Facts:
    """What the events told about one case (instants aware, supplements as epoch ms)."""

    promised_limit_days: int | None = None
    legal_limit_days: int | None = None
    accepted_at: datetime | None = None
    supplement_requested: tuple = ()
    supplement_received: tuple = ()
    extension_days: int = 0
    decided_at: datetime | None = None
    refused_at: datetime | None = None


@dataclass(frozen=True)
class Standing:
    status: str
    deadline: datetime | None = None
    level: str | None = None
    next_check: datetime | None = None
    on_time: bool | None = None
    paused_workdays: int = 0
    problem: str | None = None


def limit_days(facts):
    if facts.promised_limit_days is not None:
        return facts.promised_limit_days
    return facts.legal_limit_days


def supplement_pauses(requested, received):
    """``(closed, open_since)``: pairs (request, receipt) in ms, and an unanswered request."""
    receipts = sorted(received)
    closed, open_since = [], None
    for request in sorted(requested):
        receipt = next((r for r in receipts if r >= request), None)
        if receipt is None:
            open_since = open_since or request
            continue
        receipts.remove(receipt)
        closed.append((request, receipt))
    return closed, open_since


def evaluate(facts: Facts, calendar: WorkdayCalendar, now: datetime, yellow_workdays: int = 1) -> Standing:
    if facts.decided_at is None and facts.refused_at is not None:
        return Standing(REFUSED)
    limit = limit_days(facts)
    if facts.accepted_at is None or limit is None:
        return Standing(DECIDED if facts.decided_at else SUBMITTED)
    closed, open_since = supplement_pauses(facts.supplement_requested, facts.supplement_received)
    try:
        paused = sum(calendar.workdays_between(from_millis(a), from_millis(b)) for a, b in closed)
        total = limit + facts.extension_days + paused
        deadline = calendar.deadline_instant(facts.accepted_at, total)
        # Yellow from the start of the first day after which at most `yellow_workdays` are left.
        yellow_from = (calendar.deadline_instant(facts.accepted_at, total - yellow_workdays - 1)
                       if total > yellow_workdays else facts.accepted_at)
    except CalendarRangeError as exc:
        return Standing(ACCEPTED, problem=str(exc))
    if facts.decided_at is not None:
        on_time = facts.decided_at < deadline
        return Standing(DECIDED, deadline, GREEN if on_time else RED, on_time=on_time, paused_workdays=paused)
    if open_since is not None:
        return Standing(SUPPLEMENTING, deadline, paused_workdays=paused)
    if now >= deadline:
        return Standing(ACCEPTED, deadline, RED, paused_workdays=paused)
    if now >= yellow_from:
        return Standing(ACCEPTED, deadline, YELLOW, next_check=deadline, paused_workdays=paused)
    return Standing(ACCEPTED, deadline, GREEN, next_check=yellow_from, paused_workdays=paused)


def workdays_overdue(calendar, deadline, now):
    """Working days after the due day up to and including ``now``'s day (0 on time)."""
    if now < deadline:
        return 0
    due_day = shanghai_day(deadline - timedelta(microseconds=1))
    try:
        return calendar.workdays_between(due_day, now)
    except CalendarRangeError:
        return (shanghai_day(now) - due_day).days
