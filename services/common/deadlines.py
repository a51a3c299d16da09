"""A case's time limit (限时办结): its deadline and its standing, from the facts of its life.

The hall has one rule, and this module is the only place that applies it. Intake (the
applicant's and the staff's views of a case), approval (the due date of a flow's tasks,
through ``workdays_deadline`` in its expressions) and supervision (warnings, accountability
records, days overdue, the statistics' on-time rate) all call it on the same facts, which
they hear from the same events (each service keeps its own copy, none reads another's):

- the limit is the item's promised limit (the legal one when none is promised) plus the
  working days of approved extensions (延期);
- the clock starts at acceptance; the day of acceptance does not count;
- a supplement request (补正告知) before acceptance does not touch the clock (it has not
  started: the application is not complete yet);
- one made after acceptance stops it (the day of the request is used up); it restarts the
  working day after the supplements are complete; while it is stopped the case has no
  deadline; one made once the limit has run out stops nothing (the case is already late);
- a special procedure (特别程序: expert review 专家评审, hearing 听证; the 行政许可法, art. 45,
  does not count their time) stops it the same way, from the day it starts to the day it
  ends, where the item allows it; the clock runs only when neither holds it;
- the limit runs out at the end of its last working day: the deadline is the Shanghai
  midnight after it, and a case decided strictly before it is on time;
- yellow from the start of the working day after which at most ``yellow_workdays`` working
  days are left (with 1: from the working day before the due day; never before the clock
  (re)started), red from the deadline on.
"""

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta, timezone

from services.common.workdays import SHANGHAI, CalendarRangeError, WorkdayCalendar, shanghai_day

SUBMITTED, ACCEPTED, DECIDED, REFUSED = "submitted", "accepted", "decided", "refused"
SUPPLEMENTING, SUSPENDED = "supplementing", "suspended"  # the clock is stopped
GREEN, YELLOW, RED = "green", "yellow", "red"
SPECIAL_PROCEDURES = ("expert_review", "hearing")
_STOP, _RESTART = 0, 1  # a stop and a restart at the same instant: the stop first


@dataclass(frozen=True)
class CaseFacts:
    """What is known of one case; every instant timezone-aware."""

    limit_days: int | None = None
    accepted_at: datetime | None = None
    supplement_requested: tuple[datetime, ...] = ()
    supplement_received: tuple[datetime, ...] = ()
    extension_days: int = 0
    suspended: tuple[datetime, ...] = ()  # special procedures' starts
    resumed: tuple[datetime, ...] = ()  # and ends
    decided_at: datetime | None = None
    refused_at: datetime | None = None


@dataclass(frozen=True)
class Standing:
    status: str
    deadline: datetime | None = None
    level: str | None = None
    next_check: datetime | None = None
    on_time: bool | None = None
    problem: str | None = None


def limit_days(promised_limit_days, legal_limit_days):
    """The limit a case counts against: the promised one, else the legal one."""
    return legal_limit_days if promised_limit_days is None else promised_limit_days


def running_clock(facts: CaseFacts, calendar: WorkdayCalendar):
    """``(start, working days left after start's day)``, or None while the clock is stopped
    (or has not started). Raises ``CalendarRangeError`` past the calendar's years."""
    start, left, holding = _clock(facts, calendar)
    return None if holding or start is None else (start, left)


def _clock(facts, calendar):
    """``(start, left, what holds the clock now)``; start is None before acceptance."""
    if facts.accepted_at is None or facts.limit_days is None:
        return None, None, frozenset()
    start, left, holding = facts.accepted_at, facts.limit_days + facts.extension_days, set()
    moments = sorted(
        (at, kind, cause)
        for cause, kind, instants in (
            (SUPPLEMENTING, _STOP, facts.supplement_requested),
            (SUPPLEMENTING, _RESTART, facts.supplement_received),
            (SUSPENDED, _STOP, facts.suspended),
            (SUSPENDED, _RESTART, facts.resumed),
        )
        for at in instants
        if at >= facts.accepted_at
    )
    for at, kind, cause in moments:
        if kind == _STOP and not holding:
            # A stop once the limit has run out stops nothing: the case is already late.
            if at >= calendar.deadline_instant(start, left):
                continue
            left -= calendar.workdays_between(start, at)
            holding.add(cause)
        elif kind == _STOP:
            holding.add(cause)
        elif cause in holding:
            holding.discard(cause)
            start = at if not holding else start
    return start, left, frozenset(holding)


def deadline(facts: CaseFacts, calendar: WorkdayCalendar):
    """The instant the limit runs out (UTC), or None while the clock is not running."""
    clock = running_clock(facts, calendar)
    return calendar.deadline_instant(*clock) if clock else None


def standing(facts: CaseFacts, calendar: WorkdayCalendar, now: datetime, yellow_workdays: int = 1) -> Standing:
    """Where the case stands at ``now``; ``next_check`` is when that changes by itself."""
    if facts.decided_at is None and facts.refused_at is not None:
        return Standing(REFUSED)
    if facts.accepted_at is None or facts.limit_days is None:
        return Standing(DECIDED if facts.decided_at else SUBMITTED)
    try:
        if facts.decided_at is not None:
            # A decision ends a stop too: the days used before it are what counts.
            ended = replace(
                facts,
                supplement_received=(*facts.supplement_received, facts.decided_at),
                resumed=(*facts.resumed, facts.decided_at),
            )
            due = deadline(ended, calendar)
            return Standing(DECIDED, due, GREEN if facts.decided_at < due else RED, on_time=facts.decided_at < due)
        start, left, holding = _clock(facts, calendar)
        if holding:
            return Standing(SUSPENDED if SUSPENDED in holding else SUPPLEMENTING)
        due = calendar.deadline_instant(start, left)
        yellow_from = (
            _day_start(calendar.add_workdays(start, left - yellow_workdays)) if left > yellow_workdays else start
        )
    except CalendarRangeError as exc:
        return Standing(ACCEPTED, problem=str(exc))
    if now >= due:
        return Standing(ACCEPTED, due, RED)
    if now >= yellow_from:
        return Standing(ACCEPTED, due, YELLOW, next_check=due)
    return Standing(ACCEPTED, due, GREEN, next_check=yellow_from)


def _day_start(day):
    return datetime.combine(day, time(), SHANGHAI).astimezone(timezone.utc)


def workdays_overdue(calendar: WorkdayCalendar, due: datetime, now: datetime) -> int:
    """Working days after the due day up to and including ``now``'s day (0 on time)."""
    if due is None or now < due:
        return 0
    due_day = shanghai_day(due - timedelta(microseconds=1))
    try:
        return calendar.workdays_between(due_day, now)
    except CalendarRangeError:
        return (shanghai_day(now) - due_day).days
