"""The request id (from the gateway's ``X-Request-ID``, or generated there) inside a service.

The gateway sends it as nameko context data (AMQP header ``nameko.request_id``); nameko hands
it to the worker (``worker_ctx.data``) and puts it on every RPC call and event that worker
makes, so a handler of an event dispatched while handling a request sees the same id.
``RequestTracing`` keeps it for the worker's green thread, where the JSON log lines
(``services.common.json_logs``) and the audit records (``current_request_id()``) read it, and
writes one log line per handled call.
"""

import logging
import threading
import time

from nameko.extensions import DependencyProvider

CONTEXT_KEY = "request_id"

log = logging.getLogger(__name__)
_current = threading.local()  # green-thread local once eventlet has patched threading


def current_request_id():
    """The request id of the call or event this worker handles, or None."""
    return getattr(_current, "request_id", None)


class RequestTracing(DependencyProvider):
    """Sets the worker's request id; logs each successful call with it (failures are logged
    once, by nameko, inside the same worker, so with the id too)."""

    def worker_setup(self, worker_ctx):
        _current.request_id = worker_ctx.data.get(CONTEXT_KEY)
        _current.started = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        method = worker_ctx.entrypoint.method_name
        if exc_info is None and method != "ping":
            log.info(
                "%s.%s handled in %.1f ms",
                self.container.service_name,
                method,
                (time.perf_counter() - getattr(_current, "started", time.perf_counter())) * 1000,
            )

    def worker_teardown(self, worker_ctx):
        _current.request_id = None

    def get_dependency(self, worker_ctx):
        return None
