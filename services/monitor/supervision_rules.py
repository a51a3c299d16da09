"""The rules of electronic supervision (电子监察) over plain data: what a case's standing (the
hall's time-limit rule, ``services.common.deadlines``) changes in its watch — the yellow and
red warnings, the accountability record (问责) of an open red case — who may see and act on a
case, which extensions and special procedures a case may take, and how records move.
``supervision`` stores what they decide.

A watch here is the stored case as supervision sees it: a raw document (a mapping) on the
scheduler's path, the ``CaseWatch`` document (attributes) on the supervisors' requests.
"""

from dataclasses import dataclass
from datetime import datetime, timezone

from services.common import deadlines
from services.common.errors import Conflict, Forbidden, InvalidInput
from services.common.fields import from_millis, to_millis
from services.common.staff_roles import may_see

WARNING_LEVELS = (deadlines.YELLOW, deadlines.RED)
MAX_EXTENSION_DAYS = 60
# The states a record moves to, from the states it may be in.
RECORD_MOVES = {"acknowledged": ("open",), "closed": ("open", "acknowledged")}


def instant(value):
    """An aware datetime from an event's ISO 8601 text (naive text is taken as UTC)."""
    if value is None or isinstance(value, datetime):
        return value
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _read_instant(millis):
    return from_millis(millis) if millis is not None else None


def facts_of(watch):
    """The facts the hall's time-limit rule counts on, from the stored watch (a raw document)."""
    return deadlines.CaseFacts(
        limit_days=deadlines.limit_days(watch.get("promised_limit_days"), watch.get("legal_limit_days")),
        accepted_at=_read_instant(watch.get("accepted_at")),
        supplement_requested=tuple(from_millis(int(ms)) for ms in watch.get("supplement_requested") or {}),
        supplement_received=tuple(from_millis(int(ms)) for ms in watch.get("supplement_received") or {}),
        extension_days=sum(e["days"] for e in (watch.get("extensions") or {}).values()),
        suspended=tuple(from_millis(int(ms)) for ms in watch.get("suspended") or {}),
        resumed=tuple(from_millis(int(ms)) for ms in watch.get("resumed") or {}),
        decided_at=_read_instant(watch.get("decided_at")),
        refused_at=_read_instant(watch.get("refused_at")),
    )


@dataclass(frozen=True)
class Assessment:
    """What one look at a case (its ``standing`` now, against its stored watch) changes."""

    derived: dict  # the watch's derived fields as they must be stored
    changed: bool  # whether they differ from the stored ones (a repeated look writes nothing)
    warning_raised: str | None  # the level the case has just turned to (yellow or red), if it has
    decided_on_time: bool | None  # whether a case just decided was on time; None if none was
    new_problem: str | None  # why the case has no deadline, when that is new
    file_accountability: bool  # an open red case has its accountability record (filed once)
    next_check: datetime | None  # when to look again; None: never


def assess(watch, standing):
    """The changes ``standing`` makes to the stored ``watch`` (a raw document)."""
    is_open = standing.status not in (deadlines.DECIDED, deadlines.REFUSED)
    derived = {
        "status": standing.status,
        "level": standing.level,
        "deadline": to_millis(standing.deadline) if standing.deadline else None,
        "on_time": standing.on_time,
        "open": is_open,
        "problem": standing.problem,
    }
    turned = standing.level != watch.get("level") and is_open and standing.level in WARNING_LEVELS
    just_decided = (
        standing.status == deadlines.DECIDED and watch.get("status") != deadlines.DECIDED and standing.deadline
    )
    return Assessment(
        derived=derived,
        changed=any(watch.get(name) != value for name, value in derived.items()),
        warning_raised=standing.level if turned else None,
        decided_on_time=bool(standing.on_time) if just_decided else None,
        new_problem=standing.problem if standing.problem and standing.problem != watch.get("problem") else None,
        file_accountability=is_open and standing.level == deadlines.RED,
        next_check=standing.next_check,
    )


def accountability_record(watch, deadline, now, calendar):
    """The accountability record of an overdue case (a raw watch), as filed at ``now``: its
    ``deadline`` and ``days_overdue`` are those at filing; views show the case's current ones."""
    return {
        "case_no": watch["_id"],
        "item_code": watch.get("item_code"),
        "item_name": watch.get("item_name"),
        "department": watch.get("department"),
        "staff": watch.get("accepted_by"),
        "deadline": deadline,
        "filed_at": now,
        "days_overdue": deadlines.workdays_overdue(calendar, deadline, now),
    }


def days_overdue(calendar, watch, deadline, now):
    """Working days past ``deadline`` at ``now``, or at the decision once there is one."""
    until = watch.decided_at if watch is not None and watch.decided_at else now
    return deadlines.workdays_overdue(calendar, deadline, until)


def record_deadline(record, watch):
    """A record's deadline as shown: its case's current one, else the one at filing."""
    return watch.deadline if watch is not None and watch.deadline else record.deadline


def warning_levels(level=None):
    """The levels a warnings list shows: the one asked for, else yellow and red."""
    return [level] if level else list(WARNING_LEVELS)


def most_urgent_first(watches):
    return sorted(watches, key=lambda w: w.deadline)


def check_extension_days(days):
    if not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION_DAYS:
        raise InvalidInput("an extension is 1 to 60 working days", [{"field": "days", "message": "1 to 60"}])


def check_may_act(case_no, watch, viewer, what):
    """Only the case's own department (or a hall-wide one) may act on it, and only while it is open."""
    if not may_see(viewer, watch.department):
        raise Forbidden(
            f"your department ({(viewer or {}).get('department')}) does not own case {case_no}: "
            f"only its own department may {what}"
        )
    if not watch.open:
        raise Conflict(f"case {case_no} is no longer open")


def in_special_procedure(watch):
    return len(watch.suspended) > len(watch.resumed)


def check_may_suspend(case_no, watch, procedure):
    """A special procedure (特别程序) the item allows, on an accepted case not already in one."""
    if procedure not in watch.special_procedures:
        allowed = ", ".join(watch.special_procedures) or "none"
        raise InvalidInput(
            f"item {watch.item_code} has no special procedure {procedure!r} (it has: {allowed})",
            [{"field": "procedure", "message": f"one of: {allowed}"}],
        )
    if watch.accepted_at is None:
        raise Conflict(f"case {case_no} is not accepted yet: its clock has not started")
    if in_special_procedure(watch):
        raise Conflict(f"case {case_no} is already in a special procedure")


def check_may_resume(case_no, watch):
    if not in_special_procedure(watch):
        raise Conflict(f"case {case_no} is not in a special procedure")


def resolution_of(resolution):
    """Closing a record needs its resolution (what was done), stored trimmed."""
    if not (resolution or "").strip():
        raise InvalidInput("closing a record needs its resolution", [{"field": "resolution", "message": "required"}])
    return resolution.strip()


def wrong_record_state(case_no, status, move):
    """The refusal of ``move`` on a record in ``status``."""
    return Conflict(f"the record for case {case_no} is {status}, not {' or '.join(RECORD_MOVES[move])}")
