"""The queue service on the real broker and store, and its domain objects beside it."""

import pytest
from nameko.testing.services import entrypoint_hook

from services.common.workdays import load_hall_calendar
from services.queue import setup, tickets
from services.queue.service import QueueService
from tests.unit.paths import REPO_ROOT


@pytest.fixture
def config(service_config):
    return dict(
        service_config,
        QUEUE_SETUP_FILE=str(REPO_ROOT / "hall" / "queue.yaml"),
        HALL_CALENDAR_FILE=str(REPO_ROOT / "hall" / "calendar.yaml"),
    )


@pytest.fixture
def queue(container_factory, config, clean_databases):
    container = container_factory(QueueService, config)
    container.start()
    return container


@pytest.fixture
def desk(queue, config):
    """The domain objects on the container's connection, for steps with a chosen ``now``."""
    hall = setup.Hall(load_hall_calendar(config["HALL_CALENDAR_FILE"]))
    return tickets.Tickets(hall)


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)
