"""The gateway's pika RPC client against real nameko services: results, remote errors,
a service that is not running, timeouts, a broker restart and a broker that stops answering."""

import os
import signal

import eventlet
import pytest
from nameko.rpc import rpc

from gateway.rpc import RemoteError, RpcClient, RpcTimeout, ServiceUnavailable
from services.common.entrypoints import rpc as hall_rpc
from services.common.errors import InvalidInput
from stack.broker import RabbitNode
from stack.ports import free_port


class EchoService:
    name = "rpc_echo"

    @rpc
    def echo(self, value, suffix=""):
        return {"value": value, "suffix": suffix}

    @hall_rpc
    def refuse(self):
        raise InvalidInput("the window is closed", [{"field": "window", "message": "closed"}])

    @rpc
    def slow(self, seconds):
        eventlet.sleep(seconds)
        return "late"


@pytest.fixture
def echo(container_factory, service_config):
    container = container_factory(EchoService, service_config)
    container.start()
    return container


@pytest.fixture
def client(service_config):
    client = RpcClient(service_config["AMQP_URI"], timeout=10)
    yield client
    client.close()


def test_a_call_returns_the_result_of_the_remote_method(echo, client):
    assert client.call("rpc_echo", "echo", "窗口3", suffix="!") == {"value": "窗口3", "suffix": "!"}


def test_a_remote_error_keeps_its_code_detail_and_field_errors(echo, client):
    with pytest.raises(RemoteError) as raised:
        client.call("rpc_echo", "refuse")
    assert raised.value.exc_type == "InvalidInput"
    assert raised.value.detail == "the window is closed"
    assert raised.value.errors == [{"field": "window", "message": "closed"}]


def test_a_bad_signature_comes_back_as_a_remote_error(echo, client):
    with pytest.raises(RemoteError) as raised:
        client.call("rpc_echo", "echo")
    assert raised.value.exc_type == "IncorrectSignature"


def test_a_service_that_is_not_running_fails_at_once_not_by_timeout(client):
    # With a 60 s timeout, only the broker's return of the unroutable message can end this call.
    with pytest.raises(ServiceUnavailable) as raised:
        client.call("no_such_service", "ping", timeout=60)
    assert "no_such_service" in str(raised.value)


def test_a_slow_service_times_out_and_the_late_reply_is_not_taken_for_the_next(echo, client):
    with pytest.raises(RpcTimeout):
        client.call("rpc_echo", "slow", 0.5, timeout=0.1)
    eventlet.sleep(0.6)  # the late reply arrives on the reply queue meanwhile
    assert client.call("rpc_echo", "echo", "next") == {"value": "next", "suffix": ""}


def test_calls_from_many_threads_each_get_their_own_answer(echo, client):
    threads = [eventlet.spawn(client.call, "rpc_echo", "echo", i) for i in range(20)]
    assert [t.wait()["value"] for t in threads] == list(range(20))


def test_a_cluster_uri_reaches_the_first_node_that_answers(container_factory, service_config):
    """``AMQP_URI`` naming a cluster's nodes (``;``-separated): a node that is down is skipped,
    by the service (kombu's failover) and by the gateway's client alike."""
    nodes = f"amqp://guest:guest@127.0.0.1:{free_port()}/;{service_config['AMQP_URI']}"
    container = container_factory(EchoService, dict(service_config, AMQP_URI=nodes))
    container.start()
    client = RpcClient(nodes, timeout=10)
    try:
        assert client.call("rpc_echo", "echo", "二号节点") == {"value": "二号节点", "suffix": ""}
    finally:
        client.close()


def test_the_client_reconnects_after_a_broker_restart(container_factory, service_config, tmp_path):
    node = RabbitNode(tmp_path / "rabbit", name="restart").start()
    container = container_factory(EchoService, dict(service_config, AMQP_URI=node.amqp_uri))
    try:
        container.start()
        client = RpcClient(node.amqp_uri, timeout=5)
        assert client.call("rpc_echo", "echo", 1)["value"] == 1
        node.stop()
        with pytest.raises(ServiceUnavailable):
            client.call("rpc_echo", "echo", 2)
        node.start()
        answer = None
        for _ in range(60):  # the service reconnects on its own schedule; the client on next use
            try:
                answer = client.call("rpc_echo", "echo", 3)
                break
            except (ServiceUnavailable, RpcTimeout):
                eventlet.sleep(0.5)
        assert answer == {"value": 3, "suffix": ""}
        client.close()
    finally:
        container.stop()  # while its broker still runs, or stopping waits for a reconnect
        node.stop()


def test_a_broker_that_stops_answering_ends_the_call_at_its_timeout(container_factory, service_config, tmp_path):
    """A paused broker (its host frozen, say) takes the request's bytes and answers nothing:
    the call still ends, at its timeout, and the client works again once the broker does."""
    node = RabbitNode(tmp_path / "rabbit", name="paused").start()
    container = container_factory(EchoService, dict(service_config, AMQP_URI=node.amqp_uri))
    client = RpcClient(node.amqp_uri, timeout=2)
    try:
        container.start()
        assert client.call("rpc_echo", "echo", 1)["value"] == 1
        os.killpg(node.process.pid, signal.SIGSTOP)
        try:
            with pytest.raises(RpcTimeout):
                client.call("rpc_echo", "echo", 2)
        finally:
            os.killpg(node.process.pid, signal.SIGCONT)
        assert client.call("rpc_echo", "echo", 3)["value"] == 3
    finally:
        client.close()
        container.stop()
        node.stop()
