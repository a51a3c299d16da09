"""Electronic supervision (电子监察): every case's facts from the events, the durable
scheduler that turns cases yellow and red within seconds of the boundary, and the
accountability records (问责) filed automatically, once per overdue case.

Event handlers only record facts (each fact idempotently) and set the case's timer to
now; the scheduler alone derives the standing, so two writers never disagree about it.
Timers live in the store: a restarted or second monitor carries on where one stopped.
"""
import logging
import uuid
from datetime import datetime, timedelta, timezone

import mongoengine as me

from services.common.db import count_of
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.fields import to_millis
from services.common.time import isoformat
from services.monitor import deadlines, metrics, models

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)  # a claimed timer fires again after this if its monitor died
BATCH = 200
HALL_WIDE_DEPARTMENTS = frozenset({"hall", "supervision"})


def instant(value):
    """An aware datetime from an event's ISO 8601 text (naive text is taken as UTC)."""
    if value is None or isinstance(value, datetime):
        return value
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def sees_all(viewer):
    return (viewer or {}).get("department") in HALL_WIDE_DEPARTMENTS


def facts_of(watch):
    return deadlines.Facts(
        promised_limit_days=watch.promised_limit_days, legal_limit_days=watch.legal_limit_days,
        accepted_at=watch.accepted_at, supplement_requested=tuple(map(int, watch.supplement_requested)),
        supplement_received=tuple(map(int, watch.supplement_received)),
        extension_days=sum(e["days"] for e in watch.extensions.values()), decided_at=watch.decided_at,
        refused_at=watch.refused_at)


