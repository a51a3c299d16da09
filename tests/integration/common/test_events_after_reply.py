"""Work left for after the reply, on the real broker: an RPC worker's events go out after
its reply and before its request is acknowledged; a handler that fails after leaving work
still has it done; work that fails is logged, and the reply stands; a read after
``settled()`` sees what the replies already sent left to write; a reply that cannot be sent
(the broker gone) leaves the service running."""

from typing import TypedDict

import eventlet
import pytest
from kombu.exceptions import OperationalError
from nameko.events import EventDispatcher

from gateway.rpc import RemoteError, RpcClient, RpcTimeout
from services.common.contracts.events import Event
from services.common.entrypoints import AfterReply, HallRpc, ReplyResponder, event_handler, rpc
from services.common.errors import InvalidInput
from tests.waiting import eventually


class Noted(TypedDict):
    n: int


NOTED = Event("test_after_reply", "noted", Noted)


class Announcer:
    name = "test_after_reply"
    dispatch = EventDispatcher()
    later = AfterReply()
    written = []

    @rpc
    def announce(self, n):
        self.later(self.dispatch, *NOTED.event(n=n))
        return n

    @rpc
    def announce_then_refuse(self, n):
        self.later(self.dispatch, *NOTED.event(n=n))
        raise InvalidInput(f"{n} is refused after it was noted")

    @rpc
    def write(self, n):
        self.later(slow_write, Announcer.written, n)
        return n

    @rpc
    def read(self, settle=True):
        if settle:
            self.later.settled()
        return list(Announcer.written)


def slow_write(written, n):
    """A write that takes a while, as a store's round trip does."""
    eventlet.sleep(0.2)
    written.append(n)


class Listener:
    name = "test_after_reply_listener"
    noted = []

    @event_handler(NOTED)
    def on_noted(self, payload):
        Listener.noted.append(payload["n"])


@pytest.fixture
def announcer(container_factory, service_config, start_listener):
    Listener.noted, Announcer.written = [], []
    start_listener(Listener)
    container = container_factory(Announcer, service_config)
    container.start()
    return container


@pytest.fixture
def client(service_config):
    return RpcClient(service_config["AMQP_URI"], timeout=10)


def dispatcher_of(container):
    return next(d for d in container.dependencies if isinstance(d, EventDispatcher))


def test_the_reply_goes_out_before_the_event_and_the_request_is_acknowledged_last(announcer, client, monkeypatch):
    steps = []
    send_response, publisher = ReplyResponder.send_response, dispatcher_of(announcer).publisher
    publish = publisher.publish
    queue_consumer = next(e for e in announcer.entrypoints if isinstance(e, HallRpc)).rpc_consumer.queue_consumer
    ack = queue_consumer.ack_message
    monkeypatch.setattr(
        ReplyResponder, "send_response", lambda self, *args: steps.append("reply") or send_response(self, *args)
    )
    monkeypatch.setattr(publisher, "publish", lambda *args, **kwargs: steps.append("event") or publish(*args, **kwargs))
    monkeypatch.setattr(queue_consumer, "ack_message", lambda message: steps.append("ack") or ack(message))
    assert client.call("test_after_reply", "announce", 7) == 7
    eventually(lambda: Listener.noted == [7], "the event")
    assert steps == ["reply", "event", "ack"]


def test_a_handler_that_fails_after_dispatching_still_announces_what_it_did(announcer, client):
    with pytest.raises(RemoteError) as refused:
        client.call("test_after_reply", "announce_then_refuse", 8)
    assert refused.value.exc_type == "InvalidInput"
    eventually(lambda: Listener.noted == [8], "the event of the refused call")


def test_work_that_fails_is_logged_and_the_reply_stands(announcer, client, monkeypatch, caplog):
    publisher = dispatcher_of(announcer).publisher
    publish = publisher.publish

    def refuse_once(payload, **kwargs):
        if payload == {"n": 9}:
            raise ConnectionError("the broker went away")
        return publish(payload, **kwargs)

    monkeypatch.setattr(publisher, "publish", refuse_once)
    assert client.call("test_after_reply", "announce", 9) == 9
    assert client.call("test_after_reply", "announce", 10) == 10  # the service answers on
    eventually(lambda: Listener.noted == [10], "the next event")
    assert "dispatch after the reply of" in caplog.text and "{'n': 9}" in caplog.text


def test_a_read_after_settled_sees_what_replies_already_sent_left_to_write(announcer, client):
    assert client.call("test_after_reply", "write", 1) == 1  # answered before its write is done
    assert client.call("test_after_reply", "read", settle=False) == []
    eventually(lambda: Announcer.written == [1], "the first write")
    assert client.call("test_after_reply", "write", 2) == 2
    assert client.call("test_after_reply", "read") == [1, 2]


def test_a_reply_the_broker_cannot_take_leaves_the_service_running(announcer, client, monkeypatch, caplog):
    send_response = ReplyResponder.send_response

    def broker_gone_for_eleven(self, result, exc_info):
        if result == 11:
            raise OperationalError("[Errno 111] ECONNREFUSED")
        return send_response(self, result, exc_info)

    monkeypatch.setattr(ReplyResponder, "send_response", broker_gone_for_eleven)
    with pytest.raises(RpcTimeout):
        client.call("test_after_reply", "announce", 11, timeout=1)
    assert client.call("test_after_reply", "announce", 12) == 12
    assert not announcer._died.ready()
    eventually(lambda: Listener.noted == [11, 12], "the events of both calls")
    assert "the reply of" in caplog.text and "was not sent" in caplog.text
