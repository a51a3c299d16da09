"""What expressions may call to count working days from now (the platform clock).

Module-level functions, so that the sandbox's worker processes import the same ones by name."""
from services.common.time import utcnow
from services.common.workdays import WorkdayCalendar

_CALENDAR = WorkdayCalendar()
# No legal or promised limit runs for years; a longer count would only keep the service busy.
MAX_WORKDAYS = 750


def workdays_deadline(n):
    """The instant a limit of n working days runs out (ISO, usable as a timer's timeDate or a
    task's dueDate)."""
    return _CALENDAR.deadline_instant(utcnow(), _days(n)).isoformat()


def add_workdays(n):
    """The last day of a limit of n working days (ISO date)."""
    return _CALENDAR.add_workdays(utcnow(), _days(n)).isoformat()


def _days(n):
    """``n`` as a whole number of days; compared before `int` turns a `Decimal('1e1000000')`
    into a million digits."""
    if not -MAX_WORKDAYS <= (int(n) if isinstance(n, str) else n) <= MAX_WORKDAYS:
        raise ValueError(f"a limit of {n} working days is longer than {MAX_WORKDAYS}")
    return int(n)


FUNCTIONS = {"workdays_deadline": workdays_deadline, "add_workdays": add_workdays}
