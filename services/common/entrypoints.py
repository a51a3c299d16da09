"""The entrypoints every service uses.

``rpc``: nameko's, with the platform's errors marked as expected, so a rule broken by a
caller is answered, not logged as a crash, and with replies sent without publisher
confirms. A reply goes to the caller's own temporary queue; waiting for the broker to
confirm it (a round trip on every call, nameko's default) protects nothing, because a reply
that is lost is answered by the caller's timeout either way (the gateway's client turns it
into 503/504), and the request itself was acknowledged only after the worker ran.

``AfterReplyEventDispatcher``: nameko's ``EventDispatcher``, except that the events of an RPC
worker are published after its reply is sent and before its request is acknowledged, so the
caller (a window pressing "call next") does not wait for the broker's confirm of an event only
other services consume. Events of other workers (event handlers, timers) go out at once. Not
for an outbox: ``dispatch`` returns before the event is published, so a service that marks an
event sent after dispatching it (intake, approval) keeps nameko's dispatcher.

``event_handler``: nameko's, except for what happens to an event whose handler failed.
nameko acknowledges it (the event is gone) unless told to requeue every failure, which
would redeliver an event that can never succeed forever. Here a failure because the store
could not be reached (a MongoDB primary election, a restart of the embedded store) puts the
event back to be handled again, and any other failure is acknowledged as before (nameko logs
it with the event). Handlers are idempotent, so a second delivery is safe.
"""
import logging

import eventlet
from nameko.amqp.publish import Publisher
from nameko.constants import (AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER,
                              LOGIN_METHOD_CONFIG_KEY, SERIALIZER_CONFIG_KEY)
from nameko.events import EventDispatcher, EventHandler
from nameko.rpc import Responder, Rpc, get_rpc_exchange
from pymongo.errors import ConnectionFailure

from .errors import HallError

log = logging.getLogger(__name__)


class ReplyPublisher(Publisher):
    use_confirms = False
    delivery_mode = 1  # transient: reply queues are not durable


class ReplyResponder(Responder):
    publisher_cls = ReplyPublisher


class HallRpc(Rpc):
    """nameko's RPC entrypoint, answering through ``ReplyResponder``, then publishing the
    events the worker dispatched. It shares nameko's consumer of the service's queue, so both
    kinds of entrypoint can sit in one service."""

    def handle_result(self, message, worker_ctx, result, exc_info):
        config = self.container.config
        responder = ReplyResponder(
            config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        result, exc_info = responder.send_response(result, exc_info)
        for provider in self.container.dependencies:
            if isinstance(provider, AfterReplyEventDispatcher):
                provider.publish_held(worker_ctx)
        self.rpc_consumer.queue_consumer.ack_message(message)
        return result, exc_info


class AfterReplyEventDispatcher(EventDispatcher):
    """Holds an RPC worker's events until ``HallRpc`` has sent the reply (see the module's
    docstring); a handler that fails after dispatching still has its events published."""

    def setup(self):
        super().setup()
        self._held = {}  # worker context -> [(event type, payload)]

    def get_dependency(self, worker_ctx):
        if not isinstance(worker_ctx.entrypoint, HallRpc):
            return super().get_dependency(worker_ctx)
        held = self._held.setdefault(worker_ctx, [])
        return lambda event_type, event_data: held.append((event_type, event_data))

    def publish_held(self, worker_ctx):
        """Publish the worker's events; one the broker refuses after nameko's retries is
        logged with its payload (the reply is already sent: nothing else can be told)."""
        held = self._held.pop(worker_ctx, ())
        dispatch = super().get_dependency(worker_ctx) if held else None  # nameko's own dispatch
        for event_type, event_data in held:
            try:
                dispatch(event_type, event_data)
            except Exception:
                log.exception("event %s of %s was not published: %r", event_type, worker_ctx, event_data)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        """Events still held (the worker was run by another caller of the entrypoint, such
        as nameko's ``entrypoint_hook``) go out when the worker ends."""
        self.publish_held(worker_ctx)


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
            log.warning("%s could not handle %s (%s): put back to be handled again",
                        self.method_name, self.event_type, exc_info[0].__name__)
            eventlet.sleep(REQUEUE_PAUSE_SECONDS)
            self.queue_consumer.requeue_message(message)
        else:
            super().handle_message_processed(message, result, exc_info)


event_handler = HallEventHandler.decorator
