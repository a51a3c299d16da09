"""The request id travels from the gateway's RPC client through nameko: into the worker
(``current_request_id``), on the RPC calls and events that worker makes, and into the JSON
log lines written while handling it."""

import io
import json
import logging

import eventlet
import pytest
from nameko.events import EventDispatcher, event_handler
from nameko.rpc import RpcProxy, rpc

from gateway.rpc import RpcClient
from services.common.json_logs import JsonFormatter
from services.common.tracing import RequestTracing, current_request_id

seen_by_listener = []


class WindowService:
    name = "trace_window"
    tracing = RequestTracing()
    dispatch = EventDispatcher()
    board = RpcProxy("trace_board")

    @rpc
    def call_next(self, window):
        logging.getLogger("trace_window").info("window %s calls", window)
        self.dispatch("ticket_called", {"window": window})
        return {"here": current_request_id(), "board": self.board.show(window)}


class BoardService:
    name = "trace_board"
    tracing = RequestTracing()

    @rpc
    def show(self, window):
        return current_request_id()

    @event_handler("trace_window", "ticket_called")
    def on_ticket_called(self, payload):
        seen_by_listener.append((payload["window"], current_request_id()))


@pytest.fixture
def services(container_factory, service_config):
    for service in (BoardService, WindowService):
        container_factory(service, service_config).start()


@pytest.fixture
def log_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(current_request_id, service="trace_window"))
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)  # setLevel, not assignment: loggers cache what their level allows
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(previous)


def test_the_request_id_reaches_the_worker_its_rpc_calls_its_events_and_its_log_lines(
    services, service_config, log_lines
):
    request_id = {"request_id": "req-7f3a-window-3"}
    client = RpcClient(service_config["AMQP_URI"], timeout=10, context_data=lambda: request_id)

    answer = client.call("trace_window", "call_next", 3)
    for _ in range(100):  # the event and the "handled" line (written after the reply) come a moment later
        if any(window == 3 for window, _ in seen_by_listener) and "handled in" in str(log_lines()):
            break
        eventlet.sleep(0.05)
    client.close()

    assert answer == {"here": "req-7f3a-window-3", "board": "req-7f3a-window-3"}
    assert (3, "req-7f3a-window-3") in seen_by_listener
    lines = [line for line in log_lines() if line.get("request_id") == "req-7f3a-window-3"]
    assert {"message": "window 3 calls", "logger": "trace_window", "service": "trace_window"}.items() <= next(
        line for line in lines if line["logger"] == "trace_window"
    ).items()
    assert any(line["message"].startswith("trace_window.call_next handled in") for line in lines)


def test_a_call_without_a_request_id_has_none_and_leaves_none_behind(services, service_config):
    client = RpcClient(service_config["AMQP_URI"], timeout=10)
    traced = RpcClient(service_config["AMQP_URI"], timeout=10, context_data=lambda: {"request_id": "req-earlier"})

    traced.call("trace_board", "show", 1)
    assert client.call("trace_window", "call_next", 4) == {"here": None, "board": None}
    client.close()
    traced.close()
