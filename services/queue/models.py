"""The queue service's documents (database ``<prefix>_queue``).

The hot collection is ``waiting``: one small entry per ticket that waits, removed by the
call that claims it (``findAndModify`` with ``remove``, atomic on MongoDB and on the
embedded store). Every ticket's full record lives in ``tickets``, read and written by key.
"""

import mongoengine as me

from services.common.fields import InstantField

ALIAS = "queue"


class Category(me.Document):
    """A service category: its letter prefix and the catalog items it serves."""

    code = me.StringField(primary_key=True)
    name_zh = me.StringField(required=True)
    name_en = me.StringField(required=True)
    items = me.ListField(me.StringField())
    appointment_capacity = me.IntField(default=0, min_value=0)

    meta = {"db_alias": ALIAS, "collection": "categories"}


class Window(me.Document):
    """A window (窗口): the categories it serves, in order, and the ticket at it now."""

    number = me.IntField(primary_key=True)
    categories = me.ListField(me.StringField())
    open = me.BooleanField(default=True)
    current_ticket = me.StringField()
    pinned = me.IntField(default=0)  # tickets transferred to this window and waiting

    meta = {"db_alias": ALIAS, "collection": "windows"}


class HallSettings(me.Document):
    """The hall's queue and appointment rules (one document, ``_id`` ``hall``)."""

    key = me.StringField(primary_key=True, default="hall")
    priority_order = me.ListField(me.StringField())
    vip_ids = me.ListField(me.StringField())
    recall_limit = me.IntField(min_value=0)
    default_service_minutes = me.IntField(min_value=1)
    hours = me.ListField(me.ListField(me.StringField()))
    slot_minutes = me.IntField(min_value=5)
    booking_workdays = me.IntField(min_value=0)
    cancel_hours = me.IntField(min_value=0)
    checkin_minutes = me.IntField(min_value=0)
    no_show_limit = me.IntField(min_value=1)
    closures = me.ListField(me.StringField())
    extra_workdays = me.ListField(me.StringField())

    meta = {"db_alias": ALIAS, "collection": "settings"}


class Ticket(me.Document):
    """A ticket (号票) and everything that happened to it; ``_id`` is ``<day>-<number>``.

    The ticket is also its newest call on the board: ``call_seq`` (the live stream's event id)
    is that call's time in milliseconds × 1000 + the window number. It grows with time, and it is
    known before anything is stored, so no counter is read for it (see ``ticket_rules.call_seq``); a
    recall gives the ticket a new one. The index is sparse: tickets never called have none, and
    neither have tickets called by a release that kept calls in a ``calls`` collection of their
    own (those stay history and are not shown)."""

    ticket_id = me.StringField(primary_key=True)
    number = me.StringField(required=True)
    day = me.StringField(required=True)
    category = me.StringField(required=True)
    priority = me.StringField(required=True)
    applicant_id = me.StringField()
    item_code = me.StringField()
    appointment_code = me.StringField()
    case_no = me.StringField()
    state = me.StringField(required=True)  # waiting, called, serving, finished, no_show, abandoned
    window = me.IntField()
    target_window = me.IntField()
    calls = me.IntField(default=0)
    transfers = me.IntField(default=0)
    issued_at = InstantField(required=True)
    called_at = InstantField()
    started_at = InstantField()
    finished_at = InstantField()
    call_seq = me.LongField()

    meta = {
        "db_alias": ALIAS,
        "collection": "tickets",
        "indexes": [{"fields": ["call_seq"], "unique": True, "sparse": True}, "day"],
    }


class WaitingTicket(me.Document):
    """The hot queue: only tickets that wait. ``window`` is 0 unless transferred to one."""

    ticket_id = me.StringField(primary_key=True)
    category = me.StringField(required=True)
    window = me.IntField(default=0)
    rank = me.IntField(required=True)
    issued_ms = me.LongField(required=True)

    meta = {
        "db_alias": ALIAS,
        "collection": "waiting",
        "indexes": [("category", "window", "rank", "issued_ms"), ("window", "rank", "issued_ms")],
    }


class Counter(me.Document):
    """Atomic counters: ticket numbers per day and category."""

    key = me.StringField(primary_key=True)
    last = me.LongField(default=0)

    meta = {"db_alias": ALIAS, "collection": "counters"}


class DailyStats(me.Document):
    """Sums per day and category (``_id`` ``<day>:<category>``) for stats and wait estimates."""

    key = me.StringField(primary_key=True)
    day = me.StringField(required=True)
    category = me.StringField(required=True)
    issued = me.IntField(default=0)
    called = me.IntField(default=0)
    served = me.IntField(default=0)
    no_shows = me.IntField(default=0)
    abandoned = me.IntField(default=0)
    wait_ms = me.LongField(default=0)
    waits_ms = me.ListField(me.LongField())  # each first call's wait, for the percentile (``day_counts``)
    service_ms = me.LongField(default=0)

    meta = {"db_alias": ALIAS, "collection": "daily_stats", "indexes": ["day"]}


class Appointment(me.Document):
    """A booked slot (预约); ``_id`` is the booking code the applicant shows at the kiosk."""

    code = me.StringField(primary_key=True)
    applicant_id = me.StringField(required=True)
    category = me.StringField(required=True)
    day = me.StringField(required=True)
    slot = me.StringField(required=True)
    state = me.StringField(required=True)  # booked, cancelled, checked_in, no_show
    starts_at = InstantField(required=True)
    checkin_closes_at = InstantField(required=True)
    booked_at = InstantField(required=True)
    ticket_id = me.StringField()

    # "day" alone: a day's no-shows (the board's counts) are asked by it, and the embedded store
    # uses an index of the one field a query names, not a compound's first.
    meta = {"db_alias": ALIAS, "collection": "appointments", "indexes": [("state", "checkin_closes_at"), "day"]}


class SlotLoad(me.Document):
    """Bookings held on one slot (``<category>:<day>:<HH:MM>``), raised only below capacity.

    The key does not start with the date: NX-27017 0.8.1 fails to find a string ``_id``
    that starts with an ISO date and goes on (``2026-11-27:A:09:00``)."""

    key = me.StringField(primary_key=True)
    booked = me.IntField(default=0)

    meta = {"db_alias": ALIAS, "collection": "slot_loads"}


class PersonDay(me.Document):
    """One booking per person and day: ``<applicant>:<day>`` -> the booking code."""

    key = me.StringField(primary_key=True)
    code = me.StringField(required=True)

    meta = {"db_alias": ALIAS, "collection": "person_days"}


class NoShowMonth(me.Document):
    """Appointment no-shows of one person in one month (``<applicant>:<YYYY-MM>``)."""

    key = me.StringField(primary_key=True)
    count = me.IntField(default=0)

    meta = {"db_alias": ALIAS, "collection": "no_show_months"}
