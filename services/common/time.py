"""The platform's notion of now: timezone-aware, UTC (storage is UTC; the hall's
calendar converts to Asia/Shanghai where days matter).

The platform clock: in demo and test mode an admin may move it forward so that
deadlines can be passed without waiting. ``utcnow()`` is the real time plus a
process-wide offset; every service process keeps the offset up to date from the
monitor's broadcast (``platform_service.PlatformClock``). The gateway never applies
it: it computes no deadline, and its tokens must expire in real time.
"""

from datetime import datetime, timedelta, timezone

_offset = timedelta(0)


def utcnow():
    return datetime.now(timezone.utc) + _offset


def clock_offset():
    return _offset


def set_clock_offset(offset):
    """Move this process's platform clock to real time + ``offset`` (a timedelta)."""
    global _offset
    _offset = offset


def isoformat(moment):
    """ISO 8601 in UTC; stored datetimes come back naive-UTC from some stores."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()
