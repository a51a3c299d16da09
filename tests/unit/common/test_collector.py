"""Each platform process freezes its start-up objects before it serves, so that the cycle
collector's full passes do not walk them (services.common.collector)."""

import gc
from types import SimpleNamespace

import pytest

from services.common import collector, runner


@pytest.fixture(autouse=True)
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def is_walked(thing):
    """Whether the collector's generations hold ``thing`` (frozen objects are in none)."""
    return any(candidate is thing for candidate in gc.get_objects())


class Node:
    def __init__(self):
        self.me = self  # a cycle: only the cycle collector frees it


def test_objects_alive_at_start_up_leave_the_collectors_walks_and_later_ones_do_not():
    before = Node()
    assert is_walked(before)
    collector.freeze_start_up_objects()
    after = Node()
    assert not is_walked(before)
    assert is_walked(after)
    assert gc.get_freeze_count() > 0


def test_garbage_made_before_start_up_ends_is_collected_not_frozen():
    dropped = Node()
    marker = type(dropped)
    del dropped
    collector.freeze_start_up_objects()
    assert not any(type(thing) is marker for thing in gc.get_objects())
    gc.unfreeze()
    assert not any(type(thing) is marker for thing in gc.get_objects())


def test_a_service_process_freezes_after_importing_its_service_and_before_it_runs(monkeypatch):
    seen = {}

    def run(services, config):
        [seen["service"]] = services
        seen["walked"] = is_walked(seen["service"])

    monkeypatch.setattr(runner, "run", run)
    monkeypatch.setattr(runner.json_logs, "configure", lambda *args, **fields: None)
    runner.main(["services.queue.service"])
    assert seen["service"].name == "queue"
    assert seen["walked"] is False


def test_the_gateway_worker_freezes_once_its_app_is_loaded_and_sends_the_staff_roster(monkeypatch):
    from gateway import gunicorn_settings

    sent = []
    monkeypatch.setattr(gunicorn_settings, "send_complete_in_background", sent.append)
    assert gc.get_freeze_count() == 0
    gunicorn_settings.post_worker_init(worker=SimpleNamespace(wsgi="the app"))
    assert gc.get_freeze_count() > 0 and sent == ["the app"]
