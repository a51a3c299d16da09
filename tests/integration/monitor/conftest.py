"""Fixtures for the monitor on the real broker and store: a monitor container, events
dispatched as the other services would, and the platform clock put back afterwards."""

import uuid
from datetime import timedelta

import pytest
from nameko.standalone.events import event_dispatcher

from services.common import time as platform_time
from services.monitor.service import MonitorService


@pytest.fixture
def real_time():
    platform_time.set_clock_offset(timedelta(0))
    yield
    platform_time.set_clock_offset(timedelta(0))


@pytest.fixture
def monitor(container_factory, service_config, clean_databases, real_time):
    container = container_factory(MonitorService, service_config)
    container.start()
    return container


@pytest.fixture
def publish(service_config):
    """``publish("approval", "case_accepted", payload)`` on the real broker."""
    dispatch = event_dispatcher(service_config)
    return lambda source, event_type, payload: dispatch(source, event_type, payload)


@pytest.fixture
def case_no():
    return "2026" + uuid.uuid4().int.__str__()[:10]
