"""The pending-timer index: which instances wait for a timer, and when the earliest is due.

The scheduler reads only this small collection (one document per waiting instance, keyed
by case number), never the instances themselves: on the embedded store a filtered, sorted
query scans, so the collection it runs on must stay small. Writes use the raw collection
for the atomic operators (`$min`, guarded upserts) mongoengine does not offer.
"""

import math

from pymongo.errors import DuplicateKeyError

from services.approval import models
from services.common.db import collection_of
from services.common.fields import from_millis

BATCH = 50


def _collection():
    return collection_of(models.PendingTimer)


def _millis(moment):
    """Rounded *up*: the scheduler never wakes before the engine's own due time."""
    return math.floor(moment.timestamp() * 1000) + 1


def expect(case_no, due_at):
    """Before saving an instance that will wait for a timer: make sure the index is not later
    than ``due_at`` (a crash after this leaves an early entry, which the scheduler settles)."""
    if due_at is not None:
        _collection().update_one(
            {"_id": case_no}, {"$min": {"due_at": _millis(due_at)}, "$setOnInsert": {"rev": 0}}, upsert=True
        )


def settle(case_no, due_at, rev):
    """After saving revision ``rev``: the index says exactly what the instance says, unless
    a newer revision has already written it."""
    if due_at is None:
        _collection().delete_one({"_id": case_no, "rev": {"$lte": rev}})
        return
    try:
        _collection().update_one(
            {"_id": case_no, "rev": {"$lte": rev}}, {"$set": {"due_at": _millis(due_at), "rev": rev}}, upsert=True
        )
    except DuplicateKeyError:
        pass  # a newer revision's entry is there: it wins


def postpone(case_no, due_at):
    """Move an entry whose timer could not fire (see the scheduler) to ``due_at``."""
    _collection().update_one({"_id": case_no}, {"$set": {"due_at": _millis(due_at)}})


def forget(case_no):
    _collection().delete_one({"_id": case_no})


def due_cases(now, limit=BATCH):
    """Case numbers whose timer is due at ``now``, earliest first."""
    found = _collection().find(
        {"due_at": {"$lte": math.floor(now.timestamp() * 1000)}}, {"_id": 1}, sort=[("due_at", 1)], limit=limit
    )
    return [entry["_id"] for entry in found]


def earliest():
    """When the earliest pending timer is due, or None."""
    entry = _collection().find_one({}, {"due_at": 1}, sort=[("due_at", 1)])
    return from_millis(entry["due_at"]) if entry else None
