"""The queue's event dispatcher on the real broker: an RPC worker's events go out after its
reply and before its request is acknowledged; a handler that fails after dispatching still
announces what it did; an event the broker refuses is logged, and the reply stands."""
import pytest

from gateway.rpc import RemoteError, RpcClient
from services.common.entrypoints import AfterReplyEventDispatcher, HallRpc, ReplyResponder, event_handler, rpc
from services.common.errors import InvalidInput
from tests.waiting import eventually


class Announcer:
    name = "test_after_reply"
    dispatch = AfterReplyEventDispatcher()

    @rpc
    def announce(self, n):
        self.dispatch("noted", {"n": n})
        return n

    @rpc
    def announce_then_refuse(self, n):
        self.dispatch("noted", {"n": n})
        raise InvalidInput(f"{n} is refused after it was noted")


class Listener:
    name = "test_after_reply_listener"
    noted = []

    @event_handler("test_after_reply", "noted")
    def on_noted(self, payload):
        Listener.noted.append(payload["n"])


@pytest.fixture
def announcer(container_factory, service_config, start_listener):
    Listener.noted = []
    start_listener(Listener)
    container = container_factory(Announcer, service_config)
    container.start()
    return container


@pytest.fixture
def client(service_config):
    return RpcClient(service_config["AMQP_URI"], timeout=10)


def dispatcher_of(container):
    return next(d for d in container.dependencies if isinstance(d, AfterReplyEventDispatcher))


def test_the_reply_goes_out_before_the_event_and_the_request_is_acknowledged_last(
        announcer, client, monkeypatch):
    steps = []
    send_response, publisher = ReplyResponder.send_response, dispatcher_of(announcer).publisher
    publish = publisher.publish
    queue_consumer = next(e for e in announcer.entrypoints if isinstance(e, HallRpc)).rpc_consumer.queue_consumer
    ack = queue_consumer.ack_message
    monkeypatch.setattr(ReplyResponder, "send_response",
                        lambda self, *args: steps.append("reply") or send_response(self, *args))
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


def test_an_event_the_broker_refuses_is_logged_and_the_reply_stands(announcer, client, monkeypatch, caplog):
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
    assert "event noted of" in caplog.text and "{'n': 9}" in caplog.text
