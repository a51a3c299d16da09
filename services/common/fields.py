"""Document fields shared by the services.

Instants are stored as UTC epoch milliseconds (int64), not BSON dates: the embedded
store (NX-27017 0.8.1) writes a datetime given in an update (``$set``) back as a string,
which then neither compares nor sorts with the dates stored by inserts. Integers behave
the same on every store, index well, and keep ordering (see
docs/decisions/0003-instants-as-epoch-milliseconds.md).
"""

from datetime import datetime, timezone

import mongoengine as me


def to_millis(moment):
    if moment.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return round(moment.timestamp() * 1000)


def from_millis(millis):
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc)


class InstantField(me.LongField):
    """An aware datetime in Python, UTC epoch milliseconds in the store."""

    def to_python(self, value):
        if isinstance(value, int):
            return from_millis(value)
        return value

    def to_mongo(self, value):
        if isinstance(value, datetime):
            return to_millis(value)
        return value

    def prepare_query_value(self, op, value):
        return self.to_mongo(value)

    def validate(self, value):
        if not isinstance(value, datetime) or value.tzinfo is None:
            self.error("must be a timezone-aware datetime")
