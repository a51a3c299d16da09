"""Electronic supervision (电子监察): every case's facts from the events, the durable
scheduler that turns cases yellow and red within seconds of the boundary, and the
accountability records (问责) filed automatically, once per overdue case.

Event handlers only record facts (each fact idempotently) and set the case's timer to
now; the scheduler alone derives the standing, so two writers never disagree about it.
Timers live in the store: a restarted or second monitor carries on where one stopped.

The rules (what a standing changes, who may act, what a record may become) are
``supervision_rules``; this module stores what they decide. The handlers and the scheduler read and write the raw documents (``collection_of``): they run
on every fact of every case, and a ``CaseWatch`` built each time cost more than the commands.
"""

import logging
import uuid
from collections import Counter
from datetime import timedelta

import mongoengine as me

from services.common import deadlines
from services.common.db import collection_of
from services.common.errors import NotFound
from services.common.fields import from_millis, to_millis
from services.common.staff_roles import may_see, sees_all
from services.common.time import isoformat
from services.common.workdays import CalendarRangeError
from services.monitor import metrics, models
from services.monitor import supervision_rules as rules
from services.monitor.supervision_rules import facts_of, instant

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)  # a claimed timer fires again after this if its monitor died
BATCH = 200


def stored_instant(value):
    """An instant of an event as the store holds it (epoch ms: ``services.common.fields``)."""
    moment = instant(value)
    return to_millis(moment) if moment is not None else None


