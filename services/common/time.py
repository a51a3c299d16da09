"""The platform's notion of now: timezone-aware, UTC (storage is UTC; the hall's
calendar converts to Asia/Shanghai where days matter)."""
from datetime import datetime, timezone


def utcnow():
    return datetime.now(timezone.utc)


def isoformat(moment):
    """ISO 8601 in UTC; stored datetimes come back naive-UTC from some stores."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()
