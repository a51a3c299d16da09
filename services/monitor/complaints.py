"""Complaints (效能投诉) and the investment-environment "110" hotline, handled as GB/T
36113 asks: received → accepted (or rejected) → investigating → resolved → feedback
given → archived. Acceptance is decided within ``COMPLAINT_ACCEPT_WORKDAYS`` working
days of receipt and the complaint resolved within ``COMPLAINT_RESOLVE_WORKDAYS`` of
acceptance; a stage near or past its deadline is yellow or red, like a case. The
complainant follows it with the complaint number and a follow code."""

import secrets

from services.common import constant_time, deadlines
from services.common.db import collection_of, objects_with_any
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.sequences import hall_day, next_in_sequence
from services.common.staff_roles import sees_all
from services.common.time import isoformat
from services.monitor import metrics, models

CATEGORIES = ("efficiency", "conduct", "fees", "investor_hotline", "other")
FOLLOW_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
NEXT = {
    "received": ("accepted", "rejected"),
    "accepted": ("investigating",),
    "investigating": ("resolved",),
    "resolved": ("feedback_given",),
    "feedback_given": ("archived",),
}
NOTE_REQUIRED = {"rejected", "resolved", "feedback_given"}

OPEN_STATUSES = ("received", "accepted", "investigating")


class Complaints:
    def __init__(self, calendar, accept_workdays=5, resolve_workdays=10, yellow_workdays=1):
        self.calendar = calendar
        self.accept_workdays, self.resolve_workdays = accept_workdays, resolve_workdays
        self.yellow_workdays = yellow_workdays

    def file(self, complaint, channel, now):
        category = complaint.get("category")
        if category not in CATEGORIES:
            raise InvalidInput(
                f"category must be one of {', '.join(CATEGORIES)}",
                [{"field": "category", "message": "unknown category"}],
            )
        content = (complaint.get("content") or "").strip()
        if not content:
            raise InvalidInput("say what the complaint is about", [{"field": "content", "message": "required"}])
        department = complaint.get("department")
        if complaint.get("case_no") and not department:
            watch = models.CaseWatch.objects(case_no=complaint["case_no"]).only("department").first()
            department = watch.department if watch else None
        day = hall_day(now)
        record = models.Complaint(
            complaint_no=f"T{day}{next_in_sequence(models.ComplaintCounter, day):04d}",
            follow_code=new_follow_code(),
            category=category,
            channel=channel,
            case_no=complaint.get("case_no"),
            department=department,
            content=content,
            complainant=complaint.get("complainant") or {},
            status="received",
            received_at=now,
            accept_by=self.calendar.deadline_instant(now, self.accept_workdays),
            updated_at=now,
        )
        record.save(force_insert=True)
        return dict(self.view(record, now), follow_code=record.follow_code)

    def move(self, complaint_no, to, note, handler, now):
        record = self.get(complaint_no)
        if to not in NEXT.get(record.status, ()):
            raise Conflict(f"complaint {complaint_no} is {record.status}; it cannot become {to}")
        if to in NOTE_REQUIRED and not (note or "").strip():
            raise InvalidInput(f"'{to}' needs a note", [{"field": "note", "message": "required"}])
        changes = {
            "status": to,
            "updated_at": now,
            f"stages.{to}": {"at": isoformat(now), "by": handler.get("username"), "note": note},
        }
        if to == "accepted":
            changes.update(accepted_at=now, resolve_by=self.calendar.deadline_instant(now, self.resolve_workdays))
        changes = {
            key: (models.Complaint._fields[key].to_mongo(v) if key in models.Complaint._fields else v)
            for key, v in changes.items()
        }
        moved = collection_of(models.Complaint).update_one(
            {"_id": complaint_no, "status": record.status}, {"$set": changes}
        )
        if moved.modified_count == 0:
            raise Conflict(f"complaint {complaint_no} changed meanwhile; look again")
        return self.view(self.get(complaint_no), now)

    def get(self, complaint_no):
        record = models.Complaint.objects(complaint_no=complaint_no).first()
        if record is None:
            raise NotFound(f"no complaint {complaint_no}")
        return record

    def follow(self, complaint_no, follow_code, now):
        record = models.Complaint.objects(complaint_no=complaint_no).first()
        if record is None or not constant_time.equal(follow_code, record.follow_code):
            raise NotFound(f"no complaint {complaint_no} with this follow code")
        view = self.view(record, now)
        return {
            key: view[key]
            for key in ("complaint_no", "category", "status", "received_at", "stages", "accept_by", "resolve_by")
        }

    def listing(self, viewer, now, status=None):
        query = {"status": status} if status else {"status__nin": ["archived", "rejected"]}
        if not sees_all(viewer):
            query["department"] = (viewer or {}).get("department")
        return [self.view(c, now) for c in models.Complaint.objects(**query).order_by("received_at")]

    def level(self, record, now):
        """The warning level of the complaint's current stage (None when no clock runs)."""
        if record.status == "received":
            start, limit = record.received_at, self.accept_workdays
        elif record.status in ("accepted", "investigating"):
            start, limit = record.accepted_at, self.resolve_workdays
        else:
            return None
        standing = deadlines.standing(
            deadlines.CaseFacts(limit_days=limit, accepted_at=start), self.calendar, now, self.yellow_workdays
        )
        return standing.level

    def refresh_gauge(self, now):
        counts = {deadlines.GREEN: 0, deadlines.YELLOW: 0, deadlines.RED: 0}
        for record in objects_with_any(models.Complaint, "status", OPEN_STATUSES):
            level = self.level(record, now)
            if level:
                counts[level] += 1
        for level, n in counts.items():
            metrics.OPEN_COMPLAINTS.labels(level).set(n)

    def view(self, record, now):
        return {
            "complaint_no": record.complaint_no,
            "category": record.category,
            "channel": record.channel,
            "case_no": record.case_no,
            "department": record.department,
            "content": record.content,
            "complainant": record.complainant,
            "status": record.status,
            "level": self.level(record, now),
            "received_at": isoformat(record.received_at),
            "accept_by": isoformat(record.accept_by),
            "resolve_by": isoformat(record.resolve_by),
            "stages": dict(record.stages),
        }


def new_follow_code():
    return "".join(secrets.choice(FOLLOW_CODE_ALPHABET) for _ in range(8))
