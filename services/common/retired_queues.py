"""Queues of event handlers a release removed. nameko declares each handler's queue durable
and never deletes it, so once a handler is gone its queue keeps every event routed to it, for
ever. A service names the queues of its retired handlers and deletes them when it starts
(deleting a queue that is not there is no error). A rolling update keeps old replicas, and
their queues, beside the new ones for a while: docs/operations.md says what to do after it."""

from nameko.amqp.publish import get_connection
from nameko.constants import AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, LOGIN_METHOD_CONFIG_KEY
from nameko.extensions import DependencyProvider


def event_queue(event, service, method):
    """nameko's name for the queue of ``service.method`` handling ``event`` (a contract)."""
    return f"evt-{event.source}-{event.name}--{service}.{method}"


class RetiredQueues(DependencyProvider):
    """Deletes the named queues in ``setup()``; injects nothing."""

    def __init__(self, *names):
        self.names = names

    def setup(self):
        config = self.container.config
        with get_connection(
            config[AMQP_URI_CONFIG_KEY],
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        ) as connection:
            channel = connection.channel()
            try:
                for name in self.names:
                    channel.queue_delete(name)
            finally:
                channel.close()
