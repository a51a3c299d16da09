"""What expressions may call to count working days from now (the platform clock), on the
hall's calendar (``HALL_CALENDAR_FILE``: the one intake and supervision count on) and by the
hall's one rule (``services.common.deadlines``: a promised item's tasks are due when the case is).

Module-level functions, so that the sandbox's worker processes import the same ones by name."""

from functools import cache

from services.common import deadlines
from services.common.config import load_settings
from services.common.time import utcnow
from services.common.workdays import load_hall_calendar

# No legal or promised limit runs for years; a longer count would only keep the service busy.
MAX_WORKDAYS = 750


@cache
def hall_calendar():
    return load_hall_calendar(load_settings()["HALL_CALENDAR_FILE"])


def workdays_deadline(n, calendar=None):
    """The deadline of a limit of n working days accepted now (ISO, usable as a timer's
    timeDate or a task's dueDate)."""
    facts = deadlines.CaseFacts(limit_days=_days(n), accepted_at=utcnow())
    return deadlines.deadline(facts, calendar or hall_calendar()).isoformat()


def add_workdays(n, calendar=None):
    """The last day of a limit of n working days (ISO date)."""
    return (calendar or hall_calendar()).add_workdays(utcnow(), _days(n)).isoformat()


def _days(n):
    """``n`` as a whole number of days; compared before `int` turns a `Decimal('1e1000000')`
    into a million digits."""
    if not -MAX_WORKDAYS <= (int(n) if isinstance(n, str) else n) <= MAX_WORKDAYS:
        raise ValueError(f"a limit of {n} working days is longer than {MAX_WORKDAYS}")
    return int(n)


FUNCTIONS = {"workdays_deadline": workdays_deadline, "add_workdays": add_workdays}
