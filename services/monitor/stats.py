"""The hall's statistics (统计): cases per day, the on-time rate (cases decided within
their limit ÷ cases decided), the satisfaction rate (good evaluations ÷ all; the bottom
two of five levels are bad), the one-visit rate (一次办结率: cases decided on the spot by the
department's chief representative, who accepted and decided them in one sitting ÷ cases
decided, the on-time rate's denominator), supplement requests (补正告知) and supplements received
(requests and receipts made in the period, on cases submitted in it), open warnings and overdue
cases — for the hall, and by department and by item. A period is a range of Shanghai days,
both ends included. (The hall's queue waits are the queue service's day counts; the gateway
adds them.)"""

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from services.common.fields import to_millis
from services.common.workdays import SHANGHAI
from services.monitor import models
from services.monitor.evaluations import BAD
from services.monitor.supervision_rules import WARNING_LEVELS

DEFAULT_DAYS = 30


def period_bounds(first, last, now):
    """``(first_day, last_day, start, end)``: the days (default: the last 30 up to today)
    and the instants bounding them (end exclusive)."""
    last = date.fromisoformat(last) if last else now.astimezone(SHANGHAI).date()
    first = date.fromisoformat(first) if first else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValueError("the period's first day is after its last")
    start = datetime.combine(first, time(), tzinfo=SHANGHAI)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=SHANGHAI)
    return first, last, start, end


def rate(part, whole):
    return round(part / whole, 4) if whole else None


def _blank():
    return {
        "submitted": 0,
        "decided": 0,
        "decided_on_time": 0,
        "on_time_rate": None,
        "decided_on_the_spot": 0,
        "one_visit_rate": None,
        "supplement_requests": 0,
        "supplements_received": 0,
        "open_yellow": 0,
        "open_red": 0,
        "evaluations": 0,
        "good_evaluations": 0,
        "satisfaction_rate": None,
    }


def within(instants_ms, start, end):
    """How many of a watch's instants (``str(epoch ms)`` keys) fall in ``[start, end)``."""
    low, high = to_millis(start), to_millis(end)
    return sum(low <= int(ms) < high for ms in instants_ms)


def _watches_of(start, end, department, item_code):
    """The watches the period counts: submitted or decided in it, or open at yellow or red
    now; of the department and item when given. Three look-ups, each by its own index (the
    embedded store answers an ``$or`` of them, or a department's index beside a range, by
    reading every case ever watched); the scope is applied here."""
    found = {}
    for query in (
        {"submitted_at__gte": start, "submitted_at__lt": end},
        {"decided_at__gte": start, "decided_at__lt": end},
        {"open": True},
    ):
        for watch in models.CaseWatch.objects(**query):
            found.setdefault(watch.case_no, watch)
    return [
        watch
        for watch in found.values()
        if (watch.open and watch.level in WARNING_LEVELS)
        or (watch.submitted_at and start <= watch.submitted_at < end)
        or (watch.decided_at and start <= watch.decided_at < end)
        if (not department or watch.department == department) and (not item_code or watch.item_code == item_code)
    ]


def statistics(now, first=None, last=None, department=None, item_code=None):
    first, last, start, end = period_bounds(first, last, now)
    watches = _watches_of(start, end, department, item_code)
    hall, by_department, by_item = _blank(), defaultdict(_blank), defaultdict(_blank)
    per_day = Counter()
    for watch in watches:
        groups = (hall, by_department[watch.department or "unknown"], by_item[watch.item_code or "unknown"])
        if watch.submitted_at and start <= watch.submitted_at < end:
            per_day[watch.submitted_at.astimezone(SHANGHAI).date().isoformat()] += 1
            requests, received = (
                within(watch.supplement_requested, start, end),
                within(watch.supplement_received, start, end),
            )
            for group in groups:
                group["submitted"] += 1
                group["supplement_requests"] += requests
                group["supplements_received"] += received
        if watch.decided_at and start <= watch.decided_at < end and watch.on_time is not None:
            for group in groups:
                group["decided"] += 1
                group["decided_on_time"] += watch.on_time
                group["decided_on_the_spot"] += bool(watch.on_the_spot)
        if watch.open and watch.level in WARNING_LEVELS:
            for group in groups:
                group[f"open_{watch.level}"] += 1
    scope = {key: value for key, value in (("department", department), ("item_code", item_code)) if value}
    evaluations = models.Evaluation.objects(evaluated_at__gte=start, evaluated_at__lt=end, **scope)
    for evaluation in evaluations:
        groups = (hall, by_department[evaluation.department or "unknown"], by_item[evaluation.item_code or "unknown"])
        for group in groups:
            group["evaluations"] += 1
            group["good_evaluations"] += evaluation.level not in BAD
    for group in (hall, *by_department.values(), *by_item.values()):
        group["on_time_rate"] = rate(group["decided_on_time"], group["decided"])
        group["one_visit_rate"] = rate(group["decided_on_the_spot"], group["decided"])
        group["satisfaction_rate"] = rate(group["good_evaluations"], group["evaluations"])
    days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    return {
        "period": {"first_day": first.isoformat(), "last_day": last.isoformat()},
        "filters": {"department": department, "item_code": item_code},
        "hall": hall,
        "cases_per_day": [{"day": day, "submitted": per_day[day]} for day in days],
        "by_department": dict(sorted(by_department.items())),
        "by_item": dict(sorted(by_item.items())),
    }
