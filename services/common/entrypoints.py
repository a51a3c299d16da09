"""The entrypoints every service uses.

``rpc``: nameko's, with the platform's errors marked as expected, so a rule broken by a
caller is answered, not logged as a crash, and with replies sent without publisher
confirms. A reply goes to the caller's own temporary queue; waiting for the broker to
confirm it (a round trip on every call, nameko's default) protects nothing, because a reply
that is lost is answered by the caller's timeout either way (the gateway's client turns it
into a 503), and the request itself was acknowledged only after the worker ran. A reply
that cannot be sent because the broker is gone (nameko's publisher gives up after its retries)
is logged and dropped: nameko would let the error end the worker's thread, and the container
with it, so a broker restart during a call stopped the whole service.

``AfterReply``: work an RPC worker leaves for after its reply (``later(fn, *args, **kwargs)``), run
after the reply is sent and before the request is acknowledged, so the caller (a window
pressing "call next") waits neither for the broker's confirm of an event only other services
consume nor for a write nobody reads at once (the queue's day counts). Work of other workers
(event handlers, timers) runs at once. Reads of what such work writes call ``later.settled()``
first. With an outbox, hand ``later`` the dispatch and the marking together (the approval's
completion does): ``later`` returns before the work is done, so nothing may be marked sent
before it runs; a replica that stops in between leaves the events to its outbox's sweep.

``event_handler(contract)``: nameko's, for the event a contract of
``services.common.contracts.events`` names, the method handed the payload as the contract
parses it; and with another answer to a handler's failure. nameko acknowledges the event (it
is gone) unless told to requeue every failure, which would redeliver an event that can never
succeed forever. Here a failure because the store could not be reached (a MongoDB primary
election, a restart of the embedded store) puts the event back to be handled again, and any
other failure is acknowledged as before (nameko logs it with the event). Handlers are
idempotent, so a second delivery is safe.
"""

import functools
import logging

import eventlet
from amqp.exceptions import AMQPError
from eventlet.event import Event
from kombu.exceptions import OperationalError
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Responder, Rpc, get_rpc_exchange
from pymongo.errors import ConnectionFailure

from .errors import HallError

log = logging.getLogger(__name__)


# What publishing a reply raises when the broker is gone: kombu's error once its retries are
# spent, the AMQP client's and the socket's before it.
REPLY_FAILURES = (OperationalError, AMQPError, OSError)


class ReplyPublisher(Publisher):
    use_confirms = False
    delivery_mode = 1  # transient: reply queues are not durable


class ReplyResponder(Responder):
    publisher_cls = ReplyPublisher


class HallRpc(Rpc):
    """nameko's RPC entrypoint, answering through ``ReplyResponder``, then running the work
    the worker left for after its reply. It shares nameko's consumer of the service's queue,
    so both kinds of entrypoint can sit in one service."""

    def handle_result(self, message, worker_ctx, result, exc_info):
        config = self.container.config
        responder = ReplyResponder(
            config[AMQP_URI_CONFIG_KEY],
            get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        try:
            result, exc_info = responder.send_response(result, exc_info)
        except REPLY_FAILURES as exc:
            log.warning(
                "the reply of %s was not sent, the broker is out of reach (%s): the caller's timeout answers it",
                worker_ctx,
                exc,
            )
        finally:  # what the worker did stands, answered or not: its events and counts too
            for provider in self.container.dependencies:
                if isinstance(provider, AfterReply):
                    provider.run_held(worker_ctx)
        self.rpc_consumer.queue_consumer.ack_message(message)
        return result, exc_info


class AfterReply(DependencyProvider):
    """Holds an RPC worker's ``later(fn, *args, **kwargs)`` until ``HallRpc`` has sent the
    reply (see the module's docstring); a handler that fails after leaving work still has it
    done."""

    def setup(self):
        self._held = {}  # worker context -> [(fn, args, kwargs)]
        self._done = {}  # worker context -> sent once its held work is done

    def get_dependency(self, worker_ctx):
        return _Later(self, worker_ctx, at_once=not isinstance(worker_ctx.entrypoint, HallRpc))

    def hold(self, worker_ctx, fn, args, kwargs):
        self._held.setdefault(worker_ctx, []).append((fn, args, kwargs))
        self._done.setdefault(worker_ctx, Event())

    def run_held(self, worker_ctx):
        """Do the worker's held work in order; work that fails is logged with its arguments
        (the reply is already sent: nothing else can be told) and the rest still runs."""
        try:
            for fn, args, kwargs in self._held.pop(worker_ctx, ()):
                try:
                    fn(*args, **kwargs)
                except Exception:
                    log.exception(
                        "%s after the reply of %s failed: %r %r", getattr(fn, "__name__", fn), worker_ctx, args, kwargs
                    )
        finally:
            done = self._done.pop(worker_ctx, None)
            if done is not None:
                done.send()

    def settled(self, worker_ctx):
        """Wait until the work other workers hold now is done (theirs only: new workers are
        not waited for, so a busy service does not keep a reader waiting)."""
        for other, done in [*self._done.items()]:
            if other is not worker_ctx:
                done.wait()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        """Work still held (the worker was run by another caller of the entrypoint, such as
        nameko's ``entrypoint_hook``) runs when the worker ends."""
        self.run_held(worker_ctx)


class _Later:
    """What a worker gets: ``later(fn, *args, **kwargs)``, and ``later.settled()`` to call
    before reading what work left for after this replica's replies writes (read-your-writes
    in a replica)."""

    def __init__(self, provider, worker_ctx, at_once):
        self._provider, self._worker_ctx, self._at_once = provider, worker_ctx, at_once

    def __call__(self, fn, *args, **kwargs):
        if self._at_once:
            fn(*args, **kwargs)
        else:
            self._provider.hold(self._worker_ctx, fn, args, kwargs)

    def settled(self):
        self._provider.settled(self._worker_ctx)


rpc = HallRpc.decorator(expected_exceptions=HallError)

# Failures that pass: the store was unreachable or lost the connection (AutoReconnect,
# NetworkTimeout and ServerSelectionTimeoutError are ConnectionFailures).
PASSING_FAILURES = (ConnectionFailure,)


# How long a failed event waits before it goes back: a failure that comes back at once
# (a timeout on one heavy query, say) then costs a log line a second, not a busy loop.
REQUEUE_PAUSE_SECONDS = 1.0


class HallEventHandler(EventHandler):
    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is not None and issubclass(exc_info[0], PASSING_FAILURES):
            log.warning(
                "%s could not handle %s (%s): put back to be handled again",
                self.method_name,
                self.event_type,
                exc_info[0].__name__,
            )
            eventlet.sleep(REQUEUE_PAUSE_SECONDS)
            self.queue_consumer.requeue_message(message)
        else:
            super().handle_message_processed(message, result, exc_info)


def event_handler(contract, **options):
    """``@event_handler(events.CASE_SUBMITTED)``: the payload reaches the method parsed, in the
    worker, so a payload that breaks the contract fails the handler (logged, acknowledged)."""

    def decorate(method):
        @functools.wraps(method)
        def handle(self, payload):
            return method(self, contract.parse(payload))

        return HallEventHandler.decorator(contract.source, contract.name, **options)(handle)

    return decorate
