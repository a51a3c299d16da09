"""A small pika client that speaks nameko's RPC wire format, for the gateway.

Wire format (nameko 2.14): publish to the topic exchange ``nameko-rpc`` with routing key
``<service>.<method>``, body ``{"args": [...], "kwargs": {...}}``,
``content_type=application/json``, ``reply_to`` and ``correlation_id``. The reply comes
back through the same exchange with routing key = ``reply_to``, body
``{"result": ..., "error": null | {"exc_type", "exc_path", "exc_args", "value"}}``.

Why it looks like this:
- ``mandatory=True``: a call to a service that has no queue is returned by the broker at once
  (503), instead of waiting for the timeout. The return arrives while the call waits for its
  reply; there are no publisher confirms, because waiting for one has no time limit in pika's
  blocking connection: a broker that stops answering (paused, or its host gone without a
  word) would hang the request. Every wait is bounded by the call's timeout (503 with
  Retry-After, as for any outage: ``RpcTimeout`` is a ``ServiceUnavailable``);
- the reply queue is exclusive but not auto-delete (an auto-delete queue vanishes when
  its consumer is cancelled between calls), bound to ``nameko-rpc`` under its own name;
- a pika connection is not thread-safe, so each thread gets its own link;
- a connection found broken while publishing is dropped and the call is published once
  more on a fresh one. If the broker had taken the first copy just before failing, a
  service may see the call twice: entrypoints that change state are idempotent or refuse
  the repeat (idempotency keys, 409 on a completed task);
- requests are transient (delivery mode 1): a request cannot outlive its caller's
  exclusive reply queue anyway, so the broker need not write it to disk.
"""

import json
import threading
import time
import uuid

import pika
from pika.exceptions import AMQPError

from services.common.contracts.rpc import SERVICES

RPC_EXCHANGE = "nameko-rpc"
CONTEXT_HEADER_PREFIX = "nameko"  # nameko.constants.HEADER_PREFIX


class RpcError(Exception):
    """Base of what a call can raise besides a remote error."""


class ServiceUnavailable(RpcError):
    """The service cannot be reached for a moment. ``in_flight``: the call had been sent, so
    the service may still carry it out (a restarted instance gets the unacknowledged request
    back from the broker)."""

    def __init__(self, service, reason, in_flight=False):
        super().__init__(f"service {service!r} is unavailable: {reason}")
        self.service, self.in_flight = service, in_flight


class RpcTimeout(ServiceUnavailable):
    """No answer within the call's timeout: when it ends, the gateway cannot tell a service
    that was killed (and whose successor will do the call) from a slow one, so it is an
    outage like the others, with the call possibly still carried out."""

    def __init__(self, service, method, timeout):
        super().__init__(service, f"{service}.{method} did not answer within {timeout:g} s", in_flight=True)


class RemoteError(RpcError):
    """An exception raised inside the service, as nameko serialized it."""

    def __init__(self, service, error):
        self.service = service
        self.exc_type = error.get("exc_type")
        self.exc_args = error.get("exc_args") or []
        self.value = error.get("value")
        super().__init__(f"{service}: {self.exc_type}: {self.value}")

    @property
    def detail(self):
        return self.exc_args[0] if self.exc_args and isinstance(self.exc_args[0], str) else self.value

    @property
    def errors(self):
        return self.exc_args[1] if len(self.exc_args) > 1 and isinstance(self.exc_args[1], list) else []


DEAD_PEER_DETECTION = {"TCP_KEEPIDLE": 30, "TCP_KEEPINTVL": 10, "TCP_KEEPCNT": 3, "TCP_USER_TIMEOUT": 20_000}
RETURNED = object()  # the broker could not route the call: no instance of the service listens


def broker_parameters(amqp_uri):
    """The connection parameters of each node in ``AMQP_URI``: one URI, or the nodes of a
    cluster separated by ``;`` (kombu's failover list, which the services read as it is).
    pika connects to the first node that answers, in the order given."""
    return [pika.URLParameters(uri.strip()) for uri in amqp_uri.split(";") if uri.strip()]


