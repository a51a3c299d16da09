"""Every view of a case's time limit agrees, over random histories and calendars.

A history is a case's life: supplements asked for and received before acceptance, the
acceptance, supplements and special procedures (特别程序) after it (the last one perhaps not
over) and approved extensions,
at random times around weekends, statutory holidays, make-up working days (调休), year ends
and the hall's own closures and extra working days. For each one:

- intake's deadline (``timeline.derive`` on the case's steps), supervision's standing
  (``facts_of`` a case watch, as the monitor stores it) and, where the flow can give one,
  the reviewer's task due date (the promised item's BPMN run by the approval engine) are the
  same instant;
- that instant is the one a day-by-day count of the hall's rule gives (an oracle written
  apart from ``services.common.deadlines``);
- following the supervision scheduler's looks, the case turns yellow at the start of the
  first day after which at most one counted working day is left, red at the midnight after
  the due day, and its accountability record counts one working day overdue on the first
  working day after the due day.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import partial
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from services.approval import bpmn_engine, workday_functions
from services.approval.sandbox import SandboxScriptEngine
from services.common import deadlines
from services.common.fields import to_millis
from services.common.time import set_clock_offset
from services.common.workdays import SHANGHAI, WorkdayCalendar, shanghai_day
from services.intake import timeline
from services.intake.models import Step
from services.monitor import models as monitor_models
from services.monitor.supervision_rules import facts_of

PROMISED_ITEM = Path(__file__).resolve().parents[3] / "bpmn" / "promised_item.bpmn"
DIAGRAM = bpmn_engine.parse_diagram(PROMISED_ITEM.read_bytes(), PROMISED_ITEM.name)
CASE_NO = "20261201000001"

# Days around which the calendar is irregular: year ends (2026 → 2027 is provisional),
# Spring Festival and National Day with their make-up working days, May Day.
TRICKY_DAYS = [
    date(2024, 12, 20),
    date(2025, 12, 20),
    date(2026, 12, 18),
    date(2025, 1, 22),
    date(2026, 2, 10),
    date(2025, 9, 24),
    date(2026, 9, 25),
    date(2025, 4, 28),
    date(2026, 4, 28),
    date(2026, 12, 9),
]


@dataclass(frozen=True)
class History:
    limit: int
    submitted_at: datetime
    pauses_before: tuple  # (requested, received) before acceptance
    accepted_at: datetime
    pauses_after: tuple  # (stopped, restarted or None, cause) after acceptance; only the last may be open
    extensions: tuple  # (approved_at, days)

    def pauses(self, cause):
        return (
            self.pauses_before + tuple((r, x) for r, x, c in self.pauses_after if c == cause)
            if cause == deadlines.SUPPLEMENTING
            else tuple((r, x) for r, x, c in self.pauses_after if c == cause)
        )

    @property
    def requested(self):
        return tuple(r for r, _ in self.pauses(deadlines.SUPPLEMENTING))

    @property
    def received(self):
        return tuple(x for _, x in self.pauses(deadlines.SUPPLEMENTING) if x is not None)

    @property
    def suspended(self):
        return tuple(r for r, _ in self.pauses(deadlines.SUSPENDED))

    @property
    def resumed(self):
        return tuple(x for _, x in self.pauses(deadlines.SUSPENDED) if x is not None)

    @property
    def last_event(self):
        return max([self.accepted_at, *self.requested, *self.received, *(at for at, _ in self.extensions)])


gaps = st.integers(min_value=1, max_value=6 * 24 * 60).map(lambda minutes: timedelta(minutes=minutes))


@st.composite
def histories(draw):
    day = draw(
        st.one_of(
            st.sampled_from(TRICKY_DAYS).flatmap(lambda d: st.integers(0, 20).map(lambda n: d + timedelta(days=n))),
            st.dates(date(2024, 1, 1), date(2026, 12, 31)),
        )
    )
    cursor = submitted_at = datetime.combine(day, time(8), SHANGHAI) + draw(gaps) / 10
    pauses_before = []
    for _ in range(draw(st.integers(0, 2))):
        requested = cursor + draw(gaps)
        cursor = requested + draw(gaps)
        pauses_before.append((requested, cursor))
    accepted_at = cursor = cursor + draw(gaps)
    pauses_after = []
    count = draw(st.integers(0, 3))
    for n in range(count):
        requested = cursor + draw(gaps)
        answered = n < count - 1 or draw(st.booleans())
        cursor = requested + draw(gaps) if answered else requested
        cause = draw(st.sampled_from([deadlines.SUPPLEMENTING, deadlines.SUSPENDED]))
        pauses_after.append((requested, cursor if answered else None, cause))
    extensions, approved_at = [], accepted_at
    for _ in range(draw(st.integers(0, 2))):
        approved_at += draw(gaps)
        extensions.append((approved_at, draw(st.integers(1, 10))))
    seconds = lambda moment: moment.replace(microsecond=0)  # noqa: E731 -- the monitor stores milliseconds
    return History(
        limit=draw(st.one_of(st.sampled_from([0, 1, 3, 5, 10, 20]), st.integers(0, 30))),
        submitted_at=seconds(submitted_at),
        pauses_before=tuple((seconds(r), seconds(x)) for r, x in pauses_before),
        accepted_at=seconds(accepted_at),
        pauses_after=tuple((seconds(r), x and seconds(x), cause) for r, x, cause in pauses_after),
        extensions=tuple((seconds(at), days) for at, days in extensions),
    )


@st.composite
def calendars(draw, around):
    """The official calendar with a few of the hall's closures and extra working days."""
    offsets = st.integers(0, 40).map(lambda n: shanghai_day(around) + timedelta(days=n))
    closures = draw(st.sets(offsets, max_size=2))
    extra = draw(st.sets(offsets, max_size=2)) - closures
    return WorkdayCalendar(closures, extra)


