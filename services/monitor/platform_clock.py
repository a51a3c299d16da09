"""The platform clock's offset, kept by the monitor (see docs/architecture/supervision.md, "The
platform clock"): an admin moves it in demo and test mode so that deadlines can be
passed without waiting; production refuses. The monitor persists the offset, applies it
to its own process and broadcasts it to every other service process."""

from datetime import datetime, timedelta, timezone

from nameko.extensions import DependencyProvider

from services.common import time
from services.common.config import is_demo
from services.common.errors import Forbidden, InvalidInput
from services.monitor import models

MAX_OFFSET = timedelta(days=3650)


def read():
    setting = models.ClockSetting.objects(key="platform").first()
    return setting.offset_ms if setting else 0


def view(offset_ms=None):
    """The stored offset (the truth every process follows) and the platform's time now."""
    offset_ms = read() if offset_ms is None else offset_ms
    now = datetime.now(timezone.utc) + timedelta(milliseconds=offset_ms)
    return {"offset_ms": offset_ms, "now": time.isoformat(now)}


def move(settings, set_by, now, advance_seconds=None, offset_seconds=None):
    """Advance the clock by ``advance_seconds`` or set the offset to ``offset_seconds``
    (0 goes back to real time); returns the broadcast payload."""
    if not is_demo(settings):
        raise Forbidden("the platform clock can only be moved in demo mode")
    if (advance_seconds is None) == (offset_seconds is None):
        raise InvalidInput("give either advance_seconds or offset_seconds")
    if advance_seconds is not None:
        if advance_seconds <= 0:
            raise InvalidInput("the clock only moves forward", [{"field": "advance_seconds", "message": "> 0"}])
        offset = timedelta(milliseconds=read()) + timedelta(seconds=advance_seconds)
    else:
        if offset_seconds < 0:
            raise InvalidInput(
                "the clock cannot run behind real time", [{"field": "offset_seconds", "message": ">= 0"}]
            )
        offset = timedelta(seconds=offset_seconds)
    if offset > MAX_OFFSET:
        raise InvalidInput("the clock cannot be moved more than ten years ahead")
    offset_ms = int(offset.total_seconds() * 1000)
    models.ClockSetting.objects(key="platform").update_one(
        upsert=True, set__offset_ms=offset_ms, set__set_by=set_by, set__set_at=now
    )
    time.set_clock_offset(timedelta(milliseconds=offset_ms))
    return view(offset_ms)


class MonitorClock(DependencyProvider):
    """The monitor's own process takes the offset from its store at start-up (the other
    services ask the monitor)."""

    def start(self):
        if is_demo(self.container.config):
            time.set_clock_offset(timedelta(milliseconds=read()))

    def get_dependency(self, worker_ctx):
        return None
