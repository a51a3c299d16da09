"""How a service's link to the broker comes back after the broker restarts.

nameko's consumer (``QueueConsumer``, shared by the RPC and event entrypoints and the RPC
proxies' reply listener) reconnects through kombu's ``ensure_connection`` with kombu's
default pauses: 2 s, then 4, 6, … up to 30 s between attempts. A broker back after 16 s
then waited up to 8 s more for each service, and the hall stayed unready for that long.
nameko has no setting for these pauses, so ``reconnect_promptly()`` (called by the runner
before the service starts) makes its consumer try again every ``RECONNECT_SECONDS``: an
attempt is one refused TCP connect while the broker is down, cheap for a local broker and a
cluster alike.
"""

from contextlib import contextmanager

from nameko.messaging import QueueConsumer

RECONNECT_SECONDS = 0.5


@contextmanager
def _establish_connection(consumer):
    with consumer.create_connection() as connection:
        connection.ensure_connection(
            consumer.on_connection_error,
            consumer.connect_max_retries,
            interval_start=RECONNECT_SECONDS,
            interval_step=0,
            interval_max=RECONNECT_SECONDS,
        )
        yield connection


def reconnect_promptly():
    """Every nameko consumer of this process retries the broker every ``RECONNECT_SECONDS``."""
    QueueConsumer.establish_connection = _establish_connection