# -- the views ----------------------------------------------------------------------------


def intake_deadline(history, calendar):
    steps = [
        Step(key="submitted", kind="submitted", at=history.submitted_at),
        Step(key="accepted", kind="accepted", at=history.accepted_at),
    ]
    for n, (requested, received) in enumerate(history.pauses(deadlines.SUSPENDED)):
        steps.append(Step(key=f"suspended:{n}", kind="suspended", at=requested, detail={"procedure": "hearing"}))
        if received is not None:
            steps.append(Step(key=f"resumed:{n}", kind="resumed", at=received))
    for n, (requested, received) in enumerate(history.pauses(deadlines.SUPPLEMENTING)):
        steps.append(
            Step(
                key=f"requested:{n}",
                kind="supplement_requested",
                at=requested,
                detail={"missing_materials": ["id_card"]},
            )
        )
        if received is not None:
            steps.append(Step(key=f"received:{n}", kind="supplement_received", at=received))
    for n, (approved_at, days) in enumerate(history.extensions):
        steps.append(
            timeline.fact_from_event(
                "extended",
                {"extension_id": str(n), "days": days, "reason": "核查", "approved_at": approved_at.isoformat()},
            )
        )
    steps.sort(key=lambda s: s.at)
    return timeline.derive(CASE_NO, "HR-002", steps, history.limit, calendar)["deadline"]


def monitor_facts(history):
    watch = monitor_models.CaseWatch(
        case_no=CASE_NO,
        promised_limit_days=history.limit,
        legal_limit_days=history.limit + 5,
        accepted_at=history.accepted_at,
        supplement_requested={str(to_millis(at)): True for at in history.requested},
        supplement_received={str(to_millis(at)): True for at in history.received},
        suspended={str(to_millis(at)): {"procedure": "hearing"} for at in history.suspended},
        resumed={str(to_millis(at)): {"by": "nr_chief"} for at in history.resumed},
        extensions={
            str(n): {"days": days, "approved_at": at.isoformat()} for n, (at, days) in enumerate(history.extensions)
        },
    )
    return facts_of(watch.to_mongo().to_dict())


def approval_due(history, calendar):
    """The reviewer's task due date, from the promised item's flow run on the platform clock."""
    engine = SandboxScriptEngine(
        {name: partial(function, calendar=calendar) for name, function in workday_functions.FUNCTIONS.items()}
    )
    workflow = bpmn_engine.start(
        DIAGRAM,
        {
            "case_no": CASE_NO,
            "promised_limit_days": history.limit,
            "legal_limit_days": history.limit + 5,
            "on_the_spot_by": None,
        },
        script_engine=engine,
    )
    try:
        for requested, received in history.pauses_before:
            complete_only_task(workflow, requested, {"intake_decision": "supplement", "missing_materials": "身份证"})
            bpmn_engine.deliver_message(workflow, "supplement_received", {"materials": ["id_card"]})
        complete_only_task(workflow, history.accepted_at, {"intake_decision": "accept"})
    finally:
        set_clock_offset(timedelta(0))
    [review] = bpmn_engine.open_user_tasks(workflow)
    return datetime.fromisoformat(review["due"])


