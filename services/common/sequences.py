"""Numbers issued per hall day (case numbers, complaint numbers, ticket numbers, payment
notices, receipts and refunds): one counter document per key, ``{"_id": key, "last": n}``,
incremented by one ``findAndModify`` that creates it on a key's first number.

Relied on, and checked against the store in tests/integration/common/test_sequences.py: an
upsert's ``$inc`` applies when it inserts (the first number is 1), and concurrent callers never
get the same number. Two first callers of a key may both try the insert; MongoDB retries such
an upsert itself, and the one retry here covers a store that answers it as a duplicate key.
"""

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.common.db import collection_of
from services.common.workdays import shanghai_day


def next_in_sequence(model, key):
    """The next number (1, 2, …) of counter ``key`` kept in ``model``'s collection."""
    counters = collection_of(model)
    for attempt in (1, 2):
        try:
            return counters.find_one_and_update(
                {"_id": key},
                {"$inc": {"last": 1}},
                projection={"last": 1},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )["last"]
        except DuplicateKeyError:
            if attempt == 2:
                raise


def compact_day(day):
    """A date as ``YYYYMMDD`` with four digits of year (``strftime`` drops the zeros of years
    before 1000, and the day would not read back)."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def hall_day(now):
    """The hall's calendar day (Asia/Shanghai) of the instant ``now`` as ``YYYYMMDD``: the
    form numbers and counter keys carry."""
    return compact_day(shanghai_day(now))
