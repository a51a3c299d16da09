"""The entrypoints every service uses.

``rpc``: nameko's, with the platform's errors marked as expected, so a rule broken by a
caller is answered, not logged as a crash.

``event_handler``: nameko's, except for what happens to an event whose handler failed.
nameko acknowledges it (the event is gone) unless told to requeue every failure, which
would redeliver an event that can never succeed forever. Here a failure because the store
could not be reached (a MongoDB primary election, a restart of the embedded store) puts the
event back to be handled again, and any other failure is acknowledged as before (nameko logs
it with the event). Handlers are idempotent, so a second delivery is safe.
"""
import logging

import eventlet
from nameko.events import EventHandler
from nameko.rpc import rpc as nameko_rpc
from pymongo.errors import ConnectionFailure

from .errors import HallError

log = logging.getLogger(__name__)

rpc = nameko_rpc(expected_exceptions=HallError)

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