def complete_only_task(workflow, moment, data):
    set_clock_offset(moment - datetime.now(timezone.utc))
    [task] = bpmn_engine.open_user_tasks(workflow)
    bpmn_engine.complete_task(workflow, task["id"], data)


# -- the oracle: the hall's rule, counted day by day ---------------------------------------------


def oracle(history, calendar):
    """``(due_day, counted, restarted_at)``: the last day of the limit, the days that count
    towards it after the clock last (re)started and when that was; None while it is stopped."""
    total = history.limit + sum(days for _, days in history.extensions)
    start = shanghai_day(history.accepted_at)

    def due_day(stops):
        def counts(day):  # a working day on which the clock runs (the day of a request counts)
            return calendar.is_workday(day) and not any(r < day <= x for r, x in stops)

        day, counted = start, []
        while len(counted) < total:
            day += timedelta(days=1)
            if counts(day):
                counted.append(day)
        last_receipt = max([x for _, x in stops], default=start)
        if last_receipt > day:  # asked for on the due day: the limit ends with the receipt's day
            return last_receipt, []
        return day, [d for d in counted if d > last_receipt]

    stops, restarted_at = [], history.accepted_at
    for requested, received, _ in history.pauses_after:
        if shanghai_day(requested) > due_day(stops)[0]:
            break  # asked for once the limit had run out: it stops nothing, nor do later ones
        if received is None:
            return None
        stops.append((shanghai_day(requested), shanghai_day(received)))
        restarted_at = received
    return (*due_day(stops), restarted_at)


def midnight_after(day):
    return datetime.combine(day + timedelta(days=1), time(), SHANGHAI)


# -- the properties -------------------------------------------------------------------------------

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.data())
def test_intake_supervision_and_the_day_by_day_rule_give_one_deadline(data):
    history = data.draw(histories())
    calendar = data.draw(calendars(history.submitted_at))
    running = oracle(history, calendar)
    expected = midnight_after(running[0]) if running else None
    assert intake_deadline(history, calendar) == expected
    standing = deadlines.standing(monitor_facts(history), calendar, history.last_event)
    assert standing.deadline == expected
    open_cause = history.pauses_after[-1][2] if history.pauses_after else None
    assert standing.status == (deadlines.ACCEPTED if running else open_cause)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_reviewers_task_is_due_when_the_case_is(data):
    history = data.draw(
        histories().map(lambda h: History(h.limit, h.submitted_at, h.pauses_before, h.accepted_at, (), ()))
    )
    calendar = data.draw(calendars(history.submitted_at))
    due = approval_due(history, calendar)
    assert (
        due
        == intake_deadline(history, calendar)
        == deadlines.standing(monitor_facts(history), calendar, history.accepted_at).deadline
    )


@SETTINGS
@given(st.data())
def test_warnings_and_the_record_come_on_exactly_the_right_day(data):
    history = data.draw(histories())
    calendar = data.draw(calendars(history.submitted_at))
    running = oracle(history, calendar)
    assume(running is not None)  # a stopped clock has no warnings: the first property covers it
    due_day, counted, restart = running
    deadline = midnight_after(due_day)
    # Yellow from the start of the first day after which at most one counted working day is left.
    day = shanghai_day(restart)
    while sum(d > day for d in counted) > 1:
        day += timedelta(days=1)
    yellow_from = max(restart, datetime.combine(day, time(), SHANGHAI))

    facts, now, looks = monitor_facts(history), history.last_event, []
    while now is not None:  # the scheduler's looks: each standing says when to look next
        standing = deadlines.standing(facts, calendar, now)
        looks.append((now, standing.level))
        now = standing.next_check
    first = (
        deadlines.RED
        if history.last_event >= deadline
        else deadlines.YELLOW
        if history.last_event >= yellow_from
        else deadlines.GREEN
    )
    assert looks == [(history.last_event, first)] + [
        (starts, level)
        for starts, level in ((yellow_from, deadlines.YELLOW), (deadline, deadlines.RED))
        if starts > history.last_event
    ]

    # The record is filed at the first look at red; it counts working days after the due day.
    first_workday_after = calendar.next_workday(due_day)
    assert deadlines.workdays_overdue(calendar, deadline, deadline - timedelta(seconds=1)) == 0
    assert deadlines.workdays_overdue(calendar, deadline, datetime.combine(first_workday_after, time(9), SHANGHAI)) == 1
    assert (
        deadlines.workdays_overdue(
            calendar, deadline, datetime.combine(calendar.next_workday(first_workday_after), time(9), SHANGHAI)
        )
        == 2
    )
