"""The monitor service's documents (database ``<prefix>_monitor``)."""

import mongoengine as me

from services.common.fields import InstantField

ALIAS = "monitor"


class CaseWatch(me.Document):
    """One case as supervision sees it: the facts heard from events (written by the event
    handlers, each fact on its own so that repeats and reordering are harmless) and the
    standing derived from them (written only by the scheduler)."""

    case_no = me.StringField(primary_key=True)
    item_code = me.StringField()
    item_name = me.StringField()
    department = me.StringField()
    kind = me.StringField()
    promised_limit_days = me.IntField()
    legal_limit_days = me.IntField()
    submitted_at = InstantField()
    accepted_at = InstantField()
    accepted_by = me.StringField()
    # Maps keyed by the fact itself, written with ``$set`` on a dotted key: idempotent,
    # and NX-27017 0.8.1 neither ``$addToSet``s into a missing array nor ``$push``es a
    # document (it stores its JSON text).
    supplement_requested = me.DictField()  # str(epoch ms) -> True, one per request
    supplement_received = me.DictField()
    extensions = me.DictField()  # extension id -> {days, reason, approved_by, approved_at}
    special_procedures = me.ListField(me.StringField())  # those the item allows
    suspended = me.DictField()  # str(epoch ms) -> {procedure, reason, by}: a special procedure starts
    resumed = me.DictField()  # str(epoch ms) -> {by}: it ends
    decided_at = InstantField()
    decided_by = me.StringField()
    on_the_spot = me.BooleanField()  # decided on the spot by the chief representative (当场办结)
    outcome = me.StringField()
    refused_at = InstantField()
    # derived
    status = me.StringField(default="submitted")
    level = me.StringField()
    deadline = InstantField()
    on_time = me.BooleanField()
    open = me.BooleanField(default=True)
    problem = me.StringField()

    meta = {
        "db_alias": ALIAS,
        "collection": "cases",
        # "open" and "submitted_at" alone: the embedded store uses an index of the one field a
        # query names (not a compound's first), and the statistics and gauges ask by them.
        "indexes": [("open", "level"), "open", "department", "accepted_at", "decided_at", "submitted_at"],
    }


class Timer(me.Document):
    """The durable scheduler's next look at an open case (only cases with a running
    clock have one, so the collection stays small). ``token`` changes with every write:
    the scheduler's final write applies only if nobody touched the timer meanwhile."""

    case_no = me.StringField(primary_key=True)
    due_at = me.LongField(required=True)  # epoch ms
    token = me.StringField(required=True)

    meta = {"db_alias": ALIAS, "collection": "timers", "indexes": ["due_at"]}


class AccountabilityRecord(me.Document):
    """问责: filed once per overdue case (the case number is the key)."""

    case_no = me.StringField(primary_key=True)
    item_code = me.StringField()
    item_name = me.StringField()
    department = me.StringField()
    staff = me.StringField()
    deadline = InstantField(required=True)
    filed_at = InstantField(required=True)
    days_overdue = me.IntField(default=0)  # at filing (as is deadline); views show the current count
    status = me.StringField(default="open")  # open → acknowledged → closed
    acknowledged_by = me.StringField()
    acknowledged_at = InstantField()
    resolution = me.StringField()
    closed_by = me.StringField()
    closed_at = InstantField()

    meta = {"db_alias": ALIAS, "collection": "accountability_records", "indexes": ["department", "status"]}


class ClockSetting(me.Document):
    """The platform clock's offset from real time (one document, ``_id`` "platform")."""

    key = me.StringField(primary_key=True, default="platform")
    offset_ms = me.LongField(default=0)
    set_by = me.StringField()
    set_at = InstantField()

    meta = {"db_alias": ALIAS, "collection": "clock"}


class Complaint(me.Document):
    """效能投诉 and the investor hotline: one complaint through intake → handling →
    feedback → archive (GB/T 36113), each stage with its working-day deadline."""

    complaint_no = me.StringField(primary_key=True)
    follow_code = me.StringField(required=True)
    category = me.StringField(required=True)
    channel = me.StringField(required=True)  # public | staff
    case_no = me.StringField()
    department = me.StringField()
    content = me.StringField(required=True)
    complainant = me.DictField()
    status = me.StringField(required=True)
    received_at = InstantField(required=True)
    accept_by = InstantField(required=True)
    resolve_by = InstantField()
    accepted_at = InstantField()
    stages = me.DictField()  # status -> {at, by, note}, written with $set on a dotted key
    updated_at = InstantField(required=True)

    meta = {"db_alias": ALIAS, "collection": "complaints", "indexes": ["status", "department"]}


class ComplaintCounter(me.Document):
    day = me.StringField(primary_key=True)
    last = me.IntField(default=0)

    meta = {"db_alias": ALIAS, "collection": "complaint_counters"}


class Evaluation(me.Document):
    """好差评: one per case; a bad one (the bottom two levels) carries its rectification."""

    case_no = me.StringField(primary_key=True)
    level = me.IntField(required=True, min_value=1, max_value=5)
    comment = me.StringField()
    department = me.StringField()
    item_code = me.StringField()
    evaluated_at = InstantField(required=True)
    rectification_status = me.StringField()  # open | done (bad reviews only)
    rectify_by = InstantField()
    rectification = me.StringField()
    callback_note = me.StringField()
    rectified_by = me.StringField()
    rectified_at = InstantField()

    meta = {
        "db_alias": ALIAS,
        "collection": "evaluations",
        "indexes": ["department", "evaluated_at", "rectification_status"],
    }
