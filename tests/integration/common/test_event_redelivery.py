"""The platform's event handler on the real broker: an event whose handler could not reach the
store is handled again; one whose handler failed on the event itself is not redelivered forever."""

from typing import TypedDict

import pytest
from nameko.standalone.events import event_dispatcher
from pymongo.errors import AutoReconnect

from services.common.contracts.events import Event
from services.common.entrypoints import event_handler
from tests.waiting import eventually


class Thing(TypedDict):
    n: int


THING_HAPPENED = Event("test_source", "thing_happened", Thing)


class Recorder:
    """Stands in for a service whose store has a moment of absence."""

    name = "test_redelivery_listener"
    attempts = []
    handled = []

    @event_handler(THING_HAPPENED)
    def on_thing(self, payload):
        Recorder.attempts.append(payload["n"])
        if payload["n"] == 1 and Recorder.attempts.count(1) == 1:
            raise AutoReconnect("the store is electing a primary")
        if payload["n"] == 2:
            raise ValueError("this event can never be handled")
        Recorder.handled.append(payload["n"])


@pytest.fixture
def recorder(start_listener):
    Recorder.attempts, Recorder.handled = [], []
    return start_listener(Recorder)


def test_an_event_the_store_could_not_take_is_handled_again(recorder, service_config):
    event_dispatcher(service_config)("test_source", "thing_happened", {"n": 1})
    eventually(lambda: Recorder.handled == [1], "the event handled on its second delivery")
    assert Recorder.attempts == [1, 1]


def test_an_event_that_fails_on_itself_is_not_delivered_again(recorder, service_config):
    dispatch = event_dispatcher(service_config)
    dispatch("test_source", "thing_happened", {"n": 2})
    eventually(lambda: 2 in Recorder.attempts, "the failing event's first delivery")
    dispatch("test_source", "thing_happened", {"n": 3})
    eventually(lambda: Recorder.handled == [3], "the next event")
    assert Recorder.attempts.count(2) == 1
