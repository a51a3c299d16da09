"""When a case's time limit runs out (限时办结), as intake shows it.

The clock starts when the window accepts the case (the day of acceptance does not count),
stops on the day a supplement request (补正告知) is made after acceptance, and restarts the
next working day after the applicant has supplied everything asked. Working days are the
hall's calendar (``services.common.workdays``).
"""
from services.common import workdays


def deadline(limit_days, accepted_at, pauses, calendar=workdays):
    """The instant the limit runs out, or None while the clock is stopped.

    ``pauses`` are ``(stopped_at, restarted_at or None)`` pairs; those before acceptance
    do not touch the clock (it had not started). Raises ``workdays.CalendarRangeError``
    when the limit runs into a year whose official calendar is not published.
    """
    start, remaining = accepted_at, limit_days
    for stopped_at, restarted_at in sorted((p for p in pauses if p[0] >= accepted_at), key=lambda p: p[0]):
        remaining -= calendar.workdays_between(start, stopped_at)
        if restarted_at is None:
            return None
        start = max(restarted_at, stopped_at)
    return calendar.deadline_instant(start, max(remaining, 0))