class Supervision:
    """The monitor's case watch; thread-safe (all state is in the store)."""

    def __init__(self, calendar, yellow_workdays=1):
        self.calendar = calendar
        self.yellow_workdays = yellow_workdays

    # -- facts from events ------------------------------------------------------------

    def record(self, case_no, now, facts):
        """Store facts about a case (stored field -> value) and have the scheduler look at it now."""
        collection_of(models.CaseWatch).update_one({"_id": case_no}, {"$set": facts}, upsert=True)
        self.touch(case_no, now)

    def record_keyed(self, case_no, now, field, key, value):
        """Store one entry of a map fact (``field.key``), idempotently."""
        collection_of(models.CaseWatch).update_one({"_id": case_no}, {"$set": {f"{field}.{key}": value}}, upsert=True)
        self.touch(case_no, now)

    def touch(self, case_no, now):
        collection_of(models.Timer).update_one(
            {"_id": case_no}, {"$set": {"due_at": to_millis(now), "token": uuid.uuid4().hex}}, upsert=True
        )

    def case_submitted(self, p, now):
        self.record(
            p["case_no"],
            now,
            {
                "item_code": p.get("item_code"),
                "item_name": p.get("item_name"),
                "department": p.get("department"),
                "kind": p.get("kind"),
                "promised_limit_days": p.get("promised_limit_days"),
                "legal_limit_days": p.get("legal_limit_days"),
                "submitted_at": stored_instant(p.get("submitted_at")),
                "special_procedures": p.get("special_procedures") or [],
            },
        )

    def case_accepted(self, p, now):
        facts = {"accepted_at": stored_instant(p["accepted_at"]), "accepted_by": p.get("accepted_by")}
        for key in ("item_code", "department"):
            if p.get(key):
                facts[key] = p[key]
        self.record(p["case_no"], now, facts)

    def supplement_requested(self, p, now):
        self.record_keyed(p["case_no"], now, "supplement_requested", to_millis(instant(p["requested_at"])), True)

    def supplement_received(self, p, now):
        self.record_keyed(p["case_no"], now, "supplement_received", to_millis(instant(p["received_at"])), True)

    def case_decided(self, p, now):
        self.record(
            p["case_no"],
            now,
            {
                "decided_at": stored_instant(p["decided_at"]),
                "outcome": p.get("outcome"),
                "decided_by": p.get("decided_by"),
                "on_the_spot": bool(p.get("on_the_spot")),
            },
        )

    def case_refused(self, p, now):
        self.record(p["case_no"], now, {"refused_at": stored_instant(p["refused_at"])})

    def approve_extension(self, case_no, days, reason, viewer, now):
        """An approved extension (延期) adds working days to the case's limit; only the case's
        own department (or the hall-wide ones) may grant it. Returns ``(extension_id, extension, new deadline)``."""
        rules.check_extension_days(days)
        self.owned_open_watch(case_no, viewer, "extend its time limit")
        extension_id = uuid.uuid4().hex
        extension = {
            "days": days,
            "reason": reason,
            "approved_by": viewer.get("username"),
            "approved_at": isoformat(now),
        }
        self.record_keyed(case_no, now, "extensions", extension_id, extension)
        return extension_id, extension, self.deadline_of(case_no)

    def owned_open_watch(self, case_no, viewer, what):
        """The open case the viewer's department owns (or any, for the hall-wide ones)."""
        watch = models.CaseWatch.objects(case_no=case_no).first()
        if watch is None:
            raise NotFound(f"case {case_no} is not watched")
        rules.check_may_act(case_no, watch, viewer, what)
        return watch

    def suspend(self, case_no, procedure, reason, viewer, now):
        """A special procedure (特别程序) the item allows starts: the clock stops until it ends."""
        watch = self.owned_open_watch(case_no, viewer, "start a special procedure")
        rules.check_may_suspend(case_no, watch, procedure)
        suspension = {"procedure": procedure, "reason": reason, "by": viewer.get("username")}
        self.record_keyed(case_no, now, "suspended", to_millis(now), suspension)
        return {
            "case_no": case_no,
            "procedure": procedure,
            "reason": reason,
            "suspended_by": viewer.get("username"),
            "suspended_at": isoformat(now),
        }

    def resume(self, case_no, viewer, now):
        """The special procedure ends: the clock runs again from the next working day.
        Returns ``(resumption, new deadline)``."""
        watch = self.owned_open_watch(case_no, viewer, "end a special procedure")
        rules.check_may_resume(case_no, watch)
        self.record_keyed(case_no, now, "resumed", to_millis(now), {"by": viewer.get("username")})
        return {
            "case_no": case_no,
            "resumed_by": viewer.get("username"),
            "resumed_at": isoformat(now),
        }, self.deadline_of(case_no)

    def deadline_of(self, case_no):
        """The case's deadline on its facts now (None while its clock is stopped)."""
        try:
            return deadlines.deadline(
                facts_of(collection_of(models.CaseWatch).find_one({"_id": case_no})), self.calendar
            )
        except CalendarRangeError:
            return None

    # -- the scheduler ----------------------------------------------------------------

    def run_due(self, now):
        """Look at every case whose timer is due; returns how many were looked at."""
        now_ms = to_millis(now)
        timers = collection_of(models.Timer)
        fired = 0
        for timer in list(timers.find({"due_at": {"$lte": now_ms}}).limit(BATCH)):
            token = uuid.uuid4().hex
            claimed = timers.find_one_and_update(
                {"_id": timer["_id"], "token": timer["token"]},
                {"$set": {"due_at": now_ms + int(LEASE.total_seconds() * 1000), "token": token}},
            )
            if claimed is None:
                continue  # another monitor took it, or an event touched it again
            self.evaluate(timer["_id"], now, token)
            fired += 1
        oldest = timers.find_one({"due_at": {"$lte": now_ms}}, sort=[("due_at", 1)])
        metrics.TIMER_LAG.set((now_ms - oldest["due_at"]) / 1000 if oldest else 0)
        return fired

    def evaluate(self, case_no, now, token):
        watches, timers = collection_of(models.CaseWatch), collection_of(models.Timer)
        watch = watches.find_one({"_id": case_no})
        if watch is None:
            timers.delete_one({"_id": case_no, "token": token})
            return
        standing = deadlines.standing(facts_of(watch), self.calendar, now, self.yellow_workdays)
        assessment = rules.assess(watch, standing)
        if assessment.new_problem:
            log.warning("case %s has no deadline: %s", case_no, assessment.new_problem)
        if assessment.warning_raised:
            metrics.WARNINGS_RAISED.labels(assessment.warning_raised).inc()
        if assessment.decided_on_time is not None:
            metrics.CASES_DECIDED.labels("true" if assessment.decided_on_time else "false").inc()
        if assessment.changed:
            watches.update_one({"_id": case_no}, {"$set": assessment.derived})
        if assessment.file_accountability:
            self.file_accountability(watch, standing.deadline, now)
        if assessment.next_check is not None:
            timers.update_one(
                {"_id": case_no, "token": token},
                {"$set": {"due_at": to_millis(assessment.next_check), "token": uuid.uuid4().hex}},
            )
        else:
            timers.delete_one({"_id": case_no, "token": token})

    def file_accountability(self, watch, deadline, now):
        """File the case's accountability record unless it exists (the key is the case)."""
        record = models.AccountabilityRecord(**rules.accountability_record(watch, deadline, now, self.calendar))
        try:
            record.save(force_insert=True)
        except me.NotUniqueError:
            return
        metrics.ACCOUNTABILITY_FILED.labels(watch.get("department") or "unknown").inc()
        log.info("accountability record filed for overdue case %s (%s)", watch["_id"], watch.get("department"))

    def refresh_gauges(self):
        """The open cases by level: one look-up of the open ones by their own index (a count
        per level would have the embedded store pick the level's index, which holds every
        case ever closed at that level)."""
        levels = Counter(son.get("level") for son in collection_of(models.CaseWatch).find({"open": True}, {"level": 1}))
        counts = {level: levels[level] for level in (deadlines.GREEN, deadlines.YELLOW, deadlines.RED)}
        for level, count in counts.items():
            metrics.OPEN_CASES.labels(level).set(count)
        metrics.OVERDUE_CASES.set(counts[deadlines.RED])

    # -- what supervisors see -----------------------------------------------------------

    def visible_watch(self, case_no, viewer):
        watch = models.CaseWatch.objects(case_no=case_no).first()
        if watch is None or not may_see(viewer, watch.department):
            raise NotFound(f"case {case_no} is not watched")
        return watch

    def warnings(self, viewer, now, level=None):
        """Open cases at yellow or red, the most urgent first."""
        query = {"open": True, "level__in": rules.warning_levels(level)}
        if not sees_all(viewer):
            query["department"] = (viewer or {}).get("department")
        watches = rules.most_urgent_first(models.CaseWatch.objects(**query))
        return [self.warning_view(w, now) for w in watches]

    def warning_view(self, watch, now):
        return {
            "case_no": watch.case_no,
            "item_code": watch.item_code,
            "item_name": watch.item_name,
            "department": watch.department,
            "staff": watch.accepted_by,
            "level": watch.level,
            "status": watch.status,
            "deadline": isoformat(watch.deadline),
            "days_overdue": self.days_overdue(watch, watch.deadline, now),
        }

    def case_standing(self, case_no, viewer, now):
        watch = self.visible_watch(case_no, viewer)
        return dict(
            self.warning_view(watch, now)
            if watch.deadline
            else {
                "case_no": watch.case_no,
                "item_code": watch.item_code,
                "department": watch.department,
                "level": watch.level,
                "status": watch.status,
                "deadline": None,
                "days_overdue": 0,
            },
            accepted_at=isoformat(watch.accepted_at),
            decided_at=isoformat(watch.decided_at),
            on_time=watch.on_time,
            extensions=sorted(watch.extensions.values(), key=lambda e: e["approved_at"]),
            special_procedures=special_procedures_view(watch),
            problem=watch.problem,
        )

    def accountability(self, viewer, now, status=None):
        query = {"status": status} if status else {}
        if not sees_all(viewer):
            query["department"] = (viewer or {}).get("department")
        records = list(models.AccountabilityRecord.objects(**query).order_by("filed_at"))
        watches = {w.case_no: w for w in models.CaseWatch.objects(case_no__in=[r.case_no for r in records])}
        return [self.current_view(r, watches.get(r.case_no), now) for r in records]

    def current_view(self, record, watch, now):
        """A record with its case's current deadline and working days overdue: counting on
        while the case is open, frozen at the decision once it is decided."""
        deadline = rules.record_deadline(record, watch)
        return record_view(record, deadline, self.days_overdue(watch, deadline, now))

    def days_overdue(self, watch, deadline, now):
        return rules.days_overdue(self.calendar, watch, deadline, now)

    def _view_of(self, record, now):
        return self.current_view(record, models.CaseWatch.objects(case_no=record.case_no).first(), now)

    def acknowledge(self, case_no, viewer, now):
        updated = models.AccountabilityRecord.objects(
            case_no=case_no, status__in=list(rules.RECORD_MOVES["acknowledged"])
        ).modify(
            new=True, set__status="acknowledged", set__acknowledged_by=viewer.get("username"), set__acknowledged_at=now
        )
        return self._view_of(updated or self._record_in_wrong_state(case_no, "acknowledged"), now)

    def close(self, case_no, resolution, viewer, now):
        resolution = rules.resolution_of(resolution)
        updated = models.AccountabilityRecord.objects(
            case_no=case_no, status__in=list(rules.RECORD_MOVES["closed"])
        ).modify(
            new=True,
            set__status="closed",
            set__resolution=resolution,
            set__closed_by=viewer.get("username"),
            set__closed_at=now,
        )
        return self._view_of(updated or self._record_in_wrong_state(case_no, "closed"), now)

    def _record_in_wrong_state(self, case_no, move):
        record = models.AccountabilityRecord.objects(case_no=case_no).first()
        if record is None:
            raise NotFound(f"no accountability record for case {case_no}")
        raise rules.wrong_record_state(case_no, record.status, move)


def special_procedures_view(watch):
    """Each special procedure with its start and end (None while it runs), oldest first."""
    ends = sorted(int(ms) for ms in watch.resumed)
    return [
        {
            "procedure": started["procedure"],
            "reason": started.get("reason"),
            "started_at": isoformat(from_millis(int(ms))),
            "ended_at": isoformat(from_millis(ends[n])) if n < len(ends) else None,
        }
        for n, (ms, started) in enumerate(sorted(watch.suspended.items(), key=lambda kv: int(kv[0])))
    ]


def record_view(record, deadline, days_overdue):
    return {
        "case_no": record.case_no,
        "item_code": record.item_code,
        "item_name": record.item_name,
        "department": record.department,
        "staff": record.staff,
        "deadline": isoformat(deadline),
        "filed_at": isoformat(record.filed_at),
        "days_overdue": days_overdue,
        "status": record.status,
        "acknowledged_by": record.acknowledged_by,
        "acknowledged_at": isoformat(record.acknowledged_at),
        "resolution": record.resolution,
        "closed_by": record.closed_by,
        "closed_at": isoformat(record.closed_at),
    }
