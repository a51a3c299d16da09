"""What every service of the platform has: RED metrics on its entrypoints, ``ping`` (the
gateway's /readyz asks every service), the platform clock and the log of idempotent requests
(``services.common.idempotency``). Service modules subclass
it through the module (``platform_service.PlatformService``), not by importing the class
by name: ``nameko run`` would take a base class imported into a service module for a
service."""

import logging
from datetime import timedelta

from nameko.dependency_providers import Config
from nameko.events import BROADCAST
from nameko.exceptions import UnknownService
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy

from services.common import time
from services.common.config import is_demo
from services.common.contracts import events
from services.common.db import connect_service_db
from services.common.entrypoints import event_handler, rpc
from services.common.idempotency import RequestLog
from services.common.metrics import EntrypointMetrics
from services.common.tracing import RequestTracing

log = logging.getLogger(__name__)

CLOCK_FETCH_TIMEOUT_SECONDS = 10


def apply_clock(config, payload):
    """Set this process's clock offset from the monitor's ``{"offset_ms": …}``; only in demo mode."""
    if is_demo(config):
        time.set_clock_offset(timedelta(milliseconds=payload["offset_ms"]))


class PlatformClock(DependencyProvider):
    """At start-up, asks the monitor (which keeps it) for the platform clock's offset;
    the broadcast handler below keeps it current afterwards. A monitor that is not
    running leaves the real time until its next broadcast."""

    def start(self):
        if is_demo(self.container.config):
            self.container.spawn_managed_thread(self.fetch)

    def fetch(self):
        try:
            with ClusterRpcProxy(self.container.config, timeout=CLOCK_FETCH_TIMEOUT_SECONDS) as cluster:
                apply_clock(self.container.config, cluster.monitor.get_clock())
        except UnknownService:
            pass
        except Exception:  # the service must run even when the monitor does not answer
            log.warning("the platform clock could not be fetched from the monitor", exc_info=True)

    def get_dependency(self, worker_ctx):
        return None


class IdempotentRequests(DependencyProvider):
    """The service's ``RequestLog`` of idempotent requests, in its own database."""

    def setup(self):
        connect_service_db(self.container.config, self.container.service_name)
        self.log = RequestLog.of(self.container.service_name)

    def get_dependency(self, worker_ctx):
        return self.log


class PlatformService:
    config = Config()
    metrics = EntrypointMetrics()
    tracing = RequestTracing()
    clock = PlatformClock()
    requests = IdempotentRequests()

    @rpc
    def ping(self):
        return "pong"

    @event_handler(events.CLOCK_SET, handler_type=BROADCAST, reliable_delivery=False)
    def on_clock_set(self, payload):
        apply_clock(self.config, payload)