class Supervision:
    """The monitor's case watch; thread-safe (all state is in the store)."""

    def __init__(self, calendar, yellow_workdays=1):
        self.calendar = calendar
        self.yellow_workdays = yellow_workdays

    # -- facts from events ------------------------------------------------------------

    def record(self, case_no, now, **facts):
        """Store facts about a case (``set__…`` keywords) and have the scheduler look at it now."""
        models.CaseWatch.objects(case_no=case_no).update_one(upsert=True, **facts)
        self.touch(case_no, now)

    def record_keyed(self, case_no, now, field, key, value):
        """Store one entry of a map fact (``field.key``), idempotently."""
        models.CaseWatch._get_collection().update_one({"_id": case_no}, {"$set": {f"{field}.{key}": value}},
                                                      upsert=True)
        self.touch(case_no, now)

    def touch(self, case_no, now):
        models.Timer._get_collection().update_one(
            {"_id": case_no}, {"$set": {"due_at": to_millis(now), "token": uuid.uuid4().hex}}, upsert=True)

    def case_submitted(self, p, now):
        self.record(p["case_no"], now, set__item_code=p.get("item_code"), set__item_name=p.get("item_name"),
                    set__department=p.get("department"), set__kind=p.get("kind"),
                    set__promised_limit_days=p.get("promised_limit_days"),
                    set__legal_limit_days=p.get("legal_limit_days"), set__submitted_at=instant(p.get("submitted_at")))

    def case_accepted(self, p, now):
        facts = {"set__accepted_at": instant(p["accepted_at"]), "set__accepted_by": p.get("accepted_by")}
        for key in ("item_code", "department"):
            if p.get(key):
                facts[f"set__{key}"] = p[key]
        self.record(p["case_no"], now, **facts)

    def supplement_requested(self, p, now):
        self.record_keyed(p["case_no"], now, "supplement_requested", to_millis(instant(p["requested_at"])), True)

    def supplement_received(self, p, now):
        self.record_keyed(p["case_no"], now, "supplement_received", to_millis(instant(p["received_at"])), True)

    def case_decided(self, p, now):
        self.record(p["case_no"], now, set__decided_at=instant(p["decided_at"]), set__outcome=p.get("outcome"),
                    set__decided_by=p.get("decided_by"), set__on_the_spot=bool(p.get("on_the_spot")))

    def case_refused(self, p, now):
        self.record(p["case_no"], now, set__refused_at=instant(p["refused_at"]))

    def approve_extension(self, case_no, days, reason, viewer, now):
        """An approved extension (延期) adds working days to the case's limit."""
        if not isinstance(days, int) or not 1 <= days <= 60:
            raise InvalidInput("an extension is 1 to 60 working days", [{"field": "days", "message": "1 to 60"}])
        watch = self.visible_watch(case_no, viewer)
        if not watch.open:
            raise Conflict(f"case {case_no} is no longer open")
        extension = {"days": days, "reason": reason, "approved_by": viewer.get("username"),
                     "approved_at": isoformat(now)}
        self.record_keyed(case_no, now, "extensions", uuid.uuid4().hex, extension)
        return extension

    # -- the scheduler ----------------------------------------------------------------

    def run_due(self, now):
        """Look at every case whose timer is due; returns how many were looked at."""
        now_ms = to_millis(now)
        timers = models.Timer._get_collection()
        fired = 0
        for timer in list(timers.find({"due_at": {"$lte": now_ms}}).limit(BATCH)):
            token = uuid.uuid4().hex
            claimed = timers.find_one_and_update(
                {"_id": timer["_id"], "token": timer["token"]},
                {"$set": {"due_at": now_ms + int(LEASE.total_seconds() * 1000), "token": token}})
            if claimed is None:
                continue  # another monitor took it, or an event touched it again
            self.evaluate(timer["_id"], now, token)
            fired += 1
        oldest = timers.find_one({"due_at": {"$lte": now_ms}}, sort=[("due_at", 1)])
        metrics.TIMER_LAG.set((now_ms - oldest["due_at"]) / 1000 if oldest else 0)
        return fired

    def evaluate(self, case_no, now, token):
        watch = models.CaseWatch.objects(case_no=case_no).first()
        timers = models.Timer._get_collection()
        if watch is None:
            timers.delete_one({"_id": case_no, "token": token})
            return
        standing = deadlines.evaluate(facts_of(watch), self.calendar, now, self.yellow_workdays)
        is_open = standing.status not in (deadlines.DECIDED, deadlines.REFUSED)
        if standing.problem and standing.problem != watch.problem:
            log.warning("case %s has no deadline: %s", case_no, standing.problem)
        if standing.level != watch.level and is_open and standing.level in (deadlines.YELLOW, deadlines.RED):
            metrics.WARNINGS_RAISED.labels(standing.level).inc()
        if standing.status == deadlines.DECIDED and watch.status != deadlines.DECIDED and standing.deadline:
            metrics.CASES_DECIDED.labels("true" if standing.on_time else "false").inc()
        models.CaseWatch.objects(case_no=case_no).update_one(
            set__status=standing.status, set__level=standing.level, set__deadline=standing.deadline,
            set__on_time=standing.on_time, set__open=is_open, set__problem=standing.problem)
        if is_open and standing.level == deadlines.RED:
            self.file_accountability(watch, standing.deadline, now)
        if standing.next_check is not None:
            timers.update_one({"_id": case_no, "token": token},
                              {"$set": {"due_at": to_millis(standing.next_check), "token": uuid.uuid4().hex}})
        else:
            timers.delete_one({"_id": case_no, "token": token})

    def file_accountability(self, watch, deadline, now):
        """File the case's accountability record unless it exists (the key is the case)."""
        record = models.AccountabilityRecord(
            case_no=watch.case_no, item_code=watch.item_code, item_name=watch.item_name,
            department=watch.department, staff=watch.accepted_by, deadline=deadline, filed_at=now,
            days_overdue=deadlines.workdays_overdue(self.calendar, deadline, now))
        try:
            record.save(force_insert=True)
        except me.NotUniqueError:
            return
        metrics.ACCOUNTABILITY_FILED.labels(watch.department or "unknown").inc()
        log.info("accountability record filed for overdue case %s (%s)", watch.case_no, watch.department)

    def refresh_gauges(self):
        counts = {level: count_of(models.CaseWatch.objects(open=True, level=level))
                  for level in (deadlines.GREEN, deadlines.YELLOW, deadlines.RED)}
        for level, count in counts.items():
            metrics.OPEN_CASES.labels(level).set(count)
        metrics.OVERDUE_CASES.set(counts[deadlines.RED])

    # -- what supervisors see -----------------------------------------------------------

    def visible_watch(self, case_no, viewer):
        watch = models.CaseWatch.objects(case_no=case_no).first()
        if watch is None or not (sees_all(viewer) or watch.department == (viewer or {}).get("department")):
            raise NotFound(f"case {case_no} is not watched")
        return watch

    def warnings(self, viewer, now, level=None):
        """Open cases at yellow or red, the most urgent first."""
        query = {"open": True, "level__in": [level] if level else [deadlines.YELLOW, deadlines.RED]}
        if not sees_all(viewer):
            query["department"] = (viewer or {}).get("department")
        watches = sorted(models.CaseWatch.objects(**query), key=lambda w: w.deadline)
        return [self.warning_view(w, now) for w in watches]

    def warning_view(self, watch, now):
        return {
            "case_no": watch.case_no, "item_code": watch.item_code, "item_name": watch.item_name,
            "department": watch.department, "staff": watch.accepted_by, "level": watch.level,
            "status": watch.status, "deadline": isoformat(watch.deadline),
            "days_overdue": deadlines.workdays_overdue(self.calendar, watch.deadline, now),
        }

    def case_standing(self, case_no, viewer, now):
        watch = self.visible_watch(case_no, viewer)
        return dict(self.warning_view(watch, now) if watch.deadline else {
            "case_no": watch.case_no, "item_code": watch.item_code, "department": watch.department,
            "level": watch.level, "status": watch.status, "deadline": None, "days_overdue": 0},
            accepted_at=isoformat(watch.accepted_at), decided_at=isoformat(watch.decided_at),
            on_time=watch.on_time, extensions=sorted(watch.extensions.values(), key=lambda e: e["approved_at"]),
            problem=watch.problem)

    def accountability(self, viewer, status=None):
        query = {"status": status} if status else {}
        if not sees_all(viewer):
            query["department"] = (viewer or {}).get("department")
        return [record_view(r) for r in models.AccountabilityRecord.objects(**query).order_by("filed_at")]

    def acknowledge(self, case_no, viewer, now):
        updated = models.AccountabilityRecord.objects(case_no=case_no, status="open").modify(
            new=True, set__status="acknowledged", set__acknowledged_by=viewer.get("username"),
            set__acknowledged_at=now)
        return record_view(updated or self._record_in_wrong_state(case_no, "open"))

    def close(self, case_no, resolution, viewer, now):
        if not (resolution or "").strip():
            raise InvalidInput("closing a record needs its resolution",
                               [{"field": "resolution", "message": "required"}])
        updated = models.AccountabilityRecord.objects(case_no=case_no, status__in=["open", "acknowledged"]).modify(
            new=True, set__status="closed", set__resolution=resolution.strip(),
            set__closed_by=viewer.get("username"), set__closed_at=now)
        return record_view(updated or self._record_in_wrong_state(case_no, "open or acknowledged"))

    def _record_in_wrong_state(self, case_no, wanted):
        record = models.AccountabilityRecord.objects(case_no=case_no).first()
        if record is None:
            raise NotFound(f"no accountability record for case {case_no}")
        raise Conflict(f"the record for case {case_no} is {record.status}, not {wanted}")


def record_view(record):
    return {
        "case_no": record.case_no, "item_code": record.item_code, "item_name": record.item_name,
        "department": record.department, "staff": record.staff, "deadline": isoformat(record.deadline),
        "filed_at": isoformat(record.filed_at), "days_overdue": record.days_overdue, "status": record.status,
        "acknowledged_by": record.acknowledged_by, "acknowledged_at": isoformat(record.acknowledged_at),
        "resolution": record.resolution, "closed_by": record.closed_by, "closed_at": isoformat(record.closed_at),
    }