class _Link:
    """One connection, channel and reply queue, used by one thread only."""

    def __init__(self, parameters):
        self.connection = pika.BlockingConnection(parameters)
        self.channel = self.connection.channel()
        self.channel.add_on_return_callback(self._on_return)
        self.channel.exchange_declare(RPC_EXCHANGE, exchange_type="topic", durable=True)
        self.reply_to = f"rpc.reply-gateway-{uuid.uuid4()}"
        self.channel.queue_declare(self.reply_to, exclusive=True, auto_delete=False)
        self.channel.queue_bind(self.reply_to, RPC_EXCHANGE, routing_key=self.reply_to)
        self.replies = {}
        self.channel.basic_consume(self.reply_to, self._on_reply, auto_ack=True)

    def _on_reply(self, channel, method, properties, body):
        self.replies[properties.correlation_id] = body

    def _on_return(self, channel, method, properties, body):
        self.replies[properties.correlation_id] = RETURNED

    def publish(self, service, method, body, correlation_id, headers):
        self.replies.clear()  # replies to earlier, timed-out calls are of no use
        self.channel.basic_publish(
            RPC_EXCHANGE,
            f"{service}.{method}",
            body,
            properties=pika.BasicProperties(
                reply_to=self.reply_to,
                correlation_id=correlation_id,
                content_type="application/json",
                delivery_mode=1,
                headers=headers,
            ),
            mandatory=True,
        )

    def wait(self, correlation_id, deadline):
        while correlation_id not in self.replies:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.connection.process_data_events(time_limit=min(remaining, 1.0))
        return self.replies.pop(correlation_id)

    def close(self):
        try:
            self.connection.close()
        except AMQPError:
            pass


class RpcClient:
    """``client.call("intake", "submit_case", application, idempotency=key)``; the gateway's
    handlers call through ``Services``.

    ``context_data()`` answers what each call carries as nameko context data (e.g. the
    request id): AMQP headers ``nameko.<key>``, which the service's worker sees as
    ``worker_ctx.data`` and passes on to the calls and events it makes."""

    def __init__(self, amqp_uri, timeout=10.0, context_data=dict):
        self.parameters = broker_parameters(amqp_uri)
        for parameters in self.parameters:
            # A blocking connection only answers heartbeats while it is in use; an idle
            # gateway thread would be dropped by the broker. Broken links are detected on
            # use and replaced instead.
            parameters.heartbeat = 0
            parameters.blocked_connection_timeout = 5
            # Without heartbeats, a broker whose host vanished without a word is found by TCP:
            # keepalive probes on an idle link, and a request the peer never acknowledges fails the
            # link after TCP_USER_TIMEOUT (ms), so the next call connects afresh.
            parameters.tcp_options = DEAD_PEER_DETECTION
        self.timeout = timeout
        self.context_data = context_data
        self._local = threading.local()

    def _link(self):
        link = getattr(self._local, "link", None)
        if link is None or not link.connection.is_open:
            link = self._local.link = _Link(self.parameters)
        return link

    def _drop_link(self):
        link = getattr(self._local, "link", None)
        self._local.link = None
        if link is not None:
            link.close()

    def call(self, service, method, *args, timeout=None, **kwargs):
        timeout = self.timeout if timeout is None else timeout
        body = json.dumps({"args": args, "kwargs": kwargs}).encode("utf-8")
        correlation_id = str(uuid.uuid4())
        headers = {f"{CONTEXT_HEADER_PREFIX}.{key}": value for key, value in self.context_data().items() if value}
        for attempt in (1, 2):
            try:
                link = self._link()
                link.publish(service, method, body, correlation_id, headers)
                break
            except (AMQPError, OSError) as exc:
                self._drop_link()
                if attempt == 2:
                    raise ServiceUnavailable(service, f"cannot reach the broker ({exc.__class__.__name__})") from None
        try:
            reply = link.wait(correlation_id, time.monotonic() + timeout)
        except (AMQPError, OSError) as exc:
            self._drop_link()
            raise ServiceUnavailable(
                service, f"lost the broker while waiting ({exc.__class__.__name__})", in_flight=True
            ) from None
        if reply is None:
            raise RpcTimeout(service, method, timeout)
        if reply is RETURNED:
            raise ServiceUnavailable(service, "no instance of it is running")
        message = json.loads(reply)
        if message.get("error"):
            raise RemoteError(service, message["error"])
        return message.get("result")

    def close(self):
        self._drop_link()


class Services:
    """The services as the gateway calls them, through their contracts
    (``services.common.contracts.rpc``): ``Services(client).intake.submit_case(application,
    idempotency=key)``. A method without a contract is an AttributeError, arguments that do
    not fit it a TypeError, both before anything is sent."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, service):
        if service not in SERVICES:
            raise AttributeError(f"no RPC contract for the service {service!r}")
        return _Service(self._client, SERVICES[service])


class _Service:
    def __init__(self, client, contract):
        self._client, self._contract = client, contract

    def __getattr__(self, method):
        contract = getattr(self._contract, method)

        def call(*args, timeout=None, **kwargs):
            contract.check(args, kwargs)
            return self._client.call(contract.service, contract.name, *args, timeout=timeout, **kwargs)

        return call
