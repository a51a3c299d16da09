"""The platform clock on the real broker: the monitor keeps the offset, broadcasts it to
every service process, hands it to a service that starts later, and production refuses
to move it."""

from contextlib import ExitStack, contextmanager
from datetime import timedelta

import mongoengine
import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.common import platform_service
from services.common import time as platform_time
from services.common.errors import Forbidden, InvalidInput
from services.monitor.service import MonitorService

DAY = 86400


class ClockProbe(platform_service.PlatformService):
    """Any service of the platform: it only has what PlatformService gives."""

    name = "clock_probe"


def set_clock(container, **kwargs):
    with entrypoint_hook(container, "set_clock") as set_clock:
        return set_clock("admin", **kwargs)


def test_an_advance_moves_utcnow_and_is_broadcast_to_every_service(container_factory, service_config, monitor):
    probe = container_factory(ClockProbe, service_config)
    probe.start()
    # Every service here shares one process's clock, the monitor's own broadcast handler
    # included: wait for each broadcast to be handled everywhere before reading it (a late
    # one of the first advance would otherwise set the clock back after the second).
    with broadcast_handled(probe, monitor):
        answer = set_clock(monitor, advance_seconds=2 * DAY)
    assert answer["offset_ms"] == 2 * DAY * 1000
    assert platform_time.clock_offset() == timedelta(days=2)

    with broadcast_handled(probe, monitor):
        set_clock(monitor, advance_seconds=DAY)
    assert platform_time.clock_offset() == timedelta(days=3)


@contextmanager
def broadcast_handled(*containers):
    with ExitStack() as stack:
        for container in containers:
            stack.enter_context(
                entrypoint_waiter(container, "on_clock_set", callback=lambda ctx, result, exc: exc is None)
            )
        yield


def test_a_service_that_starts_later_asks_the_monitor(container_factory, service_config, monitor):
    set_clock(monitor, offset_seconds=5 * DAY)
    platform_time.set_clock_offset(timedelta(0))  # as in another process that missed the broadcast
    container_factory(ClockProbe, service_config).start()
    _wait_for(lambda: platform_time.clock_offset() == timedelta(days=5))


def test_a_restarted_monitor_takes_the_offset_from_its_store(container_factory, service_config, monitor):
    set_clock(monitor, offset_seconds=DAY)
    monitor.stop()
    platform_time.set_clock_offset(timedelta(0))
    container_factory(MonitorService, service_config).start()
    assert platform_time.clock_offset() == timedelta(days=1)


def test_offset_zero_goes_back_to_real_time_and_the_clock_never_runs_backwards(monitor):
    set_clock(monitor, advance_seconds=DAY)
    assert set_clock(monitor, offset_seconds=0)["offset_ms"] == 0
    with pytest.raises(InvalidInput):
        set_clock(monitor, advance_seconds=-60)
    with pytest.raises(InvalidInput):
        set_clock(monitor, offset_seconds=-60)


@pytest.fixture
def production_connection():
    """A production monitor connects with production write settings; in this test process
    demo monitors ran before it and run after it, so its connection is its own."""
    mongoengine.disconnect("monitor")
    yield
    mongoengine.disconnect("monitor")


def test_production_refuses_to_move_the_clock(
    container_factory, service_config, clean_databases, real_time, production_connection
):
    production = container_factory(MonitorService, dict(service_config, APP_ENV="production"))
    production.start()
    with pytest.raises(Forbidden):
        set_clock(production, advance_seconds=DAY)
    assert platform_time.clock_offset() == timedelta(0)


def _wait_for(condition, timeout=10):
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the offset did not arrive"
        time.sleep(0.05)
